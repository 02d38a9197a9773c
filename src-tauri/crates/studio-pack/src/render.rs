//! The readable files of an evidence folder.

use crate::PackError;
use serde_json::Value;
use std::fmt::Write as _;
use studio_core::{Mission, MissionConfig, StepStatus};
use studio_engine::{RunResult, StepResult};

/// The mission as run: id filled in, the effective config, and the perimeter.
pub(crate) fn mission_yaml(mission: &Mission) -> Result<String, PackError> {
    let mut resolved = mission.clone();
    resolved.id = Some(mission.mission_id());
    let c = mission.config();
    resolved.config = Some(MissionConfig {
        timeout_seconds: c.timeout_seconds,
        fail_fast: Some(c.fail_fast.unwrap_or(true)),
        max_concurrent_steps: Some(
            c.max_concurrent_steps
                .unwrap_or(studio_engine::DEFAULT_MAX_CONCURRENT_STEPS)
                .max(1),
        ),
        retry_attempts: Some(c.retry_attempts.unwrap_or(0)),
        retry_delay_ms: Some(
            c.retry_delay_ms
                .unwrap_or(studio_engine::DEFAULT_RETRY_DELAY_MS),
        ),
    });
    resolved.perimeter = Some(mission.perimeter.clone().unwrap_or_default());
    let body = serde_saphyr::to_string(&resolved).map_err(|e| PackError::Serialise {
        what: "mission.yaml",
        message: e.to_string(),
    })?;
    Ok(format!(
        "# The mission as this run executed it (resolved).\n{body}"
    ))
}

pub(crate) fn context_md(m: &Mission) -> String {
    let mut out = String::from("# Mission Context\n\n## Objective\n");
    let objective = m
        .objective
        .as_deref()
        .or(m.goal.as_deref())
        .or(m.description.as_deref());
    let _ = writeln!(out, "{}\n", objective.unwrap_or(&m.name).trim());
    if let Some(done) = &m.done_definition {
        let _ = writeln!(out, "## Done when\n{}\n", done.trim());
    }
    let _ = writeln!(
        out,
        "## Project\n{} ({})\n",
        m.sector.as_deref().unwrap_or("default"),
        m.mission_id()
    );
    if !m.required_depts.is_empty() {
        let _ = writeln!(out, "## Departments\n{}\n", m.required_depts.join(", "));
    }
    if let Some(context) = &m.context {
        let _ = writeln!(out, "## Background\n{}\n", context.trim());
    }
    if !m.tags.is_empty() {
        let _ = writeln!(out, "## Tags\n{}\n", m.tags.join(", "));
    }
    out
}

pub(crate) fn constraints_md(m: &Mission) -> String {
    let mut out = String::from("# Mission Constraints\n\n");
    if let Some(c) = &m.constraints {
        let _ = writeln!(out, "{}\n", c.trim());
    }
    let p = m.perimeter.clone().unwrap_or_default();
    out.push_str("## Perimeter\n");
    match &p.budget {
        Some(b) => {
            let caps = [
                b.max_cost_usd.map(|v| format!("cost ≤ ${v}")),
                b.max_tokens.map(|v| format!("tokens ≤ {v}")),
                b.max_llm_calls.map(|v| format!("LLM calls ≤ {v}")),
                b.max_steps.map(|v| format!("steps ≤ {v}")),
                b.max_runtime_minutes.map(|v| format!("runtime ≤ {v} min")),
            ];
            let caps: Vec<String> = caps.into_iter().flatten().collect();
            let _ = writeln!(
                out,
                "- Budget: {}",
                if caps.is_empty() {
                    "no caps set".into()
                } else {
                    caps.join(", ")
                }
            );
        }
        None => out.push_str("- Budget: no caps set\n"),
    }
    let approval = p.approval.clone().unwrap_or_default();
    let _ = write!(
        out,
        "- Approval: {}",
        format!("{:?}", approval.mode).to_lowercase()
    );
    if let Some(t) = approval.threshold_usd {
        let _ = write!(out, " (threshold ${t})");
    }
    if !approval.required_for.is_empty() {
        let _ = write!(out, "; always for {}", approval.required_for.join(", "));
    }
    out.push('\n');
    let sandbox = match p.sandbox.unwrap_or_default() {
        studio_core::Sandbox::ReadOnly => "read-only",
        studio_core::Sandbox::FullAccess => "full-access",
    };
    let _ = writeln!(out, "- Sandbox: {sandbox}");
    if let Some(tools) = &p.tools {
        if !tools.allowed.is_empty() {
            let _ = writeln!(out, "- Tools allowed: {}", tools.allowed.join(", "));
        }
        if !tools.forbidden.is_empty() {
            let _ = writeln!(out, "- Tools forbidden: {}", tools.forbidden.join(", "));
        }
    }
    if !p.connected_sectors.is_empty() {
        let _ = writeln!(
            out,
            "- Connected sectors: {}",
            p.connected_sectors.join(", ")
        );
    }
    let c = m.config();
    out.push_str("\n## Execution\n");
    let _ = writeln!(out, "- Fail fast: {}", c.fail_fast.unwrap_or(true));
    let _ = writeln!(
        out,
        "- Max concurrent steps: {}",
        c.max_concurrent_steps
            .unwrap_or(studio_engine::DEFAULT_MAX_CONCURRENT_STEPS)
    );
    if let Some(t) = c.timeout_seconds {
        let _ = writeln!(out, "- Timeout: {t} s");
    }
    let _ = writeln!(out, "- Retries per step: {}", c.retry_attempts.unwrap_or(0));
    out.push_str(
        "- File steps are confined to the run's workspace; commands run without a shell.\n",
    );
    out
}

