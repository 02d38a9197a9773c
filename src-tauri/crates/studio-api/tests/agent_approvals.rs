//! An agent's call that needs approval, answered from the app's side: the pending approval is
//! the call (`<step>#<n>`), the run waits, and the approved call runs; the decisions and the
//! audit rows name the call.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};
use studio_api::{AppPaths, LiveRuns, RunSource, StudioApi};

const AGENT: &str = r##"
version: "1.0"
name: Agent under strict approval
perimeter:
  approval: {mode: strict}
simulation:
  agents:
    - step: research
      turns:
        - tool_calls:
            - {tool: create_file, input: {path: notes.md, content: "# Notes"}}
        - answer: Written.
steps:
  - id: research
    step_type: agent
    parameters: {objective: Write the notes, tools: [create_file]}
"##;

async fn wait_until(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agents_call_is_approved_from_the_app_and_then_runs() {
    let dir = tempfile::tempdir().unwrap();
    let runs = LiveRuns::new(StudioApi::open(AppPaths::at(dir.path().join("data"))).unwrap());
    let file = dir.path().join("agent.yaml");
    std::fs::write(&file, AGENT).unwrap();
    let run_id = runs.start(RunSource::File(file), BTreeMap::new()).unwrap();

    // Strict: first the agent step itself (it calls a model), then its call that writes.
    for expected in ["research", "research#1"] {
        wait_until(expected, || {
            runs.pending_approvals()
                .iter()
                .any(|a| a.step_id == expected)
        })
        .await;
        let asked = runs.pending_approvals();
        let a = asked.iter().find(|a| a.step_id == expected).unwrap();
        if expected == "research#1" {
            assert_eq!(a.step_type, "create_file");
            assert_eq!(a.side_effects, "workspace");
        }
        runs.answer_approval(&run_id, expected, true, None).unwrap();
    }
    wait_until("the run to end", || {
        runs.list()
            .iter()
            .any(|r| r.run_id == run_id && r.finished_at.is_some())
    })
    .await;
    let view = runs.run_view(&run_id).unwrap();
    assert_eq!(view.status, "completed", "{:?}", view.reason);
    let decided: Vec<(&str, &str)> = view
        .approvals
        .iter()
        .map(|d| (d.step_id.as_str(), d.status.as_str()))
        .collect();
    assert_eq!(
        decided,
        [("research", "approved"), ("research#1", "approved")]
    );
    let detail = runs.api().run_detail(&run_id).unwrap();
    let evidence = detail
        .run
        .evidence_dir
        .expect("the run has an evidence folder");
    let workspace = std::path::Path::new(&evidence).join("workspace/notes.md");
    assert_eq!(std::fs::read_to_string(workspace).unwrap(), "# Notes");
}
