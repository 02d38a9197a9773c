//! `mission deploy TEMPLATE_ID --perimeter FILE`: saves a library template with a perimeter and
//! inputs as an active mission; `mission active list|show|delete`; `mission run --active ID`.
//!
//! Exit codes: 0 done, 2 usage (a perimeter above a global hard cap, an unknown template or
//! active mission, an unreadable perimeter file), 1 anything else. `run --active` exits as
//! `mission run` does.

use crate::cmd_run::{self, code, Output};
use crate::cmd_validate;
use crate::perimeter_args::PerimeterArgs;
use clap::Subcommand;
use serde_json::json;
use std::path::{Path, PathBuf};
use studio_api::active::ActivePlan;
use studio_api::{ApiError, ErrorCode};

/// `mission active …`
#[derive(Debug, Clone, Subcommand)]
pub enum ActiveCommand {
    /// List the active missions, newest first.
    List {
        /// Print a JSON array: [{id, template_id, name, perimeter, inputs, logic_hash,
        /// created_at, updated_at}].
        #[arg(long)]
        json: bool,
    },
    /// Show one active mission. Exit code 2 when the id is unknown.
    Show {
        #[arg(value_name = "ACTIVE_ID")]
        id: String,
        /// Print one JSON document.
        #[arg(long)]
        json: bool,
    },
    /// Delete an active mission (its runs stay in the history). Exit code 2 when unknown.
    Delete {
        #[arg(value_name = "ACTIVE_ID")]
        id: String,
    },
}

fn fail(e: &ApiError) -> u8 {
    eprintln!("error: {e}");
    match e.code {
        ErrorCode::InvalidInput | ErrorCode::NotFound => code::USAGE,
        _ => code::FAILED,
    }
}

/// What `mission deploy` was asked to do.
#[derive(Debug, Clone)]
pub struct DeployArgs {
    pub template_id: String,
    pub perimeter: Option<PathBuf>,
    pub vars: Vec<String>,
    pub name: Option<String>,
    pub json: bool,
}

/// `mission deploy`: prints the active mission's id (with `--json`, the active mission).
pub fn deploy(data_dir: Option<&Path>, args: &DeployArgs) -> u8 {
    let inputs = match cmd_run::parse_vars(&args.vars) {
        Ok(v) => v,
        Err(message) => {
            eprintln!("error: {message}");
            return code::USAGE;
        }
    };
    let perimeter = match &args.perimeter {
        Some(path) => {
            let text = match std::fs::read_to_string(path) {
                Ok(t) => t,
                Err(e) => {
                    eprintln!("error: cannot read {}: {e}", path.display());
                    return code::USAGE;
                }
            };
            match studio_api::studio_core::parse_perimeter(&text) {
                Ok(p) => p,
                Err(e) => {
                    eprintln!("error: {}: {e}", path.display());
                    return code::USAGE;
                }
            }
        }
        None => studio_api::studio_core::Perimeter::default(),
    };
    let api = match cmd_run::open_api(data_dir) {
        Ok(api) => api,
        Err(c) => return c,
    };
    let deployed = match api.deploy(&args.template_id, &perimeter, &inputs, args.name.as_deref()) {
        Ok(d) => d,
        Err(e) => return fail(&e),
    };
    if args.json {
        let mut doc = serde_json::to_value(&deployed.active).unwrap_or_default();
        doc["created"] = json!(deployed.created);
        println!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
    } else {
        println!("{}", deployed.active.id);
        eprintln!(
            "{} active mission {} `{}` (template {}); run it with `mission run --active {}`",
            if deployed.created {
                "saved"
            } else {
                "already saved:"
            },
            deployed.active.id,
            deployed.active.name,
            deployed.active.template_id,
            deployed.active.id
        );
    }
    code::COMPLETED
}

