//! Properties of an agent's gated calls over generated scripts (the simulated provider plays
//! them offline): no call the gate refused runs, and what the run spends — model turns and
//! calls, each reserved before and settled after — never passes the cost cap.

use proptest::prelude::*;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::Arc;
use studio_core::{Mission, RunStatus};
use studio_engine::approval::ApproveAll;
use studio_engine::tools::{ToolDef, ToolRegistry};
use studio_engine::{run_mission, CollectingSink, Governance, RunOptions};

/// One call the generated model makes.
#[derive(Debug, Clone)]
enum Call {
    /// A registry tool that costs 0.01 USD and leaves a file `paid-<k>` behind.
    Pay,
    Noop,
    /// Forbidden by the perimeter.
    Delete,
    /// Not offered to the agent.
    Ghost,
    /// Another sector's tool.
    Finance,
}

fn call() -> impl Strategy<Value = Call> {
    prop_oneof![
        4 => Just(Call::Pay),
        2 => Just(Call::Noop),
        1 => Just(Call::Delete),
        1 => Just(Call::Ghost),
        1 => Just(Call::Finance),
    ]
}

const PAY: &str = r#"
name: pay
sector: common
description: Pay for something (leaves a receipt file)
side_effects: workspace
cost_usd: 0.01
input_schema: {type: object, required: [k], properties: {k: {type: integer}}}
run:
  command: {command: touch, args: ["paid-{{input.k}}"]}
"#;

const FINANCE: &str = r#"
name: transfer
sector: Finance
description: Move money
side_effects: external
cost_usd: 0.0
input_schema: {type: object}
run:
  command: {command: touch, args: ["transferred"]}
"#;

fn registry() -> Arc<ToolRegistry> {
    let mut r = ToolRegistry::new();
    for yaml in [PAY, FINANCE] {
        let def: ToolDef = serde_saphyr::from_str(yaml).unwrap();
        r.insert(def);
    }
    Arc::new(r)
}

fn script(turns: &[Vec<Call>]) -> Value {
    let mut k = 0;
    let mut out: Vec<Value> = turns
        .iter()
        .map(|calls| {
            let calls: Vec<Value> = calls
                .iter()
                .map(|c| match c {
                    Call::Pay => {
                        k += 1;
                        json!({"tool": "pay", "input": {"k": k}})
                    }
                    Call::Noop => json!({"tool": "noop", "input": {}}),
                    Call::Delete => json!({"tool": "delete_file", "input": {"path": "keep.txt"}}),
                    Call::Ghost => json!({"tool": "ghost", "input": {}}),
                    Call::Finance => json!({"tool": "transfer", "input": {}}),
                })
                .collect();
            json!({"tool_calls": calls})
        })
        .collect();
    out.push(json!({"answer": "done"}));
    Value::Array(out)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    #[test]
    fn refused_calls_never_run_and_the_cost_cap_holds(
        turns in prop::collection::vec(prop::collection::vec(call(), 1..4), 1..6),
        cap_cents in 0u32..12,
    ) {
        let cap = f64::from(cap_cents) / 100.0 + 0.0005;
        let m: Mission = serde_json::from_value(json!({
            "name": "Agent Property",
            "perimeter": {
                "budget": {"max_cost_usd": cap},
                "tools": {"forbidden": ["delete_file"]},
            },
            "simulation": {"agents": [{"step": "agent", "turns": script(&turns)}]},
            "steps": [{"id": "agent", "step_type": "agent", "parameters": {
                "objective": "Spend carefully",
                "tools": ["pay", "noop", "delete_file", "transfer"],
                "max_iterations": 20,
            }}],
        })).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let ws = dir.path().join("workspace");
        std::fs::create_dir_all(&ws).unwrap();
        std::fs::write(ws.join("keep.txt"), "keep").unwrap();
        let governance = Governance {
            tools: registry(),
            approver: Arc::new(ApproveAll),
            ..Default::default()
        };
        let mut options = RunOptions::new(&ws).with_governance(governance);
        options.env = Some(BTreeMap::new());
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let result = rt.block_on(async {
            let mut sink = CollectingSink::new();
            run_mission(&m, options, &mut sink).await.unwrap()
        });
        prop_assert!(result.usage.cost_usd <= cap + 1e-9,
            "spent {} over the cap {cap}", result.usage.cost_usd);
        prop_assert!(ws.join("keep.txt").exists(), "the forbidden delete never ran");
        prop_assert!(!ws.join("transferred").exists(), "the other sector's tool never ran");
        let out = &result.step_results["agent"].output;
        let calls = out["calls"].as_array().cloned().unwrap_or_default();
        for c in &calls {
            let ran = matches!(c["decision"].as_str(), Some("allowed" | "approved" | "failed"));
            if c["tool"] == "pay" {
                let k = c["input"]["k"].as_u64().unwrap();
                prop_assert_eq!(ws.join(format!("paid-{k}")).exists(), ran,
                    "call {} ({}) and its receipt", c["n"], c["decision"]);
            }
            if !ran {
                prop_assert!(c["output"].is_null(), "a refused call has no output: {c}");
            }
        }
        let paid = calls.iter().filter(|c| c["tool"] == "pay" && c["decision"] == "allowed").count();
        prop_assert!(paid as f64 * 0.01 <= cap + 1e-9);
        if out["stopped_because"] == "budget_exceeded" {
            prop_assert_eq!(result.status, RunStatus::Failed);
            prop_assert!(result.reason.clone().unwrap_or_default().contains("budget_exceeded"));
        }
    }
}

/// The property's ground, on one fixed script: five paid calls under a 0.025 USD cap (model
/// turns cost a few millionths): two run, the third is refused by the budget and ends the run.
#[test]
fn a_fixed_script_pays_twice_then_stops_at_the_cap() {
    let turns = vec![vec![Call::Pay, Call::Pay, Call::Pay, Call::Pay, Call::Pay]];
    let m: Mission = serde_json::from_value(json!({
        "name": "Agent Property",
        "perimeter": {"budget": {"max_cost_usd": 0.025}},
        "simulation": {"agents": [{"step": "agent", "turns": script(&turns)}]},
        "steps": [{"id": "agent", "step_type": "agent", "parameters": {
            "objective": "Spend carefully", "tools": ["pay"],
        }}],
    }))
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("workspace");
    std::fs::create_dir_all(&ws).unwrap();
    let governance = Governance {
        tools: registry(),
        approver: Arc::new(ApproveAll),
        ..Default::default()
    };
    let mut options = RunOptions::new(&ws).with_governance(governance);
    options.env = Some(BTreeMap::new());
    let rt = tokio::runtime::Runtime::new().unwrap();
    let result = rt.block_on(async {
        run_mission(&m, options, &mut CollectingSink::new())
            .await
            .unwrap()
    });
    let decisions: Vec<String> = result.step_results["agent"].output["calls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["decision"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(decisions, ["allowed", "allowed", "refused"]);
    assert!(ws.join("paid-1").exists() && ws.join("paid-2").exists());
    assert!(!ws.join("paid-3").exists());
    assert_eq!(result.status, RunStatus::Failed);
    assert!(result.usage.cost_usd <= 0.025);
}
