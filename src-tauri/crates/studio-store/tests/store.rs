//! The store on real SQLite files: migrations, the version guard, the settings, the
//! idempotency rules, every query, recovery, and the sink's commit-before-report rule with a
//! real engine run.

use serde_json::{json, Value};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use studio_core::{Mission, RunStatus, StepStatus};
use studio_engine::{
    run_mission, CollectingSink, Event, EventSink, EventType, RunOptions, SinkError, StepRecord,
    Usage,
};
use studio_store::{
    NewRun, ProcessIdentity, RunFilter, Store, StoreError, StoreSink, Write, INTERRUPTED,
    SCHEMA_VERSION, STEP_INTERRUPTED, STEP_NOT_STARTED,
};

fn db(dir: &tempfile::TempDir) -> PathBuf {
    dir.path().join("history.db")
}

fn event(run: &str, seq: u64, t: EventType, step: Option<&str>, phase: &str) -> Event {
    Event {
        event_type: t,
        mission_id: "m.test".into(),
        run_id: run.into(),
        trace_id: "trace".into(),
        seq,
        idempotency_key: format!("{run}:{}:1:{}/{phase}", step.unwrap_or("-"), t.as_str()),
        step_id: step.map(Into::into),
        attempt: step.map(|_| 1),
        status: if t.is_final() {
            RunStatus::Completed
        } else {
            RunStatus::Running
        },
        step_status: None,
        summary: if t == EventType::Failed {
            "run failed: step `b` failed: boom".into()
        } else {
            format!("{phase} {seq}")
        },
        artifact_refs: vec![],
        usage: Usage {
            runtime_ms: seq * 10,
            ..Usage::default()
        },
        emitted_at: format!("2026-01-0{}T00:00:00.{seq:03}Z", 1 + seq % 8),
        detail: None,
    }
}

fn new_run(run: &str, owner: ProcessIdentity) -> NewRun {
    NewRun {
        run_id: run.into(),
        mission_id: "m.test".into(),
        mission_name: "Test".into(),
        trace_id: "trace".into(),
        logic_hash: "sha256:x".into(),
        evidence_dir: Some(format!("/evidence/{run}")),
        resumed_from: None,
        mission: json!({"name": "Test", "steps": [
            {"id": "a", "step_type": "noop"},
            {"id": "b", "step_type": "command"},
            {"id": "c", "step_type": "noop"}
        ]}),
        context: json!({"who": "me"}),
        steps: vec![
            ("a".into(), "noop".into()),
            ("b".into(), "command".into()),
            ("c".into(), "noop".into()),
        ],
        owner,
    }
}

fn step_row(id: &str, position: u32, status: StepStatus, output: Value) -> studio_store::StepRow {
    studio_store::StepRow {
        step_id: id.into(),
        position,
        step_type: "noop".into(),
        status,
        output: Some(output),
        error: None,
        attempts: 1,
        started_at: Some("2026-01-01T00:00:00.000Z".into()),
        finished_at: Some("2026-01-01T00:00:01.000Z".into()),
        duration_ms: 1000,
        reused_from: None,
    }
}

/// A process that is certainly gone: a child that was reaped.
fn dead_process() -> ProcessIdentity {
    let mut child = std::process::Command::new("true").spawn().unwrap();
    let pid = child.id();
    let identity = ProcessIdentity {
        pid,
        start_ticks: Some(1),
    };
    child.wait().unwrap();
    identity
}

#[test]
fn an_empty_file_is_migrated_and_reopened_with_the_settings_checked() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(db(&dir)).unwrap();
    assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
    drop(store);
    let again = Store::open(db(&dir)).expect("a second open finds the schema current");
    assert_eq!(again.schema_version().unwrap(), SCHEMA_VERSION);
    assert_eq!(again.integrity_check().unwrap(), vec!["ok".to_string()]);
    assert!(
        dir.path().join("history.db-wal").exists(),
        "the database runs in WAL mode"
    );
}

