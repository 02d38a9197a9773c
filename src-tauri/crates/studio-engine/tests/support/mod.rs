//! What the integration tests share.

pub mod ftpd;
pub mod services;
pub mod sshd;
