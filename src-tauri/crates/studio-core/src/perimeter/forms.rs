//! The governance blocks of imported formats (a mission pack's `mission.yaml`, the Mission
//! Envelope) read as a [`Perimeter`].

use super::DEFAULT_THRESHOLD_USD;
use crate::mission::{Approval, ApprovalMode, Budget, Perimeter, Sandbox, ToolRules};
use serde::{Deserialize, Serialize};

/// The governance fields of a mission pack's `mission.yaml` (camelCase budget).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct PackGovernance {
    #[serde(default)]
    pub budget: PackBudget,
    #[serde(default)]
    pub approval: Option<PackApproval>,
    #[serde(default)]
    pub sandbox: Option<Sandbox>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct PackBudget {
    #[serde(default)]
    pub max_steps: Option<u64>,
    #[serde(default)]
    pub max_tokens: Option<u64>,
    #[serde(default)]
    pub max_time_minutes: Option<f64>,
}

/// `approval: none | on-request | always`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PackApproval {
    None,
    OnRequest,
    Always,
}

impl From<&PackGovernance> for Perimeter {
    /// `none` → auto; `always` → strict; `on-request` → threshold at
    /// [`DEFAULT_THRESHOLD_USD`].
    fn from(pack: &PackGovernance) -> Self {
        let approval = pack.approval.map(|a| match a {
            PackApproval::None => Approval::default(),
            PackApproval::Always => Approval {
                mode: ApprovalMode::Strict,
                ..Default::default()
            },
            PackApproval::OnRequest => Approval {
                mode: ApprovalMode::Threshold,
                threshold_usd: Some(DEFAULT_THRESHOLD_USD),
                required_for: Vec::new(),
            },
        });
        Perimeter {
            budget: Some(Budget {
                max_steps: pack.budget.max_steps,
                max_tokens: pack.budget.max_tokens,
                max_runtime_minutes: pack.budget.max_time_minutes,
                ..Default::default()
            }),
            approval,
            sandbox: pack.sandbox,
            tools: None,
            connected_sectors: Vec::new(),
            roots: Vec::new(),
            network: None,
        }
    }
}

/// The governance fields of a Mission Envelope v1 dispatch payload.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct EnvelopeGovernance {
    #[serde(default)]
    pub constraints: EnvelopeConstraints,
    #[serde(default)]
    pub budget: EnvelopeBudget,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct EnvelopeConstraints {
    #[serde(default)]
    pub allowed_tools: Vec<String>,
    #[serde(default)]
    pub forbidden_tools: Vec<String>,
    #[serde(default)]
    pub approval_required: Vec<String>,
}

/// Envelope budgets; `0` means "not set" (the envelope's schema uses 0 as its placeholder).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct EnvelopeBudget {
    #[serde(default)]
    pub max_runtime_minutes: Option<f64>,
    #[serde(default)]
    pub max_llm_calls: Option<u64>,
    #[serde(default)]
    pub max_cost_usd: Option<f64>,
}

impl From<&EnvelopeGovernance> for Perimeter {
    /// `approval_required` tools need approval in every mode but `auto`, so it maps to
    /// threshold mode without an amount (only the listed tools).
    fn from(env: &EnvelopeGovernance) -> Self {
        let positive_f = |v: Option<f64>| v.filter(|v| *v > 0.0 && v.is_finite());
        let c = &env.constraints;
        Perimeter {
            budget: Some(Budget {
                max_cost_usd: positive_f(env.budget.max_cost_usd),
                max_llm_calls: env.budget.max_llm_calls.filter(|v| *v > 0),
                max_runtime_minutes: positive_f(env.budget.max_runtime_minutes),
                ..Default::default()
            }),
            approval: (!c.approval_required.is_empty()).then(|| Approval {
                mode: ApprovalMode::Threshold,
                threshold_usd: None,
                required_for: c.approval_required.clone(),
            }),
            sandbox: None,
            tools: (!c.allowed_tools.is_empty() || !c.forbidden_tools.is_empty()).then(|| {
                ToolRules {
                    allowed: c.allowed_tools.clone(),
                    forbidden: c.forbidden_tools.clone(),
                }
            }),
            connected_sectors: Vec::new(),
            roots: Vec::new(),
            network: None,
        }
    }
}
