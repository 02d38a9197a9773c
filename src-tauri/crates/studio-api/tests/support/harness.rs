//! An envelope worker for one test: a private NATS server, a data folder, the worker running in
//! the test's runtime, its log kept for assertions; and HTTP servers on 127.0.0.1 (a callback
//! receiver, a model endpoint that never answers in time).

#![allow(dead_code)]

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;
use studio_api::envelope::{client, CallbackPolicy, EnvelopeWorkerConfig, Log, WireEvent};
use studio_api::{AppPaths, StudioApi};
use studio_engine::CancellationToken;

use super::nats::NatsServer;

/// A worker of one VP, stopped on drop.
pub struct Harness {
    pub dir: tempfile::TempDir,
    pub server: NatsServer,
    pub api: StudioApi,
    pub vp: String,
    pub logs: Arc<Mutex<Vec<String>>>,
    shutdown: CancellationToken,
    worker: Option<tokio::task::JoinHandle<()>>,
}

/// Fast callback retries for tests.
pub fn fast_policy() -> CallbackPolicy {
    CallbackPolicy {
        tries: 5,
        first_backoff: Duration::from_millis(50),
        max_backoff: Duration::from_millis(200),
        request_timeout: Duration::from_millis(700),
    }
}

impl Harness {
    /// Starts the server and the data folder; the worker starts with [`Harness::start_worker`].
    pub fn new(vp: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let nats_dir = dir.path().join("nats");
        std::fs::create_dir_all(&nats_dir).unwrap();
        let server = NatsServer::start(&nats_dir);
        let api = StudioApi::open(AppPaths::at(dir.path().join("data"))).unwrap();
        Self {
            dir,
            server,
            api,
            vp: vp.to_string(),
            logs: Arc::default(),
            shutdown: CancellationToken::new(),
            worker: None,
        }
    }

    pub fn start_worker(&mut self) {
        let mut config = EnvelopeWorkerConfig::new(&self.server.url, &self.vp, "test-worker");
        config.callback = fast_policy();
        config.fetch_wait = Duration::from_millis(300);
        let logs = Arc::clone(&self.logs);
        let log: Log = Arc::new(move |line: &str| logs.lock().unwrap().push(line.to_string()));
        let api = self.api.clone();
        let shutdown = self.shutdown.clone();
        self.worker = Some(tokio::spawn(async move {
            api.envelope_worker(&config, shutdown, log)
                .await
                .expect("the worker runs");
        }));
    }

    /// Checks and publishes a payload; returns the mission id.
    pub async fn dispatch(&self, payload: &Value) -> client::Dispatched {
        let bytes = serde_json::to_vec(payload).unwrap();
        let dispatch = studio_api::envelope::parse(&bytes, "test").expect("a valid payload");
        client::dispatch(&self.server.url, &dispatch)
            .await
            .expect("published")
    }

    /// The mission's events up to its final one (or until `limit`).
    pub async fn events_until_final(&self, mission_id: &str, limit: Duration) -> Vec<WireEvent> {
        let mut stream = client::follow(&self.server.url, mission_id).await.unwrap();
        let mut out = Vec::new();
        let deadline = Instant::now() + limit;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match tokio::time::timeout(left, stream.next()).await {
                Ok(Some(e)) => {
                    let last = e.is_final();
                    out.push(e);
                    if last {
                        return out;
                    }
                }
                _ => panic!(
                    "no final event for {mission_id} within {limit:?}; got: {:#?}\nworker log: {:#?}",
                    out.iter().map(|e| (&e.event_type, &e.summary)).collect::<Vec<_>>(),
                    self.logs.lock().unwrap()
                ),
            }
        }
    }

    /// Events of the mission until `pred` holds for one of them.
    pub async fn events_until(
        &self,
        mission_id: &str,
        limit: Duration,
        pred: impl Fn(&WireEvent) -> bool,
    ) -> Vec<WireEvent> {
        let mut stream = client::follow(&self.server.url, mission_id).await.unwrap();
        let mut out = Vec::new();
        let deadline = Instant::now() + limit;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match tokio::time::timeout(left, stream.next()).await {
                Ok(Some(e)) => {
                    let done = pred(&e);
                    out.push(e);
                    if done {
                        return out;
                    }
                }
                _ => {
                    panic!(
                    "the awaited event of {mission_id} did not come within {limit:?}; got: {:#?}",
                    out.iter().map(|e| (&e.event_type, &e.summary)).collect::<Vec<_>>()
                )
                }
            }
        }
    }

    pub fn log_text(&self) -> String {
        self.logs.lock().unwrap().join("\n")
    }
}

