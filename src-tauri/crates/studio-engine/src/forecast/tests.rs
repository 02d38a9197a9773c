//! The forecast against the ledger: each case runs the mission for real under the same caps
//! and checks that the forecast said what the gate then did.

use super::*;
use crate::{run_mission, CollectingSink, RunOptions, RunResult};
use serde_json::json;
use studio_core::{Perimeter, RunStatus, StepStatus};

fn mission(yaml: &str) -> Mission {
    studio_core::load_str(yaml, "forecast.yaml")
        .expect("the test mission loads")
        .mission
}

fn caps(budget: Budget) -> Governance {
    Governance {
        operator: Perimeter {
            budget: Some(budget),
            ..Default::default()
        },
        ..Default::default()
    }
}

fn forecast_of(m: &Mission, g: &Governance) -> Forecast {
    forecast(&ForecastRequest::new(m, g)).expect("the forecast is made")
}

fn run(m: &Mission, g: &Governance) -> RunResult {
    let dir = tempfile::tempdir().unwrap();
    let options = RunOptions::new(dir.path().join("ws")).with_governance(g.clone());
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(run_mission(m, options, &mut CollectingSink::new()))
        .expect("the run starts")
}

/// An http step answered by the simulation block, and a model step that reads its body.
const SUMMARISE: &str = r#"
name: Summarise the feed
goal: Summarise what the feed says, in three lines.
config: {max_concurrent_steps: 4}
simulation:
  enabled: true
  tools:
    - name: fetch
      static_response: {status: 200, body: "{\"items\":[\"budget caps per workflow\",\"faster polling\",\"evidence export\"]}"}
steps:
  - id: fetch
    step_type: http
    timeout_seconds: 30
    retry_attempts: 2
    parameters: {url: "https://feed.example.com/api", method: GET}
  - id: summarise
    step_type: llm
    depends_on: [fetch]
    timeout_seconds: 60
    parameters:
      prompt: "Summarise in three lines: {{fetch.output.body}}"
      max_tokens: 400
  - id: save
    step_type: create_file
    depends_on: [summarise]
    timeout_seconds: 5
    parameters: {path: summary.md, content: "{{summarise.output.text}}"}
"#;

/// The `summarise` prompt the gate reserves under `g` (from the forecast, checked below).
fn prompt_of(f: &Forecast, step: &str) -> u64 {
    let s = f.steps.iter().find(|s| s.step_id == step).unwrap();
    s.llm.as_ref().unwrap().prompt_tokens
}

#[test]
fn a_cap_below_the_prompt_is_forecast_as_the_gate_refuses_it() {
    let m = mission(SUMMARISE);
    let open = forecast_of(&m, &Governance::default());
    assert!(open.holds() && open.can_complete(), "{:?}", open.findings);
    let prompt = prompt_of(&open, "summarise");
    assert!(
        prompt > 100,
        "the context and the body are in the prompt: {prompt}"
    );
    // A cap the prompt alone passes: the gate refuses the call at prompt + 1 answer token.
    let cap = prompt - 10;
    let g = caps(Budget {
        max_tokens: Some(cap),
        ..Default::default()
    });
    let f = forecast_of(&m, &g);
    assert!(!f.can_complete());
    let tokens = f.cap(Cap::MaxTokens).unwrap();
    assert_eq!(tokens.verdict, Verdict::Short);
    assert_eq!(tokens.culprits, vec!["summarise"]);
    assert_eq!(tokens.set_by, vec![Level::Operator]);
    let short = f.shortfall().unwrap();
    assert_eq!(short.need, Some(prompt + 1));
    assert_eq!(
        short.message,
        format!(
            "cannot complete: `summarise` needs up to {} tokens, cap {cap}",
            prompt + 1
        )
    );
    // The run: the same step, refused with the same figures.
    let ran = run(&m, &g);
    assert_eq!(ran.status, RunStatus::Failed);
    let step = &ran.step_results["summarise"];
    assert_eq!(step.status, StepStatus::Failed);
    assert_eq!(
        step.error.as_deref().unwrap(),
        format!(
            "budget_exceeded: max_tokens is {cap}; 0 used or reserved, this attempt needs up to {}",
            prompt + 1
        )
    );
}

