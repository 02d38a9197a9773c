//! `mission worker`: a squad worker over NATS JetStream (DESIGN §13).
//!
//! - `--dept DEPT`: pulls the department's step jobs (`studio.jobs.<dept>`), runs each with the
//!   same step code and local sandbox as a local run, sends its events back, heartbeats, and on
//!   Ctrl-C stops taking jobs and finishes the ones it holds.
//! - `--envelope --vp VP_ID`: accepts Mission Envelope v1 dispatches addressed to the VP and
//!   runs each as a whole mission (see [`crate::cmd_envelope`]).

use clap::Args;
use std::path::Path;

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
    eprintln!("error: department workers are not built yet");
    crate::exit::USAGE
}
