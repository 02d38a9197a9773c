//! `mission run FILE`: validates the mission, runs it with its evidence folder, shows progress on
//! stderr and prints the result on stdout (a summary, or with `--json` one document).
//!
//! Exit codes (DESIGN §12): 0 completed, 1 failed, 2 usage, 3 invalid mission, 4 stopped for
//! lack of approval (denied, or needed with no terminal to ask on), 5 budget exceeded, 6 timed
//! out, 130 cancelled (Ctrl-C).
//!
//! The run is held to its perimeter (see [`crate::perimeter_args`]).
//!
//! `mission resume RUN_ID` takes the same flags and prints the same result: a new run, linked
//! to the old one, that reuses the outputs of the steps that succeeded. An unknown run id is a
//! usage error (exit 2). Its caps flags replace those of the earlier run's operator perimeter
//! (they can raise what it set; the mission's own perimeter and the global hard caps still
//! bound them); `--file FILE` resumes with the mission file as it is now (validated again, exit
//! 3 when invalid), reusing only the unchanged steps that succeeded (see `studio_api::resume`).
//!
//! `--dry-run` prints the plan and the launch forecast ([`crate::cmd_forecast`]); exit 5 when
//! a cap cannot hold.
//!
//! Every run is recorded in the history database of the data folder as it goes.

use crate::cmd_forecast::{self, ForecastInput};
use crate::cmd_validate;
use crate::perimeter_args::PerimeterArgs;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use studio_api::studio_core::Mission;
use studio_api::studio_core::RunStatus;
use studio_api::studio_engine::{
    CancellationToken, Event, EventSink, EventType, FanOutSink, JsonlFileSink, RunOptions,
    RunResult, SinkError,
};
use studio_api::{ErrorCode, ResumePlan, StudioApi};

/// Exit codes of `mission run`.
pub mod code {
    pub const COMPLETED: u8 = 0;
    pub const FAILED: u8 = 1;
    pub const USAGE: u8 = 2;
    pub const INVALID: u8 = 3;
    pub const APPROVAL: u8 = 4;
    pub const BUDGET_EXCEEDED: u8 = 5;
    pub const TIMED_OUT: u8 = 6;
    pub const CANCELLED: u8 = 130;
}

/// What `mission run` was asked to do.
#[derive(Debug, Clone)]
pub struct RunArgs {
    pub file: PathBuf,
    pub dry_run: bool,
    pub json: bool,
    pub events: Option<PathBuf>,
    pub vars: Vec<String>,
    pub data_dir: Option<PathBuf>,
    pub perimeter: PerimeterArgs,
    /// Dispatch the steps to a squad's workers through this NATS server.
    pub nats: Option<String>,
}

/// Runs the command and returns its exit code.
pub fn run(args: &RunArgs) -> u8 {
    let context = match parse_vars(&args.vars) {
        Ok(c) => c,
        Err(message) => {
            eprintln!("error: {message}");
            return code::USAGE;
        }
    };
    let check = cmd_validate::CheckOptions::for_data_dir(
        args.data_dir.as_deref(),
        context.keys().cloned().collect(),
        false,
    );
    let loaded = match cmd_validate::load_and_validate(&args.file, &check) {
        Ok(loaded) => loaded,
        Err(code) => return code,
    };
    if args.dry_run {
        let input = ForecastInput {
            perimeter: &args.perimeter,
            data_dir: args.data_dir.as_deref(),
            mission_file: &args.file,
            context,
            operator: None,
            reused: BTreeMap::new(),
        };
        let forecast = match cmd_forecast::make(&loaded.mission, input) {
            Ok(f) => f,
            Err(code) => return code,
        };
        cmd_forecast::notes_on_flags(&args.perimeter, &forecast);
        return print_plan_and_forecast(&loaded, &forecast, args.json);
    }
    let api = match open_api(args.data_dir.as_deref()) {
        Ok(api) => api,
        Err(code) => return code,
    };
    let options = match run_options(&args.perimeter, &args.file, &api, context) {
        Ok(options) => options,
        Err(code) => return code,
    };
    let output = Output {
        json: args.json,
        events: args.events.clone(),
        nats: args.nats.clone(),
    };
    launch(
        &api,
        &loaded.mission,
        options,
        Source::File(&args.file),
        &output,
    )
}