#[test]
fn generous_caps_hold_and_the_worst_case_is_the_sum_of_what_each_attempt_asks() {
    let m = mission(SUMMARISE);
    let g = caps(Budget {
        max_tokens: Some(100_000),
        max_llm_calls: Some(5),
        max_cost_usd: Some(1.0),
        max_steps: Some(10),
        max_runtime_minutes: Some(60.0),
    });
    let f = forecast_of(&m, &g);
    assert!(f.holds(), "{:?}", f.findings);
    let prompt = prompt_of(&f, "summarise");
    assert_eq!(
        f.cap(Cap::MaxTokens).unwrap().worst_case,
        Some(prompt + 400)
    );
    assert_eq!(f.cap(Cap::MaxLlmCalls).unwrap().worst_case, Some(1));
    // A canned answer is tried once; `save` may be tried once (no retries).
    assert_eq!(f.cap(Cap::MaxSteps).unwrap().worst_case, Some(3));
    // 30 s (canned: 0) + 60 s (simulated model: 0) + 5 s.
    assert_eq!(
        f.cap(Cap::MaxRuntimeMinutes).unwrap().worst_case,
        Some(5_000)
    );
    let price = crate::pricing::PriceTable::default().price("sim-small");
    assert_eq!(
        f.cap(Cap::MaxCostUsd).unwrap().worst_case,
        Some(crate::budget::token_cost_micros(
            prompt,
            400,
            price.input_per_mtok,
            price.output_per_mtok
        ))
    );
    let ran = run(&m, &g);
    assert_eq!(ran.status, RunStatus::Completed, "{:?}", ran.reason);
    assert!(ran.usage.tokens <= prompt + 400);
}

#[test]
fn a_cap_between_the_least_and_the_worst_case_is_tight_and_the_run_completes() {
    let m = mission(SUMMARISE);
    let prompt = prompt_of(&forecast_of(&m, &Governance::default()), "summarise");
    let g = caps(Budget {
        max_tokens: Some(prompt + 5),
        ..Default::default()
    });
    let f = forecast_of(&m, &g);
    let tokens = f.cap(Cap::MaxTokens).unwrap();
    assert_eq!(tokens.verdict, Verdict::Tight);
    assert_eq!(tokens.culprits, vec!["summarise"]);
    assert!(f.can_complete() && !f.holds());
    let ran = run(&m, &g);
    assert_eq!(ran.status, RunStatus::Completed, "{:?}", ran.reason);
    assert_eq!(
        ran.step_results["summarise"].output["finish_reason"],
        "length"
    );
}

/// Two model calls in a row: the first one's answer is in the second one's prompt.
const CHAIN: &str = r#"
name: Two calls
steps:
  - id: draft
    step_type: llm
    parameters: {prompt: "Draft a short note about budgets.", max_tokens: 600}
  - id: review
    step_type: llm
    depends_on: [draft]
    parameters:
      prompt: "Review this note: {{draft.output.text}}"
      max_tokens: 600
"#;

#[test]
fn a_second_call_refused_after_the_first_is_forecast_to_the_token() {
    let m = mission(CHAIN);
    let open = forecast_of(&m, &Governance::default());
    let (draft, review) = (prompt_of(&open, "draft"), prompt_of(&open, "review"));
    assert!(open.steps[1].llm.as_ref().unwrap().prompt_exact);
    // Room for the first call and a few tokens of its answer only.
    let g = caps(Budget {
        max_tokens: Some(draft + 20),
        ..Default::default()
    });
    let f = forecast_of(&m, &g);
    let short = f.shortfall().expect("the second call cannot be made");
    assert_eq!(short.step_id.as_deref(), Some("review"));
    let ran = run(&m, &g);
    let error = ran.step_results["review"].error.clone().unwrap();
    assert_eq!(
        error,
        format!(
            "budget_exceeded: max_tokens is {}; {} used or reserved, this attempt needs up to {}",
            draft + 20,
            short.used.unwrap(),
            short.need.unwrap()
        ),
        "the forecast said: {}",
        short.message
    );
    // The prompt of the second call with the first answer cut to 20 tokens is shorter than
    // with the whole answer.
    assert!(short.need.unwrap() <= review + 1);
}

