//! `mission check FILE --target T` (and `mission validate --check-deployment`): whether a
//! mission is ready to deploy to a target, from its `deployment:` block and its steps.
//!
//! Checks, each a [`Finding`] with its reason and a fix:
//! - `deployment_block`, `target_mismatch`: the block is there and names this target;
//! - `env_missing`: every `{{env.NAME}}` the steps read, and every `deployment.environment`
//!   variable left empty, is set here (a value the block gives counts as set);
//! - `tool_missing`: every registry tool the steps call is in the registry;
//! - `provider_missing`: every provider the steps name is built in or configured;
//! - `cost_cap_missing`, `runtime_cap_missing`, `approval_auto`: production needs a cost cap, a
//!   runtime cap (or `config.timeout_seconds`) and an approval mode other than `auto`; staging
//!   warns about them;
//! - `cpu_insufficient`, `memory_insufficient`: the resources asked for fit this machine;
//! - `restart_policy`: one of always, on-failure, never.
//!
//! Ready = no finding is an error.

use super::mission_package::{env_referenced, providers_named, tools_called};
use serde::Serialize;
use studio_core::{ApprovalMode, DeploymentTarget, Mission};

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Ok,
    Warning,
    Error,
}

/// One check's result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    /// A stable name (`env_missing`, `provider_missing`, …).
    pub check: String,
    pub level: Level,
    /// What was found.
    pub message: String,
    /// Why it matters.
    pub reason: String,
    /// How to fix it (empty for a passed check).
    pub fix: String,
}

/// The readiness report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Readiness {
    pub mission_id: String,
    pub target: String,
    pub ready: bool,
    pub findings: Vec<Finding>,
}

/// What the checks know of this machine and its configuration.
#[derive(Debug, Clone, Default)]
pub struct Machine {
    pub cpus: usize,
    pub memory_bytes: Option<u64>,
    /// Names of the environment variables set here.
    pub env: Vec<String>,
    /// Providers configured in the data folder.
    pub providers: Vec<String>,
    /// Tools of the registry.
    pub tools: Vec<String>,
}

impl Machine {
    /// This machine: its CPU count, total memory (Linux `/proc/meminfo`), environment.
    pub fn here(providers: Vec<String>, tools: Vec<String>) -> Self {
        let memory_bytes = std::fs::read_to_string("/proc/meminfo").ok().and_then(|t| {
            let line = t.lines().find(|l| l.starts_with("MemTotal:"))?;
            let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
            Some(kib * 1024)
        });
        Self {
            cpus: std::thread::available_parallelism().map_or(1, usize::from),
            memory_bytes,
            env: std::env::vars_os()
                .filter_map(|(k, _)| k.into_string().ok())
                .collect(),
            providers,
            tools,
        }
    }
}

struct Report(Vec<Finding>);

impl Report {
    fn push(&mut self, check: &str, level: Level, message: String, reason: &str, fix: String) {
        self.0.push(Finding {
            check: check.into(),
            level,
            message,
            reason: reason.into(),
            fix,
        });
    }
    fn ok(&mut self, check: &str, message: String) {
        self.push(check, Level::Ok, message, "", String::new());
    }
}