#[test]
fn a_database_from_a_newer_build_is_refused_untouched_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    drop(Store::open(db(&dir)).unwrap());
    // A newer build migrated the file further.
    {
        let conn = rusqlite::Connection::open(db(&dir)).unwrap();
        conn.pragma_update(None, "user_version", SCHEMA_VERSION + 3)
            .unwrap();
    }
    let err = Store::open(db(&dir)).unwrap_err();
    let message = err.to_string();
    assert!(
        matches!(err, StoreError::TooNew { found, supported, .. }
            if found == SCHEMA_VERSION + 3 && supported == SCHEMA_VERSION),
        "{err:?}"
    );
    for needle in [
        format!("schema version {}", SCHEMA_VERSION + 3),
        format!("up to {SCHEMA_VERSION}"),
        "newer Mission Studio".into(),
        "Update Mission Studio".into(),
        "--data-dir".into(),
    ] {
        assert!(message.contains(&needle), "`{needle}` in: {message}");
    }
    let conn = rusqlite::Connection::open(db(&dir)).unwrap();
    let version: u32 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    assert_eq!(
        version,
        SCHEMA_VERSION + 3,
        "the refused file is left as it was"
    );
}

#[test]
fn a_duplicate_event_is_a_no_op_and_a_changed_payload_under_the_same_key_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(db(&dir)).unwrap();
    let accepted = event("r1", 1, EventType::Accepted, None, "accepted");
    let first = store
        .apply(&[Write::Accept(
            Box::new(new_run("r1", ProcessIdentity::current())),
            accepted.clone(),
        )])
        .unwrap();
    assert_eq!(first.inserted, 1);
    let again = store.apply(&[Write::Event(accepted.clone())]).unwrap();
    assert_eq!(
        (again.inserted, again.duplicates),
        (0, 1),
        "same key, same payload: nothing new"
    );
    let mut changed = accepted.clone();
    changed.summary = "something else".into();
    let err = store.apply(&[Write::Event(changed)]).unwrap_err();
    assert!(
        matches!(&err, StoreError::IdempotencyConflict { key } if *key == accepted.idempotency_key),
        "{err:?}"
    );
    // Another key on a taken seq is refused too, and a failed batch leaves nothing behind.
    let mut other = event("r1", 1, EventType::Progress, Some("a"), "started");
    other.idempotency_key = "r1:a:1:other".into();
    let progress = event("r1", 2, EventType::Progress, Some("a"), "started");
    let err = store
        .apply(&[Write::Event(progress), Write::Event(other)])
        .unwrap_err();
    assert!(
        matches!(err, StoreError::SeqConflict { seq: 1, .. }),
        "{err:?}"
    );
    assert_eq!(
        store.events("r1", 0).unwrap().len(),
        1,
        "the refused batch was rolled back whole"
    );
}