#[test]
fn steps_and_calls_count_retries_in_the_worst_case_only() {
    let m = mission(
        r#"
name: Retries
config: {retry_attempts: 2, retry_delay_ms: 100}
steps:
  - id: a
    step_type: command
    timeout_seconds: 2
    parameters: {command: "true"}
  - id: b
    step_type: noop
    depends_on: [a]
  - id: c
    step_type: command
    depends_on: [b]
    timeout_seconds: 3
    parameters: {command: "true"}
"#,
    );
    let g = caps(Budget {
        max_steps: Some(4),
        max_runtime_minutes: Some(0.1),
        ..Default::default()
    });
    let f = forecast_of(&m, &g);
    let steps = f.cap(Cap::MaxSteps).unwrap();
    assert_eq!(steps.worst_case, Some(7), "3 + 1 (noop: once) + 3");
    assert_eq!(steps.verdict, Verdict::Tight);
    assert_eq!(steps.culprits, vec!["c"]);
    // 3 × 2 s + 2 × 0.1 s, then 3 × 3 s + 2 × 0.1 s.
    let runtime = f.cap(Cap::MaxRuntimeMinutes).unwrap();
    assert_eq!(runtime.worst_case, Some(15_400));
    assert_eq!(runtime.limit, Some(6_000));
    assert_eq!(runtime.verdict, Verdict::Tight);
    assert_eq!(runtime.culprits, vec!["a", "b", "c"]);
    assert!(f.can_complete());
    assert_eq!(run(&m, &g).status, RunStatus::Completed);

    let g = caps(Budget {
        max_steps: Some(2),
        ..Default::default()
    });
    let f = forecast_of(&m, &g);
    let short = f.shortfall().unwrap();
    assert_eq!(
        short.message,
        "cannot complete: `c` would be step 3 of at most 2"
    );
    let ran = run(&m, &g);
    assert!(ran.step_results["c"]
        .error
        .as_deref()
        .unwrap()
        .starts_with("budget_exceeded: max_steps is 2"));
}

#[test]
fn money_is_counted_to_the_micro_dollar_and_the_cap_rounded_down() {
    let m = mission(CHAIN);
    let open = forecast_of(&m, &Governance::default());
    let draft = &open.steps[0];
    let need_one = {
        let price = crate::pricing::PriceTable::default().price("sim-small");
        crate::budget::token_cost_micros(
            draft.llm.as_ref().unwrap().prompt_tokens,
            1,
            price.input_per_mtok,
            price.output_per_mtok,
        )
    };
    // Half a micro-dollar less than the least the first call needs.
    let cap_usd = (need_one as f64 - 0.5) / 1_000_000.0;
    let g = caps(Budget {
        max_cost_usd: Some(cap_usd),
        ..Default::default()
    });
    let f = forecast_of(&m, &g);
    let cost = f.cap(Cap::MaxCostUsd).unwrap();
    assert_eq!(
        cost.limit,
        Some(need_one - 1),
        "rounded down, as the ledger does"
    );
    assert_eq!(cost.verdict, Verdict::Short);
    let short = f.shortfall().unwrap();
    assert_eq!(short.need, Some(need_one));
    let ran = run(&m, &g);
    assert!(
        ran.step_results["draft"]
            .error
            .as_deref()
            .unwrap()
            .contains(&format!("needs up to {}", Cap::MaxCostUsd.show(need_one))),
        "{:?}",
        ran.step_results["draft"].error
    );
}

#[test]
fn reused_steps_cost_nothing_and_unknown_values_are_named() {
    let m = mission(
        r#"
name: Unknowns
steps:
  - id: list
    step_type: command
    timeout_seconds: 5
    parameters: {command: ls}
  - id: explain
    step_type: llm
    depends_on: [list]
    parameters: {prompt: "Explain: {{list.output.stdout}}", max_tokens: 50}
"#,
    );
    let g = caps(Budget {
        max_steps: Some(1),
        ..Default::default()
    });
    let f = forecast_of(&m, &g);
    assert!(!f.can_complete(), "two steps, one allowed");
    assert_eq!(f.unknown_values, vec!["list.output.stdout"]);
    assert!(!f.steps[1].llm.as_ref().unwrap().prompt_exact);
    assert!(f
        .findings
        .iter()
        .any(|x| x.severity == Severity::Note && x.message.contains("{{list.output.stdout}}")));
    let mut request = ForecastRequest::new(&m, &g);
    request
        .reused
        .insert("list".into(), json!({"stdout": "a.txt\nb.txt\n"}));
    let f = forecast(&request).unwrap();
    assert!(f.can_complete(), "{:?}", f.findings);
    assert!(f.steps[0].reused && f.steps[0].attempts == 0);
    assert!(f.unknown_values.is_empty());
    assert_eq!(f.cap(Cap::MaxSteps).unwrap().worst_case, Some(1));
    assert_eq!(
        f.cap(Cap::MaxRuntimeMinutes).unwrap().verdict,
        Verdict::Holds
    );
}

