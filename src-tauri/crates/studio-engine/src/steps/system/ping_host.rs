//! `ping_host`: whether a host answers, and its round-trip times.
//!
//! Parameters: `host`; optional `port` (default 80) or `ports` (probed in turn), `count`
//! (default 4), `interval_ms` (default 200), `timeout_ms` (per probe, default 2000), `method`
//! (`tcp`, default, or `icmp`), `fail_on_unreachable` (default true).
//! Output: `{host, address, method, ports, sent, received, loss_percent, rtt_ms: {min, avg,
//! max}, samples: [{seq, port, ok, rtt_ms, error}]}`.
//!
//! TCP: each probe is a connect, closed at once; its time is the round trip of the handshake.
//! A refused connection counts as lost (the host is up but nothing listens there). A name with
//! several addresses is probed at the first one that accepts a connection (else its first). ICMP: echo
//! requests over an unprivileged ICMP socket (`SOCK_DGRAM`, no raw socket and no `ping`
//! program), which the kernel only allows to the groups in `net.ipv4.ping_group_range`;
//! elsewhere the step fails saying so. When no probe is answered the step fails and keeps the
//! output, unless `fail_on_unreachable` is false.

use crate::steps::params::{opt_bool, opt_str, opt_str_list, opt_u64, str_param};
use crate::steps::{Failure, StepCtx, StepOutput};
use serde_json::{json, Value};
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

const DEFAULT_PORT: u16 = 80;
const DEFAULT_COUNT: u64 = 4;
const MAX_COUNT: u64 = 1000;
const DEFAULT_INTERVAL_MS: u64 = 200;
const DEFAULT_TIMEOUT_MS: u64 = 2000;

struct Sample {
    port: Option<u16>,
    rtt_ms: Option<f64>,
    error: Option<String>,
}

pub(crate) async fn run(p: Value, ctx: &StepCtx) -> Result<StepOutput, Failure> {
    let host = str_param(&p, "host")?.trim().to_string();
    if host.is_empty() {
        return Err(Failure::new("parameter `host` is empty"));
    }
    let icmp = match opt_str(&p, "method")?
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        None | Some("tcp") => false,
        Some("icmp") => true,
        Some(other) => {
            return Err(Failure::new(format!(
                "`method: {other}` is not known; use `tcp` (default) or `icmp`"
            )))
        }
    };
    let ports = ports(&p)?;
    if icmp
        && (p.get("port").is_some_and(|v| !v.is_null()) || !opt_str_list(&p, "ports")?.is_empty())
    {
        return Err(Failure::new(
            "`method: icmp` probes the host, not a port: remove `port`/`ports`, or use `method: tcp`",
        ));
    }
    let count = opt_u64(&p, "count")?
        .unwrap_or(DEFAULT_COUNT)
        .clamp(1, MAX_COUNT);
    let interval =
        Duration::from_millis(opt_u64(&p, "interval_ms")?.unwrap_or(DEFAULT_INTERVAL_MS));
    let timeout = Duration::from_millis(
        opt_u64(&p, "timeout_ms")?
            .unwrap_or(DEFAULT_TIMEOUT_MS)
            .max(1),
    );
    let fail_on_unreachable = opt_bool(&p, "fail_on_unreachable")?.unwrap_or(true);

    let address = resolve(&host, ports[0], !icmp, timeout, ctx).await?;
    let mut samples: Vec<Sample> = Vec::new();
    if icmp {
        let ip = address.ip();
        let result =
            tokio::task::spawn_blocking(move || icmp::probe_all(ip, count, interval, timeout));
        let probes = tokio::select! {
            r = result => r.map_err(|e| Failure::new(format!("the ICMP probes stopped: {e}")))??,
            _ = ctx.cancel.cancelled() => return Err(Failure::interrupted()),
        };
        samples.extend(probes.into_iter().map(|(rtt_ms, error)| Sample {
            port: None,
            rtt_ms,
            error,
        }));
    } else {
        for seq in 0..count {
            if seq > 0 {
                tokio::select! {
                    _ = tokio::time::sleep(interval) => {}
                    _ = ctx.cancel.cancelled() => return Err(Failure::interrupted()),
                }
            }
            let port = ports[(seq as usize) % ports.len()];
            let target = SocketAddr::new(address.ip(), port);
            let started = Instant::now();
            let probe = tokio::time::timeout(timeout, tokio::net::TcpStream::connect(target));
            let sample = tokio::select! {
                r = probe => match r {
                    Ok(Ok(_stream)) => Sample { port: Some(port), rtt_ms: Some(ms(started)), error: None },
                    Ok(Err(e)) => Sample { port: Some(port), rtt_ms: None, error: Some(connect_error(&e)) },
                    Err(_) => Sample { port: Some(port), rtt_ms: None, error: Some(format!("no answer within {} ms", timeout.as_millis())) },
                },
                _ = ctx.cancel.cancelled() => return Err(Failure::interrupted()),
            };
            samples.push(sample);
        }
    }

    let rtts: Vec<f64> = samples.iter().filter_map(|s| s.rtt_ms).collect();
    let sent = samples.len();
    let received = rtts.len();
    let loss_percent = round2((sent - received) as f64 * 100.0 / sent as f64);
    let rtt = if rtts.is_empty() {
        json!({"min": null, "avg": null, "max": null})
    } else {
        let min = rtts.iter().copied().fold(f64::INFINITY, f64::min);
        let max = rtts.iter().copied().fold(0.0, f64::max);
        let avg = rtts.iter().sum::<f64>() / rtts.len() as f64;
        json!({"min": round2(min), "avg": round2(avg), "max": round2(max)})
    };
    let output = json!({
        "host": host,
        "address": address.ip().to_string(),
        "method": if icmp { "icmp" } else { "tcp" },
        "ports": if icmp { Vec::new() } else { ports.clone() },
        "sent": sent,
        "received": received,
        "loss_percent": loss_percent,
        "rtt_ms": rtt,
        "samples": samples.iter().enumerate().map(|(i, s)| json!({
            "seq": i + 1,
            "port": s.port,
            "ok": s.rtt_ms.is_some(),
            "rtt_ms": s.rtt_ms.map(round2),
            "error": s.error,
        })).collect::<Vec<_>>(),
    });
    if received == 0 && fail_on_unreachable {
        let why = samples
            .iter()
            .rev()
            .find_map(|s| s.error.clone())
            .unwrap_or_default();
        let at = if icmp {
            host.clone()
        } else {
            let list: Vec<String> = ports.iter().map(u16::to_string).collect();
            format!("{host} port {}", list.join(", "))
        };
        return Err(Failure::new(format!(
            "{at} did not answer any of {sent} probes (100% loss): {why}"
        ))
        .with_output(output));
    }
    Ok(StepOutput::new(output))
}

