//! The Mission Envelope v1 on the wire (DESIGN §13): `mission dispatch`, `mission cancel` and
//! `mission worker --envelope --vp VP_ID`.

use crate::cmd_worker::WorkerArgs;
use clap::Args;
use std::path::{Path, PathBuf};

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

pub fn dispatch(_args: &DispatchArgs) -> u8 {
    eprintln!("error: envelope dispatch is not built yet");
    crate::exit::USAGE
}

pub fn cancel(_args: &CancelArgs) -> u8 {
    eprintln!("error: envelope cancel is not built yet");
    crate::exit::USAGE
}

pub fn envelope_worker(_args: &WorkerArgs, _data_dir: Option<&Path>) -> u8 {
    eprintln!("error: envelope workers are not built yet");
    crate::exit::USAGE
}
