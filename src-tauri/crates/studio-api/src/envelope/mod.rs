//! The Mission Envelope v1 on the wire (DESIGN §13): dispatching a payload to a VP's workers
//! over NATS JetStream, running it there like a local run, and reporting its lifecycle.
//!
//! - [`parse`]: the checks of a payload (both sides), with the field at fault;
//! - [`client`]: `mission dispatch` (publish, follow the events) and `mission cancel`;
//! - [`StudioApi::envelope_worker`](crate::StudioApi::envelope_worker): `mission worker
//!   --envelope --vp VP_ID`;
//! - [`WireEvent`]: the lifecycle event, the seed's minimum payload and a few more fields;
//! - [`CallbackPolicy`]: the retry bounds of the callback POSTs;
//! - [`session`]: `(vp_id, vp_session_id)` continuity.
//!
//! The subjects and streams are `studio_squad::envelope_wire`'s.

mod callback;
pub mod client;
mod emit;
pub mod event;
mod payload;
mod run;
pub mod session;
mod worker;

use std::sync::Arc;

pub use callback::{quiet_log, CallbackPolicy};
pub use event::{WireEvent, WireUsage};
pub use payload::{parse, CallbackTarget, Dispatch, Identity, PayloadError, Window};
pub use worker::{connect_wire, EnvelopeWorkerConfig};

/// Where a worker's notes and warnings go (the CLI: stderr). Never given a secret.
pub type Log = Arc<dyn Fn(&str) + Send + Sync>;
