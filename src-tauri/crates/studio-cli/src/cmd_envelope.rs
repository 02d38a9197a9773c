//! The Mission Envelope v1 on the wire (DESIGN §13): `mission dispatch`, `mission cancel` and
//! `mission worker --envelope --vp VP_ID`. The work is `studio_api::envelope`'s; these adapt
//! flags, output and exit codes.
//!
//! `mission dispatch` exit codes: 0 published (with `--wait`: completed), 1 failed (or the
//! broker could not be reached), 2 usage (no such file), 3 invalid payload, 4 stopped for lack
//! of approval, 5 budget exceeded, 6 timed out, 130 cancelled — as `mission run`'s.

use crate::cmd_run::code;
use crate::cmd_worker::WorkerArgs;
use clap::Args;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use studio_api::envelope::{self, client, event, EnvelopeWorkerConfig, Log, WireEvent};
use studio_api::studio_engine::CancellationToken;

/// `mission dispatch` flags.
#[derive(Debug, Clone, Args)]
pub struct DispatchArgs {
    /// The Mission Envelope v1 dispatch payload (JSON).
    #[arg(value_name = "ENVELOPE")]
    pub envelope: PathBuf,
    /// The NATS server, e.g. `nats://127.0.0.1:4222`.
    #[arg(long, value_name = "URL")]
    pub nats: String,
    /// Follow the mission's lifecycle events until its final state.
    #[arg(long)]
    pub wait: bool,
}

/// `mission cancel` flags.
#[derive(Debug, Clone, Args)]
pub struct CancelArgs {
    /// The dispatched mission's id.
    #[arg(value_name = "MISSION_ID")]
    pub mission_id: String,
    /// The NATS server, e.g. `nats://127.0.0.1:4222`.
    #[arg(long, value_name = "URL")]
    pub nats: String,
}

/// Checks the payload, publishes it, prints its mission id; with `--wait`, prints each event
/// (`type status summary`) and exits by the final state.
pub fn dispatch(args: &DispatchArgs) -> u8 {
    let bytes = match std::fs::read(&args.envelope) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("error: cannot read {}: {e}", args.envelope.display());
            return code::USAGE;
        }
    };
    let origin = args.envelope.display().to_string();
    let dispatch = match envelope::parse(&bytes, &origin) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("error: {e}");
            return code::INVALID;
        }
    };
    for w in &dispatch.warnings {
        eprintln!("warning: {origin}: {w}");
    }
    let Some(runtime) = runtime() else {
        return code::FAILED;
    };
    runtime.block_on(async {
        let sent = match client::dispatch(&args.nats, &dispatch).await {
            Ok(s) => s,
            Err(e) => {
                eprintln!("error: {e}");
                return code::FAILED;
            }
        };
        println!("{}", sent.mission_id);
        if sent.duplicate {
            eprintln!(
                "note: already dispatched (idempotency_key {}): it is the same mission",
                sent.idempotency_key
            );
        } else {
            eprintln!(
                "dispatched mission {} to envelope.dispatch.{}",
                sent.mission_id, sent.vp_id
            );
        }
        if !args.wait {
            return code::COMPLETED;
        }
        follow(&args.nats, &sent.mission_id).await
    })
}

async fn follow(url: &str, mission_id: &str) -> u8 {
    let mut events = match client::follow(url, mission_id).await {
        Ok(f) => f,
        Err(e) => {
            eprintln!("error: {e}");
            return code::FAILED;
        }
    };
    loop {
        let event = tokio::select! {
            e = events.next() => e,
            _ = tokio::signal::ctrl_c() => {
                eprintln!("stopped following; the mission goes on (`mission cancel {mission_id}` stops it)");
                return code::CANCELLED;
            }
        };
        let Some(e) = event else {
            eprintln!("error: the event stream of {mission_id} ended before its final event");
            return code::FAILED;
        };
        println!("{} {} {}", e.event_type, e.status, e.summary);
        if e.is_final() {
            return exit_code(&e);
        }
    }
}

/// The exit code of a final event, as `mission run`'s of a final status.
fn exit_code(e: &WireEvent) -> u8 {
    let reason = e.reason.as_deref().unwrap_or("");
    match e.event_type.as_str() {
        event::COMPLETED => code::COMPLETED,
        event::TIMED_OUT => code::TIMED_OUT,
        event::CANCELLED => code::CANCELLED,
        _ if reason.contains("approval_denied") || reason.contains("approval_unavailable") => {
            code::APPROVAL
        }
        _ if reason.contains("budget_exceeded") => code::BUDGET_EXCEEDED,
        _ => code::FAILED,
    }
}

/// Publishes a cancel request for the mission.
pub fn cancel(args: &CancelArgs) -> u8 {
    if let Err(e) = client::check_mission_id(&args.mission_id) {
        eprintln!("error: {e}");
        return code::USAGE;
    }
    let Some(runtime) = runtime() else {
        return code::FAILED;
    };
    match runtime.block_on(client::cancel(&args.nats, &args.mission_id)) {
        Ok(()) => {
            eprintln!(
                "cancel requested for mission {}; its worker ends it with mission.cancelled",
                args.mission_id
            );
            code::COMPLETED
        }
        Err(e) => {
            eprintln!("error: {e}");
            code::FAILED
        }
    }
}

/// Runs an envelope worker until Ctrl-C (it then lets its running missions finish).
pub fn envelope_worker(args: &WorkerArgs, data_dir: Option<&Path>) -> u8 {
    let Some(vp) = args.vp.as_deref() else {
        eprintln!("error: --envelope needs --vp VP_ID");
        return code::USAGE;
    };
    if !(args.ack_wait.is_finite() && args.ack_wait > 0.0) {
        eprintln!("error: --ack-wait must be a positive number of seconds");
        return code::USAGE;
    }
    let api = match crate::cmd_run::open_api(data_dir) {
        Ok(api) => api,
        Err(code) => return code,
    };
    let worker_id = args.id.clone().unwrap_or_else(default_worker_id);
    let mut config = EnvelopeWorkerConfig::new(&args.nats, vp, &worker_id);
    config.concurrency = args.concurrency.max(1) as usize;
    config.ack_wait = Duration::from_secs_f64(args.ack_wait);
    let Some(runtime) = runtime() else {
        return code::FAILED;
    };
    let log: Log = Arc::new(|line: &str| eprintln!("{line}"));
    let shutdown = CancellationToken::new();
    let outcome = runtime.block_on(async {
        let stop = shutdown.clone();
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                eprintln!("\nstopping: no new dispatches; finishing the running missions…");
                stop.cancel();
            }
        });
        api.envelope_worker(&config, shutdown, log).await
    });
    match outcome {
        Ok(()) => code::COMPLETED,
        Err(e) => {
            eprintln!("error: {e}");
            match e.code {
                studio_api::ErrorCode::InvalidInput => code::USAGE,
                _ => code::FAILED,
            }
        }
    }
}

/// `<host>-<pid>`, letters, digits, `-` and `_` only.
fn default_worker_id() -> String {
    let host = std::fs::read_to_string("/etc/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .or_else(|| std::env::var("COMPUTERNAME").ok())
        .unwrap_or_else(|| "worker".into());
    let host: String = host
        .trim()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("{}-{}", host, std::process::id())
}

fn runtime() -> Option<tokio::runtime::Runtime> {
    match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => Some(rt),
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            None
        }
    }
}