/// A dry run's output: the plan, then the launch forecast (with `json`, one document with
/// `forecast`). Returns 5 when a cap cannot hold, 0 otherwise.
pub(crate) fn print_plan_and_forecast(
    loaded: &studio_api::studio_core::LoadedMission,
    forecast: &studio_api::studio_engine::forecast::Forecast,
    json: bool,
) -> u8 {
    let mut plan = Vec::new();
    match cmd_validate::write_plan(&mut plan, loaded, json) {
        Ok(()) => {}
        Err(cmd_validate::PlanError::Graph(err)) => {
            eprintln!("error: {err}");
            return code::INVALID;
        }
        Err(cmd_validate::PlanError::Io(err)) => {
            eprintln!("error: cannot write the plan: {err}");
            return code::FAILED;
        }
    }
    let mut out = std::io::stdout().lock();
    let written = if json {
        let mut doc: Value = serde_json::from_slice(&plan).unwrap_or_else(|_| json!({}));
        doc["forecast"] = cmd_forecast::json(forecast);
        writeln!(
            out,
            "{}",
            serde_json::to_string_pretty(&doc).unwrap_or_default()
        )
    } else {
        out.write_all(&plan)
            .and_then(|()| cmd_forecast::write_table(&mut out, forecast))
    };
    if let Err(e) = written {
        eprintln!("error: cannot write the plan: {e}");
        return code::FAILED;
    }
    cmd_forecast::report_shortfall(forecast);
    cmd_forecast::exit_code(forecast)
}

/// What `mission resume` was asked to do.
#[derive(Debug, Clone)]
pub struct ResumeArgs {
    pub run_id: String,
    /// Resume with this mission file as it is now instead of the recorded mission.
    pub file: Option<PathBuf>,
    pub dry_run: bool,
    pub json: bool,
    pub events: Option<PathBuf>,
    pub vars: Vec<String>,
    pub data_dir: Option<PathBuf>,
    pub perimeter: PerimeterArgs,
}

/// `mission resume RUN_ID`: runs the earlier run's mission (or with `--file` the file as it is
/// now) again as a new run, reusing the outputs of the steps that succeeded and did not change.
/// Returns the exit code.
pub fn resume(args: &ResumeArgs) -> u8 {
    let vars = match parse_vars(&args.vars) {
        Ok(v) => v,
        Err(message) => {
            eprintln!("error: {message}");
            return code::USAGE;
        }
    };
    let api = match open_api(args.data_dir.as_deref()) {
        Ok(api) => api,
        Err(code) => return code,
    };
    let refused = |e: studio_api::ApiError| {
        eprintln!("error: {e}");
        match e.code {
            ErrorCode::NotFound | ErrorCode::InvalidInput => code::USAGE,
            _ => code::FAILED,
        }
    };
    let plan = match &args.file {
        Some(file) => {
            let recorded = match api.prepare_resume(&args.run_id) {
                Ok(plan) => plan,
                Err(e) => return refused(e),
            };
            let inputs = recorded
                .context
                .keys()
                .chain(vars.keys())
                .cloned()
                .collect();
            let check =
                cmd_validate::CheckOptions::for_data_dir(args.data_dir.as_deref(), inputs, false);
            let loaded = match cmd_validate::load_and_validate(file, &check) {
                Ok(loaded) => loaded,
                Err(code) => return code,
            };
            match api.prepare_resume_from(&args.run_id, loaded.mission, file, &vars) {
                Ok(plan) => plan,
                Err(e) => {
                    eprintln!("error: {e}");
                    return code::INVALID;
                }
            }
        }
        None => match api.prepare_resume(&args.run_id) {
            Ok(plan) => plan,
            Err(e) => return refused(e),
        },
    };
    if args.file.is_none() {
        if let Some(f) = plan
            .recorded_file
            .as_ref()
            .filter(|f| f.changed && f.exists)
        {
            eprintln!(
                "hint: {} ({})",
                studio_api::resume::FILE_CHANGED_HINT,
                f.path.display()
            );
        }
    }
    let given = match args.perimeter.given_perimeter() {
        Ok(p) => p,
        Err(message) => {
            eprintln!("error: {message}");
            return code::USAGE;
        }
    };
    let operator = studio_api::resume::resume_operator(plan.operator.as_ref(), &given);
    let mut context = plan.context.clone();
    context.extend(vars);
    // The library's tools are found from the mission file.
    let mission_file = args
        .file
        .clone()
        .or_else(|| plan.recorded_file.as_ref().map(|f| f.path.clone()))
        .unwrap_or_else(|| {
            std::env::current_dir()
                .unwrap_or_default()
                .join("mission.yaml")
        });
    let input = ForecastInput {
        perimeter: &args.perimeter,
        data_dir: args.data_dir.as_deref(),
        mission_file: &mission_file,
        context: context.clone(),
        operator: Some(operator.clone()),
        reused: plan.reuse.clone(),
    };
    let forecast = match cmd_forecast::make(&plan.mission, input) {
        Ok(f) => f,
        Err(code) => return code,
    };
    cmd_forecast::notes_on_flags(&args.perimeter, &forecast);
    if args.dry_run {
        return print_resume_plan(&plan, &forecast, args.json);
    }
    if !args.json {
        print_reuse(&mut std::io::stderr().lock(), &plan);
    }
    if !forecast.can_complete() {
        if let Some(f) = forecast.shortfall() {
            eprintln!("warning: the launch forecast says the run {}", f.message);
        }
    }
    let mut options = match run_options(&args.perimeter, &mission_file, &api, context) {
        Ok(options) => options,
        Err(code) => return code,
    };
    options.governance.operator = operator;
    let output = Output {
        json: args.json,
        events: args.events.clone(),
        nats: None,
    };
    launch(&api, &plan.mission, options, Source::Resume(&plan), &output)
}

