//! The History view's query: runs filtered by status, mission, sector, time range and text,
//! sorted by any listed column, plus the values the filters offer (missions and sectors seen).

use crate::model::RunSummary;
use crate::{Store, StoreError};
use rusqlite::params;
use serde_json::Value;
use studio_core::RunStatus;

/// A column the history can be sorted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HistorySortKey {
    #[default]
    Started,
    Duration,
    Cost,
    Mission,
    Status,
    Steps,
    /// Best match first: a search's order ([`Store::search_history`]); other lists sort by
    /// start time instead.
    Relevance,
}

impl HistorySortKey {
    /// The SQL expression of the column; fixed text, never built from input.
    pub(crate) fn column(self) -> &'static str {
        match self {
            Self::Started | Self::Relevance => "started_at",
            Self::Duration => "runtime_ms",
            Self::Cost => "cost_usd",
            Self::Mission => "mission_name COLLATE NOCASE",
            Self::Status => "status",
            Self::Steps => "step_count",
        }
    }
}

/// Filters and order of the History view; `None` = any.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HistoryQuery {
    pub status: Option<RunStatus>,
    pub mission_id: Option<String>,
    /// The mission's declared sector (runs without one match `default`).
    pub sector: Option<String>,
    /// RFC 3339 instants (UTC, as stored): started at or after / before.
    pub started_after: Option<String>,
    pub started_before: Option<String>,
    /// Case-insensitive substring of the mission name or id, the run id or the reason.
    pub text: Option<String>,
    pub sort: HistorySortKey,
    pub descending: bool,
    pub limit: Option<u32>,
}

/// A run as the History view lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryRow {
    pub run: RunSummary,
    /// The mission's sector, `None` when it declares none.
    pub sector: Option<String>,
    /// Some answer of the run was simulated: a step answered by the mission's `simulation`
    /// block, or a model call answered by the built-in simulated provider.
    pub simulated: bool,
}

/// What the filters of the History view can offer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HistoryFacets {
    /// (mission id, latest name, number of runs), by name.
    pub missions: Vec<(String, String, u32)>,
    /// Sectors of recorded runs, sorted.
    pub sectors: Vec<String>,
    pub total_runs: u32,
}

/// `LIKE` pattern for a substring, with `\` as escape character.
pub(crate) fn like_pattern(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('%');
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

pub(crate) const SECTOR: &str = "json_extract(mission_json, '$.sector')";

/// Whether a run has a simulated answer (see [`HistoryRow::simulated`]): an `llm` step whose
/// output says `simulated`, or a step that the enabled `simulation` block names by its type,
/// its id or (a `tool` step) its tool, as the engine matches them.
pub(crate) const SIMULATED: &str = "(EXISTS (SELECT 1 FROM step_results sr
         WHERE sr.run_id = runs.run_id AND sr.step_type = 'llm'
           AND json_extract(sr.output, '$.simulated') = 1)
     OR (json_extract(mission_json, '$.simulation.enabled') = 1 AND EXISTS (
         SELECT 1 FROM json_each(mission_json, '$.simulation.tools') t,
                       json_each(mission_json, '$.steps') s
         WHERE json_extract(t.value, '$.name') IN (
                 json_extract(s.value, '$.step_type'), json_extract(s.value, '$.id'))
            OR (json_extract(s.value, '$.step_type') = 'tool'
                AND json_extract(t.value, '$.name') = json_extract(s.value, '$.parameters.name')))))";

