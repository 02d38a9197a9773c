//! What the CLI tests share.

pub mod children;
pub mod history;
pub mod nats;
pub mod tmpfs;
