//! The resolver on generated templates: pieces of every reference form (namespaces, step
//! outputs, paths with dots and brackets, huge and negative indexes, stray braces, unicode)
//! put together at random, inside strings, lists and mappings.
//!
//! For every input: no panic, an answer within a second, an unresolved reference that names
//! itself as written in the input, a lenient resolution that never fails, and a value without
//! `{{` that comes back unchanged. `MISSION_FUZZ_CASES=N` sets the number of inputs.

use super::*;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use serde_json::json;
use std::time::{Duration, Instant};

const PIECES: &[&str] = &[
    "{{",
    "{{",
    "{{",
    "}}",
    "}}",
    "}}",
    "{",
    "}",
    " ",
    "fetch",
    "fetch.output",
    ".output",
    ".json",
    ".items",
    ".name",
    "[0]",
    "[1]",
    "[",
    "]",
    ".0",
    ".7",
    "[-1]",
    "[1e3]",
    ".99999999999999999999",
    "env.",
    "TOKEN",
    "HOME",
    "context.",
    "who",
    "state.",
    "count",
    "config.",
    "fail_fast",
    "mission.id",
    "mission.",
    "run.",
    "id",
    "workspace",
    "started_at",
    "steps.",
    "timestamp",
    "skipped_one",
    "nobody",
    ".",
    "..",
    "é",
    "💥",
    "x",
    "\n",
    "\u{0}",
];

fn template() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(PIECES), 0..12).prop_map(|p| p.concat())
}

fn document() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        6 => template().prop_map(Value::String),
        1 => Just(json!(1)),
        1 => Just(Value::Null),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(template(), inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Every string of a value, keys included.
fn strings(v: &Value, out: &mut String) {
    match v {
        Value::String(s) => out.push_str(s),
        Value::Array(items) => items.iter().for_each(|i| strings(i, out)),
        Value::Object(map) => map.iter().for_each(|(k, v)| {
            out.push_str(k);
            strings(v, out);
        }),
        _ => {}
    }
}

fn cases() -> u32 {
    std::env::var("MISSION_FUZZ_CASES")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(4_000)
}

#[test]
fn generated_templates_resolve_or_name_the_reference_that_failed() {
    let context = BTreeMap::from([("who".to_string(), json!("world"))]);
    let state = BTreeMap::from([("count".to_string(), json!(3))]);
    let config = json!({"fail_fast": true, "max_concurrent_steps": 4});
    let fetch = json!({"status": 200, "json": {"items": [{"name": "a"}, {"name": "b"}]}});
    let env = |name: &str| (name == "TOKEN").then(|| "tok-123456".to_string());
    let step = |id: &str| match id {
        "fetch" => StepLookup::Output(&fetch),
        "skipped_one" => StepLookup::NoOutput(StepStatus::Skipped),
        _ => StepLookup::Unknown,
    };
    let finished = || vec!["fetch".to_string()];
    let scope = Scope {
        env: &env,
        context: &context,
        started_at: "2026-01-02T03:04:05.000Z",
        config: &config,
        state: &state,
        mission_id: "com.example.m",
        run_id: "run-1",
        workspace: "/tmp/ws",
        step: &step,
        finished_steps: &finished,
    };
    let cases = cases();
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    let slowest = std::cell::Cell::new(Duration::ZERO);
    let started = Instant::now();
    let result = runner.run(&document(), |doc| {
        let t = Instant::now();
        let strict = resolve(&doc, &scope, &mut Redactor::default());
        let mut unknown = Vec::new();
        let _ = resolve_lenient(&doc, &scope, &mut Redactor::default(), &mut unknown);
        let took = t.elapsed();
        slowest.set(slowest.get().max(took));
        if took > Duration::from_secs(1) {
            return Err(TestCaseError::fail(format!("took {took:?} on {doc}")));
        }
        let mut text = String::new();
        strings(&doc, &mut text);
        match strict {
            Err(e) if !text.contains(e.reference.as_str()) || e.reason.is_empty() => {
                Err(TestCaseError::fail(format!(
                    "an error that names no reference of the input: {e:?} on {doc}"
                )))
            }
            Ok(v) if !has_templates(&doc) && v != doc => Err(TestCaseError::fail(format!(
                "a value without references changed: {doc} became {v}"
            ))),
            _ => Ok(()),
        }?;
        match unknown.iter().find(|u| !text.contains(u.as_str())) {
            Some(u) => Err(TestCaseError::fail(format!(
                "a lenient miss `{u}` that is not in {doc}"
            ))),
            None => Ok(()),
        }
    });
    eprintln!(
        "fuzz variable resolver: {cases} inputs in {:.1} s, slowest input {:.1} ms",
        started.elapsed().as_secs_f64(),
        slowest.get().as_secs_f64() * 1000.0
    );
    if let Err(failure) = result {
        panic!("fuzz target `variable resolver` failed: {failure}");
    }
}
