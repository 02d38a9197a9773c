//! `websocket_connect`: one exchange with a WebSocket server.
//!
//! Parameters: `url` (`ws://` or `wss://`); optional `messages` (a list of texts or JSON values,
//! or one; alias `message`), `headers` (of the opening handshake), `receive` (messages to wait
//! for, default 1; 0 = none; with `until`, the most read while waiting), `until` (a substring,
//! or `/regex/`, that ends receiving), `timeout_ms` (the whole exchange, default 10000),
//! `max_message_bytes` (default 4 MiB).
//! Output: `{url, sent, received: [{text, json}], matched, closed, close_code}`.
//!
//! A timeout, the server closing early, or `until` never matching fails the step; the output
//! keeps what was received. Pings are answered by the library and not counted. The URL is
//! recorded for the evidence folder's `links.txt`.

use crate::steps::params::{as_text, opt_str, opt_str_map, opt_u64, str_param};
use crate::steps::{Failure, StepCtx, StepOutput};
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use std::time::Duration;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::{HeaderName, HeaderValue};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};

const DEFAULT_TIMEOUT_MS: u64 = 10_000;
const DEFAULT_MAX_MESSAGE_BYTES: u64 = 4 * 1024 * 1024;
/// How long a polite close may take once the exchange is done.
const CLOSE_GRACE: Duration = Duration::from_millis(500);

/// The messages to send, as text: a list, or one value (`message: hi`).
pub(super) fn messages(p: &Value) -> Result<Vec<String>, Failure> {
    Ok(match p.get("messages") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items.iter().map(as_text).collect(),
        Some(one) => vec![as_text(one)],
    })
}

/// What ends receiving: a substring, or a regular expression written `/…/`.
enum Until {
    Text(String),
    Regex(regex::Regex),
}

impl Until {
    fn parse(text: &str) -> Result<Self, Failure> {
        match text
            .strip_prefix('/')
            .and_then(|r| r.strip_suffix('/'))
            .filter(|r| !r.is_empty())
        {
            Some(pattern) => regex::Regex::new(pattern).map(Self::Regex).map_err(|e| {
                Failure::new(format!(
                    "`until: {text}` is not a valid regular expression: {e}"
                ))
            }),
            None => Ok(Self::Text(text.to_string())),
        }
    }

    fn matches(&self, message: &str) -> bool {
        match self {
            Self::Text(t) => message.contains(t.as_str()),
            Self::Regex(r) => r.is_match(message),
        }
    }
}

/// What the exchange got so far (the output, also on failure).
struct Progress {
    url: String,
    sent: usize,
    received: Vec<Value>,
    matched: bool,
    closed: bool,
    close_code: Option<u16>,
}

impl Progress {
    fn output(&self) -> Value {
        json!({
            "url": self.url,
            "sent": self.sent,
            "received": self.received,
            "matched": self.matched,
            "closed": self.closed,
            "close_code": self.close_code,
        })
    }

    fn fail(&self, message: String) -> Failure {
        Failure::new(message).with_output(self.output())
    }
}

fn received(text: String) -> Value {
    let parsed = serde_json::from_str::<Value>(&text).unwrap_or(Value::Null);
    json!({"text": text, "json": parsed})
}

