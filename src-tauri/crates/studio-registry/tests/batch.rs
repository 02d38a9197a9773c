//! The daily batch on a real SQLite file with a known history: runs and step results written
//! through the store as the engine's sink writes them, template files on disk. Every figure,
//! badge and flag is checked exactly; so are the run-once lock, `batch_due` and the schedule.

use chrono::{DateTime, Duration, TimeZone, Utc};
use serde_json::json;
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use studio_core::{RunStatus, StepStatus};
use studio_engine::{Event, EventType, Usage};
use studio_registry::batch::{self, BatchError, Trigger, REPEATED_STEP_FAILURE};
use studio_registry::review::{self, FlagStatus};
use studio_registry::schedule::{ScheduleConfig, Scheduler};
use studio_registry::{TemplateStats, TOP_PERFORMANCE};
use studio_store::{
    BatchClaim, NewRun, ProcessIdentity, StepRow, Store, TemplateRecord, Write, BATCH_OWNER_GONE,
};

/// A template file with these steps (id, step type), indexed into `mission_templates`.
fn template(
    store: &mut Store,
    dir: &Path,
    id: &str,
    value_usd: Option<f64>,
    steps: &[(&str, &str)],
) {
    let path = dir.join(format!("{id}.yaml"));
    let mut yaml = format!(
        "version: \"1.0\"\nid: {id}\nname: Template {id}\nsector: Operations\n\
         required_depts: [ops]\ngoal: Goal of {id}\nsteps:\n"
    );
    for (step, ty) in steps {
        let params = match *ty {
            "command" => "{command: \"true\"}",
            "http" => "{url: \"http://127.0.0.1:9/x\"}",
            "llm" => "{prompt: \"hi\"}",
            _ => "{}",
        };
        yaml.push_str(&format!(
            "  - id: {step}\n    step_type: {ty}\n    parameters: {params}\n"
        ));
    }
    std::fs::write(&path, yaml).unwrap();
    studio_core::load_file(&path).expect("the template file loads");
    let record = TemplateRecord {
        template_id: id.into(),
        path: path.display().to_string(),
        source: "builtin".into(),
        name: format!("Template {id}"),
        sector: Some("Operations".into()),
        risk: Some("low".into()),
        goal: Some(format!("Goal of {id}")),
        tags: vec![],
        required_depts: vec!["ops".into()],
        est_roi: Some(1.0),
        value_usd,
        logic_hash: format!("sha256:{id}"),
        content_hash: format!("sha256:c-{id}"),
        valid: true,
        diagnostics: json!([]),
        needs: Vec::new(),
    };
    let mut keep: HashSet<String> = store
        .template_rows()
        .unwrap()
        .into_iter()
        .map(|r| r.record.template_id)
        .collect();
    keep.insert(id.into());
    store.upsert_templates(&[record], &keep).unwrap();
}

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap()
}

