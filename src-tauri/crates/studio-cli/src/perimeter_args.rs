//! The operator's side of the perimeter on the command line: `--perimeter FILE`, a flag per
//! cap, the sandbox, the approval mode, connected sectors, and `--approve all|none|prompt`.
//!
//! Global hard caps come from `<data dir>/perimeter.yaml` when it exists; registry tools from
//! the `missions/tools/` folder above the mission file and from `<data dir>/tools/`; LLM prices
//! from the built-in table and `<data dir>/llm_prices.json`. A flag can only tighten what the
//! file and the mission say.

use clap::{Args, ValueEnum};
use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use studio_api::studio_core::{
    merge_perimeters, parse_perimeter, Approval, ApprovalMode, Budget, Perimeter, Sandbox,
    ToolRules,
};
use studio_api::studio_engine::approval::{
    ApprovalDecision, ApprovalRequest, ApproveAll, Approver, DecisionFuture, DenyAll, NoApprover,
};
use studio_api::studio_engine::pricing::{PriceTable, PRICE_FILE};
use studio_api::studio_engine::tools::ToolRegistry;
use studio_api::studio_engine::Governance;

/// How `mission run` answers approval requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum ApproveMode {
    /// Approve every request.
    All,
    /// Deny every request (the steps are skipped; exit code 4).
    None,
    /// Ask on the terminal, showing exactly what will run; without a terminal, exit code 4.
    #[default]
    Prompt,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SandboxArg {
    ReadOnly,
    FullAccess,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ApprovalModeArg {
    Strict,
    Threshold,
    Auto,
}

/// Perimeter flags of `mission run` and `mission resume`.
#[derive(Debug, Clone, Default, Args)]
pub struct PerimeterArgs {
    /// Answer every model call with the built-in simulated provider (offline, deterministic,
    /// priced as the model asked for, so the budget is exercised); the run's meta.json and
    /// answer.md say so.
    #[arg(long)]
    pub simulate_llm: bool,
    /// The operator's perimeter: native (`budget: {max_cost_usd: ..}`), mission-pack
    /// (`budget: {maxSteps: ..}`, `approval: on-request`) or envelope (`constraints: ..`) form.
    #[arg(long, value_name = "FILE")]
    pub perimeter: Option<PathBuf>,
    /// Cap on the money the run may spend (USD).
    #[arg(long, value_name = "USD")]
    pub max_cost_usd: Option<f64>,
    /// Cap on LLM tokens (prompt + answer).
    #[arg(long, value_name = "N")]
    pub max_tokens: Option<u64>,
    /// Cap on LLM calls.
    #[arg(long, value_name = "N")]
    pub max_llm_calls: Option<u64>,
    /// Cap on step attempts (retries count).
    #[arg(long, value_name = "N")]
    pub max_steps: Option<u64>,
    /// Cap on the run's wall-clock time; past it the run is `timed_out` (exit 6).
    #[arg(long, value_name = "MINUTES")]
    pub max_runtime_minutes: Option<f64>,
    /// read-only: no effects outside the workspace (commands confined by Landlock).
    #[arg(long, value_enum)]
    pub sandbox: Option<SandboxArg>,
    /// strict: every step with side effects; threshold: cost ≥ --approval-threshold-usd or a
    /// tool in required_for; auto: none.
    #[arg(long, value_enum)]
    pub approval_mode: Option<ApprovalModeArg>,
    /// The threshold of `--approval-mode threshold` (USD).
    #[arg(long, value_name = "USD")]
    pub approval_threshold_usd: Option<f64>,
    /// Let the mission call the tools of this sector (repeatable).
    #[arg(long = "connect-sector", value_name = "SECTOR")]
    pub connect_sectors: Vec<String>,
    /// Forbid a tool or step type (repeatable).
    #[arg(long = "forbid-tool", value_name = "TOOL")]
    pub forbid_tools: Vec<String>,
    /// Allow only these tools and step types (repeatable).
    #[arg(long = "allow-tool", value_name = "TOOL")]
    pub allow_tools: Vec<String>,
    /// An environment variable whose value is secret whatever its name (repeatable).
    #[arg(long = "secret-env", value_name = "NAME")]
    pub secret_env: Vec<String>,
    /// How approval requests are answered.
    #[arg(long, value_enum, default_value_t = ApproveMode::Prompt)]
    pub approve: ApproveMode,
}

impl PerimeterArgs {
    fn flags(&self) -> Perimeter {
        let budget = Budget {
            max_cost_usd: self.max_cost_usd,
            max_tokens: self.max_tokens,
            max_llm_calls: self.max_llm_calls,
            max_steps: self.max_steps,
            max_runtime_minutes: self.max_runtime_minutes,
        };
        Perimeter {
            budget: Some(budget),
            approval: self.approval_mode.map(|m| Approval {
                mode: match m {
                    ApprovalModeArg::Strict => ApprovalMode::Strict,
                    ApprovalModeArg::Threshold => ApprovalMode::Threshold,
                    ApprovalModeArg::Auto => ApprovalMode::Auto,
                },
                threshold_usd: self.approval_threshold_usd,
                required_for: Vec::new(),
            }),
            sandbox: self.sandbox.map(|s| match s {
                SandboxArg::ReadOnly => Sandbox::ReadOnly,
                SandboxArg::FullAccess => Sandbox::FullAccess,
            }),
            tools: (!self.allow_tools.is_empty() || !self.forbid_tools.is_empty()).then(|| {
                ToolRules {
                    allowed: self.allow_tools.clone(),
                    forbidden: self.forbid_tools.clone(),
                }
            }),
            connected_sectors: self.connect_sectors.clone(),
            roots: Vec::new(),
            network: None,
        }
    }

    /// The operator's perimeter: the file's, tightened by the flags.
    pub fn operator_perimeter(&self) -> Result<Perimeter, String> {
        let file = match &self.perimeter {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
                parse_perimeter(&text).map_err(|e| format!("{}: {e}", path.display()))?
            }
            None => Perimeter::default(),
        };
        let flags = self.flags();
        studio_api::studio_core::perimeter::check(&flags).map_err(|e| e.to_string())?;
        let mut merged = merge_perimeters(&file, &Perimeter::default(), &flags).to_perimeter();
        let mut connected = file.connected_sectors.clone();
        for s in &flags.connected_sectors {
            if !connected.contains(s) {
                connected.push(s.clone());
            }
        }
        merged.connected_sectors = connected;
        // Folders outside the workspace are granted by the file only (no flag grants one).
        merged.roots = file.roots.clone();
        // So are trusted SSH host keys; the file's hosts are already in the merge.
        let keys = file
            .network
            .as_ref()
            .map(|n| n.trusted_host_keys.clone())
            .unwrap_or_default();
        if let Some(network) = &mut merged.network {
            network.trusted_host_keys = keys;
        } else if !keys.is_empty() {
            merged.network = Some(studio_api::studio_core::NetworkRules {
                allowed_hosts: Vec::new(),
                trusted_host_keys: keys,
            });
        }
        Ok(merged)
    }

    /// Only what the flags (or the `--perimeter` file) say, each field absent when not given:
    /// what a resume puts in place of the earlier run's operator perimeter.
    pub fn given_perimeter(&self) -> Result<Perimeter, String> {
        if self.perimeter.is_some() {
            return self.operator_perimeter();
        }
        let flags = self.flags();
        studio_api::studio_core::perimeter::check(&flags).map_err(|e| e.to_string())?;
        Ok(flags)
    }

    /// Everything the run's gate needs.
    pub fn governance(&self, mission_file: &Path, data_dir: &Path) -> Result<Governance, String> {
        let global = match std::fs::read_to_string(data_dir.join("perimeter.yaml")) {
            Ok(text) => parse_perimeter(&text)
                .map_err(|e| format!("{}: {e}", data_dir.join("perimeter.yaml").display()))?,
            Err(_) => Perimeter::default(),
        };
        let mut dirs = Vec::new();
        if let Some(dir) = library_tools_dir(mission_file) {
            dirs.push(dir);
        }
        dirs.push(data_dir.join("tools"));
        let tools = ToolRegistry::load_dirs(&dirs).map_err(|e| e.to_string())?;
        let prices = PriceTable::default()
            .with_overrides(&data_dir.join(PRICE_FILE))
            .map_err(|e| e.to_string())?;
        let approver: Arc<dyn Approver> = match self.approve {
            ApproveMode::All => Arc::new(ApproveAll),
            ApproveMode::None => Arc::new(DenyAll),
            ApproveMode::Prompt if std::io::stdin().is_terminal() => {
                Arc::new(TerminalApprover::default())
            }
            ApproveMode::Prompt => Arc::new(NoApprover),
        };
        Ok(Governance {
            global,
            operator: self.given_perimeter()?,
            tools: Arc::new(tools),
            approver,
            prices,
            secret_env: self.secret_env.clone(),
            simulate_llm: self.simulate_llm,
            ..Default::default()
        })
    }
}

