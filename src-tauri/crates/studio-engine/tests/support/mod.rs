//! What the integration tests share.

pub mod services;
pub mod sshd;
