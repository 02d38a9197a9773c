//! A run's trace (the mission's `telemetry:` block): one span for the run, one per step
//! attempt, built from the run's events as they are emitted.
//!
//! - `sqlite` (the default): nothing beyond the history, which records every run anyway.
//! - `memory`: the spans are collected while the run lasts and handed back with its outcome
//!   ([`TelemetryReport::spans`]); nothing keeps them afterwards. The history and the evidence
//!   folder still record the run, its steps and events: they are what resume, audit and ROI
//!   read, whatever the backend.
//! - `otlp`: the spans are exported over OTLP/HTTP (`POST {endpoint}/v1/traces`, OTLP JSON,
//!   `application/json`) in batches of at most `buffer_size` spans, every `export_interval`
//!   seconds or as soon as a batch is full.
//!
//! Exporting never holds the run: the sink hands each finished span to a bounded queue
//! (`buffer_size` spans) drained by a background task. A span that finds the queue full, or
//! whose batch the collector refuses or does not answer, is dropped and counted; the count goes
//! to the run's outcome ([`TelemetryReport`], one warning per run) and to its `meta.json`
//! (`telemetry`). Once the run has ended its last spans get [`FINAL_EXPORT_WAIT`] to leave.
//!
//! Sampling is per run and deterministic: the low 56 bits of the trace id against
//! `sampling_rate` (the W3C "random" part of a trace id), so a run is exported whole or not at
//! all. Span ids are derived from the trace id, the step and the attempt, so the same attempt
//! always has the same span id. Summaries and errors come from the engine already redacted.

use serde::Serialize;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use studio_core::{Mission, RunStatus, StepStatus, TelemetryBackend};
use studio_engine::{Event, EventSink, SinkError, StepRecord, Usage};
use tokio::sync::mpsc;

/// How long a run's outcome waits, once the run has ended, for its last spans to be exported.
pub const FINAL_EXPORT_WAIT: Duration = Duration::from_secs(2);

/// The longest one export request may take before its batch counts as dropped.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);

/// One span of a run's trace.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Span {
    /// 32 lowercase hex digits: the run's trace id.
    pub trace_id: String,
    /// 16 lowercase hex digits.
    pub span_id: String,
    /// The run's span, for a step attempt; `None` for the run's own span.
    pub parent_span_id: Option<String>,
    /// `run <mission id>` or `step <step id>`.
    pub name: String,
    pub start_unix_nano: u64,
    pub end_unix_nano: u64,
    pub attributes: Vec<(String, AttributeValue)>,
    /// `None`: OK; `Some(message)`: ERROR.
    pub error: Option<String>,
}

impl Span {
    pub fn attribute(&self, key: &str) -> Option<&AttributeValue> {
        self.attributes
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum AttributeValue {
    Str(String),
    Int(i64),
    Double(f64),
}

impl AttributeValue {
    fn otlp(&self) -> Value {
        match self {
            Self::Str(s) => json!({ "stringValue": s }),
            // OTLP JSON writes 64-bit integers as strings.
            Self::Int(n) => json!({ "intValue": n.to_string() }),
            Self::Double(d) => json!({ "doubleValue": d }),
        }
    }
}

/// What became of a run's trace.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TelemetryReport {
    pub backend: TelemetryBackend,
    /// Whether the run was sampled (`sampling_rate`); an unsampled run builds no span.
    pub sampled: bool,
    /// Spans built (run and step attempts).
    pub spans_built: u64,
    /// Spans the collector accepted (`otlp`).
    pub spans_exported: u64,
    /// Spans dropped: the queue was full, or the collector refused, failed or did not answer.
    pub spans_dropped: u64,
    /// The first export failure, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The collector's traces URL (`otlp`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
    /// The trace itself (`memory`).
    #[serde(skip)]
    pub spans: Vec<Span>,
}

impl TelemetryReport {
    /// The one warning of the run, when spans were dropped.
    pub fn warning(&self) -> Option<String> {
        (self.spans_dropped > 0).then(|| {
            format!(
                "telemetry: {} of {} spans were not exported to {}{}",
                self.spans_dropped,
                self.spans_built,
                self.endpoint.as_deref().unwrap_or("the collector"),
                self.error
                    .as_deref()
                    .map(|e| format!(" ({e})"))
                    .unwrap_or_default()
            )
        })
    }

