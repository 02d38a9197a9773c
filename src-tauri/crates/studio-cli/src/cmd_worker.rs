//! `mission worker`: a squad worker over NATS JetStream (DESIGN §13).
//!
//! - `--dept DEPT`: pulls the department's step jobs (`studio.jobs.<dept>`), runs each with the
//!   same step code and local sandbox as a local run, sends its events back, heartbeats, and on
//!   Ctrl-C stops taking jobs and finishes the ones it holds.
//! - `--envelope --vp VP_ID`: accepts Mission Envelope v1 dispatches addressed to the VP and
//!   runs each as a whole mission (see [`crate::cmd_envelope`]).

use clap::Args;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use studio_api::squad::worker::WorkerLog;
use studio_api::squad::{run_worker, WorkerOptions};
use studio_api::studio_engine::remote::WorkerSetup;
use studio_api::studio_engine::CancellationToken;
use studio_api::StudioApi;

/// `mission worker` flags.
#[derive(Debug, Clone, Args)]
pub struct WorkerArgs {
    /// The NATS server, e.g. `nats://127.0.0.1:4222`.
    #[arg(long, value_name = "URL")]
    pub nats: String,
    /// The department whose step jobs this worker runs.
    #[arg(
        long,
        value_name = "DEPT",
        required_unless_present = "envelope",
        conflicts_with = "envelope"
    )]
    pub dept: Option<String>,
    /// How many jobs it runs at once.
    #[arg(long, value_name = "N", default_value_t = 4)]
    pub concurrency: u32,
    /// Its name in heartbeats and events (default: host name and process id).
    #[arg(long, value_name = "NAME")]
    pub id: Option<String>,
    /// Accept Mission Envelope v1 dispatches (with `--vp`) instead of step jobs.
    #[arg(long, requires = "vp")]
    pub envelope: bool,
    /// The VP whose envelopes it accepts (`envelope.dispatch.<vp_id>`).
    #[arg(long, value_name = "VP_ID")]
    pub vp: Option<String>,
    /// How long the broker waits for a job's ack before handing it to another worker.
    #[arg(long, value_name = "SECONDS", default_value_t = 30.0)]
    pub ack_wait: f64,
}

/// Runs the worker until Ctrl-C; returns the exit code.
pub fn worker(args: &WorkerArgs, data_dir: Option<&Path>) -> u8 {
    if args.envelope {
        return crate::cmd_envelope::envelope_worker(args, data_dir);
    }
    let Some(dept) = args.dept.clone() else {
        eprintln!("error: give the department to work for: --dept DEPT (or --envelope --vp VP_ID)");
        return crate::exit::USAGE;
    };
    if !(args.ack_wait.is_finite() && args.ack_wait >= 0.1) {
        eprintln!("error: --ack-wait must be at least 0.1 seconds");
        return crate::exit::USAGE;
    }
    let paths = match studio_api::paths::AppPaths::resolve(data_dir) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: {e}");
            return crate::exit::USAGE;
        }
    };
    let api = match StudioApi::open(paths) {
        Ok(api) => api,
        Err(e) => {
            eprintln!("error: {e}");
            return 1;
        }
    };
    let providers = match api.provider_table() {
        Ok(table) => Arc::new(table),
        Err(e) => {
            eprintln!("error: {e}");
            return 1;
        }
    };
    let data = api.paths().data_dir().to_path_buf();
    let worker_id = args.id.clone().unwrap_or_else(default_worker_id);
    let options = WorkerOptions {
        nats_url: args.nats.clone(),
        dept: dept.clone(),
        worker_id: worker_id.clone(),
        concurrency: args.concurrency.max(1) as usize,
        ack_wait: Duration::from_secs_f64(args.ack_wait),
        shared_roots: vec![api.paths().runs_dir()],
        own_workspaces: data.join("squad"),
        setup: WorkerSetup {
            providers,
            knowledge_store: Some(api.paths().knowledge_store_path()),
        },
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return 1;
        }
    };
    let stop = CancellationToken::new();
    let result = runtime.block_on(async {
        let on_signal = stop.clone();
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                eprintln!("stopping: taking no new job, finishing the ones held…");
                on_signal.cancel();
            }
        });
        run_worker(options, stop, move |log| print_log(&worker_id, &dept, log)).await
    });
    match result {
        Ok(report) => {
            eprintln!(
                "worker stopped: {} job(s) run, {} not run again (not idempotent)",
                report.jobs_run, report.jobs_interrupted
            );
            0
        }
        Err(e) => {
            eprintln!("error: {e}");
            1
        }
    }
}

fn print_log(worker_id: &str, dept: &str, log: WorkerLog) {
    match log {
        WorkerLog::Ready => {
            eprintln!("worker {worker_id} ready: department {dept}");
        }
        WorkerLog::Took {
            run_id,
            step_id,
            attempt,
        } => {
            eprintln!("took {run_id} {step_id} (attempt {attempt})");
        }
        WorkerLog::Finished {
            run_id,
            step_id,
            ok,
        } => {
            let how = if ok { "succeeded" } else { "failed" };
            eprintln!("{how} {run_id} {step_id}");
        }
        WorkerLog::Refused {
            run_id,
            step_id,
            why,
        } => {
            eprintln!("not run {run_id} {step_id}: {why}");
        }
        WorkerLog::Trouble(message) => eprintln!("warning: {message}"),
    }
}

/// `<host>-<pid>`, as a NATS subject token.
fn default_worker_id() -> String {
    let host = std::fs::read_to_string("/etc/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_default();
    let host: String = host
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let host = if host.is_empty() {
        "worker".to_string()
    } else {
        host
    };
    format!("{host}-{}", std::process::id())
}
