//! Step records for history sinks and reused outputs (`mission resume`).

use serde_json::json;
use std::sync::{Arc, Mutex};
use studio_core::{Mission, RunStatus, StepStatus};
use studio_engine::{
    run_mission, Event, EventSink, ReusedOutput, RunOptions, SinkError, StepRecord,
};

#[derive(Clone, Default)]
struct Recorder(Arc<Mutex<Vec<String>>>);

impl EventSink for Recorder {
    fn emit(&mut self, event: &Event) -> Result<(), SinkError> {
        let what = match (&event.step_id, event.step_status) {
            (Some(id), Some(s)) => format!("event {id} {}", s.as_str()),
            _ => format!("event {}", event.event_type.as_str()),
        };
        self.0.lock().unwrap().push(what);
        Ok(())
    }

    fn step_finished(&mut self, r: &StepRecord<'_>) -> Result<(), SinkError> {
        let from = r
            .reused_from
            .map(|f| format!(" from {f}"))
            .unwrap_or_default();
        self.0
            .lock()
            .unwrap()
            .push(format!("record {} {}{from}", r.step_id, r.status.as_str()));
        Ok(())
    }
}

fn mission(v: serde_json::Value) -> Mission {
    serde_json::from_value(v).unwrap()
}

#[tokio::test]
async fn every_final_step_is_recorded_just_before_the_event_that_reports_it() {
    let dir = tempfile::tempdir().unwrap();
    let m = mission(json!({"name": "t", "steps": [
        {"id": "a", "step_type": "command", "parameters": {"command": "false"}},
        {"id": "b", "step_type": "noop", "depends_on": ["a"]}
    ]}));
    let mut sink = Recorder::default();
    let result = run_mission(&m, RunOptions::new(dir.path()), &mut sink)
        .await
        .unwrap();
    assert_eq!(result.status, RunStatus::Failed);
    let log = sink.0.lock().unwrap().clone();
    let pos = |s: &str| {
        log.iter()
            .position(|l| l == s)
            .unwrap_or_else(|| panic!("`{s}` in {log:?}"))
    };
    assert_eq!(pos("record a failed") + 1, pos("event a failed"));
    assert_eq!(pos("record b skipped") + 1, pos("event b skipped"));
}

#[tokio::test]
async fn a_reused_step_does_not_run_and_its_output_feeds_the_next_steps() {
    let dir = tempfile::tempdir().unwrap();
    let m = mission(json!({"name": "t",
        "state_schema": {"fields": {"n": {"type": "int"}}},
        "steps": [
        {"id": "a", "step_type": "command", "parameters": {"command": "false"},
         "state": {"n": "{{a.output.n}}"}},
        {"id": "b", "step_type": "noop", "depends_on": ["a"], "parameters": {"n": "{{a.output.n}}"}}
    ]}));
    let options = RunOptions::new(dir.path()).with_reused(
        "a",
        ReusedOutput {
            from_run: "earlier".into(),
            output: json!({"n": 7}),
        },
    );
    let mut sink = Recorder::default();
    let result = run_mission(&m, options, &mut sink).await.unwrap();
    assert_eq!(result.status, RunStatus::Completed, "{:?}", result.reason);
    let a = &result.step_results["a"];
    assert_eq!(a.status, StepStatus::Success);
    assert_eq!(a.reused_from.as_deref(), Some("earlier"));
    assert_eq!(a.attempts, 0, "a reused step made no attempt");
    assert_eq!(result.step_results["b"].output, json!({"n": 7}));
    assert_eq!(result.step_results["b"].reused_from, None);
    assert_eq!(
        result.state["n"],
        json!(7),
        "state writes of a reused step apply again"
    );
    let log = sink.0.lock().unwrap().clone();
    assert!(
        log.contains(&"record a success from earlier".to_string()),
        "{log:?}"
    );
    assert!(
        !log.contains(&"event a running".to_string()),
        "a reused step never starts: {log:?}"
    );
}