    /// What `meta.json` records (`telemetry`).
    pub fn meta(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }
}

/// The run's trace id as OTLP wants it: the run's own when it is 32 hex digits (what the
/// engine makes), else one derived from it.
pub fn otlp_trace_id(trace_id: &str) -> String {
    let t = trace_id.to_ascii_lowercase();
    if t.len() == 32 && t.bytes().all(|b| b.is_ascii_hexdigit()) && t.bytes().any(|b| b != b'0') {
        t
    } else {
        digest_hex(trace_id, 32)
    }
}

/// Whether a run with this (OTLP) trace id is exported at `rate`.
pub fn is_sampled(trace_id: &str, rate: f64) -> bool {
    if rate >= 1.0 {
        return true;
    }
    if rate.is_nan() || rate <= 0.0 {
        return false;
    }
    let low = &trace_id[trace_id.len().saturating_sub(14)..];
    let n = u64::from_str_radix(low, 16).unwrap_or(0);
    (n as f64) < rate * (1u64 << 56) as f64
}

/// The span id of the run (`attempt` 0 with no step) or of a step's attempt.
pub fn span_id(trace_id: &str, step: Option<(&str, u32)>) -> String {
    let id = match step {
        Some((step, attempt)) => digest_hex(&format!("{trace_id}:step:{step}:{attempt}"), 16),
        None => digest_hex(&format!("{trace_id}:run"), 16),
    };
    if id.bytes().all(|b| b == b'0') {
        "0000000000000001".to_string()
    } else {
        id
    }
}

fn digest_hex(text: &str, len: usize) -> String {
    // `sha256:` + 64 hex digits.
    let hash = studio_core::hash::sha256_of(text.as_bytes());
    hash["sha256:".len()..][..len].to_string()
}

fn unix_nanos(at: &str) -> u64 {
    chrono::DateTime::parse_from_rfc3339(at)
        .ok()
        .and_then(|t| t.timestamp_nanos_opt())
        .and_then(|n| u64::try_from(n).ok())
        .unwrap_or(0)
}

struct OpenAttempt {
    start: u64,
    usage: Usage,
}

/// Builds the spans of one run from its events.
struct TraceBuilder {
    trace_id: String,
    root_id: String,
    mission_id: String,
    run_id: String,
    step_types: HashMap<String, String>,
    run_start: Option<u64>,
    open: HashMap<(Arc<str>, u32), OpenAttempt>,
    /// Step errors from the step records, until the step's final event.
    errors: HashMap<String, String>,
}

impl TraceBuilder {
    fn new(mission: &Mission, run_id: &str, trace_id: &str) -> Self {
        let trace_id = otlp_trace_id(trace_id);
        Self {
            root_id: span_id(&trace_id, None),
            trace_id,
            mission_id: mission.mission_id(),
            run_id: run_id.to_string(),
            step_types: mission
                .steps
                .iter()
                .map(|s| (s.id.clone(), s.step_type.clone()))
                .collect(),
            run_start: None,
            open: HashMap::new(),
            errors: HashMap::new(),
        }
    }

    fn on_event(&mut self, e: &Event, out: &mut Vec<Span>) {
        let at = unix_nanos(&e.emitted_at);
        self.run_start.get_or_insert(at);
        if let (Some(step), Some(attempt)) = (&e.step_id, e.attempt) {
            let phase = e.idempotency_key.rsplit('/').next().unwrap_or("");
            match (phase, e.step_status) {
                ("started", _) => self.open(step, attempt, at, e.usage),
                ("retry", _) => {
                    self.close(
                        step,
                        attempt,
                        at,
                        e.usage,
                        "failed",
                        Some(e.summary.clone()),
                        out,
                    );
                    self.open(step, attempt + 1, at, e.usage);
                }
                (_, Some(status)) if status.is_final() => {
                    let error = match status {
                        StepStatus::Success => None,
                        _ => Some(
                            self.errors
                                .remove(step.as_ref())
                                .unwrap_or_else(|| e.summary.clone()),
                        ),
                    };
                    self.close(step, attempt, at, e.usage, status.as_str(), error, out);
                }
                _ => {}
            }
        }
        if e.event_type.is_final() {
            let open: Vec<(Arc<str>, u32)> = self.open.keys().cloned().collect();
            for (step, attempt) in open {
                let error = Some(format!("the run ended {}", e.status.as_str()));
                self.close(&step, attempt, at, e.usage, "cancelled", error, out);
            }
            let mut span = Span {
                trace_id: self.trace_id.clone(),
                span_id: self.root_id.clone(),
                parent_span_id: None,
                name: format!("run {}", self.mission_id),
                start_unix_nano: self.run_start.unwrap_or(at),
                end_unix_nano: at.max(self.run_start.unwrap_or(at)),
                attributes: self.common(),
                error: (e.status != RunStatus::Completed).then(|| e.summary.clone()),
            };
            span.attributes.push((
                "mission.status".into(),
                AttributeValue::Str(e.status.as_str().into()),
            ));
            push_usage(&mut span.attributes, &e.usage, None);
            out.push(span);
        }
    }

