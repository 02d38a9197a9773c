//! Searching the library: an in-memory [`Snapshot`] of the valid templates, rebuilt from the
//! index after each re-index and after the batch, queried without touching SQLite.
//!
//! Text search: every whitespace-separated word of `search` must occur, case-insensitively,
//! in the template's name, goal, tags, sector, required departments or id; the matches are
//! ranked by [`Relevance`] (the exact name, then names that start with the search, then names
//! with a word starting with each word, then the rest), the sort ordering each rank.
//! Filters (all optional, combined with AND, case-insensitive): `sector`, `risk` (the shown
//! risk: derived by the batch when it has one, else declared), `tags` (every one), `dept` (a
//! required department), `badge`.
//! Sorts: `roi` (highest first; measured when runs exist, else the estimate), `success`
//! (highest success rate first), `cost` (cheapest average run first), `recent` (most recently
//! run first), `name` (A→Z, the default). Templates without the sort's figure come last; ties
//! go by name, then id.

use crate::model::{TemplateSource, TemplateStats, TemplateSummary};
use crate::relevance::{name_words, Relevance, SearchText};
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;
use std::str::FromStr;
use studio_store::TemplateRow;

/// How a list is ordered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SortKey {
    /// Highest ROI first (measured when runs exist, else the declared estimate).
    Roi,
    /// Highest success rate first.
    Success,
    /// Cheapest average run first ("avg gas").
    Cost,
    /// Most recently run first.
    Recent,
    /// By name, A→Z.
    #[default]
    Name,
}

impl SortKey {
    pub const ALL: &'static [SortKey] = &[
        SortKey::Roi,
        SortKey::Success,
        SortKey::Cost,
        SortKey::Recent,
        SortKey::Name,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Roi => "roi",
            Self::Success => "success",
            Self::Cost => "cost",
            Self::Recent => "recent",
            Self::Name => "name",
        }
    }
}

impl FromStr for SortKey {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        SortKey::ALL
            .iter()
            .copied()
            .find(|k| k.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| {
                let names: Vec<&str> = SortKey::ALL.iter().map(|k| k.as_str()).collect();
                format!("unknown sort `{s}`; use one of {}", names.join(", "))
            })
    }
}

/// What the library is asked for. The default lists every valid template by name.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct TemplateQuery {
    /// Words that must all occur in the name, goal, tags, sector, departments or id; the
    /// matches whose name answers them best come first.
    pub search: Option<String>,
    pub sector: Option<String>,
    /// low | medium | high, matched against the shown risk.
    pub risk: Option<String>,
    /// Tags the template must all carry.
    pub tags: Vec<String>,
    /// A department the template requires.
    pub dept: Option<String>,
    /// A badge the template holds, e.g. `top_performance`.
    pub badge: Option<String>,
    pub sort: SortKey,
    /// At most this many templates.
    pub limit: Option<usize>,
}

/// One template with what the search and the sorts compare, lower-cased once.
#[derive(Debug, Clone)]
struct Entry {
    summary: TemplateSummary,
    haystack: String,
    name: String,
    name_words: Vec<String>,
    sector: String,
    risk: String,
    tags: Vec<String>,
    depts: Vec<String>,
    badges: Vec<String>,
}

/// The valid templates at one moment, ready to be searched.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    /// Sorted by name, then id (the default order).
    entries: Vec<Entry>,
}

impl Snapshot {
    /// Builds the snapshot from rows of the index; invalid rows are left out.
    pub fn from_rows(rows: Vec<TemplateRow>) -> Self {
        Self::from_summaries(rows.into_iter().filter_map(summary_of).collect())
    }