/// The options of a new run: its inputs, and the perimeter of the flags merged with the global
/// caps and the tools found from `mission_file`. A bad perimeter is printed: a usage error.
pub(crate) fn run_options(
    perimeter: &PerimeterArgs,
    mission_file: &Path,
    api: &StudioApi,
    context: BTreeMap<String, Value>,
) -> Result<RunOptions, u8> {
    let mut options = RunOptions::new(PathBuf::new());
    options.context = context;
    options.governance = perimeter
        .governance(mission_file, api.paths().data_dir())
        .map_err(|message| {
            eprintln!("error: {message}");
            code::USAGE
        })?;
    Ok(options)
}

/// Opens the API over the data folder; recovery of interrupted runs happens here, before
/// anything reads the history.
pub fn open_api(data_dir: Option<&Path>) -> Result<StudioApi, u8> {
    let api = studio_api::AppPaths::resolve(data_dir)
        .and_then(StudioApi::open)
        .map_err(|e| {
            eprintln!("error: {e}");
            code::FAILED
        })?;
    match api.recover_interrupted_runs() {
        Ok(report) => {
            let n = report.interrupted_runs.len();
            if n > 0 {
                eprintln!(
                    "note: {n} run(s) left running by a process that stopped were ended as \
                     failed (interrupted): {}",
                    report
                        .interrupted_runs
                        .iter()
                        .map(|r| r.run_id.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                );
            }
            Ok(api)
        }
        Err(e) => {
            eprintln!("error: {e}");
            Err(code::FAILED)
        }
    }
}

/// Where a run's result and events go.
pub(crate) struct Output {
    pub(crate) json: bool,
    pub(crate) events: Option<PathBuf>,
    /// `--nats URL`: the steps run on the departments' workers.
    pub(crate) nats: Option<String>,
}

/// What a run starts from: a mission file, an earlier run (resume), an active mission.
#[derive(Clone, Copy)]
pub(crate) enum Source<'a> {
    File(&'a Path),
    Resume(&'a ResumePlan),
    Active(&'a studio_api::active::ActivePlan),
}

pub(crate) fn launch(
    api: &StudioApi,
    mission: &Mission,
    options: RunOptions,
    source: Source<'_>,
    output: &Output,
) -> u8 {
    let mut extra = FanOutSink::new();
    extra.push(Progress::new(mission.steps.len()));
    if let Some(path) = &output.events {
        match JsonlFileSink::create(path) {
            Ok(sink) => extra.push(sink),
            Err(e) => {
                eprintln!("error: {e}");
                return code::USAGE;
            }
        }
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return code::FAILED;
        }
    };
    let cancel = CancellationToken::new();
    let mut options = options.with_cancel(cancel.clone());
    if let Some(url) = &output.nats {
        if let Err(message) = studio_api::squad::check_departments(mission) {
            eprintln!("error: {message}");
            return code::INVALID;
        }
        match runtime.block_on(studio_api::squad::SquadDispatcher::connect(
            url,
            &options.run_id,
        )) {
            Ok(dispatcher) => options.dispatcher = Some(std::sync::Arc::new(dispatcher)),
            Err(e) => {
                eprintln!("error: {e}");
                return code::FAILED;
            }
        }
    }
    let outcome = runtime.block_on(async {
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                eprintln!("\ncancelling: stopping running steps…");
                cancel.cancel();
            }
        });
        match source {
            Source::Resume(plan) => api.resume_recorded(plan, options, extra).await,
            Source::Active(plan) => api.run_active(plan, options, extra).await,
            Source::File(file) => api.run_recorded_file(mission, file, options, extra).await,
        }
    });
    let outcome = match outcome {
        Ok(done) => done,
        Err(e) if e.code == ErrorCode::InvalidInput => {
            eprintln!("error: {e}");
            return code::INVALID;
        }
        Err(e) => {
            eprintln!("error: {e}");
            return code::FAILED;
        }
    };
    let (result, evidence_dir) = (&outcome.result, &outcome.evidence_dir);
    let printed = if output.json {
        let mut doc = result_document(result, evidence_dir);
        match source {
            Source::Resume(plan) => doc["resumed_from"] = json!(plan.from_run),
            Source::Active(plan) => doc["active_id"] = json!(plan.active.id),
            Source::File(_) => {}
        }
        serde_json::to_string_pretty(&doc)
            .map_err(std::io::Error::other)
            .and_then(|text| writeln!(std::io::stdout().lock(), "{text}"))
    } else {
        print_summary(result, evidence_dir)
    };
    if let Err(e) = printed {
        eprintln!("error: cannot write the result: {e}");
    }
    if let Some(warning) = outcome.telemetry.as_ref().and_then(|t| t.warning()) {
        eprintln!("warning: {warning}");
    }
    if let Some(message) = &outcome.history_error {
        eprintln!("error: the run was not fully recorded in the history: {message}");
        return code::FAILED;
    }
    exit_code(result)
}

