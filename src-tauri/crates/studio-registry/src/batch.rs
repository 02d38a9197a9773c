//! The daily batch: measured performance fed back into the library (DESIGN §10).
//!
//! For every indexed template, from its **finished runs** in the history (status `completed`,
//! `failed` or `timed_out`; cancelled runs are an operator's decision and are left out; a run
//! counts for the template whose id it ran under):
//!
//! * `runs`, `success_rate` = completed / finished;
//! * `avg_cost_usd` ("avg gas") = mean of the runs' `cost_usd`;
//! * `avg_profit_usd` = mean of (value − cost), where value is the template's `value_usd` for a
//!   completed run and 0 for a run that did not complete (a failed run delivers nothing);
//! * `measured_roi` = avg profit / avg cost, `None` when the average cost is 0;
//! * `p50_duration_ms`, `p95_duration_ms`: nearest-rank percentiles of the runs' `runtime_ms`
//!   ([`percentile`]: the value at rank ⌈p/100 × n⌉ of the sorted durations);
//! * `derived_risk` ([`derived_risk`]);
//! * the "Top Performance" badge ([`top_performers`]);
//! * failure patterns ([`failure_patterns`]) raised into the review queue.
//!
//! A template without finished runs keeps `stats` NULL, no badges and no derived risk: the
//! library shows its declared estimates, marked as estimates.
//!
//! Every batch records a `batch_jobs` row (trigger, status, summary). Only one batch runs at a
//! time across processes: a `running` row whose owner process is alive blocks
//! ([`BatchError::Busy`]); one left by a process that is gone is marked failed and taken over.

use crate::model::{TemplateStats, TOP_PERFORMANCE};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;
use studio_store::{
    BatchClaim, FinishedRun, FlagChange, ProcessIdentity, Store, StoreError, TemplateFigures,
};

/// The `batch_jobs.kind` of this batch.
pub const KIND: &str = "template_stats";
/// The batch is due when no batch completed within this period.
pub const PERIOD: Duration = Duration::hours(24);

/// Top Performance: at least this many finished runs …
pub const BADGE_MIN_RUNS: u64 = 5;
/// … a success rate of at least this …
pub const BADGE_MIN_SUCCESS_RATE: f64 = 0.8;
/// … a positive measured ROI, and a place in the top tenth (rounded up, at least one) of the
/// templates that pass these bars, by measured ROI.
pub const BADGE_TOP_FRACTION: f64 = 0.1;

/// Failure patterns look at a template's last this many finished runs …
pub const FLAG_WINDOW: usize = 10;
/// … and flag a step that failed in at least this many of them.
pub const FLAG_MIN_FAILURES: usize = 3;
/// The pattern name of a step failing again and again.
pub const REPEATED_STEP_FAILURE: &str = "repeated_step_failure";

/// What started a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Trigger {
    /// The 24-hour schedule.
    Schedule,
    /// Start-up, because the batch was overdue.
    Startup,
    /// On demand (`mission batch run`).
    Manual,
}

impl Trigger {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Schedule => "schedule",
            Self::Startup => "startup",
            Self::Manual => "manual",
        }
    }
}

/// Risk derived from history and tools.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RiskLevel {
    Low,
    Medium,
    High,
}

impl RiskLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Low => "low",
            Self::Medium => "medium",
            Self::High => "high",
        }
    }
}

/// Step types that run arbitrary programs.
pub const PROGRAM_STEPS: &[&str] = &[
    "command",
    "ssh_execute",
    "process_start",
    "process_kill",
    "compile_code",
    "run_tests",
    // The project's formatter and linter (npm scripts run whatever the project says).
    "format_code",
    "lint_code",
];
/// Step types that reach other machines (web APIs, services, registry tools).
pub const NETWORK_STEPS: &[&str] = &[
    "http",
    "tool",
    "websocket_connect",
    "ftp_upload",
    "ftp_download",
    "redis_set",
    "redis_get",
    "service_health",
    "ping_host",
];
/// Step types that call a language model (cost, non-determinism).
pub const LLM_STEPS: &[&str] = &[
    "llm",
    "agent",
    "chain",
    "model_inference",
    "generate_embedding",
];
/// Step types that write, move or delete files.
pub const FILE_WRITE_STEPS: &[&str] = &[
    "create_file",
    "edit_file",
    "delete_file",
    "copy_file",
    "move_file",
    "compress",
];