impl Store {
    /// Whether a run has a simulated answer (see [`HistoryRow::simulated`]).
    pub fn run_simulated(&self, run_id: &str) -> Result<bool, StoreError> {
        let sql = format!("SELECT {SIMULATED} FROM runs WHERE run_id = ?1");
        match self.conn.query_row(&sql, [run_id], |r| r.get(0)) {
            Ok(simulated) => Ok(simulated),
            Err(rusqlite::Error::QueryReturnedNoRows) => {
                Err(StoreError::UnknownRun(run_id.to_string()))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Runs that pass the query, in its order (ties: newest first).
    pub fn query_history(&self, q: &HistoryQuery) -> Result<Vec<HistoryRow>, StoreError> {
        let direction = if q.descending { "DESC" } else { "ASC" };
        let sql = format!(
            "SELECT run_id, {SECTOR}, {SIMULATED} FROM runs
             WHERE (?1 IS NULL OR status = ?1)
               AND (?2 IS NULL OR mission_id = ?2)
               AND (?3 IS NULL OR IFNULL({SECTOR}, 'default') = ?3)
               AND (?4 IS NULL OR started_at >= ?4)
               AND (?5 IS NULL OR started_at < ?5)
               AND (?6 IS NULL OR mission_name LIKE ?6 ESCAPE '\\' OR mission_id LIKE ?6 ESCAPE '\\'
                    OR run_id LIKE ?6 ESCAPE '\\' OR IFNULL(reason, '') LIKE ?6 ESCAPE '\\')
             ORDER BY {} {direction}, started_at DESC, run_id DESC
             LIMIT ?7",
            q.sort.column()
        );
        let text = q
            .text
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(like_pattern);
        let ids: Vec<(String, Option<String>, bool)> = {
            let mut stmt = self.conn.prepare_cached(&sql)?;
            let rows = stmt.query_map(
                params![
                    q.status.map(|s| s.as_str()),
                    q.mission_id,
                    q.sector,
                    q.started_after,
                    q.started_before,
                    text,
                    q.limit.map_or(-1, i64::from),
                ],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )?;
            rows.collect::<Result<_, _>>()?
        };
        ids.into_iter()
            .map(|(id, sector, simulated)| {
                Ok(HistoryRow {
                    run: self.run(&id)?,
                    sector,
                    simulated,
                })
            })
            .collect()
    }

    /// Missions and sectors of recorded runs, for the History view's filters.
    pub fn history_facets(&self) -> Result<HistoryFacets, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT mission_id,
                    (SELECT r2.mission_name FROM runs r2 WHERE r2.mission_id = r.mission_id
                     ORDER BY r2.started_at DESC LIMIT 1),
                    COUNT(*)
             FROM runs r GROUP BY mission_id ORDER BY 2 COLLATE NOCASE, 1",
        )?;
        let missions = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<Result<Vec<_>, _>>()?;
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT DISTINCT IFNULL({SECTOR}, 'default') FROM runs ORDER BY 1 COLLATE NOCASE"
        ))?;
        let sectors = stmt
            .query_map([], |r| r.get(0))?
            .collect::<Result<Vec<String>, _>>()?;
        let total_runs = self
            .conn
            .query_row("SELECT COUNT(*) FROM runs", [], |r| r.get(0))?;
        Ok(HistoryFacets {
            missions,
            sectors,
            total_runs,
        })
    }

    /// The mission of a run as it ran (JSON), or [`StoreError::UnknownRun`].
    pub fn run_mission(&self, run_id: &str) -> Result<Value, StoreError> {
        let text: Option<String> = self
            .conn
            .prepare_cached("SELECT mission_json FROM runs WHERE run_id = ?1")?
            .query_row([run_id], |r| r.get(0))
            .map(Some)
            .or_else(|e| match e {
                rusqlite::Error::QueryReturnedNoRows => Ok(None),
                e => Err(e),
            })?;
        let text = text.ok_or_else(|| StoreError::UnknownRun(run_id.to_string()))?;
        serde_json::from_str(&text).map_err(|e| StoreError::corrupt("mission", e))
    }
}

#[cfg(test)]
mod tests {
    use super::like_pattern;

    #[test]
    fn like_patterns_escape_wildcards() {
        assert_eq!(like_pattern("a%b_c\\"), "%a\\%b\\_c\\\\%");
    }
}
