//! `mission`: run and inspect Mission Studio missions from the command line.

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;
use studio_api::{AppPaths, StudioApi};

mod cmd_active;
mod cmd_audit;
mod cmd_batch;
mod cmd_envelope;
mod cmd_forecast;
mod cmd_history;
mod cmd_history_search;
mod cmd_ingest;
mod cmd_keyring;
mod cmd_mission_package;
mod cmd_new;
mod cmd_package;
mod cmd_review;
mod cmd_run;
mod cmd_spark;
mod cmd_templates;
mod cmd_validate;
mod cmd_worker;
mod perimeter_args;

/// Exit codes shared by every subcommand (DESIGN §12).
mod exit {
    pub const USAGE: u8 = 2;
}

#[derive(Debug, Parser)]
#[command(
    name = "mission",
    version = studio_api::studio_core::VERSION,
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
        /// Mission files (YAML or JSON; RustChain, Spark, mission pack and envelope forms too).
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
        /// Print one JSON array on stdout: [{file, valid, logic_hash, steps, diagnostics}].
        #[arg(long)]
        json: bool,
        /// Every warning is an error (unknown keys, unknown providers, …): exit code 3.
        #[arg(long)]
        strict: bool,
        /// A run input the mission will be given, so `{{NAME}}` counts as defined (repeatable).
        #[arg(long = "var", value_name = "NAME=VALUE")]
        vars: Vec<String>,
        /// Also check deployment readiness (as `mission check`): exit code 1 when a valid
        /// file is not ready.
        #[arg(long)]
        check_deployment: bool,
        /// The target of `--check-deployment` [default: the mission's `deployment.target`,
        /// else development].
        #[arg(long, value_name = "TARGET", value_parser = cmd_spark::parse_target, requires = "check_deployment")]
        target: Option<studio_api::studio_core::DeploymentTarget>,
    },
    /// Run a mission. With `--dry-run`, validate it and print its plan as parallel levels and
    /// the launch forecast (each cap's worst case against the perimeter).
    /// Exit code: 0 completed, 1 failed, 3 invalid, 4 stopped for lack of approval, 5 budget
    /// exceeded (with `--dry-run`: a cap cannot hold), 6 timed out, 130 cancelled.
    Run {
        /// The mission file (YAML or JSON).
        #[arg(value_name = "FILE", required_unless_present_any = ["active", "template"])]
        file: Option<PathBuf>,
        /// Run a template of the library by id (see `mission templates list`) instead of a
        /// file.
        #[arg(long, value_name = "TEMPLATE_ID", conflicts_with_all = ["file", "active"])]
        template: Option<String>,
        /// Run a saved active mission (see `mission deploy`) instead of a file: its template
        /// with its perimeter (flags can only tighten it) and inputs (`--var` overrides them).
        #[arg(long, value_name = "ACTIVE_ID", conflicts_with = "file")]
        active: Option<String>,
        /// Validate and print the plan as parallel levels and the launch forecast; run
        /// nothing (exit 5 when a cap cannot hold).
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
        #[command(flatten)]
        perimeter: perimeter_args::PerimeterArgs,
        /// Dispatch each step to its department's workers through this NATS server (see
        /// `mission worker`); the history, the gate and approvals stay here.
        #[arg(long, value_name = "URL")]
        nats: Option<String>,
    },
    /// Run a recorded run's mission again as a new run linked to it: the outputs of steps that
    /// succeeded are reused, failed, skipped and unfinished steps run again. Same flags and
    /// result as `run`; caps flags replace those of the earlier run's operator perimeter (so
    /// one it set can be raised; the mission's own caps and the global hard caps still bound
    /// them). Exit codes as `run`; 2 when the run id is unknown or still running, 3 when
    /// `--file` is invalid.
    Resume {
        /// The run to resume (see `mission history`).
        #[arg(value_name = "RUN_ID")]
        run_id: String,
        /// Resume with this mission file as it is now (validated again): only the steps that
        /// succeeded and did not change (nor any step before them) are reused.
        #[arg(long, value_name = "FILE")]
        file: Option<PathBuf>,
        /// Print which steps would be reused and which run again, and the launch forecast;
        /// run nothing (exit 5 when a cap cannot hold).
        #[arg(long)]
        dry_run: bool,
        /// Print one JSON document on stdout (as `run --json`, plus `resumed_from`).
        #[arg(long)]
        json: bool,
        /// Also write every event as NDJSON to this file.
        #[arg(long, value_name = "FILE")]
        events: Option<PathBuf>,
        /// A run input, overriding the earlier run's value (repeatable).
        #[arg(long = "var", value_name = "NAME=VALUE")]
        vars: Vec<String>,
        #[command(flatten)]
        perimeter: perimeter_args::PerimeterArgs,
    },
    /// Save a library template with a perimeter and inputs as an active mission, runnable
    /// later with `mission run --active ID`. Prints its id. A perimeter above a global hard
    /// cap (perimeter.yaml in the data folder) is refused, naming field, value and cap: exit 2.
    Deploy {
        /// The template's id (see `mission templates list`).
        #[arg(value_name = "TEMPLATE_ID")]
        template_id: String,
        /// The perimeter (native, mission-pack or envelope form).
        #[arg(long, value_name = "FILE")]
        perimeter: Option<PathBuf>,
        /// A run input saved with it, read as `{{context.NAME}}` (repeatable).
        #[arg(long = "var", value_name = "NAME=VALUE")]
        vars: Vec<String>,
        /// A name for it [default: the template's name].
        #[arg(long, value_name = "NAME")]
        name: Option<String>,
        /// Print the active mission as one JSON document (with `created`).
        #[arg(long)]
        json: bool,
    },
    /// The template library: `list` (search, filter, sort) and `show`.
    #[command(subcommand)]
    Templates(cmd_templates::TemplatesCommand),
    /// Active missions: templates saved with a perimeter and inputs.
    #[command(subcommand)]
    Active(cmd_active::ActiveCommand),
    /// The daily batch: per-template stats, badges and failure patterns from the history.
    #[command(subcommand)]
    Batch(cmd_batch::BatchCommand),
    /// The Orchestrator's review queue of failure patterns.
    #[command(subcommand)]
    Review(cmd_review::ReviewCommand),
    /// List recorded runs, newest first; with --search, the runs that produced some text, best
    /// first, each with its matching lines.
    History {
        /// Find runs by what they produced: every word must occur in the run's final summary,
        /// a step's output or error, or an output's name (as a word or the start of one); a
        /// run is also found by its mission's name or id or its run id. Quotes, `*`, `AND`,
        /// `-` and the like are searched as text. At most 50 runs unless --limit says.
        #[arg(
            long,
            value_name = "TEXT",
            allow_hyphen_values = true,
            value_parser = cmd_history_search::parse_search
        )]
        search: Option<String>,
        /// Only runs with this status (completed, failed, cancelled, timed_out, running, ...).
        #[arg(long, value_name = "STATUS", value_parser = cmd_history::parse_status)]
        status: Option<studio_api::studio_core::RunStatus>,
        /// Only runs of this mission id.
        #[arg(long = "mission", value_name = "ID")]
        mission: Option<String>,
        /// Only runs started at or after this date (YYYY-MM-DD, UTC) or RFC 3339 time.
        #[arg(long, value_name = "DATE", value_parser = cmd_history::parse_since)]
        since: Option<chrono::DateTime<chrono::Utc>>,
        /// At most this many runs.
        #[arg(long, value_name = "N")]
        limit: Option<u32>,
        /// Print a JSON array: [{run_id, mission_id, status, reason, started_at, finished_at,
        /// usage, evidence_dir, resumed_from, ...}]; with --search, one document:
        /// {runs: [{run_id, mission, mission_name, status, started_at, finished_at,
        /// matches: [{field, step_id?, line, highlights}]}]}.
        #[arg(long)]
        json: bool,
    },
    /// Show one recorded run: its steps, events and evidence folder. Exit code 2 when the run
    /// id is unknown.
    Show {
        #[arg(value_name = "RUN_ID")]
        run_id: String,
        /// Print one JSON document: {run, steps, events, evidence_dir}.
        #[arg(long)]
        json: bool,
        /// Print the run's plan as Spark's `render_text`: one line per plan step with its
        /// status mark ([x] completed, [>] in_progress, [ ] pending, [?] blocked, [!] failed,
        /// [-] skipped or cancelled).
        #[arg(long, conflicts_with = "json")]
        plan: bool,
    },
    /// Compare two recorded runs (status, per-step status, timings and outputs, usage; exit
    /// code 2 when a run id is unknown), or two mission files when both arguments are files:
    /// steps added, removed and changed (type, dependencies, each parameter), perimeter,
    /// plan, state schema, config, deployment. Mission files: exit 0 equal, 1 different.
    Diff {
        /// A run id, or a mission file.
        #[arg(value_name = "RUN_A|FILE_A")]
        run_a: String,
        /// A run id, or a mission file.
        #[arg(value_name = "RUN_B|FILE_B")]
        run_b: String,
        /// Print one JSON document (runs: {a, b, steps: [{step_id, a, b, same_status,
        /// same_output}]}; missions: as `--format json`).
        #[arg(long)]
        json: bool,
        /// Mission files only: text, json or html (one self-contained page) [default: text].
        #[arg(long, value_enum, value_name = "FORMAT")]
        format: Option<cmd_spark::DiffFormat>,
        /// Mission files only: write the report to this file instead of stdout.
        #[arg(short = 'o', long = "out", value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// List the perimeter gate's decisions (one row per decision): of one run, or of every
    /// run, newest first. Read from the history, else from the evidence folders.
    Audit {
        /// The run (default: every run).
        #[arg(value_name = "RUN_ID")]
        run_id: Option<String>,
        /// Print a JSON array: [{run_id, mission_id, step_id, attempt, tool, tool_sector,
        /// mission_sector, authorising_sector, decision, check, reason, trace_id, at}].
        #[arg(long)]
        json: bool,
    },
    /// Store or remove API keys in the OS keyring (the kernel key store on Linux, the
    /// Keychain on macOS, the Credential Manager on Windows), for `llm` steps'
    /// `api_key_keyring`.
    #[command(subcommand)]
    Keyring(cmd_keyring::KeyringCommand),
    /// Write a new native mission file to start from (`DIR/<slug>.yaml`, valid as written);
    /// an existing file is never overwritten (exit 2). Prints its path.
    New {
        /// The mission's name (its slug names the file).
        #[arg(value_name = "NAME")]
        name: String,
        /// The owning sector (Finance, Intelligence, Operations, ...).
        #[arg(long, value_name = "SECTOR")]
        sector: Option<String>,
        /// Where to write it [default: the current folder].
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
    /// Pack a finished run's evidence folder into one portable .tar.gz with a manifest of
    /// every file's SHA-256 (exit code 2 when the run is unknown or has not ended); or, when
    /// the argument is a mission file, pack the mission into a .zip (mission.json,
    /// manifest.json, requirements.json, schemas/, tools/) that `validate` and `run` accept.
    Package {
        /// A run id, or a mission file.
        #[arg(value_name = "RUN_ID|FILE")]
        run_id: String,
        /// The archive to write [default: ./<evidence folder name>.tar.gz, or ./<mission
        /// id>.zip]; never overwritten.
        #[arg(short = 'o', long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// Print the manifest (plus `archive`) as JSON.
        #[arg(long)]
        json: bool,
        /// Mission files only: copy the registry tools the mission calls into `tools/`.
        #[arg(long)]
        include_deps: bool,
    },
    /// Write a valid native mission whose plan and steps follow a list: `a,b,c` is a chain,
    /// `a,b|c,d` runs groups in order with the steps of a group in parallel. Steps are `noop`
    /// placeholders (or the nodes of a Spark GraphSpec given with --graph). An existing file
    /// is never overwritten (exit 2). Prints the path.
    Generate {
        /// The mission's name (its slug names the default file).
        #[arg(value_name = "NAME")]
        name: String,
        /// The steps: names separated by `,`, parallel groups separated by `|`.
        #[arg(long, value_name = "LIST")]
        plan: Option<String>,
        /// A Spark GraphSpec (nodes and edges) whose nodes become the steps.
        #[arg(long, value_name = "FILE")]
        graph: Option<PathBuf>,
        /// The file to write [default: ./<name-slug>.yaml].
        #[arg(short = 'o', long = "out", value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Deployment readiness of a mission for a target, from its `deployment:` block and its
    /// steps: env vars, tools, providers, caps, approval mode, resources against this
    /// machine; each finding with why and how to fix it. Exit code 0 ready, 1 not ready,
    /// 2 usage, 3 invalid mission.
    Check {
        #[arg(value_name = "FILE")]
        file: PathBuf,
        /// development, staging or production [default: the mission's `deployment.target`,
        /// else development].
        #[arg(long, value_name = "TARGET", value_parser = cmd_spark::parse_target)]
        target: Option<studio_api::studio_core::DeploymentTarget>,
        /// Print one JSON document: {mission_id, target, ready, findings: [{check, level,
        /// message, reason, fix}]}.
        #[arg(long)]
        json: bool,
    },
    /// Add a run made elsewhere to this history: a package from `mission package` (every
    /// file checked against its SHA-256) or a finished run's evidence folder. It then shows in
    /// `history` and `show`. Exit code 2 when it is damaged, unfinished or already there.
    Ingest {
        #[arg(value_name = "PATH")]
        path: PathBuf,
        /// Print {run_id, evidence_dir, steps, events, files} as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Show the version and where data, history and logs live.
    /// Work for a squad over NATS JetStream: pull a department's step jobs and run them
    /// (`--dept`), or accept Mission Envelope v1 dispatches addressed to a VP (`--envelope --vp`).
    /// Stops cleanly on Ctrl-C.
    Worker(cmd_worker::WorkerArgs),
    /// Publish a Mission Envelope v1 dispatch payload to the VP it names; with `--wait`, follow
    /// its lifecycle events to its final state.
    Dispatch(cmd_envelope::DispatchArgs),
    /// Cancel a dispatched mission: its worker stops it and emits `mission.cancelled`.
    Cancel(cmd_envelope::CancelArgs),
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
    // Validation reads files only (and the names of the configured providers): it creates
    // nothing in the data folder.
    if let Command::Validate {
        files,
        json,
        strict,
        vars,
        check_deployment,
        target,
    } = &cli.command
    {
        let mut opened = Vec::new();
        let mut paths = Vec::new();
        let mut names = Vec::new();
        for file in files {
            match cmd_mission_package::open_if_package(file) {
                Ok((path, package)) => {
                    paths.push(path);
                    names.push(
                        package
                            .is_some()
                            .then(|| format!("{} (mission.json)", file.display())),
                    );
                    opened.extend(package);
                }
                Err(code) => return Ok(ExitCode::from(code)),
            }
        }
        let files = &paths;
        let inputs = match cmd_run::parse_vars(vars) {
            Ok(map) => map.into_keys().collect(),
            Err(message) => {
                eprintln!("error: {message}");
                return Ok(ExitCode::from(exit::USAGE));
            }
        };
        let options =
            cmd_validate::CheckOptions::for_data_dir(cli.data_dir.as_deref(), inputs, *strict);
        let code = cmd_validate::validate_named(files, &names, *json, &options);
        if code != 0 || !*check_deployment {
            return Ok(ExitCode::from(code));
        }
        let mut ready = true;
        for file in files {
            match cmd_spark::readiness_of(cli.data_dir.as_deref(), file, *target) {
                Ok(report) => {
                    eprint!("{}", studio_api::spark::readiness::render_text(&report));
                    ready &= report.ready;
                }
                Err(code) => return Ok(ExitCode::from(code)),
            }
        }
        drop(opened);
        return Ok(ExitCode::from(u8::from(!ready)));
    }
    if let Command::Keyring(command) = &cli.command {
        return Ok(ExitCode::from(cmd_keyring::keyring(command)));
    }
    if let Command::Worker(args) = &cli.command {
        return Ok(ExitCode::from(cmd_worker::worker(
            args,
            cli.data_dir.as_deref(),
        )));
    }
    if let Command::Dispatch(args) = &cli.command {
        return Ok(ExitCode::from(cmd_envelope::dispatch(args)));
    }
    if let Command::Cancel(args) = &cli.command {
        return Ok(ExitCode::from(cmd_envelope::cancel(args)));
    }
    if let Command::Run {
        template: Some(template),
        dry_run,
        json,
        events,
        vars,
        perimeter,
        nats,
        ..
    } = &cli.command
    {
        let args = cmd_run::RunArgs {
            file: PathBuf::new(),
            dry_run: *dry_run,
            json: *json,
            events: events.clone(),
            vars: vars.clone(),
            data_dir: cli.data_dir.clone(),
            perimeter: perimeter.clone(),
            nats: nats.clone(),
        };
        return Ok(ExitCode::from(cmd_templates::run_template(template, &args)));
    }
    if let Command::Run {
        file: _,
        template: _,
        active: Some(active),
        dry_run,
        json,
        events,
        vars,
        perimeter,
        nats: _,
    } = &cli.command
    {
        let args = cmd_active::RunActiveArgs {
            id: active.clone(),
            dry_run: *dry_run,
            json: *json,
            events: events.clone(),
            vars: vars.clone(),
            data_dir: cli.data_dir.clone(),
            perimeter: perimeter.clone(),
        };
        return Ok(ExitCode::from(cmd_active::run(&args)));
    }
    if let Command::Run {
        file: Some(given),
        template: None,
        active: None,
        dry_run,
        json,
        events,
        vars,
        perimeter,
        nats,
    } = &cli.command
    {
        let (file, _package) = match cmd_mission_package::open_if_package(given) {
            Ok(opened) => opened,
            Err(code) => return Ok(ExitCode::from(code)),
        };
        let args = cmd_run::RunArgs {
            file,
            dry_run: *dry_run,
            json: *json,
            events: events.clone(),
            vars: vars.clone(),
            data_dir: cli.data_dir.clone(),
            perimeter: perimeter.clone(),
            nats: nats.clone(),
        };
        return Ok(ExitCode::from(cmd_run::run(&args)));
    }
    let data_dir = cli.data_dir.as_deref();
    match &cli.command {
        Command::Resume {
            run_id,
            file,
            dry_run,
            json,
            events,
            vars,
            perimeter,
        } => {
            let args = cmd_run::ResumeArgs {
                run_id: run_id.clone(),
                file: file.clone(),
                dry_run: *dry_run,
                json: *json,
                events: events.clone(),
                vars: vars.clone(),
                data_dir: cli.data_dir.clone(),
                perimeter: perimeter.clone(),
            };
            return Ok(ExitCode::from(cmd_run::resume(&args)));
        }
        Command::History {
            search,
            status,
            mission,
            since,
            limit,
            json,
        } => {
            let filter = studio_api::RunFilter {
                status: *status,
                mission_id: mission.clone(),
                since: *since,
                limit: *limit,
            };
            if let Some(text) = search {
                let search = studio_api::HistorySearch {
                    text: text.clone(),
                    filter: studio_api::RunFilter {
                        limit: limit.or(Some(cmd_history_search::DEFAULT_LIMIT)),
                        ..filter
                    },
                };
                return Ok(ExitCode::from(cmd_history_search::search(
                    data_dir, &search, *json,
                )));
            }
            return Ok(ExitCode::from(cmd_history::history(
                data_dir, &filter, *json,
            )));
        }
        Command::Show {
            run_id,
            json,
            plan: true,
        } if !*json => {
            return Ok(ExitCode::from(cmd_history::show_plan(data_dir, run_id)));
        }
        Command::Show { run_id, json, .. } => {
            return Ok(ExitCode::from(cmd_history::show(data_dir, run_id, *json)));
        }
        Command::Diff {
            run_a,
            run_b,
            json,
            format,
            out,
        } if std::path::Path::new(run_a).is_file() && std::path::Path::new(run_b).is_file() => {
            let format = match (format, json) {
                (Some(f), _) => *f,
                (None, true) => cmd_spark::DiffFormat::Json,
                (None, false) => cmd_spark::DiffFormat::Text,
            };
            return Ok(ExitCode::from(cmd_spark::diff(
                std::path::Path::new(run_a),
                std::path::Path::new(run_b),
                format,
                out.as_deref(),
            )));
        }
        Command::Diff { run_a, run_b, .. }
            if std::path::Path::new(run_a).is_file() != std::path::Path::new(run_b).is_file() =>
        {
            eprintln!("error: compare two mission files or two run ids; one of `{run_a}` and `{run_b}` is a file and the other is not");
            return Ok(ExitCode::from(exit::USAGE));
        }
        Command::Diff {
            format: Some(_), ..
        }
        | Command::Diff { out: Some(_), .. } => {
            eprintln!("error: --format and -o compare mission files; both arguments must be existing files");
            return Ok(ExitCode::from(exit::USAGE));
        }
        Command::Diff {
            run_a, run_b, json, ..
        } => {
            return Ok(ExitCode::from(cmd_history::diff(
                data_dir, run_a, run_b, *json,
            )));
        }
        Command::Audit { run_id, json } => {
            return Ok(ExitCode::from(cmd_audit::audit(
                data_dir,
                run_id.as_deref(),
                *json,
            )));
        }
        Command::Deploy {
            template_id,
            perimeter,
            vars,
            name,
            json,
        } => {
            let args = cmd_active::DeployArgs {
                template_id: template_id.clone(),
                perimeter: perimeter.clone(),
                vars: vars.clone(),
                name: name.clone(),
                json: *json,
            };
            return Ok(ExitCode::from(cmd_active::deploy(data_dir, &args)));
        }
        Command::Active(command) => {
            return Ok(ExitCode::from(cmd_active::active(data_dir, command)));
        }
        Command::Batch(command) => {
            return Ok(ExitCode::from(cmd_batch::batch(data_dir, command)));
        }
        Command::Review(command) => {
            return Ok(ExitCode::from(cmd_review::review(data_dir, command)));
        }
        Command::Templates(command) => {
            return Ok(ExitCode::from(cmd_templates::templates(data_dir, command)));
        }
        Command::New { name, sector, dir } => {
            return Ok(ExitCode::from(cmd_new::new_mission(
                name,
                sector.as_deref(),
                dir.as_deref(),
            )));
        }
        Command::Package {
            run_id,
            out,
            json,
            include_deps,
        } if cmd_mission_package::is_mission_file(run_id) => {
            return Ok(ExitCode::from(cmd_mission_package::package(
                data_dir,
                std::path::Path::new(run_id),
                out.as_deref(),
                *include_deps,
                *json,
            )));
        }
        Command::Package {
            include_deps: true, ..
        } => {
            eprintln!(
                "error: --include-deps packs a mission file; the argument is not an existing file"
            );
            return Ok(ExitCode::from(exit::USAGE));
        }
        Command::Package {
            run_id, out, json, ..
        } => {
            return Ok(ExitCode::from(cmd_package::package(
                data_dir,
                run_id,
                out.as_deref(),
                *json,
            )));
        }
        Command::Ingest { path, json } => {
            return Ok(ExitCode::from(cmd_ingest::ingest(data_dir, path, *json)));
        }
        Command::Generate {
            name,
            plan,
            graph,
            out,
        } => {
            return Ok(ExitCode::from(cmd_spark::generate(
                name,
                plan.as_deref(),
                graph.as_deref(),
                out.as_deref(),
            )));
        }
        Command::Check { file, target, json } => {
            return Ok(ExitCode::from(cmd_spark::check(
                data_dir, file, *target, *json,
            )));
        }
        _ => {}
    }
    let api = StudioApi::open(AppPaths::resolve(cli.data_dir.as_deref())?)?;
    match cli.command {
        Command::Validate { .. }
        | Command::Run { .. }
        | Command::Resume { .. }
        | Command::History { .. }
        | Command::Show { .. }
        | Command::Diff { .. }
        | Command::Audit { .. }
        | Command::Deploy { .. }
        | Command::Active(_)
        | Command::Batch(_)
        | Command::Review(_)
        | Command::Templates(_)
        | Command::New { .. }
        | Command::Package { .. }
        | Command::Ingest { .. }
        | Command::Generate { .. }
        | Command::Check { .. }
        | Command::Keyring(_)
        | Command::Worker(_)
        | Command::Dispatch(_)
        | Command::Cancel(_) => {
            unreachable!("handled before")
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
