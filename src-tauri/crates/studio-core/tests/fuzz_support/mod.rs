//! Shared parts of the structure-aware random tests (`fuzz_*.rs`): the case budget, the
//! per-input guard, generators of hostile values and missions, a YAML writer with YAML's
//! tricks, and byte-level mutations of the repository's real mission files.
//!
//! `MISSION_FUZZ_CASES=N` runs every target with `N` generated inputs instead of its default
//! (the defaults add up to more than 50,000 inputs over all targets).
#![allow(dead_code)]

pub mod guard;
pub mod model;
pub mod mutate;
pub mod values;
pub mod yaml;

use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use std::time::Instant;

/// The environment variable that sets how many inputs each target generates.
pub const CASES_VAR: &str = "MISSION_FUZZ_CASES";

/// How many inputs a target generates: `MISSION_FUZZ_CASES` when set, else its default.
pub fn cases(default: u32) -> u32 {
    std::env::var(CASES_VAR)
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(default)
}

/// Runs `check` on `cases(default)` inputs drawn from `strategy`, then prints one line with
/// the target's figures (seen with `--nocapture`). A failing input is shrunk and reported.
/// Nothing is persisted: regressions live in the `fuzz_corpus` folders.
pub fn run_target<S: Strategy>(
    target: &str,
    default: u32,
    strategy: S,
    check: impl Fn(S::Value) -> Result<(), TestCaseError>,
) where
    S::Value: std::fmt::Debug,
{
    let cases = cases(default);
    let config = Config {
        cases,
        failure_persistence: None,
        max_shrink_iters: 2_000,
        ..Config::default()
    };
    let mut runner = TestRunner::new(config);
    guard::reset_slowest();
    let started = Instant::now();
    let result = runner.run(&strategy, check);
    let wall = started.elapsed();
    eprintln!(
        "fuzz {target}: {cases} inputs in {:.1} s, slowest input {:.1} ms",
        wall.as_secs_f64(),
        guard::slowest().as_secs_f64() * 1000.0
    );
    if let Err(failure) = result {
        panic!("fuzz target `{target}` failed: {failure}");
    }
}

/// Draws one value of a strategy from a fixed seed (for building seeds deterministically).
pub fn sample<S: Strategy>(strategy: &S, runner: &mut TestRunner) -> S::Value {
    strategy
        .new_tree(runner)
        .expect("the strategy draws a value")
        .current()
}