/// The `missions/tools/` folder of the library the mission file belongs to: `tools/` inside the
/// nearest ancestor named `missions`, or `missions/tools/` beside an ancestor.
pub fn library_tools_dir(mission_file: &Path) -> Option<PathBuf> {
    let start = std::path::absolute(mission_file).ok()?;
    for dir in start.ancestors().skip(1) {
        if dir.file_name().is_some_and(|n| n == "missions") && dir.join("tools").is_dir() {
            return Some(dir.join("tools"));
        }
        if dir.join("missions").join("tools").is_dir() {
            return Some(dir.join("missions").join("tools"));
        }
    }
    None
}

/// Asks on the terminal, one request at a time, showing exactly what will run.
#[derive(Debug, Default)]
pub struct TerminalApprover {
    one_at_a_time: Arc<Mutex<()>>,
}

/// The text shown for a request.
pub fn describe_request(r: &ApprovalRequest) -> String {
    let preview = serde_json::to_string_pretty(&r.preview).unwrap_or_default();
    format!(
        "approval needed: {why}\n  step:         {step} ({ty})\n  tool:         {tool} (sector {sector}, side effects {effects})\n  worst case:   {cost:.6} USD\n  step hash:    {hash}\n  will run with:\n{preview}\n",
        why = r.why,
        step = r.step_id,
        ty = r.step_type,
        tool = r.tool,
        sector = r.tool_sector,
        effects = r.side_effects,
        cost = r.estimated_cost_usd,
        hash = r.step_hash,
        preview = preview
            .lines()
            .map(|l| format!("    {l}"))
            .collect::<Vec<_>>()
            .join("\n"),
    )
}

