//! `mission batch run`: runs the daily batch now (trigger `manual`) and prints its summary:
//! per-template figures, Top Performance badges and review flags are written to the library.
//! Exit code 1 when another process is running the batch (or it fails).

use crate::cmd_run::{self, code};
use clap::Subcommand;
use std::path::Path;
use studio_api::active::Trigger;

/// `mission batch …`
#[derive(Debug, Clone, Subcommand)]
pub enum BatchCommand {
    /// Run the batch now: stats, badges and failure patterns from the run history.
    Run {
        /// Print the summary as one JSON document: {job_id, trigger, templates,
        /// templates_with_runs, runs, top_performance, flags_created, flags_updated,
        /// taken_over, started_at, duration_ms}.
        #[arg(long)]
        json: bool,
    },
}

pub fn batch(data_dir: Option<&Path>, command: &BatchCommand) -> u8 {
    let BatchCommand::Run { json } = command;
    let api = match cmd_run::open_api(data_dir) {
        Ok(api) => api,
        Err(c) => return c,
    };
    match api.run_batch(Trigger::Manual) {
        Ok(summary) if *json => {
            println!(
                "{}",
                serde_json::to_string_pretty(&summary).unwrap_or_default()
            );
            code::COMPLETED
        }
        Ok(s) => {
            println!(
                "batch {} completed in {} ms: {} template(s), {} with runs ({} run(s) counted)",
                s.job_id, s.duration_ms, s.templates, s.templates_with_runs, s.runs
            );
            let top = if s.top_performance.is_empty() {
                "-".to_string()
            } else {
                s.top_performance.join(", ")
            };
            println!("top performance: {top}");
            println!(
                "review flags: {} new, {} refreshed (`mission review list`)",
                s.flags_created, s.flags_updated
            );
            if !s.taken_over.is_empty() {
                eprintln!(
                    "note: took over from batch job(s) left running by a stopped process: {:?}",
                    s.taken_over
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