fn at(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// Records a finished run of `template` started `minute` minutes after [`t0`]: `failed` steps
/// end failed, the others succeed.
#[allow(clippy::too_many_arguments)]
fn run(
    store: &mut Store,
    template: &str,
    run_id: &str,
    started: DateTime<Utc>,
    end: EventType,
    cost_usd: f64,
    runtime_ms: u64,
    steps: &[&str],
    failed: &[&str],
) {
    let event = |seq: u64, t: EventType, status: RunStatus, when: DateTime<Utc>| Event {
        event_type: t,
        mission_id: template.into(),
        run_id: run_id.into(),
        trace_id: "trace".into(),
        seq,
        idempotency_key: format!("{run_id}:-:0:{}/final", t.as_str()),
        step_id: None,
        attempt: None,
        status,
        step_status: None,
        summary: format!("run {}: test", status.as_str()),
        artifact_refs: vec![],
        usage: Usage {
            runtime_ms: if t.is_final() { runtime_ms } else { 0 },
            cost_usd: if t.is_final() { cost_usd } else { 0.0 },
            ..Usage::default()
        },
        emitted_at: at(when),
        detail: None,
    };
    let final_status = match end {
        EventType::Completed => RunStatus::Completed,
        EventType::TimedOut => RunStatus::TimedOut,
        EventType::Cancelled => RunStatus::Cancelled,
        _ => RunStatus::Failed,
    };
    let mut writes = vec![Write::Accept(
        Box::new(NewRun {
            run_id: run_id.into(),
            mission_id: template.into(),
            mission_name: template.into(),
            trace_id: "trace".into(),
            logic_hash: format!("sha256:{template}"),
            evidence_dir: None,
            resumed_from: None,
            mission: json!({"name": template, "steps": []}),
            context: json!({}),
            steps: steps
                .iter()
                .map(|s| (s.to_string(), "noop".to_string()))
                .collect(),
            owner: ProcessIdentity::current(),
        }),
        event(1, EventType::Accepted, RunStatus::Running, started),
    )];
    for (i, step) in steps.iter().enumerate() {
        let failed = failed.contains(step);
        writes.push(Write::Step {
            run_id: run_id.into(),
            row: StepRow {
                step_id: step.to_string(),
                position: i as u32,
                step_type: "noop".into(),
                status: if failed {
                    StepStatus::Failed
                } else {
                    StepStatus::Success
                },
                output: None,
                error: failed.then(|| "boom".to_string()),
                attempts: 1,
                started_at: Some(at(started)),
                finished_at: Some(at(started)),
                duration_ms: 1,
                reused_from: None,
            },
        });
    }
    let ended = started + Duration::milliseconds(runtime_ms as i64);
    writes.push(Write::Event(event(2, end, final_status, ended)));
    store.apply(&writes).unwrap();
}

fn stats(store: &Store, id: &str) -> Option<TemplateStats> {
    store
        .template_row(id)
        .unwrap()
        .unwrap()
        .stats
        .map(|v| serde_json::from_value(v).unwrap())
}

fn badges(store: &Store, id: &str) -> Vec<String> {
    store.template_row(id).unwrap().unwrap().badges
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

struct History {
    _dir: tempfile::TempDir,
    db: PathBuf,
    store: Store,
}

/// The known history (figures worked out in the comments).
fn history() -> History {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("history.db");
    let mut store = Store::open(&db).unwrap();
    let files = dir.path().join("templates");
    std::fs::create_dir_all(&files).unwrap();
    let s = &mut store;
    let minute = |m: i64| t0() + Duration::minutes(m);

    // alpha: value 10, steps noop + llm. 5 completed, 1 failed, 1 cancelled (left out).
    // costs 1,1,2,2,1 (+1 failed) = 8 over 6 runs; profit 9+9+8+8+9-1 = 42 → avg 7;
    // ROI 7 / (8/6) = 5.25; durations 100..600 → p50 rank 3 = 300, p95 rank 6 = 600;
    // failure 1/6 (1 point) + llm (1 point) = 2 → medium. Eligible for the badge.
    template(
        s,
        &files,
        "t.alpha",
        Some(10.0),
        &[("a", "noop"), ("b", "llm")],
    );
    let alpha = [(1.0, 100), (1.0, 200), (2.0, 300), (2.0, 400), (1.0, 500)];
    for (i, (cost, ms)) in alpha.iter().enumerate() {
        let id = format!("alpha-{i}");
        run(
            s,
            "t.alpha",
            &id,
            minute(i as i64),
            EventType::Completed,
            *cost,
            *ms,
            &["a", "b"],
            &[],
        );
    }
    run(
        s,
        "t.alpha",
        "alpha-5",
        minute(5),
        EventType::Failed,
        1.0,
        600,
        &["a", "b"],
        &["b"],
    );
    run(
        s,
        "t.alpha",
        "alpha-x",
        minute(6),
        EventType::Cancelled,
        9.0,
        9999,
        &["a", "b"],
        &[],
    );

    // beta: value 4, command + http; 5 completed at cost 1 → ROI 3, success 1;
    // tools 2 + 1 = 3 → medium. Eligible, but below alpha: the top tenth of 2 is 1 template.
    template(
        s,
        &files,
        "t.beta",
        Some(4.0),
        &[("run", "command"), ("call", "http")],
    );
    for i in 0..5 {
        let id = format!("beta-{i}");
        run(
            s,
            "t.beta",
            &id,
            minute(10 + i),
            EventType::Completed,
            1.0,
            1000 + 10 * i as u64,
            &["run", "call"],
            &[],
        );
    }

    // gamma: value 100, ROI 99 but only 4 runs: not eligible.
    template(
        s,
        &files,
        "t.gamma",
        Some(100.0),
        &[("ask", "llm"), ("write", "create_file")],
    );
    for i in 0..4 {
        let id = format!("gamma-{i}");
        run(
            s,
            "t.gamma",
            &id,
            minute(20 + i),
            EventType::Completed,
            1.0,
            50,
            &["ask"],
            &[],
        );
    }

    // delta: value 50, 10 runs, `fetch` failed in 3 of them (runs 2, 5, 8) → one flag;
    // success 0.7 → no badge; failure 30 % (2 points), noop (0) → medium.
    template(
        s,
        &files,
        "t.delta",
        Some(50.0),
        &[("fetch", "noop"), ("store", "noop")],
    );
    for i in 0..10 {
        let id = format!("delta-{i}");
        let fails = [2, 5, 8].contains(&i);
        let (end, failed): (EventType, &[&str]) = if fails {
            (EventType::Failed, &["fetch"])
        } else {
            (EventType::Completed, &[])
        };
        run(
            s,
            "t.delta",
            &id,
            minute(30 + i),
            end,
            0.5,
            200,
            &["fetch", "store"],
            failed,
        );
    }

    // epsilon: costs nothing → ROI None, no badge; `flaky` failed (continue_on_error) in 2
    // of the last 10 runs → no flag. Timed-out run counts as a finished failure.
    template(s, &files, "t.epsilon", Some(5.0), &[("flaky", "noop")]);
    for i in 0..5 {
        let id = format!("epsilon-{i}");
        let failed: &[&str] = if i < 2 { &["flaky"] } else { &[] };
        run(
            s,
            "t.epsilon",
            &id,
            minute(50 + i),
            EventType::Completed,
            0.0,
            10,
            &["flaky"],
            failed,
        );
    }
    run(
        s,
        "t.epsilon",
        "epsilon-t",
        minute(56),
        EventType::TimedOut,
        0.0,
        70,
        &["flaky"],
        &[],
    );

    // zeta: `old` failed in its 3 oldest runs, then 10 completed runs: outside the window.
    template(s, &files, "t.zeta", Some(1.0), &[("old", "noop")]);
    for i in 0..13 {
        let id = format!("zeta-{i}");
        let (end, failed): (EventType, &[&str]) = if i < 3 {
            (EventType::Failed, &["old"])
        } else {
            (EventType::Completed, &[])
        };
        run(
            s,
            "t.zeta",
            &id,
            minute(60 + i),
            end,
            0.1,
            10,
            &["old"],
            failed,
        );
    }

    // eta: no runs → stats stay NULL. Runs of a mission that is not a template are ignored.
    template(s, &files, "t.eta", Some(3.0), &[("x", "noop")]);
    run(
        s,
        "adhoc.mission",
        "adhoc-0",
        minute(80),
        EventType::Failed,
        5.0,
        5,
        &["x"],
        &["x"],
    );

    History {
        _dir: dir,
        db,
        store,
    }
}

#[test]
fn the_batch_computes_every_figure_badge_and_flag_exactly() {
    let mut h = history();
    let now = t0() + Duration::days(2);
    let summary = batch::run_batch(&mut h.store, Trigger::Manual, now).unwrap();
    assert_eq!(summary.templates, 7);
    assert_eq!(summary.templates_with_runs, 6, "eta has no runs");
    assert_eq!(summary.runs, 6 + 5 + 4 + 10 + 6 + 13);
    assert_eq!(summary.top_performance, vec!["t.alpha"]);
    assert_eq!((summary.flags_created, summary.flags_updated), (1, 0));

    let a = stats(&h.store, "t.alpha").expect("alpha has stats");
    assert_eq!(a.runs, 6, "the cancelled run is left out");
    assert!(close(a.success_rate, 5.0 / 6.0), "{}", a.success_rate);
    assert!(close(a.avg_cost_usd, 8.0 / 6.0), "{}", a.avg_cost_usd);
    assert!(close(a.avg_profit_usd, 7.0), "{}", a.avg_profit_usd);
    assert!(close(a.measured_roi.unwrap(), 5.25), "{:?}", a.measured_roi);
    assert_eq!((a.p50_duration_ms, a.p95_duration_ms), (300, 600));
    assert_eq!(a.derived_risk, "medium");
    assert_eq!(a.last_run_at.as_deref(), Some("2026-01-01T00:05:00.000Z"));
    assert_eq!(a.computed_at, at(now));
    assert_eq!(badges(&h.store, "t.alpha"), vec![TOP_PERFORMANCE]);
    let row = h.store.template_row("t.alpha").unwrap().unwrap();
    assert_eq!(row.derived_risk.as_deref(), Some("medium"));

    let b = stats(&h.store, "t.beta").unwrap();
    assert_eq!((b.runs, b.success_rate), (5, 1.0));
    assert!(close(b.avg_cost_usd, 1.0) && close(b.avg_profit_usd, 3.0));
    assert!(close(b.measured_roi.unwrap(), 3.0));
    assert_eq!((b.p50_duration_ms, b.p95_duration_ms), (1020, 1040));
    assert_eq!(b.derived_risk, "medium", "command (2) + http (1)");
    assert!(badges(&h.store, "t.beta").is_empty(), "only the top tenth");

    let g = stats(&h.store, "t.gamma").unwrap();
    assert!(close(g.measured_roi.unwrap(), 99.0));
    assert_eq!(g.derived_risk, "medium", "llm (1) + file writes (1)");
    assert!(badges(&h.store, "t.gamma").is_empty(), "4 runs are too few");

    let d = stats(&h.store, "t.delta").unwrap();
    assert!(close(d.success_rate, 0.7));
    assert!(close(d.avg_profit_usd, (7.0 * 50.0 - 10.0 * 0.5) / 10.0));
    assert_eq!(d.derived_risk, "medium");
    assert!(badges(&h.store, "t.delta").is_empty());

    let e = stats(&h.store, "t.epsilon").unwrap();
    assert_eq!(e.runs, 6, "a timed-out run counts");
    assert!(close(e.success_rate, 5.0 / 6.0));
    assert_eq!(e.measured_roi, None, "no cost, no ROI");
    assert!(close(e.avg_profit_usd, 25.0 / 6.0));
    assert_eq!((e.p50_duration_ms, e.p95_duration_ms), (10, 70));
    assert!(badges(&h.store, "t.epsilon").is_empty());

    assert!(
        stats(&h.store, "t.eta").is_none(),
        "no runs: stats stay NULL"
    );
    assert_eq!(
        h.store.template_row("t.eta").unwrap().unwrap().derived_risk,
        None
    );

    let flags = review::list(&h.store, None).unwrap();
    assert_eq!(flags.len(), 1, "{flags:?}");
    let f = &flags[0];
    assert_eq!(f.template_id, "t.delta");
    assert_eq!(f.step_id.as_deref(), Some("fetch"));
    assert_eq!(f.pattern, REPEATED_STEP_FAILURE);
    assert_eq!((f.failures, f.window_runs), (3, 10));
    assert_eq!(f.run_ids, vec!["delta-8", "delta-5", "delta-2"]);
    assert_eq!(f.status, "open");

    let job = h.store.last_batch(batch::KIND, None).unwrap().unwrap();
    assert_eq!(
        (job.status.as_str(), job.trigger.as_str()),
        ("completed", "manual")
    );
    let recorded = job.summary.unwrap();
    assert_eq!(recorded["templates_with_runs"], 6);
    assert_eq!(recorded["flags_created"], 1);
    assert_eq!(recorded["top_performance"], json!(["t.alpha"]));
}

#[test]
fn flags_are_not_duplicated_and_a_resolved_flag_returns_only_for_new_failures() {
    let mut h = history();
    let now = t0() + Duration::days(2);
    batch::run_batch(&mut h.store, Trigger::Manual, now).unwrap();
    let again = batch::run_batch(&mut h.store, Trigger::Manual, now + Duration::hours(1)).unwrap();
    assert_eq!((again.flags_created, again.flags_updated), (0, 1));
    let flags = review::list(&h.store, Some(FlagStatus::Open)).unwrap();
    assert_eq!(flags.len(), 1, "one open flag per template and step");

    let resolved_at = now + Duration::hours(2);
    let flag = review::resolve(
        &mut h.store,
        flags[0].flag_id,
        Some("retry added"),
        resolved_at,
    )
    .unwrap();
    assert_eq!(flag.status, "resolved");
    assert_eq!(flag.note.as_deref(), Some("retry added"));
    let after = batch::run_batch(&mut h.store, Trigger::Manual, now + Duration::hours(3)).unwrap();
    assert_eq!(
        (after.flags_created, after.flags_updated),
        (0, 0),
        "failures before the resolution do not raise it again"
    );
    assert!(review::list(&h.store, Some(FlagStatus::Open))
        .unwrap()
        .is_empty());

    // Two new failures are not enough, a third is.
    for i in 0..3 {
        let started = resolved_at + Duration::minutes(10 + i);
        let id = format!("delta-new-{i}");
        run(
            &mut h.store,
            "t.delta",
            &id,
            started,
            EventType::Failed,
            0.5,
            200,
            &["fetch", "store"],
            &["fetch"],
        );
        let s = batch::run_batch(
            &mut h.store,
            Trigger::Manual,
            started + Duration::minutes(1),
        )
        .unwrap();
        assert_eq!(
            s.flags_created,
            usize::from(i == 2),
            "after {} new failures",
            i + 1
        );
    }
    let open = review::list(&h.store, Some(FlagStatus::Open)).unwrap();
    assert_eq!(open.len(), 1);
    assert_eq!(
        open[0].run_ids,
        vec!["delta-new-2", "delta-new-1", "delta-new-0"]
    );
    assert_eq!(open[0].window_runs, 10);
    assert_eq!(
        review::list(&h.store, Some(FlagStatus::Resolved))
            .unwrap()
            .len(),
        1
    );
    assert!(matches!(
        review::resolve(&mut h.store, 9999, None, now),
        Err(studio_registry::ReviewError::NotFound(9999))
    ));
}

/// A process that is certainly gone: a child that was reaped.
fn dead_process() -> ProcessIdentity {
    let mut child = std::process::Command::new("true").spawn().unwrap();
    let identity = ProcessIdentity {
        pid: child.id(),
        start_ticks: Some(1),
    };
    child.wait().unwrap();
    identity
}

#[test]
fn a_live_running_batch_blocks_and_a_dead_ones_lock_is_taken_over() {
    let mut h = history();
    let now = t0() + Duration::days(2);
    // Another live process (this test's own identity stands for it) holds the lock.
    let mut other = Store::open(&h.db).unwrap();
    let BatchClaim::Claimed { job_id: held, .. } = other
        .claim_batch(
            batch::KIND,
            "schedule",
            ProcessIdentity::current(),
            now,
            ProcessIdentity::is_alive,
        )
        .unwrap()
    else {
        panic!("the lock was free")
    };
    match batch::run_batch(&mut h.store, Trigger::Manual, now) {
        Err(BatchError::Busy { job_id, pid, .. }) => {
            assert_eq!(job_id, held);
            assert_eq!(pid, std::process::id());
        }
        other => panic!("a live owner blocks the batch, got {other:?}"),
    }
    other
        .finish_batch(held, Err("stopped by the test"), now)
        .unwrap();

    // A job left running by a process that is gone is taken over and marked failed.
    let BatchClaim::Claimed { job_id: orphan, .. } = other
        .claim_batch(batch::KIND, "startup", dead_process(), now, |_| true)
        .unwrap()
    else {
        panic!("the lock was free")
    };
    let summary = batch::run_batch(&mut h.store, Trigger::Manual, now).unwrap();
    assert_eq!(summary.taken_over, vec![orphan]);
    let jobs = h.store.batch_jobs(batch::KIND).unwrap();
    let orphan_row = jobs.iter().find(|j| j.job_id == orphan).unwrap();
    assert_eq!(orphan_row.status, "failed");
    assert_eq!(orphan_row.error.as_deref(), Some(BATCH_OWNER_GONE));
    assert_eq!(jobs.iter().filter(|j| j.status == "running").count(), 0);
}

#[test]
fn the_batch_is_due_when_none_completed_in_the_last_24_hours() {
    let mut h = history();
    let now = Utc::now();
    assert!(batch::batch_due(&h.store, now).unwrap(), "never ran");
    batch::run_batch(&mut h.store, Trigger::Manual, now).unwrap();
    let ended = now; // finished_at is the wall clock, at or after `now`
    assert!(!batch::batch_due(&h.store, ended).unwrap());
    assert!(!batch::batch_due(&h.store, ended + Duration::hours(23)).unwrap());
    assert!(batch::batch_due(&h.store, ended + Duration::hours(25)).unwrap());
    // A failed batch does not count as done.
    let mut other = Store::open(&h.db).unwrap();
    let BatchClaim::Claimed { job_id, .. } = other
        .claim_batch(
            batch::KIND,
            "manual",
            ProcessIdentity::current(),
            now,
            |_| true,
        )
        .unwrap()
    else {
        panic!("free")
    };
    other
        .finish_batch(job_id, Err("broken"), now + Duration::hours(30))
        .unwrap();
    assert!(batch::batch_due(&h.store, ended + Duration::hours(25)).unwrap());
}

#[test]
fn the_scheduler_runs_an_overdue_batch_at_start_up_then_every_period_and_stops() {
    let h = history();
    let attempts: Arc<Mutex<Vec<Trigger>>> = Arc::default();
    let seen = Arc::clone(&attempts);
    let config = ScheduleConfig {
        database: h.db.clone(),
        period: Duration::milliseconds(300),
        poll: std::time::Duration::from_millis(50),
    };
    let scheduler = Scheduler::start(config, move |a| {
        seen.lock()
            .unwrap()
            .push(a.expect("the scheduled batch completes").trigger);
    })
    .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while attempts.lock().unwrap().len() < 3 && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    scheduler.stop();
    let triggers = attempts.lock().unwrap().clone();
    assert!(triggers.len() >= 3, "{triggers:?}");
    assert_eq!(triggers[0], Trigger::Startup, "overdue at start-up");
    assert!(
        triggers[1..].iter().all(|t| *t == Trigger::Schedule),
        "{triggers:?}"
    );
    let store = Store::open(&h.db).unwrap();
    let jobs = store.batch_jobs(batch::KIND).unwrap();
    assert_eq!(jobs.len(), triggers.len(), "stopped: no batch after stop()");
    assert!(jobs.iter().all(|j| j.status == "completed"));
    assert!(stats(&store, "t.alpha").is_some());
}

#[test]
fn the_scheduler_waits_when_a_batch_completed_recently() {
    let mut h = history();
    batch::run_batch(&mut h.store, Trigger::Manual, Utc::now()).unwrap();
    let attempts = Arc::new(Mutex::new(0));
    let seen = Arc::clone(&attempts);
    let scheduler = Scheduler::start(ScheduleConfig::daily(h.db.clone()), move |_| {
        *seen.lock().unwrap() += 1;
    })
    .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));
    scheduler.stop();
    assert_eq!(*attempts.lock().unwrap(), 0, "not due for 24 hours");
    assert_eq!(h.store.batch_jobs(batch::KIND).unwrap().len(), 1);
}