#[test]
fn a_large_batch_with_a_duplicate_inside_is_applied_and_counted_like_write_by_write() {
    // More rows than one multi-row statement takes, so that the chunked writes, the fallback
    // and the tail statements are all exercised.
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(db(&dir)).unwrap();
    let accepted = event("r1", 1, EventType::Accepted, None, "accepted");
    let mut batch = vec![Write::Accept(
        Box::new(new_run("r1", ProcessIdentity::current())),
        accepted.clone(),
    )];
    for i in 0..45u64 {
        let step = format!("s{i}");
        batch.push(Write::Event(event(
            "r1",
            2 + i,
            EventType::Progress,
            Some(&step),
            "started",
        )));
        batch.push(Write::Step {
            run_id: "r1".into(),
            row: step_row(&step, i as u32, StepStatus::Success, json!({ "i": i })),
        });
    }
    let applied = store.apply(&batch).unwrap();
    assert_eq!((applied.inserted, applied.duplicates), (46, 0));
    assert_eq!(store.events("r1", 0).unwrap().len(), 46);
    assert_eq!(store.steps("r1").unwrap().len(), 45);

    // A duplicate amid new events: the new ones go in, the duplicate is a no-op.
    let mut again = vec![Write::Event(event(
        "r1",
        10,
        EventType::Progress,
        Some("s8"),
        "started",
    ))];
    for i in 0..40u64 {
        again.push(Write::Event(event(
            "r1",
            47 + i,
            EventType::Progress,
            Some(&format!("t{i}")),
            "started",
        )));
    }
    let applied = store.apply(&again).unwrap();
    assert_eq!((applied.inserted, applied.duplicates), (40, 1));
    let seqs: Vec<u64> = store
        .events("r1", 0)
        .unwrap()
        .iter()
        .map(|e| e.seq)
        .collect();
    assert_eq!(seqs, (1..=86).collect::<Vec<_>>(), "gapless, each once");

    // A second final event amid new ones refuses the whole batch.
    let mut last = vec![Write::Event(event(
        "r1",
        87,
        EventType::Completed,
        None,
        "final",
    ))];
    last.push(Write::Event(event(
        "r1",
        88,
        EventType::Failed,
        None,
        "final2",
    )));
    let err = store.apply(&last).unwrap_err();
    assert!(matches!(err, StoreError::SecondFinal { .. }), "{err:?}");
    assert_eq!(
        store.events("r1", 0).unwrap().len(),
        86,
        "rolled back whole"
    );
    assert_eq!(store.run("r1").unwrap().status, RunStatus::Running);
}

#[test]
fn a_run_gets_exactly_one_final_event() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(db(&dir)).unwrap();
    store
        .apply(&[
            Write::Accept(
                Box::new(new_run("r1", ProcessIdentity::current())),
                event("r1", 1, EventType::Accepted, None, "accepted"),
            ),
            Write::Event(event("r1", 2, EventType::Failed, None, "final")),
        ])
        .unwrap();
    let run = store.run("r1").unwrap();
    assert_eq!(
        run.status,
        RunStatus::Failed,
        "the final event ends the run row"
    );
    assert_eq!(run.reason.as_deref(), Some("step `b` failed: boom"));
    assert_eq!(run.usage.runtime_ms, 20);
    let err = store
        .apply(&[Write::Event(event(
            "r1",
            3,
            EventType::Completed,
            None,
            "final",
        ))])
        .unwrap_err();
    assert!(matches!(err, StoreError::SecondFinal { .. }), "{err:?}");
}

