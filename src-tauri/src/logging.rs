//! Logs go through `tracing` to a daily rolling file in the app's log folder, and to stderr.

use std::path::Path;
use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::{fmt, prelude::*, EnvFilter};

/// Installs the subscriber. Keep the guard alive for the life of the app so the last lines are
/// flushed.
pub fn init(log_dir: &Path) -> Option<WorkerGuard> {
    let appender = tracing_appender::rolling::Builder::new()
        .rotation(tracing_appender::rolling::Rotation::DAILY)
        .filename_prefix("mission-studio")
        .filename_suffix("log")
        .max_log_files(14)
        .build(log_dir);
    let filter =
        EnvFilter::try_from_env("MISSION_STUDIO_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    match appender {
        Ok(appender) => {
            let (writer, guard) = tracing_appender::non_blocking(appender);
            let _ = tracing_subscriber::registry()
                .with(filter)
                .with(fmt::layer().with_writer(writer).with_ansi(false))
                .with(fmt::layer().with_writer(std::io::stderr))
                .try_init();
            Some(guard)
        }
        Err(err) => {
            let _ = tracing_subscriber::registry()
                .with(filter)
                .with(fmt::layer().with_writer(std::io::stderr))
                .try_init();
            tracing::warn!(%err, dir = %log_dir.display(), "cannot write log files; logging to stderr only");
            None
        }
    }
}
