//! PostgreSQL for the database steps (tokio-postgres): connecting with a clear message when the
//! server cannot be reached, cancelling the running statement when the step is stopped, and
//! wording server errors with their SQLSTATE, detail, hint and position (line and column).

use super::target::{excerpt, locate, mask_text, mask_url};
use crate::steps::{Failure, StepCtx};
use serde_json::json;
use std::future::Future;
use std::time::Duration;
use tokio_postgres::error::ErrorPosition;
use tokio_postgres::{CancelToken, Client, Config, NoTls};

/// How long connecting may take when the URL sets no `connect_timeout`.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// An open connection; its background task ends when this is dropped.
pub(crate) struct Pg {
    pub client: Client,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Pg {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Connects to `url`, as the step's cancellation allows.
pub(crate) async fn connect(url: &str, ctx: &StepCtx) -> Result<Pg, Failure> {
    let mut config: Config = url.parse().map_err(|e: tokio_postgres::Error| {
        Failure::new(format!(
            "`{}` is not a valid PostgreSQL URL: {}; write `postgres://user:password@host:5432/database`",
            mask_url(url),
            mask_text(&e.to_string(), url)
        ))
    })?;
    if config.get_ssl_mode() == tokio_postgres::config::SslMode::Require {
        return Err(Failure::new(format!(
            "`{}` asks for TLS (`sslmode=require`): sql_query and db_migrate connect without TLS for now; use `sslmode=disable` on a trusted network or through an SSH tunnel (db_backup's pg_dump speaks TLS)",
            mask_url(url)
        )));
    }
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(CONNECT_TIMEOUT);
    }
    let connecting = config.connect(NoTls);
    let (client, connection) = tokio::select! {
        c = connecting => c.map_err(|e| connect_failure(&e, url, &config))?,
        _ = ctx.cancel.cancelled() => return Err(Failure::interrupted()),
    };
    let task = tokio::spawn(async move {
        let _ = connection.await;
    });
    Ok(Pg { client, task })
}

fn connect_failure(e: &tokio_postgres::Error, url: &str, config: &Config) -> Failure {
    let hosts: Vec<String> = config
        .get_hosts()
        .iter()
        .map(|h| match h {
            tokio_postgres::config::Host::Tcp(name) => name.clone(),
            #[cfg(unix)]
            tokio_postgres::config::Host::Unix(path) => path.display().to_string(),
        })
        .collect();
    let port = config.get_ports().first().copied().unwrap_or(5432);
    let at = format!(
        "{}:{port}",
        hosts.first().map_or("localhost", String::as_str)
    );
    let text = match e.as_db_error() {
        Some(db) => format!("{} (SQLSTATE {})", db.message(), db.code().code()),
        None => describe_io(e),
    };
    Failure::new(format!(
        "cannot connect to PostgreSQL at {at} ({}): {}; check that the server runs there and accepts the user",
        mask_url(url),
        mask_text(&text, url)
    ))
    .with_output(json!({"connection": mask_url(url)}))
}

/// A client error's text with its cause (tokio-postgres keeps the I/O error as the source).
fn describe_io(e: &tokio_postgres::Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        let s_text = s.to_string();
        if !text.contains(&s_text) {
            text = format!("{text}: {s_text}");
        }
        source = s.source();
    }
    text
}

/// Runs `work`; when the step is cancelled, asks the server to cancel the running statement.
pub(crate) async fn cancellable<T>(
    token: CancelToken,
    ctx: &StepCtx,
    work: impl Future<Output = Result<T, Failure>>,
) -> Result<T, Failure> {
    tokio::select! {
        r = work => r,
        _ = ctx.cancel.cancelled() => {
            let _ = tokio::time::timeout(Duration::from_secs(5), token.cancel_query(NoTls)).await;
            Err(Failure::interrupted())
        }
    }
}

/// A statement's error, worded. `sql` is the text sent (for the position), `origin` names it
/// ("the query", "`migrations/002_x.sql`"), `url` is masked wherever it appears.
pub(crate) fn failure(e: &tokio_postgres::Error, sql: &str, origin: &str, url: &str) -> Failure {
    let Some(db) = e.as_db_error() else {
        return Failure::new(format!(
            "PostgreSQL: {} ({origin})",
            mask_text(&describe_io(e), url)
        ));
    };
    let mut message = format!(
        "PostgreSQL: {} (SQLSTATE {})",
        db.message(),
        db.code().code()
    );
    let mut output = json!({"code": db.code().code(), "message": db.message()});
    if let Some(detail) = db.detail() {
        message.push_str(&format!("; detail: {detail}"));
    }
    if let Some(hint) = db.hint() {
        message.push_str(&format!("; hint: {hint}"));
    }
    if db.code().code() == "42601" && db.message().contains("multiple commands") {
        message.push_str(
            "; set `multiple_statements: true` to run a script (no `parameters`, no rows returned)",
        );
    }
    match db.position() {
        Some(ErrorPosition::Original(position)) => {
            let index = usize::try_from(*position).unwrap_or(1).saturating_sub(1);
            let (line, column, text) = locate(sql, index);
            message.push_str(&format!(
                " in {origin} at line {line}, column {column}:\n{}",
                excerpt(text, column)
            ));
            output["line"] = json!(line);
            output["column"] = json!(column);
        }
        _ => message.push_str(&format!(" ({origin})")),
    }
    Failure::new(mask_text(&message, url)).with_output(output)
}
