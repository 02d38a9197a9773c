//! The app's view of a squad (DESIGN §13): "Check connection" for the NATS URL of the settings,
//! and who is there, read from the workers' heartbeats. Both only read the broker and both are
//! bounded in time, so a wrong URL or a stopped server is an answer within seconds, not a hang.

use crate::{ApiError, ErrorCode, StudioApi};
use serde::Serialize;
use std::error::Error as _;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use studio_squad::async_nats;
use studio_squad::{roster, Heartbeat, RunningJob};
use ts_rs::TS;

/// How long connecting may take.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

/// How long a whole check or status read may take, connection included.
pub const STATUS_TIMEOUT: Duration = Duration::from_secs(4);

/// A worker is live while its last heartbeat is younger than this (workers beat every second).
pub const LIVE_WITHIN_S: u64 = 5;

/// The outcome of "Check connection". An unreachable server is an answer (`ok: false`), not an
/// error.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "NatsCheck.ts")]
pub struct NatsCheck {
    pub url: String,
    /// Connected, and JetStream is on: squads can run there.
    pub ok: bool,
    /// The server's version and name, once connected.
    pub server_version: Option<String>,
    pub server_name: Option<String>,
    pub jetstream: bool,
    pub latency_ms: u64,
    /// One sentence: what was found, or why it failed and what to do.
    pub message: String,
}

/// A job a worker holds, as its heartbeat lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "WorkerJobDto.ts")]
pub struct WorkerJobDto {
    pub mission_id: String,
    pub run_id: String,
    pub step_id: String,
    pub attempt: u32,
}

/// One worker, from its last heartbeat.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "WorkerStatusDto.ts")]
pub struct WorkerStatusDto {
    pub worker_id: String,
    pub dept: String,
    /// When it last beat (ISO 8601, UTC).
    pub last_heartbeat_at: String,
    pub seconds_since: u64,
    /// Its last heartbeat is younger than `liveWithinS`; a silent worker stays listed, not
    /// live, until its heartbeat expires from the broker.
    pub live: bool,
    /// Jobs it runs now.
    pub running: u32,
    pub jobs: Vec<WorkerJobDto>,
}

/// The workers of one department.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "DeptWorkersDto.ts")]
pub struct DeptWorkersDto {
    pub dept: String,
    pub live: u32,
    pub workers: Vec<WorkerStatusDto>,
}

/// Who is there: the Workers page, read about every second.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export_to = "SquadStatus.ts")]
pub struct SquadStatus {
    /// The NATS URL read; `None`: none is set (runs use the local engine).
    pub url: Option<String>,
    /// The broker answered; when not, `error` says why.
    pub reachable: bool,
    pub error: Option<String>,
    /// When it was read (ISO 8601, UTC).
    pub checked_at: String,
    pub live_within_s: u32,
    /// Departments by name, each with its workers by id.
    pub departments: Vec<DeptWorkersDto>,
}

/// Checks that `url` is a NATS URL the client accepts (`nats://` or `tls://`, then a host and
/// an optional port) and returns it trimmed.
pub fn validate_nats_url(url: &str) -> Result<String, ApiError> {
    let url = url.trim();
    let invalid = |why: String| {
        ApiError::new(
            ErrorCode::InvalidInput,
            format!("`{url}` is not a NATS URL: {why}; write it like nats://127.0.0.1:4222"),
        )
    };
    if !(url.starts_with("nats://") || url.starts_with("tls://")) {
        return Err(invalid("it must start with nats:// or tls://".into()));
    }
    let addr: async_nats::ServerAddr = url
        .parse()
        .map_err(|e: std::io::Error| invalid(e.to_string()))?;
    if addr.host().is_empty() {
        return Err(invalid("it names no host".into()));
    }
    Ok(url.to_string())
}

/// Connects within [`CONNECT_TIMEOUT`], without retrying; the error is a sentence naming the
/// URL, the cause and what to do. A lost connection is retried a few times, then given up (the
/// Workers page connects again on its next read).
async fn connect(url: &str) -> Result<async_nats::Client, String> {
    let url = validate_nats_url(url).map_err(|e| e.message)?;
    async_nats::ConnectOptions::new()
        .connection_timeout(CONNECT_TIMEOUT)
        .max_reconnects(3)
        .name("mission-studio")
        .connect(url.as_str())
        .await
        .map_err(|e| unreachable(&url, &e))
}

/// The connection the Workers page reads through, kept between its reads (one a second) so that
/// each read is a request, not a new connection.
static STATUS_CLIENT: tokio::sync::Mutex<Option<(String, async_nats::Client)>> =
    tokio::sync::Mutex::const_new(None);

