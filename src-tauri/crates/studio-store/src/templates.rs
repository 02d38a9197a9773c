//! The template index (`mission_templates`): one row per template file, written by the
//! registry's indexer. The files stay the source of truth; these rows are what the library
//! searches.
//!
//! The indexer owns the file-derived columns (name, sector, goal, tags, hashes, validity…);
//! the daily batch owns `stats`, `badges` and `derived_risk`. [`Store::upsert_templates`]
//! therefore never touches the batch's columns when it rewrites a row.

use crate::model::rfc3339;
use crate::{Store, StoreError};
use rusqlite::{params, Row};
use serde_json::Value;
use std::collections::HashSet;

/// One row of `mission_templates` as the indexer writes it.
#[derive(Debug, Clone, PartialEq)]
pub struct TemplateRecord {
    /// The mission id; for a file that is not a valid template, `file:<path>`.
    pub template_id: String,
    pub path: String,
    /// `builtin` or `user`.
    pub source: String,
    pub name: String,
    pub sector: Option<String>,
    pub risk: Option<String>,
    pub goal: Option<String>,
    pub tags: Vec<String>,
    pub required_depts: Vec<String>,
    pub est_roi: Option<f64>,
    pub value_usd: Option<f64>,
    pub logic_hash: String,
    /// `sha256:` of the file's bytes: an unchanged file is not loaded again.
    pub content_hash: String,
    pub valid: bool,
    /// JSON array of the problems that make the file invalid (empty when valid).
    pub diagnostics: Value,
    /// What a run needs for real: `model`, `network`, `simulated_network` (see migration 0004).
    pub needs: Vec<String>,
}

/// A stored row: the indexer's columns plus the batch's.
#[derive(Debug, Clone, PartialEq)]
pub struct TemplateRow {
    pub record: TemplateRecord,
    /// Risk derived from history by the batch (low | medium | high).
    pub derived_risk: Option<String>,
    /// The batch's figures (JSON), `None` until it has seen runs.
    pub stats: Option<Value>,
    pub badges: Vec<String>,
    pub indexed_at: String,
}

const COLUMNS: &str = "template_id, path, source, name, sector, risk, goal, tags, required_depts,
    est_roi, value_usd, logic_hash, content_hash, valid, diagnostics, derived_risk, stats, badges,
    indexed_at, needs";

fn json_list(r: &Row<'_>, i: usize) -> rusqlite::Result<Vec<String>> {
    let text: String = r.get(i)?;
    serde_json::from_str(&text).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, e.into())
    })
}

fn json_value(r: &Row<'_>, i: usize) -> rusqlite::Result<Option<Value>> {
    let text: Option<String> = r.get(i)?;
    text.filter(|t| !t.trim().is_empty())
        .map(|t| {
            serde_json::from_str(&t).map_err(|e| {
                rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, e.into())
            })
        })
        .transpose()
}

fn template_row(r: &Row<'_>) -> rusqlite::Result<TemplateRow> {
    Ok(TemplateRow {
        record: TemplateRecord {
            template_id: r.get(0)?,
            path: r.get(1)?,
            source: r.get(2)?,
            name: r.get(3)?,
            sector: r.get(4)?,
            risk: r.get(5)?,
            goal: r.get(6)?,
            tags: json_list(r, 7)?,
            required_depts: json_list(r, 8)?,
            est_roi: r.get(9)?,
            value_usd: r.get(10)?,
            logic_hash: r.get(11)?,
            content_hash: r.get(12)?,
            valid: r.get::<_, i64>(13)? != 0,
            diagnostics: json_value(r, 14)?.unwrap_or(Value::Array(Vec::new())),
            needs: json_list(r, 19)?,
        },
        derived_risk: r.get(15)?,
        stats: json_value(r, 16)?,
        badges: json_list(r, 17)?,
        indexed_at: r.get(18)?,
    })
}