/// `mission active list|show|delete`.
pub fn active(data_dir: Option<&Path>, command: &ActiveCommand) -> u8 {
    let api = match cmd_run::open_api(data_dir) {
        Ok(api) => api,
        Err(c) => return c,
    };
    match command {
        ActiveCommand::List { json } => match api.list_active() {
            Ok(list) if *json => {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&list).unwrap_or_default()
                );
                code::COMPLETED
            }
            Ok(list) => {
                if list.is_empty() {
                    eprintln!("no active missions; save one with `mission deploy TEMPLATE_ID --perimeter FILE`");
                }
                for a in &list {
                    let cost = a
                        .perimeter
                        .budget
                        .as_ref()
                        .and_then(|b| b.max_cost_usd)
                        .map_or("-".to_string(), |c| format!("{c} USD"));
                    println!(
                        "{}  {:<32}  {:<40}  max cost {}  inputs {}",
                        a.id,
                        a.name,
                        a.template_id,
                        cost,
                        a.inputs.len()
                    );
                }
                code::COMPLETED
            }
            Err(e) => fail(&e),
        },
        ActiveCommand::Show { id, json } => match api.get_active(id) {
            Ok(a) => {
                if *json {
                    println!("{}", serde_json::to_string_pretty(&a).unwrap_or_default());
                } else {
                    println!("active mission {} `{}`", a.id, a.name);
                    println!("template   {} ({})", a.template_id, a.logic_hash);
                    println!("created    {}", a.created_at);
                    println!(
                        "perimeter  {}",
                        serde_json::to_string(&a.perimeter).unwrap_or_default()
                    );
                    println!(
                        "inputs     {}",
                        serde_json::to_string(&a.inputs).unwrap_or_default()
                    );
                }
                code::COMPLETED
            }
            Err(e) => fail(&e),
        },
        ActiveCommand::Delete { id } => match api.delete_active(id) {
            Ok(()) => {
                eprintln!("deleted active mission {id}");
                code::COMPLETED
            }
            Err(e) => fail(&e),
        },
    }
}

/// What `mission run --active ID` was asked to do (the flags of `mission run`).
#[derive(Debug, Clone)]
pub struct RunActiveArgs {
    pub id: String,
    pub dry_run: bool,
    pub json: bool,
    pub events: Option<PathBuf>,
    pub vars: Vec<String>,
    pub data_dir: Option<PathBuf>,
    pub perimeter: PerimeterArgs,
}

/// `mission run --active ID`: runs the active mission's template with its perimeter (the
/// flags can only tighten it) and inputs (`--var` overrides them). Exit codes as `mission run`.
pub fn run(args: &RunActiveArgs) -> u8 {
    let context = match cmd_run::parse_vars(&args.vars) {
        Ok(c) => c,
        Err(message) => {
            eprintln!("error: {message}");
            return code::USAGE;
        }
    };
    let api = match cmd_run::open_api(args.data_dir.as_deref()) {
        Ok(api) => api,
        Err(c) => return c,
    };
    let plan: ActivePlan = match api.prepare_active(&args.id) {
        Ok(plan) => plan,
        Err(e) => return fail(&e),
    };
    if plan.template_changed {
        eprintln!(
            "note: template {} changed since active mission {} was saved; its current file runs",
            plan.active.template_id, plan.active.id
        );
    }
    if args.dry_run {
        let mut inputs = plan.active.inputs.clone();
        inputs.extend(context);
        let check = cmd_validate::CheckOptions::for_data_dir(
            args.data_dir.as_deref(),
            inputs.keys().cloned().collect(),
            false,
        );
        let loaded = match cmd_validate::load_and_validate(&plan.template_path, &check) {
            Ok(loaded) => loaded,
            Err(code) => return code,
        };
        let given = match args.perimeter.operator_perimeter() {
            Ok(p) => p,
            Err(message) => {
                eprintln!("error: {message}");
                return code::USAGE;
            }
        };
        let input = crate::cmd_forecast::ForecastInput {
            perimeter: &args.perimeter,
            data_dir: args.data_dir.as_deref(),
            mission_file: &plan.template_path,
            context: inputs,
            operator: Some(studio_api::active::active_operator(
                &plan.active.perimeter,
                &given,
            )),
            reused: Default::default(),
        };
        let forecast = match crate::cmd_forecast::make(&loaded.mission, input) {
            Ok(f) => f,
            Err(code) => return code,
        };
        return cmd_run::print_plan_and_forecast(&loaded, &forecast, args.json);
    }
    let options = match cmd_run::run_options(&args.perimeter, &plan.template_path, &api, context) {
        Ok(options) => options,
        Err(code) => return code,
    };
    let output = Output {
        json: args.json,
        events: args.events.clone(),
        nats: None,
    };
    cmd_run::launch(
        &api,
        &plan.mission,
        options,
        cmd_run::Source::Active(&plan),
        &output,
    )
}