    fn on_step(&mut self, record: &StepRecord<'_>) {
        if let Some(error) = record.error {
            self.errors
                .insert(record.step_id.to_string(), error.to_string());
        }
    }

    fn open(&mut self, step: &Arc<str>, attempt: u32, at: u64, usage: Usage) {
        self.open.insert(
            (Arc::clone(step), attempt),
            OpenAttempt { start: at, usage },
        );
    }

    #[allow(clippy::too_many_arguments)]
    fn close(
        &mut self,
        step: &Arc<str>,
        attempt: u32,
        at: u64,
        usage: Usage,
        status: &str,
        error: Option<String>,
        out: &mut Vec<Span>,
    ) {
        let Some(open) = self.open.remove(&(Arc::clone(step), attempt)) else {
            return; // never started (skipped, reused): no attempt, no span
        };
        let mut attributes = self.common();
        attributes.extend([
            (
                "mission.step.id".into(),
                AttributeValue::Str(step.to_string()),
            ),
            (
                "mission.step.type".into(),
                AttributeValue::Str(
                    self.step_types
                        .get(step.as_ref())
                        .cloned()
                        .unwrap_or_default(),
                ),
            ),
            (
                "mission.step.attempt".into(),
                AttributeValue::Int(attempt.into()),
            ),
            (
                "mission.step.status".into(),
                AttributeValue::Str(status.into()),
            ),
        ]);
        push_usage(&mut attributes, &usage, Some(&open.usage));
        if let Some(message) = &error {
            attributes.push(("error.message".into(), AttributeValue::Str(message.clone())));
        }
        out.push(Span {
            trace_id: self.trace_id.clone(),
            span_id: span_id(&self.trace_id, Some((step, attempt))),
            parent_span_id: Some(self.root_id.clone()),
            name: format!("step {step}"),
            start_unix_nano: open.start,
            end_unix_nano: at.max(open.start),
            attributes,
            error,
        });
    }

    fn common(&self) -> Vec<(String, AttributeValue)> {
        vec![
            (
                "mission.id".into(),
                AttributeValue::Str(self.mission_id.clone()),
            ),
            (
                "mission.run_id".into(),
                AttributeValue::Str(self.run_id.clone()),
            ),
        ]
    }
}

/// The run's cost, tokens and model calls; for an attempt, what the run consumed while it
/// lasted (other steps running at once count too).
fn push_usage(attributes: &mut Vec<(String, AttributeValue)>, now: &Usage, since: Option<&Usage>) {
    let zero = Usage::default();
    let before = since.unwrap_or(&zero);
    let int = |n: u64| AttributeValue::Int(i64::try_from(n).unwrap_or(i64::MAX));
    attributes.extend([
        (
            "mission.cost_usd".into(),
            AttributeValue::Double((now.cost_usd - before.cost_usd).max(0.0)),
        ),
        (
            "mission.tokens".into(),
            int(now.tokens.saturating_sub(before.tokens)),
        ),
        (
            "mission.llm_calls".into(),
            int(now.llm_calls.saturating_sub(before.llm_calls)),
        ),
    ]);
}

#[derive(Default)]
struct Stats {
    built: AtomicU64,
    exported: AtomicU64,
    dropped: AtomicU64,
    error: Mutex<Option<String>>,
}

impl Stats {
    fn fail(&self, n: u64, error: String) {
        self.dropped.fetch_add(n, Ordering::Relaxed);
        let mut first = self.error.lock().unwrap_or_else(|p| p.into_inner());
        first.get_or_insert(error);
    }
}

enum Target {
    /// The run is not sampled: nothing is built.
    Off,
    Memory(Vec<Span>),
    Otlp(Option<mpsc::Sender<Span>>),
}

/// The sink that builds a run's spans and hands them to its backend; never waits.
pub struct TelemetrySink {
    builder: TraceBuilder,
    target: Target,
    stats: Arc<Stats>,
    done: Vec<Span>,
}

impl TelemetrySink {
    fn deliver(&mut self) {
        for span in self.done.drain(..) {
            self.stats.built.fetch_add(1, Ordering::Relaxed);
            match &mut self.target {
                Target::Memory(spans) => spans.push(span),
                Target::Otlp(Some(tx)) => {
                    if let Err(e) = tx.try_send(span) {
                        let why = match e {
                            mpsc::error::TrySendError::Full(_) => {
                                "the export queue was full (collector slow or down)"
                            }
                            mpsc::error::TrySendError::Closed(_) => "the exporter stopped",
                        };
                        self.stats.fail(1, why.to_string());
                    }
                }
                Target::Otlp(None) => self.stats.fail(1, "the exporter stopped".into()),
                Target::Off => {}
            }
        }
    }
}

impl EventSink for TelemetrySink {
    fn emit(&mut self, event: &Event) -> Result<(), SinkError> {
        if matches!(self.target, Target::Off) {
            return Ok(());
        }
        self.builder.on_event(event, &mut self.done);
        if !self.done.is_empty() {
            self.deliver();
        }
        Ok(())
    }

