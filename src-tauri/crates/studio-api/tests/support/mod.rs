//! What the envelope wire tests share.

pub mod harness;
pub mod nats;