pub(crate) fn steps_md(m: &Mission, r: &RunResult) -> String {
    let mut out = String::from("# Execution Steps\n");
    for (n, step) in m.steps.iter().enumerate() {
        let Some(s) = r.step_results.get(&step.id) else {
            continue;
        };
        let title = step.name.as_deref().unwrap_or(&step.id);
        let _ = writeln!(out, "\n## Step {}: {title} (`{}`)", n + 1, step.id);
        let _ = writeln!(out, "- Action: {}", step.step_type);
        let _ = writeln!(out, "- Status: {}", s.status.as_str());
        if let Some(from) = &s.reused_from {
            let _ = writeln!(out, "- Reused: output of run {from} (not run again)");
        }
        let _ = writeln!(out, "- Attempts: {}", s.attempts);
        let _ = writeln!(out, "- Time: {} ms", s.duration_ms);
        if let Some(error) = &s.error {
            let _ = writeln!(out, "- Error: {}", one_line(error));
        }
        if s.status == StepStatus::Success {
            let result = result_line(s);
            if !result.is_empty() {
                let _ = writeln!(out, "- Result: {result}");
            }
        }
    }
    let _ = writeln!(out, "\n## Summary");
    let _ = writeln!(out, "- Total steps: {}", m.steps.len());
    let _ = writeln!(out, "- Total time: {} ms", r.total_duration_ms);
    let _ = writeln!(out, "- Outcome: {}", r.status.as_str());
    let reused: Vec<&str> = m
        .steps
        .iter()
        .filter(|s| {
            r.step_results
                .get(&s.id)
                .is_some_and(|x| x.reused_from.is_some())
        })
        .map(|s| s.id.as_str())
        .collect();
    if !reused.is_empty() {
        let _ = writeln!(out, "- Reused steps: {}", reused.join(", "));
    }
    if let Some(reason) = &r.reason {
        let _ = writeln!(out, "- Reason: {}", one_line(reason));
    }
    let _ = writeln!(out, "\n## Plan\n```\n{}```", r.plan.render_text());
    out
}

pub(crate) fn links_txt(r: &RunResult) -> String {
    let mut out = String::from("# Referenced URLs\n");
    let mut seen = std::collections::BTreeSet::new();
    for link in &r.links {
        if seen.insert(link.url.as_str()) {
            let _ = writeln!(out, "{}", link.url);
        }
    }
    out
}

/// Which model answers of a run were simulated, and why.
pub(crate) struct Simulation<'a> {
    /// Every model call was simulated on purpose (`--simulate-llm`).
    pub switch_on: bool,
    pub steps: &'a [String],
    /// Steps answered by the mission's `simulation` block.
    pub canned: &'a [String],
}

impl Simulation<'_> {
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty() && self.canned.is_empty()
    }
}

