//! Active missions (`active_missions`): a template saved with the operator's perimeter and run
//! inputs, runnable later by id. The registry decides the id (see `studio-registry`'s
//! `active` module); the store only keeps the rows and links runs to them.

use crate::model::rfc3339;
use crate::{Store, StoreError};
use rusqlite::{params, OptionalExtension, Row};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One active mission as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActiveRow {
    pub active_id: String,
    /// The template it was deployed from (kept when a re-index drops and re-adds the template).
    pub template_id: String,
    pub name: String,
    /// The operator's perimeter (JSON, native form).
    pub perimeter: Value,
    /// The run inputs (`{{context.NAME}}`), a JSON object.
    pub inputs: Value,
    /// The template's logic hash when it was deployed.
    pub logic_hash: String,
    pub created_at: String,
    pub updated_at: String,
}

/// Whether [`Store::insert_active`] saved a new row or found the same one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Saved {
    Created,
    /// A row with this id already existed; it was left as it was.
    Existing,
}

const COLUMNS: &str =
    "active_id, template_ref, name, perimeter, inputs, logic_hash, created_at, updated_at";

fn json(r: &Row<'_>, i: usize) -> rusqlite::Result<Value> {
    let text: String = r.get(i)?;
    serde_json::from_str(&text).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, e.into())
    })
}

fn active_row(r: &Row<'_>) -> rusqlite::Result<ActiveRow> {
    Ok(ActiveRow {
        active_id: r.get(0)?,
        template_id: r.get(1)?,
        name: r.get(2)?,
        perimeter: json(r, 3)?,
        inputs: json(r, 4)?,
        logic_hash: r.get(5)?,
        created_at: r.get(6)?,
        updated_at: r.get(7)?,
    })
}

impl Store {
    /// Saves an active mission unless one with the same id exists (then nothing changes and
    /// [`Saved::Existing`] is returned). `row.created_at`/`updated_at` are set to now when empty.
    /// The template id is also written to the `template_id` foreign key when the template is
    /// indexed (the link shows in joins); `template_ref` keeps it either way.
    pub fn insert_active(&mut self, row: &ActiveRow) -> Result<Saved, StoreError> {
        let now = rfc3339(chrono::Utc::now());
        let created = if row.created_at.is_empty() {
            now.clone()
        } else {
            row.created_at.clone()
        };
        let updated = if row.updated_at.is_empty() {
            now
        } else {
            row.updated_at.clone()
        };
        let inserted = self.conn.execute(
            "INSERT INTO active_missions (active_id, template_id, template_ref, name, perimeter,
                 inputs, logic_hash, created_at, updated_at)
             VALUES (?1, (SELECT template_id FROM mission_templates WHERE template_id = ?2),
                     ?2, ?3, ?4, ?5, ?6, ?7, ?8)
             ON CONFLICT (active_id) DO NOTHING",
            params![
                row.active_id,
                row.template_id,
                row.name,
                row.perimeter.to_string(),
                row.inputs.to_string(),
                row.logic_hash,
                created,
                updated,
            ],
        )?;
        Ok(if inserted == 1 {
            Saved::Created
        } else {
            Saved::Existing
        })
    }

    /// Every active mission, newest first.
    pub fn list_active(&self) -> Result<Vec<ActiveRow>, StoreError> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM active_missions ORDER BY created_at DESC, active_id"
        ))?;
        let rows = stmt.query_map([], active_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// One active mission, if it exists.
    pub fn active(&self, active_id: &str) -> Result<Option<ActiveRow>, StoreError> {
        Ok(self
            .conn
            .prepare_cached(&format!(
                "SELECT {COLUMNS} FROM active_missions WHERE active_id = ?1"
            ))?
            .query_row([active_id], active_row)
            .optional()?)
    }

    /// Changes an active mission's name, perimeter and inputs in place (its id, its template
    /// and its runs stay); `updated_at` becomes now. Returns whether the row exists.
    pub fn update_active(
        &mut self,
        active_id: &str,
        name: &str,
        perimeter: &Value,
        inputs: &Value,
    ) -> Result<bool, StoreError> {
        let now = rfc3339(chrono::Utc::now());
        Ok(self.conn.execute(
            "UPDATE active_missions SET name = ?2, perimeter = ?3, inputs = ?4, updated_at = ?5
             WHERE active_id = ?1",
            params![
                active_id,
                name,
                perimeter.to_string(),
                inputs.to_string(),
                now
            ],
        )? == 1)
    }

    /// Deletes an active mission; its runs stay in the history (their `active_id` becomes
    /// NULL). Returns whether a row was deleted.
    pub fn delete_active(&mut self, active_id: &str) -> Result<bool, StoreError> {
        Ok(self.conn.execute(
            "DELETE FROM active_missions WHERE active_id = ?1",
            [active_id],
        )? == 1)
    }

    /// Links a recorded run to the active mission it ran (idempotent).
    pub fn link_run_to_active(&mut self, run_id: &str, active_id: &str) -> Result<(), StoreError> {
        let n = self.conn.execute(
            "UPDATE runs SET active_id = ?2 WHERE run_id = ?1",
            params![run_id, active_id],
        )?;
        if n == 0 {
            return Err(StoreError::UnknownRun(run_id.to_string()));
        }
        Ok(())
    }

    /// The runs of an active mission, newest first (run ids).
    pub fn runs_of_active(&self, active_id: &str) -> Result<Vec<String>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT run_id FROM runs WHERE active_id = ?1 ORDER BY started_at DESC, run_id DESC",
        )?;
        let rows = stmt.query_map([active_id], |r| r.get::<_, String>(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn row(id: &str) -> ActiveRow {
        ActiveRow {
            active_id: id.into(),
            template_id: "com.example.t".into(),
            name: "Nightly".into(),
            perimeter: json!({"budget": {"max_cost_usd": 1.5}}),
            inputs: json!({"city": "Lyon"}),
            logic_hash: "sha256:abc".into(),
            created_at: String::new(),
            updated_at: String::new(),
        }
    }

    #[test]
    fn an_active_mission_is_saved_once_listed_read_and_deleted() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path().join("h.db")).unwrap();
        assert_eq!(store.insert_active(&row("am-1")).unwrap(), Saved::Created);
        let mut renamed = row("am-1");
        renamed.name = "Other".into();
        assert_eq!(store.insert_active(&renamed).unwrap(), Saved::Existing);
        let got = store.active("am-1").unwrap().expect("saved");
        assert_eq!(got.name, "Nightly", "the first save wins");
        assert_eq!(got.template_id, "com.example.t");
        assert_eq!(got.perimeter["budget"]["max_cost_usd"], 1.5);
        assert_eq!(got.inputs, json!({"city": "Lyon"}));
        assert!(!got.created_at.is_empty());
        store.insert_active(&row("am-2")).unwrap();
        assert_eq!(store.list_active().unwrap().len(), 2);
        assert!(store.delete_active("am-1").unwrap());
        assert!(!store.delete_active("am-1").unwrap());
        assert!(store.active("am-1").unwrap().is_none());
        assert!(matches!(
            store.link_run_to_active("no-such-run", "am-2"),
            Err(StoreError::UnknownRun(_))
        ));
    }
}
