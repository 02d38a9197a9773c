//! The Spark plan: the mission's `plan`, or one derived from its steps, with a status per item.

use serde::{Deserialize, Serialize};
use smallvec::SmallVec;
use std::fmt::Write as _;
use std::sync::Arc;
use studio_core::{Mission, StepStatus};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PlanStatus {
    Pending,
    InProgress,
    Completed,
    Blocked,
}

impl PlanStatus {
    /// The plan status of an item whose step has this status.
    pub fn of_step(status: StepStatus) -> Self {
        match status {
            StepStatus::Pending => Self::Pending,
            StepStatus::Running => Self::InProgress,
            StepStatus::Success => Self::Completed,
            StepStatus::Blocked
            | StepStatus::Failed
            | StepStatus::Skipped
            | StepStatus::Cancelled => Self::Blocked,
        }
    }

    fn mark(self) -> &'static str {
        match self {
            Self::Pending => "[ ]",
            Self::InProgress => "[~]",
            Self::Completed => "[x]",
            Self::Blocked => "[!]",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanItem {
    /// Shared with the run's own copy of the step ids (an item costs no copy of its texts).
    pub id: Arc<str>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Held inline up to two ids (most steps wait on one or two): no allocation per item.
    #[serde(default, skip_serializing_if = "SmallVec::is_empty")]
    pub depends_on: SmallVec<[Arc<str>; 2]>,
    pub status: PlanStatus,
    /// Why the item is blocked (the step's status or error), when it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl PlanItem {
    /// Sets the item from its step's status; a blocked item notes the step's error.
    pub(crate) fn set_from_step(&mut self, status: StepStatus, error: Option<&str>) {
        self.status = PlanStatus::of_step(status);
        self.note = match self.status {
            PlanStatus::Blocked => Some(error.unwrap_or(status.as_str()).to_string()),
            _ => None,
        };
    }
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Plan {
    pub items: Vec<PlanItem>,
}

impl Plan {
    /// The mission's declared plan, or one item per step (described by its name).
    pub fn from_mission(mission: &Mission) -> Self {
        let items = match &mission.plan {
            Some(plan) if !plan.steps.is_empty() => plan
                .steps
                .iter()
                .map(|p| PlanItem {
                    id: Arc::from(p.id.as_str()),
                    description: p.description.clone(),
                    depends_on: p.depends_on.iter().map(|d| Arc::from(d.as_str())).collect(),
                    status: PlanStatus::Pending,
                    note: None,
                })
                .collect(),
            _ => mission
                .steps
                .iter()
                .map(|s| PlanItem {
                    id: Arc::from(s.id.as_str()),
                    description: s.description.clone().or_else(|| s.name.clone()),
                    depends_on: s.depends_on.iter().map(|d| Arc::from(d.as_str())).collect(),
                    status: PlanStatus::Pending,
                    note: None,
                })
                .collect(),
        };
        Self { items }
    }

    /// Whether the mission declares its own plan (otherwise the plan is derived from the steps).
    pub fn is_declared(mission: &Mission) -> bool {
        mission.plan.as_ref().is_some_and(|p| !p.steps.is_empty())
    }

    /// The plan derived from the steps, sharing the run's step ids: `ids[i]` is the id of step
    /// `i`, `dependencies(i)` the indexes of its `depends_on`, as written.
    pub(crate) fn derived<'d>(
        mission: &Mission,
        ids: &[&'d Arc<str>],
        dependencies: impl Fn(usize) -> &'d [u32],
    ) -> Self {
        let items = mission
            .steps
            .iter()
            .zip(ids)
            .enumerate()
            .map(|(i, (s, &id))| PlanItem {
                id: Arc::clone(id),
                description: s.description.clone().or_else(|| s.name.clone()),
                depends_on: dependencies(i)
                    .iter()
                    .map(|&d| Arc::clone(ids[d as usize]))
                    .collect(),
                status: PlanStatus::Pending,
                note: None,
            })
            .collect();
        Self { items }
    }

    /// Records a step's new status on the item with the same id (if the plan has one).
    pub fn update(&mut self, step_id: &str, status: StepStatus, note: Option<&str>) {
        if let Some(item) = self.items.iter_mut().find(|i| *i.id == *step_id) {
            item.status = PlanStatus::of_step(status);
            item.note = match item.status {
                PlanStatus::Blocked => Some(note.unwrap_or(status.as_str()).to_string()),
                _ => None,
            };
        }
    }

    /// Sets every item's status from its step's (status, error), looked up by id.
    pub fn apply(&mut self, lookup: impl Fn(&str) -> Option<(StepStatus, Option<String>)>) {
        for item in &mut self.items {
            if let Some((status, note)) = lookup(&item.id) {
                item.status = PlanStatus::of_step(status);
                item.note = match item.status {
                    PlanStatus::Blocked => {
                        Some(note.unwrap_or_else(|| status.as_str().to_string()))
                    }
                    _ => None,
                };
            }
        }
    }

    pub fn count(&self, status: PlanStatus) -> usize {
        self.items.iter().filter(|i| i.status == status).count()
    }

    /// A checklist: `[x]` completed, `[~]` in progress, `[ ]` pending, `[!]` blocked.
    pub fn render_text(&self) -> String {
        let mut out = format!(
            "Plan: {} of {} completed\n",
            self.count(PlanStatus::Completed),
            self.items.len()
        );
        for item in &self.items {
            let _ = write!(out, "  {} {}", item.status.mark(), item.id);
            if let Some(d) = &item.description {
                let _ = write!(out, " — {d}");
            }
            if let Some(note) = &item.note {
                let _ = write!(out, " ({note})");
            }
            out.push('\n');
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_plan_is_derived_from_steps_and_renders_as_a_checklist() {
        let mission: Mission = serde_json::from_value(json!({
            "name": "m",
            "steps": [
                {"id": "a", "name": "Fetch", "step_type": "noop"},
                {"id": "b", "step_type": "noop", "depends_on": ["a"]},
                {"id": "c", "step_type": "noop"}
            ]
        }))
        .unwrap();
        let mut plan = Plan::from_mission(&mission);
        plan.update("a", StepStatus::Success, None);
        plan.update("b", StepStatus::Running, None);
        plan.update("c", StepStatus::Skipped, Some("skipped: `x` failed"));
        let text = plan.render_text();
        assert!(text.starts_with("Plan: 1 of 3 completed"), "{text}");
        assert!(text.contains("[x] a — Fetch"), "{text}");
        assert!(text.contains("[~] b"), "{text}");
        assert!(text.contains("[!] c (skipped: `x` failed)"), "{text}");
    }

    #[test]
    fn a_declared_plan_wins_over_the_steps() {
        let mission: Mission = serde_json::from_value(json!({
            "name": "m",
            "plan": {"steps": [{"id": "validate", "description": "Validate input"}]},
            "steps": [{"id": "validate", "step_type": "noop"}, {"id": "x", "step_type": "noop"}]
        }))
        .unwrap();
        let plan = Plan::from_mission(&mission);
        assert_eq!(plan.items.len(), 1);
        assert_eq!(plan.items[0].description.as_deref(), Some("Validate input"));
    }
}