    /// Builds the snapshot from summaries (benchmarks and tests).
    pub fn from_summaries(summaries: Vec<TemplateSummary>) -> Self {
        let mut entries: Vec<Entry> = summaries.into_iter().map(entry).collect();
        entries.sort_by(|a, b| {
            a.name
                .cmp(&b.name)
                .then_with(|| a.summary.id.cmp(&b.summary.id))
        });
        Self { entries }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Every template, by name.
    pub fn summaries(&self) -> impl Iterator<Item = &TemplateSummary> {
        self.entries.iter().map(|e| &e.summary)
    }

    /// The template with this id.
    pub fn get(&self, id: &str) -> Option<&TemplateSummary> {
        self.entries
            .iter()
            .find(|e| e.summary.id == id)
            .map(|e| &e.summary)
    }

    /// The templates that match, in the query's order (copies).
    pub fn query(&self, q: &TemplateQuery) -> Vec<TemplateSummary> {
        self.search(q).into_iter().cloned().collect()
    }

    /// [`Snapshot::query`] without the copies: references into the snapshot.
    pub fn search(&self, q: &TemplateQuery) -> Vec<&TemplateSummary> {
        let filter = Filter::of(q);
        let mut hits: Vec<&Entry> = self.entries.iter().filter(|e| filter.keeps(e)).collect();
        if !filter.text.is_empty() {
            // Best names first; the sort, then the name, order each rank (the sort is stable).
            let mut ranked: Vec<(Relevance, &Entry)> = hits
                .into_iter()
                .map(|e| (filter.text.relevance(&e.name, &e.name_words), e))
                .collect();
            ranked.sort_by(|(ra, a), (rb, b)| ra.cmp(rb).then_with(|| compare(q.sort, a, b)));
            hits = ranked.into_iter().map(|(_, e)| e).collect();
        } else if q.sort != SortKey::Name {
            // Entries are in name order already, and the sort is stable: ties stay by name.
            hits.sort_by(|a, b| compare(q.sort, a, b));
        }
        if let Some(limit) = q.limit {
            hits.truncate(limit);
        }
        hits.into_iter().map(|e| &e.summary).collect()
    }
}

/// A query with its words and names lower-cased once.
struct Filter {
    text: SearchText,
    sector: Option<String>,
    risk: Option<String>,
    tags: Vec<String>,
    dept: Option<String>,
    badge: Option<String>,
}

fn lower(v: &Option<String>) -> Option<String> {
    v.as_deref()
        .map(|s| s.trim().to_lowercase())
        .filter(|s| !s.is_empty())
}

impl Filter {
    fn of(q: &TemplateQuery) -> Self {
        Self {
            text: SearchText::new(q.search.as_deref().unwrap_or("")),
            sector: lower(&q.sector),
            risk: lower(&q.risk),
            tags: q
                .tags
                .iter()
                .map(|t| t.trim().to_lowercase())
                .filter(|t| !t.is_empty())
                .collect(),
            dept: lower(&q.dept),
            badge: lower(&q.badge),
        }
    }

