//! The run view hears who answered an approval and the note they typed, while the run goes on
//! and from the history once it ended; the wait for the answer is reported apart from the
//! runtime the caps count.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use studio_api::{AppPaths, LiveRuns, RunSource, StudioApi};

const STRICT: &str = r#"
version: "1.0"
name: Strict fetch
perimeter:
  approval: {mode: strict}
  budget: {max_runtime_minutes: 0.01}
steps:
  - {id: plan, step_type: noop}
  - id: fetch
    step_type: http
    depends_on: [plan]
    parameters: {url: "http://127.0.0.1:9/never"}
  - {id: report, step_type: noop, depends_on: [fetch]}
"#;

async fn wait_until(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn live(dir: &Path) -> LiveRuns {
    LiveRuns::new(StudioApi::open(AppPaths::at(dir.join("data"))).expect("open the API"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_denial_shows_who_denied_and_the_note_and_the_wait_is_not_runtime() {
    let dir = tempfile::tempdir().unwrap();
    let runs = live(dir.path());
    let file = dir.path().join("strict.yaml");
    std::fs::write(&file, STRICT).unwrap();
    let run_id = runs.start(RunSource::File(file), BTreeMap::new()).unwrap();
    wait_until("the http step to ask", || {
        !runs.pending_approvals().is_empty()
    })
    .await;
    let asked = runs.pending_approvals();
    assert_eq!(asked[0].step_id, "fetch", "strict asks for an HTTP GET");
    assert!(asked[0].why.contains("calls out"), "{}", asked[0].why);
    // Longer than the 0.6 s runtime cap: the run must not time out meanwhile.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    runs.answer_approval(
        &run_id,
        "fetch",
        false,
        Some("the endpoint is not ready".into()),
    )
    .unwrap();
    wait_until("the run to end", || {
        runs.list()
            .iter()
            .any(|r| r.run_id == run_id && r.finished_at.is_some())
    })
    .await;
    let view = runs.run_view(&run_id).unwrap();
    assert_eq!(view.status, "failed", "denied, not timed out");
    let reason = view.reason.unwrap_or_default();
    assert!(
        reason.contains("denied by ui: \"the endpoint is not ready\""),
        "{reason}"
    );
    assert_eq!(view.approvals.len(), 1);
    let d = &view.approvals[0];
    assert_eq!(
        (
            d.step_id.as_str(),
            d.status.as_str(),
            d.decided_by.as_deref()
        ),
        ("fetch", "denied", Some("ui"))
    );
    assert_eq!(d.note.as_deref(), Some("the endpoint is not ready"));
    assert!(d.decided_at.is_some());
    // The history keeps the note (the run view of a past run reads it from there).
    let rows = runs.api().approvals(&run_id).unwrap();
    assert_eq!(rows[0].note.as_deref(), Some("the endpoint is not ready"));
    // The final event reports the wait apart from the runtime the caps count.
    let last = Arc::new(Mutex::new(None));
    let seen = Arc::clone(&last);
    runs.follow(&run_id, 0, move |e| {
        *seen.lock().unwrap() = Some(e.usage);
        true
    })
    .await
    .unwrap();
    let usage = last.lock().unwrap().expect("events were replayed");
    assert!(usage.approval_wait_ms >= 1100, "{usage:?}");
    assert!(usage.runtime_ms < 600, "{usage:?}");
}