fn ports(p: &Value) -> Result<Vec<u16>, Failure> {
    let to_port = |text: &str| {
        text.trim()
            .parse::<u16>()
            .ok()
            .filter(|p| *p > 0)
            .ok_or_else(|| Failure::new(format!("`{text}` is not a TCP port (1 to 65535)")))
    };
    let list = opt_str_list(p, "ports")?;
    if !list.is_empty() {
        return list.iter().map(|t| to_port(t)).collect();
    }
    match opt_u64(p, "port")? {
        Some(port) => Ok(vec![to_port(&port.to_string())?]),
        None => Ok(vec![DEFAULT_PORT]),
    }
}

/// The address to probe: an IP address as it is; for a name, the first of its addresses that
/// accepts a TCP connection on `port` (when `try_connect`; e.g. `localhost` may list `::1`
/// before `127.0.0.1`), else its first address. The trial connects are not counted as probes.
async fn resolve(
    host: &str,
    port: u16,
    try_connect: bool,
    timeout: Duration,
    ctx: &StepCtx,
) -> Result<SocketAddr, Failure> {
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Ok(SocketAddr::new(ip, port));
    }
    let lookup = tokio::net::lookup_host((host, port));
    let found = tokio::select! {
        r = tokio::time::timeout(Duration::from_secs(10), lookup) => r,
        _ = ctx.cancel.cancelled() => return Err(Failure::interrupted()),
    };
    let addrs: Vec<SocketAddr> = match found {
        Ok(Ok(addrs)) => addrs.collect(),
        Ok(Err(e)) => return Err(Failure::new(format!("cannot resolve `{host}`: {e}"))),
        Err(_) => {
            return Err(Failure::new(format!(
                "resolving `{host}` took more than 10 s"
            )))
        }
    };
    let first = *addrs
        .first()
        .ok_or_else(|| Failure::new(format!("`{host}` has no address")))?;
    if try_connect && addrs.len() > 1 {
        for addr in &addrs {
            let trial = tokio::time::timeout(timeout, tokio::net::TcpStream::connect(addr));
            let answered = tokio::select! {
                r = trial => matches!(r, Ok(Ok(_))),
                _ = ctx.cancel.cancelled() => return Err(Failure::interrupted()),
            };
            if answered {
                return Ok(*addr);
            }
        }
    }
    Ok(first)
}

