//! The mission's logic with defaults filled in: what the engine runs and what `logic_hash`
//! hashes. Names, descriptions and registry fields are not part of the logic.

use crate::mission::{Mission, MissionConfig, Simulation, Step, StepApproval};
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;

/// `config.fail_fast` when absent.
pub const DEFAULT_FAIL_FAST: bool = true;
/// `config.retry_attempts` when absent.
pub const DEFAULT_RETRY_ATTEMPTS: u32 = 0;
/// `config.retry_delay_ms` when absent.
pub const DEFAULT_RETRY_DELAY_MS: u64 = 1000;
/// `continue_on_error` when absent.
pub const DEFAULT_CONTINUE_ON_ERROR: bool = false;

/// `config` with defaults filled in. `None` means "no limit" (timeout) or "the engine's
/// choice" (concurrency).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct EffectiveConfig {
    pub timeout_seconds: Option<u64>,
    pub fail_fast: bool,
    pub max_concurrent_steps: Option<usize>,
    pub retry_attempts: u32,
    pub retry_delay_ms: u64,
}

impl EffectiveConfig {
    pub fn of(config: Option<&MissionConfig>) -> Self {
        let c = config.cloned().unwrap_or_default();
        Self {
            timeout_seconds: c.timeout_seconds,
            fail_fast: c.fail_fast.unwrap_or(DEFAULT_FAIL_FAST),
            max_concurrent_steps: c.max_concurrent_steps,
            retry_attempts: c.retry_attempts.unwrap_or(DEFAULT_RETRY_ATTEMPTS),
            retry_delay_ms: c.retry_delay_ms.unwrap_or(DEFAULT_RETRY_DELAY_MS),
        }
    }
}

/// One step with defaults filled in (its own retry count, or the mission's).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NormalizedStep<'a> {
    pub id: &'a str,
    pub step_type: &'a str,
    /// As written (order and repeats kept).
    pub depends_on: &'a [String],
    pub timeout_seconds: Option<u64>,
    pub continue_on_error: bool,
    pub retry_attempts: u32,
    pub parameters: &'a Value,
    pub approval: Option<StepApproval>,
    pub state: &'a BTreeMap<String, Value>,
}

impl<'a> NormalizedStep<'a> {
    pub fn of(step: &'a Step, config: &EffectiveConfig) -> Self {
        Self {
            id: &step.id,
            step_type: &step.step_type,
            depends_on: &step.depends_on,
            timeout_seconds: step.timeout_seconds,
            continue_on_error: step.continue_on_error.unwrap_or(DEFAULT_CONTINUE_ON_ERROR),
            retry_attempts: step.retry_attempts.unwrap_or(config.retry_attempts),
            parameters: &step.parameters,
            approval: step.approval,
            state: &step.state,
        }
    }
}

/// The logic of a mission: normalised steps, config and simulation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MissionLogic<'a> {
    pub steps: Vec<NormalizedStep<'a>>,
    pub config: EffectiveConfig,
    pub simulation: Simulation,
}

impl<'a> MissionLogic<'a> {
    pub fn of(mission: &'a Mission) -> Self {
        let config = EffectiveConfig::of(mission.config.as_ref());
        Self {
            steps: mission
                .steps
                .iter()
                .map(|s| NormalizedStep::of(s, &config))
                .collect(),
            config,
            simulation: mission.simulation.clone().unwrap_or_default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_filled_and_step_overrides_win() {
        let mut mission: Mission = serde_json::from_value(serde_json::json!({
            "name": "n",
            "config": {"retry_attempts": 2},
            "steps": [
                {"id": "a", "step_type": "noop"},
                {"id": "b", "step_type": "noop", "retry_attempts": 5, "continue_on_error": true}
            ]
        }))
        .unwrap();
        let logic = MissionLogic::of(&mission);
        assert!(logic.config.fail_fast, "fail_fast defaults to true");
        assert_eq!(logic.config.retry_delay_ms, DEFAULT_RETRY_DELAY_MS);
        assert_eq!(
            (
                logic.steps[0].retry_attempts,
                logic.steps[0].continue_on_error
            ),
            (2, false)
        );
        assert_eq!(
            (
                logic.steps[1].retry_attempts,
                logic.steps[1].continue_on_error
            ),
            (5, true)
        );
        mission.config = None;
        assert_eq!(MissionLogic::of(&mission).steps[0].retry_attempts, 0);
    }
}
