//! The mission pack's INDEX, reading side: the History's search. It finds runs by what they
//! produced (the full-text index written by [`crate::run_index`]) and, as the History's text
//! filter always did, by their mission's name or id and their run id (so a run still going is
//! found by name too); best match first, each run with the lines that matched.

use crate::history_query::{like_pattern, HistoryQuery, HistoryRow, HistorySortKey};
use crate::history_query::{SECTOR, SIMULATED};
use crate::match_line::{fts_query, mark_substring, matching_lines, MarkedLine, CLOSE, OPEN};
use crate::{Store, StoreError};
use rusqlite::params;
use std::collections::HashMap;
use std::ops::Range;

/// Lines shown per run at most.
pub const MATCHES_PER_RUN: usize = 3;
/// Texts of a run read for its lines at most (some may only repeat lines already taken).
const DOCS_READ: usize = 2 * MATCHES_PER_RUN;

/// Where in a run a match was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MatchField {
    /// The run's final summary (with its reason when it did not complete).
    Summary,
    /// A step's output (`step_id` says which).
    Output,
    /// A failed step's error.
    Error,
    /// The name of one of the run's outputs.
    OutputName,
    /// The mission's name, its id, or the run id (not in the index: matched as text).
    Mission,
    MissionId,
    RunId,
}

impl MatchField {
    /// The stable name (`mission history --search --json`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Summary => "summary",
            Self::Output => "output",
            Self::Error => "error",
            Self::OutputName => "output_name",
            Self::Mission => "mission",
            Self::MissionId => "mission_id",
            Self::RunId => "run_id",
        }
    }

    fn from_index(field: &str) -> Self {
        match field {
            "output" => Self::Output,
            "error" => Self::Error,
            "output_name" => Self::OutputName,
            _ => Self::Summary,
        }
    }
}

/// One line of a run that matched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchMatch {
    pub field: MatchField,
    pub step_id: Option<String>,
    /// The line, trimmed, cut around the match (`…` where cut).
    pub line: String,
    /// Byte ranges of `line` that matched the words searched for.
    pub hits: Vec<Range<usize>>,
}

/// A run the search found.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchHit {
    pub row: HistoryRow,
    /// The lines that matched, best first (at most [`MATCHES_PER_RUN`]).
    pub matches: Vec<SearchMatch>,
}

/// The best index score per run (FTS5 `rank`: lower is better). `?8` is the FTS5 query.
const CONTENT_HITS: &str = "SELECT d.run_id, MIN(run_index.rank) AS score
     FROM run_index JOIN run_index_docs d ON d.doc_id = run_index.rowid
     WHERE run_index MATCH ?8 GROUP BY d.run_id";
/// No index search (the text has no word in it): no rows, `?8` bound to NULL.
const NO_CONTENT_HITS: &str = "SELECT NULL AS run_id, NULL AS score WHERE ?8 IS NOT NULL";

impl Store {
    /// The runs whose indexed content (summary, step outputs and errors, output names) holds
    /// every word of `q.text`, or whose mission name or id or run id contains the text, within
    /// the other filters of `q`. Ordered by `q.sort`; [`HistorySortKey::Relevance`] puts the
    /// best content matches first, then runs matched by name only, newest first. Empty when
    /// the text is blank.
    pub fn search_history(&self, q: &HistoryQuery) -> Result<Vec<SearchHit>, StoreError> {
        let Some(text) = q.text.as_deref().map(str::trim).filter(|t| !t.is_empty()) else {
            return Ok(Vec::new());
        };
        let fts = fts_query(text);
        let order = match q.sort {
            HistorySortKey::Relevance => {
                "best.score IS NULL, best.score, started_at DESC, runs.run_id DESC".to_string()
            }
            sort => format!(
                "{} {}, started_at DESC, runs.run_id DESC",
                sort.column(),
                if q.descending { "DESC" } else { "ASC" }
            ),
        };
        let sql = format!(
            "WITH best AS ({hits})
             SELECT runs.run_id, {SECTOR}, {SIMULATED}, best.score IS NOT NULL
             FROM runs LEFT JOIN best ON best.run_id = runs.run_id
             WHERE (?1 IS NULL OR status = ?1)
               AND (?2 IS NULL OR mission_id = ?2)
               AND (?3 IS NULL OR IFNULL({SECTOR}, 'default') = ?3)
               AND (?4 IS NULL OR started_at >= ?4)
               AND (?5 IS NULL OR started_at < ?5)
               AND (best.run_id IS NOT NULL OR mission_name LIKE ?6 ESCAPE '\\'
                    OR mission_id LIKE ?6 ESCAPE '\\' OR runs.run_id LIKE ?6 ESCAPE '\\')
             ORDER BY {order}
             LIMIT ?7",
            hits = if fts.is_some() {
                CONTENT_HITS
            } else {
                NO_CONTENT_HITS
            },
        );
        let found: Vec<(String, Option<String>, bool, bool)> = {
            let mut stmt = self.conn.prepare_cached(&sql)?;
            let rows = stmt.query_map(
                params![
                    q.status.map(|s| s.as_str()),
                    q.mission_id,
                    q.sector,
                    q.started_after,
                    q.started_before,
                    like_pattern(text),
                    q.limit.map_or(-1, i64::from),
                    fts,
                ],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )?;
            rows.collect::<Result<_, _>>()?
        };
        let with_content: Vec<&str> = found.iter().filter(|f| f.3).map(|f| f.0.as_str()).collect();
        let mut content = match &fts {
            Some(fts) => self.content_matches(fts, &with_content)?,
            None => HashMap::new(),
        };
        found
            .into_iter()
            .map(|(run_id, sector, simulated, _)| {
                let run = self.run(&run_id)?;
                let matches = content
                    .remove(&run_id)
                    .unwrap_or_else(|| name_matches(&run, text));
                Ok(SearchHit {
                    row: HistoryRow {
                        run,
                        sector,
                        simulated,
                    },
                    matches,
                })
            })
            .collect()
    }

