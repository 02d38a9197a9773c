//! A run's plan as Spark's `MissionPlan.render_text()` prints it: one line per plan step with
//! a status mark, its id and description, and what it waits on.

use studio_core::StepStatus;

/// One plan step with its run status.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanLine {
    pub id: String,
    pub description: Option<String>,
    pub depends_on: Vec<String>,
    /// `None`: the run has no such step (a plan-only item).
    pub status: Option<StepStatus>,
}

/// Spark's status word and mark for a step status: completed `[x]`, in_progress `[>]`,
/// pending `[ ]`, blocked `[?]` (awaiting approval); and this engine's failed `[!]`, skipped
/// and cancelled `[-]`.
pub fn mark(status: Option<StepStatus>) -> (&'static str, &'static str) {
    match status {
        Some(StepStatus::Success) => ("[x]", "completed"),
        Some(StepStatus::Running) => ("[>]", "in_progress"),
        Some(StepStatus::Failed) => ("[!]", "failed"),
        Some(StepStatus::Blocked) => ("[?]", "blocked"),
        Some(StepStatus::Skipped) => ("[-]", "skipped"),
        Some(StepStatus::Cancelled) => ("[-]", "cancelled"),
        Some(StepStatus::Pending) | None => ("[ ]", "pending"),
    }
}

/// The text: a title line, then `[x] id — description (completed)` per step.
pub fn render_plan_text(title: &str, lines: &[PlanLine]) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let done = lines
        .iter()
        .filter(|l| l.status == Some(StepStatus::Success))
        .count();
    let _ = writeln!(
        out,
        "Mission plan: {title} ({done}/{} completed)",
        lines.len()
    );
    for line in lines {
        let (mark, word) = mark(line.status);
        let description = line
            .description
            .as_deref()
            .map(|d| format!(" - {d}"))
            .unwrap_or_default();
        let after = if line.depends_on.is_empty() {
            String::new()
        } else {
            format!(" [after: {}]", line.depends_on.join(", "))
        };
        let _ = writeln!(out, "{mark} {}{description} ({word}){after}", line.id);
    }
    out
}

/// The plan lines of a recorded run: the plan of the mission as run (its evidence folder's
/// `mission.yaml`), else its steps in order, each with the run's status of that step.
pub fn plan_of_run(details: &crate::RunDetails) -> (String, Vec<PlanLine>) {
    let mission = details
        .evidence_dir
        .as_deref()
        .map(|d| std::path::Path::new(d).join("mission.yaml"))
        .and_then(|p| studio_core::load_file(&p).ok())
        .map(|l| l.mission);
    let status = |id: &str| {
        details
            .steps
            .iter()
            .find(|s| s.step_id == id)
            .map(|s| s.status)
    };
    let title = mission
        .as_ref()
        .map_or_else(|| details.run.mission_id.clone(), |m| m.name.clone());
    let lines = match &mission {
        Some(m) => match &m.plan {
            Some(plan) if !plan.steps.is_empty() => plan
                .steps
                .iter()
                .map(|p| PlanLine {
                    id: p.id.clone(),
                    description: p.description.clone(),
                    depends_on: p.depends_on.clone(),
                    status: status(&p.id),
                })
                .collect(),
            _ => m
                .steps
                .iter()
                .map(|s| PlanLine {
                    id: s.id.clone(),
                    description: s.description.clone().or_else(|| s.name.clone()),
                    depends_on: s.depends_on.clone(),
                    status: status(&s.id),
                })
                .collect(),
        },
        None => details
            .steps
            .iter()
            .map(|s| PlanLine {
                id: s.step_id.clone(),
                description: None,
                depends_on: Vec::new(),
                status: Some(s.status),
            })
            .collect(),
    };
    (title, lines)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_step_gets_its_mark() {
        let line = |id: &str, status| PlanLine {
            id: id.into(),
            description: Some(format!("{id} it")),
            depends_on: vec![],
            status,
        };
        let text = render_plan_text(
            "p",
            &[
                line("a", Some(StepStatus::Success)),
                line("b", Some(StepStatus::Running)),
                line("c", None),
            ],
        );
        assert_eq!(
            text,
            "Mission plan: p (1/3 completed)\n[x] a - a it (completed)\n[>] b - b it (in_progress)\n[ ] c - c it (pending)\n"
        );
    }
}