pub(crate) async fn run(p: Value, ctx: &StepCtx) -> Result<StepOutput, Failure> {
    let url = str_param(&p, "url")?.trim().to_string();
    let scheme = url.split_once("://").map(|(s, _)| s.to_ascii_lowercase());
    if !matches!(scheme.as_deref(), Some("ws" | "wss")) {
        return Err(Failure::new(format!(
            "`{url}` is not a WebSocket URL: write `ws://host:port/path` or `wss://…`"
        )));
    }
    let to_send = messages(&p)?;
    let headers = opt_str_map(&p, "headers")?;
    let until = opt_str(&p, "until")?.map(Until::parse).transpose()?;
    let receive = opt_u64(&p, "receive")?;
    // Without `until`, wait for `receive` messages (default 1); with it, for a match, reading
    // at most `receive` messages when given.
    let want = match (&until, receive) {
        (None, n) => Some(n.unwrap_or(1)),
        (Some(_), n) => n.filter(|n| *n > 0),
    };
    let timeout_ms = opt_u64(&p, "timeout_ms")?
        .unwrap_or(DEFAULT_TIMEOUT_MS)
        .max(1);
    let max_bytes = opt_u64(&p, "max_message_bytes")?
        .unwrap_or(DEFAULT_MAX_MESSAGE_BYTES)
        .max(1);
    let max_bytes = usize::try_from(max_bytes).unwrap_or(usize::MAX);

    let mut request = url
        .as_str()
        .into_client_request()
        .map_err(|e| Failure::new(format!("`{url}` is not a valid WebSocket URL: {e}")))?;
    for (name, value) in &headers {
        let name = HeaderName::from_bytes(name.as_bytes())
            .map_err(|e| Failure::new(format!("header name `{name}` is not valid: {e}")))?;
        let value = HeaderValue::from_str(value).map_err(|e| {
            Failure::new(format!(
                "header `{name}` has a value that is not valid: {e}"
            ))
        })?;
        request.headers_mut().insert(name, value);
    }
    let config = WebSocketConfig::default()
        .max_message_size(Some(max_bytes))
        .max_frame_size(Some(max_bytes));

    let mut progress = Progress {
        url: url.clone(),
        sent: 0,
        received: Vec::new(),
        matched: false,
        closed: false,
        close_code: None,
    };
    let deadline = Instant::now() + Duration::from_millis(timeout_ms);
    let timed_out = |progress: &Progress, what: &str| {
        progress.fail(format!(
            "`{url}`: no answer in time ({timeout_ms} ms) {what}; received {} message(s)",
            progress.received.len()
        ))
    };

    let connect = tokio_tungstenite::connect_async_with_config(request, Some(config), true);
    let (mut socket, _response) = tokio::select! {
        _ = ctx.cancel.cancelled() => return Err(Failure::interrupted()),
        r = tokio::time::timeout_at(deadline, connect) => match r {
            Err(_) => return Err(timed_out(&progress, "while connecting")),
            Ok(Err(e)) => return Err(progress.fail(describe(&url, &e))),
            Ok(Ok(pair)) => pair,
        },
    };

    for text in &to_send {
        let send = socket.send(Message::text(text.clone()));
        tokio::select! {
            _ = ctx.cancel.cancelled() => return Err(Failure::interrupted()),
            r = tokio::time::timeout_at(deadline, send) => match r {
                Err(_) => return Err(timed_out(&progress, "while sending")),
                Ok(Err(e)) => return Err(progress.fail(format!(
                    "`{url}`: sending message {} failed: {e}", progress.sent + 1
                ))),
                Ok(Ok(())) => progress.sent += 1,
            },
        }
    }

    // Satisfied: a match with `until`, else enough messages. Receiving also ends at the most
    // messages `receive` allows.
    let satisfied = |progress: &Progress| match &until {
        Some(_) => progress.matched,
        None => want.is_some_and(|n| progress.received.len() as u64 >= n),
    };
    let at_most = |progress: &Progress| want.is_some_and(|n| progress.received.len() as u64 >= n);
    while !satisfied(&progress) && !at_most(&progress) {
        let next = tokio::select! {
            _ = ctx.cancel.cancelled() => return Err(Failure::interrupted()),
            r = tokio::time::timeout_at(deadline, socket.next()) => match r {
                Err(_) => {
                    let what = match (&until, want) {
                        (Some(_), _) => "before a message matched `until`".to_string(),
                        (None, Some(n)) => format!("while waiting for {n} message(s)"),
                        (None, None) => String::new(),
                    };
                    return Err(timed_out(&progress, &what));
                }
                Ok(next) => next,
            },
        };
        let text = match next {
            None => {
                progress.closed = true;
                break;
            }
            Some(Err(e)) => return Err(progress.fail(describe(&url, &e))),
            Some(Ok(Message::Text(t))) => t.as_str().to_string(),
            Some(Ok(Message::Binary(b))) => String::from_utf8_lossy(&b).into_owned(),
            Some(Ok(Message::Close(frame))) => {
                progress.closed = true;
                progress.close_code = frame.map(|f| u16::from(f.code));
                break;
            }
            Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_))) => continue,
        };
        if until.as_ref().is_some_and(|u| u.matches(&text)) {
            progress.matched = true;
        }
        progress.received.push(received(text));
    }

    if !progress.closed {
        // A polite close; the exchange is done whether or not the server acknowledges it.
        let _ = tokio::time::timeout(CLOSE_GRACE, socket.close(None)).await;
    }

    if !satisfied(&progress) {
        let got = progress.received.len();
        let reason = match (&until, want) {
            (Some(_), Some(n)) if got as u64 >= n => {
                format!("none of the {n} message(s) read matched `until`")
            }
            (Some(_), _) => format!(
                "the server closed the connection before a message matched `until` ({got} received)"
            ),
            (None, Some(n)) => {
                format!("the server closed the connection after {got} of {n} message(s)")
            }
            (None, None) => "the exchange ended early".to_string(),
        };
        return Err(progress.fail(format!("`{url}`: {reason}")));
    }

    let mut out = StepOutput::new(progress.output());
    out.links.push(url);
    Ok(out)
}

/// A WebSocket error in words.
fn describe(url: &str, e: &WsError) -> String {
    match e {
        WsError::Io(io) if io.kind() == std::io::ErrorKind::ConnectionRefused => {
            format!("cannot connect to `{url}`: connection refused")
        }
        WsError::Io(io) => format!("cannot reach `{url}`: {io}"),
        WsError::Http(response) => format!(
            "`{url}` refused the WebSocket handshake: HTTP {}",
            response.status()
        ),
        WsError::Capacity(c) => format!("`{url}`: a message is too large ({c})"),
        other => format!("`{url}`: {other}"),
    }
}