impl Store {
    /// Every row of the index (valid or not), by template id.
    pub fn template_rows(&self) -> Result<Vec<TemplateRow>, StoreError> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM mission_templates ORDER BY template_id"
        ))?;
        let rows = stmt.query_map([], template_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The row of one template id, if indexed.
    pub fn template_row(&self, template_id: &str) -> Result<Option<TemplateRow>, StoreError> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM mission_templates WHERE template_id = ?1"
        ))?;
        let mut rows = stmt.query_map([template_id], template_row)?;
        Ok(rows.next().transpose()?)
    }

    /// Writes the index in one transaction: inserts or updates `records` (a row keeps its
    /// `stats`, `badges` and `derived_risk`, which belong to the batch), then deletes every row
    /// whose template id is not in `keep` (files that are gone, ids that moved). Returns the
    /// number of rows deleted.
    pub fn upsert_templates(
        &mut self,
        records: &[TemplateRecord],
        keep: &HashSet<String>,
    ) -> Result<usize, StoreError> {
        let now = rfc3339(chrono::Utc::now());
        let tx = self.conn.transaction()?;
        {
            let mut upsert = tx.prepare_cached(
                "INSERT INTO mission_templates (template_id, path, source, name, sector, risk,
                     goal, tags, required_depts, est_roi, value_usd, logic_hash, content_hash,
                     valid, diagnostics, indexed_at, needs)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)
                 ON CONFLICT (template_id) DO UPDATE SET
                     path = excluded.path, source = excluded.source, name = excluded.name,
                     sector = excluded.sector, risk = excluded.risk, goal = excluded.goal,
                     tags = excluded.tags, required_depts = excluded.required_depts,
                     est_roi = excluded.est_roi, value_usd = excluded.value_usd,
                     logic_hash = excluded.logic_hash, content_hash = excluded.content_hash,
                     valid = excluded.valid, diagnostics = excluded.diagnostics,
                     indexed_at = excluded.indexed_at, needs = excluded.needs",
            )?;
            for r in records {
                let tags =
                    serde_json::to_string(&r.tags).map_err(|e| StoreError::corrupt("tags", e))?;
                let depts = serde_json::to_string(&r.required_depts)
                    .map_err(|e| StoreError::corrupt("required_depts", e))?;
                let needs =
                    serde_json::to_string(&r.needs).map_err(|e| StoreError::corrupt("needs", e))?;
                upsert.execute(params![
                    r.template_id,
                    r.path,
                    r.source,
                    r.name,
                    r.sector,
                    r.risk,
                    r.goal,
                    tags,
                    depts,
                    r.est_roi,
                    r.value_usd,
                    r.logic_hash,
                    r.content_hash,
                    r.valid as i64,
                    r.diagnostics.to_string(),
                    now,
                    needs,
                ])?;
            }
        }
        let existing: Vec<String> = {
            let mut stmt = tx.prepare_cached("SELECT template_id FROM mission_templates")?;
            let ids = stmt.query_map([], |r| r.get::<_, String>(0))?;
            ids.collect::<Result<_, _>>()?
        };
        let mut removed = 0;
        {
            let mut delete =
                tx.prepare_cached("DELETE FROM mission_templates WHERE template_id = ?1")?;
            for id in existing.iter().filter(|id| !keep.contains(*id)) {
                removed += delete.execute([id])?;
            }
        }
        tx.commit()?;
        Ok(removed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn record(id: &str, path: &str, hash: &str) -> TemplateRecord {
        TemplateRecord {
            template_id: id.into(),
            path: path.into(),
            source: "builtin".into(),
            name: format!("Name of {id}"),
            sector: Some("HR".into()),
            risk: Some("low".into()),
            goal: Some("Do the thing".into()),
            tags: vec!["a".into(), "b".into()],
            required_depts: vec!["hr".into()],
            est_roi: Some(2.5),
            value_usd: Some(100.0),
            logic_hash: format!("sha256:{hash}"),
            content_hash: format!("sha256:c{hash}"),
            valid: true,
            diagnostics: json!([]),
            needs: vec!["model".into()],
        }
    }

    fn keep(ids: &[&str]) -> HashSet<String> {
        ids.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn rows_round_trip_and_an_update_keeps_the_batch_columns() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path().join("h.db")).unwrap();
        let a = record("t.a", "/lib/a.yaml", "1");
        let b = record("t.b", "/lib/b.yaml", "2");
        assert_eq!(
            store
                .upsert_templates(&[a.clone(), b.clone()], &keep(&["t.a", "t.b"]))
                .unwrap(),
            0
        );
        let rows = store.template_rows().unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].record, a);
        assert_eq!(rows[0].stats, None);
        assert!(rows[0].badges.is_empty());

        // The batch writes its columns …
        store
            .conn
            .execute(
                "UPDATE mission_templates SET stats = '{\"runs\":3}', badges = '[\"top_performance\"]',
                 derived_risk = 'high' WHERE template_id = 't.a'",
                [],
            )
            .unwrap();
        // … and a re-index of an edited, renamed file keeps them.
        let mut edited = a.clone();
        edited.path = "/lib/renamed.yaml".into();
        edited.goal = Some("Do it better".into());
        edited.content_hash = "sha256:other".into();
        store
            .upsert_templates(std::slice::from_ref(&edited), &keep(&["t.a", "t.b"]))
            .unwrap();
        let row = store.template_row("t.a").unwrap().expect("still indexed");
        assert_eq!(row.record, edited);
        assert_eq!(row.stats, Some(json!({"runs": 3})));
        assert_eq!(row.badges, vec!["top_performance"]);
        assert_eq!(row.derived_risk.as_deref(), Some("high"));
    }

    #[test]
    fn rows_not_kept_are_deleted() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path().join("h.db")).unwrap();
        let rows = [
            record("t.a", "/a.yaml", "1"),
            record("t.b", "/b.yaml", "2"),
            record("t.c", "/c.yaml", "3"),
        ];
        store
            .upsert_templates(&rows, &keep(&["t.a", "t.b", "t.c"]))
            .unwrap();
        let removed = store.upsert_templates(&[], &keep(&["t.b"])).unwrap();
        assert_eq!(removed, 2);
        let ids: Vec<String> = store
            .template_rows()
            .unwrap()
            .into_iter()
            .map(|r| r.record.template_id)
            .collect();
        assert_eq!(ids, vec!["t.b"]);
        assert!(store.template_row("t.a").unwrap().is_none());
    }

    #[test]
    fn an_invalid_file_is_stored_with_its_diagnostics() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path().join("h.db")).unwrap();
        let mut bad = record("file:/lib/bad.yaml", "/lib/bad.yaml", "9");
        bad.valid = false;
        bad.source = "user".into();
        bad.diagnostics = json!([{"line": 3, "column": 1, "reason": "`goal` is missing"}]);
        store
            .upsert_templates(std::slice::from_ref(&bad), &keep(&["file:/lib/bad.yaml"]))
            .unwrap();
        let row = store.template_row("file:/lib/bad.yaml").unwrap().unwrap();
        assert!(!row.record.valid);
        assert_eq!(row.record.source, "user");
        assert_eq!(row.record.diagnostics[0]["line"], 3);
    }
}