/// The kept connection to `url` while it is up, else a new one (kept in its place).
async fn status_client(url: &str) -> Result<async_nats::Client, String> {
    let mut slot = STATUS_CLIENT.lock().await;
    if let Some((kept, client)) = slot.as_ref() {
        if kept == url && client.connection_state() == async_nats::connection::State::Connected {
            return Ok(client.clone());
        }
    }
    // A connection to another URL, or one that is down, is dropped (and stops reconnecting).
    *slot = None;
    let client = connect(url).await?;
    *slot = Some((url.to_string(), client.clone()));
    Ok(client)
}

/// Forgets the kept connection after a failed read, so the next read starts afresh.
async fn forget_status_client(url: &str) {
    let mut slot = STATUS_CLIENT.lock().await;
    if slot.as_ref().is_some_and(|(kept, _)| kept == url) {
        *slot = None;
    }
}

fn unreachable(url: &str, e: &async_nats::ConnectError) -> String {
    use async_nats::ConnectErrorKind as K;
    let io = e
        .source()
        .and_then(|s| s.downcast_ref::<std::io::Error>())
        .map(|io| io.kind());
    let cause = match (e.kind(), io) {
        (_, Some(std::io::ErrorKind::ConnectionRefused)) => "connection refused".to_string(),
        (K::TimedOut, _) | (_, Some(std::io::ErrorKind::TimedOut)) => format!(
            "no answer within {} s",
            CONNECT_TIMEOUT.as_secs()
        ),
        (K::Dns, _) => "the host name is unknown".to_string(),
        (K::Authentication | K::AuthorizationViolation, _) => {
            return format!(
                "NATS at {url} refused the connection: {e}; give the URL with the credentials it expects"
            )
        }
        _ => e.to_string(),
    };
    format!("cannot reach NATS at {url}: {cause}; start nats-server -js or fix the URL")
}

