//! The hosts a step reaches, read from its resolved parameters, for the gate's network check
//! (DESIGN §6, check 2b: `perimeter.network.allowed_hosts`).
//!
//! Each step type that calls out names its host in a parameter: a URL (`http`,
//! `websocket_connect`, `service_health`, a `postgres://` or `redis://` connection, a registry
//! tool that runs `http`, an `ftp://` URL, `model_inference`'s `endpoint`) or a `host`
//! (`ping_host`, `ftp_*`, `ssh_execute`, `service_health`). SQLite and ONNX files reach no host.
//! A connection the gate cannot read a host from (a bare name that stands for an environment
//! variable, the default Redis server) is [`Target::Unnamed`]: it is refused when the perimeter
//! lists hosts, since nobody could say it is allowed.
//!
//! A host a step's parameters do not spell out — a knowledge step's embeddings provider, named
//! by `provider:` and resolved from the operator's provider table — reaches the gate as a URL
//! of `GateRequest::endpoints` and is read with [`from_url`].

use serde_json::Value;

/// One place a step reaches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A host name or address (IPv6 without brackets) and the port, when known.
    Host { host: String, port: Option<u16> },
    /// A connection whose host is only known when the step runs: what it was written as.
    Unnamed(String),
}

impl Target {
    fn host(host: impl Into<String>, port: Option<u16>) -> Self {
        Self::Host {
            host: host.into(),
            port,
        }
    }
}

/// The host and port of a URL (`scheme://[user[:password]@]host[:port]/…`): the port written,
/// else the scheme's usual one (`http` 80, `https` 443, `ws` 80, `wss` 443, `postgres` 5432,
/// `redis` 6379, `ftp` 21, `ssh` 22). `None` when it is not a URL with a host.
pub fn url_host(url: &str) -> Option<(String, Option<u16>)> {
    let parsed = reqwest::Url::parse(url.trim()).ok()?;
    let host = parsed
        .host_str()?
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_ascii_lowercase();
    if host.is_empty() {
        return None;
    }
    let default = match parsed.scheme() {
        "postgres" | "postgresql" => Some(5432),
        "redis" | "rediss" => Some(6379),
        "ftp" | "ftps" => Some(21),
        "ssh" | "sftp" => Some(22),
        _ => None,
    };
    Some((host, parsed.port_or_known_default().or(default)))
}

/// A parameter under its own name or one of its aliases (the gate sees the parameters as
/// written, before a family renames them).
fn param<'a>(step_type: &str, params: &'a Value, name: &str) -> Option<&'a Value> {
    let map = params.as_object()?;
    if let Some(v) = map.get(name).filter(|v| !v.is_null()) {
        return Some(v);
    }
    let spec = studio_core::step_params::params_of(step_type)?;
    map.iter()
        .find(|(k, v)| !v.is_null() && spec.canonical(k) == name)
        .map(|(_, v)| v)
}

fn text<'a>(step_type: &str, params: &'a Value, name: &str) -> Option<&'a str> {
    param(step_type, params, name).and_then(Value::as_str)
}

fn port(step_type: &str, params: &Value, name: &str) -> Option<u16> {
    param(step_type, params, name)
        .and_then(studio_core::step_params::whole_number)
        .and_then(|n| u16::try_from(n).ok())
}

/// A URL parameter: its host, or the URL as written when no host can be read from it (with
/// anything between `://` and `@` hidden: the gate's audit row quotes it, and it may hold a
/// password).
pub fn from_url(url: &str) -> Target {
    match url_host(url) {
        Some((host, port)) => Target::host(host, port),
        None => Target::Unnamed(match (url.find("://"), url.rfind('@')) {
            (Some(start), Some(at)) if at > start => {
                format!("{}***{}", &url[..start + 3], &url[at..])
            }
            _ => url.to_string(),
        }),
    }
}

/// A `host` parameter, which may hold a port (`db.internal:21`, `[::1]:22`).
fn from_host(host: &str, port: Option<u16>) -> Target {
    let h = host.trim();
    if let Some(rest) = h.strip_prefix('[') {
        if let Some((name, after)) = rest.split_once(']') {
            let written = after.strip_prefix(':').and_then(|p| p.parse().ok());
            return Target::host(name, written.or(port));
        }
    }
    match h.rsplit_once(':') {
        Some((name, p)) if !name.contains(':') => match p.parse() {
            Ok(written) => Target::host(name.to_ascii_lowercase(), Some(written)),
            Err(_) => Target::host(h.to_ascii_lowercase(), port),
        },
        _ => Target::host(h.to_ascii_lowercase(), port),
    }
}