    /// The best matching lines of each run, from its best matching texts.
    fn content_matches(
        &self,
        fts: &str,
        run_ids: &[&str],
    ) -> Result<HashMap<String, Vec<SearchMatch>>, StoreError> {
        if run_ids.is_empty() {
            return Ok(HashMap::new());
        }
        // Every matching text of these runs, best first; the first few of each run are read.
        let mut docs: HashMap<String, Vec<(i64, MatchField, Option<String>)>> = HashMap::new();
        {
            let ids = serde_json::to_string(run_ids).map_err(|e| StoreError::corrupt("ids", e))?;
            let mut stmt = self.conn.prepare_cached(
                "SELECT run_index.rowid, d.run_id, d.field, d.step_id
                 FROM run_index JOIN run_index_docs d ON d.doc_id = run_index.rowid
                 WHERE run_index MATCH ?1 AND d.run_id IN (SELECT value FROM json_each(?2))
                 ORDER BY run_index.rank",
            )?;
            let mut rows = stmt.query(params![fts, ids])?;
            while let Some(r) = rows.next()? {
                let of_run = docs.entry(r.get(1)?).or_default();
                if of_run.len() < DOCS_READ {
                    let field: String = r.get(2)?;
                    of_run.push((r.get(0)?, MatchField::from_index(&field), r.get(3)?));
                }
            }
        }
        let mut highlight = self.conn.prepare_cached(
            "SELECT highlight(run_index, 0, ?3, ?4) FROM run_index
             WHERE run_index MATCH ?1 AND rowid = ?2",
        )?;
        let mut out = HashMap::new();
        for (run_id, run_docs) in docs {
            let mut matches = Vec::new();
            for (doc_id, field, step_id) in run_docs {
                let marked: String =
                    highlight.query_row(params![fts, doc_id, OPEN, CLOSE], |r| r.get(0))?;
                for line in matching_lines(&marked, MATCHES_PER_RUN) {
                    // The same line in two places (an output's name and the path the step
                    // that wrote it returned) is shown once.
                    if matches.len() < MATCHES_PER_RUN
                        && !matches.iter().any(|m: &SearchMatch| m.line == line.text)
                    {
                        matches.push(search_match(field, step_id.clone(), line));
                    }
                }
                if matches.len() == MATCHES_PER_RUN {
                    break;
                }
            }
            out.insert(run_id, matches);
        }
        Ok(out)
    }
}

fn search_match(field: MatchField, step_id: Option<String>, line: MarkedLine) -> SearchMatch {
    SearchMatch {
        field,
        step_id,
        line: line.text,
        hits: line.hits,
    }
}

/// For a run found by its names only: the name that holds the text.
fn name_matches(run: &crate::RunSummary, text: &str) -> Vec<SearchMatch> {
    [
        (MatchField::Mission, &run.mission_name),
        (MatchField::MissionId, &run.mission_id),
        (MatchField::RunId, &run.run_id),
    ]
    .into_iter()
    .find_map(|(field, name)| {
        mark_substring(name, text).map(|line| search_match(field, None, line))
    })
    .into_iter()
    .collect()
}