#[test]
fn history_queries_filter_and_order_newest_first() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(db(&dir)).unwrap();
    for (i, run) in ["r1", "r2", "r3"].iter().enumerate() {
        let mut nr = new_run(run, ProcessIdentity::current());
        if i == 2 {
            nr.mission_id = "m.other".into();
            nr.resumed_from = Some("r1".into());
        }
        let mut accepted = event(run, 1, EventType::Accepted, None, "accepted");
        accepted.emitted_at = format!("2026-03-0{}T10:00:00.000Z", i + 1);
        let mut done = event(run, 2, EventType::Completed, None, "final");
        if i == 1 {
            done = event(run, 2, EventType::Failed, None, "final");
        }
        store
            .apply(&[Write::Accept(Box::new(nr), accepted), Write::Event(done)])
            .unwrap();
    }
    let all = store.list_runs(&RunFilter::default()).unwrap();
    let ids: Vec<_> = all.iter().map(|r| r.run_id.as_str()).collect();
    assert_eq!(ids, ["r3", "r2", "r1"], "newest first");
    assert_eq!(all[0].resumed_from.as_deref(), Some("r1"));
    assert_eq!(all[2].evidence_dir.as_deref(), Some("/evidence/r1"));

    let failed = store
        .list_runs(&RunFilter {
            status: Some(RunStatus::Failed),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].run_id, "r2");

    let other = store
        .list_runs(&RunFilter {
            mission_id: Some("m.other".into()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(
        other.iter().map(|r| &r.run_id[..]).collect::<Vec<_>>(),
        ["r3"]
    );

    let since = chrono::DateTime::parse_from_rfc3339("2026-03-02T00:00:00Z")
        .unwrap()
        .with_timezone(&chrono::Utc);
    let recent = store
        .list_runs(&RunFilter {
            since: Some(since),
            limit: Some(1),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(
        recent.iter().map(|r| &r.run_id[..]).collect::<Vec<_>>(),
        ["r3"],
        "since 2 March, at most one"
    );

    let err = store.run("nope").unwrap_err();
    assert!(matches!(err, StoreError::UnknownRun(ref id) if id == "nope"));
}

#[test]
fn steps_events_and_the_resume_source_read_back_what_was_written() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(db(&dir)).unwrap();
    store
        .apply(&[
            Write::Accept(
                Box::new(new_run("r1", ProcessIdentity::current())),
                event("r1", 1, EventType::Accepted, None, "accepted"),
            ),
            Write::StepStarted {
                run_id: "r1".into(),
                step_id: "b".into(),
                position: 1,
                step_type: "command".into(),
                attempt: 1,
                started_at: "2026-01-01T00:00:00.000Z".into(),
            },
            Write::Step {
                run_id: "r1".into(),
                row: step_row("a", 0, StepStatus::Success, json!({"n": 1})),
            },
            Write::Event(event("r1", 2, EventType::Progress, Some("a"), "finished")),
        ])
        .unwrap();
    let steps = store.steps("r1").unwrap();
    assert_eq!(steps.len(), 2);
    assert_eq!(
        (steps[0].step_id.as_str(), steps[0].status),
        ("a", StepStatus::Success)
    );
    assert_eq!(steps[0].output, Some(json!({"n": 1})));
    assert_eq!(
        (steps[1].step_id.as_str(), steps[1].status),
        ("b", StepStatus::Running),
        "a started step has its row before it ends"
    );
    let events = store.events("r1", 0).unwrap();
    assert_eq!(events.iter().map(|e| e.seq).collect::<Vec<_>>(), [1, 2]);
    assert_eq!(store.events("r1", 1).unwrap().len(), 1, "after_seq skips");

    let source = store.resume_source("r1").unwrap();
    assert_eq!(source.succeeded, vec![("a".to_string(), json!({"n": 1}))]);
    assert_eq!(source.context, json!({"who": "me"}));
    assert_eq!(source.mission["steps"].as_array().unwrap().len(), 3);
}

#[test]
fn recovery_ends_runs_of_dead_processes_and_leaves_live_ones_alone() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(db(&dir)).unwrap();
    let started_b = Write::StepStarted {
        run_id: "dead".into(),
        step_id: "b".into(),
        position: 1,
        step_type: "command".into(),
        attempt: 1,
        started_at: "2026-01-01T00:00:00.000Z".into(),
    };
    store
        .apply(&[
            Write::Accept(
                Box::new(new_run("dead", dead_process())),
                event("dead", 1, EventType::Accepted, None, "accepted"),
            ),
            Write::Step {
                run_id: "dead".into(),
                row: step_row("a", 0, StepStatus::Success, json!(1)),
            },
            Write::Event(event("dead", 2, EventType::Progress, Some("a"), "finished")),
            started_b,
            Write::Event(event("dead", 3, EventType::Progress, Some("b"), "started")),
            Write::Accept(
                Box::new(new_run("live", ProcessIdentity::current())),
                event("live", 1, EventType::Accepted, None, "accepted"),
            ),
        ])
        .unwrap();

    let recovered = store
        .recover_interrupted(ProcessIdentity::is_alive)
        .unwrap();
    assert_eq!(
        recovered.len(),
        1,
        "only the dead process's run: {recovered:?}"
    );
    assert_eq!(recovered[0].cancelled_steps, ["b"]);
    assert_eq!(recovered[0].skipped_steps, ["c"]);

    let run = store.run("dead").unwrap();
    assert_eq!(run.status, RunStatus::Failed);
    assert_eq!(run.reason.as_deref(), Some(INTERRUPTED));
    assert!(run.finished_at.is_some());
    let steps = store.steps("dead").unwrap();
    let by_id = |id: &str| steps.iter().find(|s| s.step_id == id).unwrap().clone();
    assert_eq!(
        by_id("a").status,
        StepStatus::Success,
        "finished steps are kept"
    );
    assert_eq!(by_id("b").status, StepStatus::Cancelled);
    assert_eq!(by_id("b").error.as_deref(), Some(STEP_INTERRUPTED));
    assert_eq!(by_id("c").status, StepStatus::Skipped);
    assert_eq!(by_id("c").error.as_deref(), Some(STEP_NOT_STARTED));
    let events = store.events("dead", 0).unwrap();
    assert_eq!(
        events.iter().map(|e| e.seq).collect::<Vec<_>>(),
        [1, 2, 3, 4]
    );
    let last = events.last().unwrap();
    assert_eq!(
        last.event_type,
        EventType::Failed,
        "a final event closes the run"
    );
    assert!(last.summary.contains(INTERRUPTED), "{}", last.summary);

    assert_eq!(store.run("live").unwrap().status, RunStatus::Running);
    assert!(
        store
            .recover_interrupted(ProcessIdentity::is_alive)
            .unwrap()
            .is_empty(),
        "recovery is idempotent"
    );
}

/// A downstream sink that checks, for every event it receives, that the event is already in
/// the database (read through a second connection): the commit-before-report rule.
struct CommittedCheck {
    path: PathBuf,
    seen: Arc<Mutex<Vec<(u64, bool)>>>,
    steps_seen: Arc<Mutex<Vec<String>>>,
}

impl EventSink for CommittedCheck {
    fn emit(&mut self, event: &Event) -> Result<(), SinkError> {
        let reader = Store::open(&self.path).unwrap();
        let stored = reader.events(&event.run_id, event.seq - 1).unwrap();
        let committed = stored.first().is_some_and(|e| e == event);
        self.seen.lock().unwrap().push((event.seq, committed));
        Ok(())
    }

    fn step_finished(&mut self, record: &StepRecord<'_>) -> Result<(), SinkError> {
        self.steps_seen
            .lock()
            .unwrap()
            .push(record.step_id.to_string());
        Ok(())
    }
}

fn mission(v: Value) -> Mission {
    serde_json::from_value(v).unwrap()
}

fn new_run_for(m: &Mission, options: &RunOptions) -> NewRun {
    NewRun {
        run_id: options.run_id.clone(),
        mission_id: m.mission_id(),
        mission_name: m.name.clone(),
        trace_id: options.trace_id.clone(),
        logic_hash: studio_core::logic_hash(m),
        evidence_dir: None,
        resumed_from: None,
        mission: serde_json::to_value(m).unwrap(),
        context: json!({}),
        steps: m
            .steps
            .iter()
            .map(|s| (s.id.clone(), s.step_type.clone()))
            .collect(),
        owner: ProcessIdentity::current(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_engine_run_is_recorded_and_nothing_is_reported_before_it_is_committed() {
    let dir = tempfile::tempdir().unwrap();
    let workspace = dir.path().join("ws");
    std::fs::create_dir_all(&workspace).unwrap();
    let m = mission(json!({
        "name": "Recorded",
        "config": {"max_concurrent_steps": 2},
        "steps": [
            {"id": "a", "step_type": "noop", "parameters": {"n": 1}},
            {"id": "b", "step_type": "command", "depends_on": ["a"],
             "parameters": {"command": "printf", "args": ["%s", "{{a.output.n}}"]}},
            {"id": "c", "step_type": "create_file", "depends_on": ["b"],
             "parameters": {"path": "out.txt", "content": "{{b.output.stdout}}"}},
            {"id": "d", "step_type": "command", "depends_on": ["a"],
             "parameters": {"command": "false"}, "continue_on_error": true}
        ]
    }));
    let options = RunOptions::new(&workspace);
    let seen = Arc::new(Mutex::new(Vec::new()));
    let steps_seen = Arc::new(Mutex::new(Vec::new()));
    let check = CommittedCheck {
        path: db(&dir),
        seen: Arc::clone(&seen),
        steps_seen: Arc::clone(&steps_seen),
    };
    let mut sink = StoreSink::start(
        Store::open(db(&dir)).unwrap(),
        new_run_for(&m, &options),
        check,
    )
    .unwrap();
    let result = run_mission(&m, options, &mut sink).await.unwrap();
    drop(sink);
    assert_eq!(result.status, RunStatus::Completed, "{:?}", result.reason);

    let seen = seen.lock().unwrap().clone();
    assert!(!seen.is_empty());
    assert!(
        seen.iter().all(|(_, committed)| *committed),
        "every event was in the database before the next sink saw it: {seen:?}"
    );
    assert_eq!(
        seen.iter().map(|(s, _)| *s).collect::<Vec<_>>(),
        (1..=seen.len() as u64).collect::<Vec<_>>(),
        "in order, without gaps"
    );
    let mut steps_seen = steps_seen.lock().unwrap().clone();
    steps_seen.sort();
    assert_eq!(
        steps_seen,
        ["a", "b", "c", "d"],
        "step records are passed on too"
    );

    let store = Store::open(db(&dir)).unwrap();
    let run = store.run(&result.run_id).unwrap();
    assert_eq!(run.status, RunStatus::Completed);
    assert_eq!(run.step_count, 4);
    let steps = store.steps(&result.run_id).unwrap();
    assert_eq!(
        steps
            .iter()
            .map(|s| (s.step_id.as_str(), s.status))
            .collect::<Vec<_>>(),
        [
            ("a", StepStatus::Success),
            ("b", StepStatus::Success),
            ("c", StepStatus::Success),
            ("d", StepStatus::Failed)
        ]
    );
    assert_eq!(steps[1].output.as_ref().unwrap()["stdout"], "1");
    for s in &steps {
        let engine = &result.step_results[&s.step_id];
        assert_eq!(
            s.output.clone().unwrap_or(Value::Null),
            engine.output,
            "step {}",
            s.step_id
        );
        assert_eq!(s.attempts, engine.attempts);
    }
    let events = store.events(&result.run_id, 0).unwrap();
    assert_eq!(events.len(), seen.len());
    assert_eq!(
        events.iter().filter(|e| e.event_type.is_final()).count(),
        1,
        "exactly one final event"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reused_outputs_are_recorded_with_the_run_they_came_from() {
    let dir = tempfile::tempdir().unwrap();
    let workspace = dir.path().join("ws");
    std::fs::create_dir_all(&workspace).unwrap();
    let m = mission(json!({
        "name": "Resumed",
        "steps": [
            {"id": "a", "step_type": "command", "parameters": {"command": "false"}},
            {"id": "b", "step_type": "noop", "depends_on": ["a"],
             "parameters": {"got": "{{a.output.stdout}}"}}
        ]
    }));
    let options = RunOptions::new(&workspace).with_reused(
        "a",
        studio_engine::ReusedOutput {
            from_run: "old-run".into(),
            output: json!({"exit_code": 0, "stdout": "kept", "stderr": ""}),
        },
    );
    let collected = CollectingSink::new();
    let mut sink = StoreSink::start(
        Store::open(db(&dir)).unwrap(),
        new_run_for(&m, &options),
        collected.clone(),
    )
    .unwrap();
    let result = run_mission(&m, options, &mut sink).await.unwrap();
    drop(sink);
    assert_eq!(
        result.status,
        RunStatus::Completed,
        "a reused step does not run"
    );
    assert_eq!(result.step_results["b"].output, json!({"got": "kept"}));
    let store = Store::open(db(&dir)).unwrap();
    let steps = store.steps(&result.run_id).unwrap();
    assert_eq!(steps[0].reused_from.as_deref(), Some("old-run"));
    assert_eq!(steps[1].reused_from, None);
    assert!(collected
        .events()
        .iter()
        .any(|e| e.summary.contains("reused the output of run old-run")));
}