/// The hosts a step of `step_type` with these (resolved) parameters reaches; empty for a step
/// that reaches none. A `tool` step's parameters are its prepared call (`{kind, call}`).
pub fn reached(step_type: &str, params: &Value) -> Vec<Target> {
    let t = step_type;
    match t {
        "http" | "websocket_connect" => text(t, params, "url").map(from_url).into_iter().collect(),
        "service_health" => match text(t, params, "url") {
            Some(url) => vec![from_url(url)],
            None if param(t, params, "port").is_some() => vec![from_host(
                text(t, params, "host").unwrap_or("localhost"),
                port(t, params, "port"),
            )],
            None => Vec::new(),
        },
        "ping_host" => {
            let Some(host) = text(t, params, "host") else {
                return Vec::new();
            };
            let ports: Vec<u16> = param(t, params, "ports")
                .and_then(Value::as_array)
                .map(|list| {
                    list.iter()
                        .filter_map(studio_core::step_params::whole_number)
                        .filter_map(|n| u16::try_from(n).ok())
                        .collect()
                })
                .unwrap_or_default();
            if ports.is_empty() {
                vec![from_host(host, Some(port(t, params, "port").unwrap_or(80)))]
            } else {
                ports
                    .into_iter()
                    .map(|p| from_host(host, Some(p)))
                    .collect()
            }
        }
        "sql_query" | "db_backup" | "db_migrate" => match text(t, params, "connection") {
            Some(c) if c.starts_with("postgres://") || c.starts_with("postgresql://") => {
                vec![from_url(c)]
            }
            // SQLite files (and bare names, which the step resolves) reach no host here.
            _ => Vec::new(),
        },
        "redis_set" | "redis_get" => match text(t, params, "connection") {
            Some(c) if c.contains("://") => vec![from_url(c)],
            Some(c) => vec![Target::Unnamed(c.to_string())],
            None => vec![Target::Unnamed(
                "the default Redis server (REDIS_URL)".to_string(),
            )],
        },
        "ftp_upload" | "ftp_download" => match (text(t, params, "url"), text(t, params, "host")) {
            (Some(url), _) => vec![from_url(url)],
            (None, Some(h)) => vec![from_host(h, Some(port(t, params, "port").unwrap_or(21)))],
            (None, None) => Vec::new(),
        },
        "ssh_execute" => match text(t, params, "host") {
            Some(h) => vec![from_host(h, port(t, params, "port"))],
            None => Vec::new(),
        },
        // A workspace ONNX file reaches no host; an inference server does.
        "model_inference" => text(t, params, "endpoint")
            .map(from_url)
            .into_iter()
            .collect(),
        "tool" => match (
            params.get("kind").and_then(Value::as_str),
            params.get("call"),
        ) {
            (Some("http"), Some(call @ Value::Object(_))) => match call.get("url") {
                Some(Value::String(url)) => vec![from_url(url)],
                _ => vec![Target::Unnamed("the tool's call (no `url`)".to_string())],
            },
            _ => Vec::new(),
        },
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::collections::BTreeSet;
    use studio_core::perimeter::host_allowed;

    fn host(h: &str, p: Option<u16>) -> Target {
        Target::host(h, p)
    }

    #[test]
    fn urls_give_their_host_and_port() {
        assert_eq!(
            url_host("https://user:secret@API.example.com:8443/v1?q=1"),
            Some(("api.example.com".into(), Some(8443)))
        );
        assert_eq!(
            url_host("http://example.com/"),
            Some(("example.com".into(), Some(80)))
        );
        assert_eq!(
            url_host("wss://example.com/socket"),
            Some(("example.com".into(), Some(443)))
        );
        assert_eq!(
            url_host("ws://[::1]:9001/"),
            Some(("::1".into(), Some(9001)))
        );
        assert_eq!(
            url_host("postgres://app:pw@db.internal/sales"),
            Some(("db.internal".into(), Some(5432)))
        );
        assert_eq!(
            url_host("redis://:pw@127.0.0.1:6380/0"),
            Some(("127.0.0.1".into(), Some(6380)))
        );
        assert_eq!(url_host("not a url"), None);
        assert_eq!(url_host("sqlite::memory:"), None);
    }

    #[test]
    fn each_type_names_the_hosts_it_reaches() {
        let got = |t: &str, p: Value| reached(t, &p);
        assert_eq!(
            got("http", json!({"url": "http://127.0.0.1:8080/x"})),
            vec![host("127.0.0.1", Some(8080))]
        );
        assert_eq!(
            got(
                "service_health",
                json!({"host": "db.internal", "port": 5432})
            ),
            vec![host("db.internal", Some(5432))]
        );
        assert_eq!(got("service_health", json!({"service": "x"})), vec![]);
        assert_eq!(
            got(
                "ping_host",
                json!({"address": "Example.com", "ports": [22, "443"]})
            ),
            vec![
                host("example.com", Some(22)),
                host("example.com", Some(443))
            ],
            "aliases as written"
        );
        assert_eq!(
            got(
                "sql_query",
                json!({"connection": "postgres://u:p@10.0.0.5:1/db", "query": "select 1"})
            ),
            vec![host("10.0.0.5", Some(1))]
        );
        assert_eq!(
            got(
                "db_backup",
                json!({"source": "postgresql://h/db", "destination": "b.sql"})
            ),
            vec![host("h", Some(5432))]
        );
        assert_eq!(got("sql_query", json!({"connection": "data.db"})), vec![]);
        assert_eq!(
            got(
                "redis_get",
                json!({"url": "redis://cache.internal", "key": "k"})
            ),
            vec![host("cache.internal", Some(6379))]
        );
        assert!(matches!(
            got("redis_set", json!({"key": "k", "value": 1}))[..],
            [Target::Unnamed(_)]
        ));
        assert_eq!(
            got(
                "ssh_execute",
                json!({"host": "[::1]:2222", "command": "ls"})
            ),
            vec![host("::1", Some(2222))]
        );
        assert_eq!(
            got("ftp_upload", json!({"host": "ftp.internal", "port": 2121})),
            vec![host("ftp.internal", Some(2121))]
        );
        assert_eq!(
            got("ftp_download", json!({"server": "FTP.internal"})),
            vec![host("ftp.internal", Some(21))],
            "an alias, and FTP's own port"
        );
        assert_eq!(
            got(
                "ftp_download",
                json!({"url": "ftps://u:pw@files.example.com/out/r.csv"})
            ),
            vec![host("files.example.com", Some(21))]
        );
        assert_eq!(
            got(
                "model_inference",
                json!({"model": "m", "url": "http://10.1.2.3:8000"})
            ),
            vec![host("10.1.2.3", Some(8000))]
        );
        assert_eq!(got("model_inference", json!({"model": "m.onnx"})), vec![]);
        assert_eq!(
            got("ftp_upload", json!({"url": "ftp://u:pw@[bad/x"})),
            vec![Target::Unnamed("ftp://***@[bad/x".into())],
            "what the gate quotes holds no password"
        );
        assert_eq!(
            got(
                "tool",
                json!({"kind": "http", "call": {"url": "https://api.example.com/x"}})
            ),
            vec![host("api.example.com", Some(443))]
        );
        assert_eq!(got("tool", json!({"kind": "command", "call": {}})), vec![]);
        assert_eq!(got("read_file", json!({"path": "http://x"})), vec![]);
    }

    #[test]
    fn globs_match_below_the_suffix_only() {
        let allowed: BTreeSet<String> = ["*.internal".to_string()].into();
        assert!(host_allowed(&allowed, "a.internal", Some(1)));
        assert!(host_allowed(&allowed, "b.a.internal", None));
        assert!(!host_allowed(&allowed, "internal", None));
        let Target::Host { host, port } = from_host("API.internal:8080", None) else {
            panic!()
        };
        assert!(host_allowed(&allowed, &host, port));
        let bare = from_host("localhost", Some(80));
        assert_eq!(bare, Target::host("localhost", Some(80)));
    }
}
