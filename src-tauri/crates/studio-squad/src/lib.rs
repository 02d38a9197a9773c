//! Squads over NATS JetStream: the foundation that lets departments run as worker pools on
//! other machines (DESIGN §13).
//!
//! This crate only knows the broker: the names on the wire ([`subjects`]), the JetStream
//! resources ([`setup`]), the envelopes of jobs and events ([`messages`]), the per-department
//! pull consumers and worker heartbeats ([`worker_pool`]) and the create-only "started" markers
//! that keep a non-idempotent job from running twice ([`started`]). Running steps stays in the
//! engine; nothing here widens what a mission may do.

pub use async_nats;

pub mod connection;
pub mod envelope_wire;
pub mod error;
pub mod messages;
pub mod roster;
pub mod run_events;
pub mod setup;
pub mod started;
pub mod subjects;
pub mod worker_pool;

pub use connection::connect;
pub use envelope_wire::{DispatchConsumer, DispatchDelivery, EnvelopeWire, EnvelopeWireConfig};
pub use error::SquadError;
pub use messages::{EventEnvelope, JobEnvelope, Published};
pub use run_events::RunEvents;
pub use setup::{Squad, SquadConfig};
pub use started::{is_started, mark_started};
pub use worker_pool::{
    heartbeat, last_heartbeat, Deliveries, Delivery, DeptConsumer, Heartbeat, RunningJob,
};

/// The result of every fallible call of this crate.
pub type Result<T, E = SquadError> = std::result::Result<T, E>;