/// The derived risk of a template:
///
/// * failure points from the failure rate (1 − success rate): below 10 % → 0, below 25 % → 1,
///   below 50 % → 2, 50 % or more → 4;
/// * tool points from its step types: +2 if it runs programs ([`PROGRAM_STEPS`]), +1 if it
///   reaches the network ([`NETWORK_STEPS`]), +1 if it calls a model ([`LLM_STEPS`]), +1 if it
///   writes files ([`FILE_WRITE_STEPS`]);
/// * total 0–1 → low, 2–3 → medium, 4 or more → high.
///
/// So a failure rate of half or more is always high; a reliable template that runs commands
/// and calls a web API is medium; one that also calls a model is high.
pub fn derived_risk<S: AsRef<str>>(failure_rate: f64, step_types: &[S]) -> RiskLevel {
    let failure_points = if failure_rate < 0.10 {
        0
    } else if failure_rate < 0.25 {
        1
    } else if failure_rate < 0.50 {
        2
    } else {
        4
    };
    let uses = |class: &[&str]| step_types.iter().any(|t| class.contains(&t.as_ref()));
    let tool_points = 2 * uses(PROGRAM_STEPS) as u32
        + uses(NETWORK_STEPS) as u32
        + uses(LLM_STEPS) as u32
        + uses(FILE_WRITE_STEPS) as u32;
    match failure_points + tool_points {
        0..=1 => RiskLevel::Low,
        2..=3 => RiskLevel::Medium,
        _ => RiskLevel::High,
    }
}

/// The nearest-rank percentile `p` (0 < p ≤ 100) of ascending `sorted` values: the value at
/// rank ⌈p/100 × n⌉ (1-based). 0 for no values.
pub fn percentile(sorted: &[u64], p: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// The figures of one template from its finished runs (newest first), or `None` without runs.
pub fn compute_stats<S: AsRef<str>>(
    runs: &[FinishedRun],
    value_usd: Option<f64>,
    step_types: &[S],
    now: DateTime<Utc>,
) -> Option<TemplateStats> {
    if runs.is_empty() {
        return None;
    }
    let n = runs.len() as f64;
    let completed = runs.iter().filter(|r| r.status == "completed").count() as f64;
    let value = value_usd.unwrap_or(0.0);
    let cost: f64 = runs.iter().map(|r| r.cost_usd).sum();
    let profit: f64 = runs
        .iter()
        .map(|r| (if r.status == "completed" { value } else { 0.0 }) - r.cost_usd)
        .sum();
    let avg_cost = cost / n;
    let avg_profit = profit / n;
    let success_rate = completed / n;
    let mut durations: Vec<u64> = runs.iter().map(|r| r.runtime_ms).collect();
    durations.sort_unstable();
    let last_run_at = runs
        .iter()
        .map(|r| r.started_at.as_str())
        .max()
        .map(str::to_string);
    Some(TemplateStats {
        runs: runs.len() as u64,
        success_rate,
        avg_cost_usd: avg_cost,
        avg_profit_usd: avg_profit,
        measured_roi: (avg_cost > 0.0).then(|| avg_profit / avg_cost),
        p50_duration_ms: percentile(&durations, 50.0),
        p95_duration_ms: percentile(&durations, 95.0),
        derived_risk: derived_risk(1.0 - success_rate, step_types)
            .as_str()
            .to_string(),
        last_run_at,
        computed_at: now.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
    })
}

/// The templates that earn "Top Performance": among those with at least [`BADGE_MIN_RUNS`]
/// runs, a success rate of at least [`BADGE_MIN_SUCCESS_RATE`] and a measured ROI above 0,
/// the top tenth by measured ROI — ⌈eligible / 10⌉ templates, at least one — plus any that tie
/// with the last one admitted. Sorted by id.
pub fn top_performers<'a>(
    stats: impl IntoIterator<Item = (&'a str, &'a TemplateStats)>,
) -> Vec<String> {
    let mut eligible: Vec<(&str, f64)> = stats
        .into_iter()
        .filter(|(_, s)| s.runs >= BADGE_MIN_RUNS && s.success_rate >= BADGE_MIN_SUCCESS_RATE)
        .filter_map(|(id, s)| s.measured_roi.filter(|r| *r > 0.0).map(|r| (id, r)))
        .collect();
    if eligible.is_empty() {
        return Vec::new();
    }
    eligible.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(b.0)));
    let take = ((eligible.len() as f64 * BADGE_TOP_FRACTION).ceil() as usize).max(1);
    let cutoff = eligible[take - 1].1;
    let mut ids: Vec<String> = eligible
        .into_iter()
        .filter(|(_, roi)| *roi >= cutoff)
        .map(|(id, _)| id.to_string())
        .collect();
    ids.sort();
    ids
}

