//! `mission review list|resolve`: the Orchestrator's review queue of failure patterns the
//! batch found (the same step failing in at least 3 of a template's last 10 runs).
//! Exit code 2 for an unknown flag id.

use crate::cmd_run::{self, code};
use clap::{Subcommand, ValueEnum};
use std::path::Path;
use studio_api::active::FlagStatus;
use studio_api::ErrorCode;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StatusArg {
    Open,
    Acknowledged,
    Resolved,
    All,
}

/// `mission review …`
#[derive(Debug, Clone, Subcommand)]
pub enum ReviewCommand {
    /// List review flags, most recently updated first.
    List {
        /// Which flags.
        #[arg(long, value_enum, default_value_t = StatusArg::Open)]
        status: StatusArg,
        /// Print a JSON array: [{flag_id, template_id, step_id, pattern, failures,
        /// window_runs, run_ids, status, note, created_at, updated_at}].
        #[arg(long)]
        json: bool,
    },
    /// Mark a flag resolved: the cause was dealt with. Only failures of later runs can raise
    /// it again.
    Resolve {
        #[arg(value_name = "FLAG_ID")]
        flag_id: i64,
        /// Why it is resolved (kept with the flag).
        #[arg(long, value_name = "TEXT")]
        note: Option<String>,
    },
}

pub fn review(data_dir: Option<&Path>, command: &ReviewCommand) -> u8 {
    let api = match cmd_run::open_api(data_dir) {
        Ok(api) => api,
        Err(c) => return c,
    };
    match command {
        ReviewCommand::List { status, json } => {
            let filter = match status {
                StatusArg::Open => Some(FlagStatus::Open),
                StatusArg::Acknowledged => Some(FlagStatus::Acknowledged),
                StatusArg::Resolved => Some(FlagStatus::Resolved),
                StatusArg::All => None,
            };
            match api.review_flags(filter) {
                Ok(flags) if *json => {
                    println!(
                        "{}",
                        serde_json::to_string_pretty(&flags).unwrap_or_default()
                    );
                    code::COMPLETED
                }
                Ok(flags) => {
                    if flags.is_empty() {
                        eprintln!("no review flags");
                    }
                    for f in &flags {
                        println!(
                            "#{}  {:<12}  {}  step `{}` failed in {} of the last {} runs ({})  runs: {}",
                            f.flag_id,
                            f.status,
                            f.template_id,
                            f.step_id.as_deref().unwrap_or("-"),
                            f.failures,
                            f.window_runs,
                            f.pattern,
                            f.run_ids.join(", ")
                        );
                    }
                    code::COMPLETED
                }
                Err(e) => {
                    eprintln!("error: {e}");
                    code::FAILED
                }
            }
        }
        ReviewCommand::Resolve { flag_id, note } => {
            match api.resolve_flag(*flag_id, note.as_deref()) {
                Ok(f) => {
                    println!(
                        "flag #{} resolved ({} / {})",
                        f.flag_id,
                        f.template_id,
                        f.step_id.as_deref().unwrap_or("-")
                    );
                    code::COMPLETED
                }
                Err(e) => {
                    eprintln!("error: {e}");
                    if e.code == ErrorCode::NotFound {
                        code::USAGE
                    } else {
                        code::FAILED
                    }
                }
            }
        }
    }
}
