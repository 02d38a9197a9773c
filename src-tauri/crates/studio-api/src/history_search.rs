//! The History's search over the mission pack's INDEX (what finished runs produced, see
//! `studio-store`): `mission history --search` ([`StudioApi::search_history`], stable
//! snake_case JSON) and the History page's search box ([`StudioApi::search_runs`], the
//! camelCase DTOs of the History table, each run with the lines that matched).

use crate::history_dto::{item, run_list};
use crate::{ApiError, ErrorCode, RunFilter, RunList, RunListQuery, RunSortKey, StudioApi};
use serde::{Deserialize, Serialize};
use std::ops::Range;
use studio_core::RunStatus;
use studio_store::{HistoryQuery, HistorySortKey, SearchHit, SearchMatch};
use ts_rs::TS;

/// `mission history --search TEXT`: the words to find and the filters of `mission history`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HistorySearch {
    pub text: String,
    pub filter: RunFilter,
}

/// A run `mission history --search --json` lists (stable JSON, snake_case).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchedRun {
    pub run_id: String,
    /// The mission id.
    pub mission: String,
    pub mission_name: String,
    pub status: RunStatus,
    pub started_at: String,
    pub finished_at: Option<String>,
    /// The lines that matched, best first.
    pub matches: Vec<MatchLine>,
}

/// One line of a run that matched.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MatchLine {
    /// Where: `summary`, `output`, `error`, `output_name` (what the run produced), or
    /// `mission`, `mission_id`, `run_id` (a run found by its names).
    pub field: String,
    /// The step whose output or error matched.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step_id: Option<String>,
    /// The line, trimmed and cut around the match (`…` where cut).
    pub line: String,
    /// `[start, end)` of each matched word in `line`, in characters.
    pub highlights: Vec<[usize; 2]>,
}

/// One line of a run that matched, as the History page shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "RunMatchItem.ts")]
pub struct RunMatchItem {
    #[ts(
        type = "\"summary\" | \"output\" | \"error\" | \"output_name\" | \"mission\" | \"mission_id\" | \"run_id\""
    )]
    pub field: String,
    pub step_id: Option<String>,
    /// The line in order, cut where a matched word starts or ends.
    pub parts: Vec<MatchPart>,
}

/// A piece of a matching line: text the search matched (`hit`) or text around it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "MatchPart.ts")]
pub struct MatchPart {
    pub text: String,
    pub hit: bool,
}

impl StudioApi {
    /// `mission history --search`: the runs that produced (or are named by) every word of
    /// the text, best first, within the filters, each with its matching lines.
    pub fn search_history(&self, search: &HistorySearch) -> Result<Vec<SearchedRun>, ApiError> {
        let f = &search.filter;
        let query = HistoryQuery {
            status: f.status,
            mission_id: f.mission_id.clone(),
            started_after: f
                .since
                .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)),
            text: Some(search.text.clone()),
            sort: HistorySortKey::Relevance,
            limit: f.limit,
            ..HistoryQuery::default()
        };
        Ok(self
            .search(&query)?
            .into_iter()
            .map(|hit| SearchedRun {
                matches: hit.matches.iter().map(match_line).collect(),
                run_id: hit.row.run.run_id,
                mission: hit.row.run.mission_id,
                mission_name: hit.row.run.mission_name,
                status: hit.row.run.status,
                started_at: hit.row.run.started_at,
                finished_at: hit.row.run.finished_at,
            })
            .collect())
    }

    /// The History page's search: the History table of the runs found, best first unless
    /// the query names another order, each run with the lines that matched.
    pub fn search_runs(&self, query: &RunListQuery) -> Result<RunList, ApiError> {
        let mut q = query.to_store()?;
        if matches!(query.sort, None | Some(RunSortKey::Relevance)) {
            q.sort = HistorySortKey::Relevance;
        }
        let hits = self.search(&q)?;
        let runs = hits
            .into_iter()
            .map(|hit| {
                let mut row = item(hit.row.run, hit.row.sector, hit.row.simulated);
                row.matches = hit.matches.iter().map(match_item).collect();
                row
            })
            .collect();
        self.with_store(|s| Ok(run_list(runs, s.history_facets()?)))
    }

    fn search(&self, query: &HistoryQuery) -> Result<Vec<SearchHit>, ApiError> {
        if query.text.as_deref().is_none_or(|t| t.trim().is_empty()) {
            return Err(ApiError::new(
                ErrorCode::InvalidInput,
                "the search is empty: type a word the runs produced (or a mission name)",
            ));
        }
        self.with_store(|s| Ok(s.search_history(query)?))
    }
}

fn match_line(m: &SearchMatch) -> MatchLine {
    let char_at = |byte: usize| m.line[..byte].chars().count();
    MatchLine {
        field: m.field.as_str().to_string(),
        step_id: m.step_id.clone(),
        line: m.line.clone(),
        highlights: m
            .hits
            .iter()
            .map(|h| [char_at(h.start), char_at(h.end)])
            .collect(),
    }
}

fn match_item(m: &SearchMatch) -> RunMatchItem {
    RunMatchItem {
        field: m.field.as_str().to_string(),
        step_id: m.step_id.clone(),
        parts: parts(&m.line, &m.hits),
    }
}

/// `line` cut into pieces at the edges of its hits (byte ranges, in order).
fn parts(line: &str, hits: &[Range<usize>]) -> Vec<MatchPart> {
    let mut out = Vec::new();
    let mut at = 0;
    let mut push = |text: &str, hit: bool| {
        if !text.is_empty() {
            out.push(MatchPart {
                text: text.to_string(),
                hit,
            });
        }
    };
    for h in hits {
        push(&line[at..h.start], false);
        push(&line[h.clone()], true);
        at = h.end;
    }
    push(&line[at..], false);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use studio_store::MatchField;

    #[test]
    fn a_match_becomes_character_ranges_and_display_parts() {
        let m = SearchMatch {
            field: MatchField::Output,
            step_id: Some("fetch".into()),
            line: "…café total: 42".into(),
            hits: vec![3..8, 16..18],
        };
        assert_eq!(&m.line[m.hits[0].clone()], "café");
        let json = match_line(&m);
        assert_eq!(json.highlights, [[1, 5], [13, 15]], "in characters");
        assert_eq!(
            json.line.chars().skip(1).take(4).collect::<String>(),
            "café"
        );
        let item = match_item(&m);
        assert_eq!(
            item.parts
                .iter()
                .map(|p| (p.text.as_str(), p.hit))
                .collect::<Vec<_>>(),
            [
                ("…", false),
                ("café", true),
                (" total: ", false),
                ("42", true)
            ]
        );
    }
}