impl Approver for TerminalApprover {
    fn decide(&self, request: ApprovalRequest) -> DecisionFuture {
        let lock = Arc::clone(&self.one_at_a_time);
        Box::pin(async move {
            let asked = request.clone();
            let answer = tokio::task::spawn_blocking(move || {
                let _one = lock.lock().unwrap_or_else(|e| e.into_inner());
                let mut err = std::io::stderr().lock();
                let _ = write!(
                    err,
                    "\n{}approve this step? [y/N] ",
                    describe_request(&asked)
                );
                let _ = err.flush();
                let mut line = String::new();
                match std::io::stdin().lock().read_line(&mut line) {
                    Ok(0) | Err(_) => None,
                    Ok(_) => Some(matches!(line.trim(), "y" | "Y" | "yes" | "YES" | "Yes")),
                }
            })
            .await
            .ok()
            .flatten();
            match answer {
                Some(true) => ApprovalDecision::approve(&request, "operator (terminal)"),
                Some(false) => ApprovalDecision::deny(&request, "operator (terminal)"),
                None => ApprovalDecision::unavailable(&request, "the terminal closed"),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_tighten_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("p.yaml");
        std::fs::write(
            &file,
            "budget: {max_cost_usd: 5, max_steps: 10}\nconnected_sectors: [Finance]\n",
        )
        .unwrap();
        let args = PerimeterArgs {
            perimeter: Some(file),
            max_cost_usd: Some(9.0),
            max_steps: Some(3),
            connect_sectors: vec!["Legal".into()],
            sandbox: Some(SandboxArg::ReadOnly),
            ..Default::default()
        };
        let p = args.operator_perimeter().unwrap();
        let b = p.budget.unwrap();
        assert_eq!(b.max_cost_usd, Some(5.0), "a flag cannot loosen the file");
        assert_eq!(b.max_steps, Some(3));
        assert_eq!(p.sandbox, Some(Sandbox::ReadOnly));
        assert_eq!(p.connected_sectors, vec!["Finance", "Legal"]);
        let bad = PerimeterArgs {
            max_cost_usd: Some(-1.0),
            ..Default::default()
        };
        assert!(bad.operator_perimeter().is_err());
    }

    #[test]
    fn the_library_tools_folder_is_found_above_the_mission() {
        let dir = tempfile::tempdir().unwrap();
        let tools = dir.path().join("missions/tools");
        std::fs::create_dir_all(&tools).unwrap();
        std::fs::create_dir_all(dir.path().join("missions/examples")).unwrap();
        let found = library_tools_dir(&dir.path().join("missions/examples/a.yaml")).unwrap();
        assert_eq!(found.canonicalize().unwrap(), tools.canonicalize().unwrap());
    }
}