    fn step_finished(&mut self, record: &StepRecord<'_>) -> Result<(), SinkError> {
        self.builder.on_step(record);
        Ok(())
    }

    fn flush(&mut self) -> Result<(), SinkError> {
        if let Target::Otlp(tx) = &mut self.target {
            tx.take(); // the exporter sends what it holds and ends
        }
        Ok(())
    }
}

/// A run's telemetry: its sink (handed to the engine) and its exporter.
pub struct RunTelemetry {
    pub sink: TelemetrySink,
    backend: TelemetryBackend,
    sampled: bool,
    endpoint: Option<String>,
    exporter: Option<tokio::task::JoinHandle<()>>,
}

impl RunTelemetry {
    /// The telemetry of a run of `mission`, when its block asks for more than the history
    /// (`memory` or `otlp`) and the run is sampled. Call from within the tokio runtime.
    pub fn start(mission: &Mission, run_id: &str, trace_id: &str) -> Option<Self> {
        let t = mission.telemetry.as_ref()?;
        let backend = t.effective_backend();
        if backend == TelemetryBackend::Sqlite {
            return None;
        }
        let builder = TraceBuilder::new(mission, run_id, trace_id);
        let sampled = is_sampled(&builder.trace_id, t.sampling_rate.unwrap_or(1.0));
        let stats = Arc::new(Stats::default());
        let (target, endpoint, exporter) = match backend {
            TelemetryBackend::Otlp if sampled => {
                let base = t
                    .endpoint
                    .as_deref()
                    .unwrap_or("")
                    .trim()
                    .trim_end_matches('/');
                let url = format!("{base}/v1/traces");
                let capacity = usize::try_from(
                    t.buffer_size
                        .unwrap_or(studio_core::Telemetry::DEFAULT_BUFFER_SIZE)
                        .max(1),
                )
                .unwrap_or(usize::MAX)
                .min(1 << 20);
                let interval = t
                    .export_interval
                    .filter(|s| s.is_finite() && *s > 0.0)
                    .unwrap_or(studio_core::Telemetry::DEFAULT_EXPORT_INTERVAL_S);
                let (tx, rx) = mpsc::channel(capacity);
                let handle = tokio::spawn(export(
                    rx,
                    url.clone(),
                    capacity,
                    Duration::from_secs_f64(interval.min(86_400.0)),
                    Arc::clone(&stats),
                ));
                (Target::Otlp(Some(tx)), Some(url), Some(handle))
            }
            TelemetryBackend::Otlp => (Target::Otlp(None), None, None),
            _ => (Target::Memory(Vec::new()), None, None),
        };
        Some(Self {
            sink: TelemetrySink {
                builder,
                target: if sampled { target } else { Target::Off },
                stats,
                done: Vec::new(),
            },
            backend,
            sampled,
            endpoint,
            exporter,
        })
    }