/// `reused (n): …` and `run again (n): step (why), …`.
fn print_reuse(out: &mut dyn Write, plan: &ResumePlan) {
    let reused: Vec<&String> = plan.reuse.keys().collect();
    let rerun: Vec<String> = plan
        .rerun_steps()
        .into_iter()
        .map(|id| match plan.rerun_reasons.get(&id) {
            Some(why) => format!("{id} ({why})"),
            None => id,
        })
        .collect();
    let _ = writeln!(out, "reused ({}): {}", reused.len(), join(&reused));
    let _ = writeln!(
        out,
        "run again ({}): {}",
        rerun.len(),
        join(&rerun.iter().collect::<Vec<_>>())
    );
}

fn print_resume_plan(
    plan: &ResumePlan,
    forecast: &studio_api::studio_engine::forecast::Forecast,
    json: bool,
) -> u8 {
    let reused: Vec<&String> = plan.reuse.keys().collect();
    let rerun = plan.rerun_steps();
    if json {
        let doc = json!({
            "resumed_from": plan.from_run,
            "reused_steps": reused,
            "rerun_steps": rerun,
            "rerun_reasons": plan.rerun_reasons,
            "mission_file": plan.mission_file.as_ref().map(|f| &f.path),
            "file_changed": plan.recorded_file.as_ref().is_some_and(|f| f.changed),
            "forecast": cmd_forecast::json(forecast),
        });
        println!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
    } else {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "resume of run {}", plan.from_run);
        print_reuse(&mut out, plan);
        let _ = cmd_forecast::write_table(&mut out, forecast);
    }
    cmd_forecast::report_shortfall(forecast);
    cmd_forecast::exit_code(forecast)
}