#[test]
fn the_level_that_sets_a_limit_is_named() {
    let m = mission(
        r#"
name: Levels
perimeter: {budget: {max_tokens: 500, max_steps: 9}}
steps:
  - id: a
    step_type: noop
"#,
    );
    let g = Governance {
        global: Perimeter {
            budget: Some(Budget {
                max_tokens: Some(300),
                ..Default::default()
            }),
            ..Default::default()
        },
        operator: Perimeter {
            budget: Some(Budget {
                max_steps: Some(9),
                ..Default::default()
            }),
            ..Default::default()
        },
        ..Default::default()
    };
    let f = forecast_of(&m, &g);
    assert_eq!(f.cap(Cap::MaxTokens).unwrap().set_by, vec![Level::Global]);
    assert_eq!(
        f.cap(Cap::MaxSteps).unwrap().set_by,
        vec![Level::Mission, Level::Operator]
    );
    assert!(f.cap(Cap::MaxCostUsd).unwrap().set_by.is_empty());
    assert_eq!(show_duration(150_000), "2 min 30 s");
    assert_eq!(show_duration(3_900_000), "1 h 5 min");
}

#[test]
fn a_refusal_at_a_global_hard_cap_says_where_to_raise_it() {
    let m = mission(
        r#"
name: Two steps
steps:
  - {id: a, step_type: noop}
  - {id: b, step_type: noop, depends_on: [a]}
"#,
    );
    let global = Governance {
        global: Perimeter {
            budget: Some(Budget {
                max_steps: Some(1),
                ..Default::default()
            }),
            ..Default::default()
        },
        ..Default::default()
    };
    let f = forecast_of(&m, &global);
    assert_eq!(f.shortfall().unwrap().set_by, vec![Level::Global]);
    let ran = run(&m, &global);
    let error = ran.step_results["b"].error.clone().unwrap();
    assert!(
        error.ends_with(
            " (a global hard cap: raise Settings → Global hard caps → Steps, or `max_steps` in perimeter.yaml in the data folder)"
        ),
        "{error}"
    );
    // The same cap set by the operator: no such note.
    let operator = caps(Budget {
        max_steps: Some(1),
        ..Default::default()
    });
    let error = run(&m, &operator).step_results["b"].error.clone().unwrap();
    assert!(!error.contains("global"), "{error}");
}

#[test]
fn an_embedding_call_is_forecast_with_its_provider_and_the_local_embedder_costs_nothing() {
    let m = mission(
        r#"
name: Knowledge forecast
steps:
  - id: local
    step_type: rag_query
    parameters: {query: "how are keys rotated"}
  - id: priced
    step_type: generate_embedding
    parameters: {provider: simulated, model: text-embedding-3-small, text: "twelve chars"}
"#,
    );
    let f = forecast_of(&m, &Governance::default());
    let step = |id: &str| f.steps.iter().find(|s| s.step_id == id).unwrap();
    assert!(
        step("local").llm.is_none(),
        "the local embedder is no model call"
    );
    assert_eq!(step("local").per_attempt.llm_calls, 0);
    let llm = step("priced").llm.as_ref().expect("a model call");
    assert_eq!(
        (llm.provider.as_str(), llm.model.as_str()),
        ("simulated", "text-embedding-3-small")
    );
    assert_eq!(
        llm.prompt_tokens, 3,
        "the simulated tokenizer, to the token"
    );
    assert_eq!(step("priced").per_attempt.llm_calls, 1);
}