    /// Waits (at most [`FINAL_EXPORT_WAIT`]) for the last spans to leave, then reports.
    /// Call after the run has ended (the engine has flushed the sink).
    pub async fn finish(mut self) -> TelemetryReport {
        self.sink.flush().ok();
        if let Some(mut handle) = self.exporter.take() {
            if tokio::time::timeout(FINAL_EXPORT_WAIT, &mut handle)
                .await
                .is_err()
            {
                handle.abort();
                let stats = &self.sink.stats;
                let pending = stats
                    .built
                    .load(Ordering::Relaxed)
                    .saturating_sub(stats.exported.load(Ordering::Relaxed))
                    .saturating_sub(stats.dropped.load(Ordering::Relaxed));
                stats.fail(
                    pending,
                    format!(
                        "the collector did not take the last spans within {} s",
                        FINAL_EXPORT_WAIT.as_secs()
                    ),
                );
            }
        }
        let stats = &self.sink.stats;
        let error = stats
            .error
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        TelemetryReport {
            backend: self.backend,
            sampled: self.sampled,
            spans_built: stats.built.load(Ordering::Relaxed),
            spans_exported: stats.exported.load(Ordering::Relaxed),
            spans_dropped: stats.dropped.load(Ordering::Relaxed),
            error,
            endpoint: self.endpoint.take(),
            spans: match &mut self.sink.target {
                Target::Memory(spans) => std::mem::take(spans),
                _ => Vec::new(),
            },
        }
    }
}

/// The background exporter: batches of at most `batch` spans, sent when full, every
/// `interval`, and when the run's sink closes the queue.
async fn export(
    mut rx: mpsc::Receiver<Span>,
    url: String,
    batch: usize,
    interval: Duration,
    stats: Arc<Stats>,
) {
    let client = match reqwest::Client::builder()
        .timeout(REQUEST_TIMEOUT)
        .connect_timeout(REQUEST_TIMEOUT)
        .build()
    {
        Ok(client) => client,
        Err(e) => {
            rx.close();
            let mut n = 0;
            while rx.recv().await.is_some() {
                n += 1;
            }
            stats.fail(n, format!("no HTTP client: {e}"));
            return;
        }
    };
    let batch = batch.min(1024);
    let mut held: Vec<Span> = Vec::with_capacity(batch);
    let mut tick = tokio::time::interval(interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tick.tick().await;
    loop {
        tokio::select! {
            got = rx.recv() => match got {
                Some(span) => {
                    held.push(span);
                    if held.len() >= batch {
                        send(&client, &url, &mut held, &stats).await;
                    }
                }
                None => {
                    send(&client, &url, &mut held, &stats).await;
                    return;
                }
            },
            _ = tick.tick() => send(&client, &url, &mut held, &stats).await,
        }
    }
}

async fn send(client: &reqwest::Client, url: &str, held: &mut Vec<Span>, stats: &Stats) {
    if held.is_empty() {
        return;
    }
    let n = held.len() as u64;
    let body = otlp_json(held);
    held.clear();
    let sent = client
        .post(url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .body(body)
        .send()
        .await;
    match sent {
        Ok(r) if r.status().is_success() => {
            stats.exported.fetch_add(n, Ordering::Relaxed);
        }
        Ok(r) => stats.fail(n, format!("the collector answered {}", r.status())),
        Err(e) => stats.fail(
            n,
            format!("the collector is unreachable: {}", error_chain(&e)),
        ),
    }
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// An OTLP `ExportTraceServiceRequest` in OTLP JSON (ids in hex, 64-bit integers as strings).
pub fn otlp_json(spans: &[Span]) -> Vec<u8> {
    let spans: Vec<Value> = spans
        .iter()
        .map(|s| {
            let mut span = json!({
                "traceId": s.trace_id,
                "spanId": s.span_id,
                "name": s.name,
                "kind": 1,
                "startTimeUnixNano": s.start_unix_nano.to_string(),
                "endTimeUnixNano": s.end_unix_nano.to_string(),
                "attributes": s.attributes.iter().map(|(k, v)| json!({"key": k, "value": v.otlp()})).collect::<Vec<_>>(),
                "status": match &s.error {
                    None => json!({"code": 1}),
                    Some(message) => json!({"code": 2, "message": message}),
                },
            });
            if let Some(parent) = &s.parent_span_id {
                span["parentSpanId"] = json!(parent);
            }
            span
        })
        .collect();
    let request = json!({
        "resourceSpans": [{
            "resource": {"attributes": [
                {"key": "service.name", "value": {"stringValue": "mission-studio"}},
                {"key": "service.version", "value": {"stringValue": env!("CARGO_PKG_VERSION")}},
            ]},
            "scopeSpans": [{
                "scope": {"name": "mission-studio", "version": env!("CARGO_PKG_VERSION")},
                "spans": spans,
            }],
        }],
    });
    serde_json::to_vec(&request).unwrap_or_default()
}