/// A step that failed in at least [`FLAG_MIN_FAILURES`] of the window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FailurePattern {
    pub step_id: String,
    pub failures: u32,
    pub window_runs: u32,
    /// The runs in which it failed, newest first.
    pub run_ids: Vec<String>,
}

/// Repeated step failures: in the last [`FLAG_WINDOW`] finished runs (newest first, as given),
/// every step that ended `failed` in at least [`FLAG_MIN_FAILURES`] of them. `failed_steps`
/// gives the failed steps of a run. Sorted by step id.
pub fn failure_patterns(
    window: &[FinishedRun],
    failed_steps: &HashMap<String, Vec<String>>,
) -> Vec<FailurePattern> {
    let window = &window[..window.len().min(FLAG_WINDOW)];
    let mut by_step: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for run in window {
        let steps: BTreeSet<&str> = failed_steps
            .get(&run.run_id)
            .map(|s| s.iter().map(String::as_str).collect())
            .unwrap_or_default();
        for step in steps {
            by_step.entry(step).or_default().push(run.run_id.clone());
        }
    }
    by_step
        .into_iter()
        .filter(|(_, runs)| runs.len() >= FLAG_MIN_FAILURES)
        .map(|(step, run_ids)| FailurePattern {
            step_id: step.to_string(),
            failures: run_ids.len() as u32,
            window_runs: window.len() as u32,
            run_ids,
        })
        .collect()
}

/// What a batch did (also stored as the job's summary JSON).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BatchSummary {
    pub job_id: i64,
    pub trigger: Trigger,
    /// Templates in the index.
    pub templates: usize,
    /// Templates with at least one finished run (the others keep their estimates).
    pub templates_with_runs: usize,
    /// Finished runs counted.
    pub runs: u64,
    /// Templates with the Top Performance badge.
    pub top_performance: Vec<String>,
    /// Review flags opened by this batch.
    pub flags_created: usize,
    /// Open or acknowledged flags refreshed by this batch.
    pub flags_updated: usize,
    /// Jobs left running by processes that are gone, marked failed and taken over.
    pub taken_over: Vec<i64>,
    pub started_at: String,
    pub duration_ms: u64,
}

