//! `mission`: run and inspect Mission Studio missions from the command line.

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;
use studio_api::{AppPaths, StudioApi};

mod cmd_run;
mod cmd_validate;

/// Exit codes shared by every subcommand (DESIGN §12).
mod exit {
    pub const USAGE: u8 = 2;
}

#[derive(Debug, Parser)]
#[command(
    name = "mission",
    version = studio_core::VERSION,
    about = "Run AI and automation missions under control: validate, run, inspect the evidence.",
    long_about = None,
)]
struct Cli {
    /// Data folder shared with the desktop app [default: $MISSION_STUDIO_DATA_DIR, else the app's data folder]
    #[arg(long, global = true, value_name = "DIR")]
    data_dir: Option<PathBuf>,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check mission files: every problem of every file at once, with its line and column.
    /// Exit code 3 when any file is invalid.
    Validate {
        /// Mission files (YAML or JSON).
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
        /// Print one JSON array on stdout: [{file, valid, logic_hash, steps, diagnostics}].
        #[arg(long)]
        json: bool,
    },
    /// Run a mission. With `--dry-run`, validate it and print its plan as parallel levels.
    /// Exit code: 0 completed, 1 failed, 3 invalid, 5 budget exceeded, 6 timed out, 130 cancelled.
    Run {
        /// The mission file (YAML or JSON).
        #[arg(value_name = "FILE")]
        file: PathBuf,
        /// Validate and print the plan as parallel levels; run nothing.
        #[arg(long)]
        dry_run: bool,
        /// Print one JSON document on stdout (run_id, status, step_results, evidence_dir, ...).
        #[arg(long)]
        json: bool,
        /// Also write every event as NDJSON to this file.
        #[arg(long, value_name = "FILE")]
        events: Option<PathBuf>,
        /// A run input, read by the mission as `{{context.NAME}}` (repeatable).
        #[arg(long = "var", value_name = "NAME=VALUE")]
        vars: Vec<String>,
    },
    /// Show the version and where data, history and logs live.
    Info {
        /// Print one JSON document on stdout.
        #[arg(long)]
        json: bool,
    },
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            let code = if err.use_stderr() { exit::USAGE } else { 0 };
            let _ = err.print();
            return ExitCode::from(code);
        }
    };
    match run(cli) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    // Validation reads files only: it needs no data folder.
    if let Command::Validate { files, json } = &cli.command {
        return Ok(ExitCode::from(cmd_validate::validate_files(files, *json)));
    }
    if let Command::Run {
        file,
        dry_run,
        json,
        events,
        vars,
    } = &cli.command
    {
        let args = cmd_run::RunArgs {
            file: file.clone(),
            dry_run: *dry_run,
            json: *json,
            events: events.clone(),
            vars: vars.clone(),
            data_dir: cli.data_dir.clone(),
        };
        return Ok(ExitCode::from(cmd_run::run(&args)));
    }
    let api = StudioApi::open(AppPaths::resolve(cli.data_dir.as_deref())?)?;
    match cli.command {
        Command::Validate { .. } | Command::Run { .. } => {
            unreachable!("handled before the data folder is opened")
        }
        Command::Info { json } => {
            let d = api.diagnostics();
            if json {
                println!("{}", serde_json::to_string_pretty(&d)?);
            } else {
                println!("Mission Studio {}", d.app_version);
                println!("data folder   {}", d.data_dir);
                println!("database      {}", d.database_path);
                println!("logs          {}", d.log_dir);
                println!("evidence      {}", d.runs_dir);
                println!(
                    "step types    {} of {} available",
                    d.step_types_available, d.step_types_known
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
