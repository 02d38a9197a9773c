//! The Mission Envelope v1 on the wire, end to end: a real `nats-server -js` per test, the
//! envelope worker in the test's runtime, real HTTP servers on 127.0.0.1.

mod support;

use std::time::Duration;

use serde_json::json;
use studio_api::envelope::{client, event, WireEvent};
use studio_api::RunFilter;
use support::harness::{slow_model, Harness, Receiver};

fn types(events: &[WireEvent]) -> Vec<&str> {
    events.iter().map(|e| e.event_type.as_str()).collect()
}

fn runs_of(h: &Harness, mission_id: &str) -> Vec<studio_api::RunSummary> {
    h.api
        .history(&RunFilter {
            mission_id: Some(mission_id.to_string()),
            ..RunFilter::default()
        })
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_callback_gets_every_event_in_order_with_the_token_despite_a_500_and_a_timeout() {
    const TOKEN: &str = "tok-3f9a-not-for-logs";
    std::env::set_var("ENVELOPE_WIRE_TEST_TOKEN", TOKEN);
    let receiver = Receiver::start(Duration::from_secs(3)).await;
    let mut h = Harness::new("vp.coder.primary");
    h.start_worker();
    let payload = json!({
        "mission_id": "m-callback-1",
        "vp_id": "vp.coder.primary",
        "vp_runtime_id": "lane-a",
        "mission_type": "research",
        "objective": "Summarise the release notes",
        "success_criteria": ["names every breaking change"],
        "artifact_policy": {"required_outputs": ["report.md"], "storage_scope": "factory"},
        "heartbeat_interval_seconds": 1,
        "report_cadence": "hybrid",
        "callback": {
            "status_url": receiver.url,
            "auth_mode": "bearer",
            "auth_ref": "env://ENVELOPE_WIRE_TEST_TOKEN"
        },
        "idempotency_key": "key-callback-1",
        "trace_id": "trace-callback-1"
    });
    let sent = h.dispatch(&payload).await;
    assert_eq!(sent.mission_id, "m-callback-1");
    let events = h
        .events_until_final("m-callback-1", Duration::from_secs(15))
        .await;
    assert_eq!(
        events[0].event_type,
        event::ACCEPTED,
        "{:?}",
        types(&events)
    );
    assert_eq!(events.iter().filter(|e| e.is_final()).count(), 1);
    let last = events.last().unwrap();
    assert_eq!(last.event_type, event::COMPLETED, "{last:#?}");
    assert!(
        last.artifact_refs.contains(&"report.md".to_string()),
        "{last:#?}"
    );
    assert!(last.next_action.is_some());
    assert!(events
        .iter()
        .any(|e| e.event_type == event::ARTIFACT && e.artifact_refs.contains(&"report.md".into())));
    for (i, e) in events.iter().enumerate() {
        assert_eq!(e.seq, i as u64 + 1, "gapless seq");
        assert_eq!(e.vp_id, "vp.coder.primary");
        assert_eq!(e.vp_runtime_id.as_deref(), Some("lane-a"));
        assert_eq!(e.trace_id, "trace-callback-1");
        assert!(
            e.vp_session_id.starts_with("vps-"),
            "allocated: {}",
            e.vp_session_id
        );
        assert_eq!(e.vp_session_id, events[0].vp_session_id, "one session");
    }
    let keys: std::collections::HashSet<&str> =
        events.iter().map(|e| e.idempotency_key.as_str()).collect();
    assert_eq!(keys.len(), events.len(), "one key per event");

    // The receiver: the same events, in order, each with the bearer token, after a 500 and a
    // request that timed out were retried.
    let got = receiver.until_final(Duration::from_secs(15)).await;
    let got_events: Vec<WireEvent> = got.iter().map(|r| r.event.clone()).collect();
    assert_eq!(
        got_events, events,
        "the callback saw exactly the NATS events"
    );
    for r in &got {
        assert_eq!(
            r.authorization.as_deref(),
            Some(&*format!("Bearer {TOKEN}"))
        );
    }
    assert_eq!(got.iter().filter(|r| r.event.is_final()).count(), 1);
    assert!(*receiver.requests.lock().unwrap() >= got.len() as u32 + 2);
    assert!(!h.log_text().contains(TOKEN), "the token is never logged");

    // The run is in the history, with its evidence: the dispatch and its success criteria.
    let runs = runs_of(&h, "m-callback-1");
    assert_eq!(runs.len(), 1);
    let evidence = std::path::PathBuf::from(last.evidence_dir.as_ref().unwrap());
    let kept: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(evidence.join("envelope.json")).unwrap())
            .unwrap();
    assert_eq!(
        kept["success_criteria"],
        json!(["names every breaking change"])
    );
    assert!(!kept.to_string().contains(TOKEN));
    // The session keeps the mission's files for the next one.
    let sessions = h.dir.path().join("data/vp_sessions");
    let found = walk(&sessions)
        .iter()
        .any(|p| p.ends_with("workspace/report.md"));
    assert!(found, "report.md kept in the VP session's workspace");
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = entry.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_dispatch_outside_its_autonomy_window_is_blocked() {
    let mut h = Harness::new("vp-window");
    h.start_worker();
    let later = chrono::Utc::now() + chrono::Duration::hours(1);
    let payload = json!({
        "mission_id": "m-window-later",
        "vp_id": "vp-window",
        "vp_session_id": "session-7",
        "objective": "Tidy the notes",
        "autonomy_window": {
            "start_at": later.to_rfc3339(),
            "end_at": (later + chrono::Duration::hours(1)).to_rfc3339()
        },
        "heartbeat_interval_seconds": 1
    });
    h.dispatch(&payload).await;
    let events = h
        .events_until("m-window-later", Duration::from_secs(10), |e| {
            e.event_type == event::BLOCKED
        })
        .await;
    let blocked = events.last().unwrap();
    assert_eq!(blocked.status, "blocked");
    assert_eq!(blocked.reason.as_deref(), Some("outside_autonomy_window"));
    assert_eq!(blocked.vp_session_id, "session-7", "the dispatch's session");
    // A cancel ends the wait.
    client::cancel(&h.server.url, "m-window-later")
        .await
        .unwrap();
    let events = h
        .events_until_final("m-window-later", Duration::from_secs(10))
        .await;
    assert_eq!(events.last().unwrap().event_type, event::CANCELLED);
    assert!(runs_of(&h, "m-window-later").is_empty(), "it never ran");

    // A window that already closed: blocked, then timed out, without running.
    let earlier = chrono::Utc::now() - chrono::Duration::hours(2);
    let payload = json!({
        "mission_id": "m-window-past",
        "vp_id": "vp-window",
        "objective": "Tidy the notes",
        "autonomy_window": {
            "start_at": earlier.to_rfc3339(),
            "end_at": (earlier + chrono::Duration::hours(1)).to_rfc3339()
        }
    });
    h.dispatch(&payload).await;
    let events = h
        .events_until_final("m-window-past", Duration::from_secs(10))
        .await;
    assert_eq!(
        types(&events),
        vec![event::ACCEPTED, event::BLOCKED, event::TIMED_OUT]
    );
    assert_eq!(events[2].reason.as_deref(), Some("autonomy_window_closed"));
    assert!(runs_of(&h, "m-window-past").is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn cancel_stops_a_running_mission() {
    let mut h = Harness::new("vp-cancel");
    // The mission's model call goes to an endpoint that holds it for a minute.
    let model = slow_model(Duration::from_secs(60)).await;
    h.api
        .save_llm_provider(&studio_api::providers::LlmProviderInput {
            id: "slow".into(),
            kind: None,
            base_url: model.url.clone(),
            model: "slow-1".into(),
            api_key: None,
            key_storage: studio_api::providers::KeyStorage::None,
        })
        .unwrap();
    h.api.set_default_provider(Some("slow")).unwrap();
    h.start_worker();
    let payload = json!({
        "mission_id": "m-cancel-1",
        "vp_id": "vp-cancel",
        "objective": "Think for a long time",
        "heartbeat_interval_seconds": 1,
        "report_cadence": "interval"
    });
    h.dispatch(&payload).await;
    // Running: a heartbeat says it is at the model step.
    h.events_until("m-cancel-1", Duration::from_secs(15), |e| {
        e.summary.contains("heartbeat") && e.status == "running"
    })
    .await;
    let started = std::time::Instant::now();
    client::cancel(&h.server.url, "m-cancel-1").await.unwrap();
    let events = h
        .events_until_final("m-cancel-1", Duration::from_secs(15))
        .await;
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "stopped promptly"
    );
    let last = events.last().unwrap();
    assert_eq!(last.event_type, event::CANCELLED, "{last:#?}");
    assert_eq!(last.status, "cancelled");
    let runs = runs_of(&h, "m-cancel-1");
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].status.as_str(), "cancelled");
    // The model call in flight was abandoned, not waited for.
    assert_eq!(*model.started.lock().unwrap(), 1);
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while *model.abandoned.lock().unwrap() == 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "the model request was not dropped"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // `interval`: no step milestones, heartbeats only.
    assert!(events
        .iter()
        .filter(|e| e.event_type == event::PROGRESS)
        .all(|e| e.summary.starts_with("heartbeat")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_repeated_dispatch_is_one_mission() {
    let mut h = Harness::new("vp-repeat");
    h.start_worker();
    let payload = json!({
        "vp_id": "vp-repeat",
        "objective": "Count the files",
        "idempotency_key": "same-key-1",
        "heartbeat_interval_seconds": 0
    });
    let first = h.dispatch(&payload).await;
    let second = h.dispatch(&payload).await;
    assert_eq!(
        first.mission_id, second.mission_id,
        "the same derived mission id"
    );
    assert!(!first.duplicate);
    assert!(second.duplicate, "the broker dropped the second publish");
    let events = h
        .events_until_final(&first.mission_id, Duration::from_secs(15))
        .await;
    // A repeat the broker no longer remembers (another message id): the worker's marker.
    let wire = studio_api::envelope::connect_wire(&h.server.url, &Default::default())
        .await
        .unwrap();
    let bytes = serde_json::to_vec(&payload).unwrap();
    let late = wire
        .publish_dispatch("vp-repeat", "after-the-window", bytes)
        .await
        .unwrap();
    assert!(!late.duplicate);
    // Wait until the worker took it (the queue is empty again), then look.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let mut stream = wire.dispatch.clone();
        if stream.info().await.unwrap().state.messages == 0 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the repeat was not taken"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let all = h
        .events_until_final(&first.mission_id, Duration::from_secs(5))
        .await;
    assert_eq!(all, events, "the repeat added no event");
    assert_eq!(
        all.iter()
            .filter(|e| e.event_type == event::ACCEPTED)
            .count(),
        1
    );
    assert_eq!(
        runs_of(&h, &first.mission_id).len(),
        1,
        "one run in the history"
    );
    assert!(
        h.log_text().contains("repeated dispatch"),
        "{}",
        h.log_text()
    );

    // The same mission id under another key is refused, not run a second time.
    let mut reuse = payload.clone();
    reuse["mission_id"] = json!(first.mission_id);
    reuse["idempotency_key"] = json!("another-key");
    h.dispatch(&reuse).await;
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !h
        .log_text()
        .contains("already accepted for another dispatch")
    {
        assert!(std::time::Instant::now() < deadline, "{}", h.log_text());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(runs_of(&h, &first.mission_id).len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_bad_payload_fails_clearly_and_the_worker_goes_on() {
    let mut h = Harness::new("vp-bad");
    h.start_worker();
    let wire = studio_api::envelope::connect_wire(&h.server.url, &Default::default())
        .await
        .unwrap();
    let bad = json!({"mission_id": "m-bad-1", "vp_id": "vp-bad", "objective": 42});
    wire.publish_dispatch("vp-bad", "bad-1", serde_json::to_vec(&bad).unwrap())
        .await
        .unwrap();
    let events = h
        .events_until_final("m-bad-1", Duration::from_secs(10))
        .await;
    assert_eq!(types(&events), vec![event::FAILED]);
    assert!(
        events[0].summary.contains("objective"),
        "{}",
        events[0].summary
    );
    // The worker is still there for the next one.
    let sent = h
        .dispatch(&json!({"mission_id": "m-good-1", "vp_id": "vp-bad", "objective": "Say hi"}))
        .await;
    let events = h
        .events_until_final(&sent.mission_id, Duration::from_secs(15))
        .await;
    assert_eq!(events.last().unwrap().event_type, event::COMPLETED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_budget_caps_the_mission_and_a_milestone_cadence_reports_steps() {
    let mut h = Harness::new("vp-budget");
    h.start_worker();
    let sent = h
        .dispatch(&json!({
            "mission_id": "m-budget-1",
            "vp_id": "vp-budget",
            "objective": "Write a long essay",
            "budget": {"max_runtime_minutes": 5, "max_llm_calls": 3, "max_cost_usd": 0.0000001},
            "report_cadence": "milestone",
            "heartbeat_interval_seconds": 0
        }))
        .await;
    let events = h
        .events_until_final(&sent.mission_id, Duration::from_secs(15))
        .await;
    let last = events.last().unwrap();
    assert_eq!(last.event_type, event::FAILED, "{last:#?}");
    let reason = last.reason.as_deref().unwrap_or("");
    assert!(reason.contains("budget_exceeded"), "{reason}");
    assert!(last.next_action.as_deref().unwrap().contains("budget"));
    // `milestone`: the run's start and each finished step, no heartbeats.
    let progress: Vec<&str> = events
        .iter()
        .filter(|e| e.event_type == event::PROGRESS)
        .map(|e| e.summary.as_str())
        .collect();
    assert!(
        progress.iter().any(|s| s.starts_with("run ")),
        "{progress:?}"
    );
    assert!(
        progress.iter().all(|s| !s.starts_with("heartbeat")),
        "{progress:?}"
    );
}
