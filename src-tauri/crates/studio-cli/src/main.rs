//! `mission`: run and inspect Mission Studio missions from the command line.

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;
use studio_api::{AppPaths, StudioApi};

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
    let api = StudioApi::open(AppPaths::resolve(cli.data_dir.as_deref())?)?;
    match cli.command {
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