/// Checks `mission` for `target` on `machine`.
pub fn check_readiness(
    mission: &Mission,
    target: DeploymentTarget,
    machine: &Machine,
) -> Readiness {
    let mut r = Report(Vec::new());
    let strictness = match target {
        DeploymentTarget::Production => Level::Error,
        DeploymentTarget::Staging => Level::Warning,
        DeploymentTarget::Development => Level::Ok,
    };
    let deployment = mission.deployment.clone().unwrap_or_default();
    match (&mission.deployment, deployment.target) {
        (None, _) => r.push(
            "deployment_block",
            Level::Warning,
            "the mission has no `deployment:` block".into(),
            "replicas, resources and environment are then unknown",
            "add `deployment: {target, replicas, resources: {cpu, memory}, environment}`".into(),
        ),
        (Some(_), Some(t)) if t != target => r.push(
            "target_mismatch",
            Level::Warning,
            format!(
                "`deployment.target` is {}, checked for {}",
                t.as_str(),
                target.as_str()
            ),
            "the block was written for another environment",
            format!(
                "set `deployment.target: {}` or check with `--target {}`",
                target.as_str(),
                t.as_str()
            ),
        ),
        (Some(_), _) => r.ok(
            "deployment_block",
            format!("deployment block for {}", target.as_str()),
        ),
    }
    // Environment variables.
    let mut needed: Vec<(String, &str)> = env_referenced(mission)
        .into_iter()
        .filter(|n| deployment.environment.get(n).is_none_or(String::is_empty))
        .map(|n| (n, "a step reads it as `{{env.NAME}}`"))
        .collect();
    for (name, value) in &deployment.environment {
        if value.is_empty() && !needed.iter().any(|(n, _)| n == name) {
            needed.push((
                name.clone(),
                "`deployment.environment` lists it without a value",
            ));
        }
    }
    for (name, why) in needed {
        if machine.env.contains(&name) {
            r.ok("env", format!("`{name}` is set"));
        } else {
            r.push("env_missing", Level::Error, format!("the environment variable `{name}` is not set"),
                why, format!("export `{name}` before running, or give it a value in `deployment.environment`"));
        }
    }
    for name in tools_called(mission) {
        if machine.tools.contains(&name) {
            r.ok("tool", format!("tool `{name}` is in the registry"));
        } else {
            r.push("tool_missing", Level::Error, format!("the tool `{name}` is not in the tool registry"),
                "a `tool` step calling it fails at once", format!("add `{name}.yaml` to the data folder's `tools/` (or the library's `missions/tools/`)"));
        }
    }
    for name in providers_named(mission) {
        let builtin = studio_core::step_params::BUILTIN_PROVIDERS.contains(&name.as_str());
        if builtin || machine.providers.contains(&name) {
            r.ok(
                "provider",
                format!(
                    "provider `{name}` is {}",
                    if builtin { "built in" } else { "configured" }
                ),
            );
        } else {
            r.push(
                "provider_missing",
                Level::Error,
                format!("the provider `{name}` is neither built in nor configured"),
                "a step that calls it fails",
                format!(
                    "add `{name}` in Settings → Providers or to providers.json in the data folder"
                ),
            );
        }
    }
    // Caps and approvals.
    let perimeter = mission.perimeter.clone().unwrap_or_default();
    let budget = perimeter.budget.clone().unwrap_or_default();
    let why = format!("a {} deployment needs it", target.as_str());
    if budget.max_cost_usd.is_none() {
        r.push(
            "cost_cap_missing",
            strictness,
            "no cost cap (`perimeter.budget.max_cost_usd`)".into(),
            &why,
            "set `perimeter.budget.max_cost_usd`".into(),
        );
    }
    let timeout = mission.config.as_ref().and_then(|c| c.timeout_seconds);
    if budget.max_runtime_minutes.is_none() && timeout.is_none() {
        r.push(
            "runtime_cap_missing",
            strictness,
            "no runtime cap (`perimeter.budget.max_runtime_minutes` or `config.timeout_seconds`)"
                .into(),
            &why,
            "set `perimeter.budget.max_runtime_minutes`".into(),
        );
    }
    let mode = perimeter
        .approval
        .as_ref()
        .map_or(ApprovalMode::Auto, |a| a.mode);
    if mode == ApprovalMode::Auto {
        r.push(
            "approval_auto",
            strictness,
            "approval mode is `auto`: nothing waits for a person".into(),
            &why,
            "set `perimeter.approval.mode: threshold` (with `threshold_usd`) or `strict`".into(),
        );
    }
    // Resources.
    let resources = deployment.resources.clone().unwrap_or_default();
    if let Some(cores) = resources.cpu_cores() {
        if cores > machine.cpus as f64 {
            r.push(
                "cpu_insufficient",
                Level::Error,
                format!("asks for {cores} CPU(s); this machine has {}", machine.cpus),
                "each copy needs the CPUs it asks for",
                format!(
                    "lower `deployment.resources.cpu` to at most {} or deploy on a larger machine",
                    machine.cpus
                ),
            );
        } else {
            r.ok("cpu", format!("{cores} CPU(s) of {}", machine.cpus));
        }
    }
    if let (Some(bytes), Some(total)) = (resources.memory_bytes(), machine.memory_bytes) {
        let gib = |b: u64| {
            if b < 1 << 30 {
                format!("{:.0} MiB", b as f64 / f64::from(1u32 << 20))
            } else {
                format!("{:.1} GiB", b as f64 / f64::from(1u32 << 30))
            }
        };
        if bytes > total {
            r.push(
                "memory_insufficient",
                Level::Error,
                format!(
                    "asks for {} of memory; this machine has {}",
                    gib(bytes),
                    gib(total)
                ),
                "each copy needs the memory it asks for",
                "lower `deployment.resources.memory` or deploy on a larger machine".into(),
            );
        } else {
            r.ok("memory", format!("{} of {}", gib(bytes), gib(total)));
        }
    }
    if let Some(policy) = &deployment.restart_policy {
        if !matches!(policy.as_str(), "always" | "on-failure" | "never") {
            r.push(
                "restart_policy",
                Level::Error,
                format!("restart policy `{policy}` is unknown"),
                "it must be always, on-failure or never",
                "set `deployment.restart_policy: on-failure`".into(),
            );
        }
    }
    let findings = r.0;
    Readiness {
        mission_id: mission.mission_id(),
        target: target.as_str().into(),
        ready: !findings.iter().any(|f| f.level == Level::Error),
        findings,
    }
}

/// The text report: one line per finding (`ok`, `warning`, `error`), reason and fix indented.
pub fn render_text(r: &Readiness) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    for f in &r.findings {
        let mark = match f.level {
            Level::Ok => "ok     ",
            Level::Warning => "warning",
            Level::Error => "error  ",
        };
        let _ = writeln!(out, "{mark} [{}] {}", f.check, f.message);
        if f.level != Level::Ok {
            let _ = writeln!(out, "          why: {}", f.reason);
            let _ = writeln!(out, "          fix: {}", f.fix);
        }
    }
    let errors = r
        .findings
        .iter()
        .filter(|f| f.level == Level::Error)
        .count();
    let _ = writeln!(
        out,
        "{}: {} for {} ({errors} problem(s))",
        r.mission_id,
        if r.ready { "ready" } else { "NOT ready" },
        r.target
    );
    out
}