impl Drop for Harness {
    fn drop(&mut self) {
        self.shutdown.cancel();
        if let Some(w) = self.worker.take() {
            w.abort();
        }
    }
}

/// One POST the callback receiver took (answered 200).
#[derive(Debug, Clone)]
pub struct Received {
    pub authorization: Option<String>,
    pub event: WireEvent,
}

/// A callback receiver on 127.0.0.1: the first request gets a 500, the second no answer in
/// time; the others 200 and are recorded.
pub struct Receiver {
    pub url: String,
    pub received: Arc<Mutex<Vec<Received>>>,
    pub requests: Arc<Mutex<u32>>,
}

impl Receiver {
    pub async fn start(stall: Duration) -> Self {
        use axum::http::{HeaderMap, StatusCode};
        let received: Arc<Mutex<Vec<Received>>> = Arc::default();
        let requests: Arc<Mutex<u32>> = Arc::default();
        let (r, n) = (Arc::clone(&received), Arc::clone(&requests));
        let app = axum::Router::new().route(
            "/status",
            axum::routing::post(move |headers: HeaderMap, body: String| {
                let (r, n) = (Arc::clone(&r), Arc::clone(&n));
                async move {
                    let count = {
                        let mut n = n.lock().unwrap();
                        *n += 1;
                        *n
                    };
                    match count {
                        1 => return StatusCode::INTERNAL_SERVER_ERROR,
                        2 => {
                            tokio::time::sleep(stall).await;
                            return StatusCode::OK;
                        }
                        _ => {}
                    }
                    let event: WireEvent = serde_json::from_str(&body).expect("an event");
                    let authorization = headers
                        .get("authorization")
                        .and_then(|v| v.to_str().ok())
                        .map(str::to_string);
                    r.lock().unwrap().push(Received {
                        authorization,
                        event,
                    });
                    StatusCode::OK
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/status", listener.local_addr().unwrap());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self {
            url,
            received,
            requests,
        }
    }

    /// Waits until a final event was received.
    pub async fn until_final(&self, limit: Duration) -> Vec<Received> {
        let deadline = Instant::now() + limit;
        loop {
            let got = self.received.lock().unwrap().clone();
            if got.iter().any(|r| r.event.is_final()) {
                return got;
            }
            assert!(
                Instant::now() < deadline,
                "the receiver got no final event within {limit:?}: {:#?}",
                got.iter().map(|r| &r.event.event_type).collect::<Vec<_>>()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// A model endpoint that holds every request for `hold` before answering: an `llm` step
/// using it runs that long.
pub struct SlowModel {
    pub url: String,
    /// Requests that came in.
    pub started: Arc<Mutex<u32>>,
    /// Requests whose caller went away before the answer (the handler was dropped).
    pub abandoned: Arc<Mutex<u32>>,
}

struct Abandoned(Arc<Mutex<u32>>, bool);

impl Drop for Abandoned {
    fn drop(&mut self) {
        if !self.1 {
            *self.0.lock().unwrap() += 1;
        }
    }
}

pub async fn slow_model(hold: Duration) -> SlowModel {
    let started: Arc<Mutex<u32>> = Arc::default();
    let abandoned: Arc<Mutex<u32>> = Arc::default();
    let (s, a) = (Arc::clone(&started), Arc::clone(&abandoned));
    let app = axum::Router::new().fallback(move || {
        let (s, a) = (Arc::clone(&s), Arc::clone(&a));
        async move {
            *s.lock().unwrap() += 1;
            let mut guard = Abandoned(a, false);
            tokio::time::sleep(hold).await;
            guard.1 = true;
            axum::http::StatusCode::SERVICE_UNAVAILABLE
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/v1", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    SlowModel {
        url,
        started,
        abandoned,
    }
}