/// Why a batch did not run or did not finish.
#[derive(Debug, thiserror::Error)]
pub enum BatchError {
    #[error(
        "a batch is already running (job {job_id}, process {pid}, started {started_at}); wait for \
         it to finish"
    )]
    Busy {
        job_id: i64,
        pid: u32,
        started_at: String,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Whether the batch is due at `now`: no batch completed within [`PERIOD`] before it.
pub fn batch_due(store: &Store, now: DateTime<Utc>) -> Result<bool, StoreError> {
    Ok(next_due(store, now, PERIOD)? <= now)
}

/// When the batch is next due: [`PERIOD`] (or `period`) after the last completed batch ended,
/// or `now` when none ever completed.
pub fn next_due(
    store: &Store,
    now: DateTime<Utc>,
    period: Duration,
) -> Result<DateTime<Utc>, StoreError> {
    let last = store.last_batch(KIND, Some("completed"))?;
    let ended = last
        .and_then(|j| j.finished_at.or(Some(j.started_at)))
        .and_then(|t| DateTime::parse_from_rfc3339(&t).ok())
        .map(|t| t.with_timezone(&Utc));
    Ok(match ended {
        Some(t) => t + period,
        None => now,
    })
}

/// Runs the batch in this process (see the module documentation).
pub fn run_batch(
    store: &mut Store,
    trigger: Trigger,
    now: DateTime<Utc>,
) -> Result<BatchSummary, BatchError> {
    run_batch_as(
        store,
        trigger,
        now,
        ProcessIdentity::current(),
        ProcessIdentity::is_alive,
    )
}

/// [`run_batch`] with an explicit owner and liveness check (what the lock sees).
pub fn run_batch_as(
    store: &mut Store,
    trigger: Trigger,
    now: DateTime<Utc>,
    owner: ProcessIdentity,
    is_alive: impl Fn(&ProcessIdentity) -> bool,
) -> Result<BatchSummary, BatchError> {
    let (job_id, taken_over) =
        match store.claim_batch(KIND, trigger.as_str(), owner, now, is_alive)? {
            BatchClaim::Claimed { job_id, taken_over } => (job_id, taken_over),
            BatchClaim::Busy { job } => {
                return Err(BatchError::Busy {
                    job_id: job.job_id,
                    pid: job.owner_pid.unwrap_or(0),
                    started_at: job.started_at,
                })
            }
        };
    let clock = std::time::Instant::now();
    match compute_and_write(store, trigger, now, job_id, taken_over) {
        Ok(mut summary) => {
            summary.duration_ms = clock.elapsed().as_millis() as u64;
            let doc = serde_json::to_value(&summary).unwrap_or_default();
            store.finish_batch(job_id, Ok(&doc), Utc::now())?;
            Ok(summary)
        }
        Err(e) => {
            let _ = store.finish_batch(job_id, Err(&e.to_string()), Utc::now());
            Err(e.into())
        }
    }
}

/// The step types of a template: from its file, else from its recorded runs.
fn step_types(store: &Store, template_id: &str, path: &str) -> Result<Vec<String>, StoreError> {
    match studio_core::load_file(Path::new(path)) {
        Ok(loaded) => Ok(loaded
            .mission
            .steps
            .iter()
            .map(|s| s.step_type.clone())
            .collect()),
        Err(_) => store.step_types_of_runs(template_id),
    }
}

fn compute_and_write(
    store: &mut Store,
    trigger: Trigger,
    now: DateTime<Utc>,
    job_id: i64,
    taken_over: Vec<i64>,
) -> Result<BatchSummary, StoreError> {
    let templates = store.template_rows()?;
    let mut computed: Vec<(String, Option<TemplateStats>)> = Vec::with_capacity(templates.len());
    let mut patterns: Vec<(String, Vec<FailurePattern>)> = Vec::new();
    let mut runs_total = 0;
    for t in &templates {
        let id = &t.record.template_id;
        let runs = store.finished_runs(id)?;
        if runs.is_empty() {
            computed.push((id.clone(), None));
            continue;
        }
        runs_total += runs.len() as u64;
        let types = step_types(store, id, &t.record.path)?;
        computed.push((
            id.clone(),
            compute_stats(&runs, t.record.value_usd, &types, now),
        ));

        // Failures of runs started after the last resolution of a flag of the same step do
        // not count twice: a resolved flag means the cause was dealt with.
        let window = &runs[..runs.len().min(FLAG_WINDOW)];
        let mut failed = HashMap::new();
        for run in window {
            failed.insert(run.run_id.clone(), store.failed_steps(&run.run_id)?);
        }
        let mut found = Vec::new();
        for p in failure_patterns(window, &failed) {
            let resolved =
                store.last_resolved_flag_at(id, Some(&p.step_id), REPEATED_STEP_FAILURE)?;
            let p = match resolved {
                None => p,
                Some(at) => {
                    let after: Vec<FinishedRun> = window
                        .iter()
                        .filter(|r| r.started_at > at)
                        .cloned()
                        .collect();
                    match failure_patterns(&after, &failed)
                        .into_iter()
                        .find(|q| q.step_id == p.step_id)
                    {
                        Some(mut q) => {
                            q.window_runs = p.window_runs;
                            q
                        }
                        None => continue,
                    }
                }
            };
            found.push(p);
        }
        patterns.push((id.clone(), found));
    }

    let top = top_performers(
        computed
            .iter()
            .filter_map(|(id, s)| s.as_ref().map(|s| (id.as_str(), s))),
    );
    let figures: Vec<TemplateFigures> = computed
        .iter()
        .map(|(id, stats)| TemplateFigures {
            template_id: id.clone(),
            stats: stats.as_ref().and_then(|s| serde_json::to_value(s).ok()),
            badges: if top.contains(id) {
                vec![TOP_PERFORMANCE.to_string()]
            } else {
                Vec::new()
            },
            derived_risk: stats.as_ref().map(|s| s.derived_risk.clone()),
        })
        .collect();
    store.write_template_figures(&figures)?;

    let (mut created, mut updated) = (0, 0);
    for (template_id, found) in &patterns {
        for p in found {
            match store.raise_flag(
                template_id,
                Some(&p.step_id),
                REPEATED_STEP_FAILURE,
                p.failures,
                p.window_runs,
                &p.run_ids,
                now,
            )? {
                FlagChange::Created(_) => created += 1,
                FlagChange::Updated(_) => updated += 1,
            }
        }
    }

    Ok(BatchSummary {
        job_id,
        trigger,
        templates: templates.len(),
        templates_with_runs: computed.iter().filter(|(_, s)| s.is_some()).count(),
        runs: runs_total,
        top_performance: top,
        flags_created: created,
        flags_updated: updated,
        taken_over,
        started_at: now.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        duration_ms: 0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let v: Vec<u64> = (1..=20).map(|i| i * 10).collect();
        assert_eq!(percentile(&v, 50.0), 100, "rank 10 of 20");
        assert_eq!(percentile(&v, 95.0), 190, "rank 19 of 20");
        assert_eq!(percentile(&[7], 95.0), 7);
        assert_eq!(percentile(&[1, 2, 3], 50.0), 2, "rank ⌈1.5⌉ = 2");
        assert_eq!(percentile(&[], 50.0), 0);
    }

    fn figures(runs: u64, success_rate: f64, roi: Option<f64>) -> TemplateStats {
        TemplateStats {
            runs,
            success_rate,
            avg_cost_usd: 1.0,
            avg_profit_usd: roi.unwrap_or(0.0),
            measured_roi: roi,
            p50_duration_ms: 0,
            p95_duration_ms: 0,
            derived_risk: "low".into(),
            last_run_at: None,
            computed_at: String::new(),
        }
    }

    #[test]
    fn the_badge_goes_to_the_top_tenth_of_the_eligible_with_ties() {
        // 13 eligible: ROI 1..=12 and a second 11. ⌈13/10⌉ = 2 places (ROI 12, then 11) …
        let mut all: Vec<(String, TemplateStats)> = (1..=12)
            .map(|i| (format!("t{i:02}"), figures(5, 0.8, Some(i as f64))))
            .collect();
        // … and the one tying with the last admitted gets it too; three miss a bar.
        all.push(("tie".into(), figures(9, 1.0, Some(11.0))));
        all.push(("few".into(), figures(4, 1.0, Some(99.0))));
        all.push(("unreliable".into(), figures(50, 0.79, Some(99.0))));
        all.push(("loss".into(), figures(50, 1.0, Some(-1.0))));
        let top = top_performers(all.iter().map(|(id, s)| (id.as_str(), s)));
        assert_eq!(top, vec!["t11", "t12", "tie"]);
        let one = [("only".to_string(), figures(5, 1.0, Some(0.1)))];
        assert_eq!(
            top_performers(one.iter().map(|(id, s)| (id.as_str(), s))),
            vec!["only"],
            "at least one"
        );
    }

    #[test]
    fn risk_adds_failure_and_tool_points() {
        let none: [&str; 0] = [];
        assert_eq!(derived_risk(0.0, &none), RiskLevel::Low);
        assert_eq!(derived_risk(0.0, &["noop", "llm"]), RiskLevel::Low);
        assert_eq!(derived_risk(0.0, &["http", "llm"]), RiskLevel::Medium);
        assert_eq!(derived_risk(0.0, &["command", "http"]), RiskLevel::Medium);
        assert_eq!(
            derived_risk(0.0, &["command", "http", "llm"]),
            RiskLevel::High
        );
        assert_eq!(derived_risk(0.2, &["llm"]), RiskLevel::Medium);
        assert_eq!(derived_risk(0.5, &none), RiskLevel::High);
        assert_eq!(derived_risk(0.3, &["create_file", "http"]), RiskLevel::High);
    }
}