fn join(items: &[&String]) -> String {
    if items.is_empty() {
        "-".into()
    } else {
        items
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// `--var k=v` pairs as run inputs (`{{context.k}}`); values stay strings.
pub fn parse_vars(vars: &[String]) -> Result<BTreeMap<String, Value>, String> {
    let mut out = BTreeMap::new();
    for var in vars {
        let Some((key, value)) = var.split_once('=') else {
            return Err(format!("--var `{var}`: expected NAME=VALUE"));
        };
        let key = key.trim();
        if key.is_empty()
            || !key
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            return Err(format!(
                "--var `{var}`: the name must be letters, digits, `_` or `-`"
            ));
        }
        out.insert(key.to_string(), Value::String(value.to_string()));
    }
    Ok(out)
}

pub fn exit_code(result: &RunResult) -> u8 {
    match result.status {
        RunStatus::Completed => code::COMPLETED,
        RunStatus::TimedOut => code::TIMED_OUT,
        RunStatus::Cancelled => code::CANCELLED,
        _ if result.reason.as_deref().is_some_and(|r| {
            r.contains("approval_denied") || r.contains("approval_unavailable")
        }) =>
        {
            code::APPROVAL
        }
        _ if result
            .reason
            .as_deref()
            .is_some_and(|r| r.contains("budget_exceeded")) =>
        {
            code::BUDGET_EXCEEDED
        }
        _ => code::FAILED,
    }
}

/// The `--json` document: stable field names, step results keyed by step id.
pub fn result_document(result: &RunResult, evidence_dir: &Path) -> Value {
    let steps: serde_json::Map<String, Value> = result
        .step_results
        .iter()
        .map(|(id, r)| {
            (
                id.to_string(),
                serde_json::to_value(r).unwrap_or(Value::Null),
            )
        })
        .collect();
    let mut doc = serde_json::to_value(result).unwrap_or_else(|_| json!({}));
    doc["evidence_dir"] = json!(evidence_dir.display().to_string());
    doc["step_results"] = Value::Object(steps);
    doc
}

fn print_summary(result: &RunResult, evidence_dir: &Path) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    write!(out, "{}", result.plan.render_text())?;
    let counts: Vec<String> = result
        .counts()
        .iter()
        .map(|(s, n)| format!("{n} {}", s.as_str()))
        .collect();
    writeln!(
        out,
        "run {} {} in {} ms ({})",
        result.run_id,
        result.status.as_str(),
        result.total_duration_ms,
        counts.join(", ")
    )?;
    if let Some(reason) = &result.reason {
        writeln!(out, "reason: {reason}")?;
    }
    writeln!(out, "evidence: {}", evidence_dir.display())
}

/// Progress on stderr: a bar on a terminal, one line per step event otherwise.
struct Progress {
    bar: Option<indicatif::ProgressBar>,
}

impl Progress {
    fn new(steps: usize) -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = indicatif::ProgressBar::new(steps as u64);
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "{spinner} [{bar:30}] {pos}/{len} steps {msg}",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
                .progress_chars("=> "),
            );
            bar.enable_steady_tick(std::time::Duration::from_millis(120));
            bar
        });
        Self { bar }
    }

    fn line(&self, text: &str) {
        match &self.bar {
            Some(bar) => bar.println(text),
            None => eprintln!("{text}"),
        }
    }
}

impl EventSink for Progress {
    fn emit(&mut self, event: &Event) -> Result<(), SinkError> {
        let finished_step = event.step_status.is_some_and(|s| s.is_final());
        match (&self.bar, event.event_type) {
            (_, t) if t.is_final() => {
                if let Some(bar) = &self.bar {
                    bar.finish_and_clear();
                }
                eprintln!("{}", event.summary);
            }
            // A blocked step waits for an approval that may be asked on this terminal: the
            // bar stops redrawing until the next step event.
            (Some(bar), EventType::Blocked) => {
                bar.disable_steady_tick();
                bar.println(&event.summary);
            }
            (None, EventType::Blocked) => self.line(&event.summary),
            (Some(bar), EventType::Progress) => {
                bar.enable_steady_tick(std::time::Duration::from_millis(120));
                if finished_step {
                    bar.inc(1);
                    if event.step_status != Some(studio_api::studio_core::StepStatus::Success) {
                        bar.println(&event.summary);
                    }
                } else if let Some(step) = &event.step_id {
                    bar.set_message(format!("running `{step}`"));
                }
                if event.idempotency_key.ends_with("/retry") {
                    self.line(&event.summary);
                }
            }
            (None, EventType::Progress | EventType::Accepted) => self.line(&event.summary),
            _ => {}
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vars_are_name_value_pairs_kept_as_strings() {
        let v = parse_vars(&["a=1".into(), "b=x=y".into(), "c=".into()]).unwrap();
        assert_eq!(v["a"], json!("1"));
        assert_eq!(v["b"], json!("x=y"), "only the first `=` separates");
        assert_eq!(v["c"], json!(""));
        assert!(parse_vars(&["novalue".into()])
            .unwrap_err()
            .contains("NAME=VALUE"));
        assert!(parse_vars(&["=x".into()]).is_err());
    }
}