/// The notice `answer.md` starts with when answers were simulated.
pub(crate) fn simulation_notice(s: &Simulation<'_>) -> String {
    let list = |ids: &[String]| -> String {
        ids.iter()
            .map(|id| format!("`{id}`"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut out = String::new();
    if !s.steps.is_empty() {
        let why = if s.switch_on {
            "the run simulated every model call (`--simulate-llm`)"
        } else {
            "no model provider was chosen (Settings → Providers) or the step asked for `simulated`"
        };
        out.push_str(&format!(
            "> **Simulated answers.** The model answers of {} come from the built-in simulated provider, not from a model: {why}.\n\n",
            list(s.steps)
        ));
    }
    if !s.canned.is_empty() {
        out.push_str(&format!(
            "> **Simulated steps.** {} did not run: the mission's `simulation` block answered with canned responses.\n\n",
            list(s.canned)
        ));
    }
    out
}

pub(crate) fn answer_md(
    m: &Mission,
    r: &RunResult,
    copied: &[String],
    missing: &[String],
    simulation: &Simulation<'_>,
) -> String {
    let mut out = format!("# {}\n\n", m.name);
    out.push_str(&simulation_notice(simulation));
    let _ = writeln!(
        out,
        "Run `{}` **{}** in {} ms.\n",
        r.run_id,
        r.status.as_str(),
        r.total_duration_ms
    );
    if let Some(reason) = &r.reason {
        let _ = writeln!(out, "Reason: {}\n", one_line(reason));
    }
    if let Some(goal) = m.objective.as_deref().or(m.goal.as_deref()) {
        let _ = writeln!(out, "Objective: {}\n", one_line(goal));
    }
    out.push_str(
        "## Results\n\n| Step | Status | Attempts | Time | Result |\n|---|---|---|---|---|\n",
    );
    for step in &m.steps {
        let Some(s) = r.step_results.get(&step.id) else {
            continue;
        };
        let result = match (&s.error, s.status) {
            (_, StepStatus::Success) => result_line(s),
            (Some(e), _) => one_line(e),
            (None, _) => String::new(),
        };
        let _ = writeln!(
            out,
            "| `{}` | {} | {} | {} ms | {} |",
            step.id,
            s.status.as_str(),
            s.attempts,
            s.duration_ms,
            result.replace('|', "\\|")
        );
    }
    if !r.state.is_empty() {
        out.push_str("\n## Final state\n\n");
        for (k, v) in &r.state {
            let _ = writeln!(out, "- `{k}` = {}", clip(&v.to_string(), 200));
        }
    }
    if !copied.is_empty() || !missing.is_empty() {
        out.push_str("\n## Outputs\n\n");
        for c in copied {
            let _ = writeln!(out, "- [{c}]({c})");
        }
        for c in missing {
            let _ = writeln!(out, "- {c} (declared, but the run did not produce it)");
        }
    }
    let _ = writeln!(out, "\n## Plan\n\n```\n{}```", r.plan.render_text());
    out
}

/// A one-line digest of a successful step's output.
fn result_line(s: &StepResult) -> String {
    let o = &s.output;
    let text = match &*s.step_type {
        "command" => {
            let stdout = o["stdout"].as_str().unwrap_or("").trim();
            format!(
                "exit {}{}",
                o["exit_code"],
                if stdout.is_empty() {
                    String::new()
                } else {
                    format!(": {stdout}")
                }
            )
        }
        "create_file" | "edit_file" => format!(
            "wrote {} ({} bytes)",
            o["path"].as_str().unwrap_or("?"),
            o["bytes"]
        ),
        "read_file" => format!(
            "read {} ({} bytes)",
            o["path"].as_str().unwrap_or("?"),
            o["size"]
        ),
        "http" => format!("HTTP {}", o["status"]),
        "list_directory" => format!("{} entries", o["entries"].as_array().map_or(0, Vec::len)),
        "file_search" => format!("{} matches", o["matches"].as_array().map_or(0, Vec::len)),
        _ => match o {
            Value::Null => String::new(),
            Value::Object(map) if map.is_empty() => String::new(),
            other => other.to_string(),
        },
    };
    clip(&one_line(&text), 160)
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn clip(s: &str, max: usize) -> String {
    if s.chars().count() > max {
        format!("{}…", s.chars().take(max).collect::<String>())
    } else {
        s.to_string()
    }
}