fn connect_error(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::ConnectionRefused => {
            "connection refused (nothing listens on that port)".to_string()
        }
        _ => e.to_string(),
    }
}

fn ms(since: Instant) -> f64 {
    since.elapsed().as_secs_f64() * 1000.0
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// ICMP echo over an unprivileged datagram socket (Linux: `net.ipv4.ping_group_range`).
mod icmp {
    use super::{ms, Failure};
    use socket2::{Domain, Protocol, Socket, Type};
    use std::io::Read;
    use std::net::{IpAddr, SocketAddr};
    use std::time::{Duration, Instant};

    /// One echo: its round trip in ms, or why it got no answer.
    pub(super) type Probe = (Option<f64>, Option<String>);

    /// Sends `count` echo requests, one [`Probe`] each.
    pub(super) fn probe_all(
        ip: IpAddr,
        count: u64,
        interval: Duration,
        timeout: Duration,
    ) -> Result<Vec<Probe>, Failure> {
        let (domain, protocol, request) = match ip {
            IpAddr::V4(_) => (Domain::IPV4, Protocol::ICMPV4, 8u8),
            IpAddr::V6(_) => (Domain::IPV6, Protocol::ICMPV6, 128u8),
        };
        let socket = Socket::new(domain, Type::DGRAM, Some(protocol)).map_err(refused)?;
        socket
            .connect(&SocketAddr::new(ip, 0).into())
            .map_err(|e| Failure::new(format!("cannot reach {ip} over ICMP: {e}")))?;
        let mut out = Vec::new();
        for seq in 0..count as u16 {
            if seq > 0 {
                std::thread::sleep(interval);
            }
            // Type, code, checksum (the kernel fills it and the identifier in), id, sequence.
            let mut packet = vec![request, 0, 0, 0, 0, 0];
            packet.extend_from_slice(&seq.to_be_bytes());
            packet.extend_from_slice(b"mission-studio-ping");
            let started = Instant::now();
            if let Err(e) = socket.send(&packet) {
                out.push((None, Some(format!("cannot send: {e}"))));
                continue;
            }
            out.push(wait_reply(&socket, seq, started, timeout));
        }
        Ok(out)
    }

    fn wait_reply(socket: &Socket, seq: u16, started: Instant, timeout: Duration) -> Probe {
        let mut buf = [0u8; 1500];
        loop {
            let left = timeout.saturating_sub(started.elapsed());
            if left.is_zero() {
                return (
                    None,
                    Some(format!("no answer within {} ms", timeout.as_millis())),
                );
            }
            if socket.set_read_timeout(Some(left)).is_err() {
                return (None, Some("cannot wait for the answer".into()));
            }
            let mut reader: &Socket = socket;
            match reader.read(&mut buf) {
                // An echo reply (type 0, or 129 for IPv6) carrying our sequence number.
                Ok(n) if n >= 8 && (buf[0] == 0 || buf[0] == 129) => {
                    if u16::from_be_bytes([buf[6], buf[7]]) == seq {
                        return (Some(ms(started)), None);
                    }
                }
                Ok(_) => {}
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) =>
                {
                    return (
                        None,
                        Some(format!("no answer within {} ms", timeout.as_millis())),
                    )
                }
                Err(e) => return (None, Some(e.to_string())),
            }
        }
    }

    fn refused(e: std::io::Error) -> Failure {
        // EACCES (or EPERM): the process's group is outside the allowed range.
        if e.kind() == std::io::ErrorKind::PermissionDenied {
            let range = std::fs::read_to_string("/proc/sys/net/ipv4/ping_group_range")
                .map(|r| r.split_whitespace().collect::<Vec<_>>().join(" "))
                .unwrap_or_else(|_| "unknown".into());
            Failure::new(format!(
                "ICMP is not allowed here: this system does not let unprivileged programs send echo requests (net.ipv4.ping_group_range is `{range}` and does not hold this process's group); use `method: tcp` (the default) with a `port`"
            ))
        } else {
            Failure::new(format!(
                "cannot open an ICMP socket: {e}; use `method: tcp` (the default)"
            ))
        }
    }
}
