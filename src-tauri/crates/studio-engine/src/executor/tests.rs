use super::*;
use crate::plan::Plan;

#[test]
fn steps_are_ordered_by_id_as_text_orders_them() {
    let ids = [
        "s10_1",
        "s1_10",
        "s1",
        "a",
        "abcdefgh",
        "abcdefghi",
        "abcdefgh2",
        "abcdefgg",
        "abcdefgz",
        "s1_",
        "",
        "Z",
        "é",
        "s1_2",
        "abcdefghi\u{0}",
        "a\u{0}",
    ];
    // Enough ids for the radix sort (short lists are sorted by comparison).
    let generated: Vec<String> = (0..150).map(|n| format!("s{}_{}", n % 13, n)).collect();
    let ids: Vec<&str> = ids
        .into_iter()
        .chain(generated.iter().map(String::as_str))
        .collect();
    let steps: Vec<serde_json::Value> = ids
        .iter()
        .map(|id| serde_json::json!({"id": id, "step_type": "noop"}))
        .collect();
    let mission: Mission =
        serde_json::from_value(serde_json::json!({"name": "m", "steps": steps})).unwrap();
    let specs = StepSpec::all(&mission).unwrap();
    let ours: Vec<&str> = sorted_by_id(&specs)
        .into_iter()
        .map(|i| ids[i as usize])
        .collect();
    let mut expected = ids.to_vec();
    expected.sort_unstable();
    assert_eq!(ours, expected);
}

#[test]
fn a_compiled_mission_runs_again_and_again_as_a_fresh_run() {
    let dir = tempfile::tempdir().unwrap();
    let mission: Mission = serde_json::from_value(serde_json::json!({
        "name": "m",
        "steps": [
            {"id": "note", "step_type": "create_file",
             "parameters": {"path": "note.txt", "content": "{{run.id}}"}},
            {"id": "read", "step_type": "read_file", "depends_on": ["note"],
             "parameters": {"path": "note.txt"}}
        ]
    }))
    .unwrap();
    let exe = Executable::compile(&mission).unwrap();
    assert_eq!(exe.dag().dependents(0), [1]);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut runs = Vec::new();
    for n in 0..2 {
        let ws = dir.path().join(format!("run{n}"));
        std::fs::create_dir_all(&ws).unwrap();
        let mut sink = crate::CollectingSink::default();
        let result = rt
            .block_on(exe.run(RunOptions::new(&ws), &mut sink))
            .unwrap();
        assert_eq!(result.status, RunStatus::Completed, "{:?}", result.reason);
        // Each run numbers its own events from 1 and reads what it wrote itself.
        assert_eq!(sink.events()[0].seq, 1);
        assert_eq!(
            result.step_results.get("read").unwrap().output["content"],
            result.run_id.as_str()
        );
        runs.push(result.run_id);
    }
    assert_ne!(runs[0], runs[1]);
}

#[test]
fn compiling_refuses_a_cycle_and_an_unavailable_step_type() {
    let cycle: Mission = serde_json::from_value(serde_json::json!({
        "name": "m",
        "steps": [
            {"id": "a", "step_type": "noop", "depends_on": ["b"]},
            {"id": "b", "step_type": "noop", "depends_on": ["a"]}
        ]
    }))
    .unwrap();
    assert!(matches!(
        Executable::compile(&cycle),
        Err(EngineError::Cycle(path)) if path.first() == path.last()
    ));
    let unknown: Mission = serde_json::from_value(serde_json::json!({
        "name": "m", "steps": [{"id": "a", "step_type": "teleport"}]
    }))
    .unwrap();
    assert!(matches!(
        Executable::compile(&unknown),
        Err(EngineError::UnavailableStepType { step, .. }) if step == "a"
    ));
}

#[test]
fn the_derived_plan_lists_each_steps_dependencies_as_written() {
    let mission: Mission = serde_json::from_value(serde_json::json!({
        "name": "m",
        "steps": [
            {"id": "b", "step_type": "noop", "name": "Second", "depends_on": ["a", "a"]},
            {"id": "a", "step_type": "noop"},
            {"id": "c", "step_type": "noop", "depends_on": ["b", "a"]}
        ]
    }))
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let result = rt
        .block_on(run_mission(
            &mission,
            RunOptions::new(dir.path()),
            &mut crate::NullSink,
        ))
        .unwrap();
    let mut expected = Plan::from_mission(&mission);
    for item in &mut expected.items {
        item.set_from_step(StepStatus::Success, None);
    }
    assert_eq!(result.plan, expected);
    assert_eq!(
        serde_json::to_value(&result.plan.items[0]).unwrap(),
        serde_json::json!({"id": "b", "description": "Second", "depends_on": ["a", "a"],
                           "status": "completed"})
    );
    assert_eq!(
        result.step_results.keys().collect::<Vec<_>>(),
        ["a", "b", "c"]
    );
}