    fn keeps(&self, e: &Entry) -> bool {
        self.sector.as_ref().is_none_or(|s| *s == e.sector)
            && self.risk.as_ref().is_none_or(|r| *r == e.risk)
            && self.dept.as_ref().is_none_or(|d| e.depts.contains(d))
            && self.badge.as_ref().is_none_or(|b| e.badges.contains(b))
            && self.tags.iter().all(|t| e.tags.contains(t))
            && self
                .text
                .words
                .iter()
                .all(|w| e.haystack.contains(w.as_str()))
    }
}

/// Compares two entries for a sort; `None` figures go last.
fn compare(sort: SortKey, a: &Entry, b: &Entry) -> Ordering {
    let rate = |e: &Entry| e.summary.stats.as_ref().map(|s| s.success_rate);
    match sort {
        SortKey::Roi => desc(a.summary.roi, b.summary.roi),
        SortKey::Success => desc(rate(a), rate(b)),
        SortKey::Cost => asc(
            a.summary.stats.as_ref().map(|s| s.avg_cost_usd),
            b.summary.stats.as_ref().map(|s| s.avg_cost_usd),
        ),
        SortKey::Recent => match (last_run(a), last_run(b)) {
            (Some(x), Some(y)) => y.cmp(x),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => Ordering::Equal,
        },
        SortKey::Name => Ordering::Equal,
    }
}

fn last_run(e: &Entry) -> Option<&str> {
    e.summary
        .stats
        .as_ref()
        .and_then(|s| s.last_run_at.as_deref())
}

fn desc(a: Option<f64>, b: Option<f64>) -> Ordering {
    match (a, b) {
        (Some(x), Some(y)) => y.total_cmp(&x),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    }
}

fn asc(a: Option<f64>, b: Option<f64>) -> Ordering {
    match (a, b) {
        (Some(x), Some(y)) => x.total_cmp(&y),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    }
}

fn entry(summary: TemplateSummary) -> Entry {
    let lower_all = |v: &[String]| v.iter().map(|s| s.to_lowercase()).collect::<Vec<_>>();
    let mut haystack = String::with_capacity(256);
    for part in [
        Some(summary.name.as_str()),
        summary.goal.as_deref(),
        summary.sector.as_deref(),
        Some(summary.id.as_str()),
    ]
    .into_iter()
    .flatten()
    {
        haystack.push_str(&part.to_lowercase());
        haystack.push('\n');
    }
    for word in summary.tags.iter().chain(&summary.required_depts) {
        haystack.push_str(&word.to_lowercase());
        haystack.push('\n');
    }
    let name = summary.name.to_lowercase();
    Entry {
        haystack,
        name_words: name_words(&name),
        name,
        sector: summary.sector.as_deref().unwrap_or_default().to_lowercase(),
        risk: summary
            .risk_level
            .as_deref()
            .unwrap_or_default()
            .to_lowercase(),
        tags: lower_all(&summary.tags),
        depts: lower_all(&summary.required_depts),
        badges: lower_all(&summary.badges),
        summary,
    }
}

/// The library's view of an index row; `None` for an invalid row.
pub fn summary_of(row: TemplateRow) -> Option<TemplateSummary> {
    let r = row.record;
    if !r.valid {
        return None;
    }
    let stats: Option<TemplateStats> = row.stats.and_then(|v| {
        serde_json::from_value(v)
            .map_err(|e| {
                tracing::warn!(template = %r.template_id, "stored stats are unreadable: {e}");
            })
            .ok()
    });
    let measured = stats.as_ref().filter(|s| s.runs > 0);
    let (roi, roi_is_estimate) = match measured {
        Some(s) => (s.measured_roi, false),
        None => (r.est_roi, true),
    };
    let risk_level = row
        .derived_risk
        .clone()
        .or_else(|| measured.map(|s| s.derived_risk.clone()))
        .filter(|s| !s.is_empty())
        .or_else(|| r.risk.clone());
    Some(TemplateSummary {
        id: r.template_id,
        name: r.name,
        sector: r.sector,
        goal: r.goal,
        required_depts: r.required_depts,
        risk: r.risk,
        est_roi: r.est_roi,
        value_usd: r.value_usd,
        tags: r.tags,
        logic_hash: r.logic_hash,
        path: r.path.into(),
        source: TemplateSource::parse(&r.source).unwrap_or(TemplateSource::Builtin),
        stats,
        badges: row.badges,
        roi,
        roi_is_estimate,
        risk_level,
        needs: r.needs,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn t(id: &str, name: &str, sector: &str, roi: f64) -> TemplateSummary {
        TemplateSummary {
            id: id.into(),
            name: name.into(),
            sector: Some(sector.into()),
            goal: Some(format!("Goal of {name}")),
            required_depts: vec!["ops".into()],
            risk: Some("low".into()),
            est_roi: Some(roi),
            value_usd: Some(10.0),
            tags: vec!["alpha".into()],
            logic_hash: format!("sha256:{id}"),
            path: PathBuf::from(format!("/lib/{id}.yaml")),
            source: TemplateSource::Builtin,
            stats: None,
            badges: Vec::new(),
            roi: Some(roi),
            roi_is_estimate: true,
            risk_level: Some("low".into()),
            needs: Vec::new(),
        }
    }

    fn stats(runs: u64, success: f64, cost: f64, last: &str) -> TemplateStats {
        TemplateStats {
            runs,
            success_rate: success,
            avg_cost_usd: cost,
            avg_profit_usd: 1.0,
            measured_roi: Some(9.0),
            p50_duration_ms: 1,
            p95_duration_ms: 2,
            derived_risk: "medium".into(),
            last_run_at: Some(last.into()),
            computed_at: "2026-01-01T00:00:00Z".into(),
        }
    }

    fn ids(v: &[TemplateSummary]) -> Vec<&str> {
        v.iter().map(|s| s.id.as_str()).collect()
    }

    fn library() -> Snapshot {
        let mut a = t("a", "Burnout Recruiter", "HR", 3.0);
        a.tags = vec!["Hiring".into(), "wellbeing".into()];
        a.required_depts = vec!["hr".into(), "legal".into()];
        let mut b = t("b", "Cash Sweep", "Finance", 8.0);
        b.stats = Some(stats(10, 0.9, 0.5, "2026-02-01T00:00:00Z"));
        b.badges = vec!["top_performance".into()];
        b.risk_level = Some("medium".into());
        let mut c = t("c", "Audit Trail", "Finance", 5.0);
        c.stats = Some(stats(4, 0.5, 0.1, "2026-03-01T00:00:00Z"));
        let d = t("d", "Zero Day Watch", "Security", 1.0);
        Snapshot::from_summaries(vec![d, c, b, a])
    }

    #[test]
    fn the_default_lists_everything_by_name() {
        let lib = library();
        assert_eq!(
            ids(&lib.query(&TemplateQuery::default())),
            ["c", "a", "b", "d"]
        );
    }

    #[test]
    fn search_words_all_match_name_goal_tags_sector_case_insensitively() {
        let lib = library();
        let q = |s: &str| TemplateQuery {
            search: Some(s.into()),
            ..TemplateQuery::default()
        };
        assert_eq!(ids(&lib.query(&q("burnout"))), ["a"], "name");
        assert_eq!(ids(&lib.query(&q("HIRING"))), ["a"], "tag, any case");
        assert_eq!(
            ids(&lib.query(&q("goal of cash"))),
            ["b"],
            "goal, every word"
        );
        assert_eq!(ids(&lib.query(&q("finance"))), ["c", "b"], "sector");
        assert!(
            lib.query(&q("burnout finance")).is_empty(),
            "all words must match"
        );
    }

    #[test]
    fn filters_combine() {
        let lib = library();
        let q = TemplateQuery {
            sector: Some("finance".into()),
            risk: Some("Medium".into()),
            ..TemplateQuery::default()
        };
        assert_eq!(
            ids(&lib.query(&q)),
            ["b"],
            "risk matches the shown (derived) risk"
        );
        let q = TemplateQuery {
            tags: vec!["wellbeing".into(), "hiring".into()],
            dept: Some("legal".into()),
            ..TemplateQuery::default()
        };
        assert_eq!(ids(&lib.query(&q)), ["a"]);
        let q = TemplateQuery {
            badge: Some("top_performance".into()),
            ..TemplateQuery::default()
        };
        assert_eq!(ids(&lib.query(&q)), ["b"]);
    }

    #[test]
    fn sorts_put_missing_figures_last_and_break_ties_by_name() {
        let lib = library();
        let sorted = |sort| {
            ids(&lib.query(&TemplateQuery {
                sort,
                ..TemplateQuery::default()
            }))
            .into_iter()
            .map(str::to_string)
            .collect::<Vec<_>>()
        };
        assert_eq!(sorted(SortKey::Roi), ["b", "c", "a", "d"]);
        assert_eq!(sorted(SortKey::Success), ["b", "c", "a", "d"]);
        assert_eq!(sorted(SortKey::Cost), ["c", "b", "a", "d"]);
        assert_eq!(sorted(SortKey::Recent), ["c", "b", "a", "d"]);
        let limited = lib.query(&TemplateQuery {
            sort: SortKey::Roi,
            limit: Some(2),
            ..TemplateQuery::default()
        });
        assert_eq!(ids(&limited), ["b", "c"]);
    }

    #[test]
    fn sort_keys_parse_from_their_names() {
        for k in SortKey::ALL {
            assert_eq!(k.as_str().parse::<SortKey>().unwrap(), *k);
        }
        assert!("price"
            .parse::<SortKey>()
            .unwrap_err()
            .contains("roi, success"));
    }
}