fn now_unix_s() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn iso(unix_s: u64) -> String {
    chrono::DateTime::from_timestamp(unix_s as i64, 0)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// "Check connection": connects to `url`, reads the server's version and whether JetStream is
/// on, within [`STATUS_TIMEOUT`].
pub async fn check_nats(url: &str) -> NatsCheck {
    let started = Instant::now();
    let url = url.trim().to_string();
    let answer = tokio::time::timeout(STATUS_TIMEOUT, connect(&url)).await;
    let latency_ms = started.elapsed().as_millis() as u64;
    let failed = |message: String| NatsCheck {
        url: url.clone(),
        ok: false,
        server_version: None,
        server_name: None,
        jetstream: false,
        latency_ms,
        message,
    };
    let client = match answer {
        Err(_) => {
            return failed(format!(
                "cannot reach NATS at {url}: no answer within {} s; start nats-server -js or fix the URL",
                STATUS_TIMEOUT.as_secs()
            ))
        }
        Ok(Err(message)) => return failed(message),
        Ok(Ok(client)) => client,
    };
    let info = client.server_info();
    let message = if info.jetstream {
        format!(
            "connected to NATS {} at {url} in {latency_ms} ms; JetStream is on",
            info.version
        )
    } else {
        format!(
            "connected to NATS {} at {url}, but JetStream is off: start the server with -js",
            info.version
        )
    };
    NatsCheck {
        url: url.clone(),
        ok: info.jetstream,
        server_version: Some(info.version.clone()),
        // A server without a name reports its id there: not worth showing.
        server_name: Some(info.server_name.clone())
            .filter(|n| !n.is_empty() && *n != info.server_id),
        jetstream: info.jetstream,
        latency_ms,
        message,
    }
}

/// Who is there at `url`: every worker whose heartbeat has not expired, by department, within
/// [`STATUS_TIMEOUT`]. An unreachable broker is an answer (`reachable: false` and why).
pub async fn squad_status(url: &str) -> SquadStatus {
    let url = url.trim().to_string();
    let read = async {
        let client = status_client(&url).await?;
        let js = async_nats::jetstream::new(client);
        roster::heartbeats(&js).await.map_err(|e| e.to_string())
    };
    let answer = match tokio::time::timeout(STATUS_TIMEOUT, read).await {
        Ok(answer) => answer,
        Err(_) => Err(format!(
            "NATS at {url} did not answer within {} s; is it a JetStream server (nats-server -js)?",
            STATUS_TIMEOUT.as_secs()
        )),
    };
    if answer.is_err() {
        forget_status_client(&url).await;
    }
    let now = now_unix_s();
    let mut status = SquadStatus {
        url: Some(url),
        reachable: answer.is_ok(),
        error: None,
        checked_at: iso(now),
        live_within_s: LIVE_WITHIN_S as u32,
        departments: Vec::new(),
    };
    match answer {
        Ok(beats) => status.departments = departments(beats, now),
        Err(e) => status.error = Some(e),
    }
    status
}

/// Groups heartbeats (sorted by department then worker) into departments, judged at `now`.
pub fn departments(beats: Vec<Heartbeat>, now_unix_s: u64) -> Vec<DeptWorkersDto> {
    let mut out: Vec<DeptWorkersDto> = Vec::new();
    for beat in beats {
        let seconds_since = now_unix_s.saturating_sub(beat.at_unix_s);
        let worker = WorkerStatusDto {
            worker_id: beat.worker_id,
            dept: beat.dept.clone(),
            last_heartbeat_at: iso(beat.at_unix_s),
            seconds_since,
            live: seconds_since < LIVE_WITHIN_S,
            running: beat.running,
            jobs: beat.jobs.into_iter().map(job).collect(),
        };
        match out.last_mut() {
            Some(d) if d.dept == beat.dept => d.workers.push(worker),
            _ => out.push(DeptWorkersDto {
                dept: beat.dept,
                live: 0,
                workers: vec![worker],
            }),
        }
    }
    for d in &mut out {
        d.live = d.workers.iter().filter(|w| w.live).count() as u32;
    }
    out
}

fn job(j: RunningJob) -> WorkerJobDto {
    WorkerJobDto {
        mission_id: j.mission_id,
        run_id: j.run_id,
        step_id: j.step_id,
        attempt: j.attempt,
    }
}

impl StudioApi {
    /// The NATS URL of the settings: `None` when runs use the local engine.
    pub fn nats_url(&self) -> Result<Option<String>, ApiError> {
        Ok(self.settings()?.nats_url)
    }

    /// "Check connection" for `url`, or for the URL of the settings when `None`.
    pub async fn check_nats(&self, url: Option<&str>) -> Result<NatsCheck, ApiError> {
        let url = match url.map(str::trim).filter(|u| !u.is_empty()) {
            Some(u) => u.to_string(),
            None => self.nats_url()?.ok_or_else(|| {
                ApiError::new(
                    ErrorCode::InvalidInput,
                    "no NATS URL to check: type one (like nats://127.0.0.1:4222)",
                )
            })?,
        };
        validate_nats_url(&url)?;
        Ok(check_nats(&url).await)
    }

    /// The workers at the NATS URL of the settings; none set: `url: None` and no departments.
    pub async fn squad_status(&self) -> Result<SquadStatus, ApiError> {
        match self.nats_url()? {
            Some(url) => Ok(squad_status(&url).await),
            None => Ok(SquadStatus {
                url: None,
                reachable: false,
                error: None,
                checked_at: iso(now_unix_s()),
                live_within_s: LIVE_WITHIN_S as u32,
                departments: Vec::new(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nats_urls_are_validated() {
        assert_eq!(
            validate_nats_url(" nats://127.0.0.1:4222 ").unwrap(),
            "nats://127.0.0.1:4222"
        );
        assert!(validate_nats_url("tls://nats.example.org").is_ok());
        for bad in [
            "127.0.0.1:4222",
            "http://host:4222",
            "nats://host:notaport",
            "nats://",
        ] {
            let err = validate_nats_url(bad).unwrap_err();
            assert_eq!(err.code, ErrorCode::InvalidInput, "{bad}");
            assert!(err.message.contains("is not a NATS URL"), "{}", err.message);
        }
    }

    #[test]
    fn heartbeats_group_by_department_and_age_out() {
        let beat = |id: &str, dept: &str, at| Heartbeat {
            worker_id: id.into(),
            dept: dept.into(),
            running: 0,
            at_unix_s: at,
            jobs: vec![],
        };
        let depts = departments(
            vec![
                beat("w-1", "ops", 1000),
                beat("w-2", "ops", 990),
                beat("r-1", "research", 999),
            ],
            1001,
        );
        assert_eq!(depts.len(), 2);
        assert_eq!((depts[0].dept.as_str(), depts[0].live), ("ops", 1));
        assert!(depts[0].workers[0].live && !depts[0].workers[1].live);
        assert_eq!(depts[0].workers[1].seconds_since, 11);
        assert_eq!(
            depts[0].workers[0].last_heartbeat_at,
            "1970-01-01T00:16:40Z"
        );
        assert_eq!((depts[1].dept.as_str(), depts[1].live), ("research", 1));
    }
}
