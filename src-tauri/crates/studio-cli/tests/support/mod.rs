//! What the envelope CLI tests share.

pub mod nats;
