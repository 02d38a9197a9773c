//! What `ftp_upload` and `ftp_download` share: reading the server's parameters, connecting
//! (plain FTP or explicit FTPS), logging in, and saying what went wrong.
//!
//! **Where data connections go.** In passive mode (the default) the server names an address for
//! each data connection. The client ignores the address and keeps only the port, connecting to
//! the control connection's own peer: a server cannot send a transfer to another host than the
//! one the gate checked against `perimeter.network.allowed_hosts`. Active mode (`passive:
//! false`) has the server connect back to this machine, and only from the control peer.
//!
//! **TLS.** `secure: true` (or an `ftps://` URL) is explicit FTPS: `AUTH TLS` on the control
//! connection before the login, then `PBSZ 0` / `PROT P` so each data connection is TLS too.
//! The certificate must chain to Mozilla's web roots (built in) or to the step's `ca_cert`
//! workspace file, for the name written in `host`. There is no switch to skip verification.
//!
//! **The password.** It is held in [`Password`], whose `Debug` shows nothing, is never put in an
//! output or a message, and is masked by the run's redactor from before the gate on (see
//! `governance::prepare`). Names that reach the FTP control connection (user, password, remote
//! paths) may not hold CR, LF or NUL, so no value can smuggle a second command.

use crate::steps::params::{opt_bool, opt_str, opt_u64};
use crate::steps::{Failure, StepCtx};
use serde_json::Value;
use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use suppaftp::tokio::{AsyncRustlsConnector, AsyncRustlsFtpStream};
use suppaftp::tokio_rustls::rustls;
use suppaftp::types::FileType;
use suppaftp::{FtpError, Mode, Status};

/// One FTP client type for both plain and secure sessions (a plain one never upgrades).
pub(super) type Client = AsyncRustlsFtpStream;

const DEFAULT_PORT: u16 = 21;
const DEFAULT_TIMEOUT: u64 = 300;
const DEFAULT_CONNECT_TIMEOUT: u64 = 10;
const ANONYMOUS: &str = "anonymous";

/// A password that never shows itself.
#[derive(Clone, Default)]
pub(super) struct Password(String);

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(***)")
    }
}

/// The server and how to talk to it, read from the step's parameters.
#[derive(Debug, Clone)]
pub(super) struct Server {
    pub host: String,
    pub port: u16,
    pub username: String,
    password: Password,
    pub secure: bool,
    /// A workspace PEM file of extra trusted certificates.
    ca_cert: Option<String>,
    pub passive: bool,
    pub binary: bool,
    pub connect_timeout: Duration,
    /// The whole step: connecting, logging in and the transfer.
    pub timeout: Duration,
    /// The remote file named by the URL's path, when a URL was given.
    pub url_path: Option<String>,
}

impl Server {
    pub fn from_params(p: &Value) -> Result<Self, Failure> {
        let url = opt_str(p, "url")?.map(str::trim);
        let host_param = opt_str(p, "host")?.map(str::trim);
        let port_param = opt_u64(p, "port")?
            .map(|n| {
                u16::try_from(n).ok().filter(|n| *n > 0).ok_or_else(|| {
                    Failure::new(format!(
                        "parameter `port` must be between 1 and 65535, not {n}"
                    ))
                })
            })
            .transpose()?;
        let secure_param = opt_bool(p, "secure")?;
        let from_url = match (url, host_param) {
            (Some(_), Some(_)) => {
                return Err(Failure::new(
                    "give the server as `host` or as `url`, not both",
                ))
            }
            (None, None) => {
                return Err(Failure::new(
                    "parameter `host` (or `url: ftp://host/path`) is required",
                ))
            }
            (Some(url), None) => Some(UrlParts::parse(url)?),
            (None, Some(_)) => None,
        };
        let (host, written_port) = match (&from_url, host_param) {
            (Some(u), _) => (u.host.clone(), u.port),
            (None, Some(h)) => split_host_port(h)?,
            (None, None) => unreachable!("checked above"),
        };
        check_host(&host)?;
        // One port, read as the gate reads it (`hosts::reached`): the URL's or the one written
        // with the host, else `port`, else 21.
        let port = match (&from_url, written_port, port_param) {
            (Some(_), _, Some(_)) => {
                return Err(Failure::new(
                    "with `url`, give the port in the URL (`ftp://host:2121/…`), not in `port`",
                ))
            }
            (None, Some(written), Some(given)) if written != given => {
                return Err(Failure::new(format!(
                    "`host` names port {written} and `port` is {given}: keep one"
                )))
            }
            (_, written, given) => written.or(given).unwrap_or(DEFAULT_PORT),
        };
        let secure = match (from_url.as_ref().map(|u| u.secure), secure_param) {
            (Some(true), Some(false)) => {
                return Err(Failure::new(
                    "an `ftps://` URL asks for FTPS, but `secure` is false: keep one",
                ))
            }
            (url_secure, given) => given.unwrap_or(false) || url_secure.unwrap_or(false),
        };
        let username = opt_str(p, "username")?
            .map(str::to_string)
            .or_else(|| from_url.as_ref().and_then(|u| u.username.clone()))
            .filter(|u| !u.is_empty())
            .unwrap_or_else(|| ANONYMOUS.to_string());
        let password = opt_str(p, "password")?
            .map(str::to_string)
            .or_else(|| from_url.as_ref().and_then(|u| u.password.clone()))
            .unwrap_or_else(|| {
                if username == ANONYMOUS {
                    "anonymous@".to_string()
                } else {
                    String::new()
                }
            });
        check_command_text("username", &username)?;
        if has_line_break(&password) {
            return Err(Failure::new(
                "parameter `password` holds a line break or NUL character, which FTP cannot send",
            ));
        }
        let timeout = opt_u64(p, "timeout_seconds")?
            .unwrap_or(DEFAULT_TIMEOUT)
            .max(1);
        let connect_timeout = opt_u64(p, "connect_timeout_seconds")?
            .unwrap_or(DEFAULT_CONNECT_TIMEOUT)
            .clamp(1, timeout);
        Ok(Self {
            host,
            port,
            username,
            password: Password(password),
            secure,
            ca_cert: opt_str(p, "ca_cert")?.map(str::to_string),
            passive: opt_bool(p, "passive")?.unwrap_or(true),
            binary: opt_bool(p, "binary")?.unwrap_or(true),
            connect_timeout: Duration::from_secs(connect_timeout),
            timeout: Duration::from_secs(timeout),
            url_path: from_url.and_then(|u| u.path),
        })
    }

    /// `host:port` (`[::1]:21` for IPv6), as messages show it.
    pub fn at(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }

    /// The link recorded for the evidence folder: no user, no password.
    pub fn link(&self, remote_path: &str) -> String {
        let scheme = if self.secure { "ftps" } else { "ftp" };
        let path = remote_path.trim_start_matches('/');
        format!("{scheme}://{}/{path}", self.at())
    }

    /// Connects, upgrades to TLS when asked, logs in, and sets the transfer type and mode.
    pub async fn open(&self, ctx: &StepCtx) -> Result<Client, FtpFailure> {
        let at = self.at();
        let connector = if self.secure {
            Some(
                self.tls_connector(ctx)
                    .map_err(|f| FtpFailure::Setup { reason: f.message })?,
            )
        } else {
            None
        };
        let timed_out = || FtpFailure::ConnectTimeout {
            at: at.clone(),
            seconds: self.connect_timeout.as_secs(),
        };
        let tcp = tokio::time::timeout(
            self.connect_timeout,
            tokio::net::TcpStream::connect((self.host.as_str(), self.port)),
        )
        .await
        .map_err(|_| timed_out())?
        .map_err(|e| FtpFailure::connect(&at, &e))?;
        let mut client =
            tokio::time::timeout(self.connect_timeout, Client::connect_with_stream(tcp))
                .await
                .map_err(|_| timed_out())?
                .map_err(|e| FtpFailure::from_ftp(Phase::Greeting, &at, e))?;
        if let Some(connector) = connector {
            client = tokio::time::timeout(
                self.connect_timeout,
                client.into_secure(connector, &self.host),
            )
            .await
            .map_err(|_| timed_out())?
            .map_err(|e| FtpFailure::from_ftp(Phase::Tls, &at, e))?;
        }
        if self.passive {
            client.set_mode(Mode::Passive);
            client.set_passive_nat_workaround(true);
        } else {
            client = client.active_mode(self.connect_timeout);
        }
        client
            .login(self.username.as_str(), self.password.0.as_str())
            .await
            .map_err(|e| {
                FtpFailure::from_ftp(
                    Phase::Login {
                        user: self.username.clone(),
                    },
                    &at,
                    e,
                )
            })?;
        // `TYPE A` is sent as written: some servers refuse the library's `TYPE A N`. The client
        // starts in ASCII, where an upload converts line ends to CRLF, until `TYPE I` is
        // accepted.
        let typed = if self.binary {
            client.transfer_type(FileType::Binary).await
        } else {
            client
                .custom_command("TYPE A", &[Status::CommandOk])
                .await
                .map(drop)
        };
        typed.map_err(|e| FtpFailure::from_ftp(Phase::Command("TYPE".into()), &at, e))?;
        Ok(client)
    }

    /// Mozilla's web roots plus the certificates of `ca_cert`, with the ring provider.
    fn tls_connector(&self, ctx: &StepCtx) -> Result<AsyncRustlsConnector, Failure> {
        let mut roots = rustls::RootCertStore::empty();
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        if let Some(rel) = &self.ca_cert {
            use rustls::pki_types::pem::PemObject;
            use rustls::pki_types::CertificateDer;
            let path = ctx.shared.workspace.host_path(rel)?;
            let pem = std::fs::read(&path)
                .map_err(|e| Failure::new(format!("cannot read `ca_cert` `{rel}`: {e}")))?;
            let mut added = 0;
            for cert in CertificateDer::pem_slice_iter(&pem) {
                let cert = cert.map_err(|e| {
                    Failure::new(format!(
                        "`ca_cert` `{rel}` is not a PEM certificate file: {e}"
                    ))
                })?;
                roots.add(cert).map_err(|e| {
                    Failure::new(format!(
                        "`ca_cert` `{rel}` holds a certificate that cannot be trusted: {e}"
                    ))
                })?;
                added += 1;
            }
            if added == 0 {
                return Err(Failure::new(format!(
                    "`ca_cert` `{rel}` holds no certificate (`-----BEGIN CERTIFICATE-----`)"
                )));
            }
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| Failure::new(format!("cannot set up TLS: {e}")))?
            .with_root_certificates(roots)
            .with_no_client_auth();
        Ok(AsyncRustlsConnector::from(
            suppaftp::tokio_rustls::TlsConnector::from(Arc::new(config)),
        ))
    }
}

/// Runs `work` within the server's timeout, stopping at once when the attempt is cancelled
/// (dropping the work drops the connections).
pub(super) async fn within<T>(
    server: &Server,
    ctx: &StepCtx,
    work: impl Future<Output = Result<T, Failure>>,
) -> Result<T, Failure> {
    tokio::select! {
        _ = ctx.cancel.cancelled() => Err(Failure::interrupted()),
        r = tokio::time::timeout(server.timeout, work) => r.unwrap_or_else(|_| Err(Failure::new(format!(
            "the FTP transfer with {} timed out after {}s (`timeout_seconds`); the connection was dropped",
            server.at(),
            server.timeout.as_secs()
        )))),
    }
}

/// Ends the session politely; the transfer is done whatever the server answers.
pub(super) async fn quit(mut client: Client) {
    let _ = tokio::time::timeout(Duration::from_secs(2), client.quit()).await;
}

/// A remote path as the step sends it: no line breaks or NUL (a second FTP command), not empty.
pub(super) fn check_remote_path(path: &str) -> Result<(), Failure> {
    if path.trim().is_empty() {
        return Err(Failure::new("the remote path is empty"));
    }
    check_command_text("remote_path", path)
}

/// The last part of a path (`a/b.csv` → `b.csv`); `None` for a folder (`a/`).
pub(super) fn file_name(path: &str) -> Option<&str> {
    path.rsplit('/')
        .next()
        .filter(|n| !n.is_empty() && *n != "." && *n != "..")
}

fn has_line_break(text: &str) -> bool {
    text.contains(['\r', '\n', '\0'])
}

fn check_command_text(name: &str, value: &str) -> Result<(), Failure> {
    if has_line_break(value) {
        return Err(Failure::new(format!(
            "parameter `{name}` holds a line break or NUL character, which FTP cannot send"
        )));
    }
    Ok(())
}

fn check_host(host: &str) -> Result<(), Failure> {
    if host.is_empty() {
        return Err(Failure::new("parameter `host` is empty"));
    }
    if host
        .chars()
        .any(|c| c.is_whitespace() || c.is_control() || c == '/' || c == '@')
    {
        return Err(Failure::new(format!(
            "`{host}` is not a host name or address (give the user in `username` and the path in `remote_path`)"
        )));
    }
    Ok(())
}

/// `files.internal:2121`, `[::1]:21`, `::1`, `files.internal` → host and the port written.
fn split_host_port(written: &str) -> Result<(String, Option<u16>), Failure> {
    let bad_port = || {
        Failure::new(format!(
            "`{written}`: the port is not a number from 1 to 65535"
        ))
    };
    if let Some(rest) = written.strip_prefix('[') {
        let (host, after) = rest
            .split_once(']')
            .ok_or_else(|| Failure::new(format!("`{written}`: a `]` is missing")))?;
        let port = match after.strip_prefix(':') {
            Some(p) => Some(p.parse().ok().filter(|p| *p > 0).ok_or_else(bad_port)?),
            None if after.is_empty() => None,
            None => return Err(bad_port()),
        };
        return Ok((host.to_string(), port));
    }
    match written.rsplit_once(':') {
        Some((host, port)) if !host.contains(':') => Ok((
            host.to_ascii_lowercase(),
            Some(port.parse().ok().filter(|p| *p > 0).ok_or_else(bad_port)?),
        )),
        _ => Ok((written.to_ascii_lowercase(), None)),
    }
}

/// What an `ftp://` or `ftps://` URL says.
#[derive(Debug, PartialEq, Eq)]
struct UrlParts {
    host: String,
    port: Option<u16>,
    secure: bool,
    username: Option<String>,
    password: Option<String>,
    path: Option<String>,
}

impl UrlParts {
    fn parse(url: &str) -> Result<Self, Failure> {
        let parsed = reqwest::Url::parse(url)
            .map_err(|e| Failure::new(format!("`{}` is not a URL: {e}", shown_url(url))))?;
        let secure = match parsed.scheme() {
            "ftp" => false,
            "ftps" => true,
            other => {
                return Err(Failure::new(format!(
                    "`{}` is not an FTP URL (`{other}://`): write `ftp://host/path` or `ftps://host/path`",
                    shown_url(url)
                )))
            }
        };
        let host = parsed
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or_else(|| Failure::new(format!("`{}` names no host", shown_url(url))))?
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_ascii_lowercase();
        let decode = |s: &str| percent_decode(s);
        let username = Some(parsed.username())
            .filter(|u| !u.is_empty())
            .map(decode);
        let password = parsed.password().map(decode);
        // RFC 1738: the path is relative to the login folder; `%2F` starts an absolute one.
        let path = parsed.path().strip_prefix('/').unwrap_or(parsed.path());
        let path = Some(decode(path)).filter(|p| !p.is_empty());
        Ok(Self {
            host,
            port: parsed.port(),
            secure,
            username,
            password,
            path,
        })
    }
}

/// A URL as messages may show it: its password replaced by `***`.
fn shown_url(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        Ok(_) => url.to_string(),
        // Not a URL: hide whatever stands between `://` and `@`.
        Err(_) => match (url.find("://"), url.rfind('@')) {
            (Some(start), Some(at)) if at > start => {
                format!("{}***{}", &url[..start + 3], &url[at..])
            }
            _ => url.to_string(),
        },
    }
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The secrets an FTP step's parameters hold (the password, as written and as sent), for the
/// run's redactor: `(mask label, value)`.
pub(crate) fn secrets(step_type: &str, p: &Value) -> Vec<(String, String)> {
    let label = format!("{step_type}.password");
    let mut out = Vec::new();
    if let Some(Value::String(pw)) = p.get("password") {
        out.push((label.clone(), pw.clone()));
    }
    if let Some(Value::String(url)) = p.get("url") {
        if let Ok(parsed) = reqwest::Url::parse(url.trim()) {
            if let Some(pw) = parsed.password() {
                out.push((label.clone(), pw.to_string()));
                out.push((label.clone(), percent_decode(pw)));
            }
        }
    }
    out
}

/// The step's stage when the server refused or the connection broke.
#[derive(Debug, Clone)]
pub(super) enum Phase {
    Greeting,
    Tls,
    Login { user: String },
    Command(String),
    Upload { path: String },
    Download { path: String },
}

/// Why an FTP step failed, in words an operator can act on. No variant holds the password.
#[derive(Debug, thiserror::Error)]
pub(super) enum FtpFailure {
    #[error("cannot connect to {at}: connection refused (no FTP server listens there)")]
    ConnectionRefused { at: String },
    #[error("cannot reach {at}: {reason}")]
    Unreachable { at: String, reason: String },
    #[error("connecting to {at} took longer than {seconds}s (`connect_timeout_seconds`)")]
    ConnectTimeout { at: String, seconds: u64 },
    #[error("{at} does not offer FTPS: it answered `AUTH TLS` with `{said}`; leave `secure` out to use plain FTP")]
    NoTls { at: String, said: String },
    #[error("the TLS handshake with {at} failed: {reason}{hint}")]
    Tls {
        at: String,
        reason: String,
        hint: &'static str,
    },
    #[error("login to {at} as `{user}` failed: the server said `{said}`{hint}")]
    Login {
        at: String,
        user: String,
        said: String,
        hint: &'static str,
    },
    #[error("no such remote file `{path}` on {at}: the server said `{said}`")]
    NoSuchFile {
        at: String,
        path: String,
        said: String,
    },
    #[error("{at} refused to store `{path}`: the server said `{said}`{hint}")]
    StoreRefused {
        at: String,
        path: String,
        said: String,
        hint: &'static str,
    },
    #[error("{at} refused `{command}`: the server said `{said}`")]
    CommandRefused {
        at: String,
        command: String,
        said: String,
    },
    #[error("the connection with {at} broke during {what}: {reason}")]
    Broken {
        at: String,
        what: String,
        reason: String,
    },
    #[error("{reason}")]
    Setup { reason: String },
}

impl FtpFailure {
    fn connect(at: &str, e: &std::io::Error) -> Self {
        if e.kind() == std::io::ErrorKind::ConnectionRefused {
            Self::ConnectionRefused { at: at.to_string() }
        } else {
            Self::Unreachable {
                at: at.to_string(),
                reason: e.to_string(),
            }
        }
    }

    pub fn from_ftp(phase: Phase, at: &str, e: FtpError) -> Self {
        let at = at.to_string();
        let said =
            |r: &suppaftp::types::Response| String::from_utf8_lossy(&r.body).trim().to_string();
        match (phase, e) {
            (Phase::Tls, FtpError::UnexpectedResponse(r)) => Self::NoTls { at, said: said(&r) },
            (Phase::Tls, FtpError::SecureError(reason)) => {
                // The library words some errors twice (`Secure error: Secure error: …`).
                let reason = reason.trim_start_matches("Secure error: ").to_string();
                let hint = if reason.contains("certificate") || reason.contains("Certificate") {
                    ": trust the server's certificate authority with `ca_cert` (a workspace PEM file), and name the host as its certificate does"
                } else {
                    ""
                };
                Self::Tls { at, reason, hint }
            }
            (Phase::Login { user }, FtpError::UnexpectedResponse(r)) => {
                let said = said(&r);
                let hint = if said.contains("TLS") || said.contains("SSL") {
                    " (the server requires FTPS: set `secure: true`)"
                } else {
                    ""
                };
                Self::Login {
                    at,
                    user,
                    said,
                    hint,
                }
            }
            (Phase::Download { path }, FtpError::UnexpectedResponse(r))
                if matches!(
                    r.status,
                    Status::FileUnavailable | Status::RequestFileActionIgnored
                ) =>
            {
                Self::NoSuchFile {
                    at,
                    path,
                    said: said(&r),
                }
            }
            (Phase::Upload { path }, FtpError::UnexpectedResponse(r)) => {
                let hint = if r.status == Status::FileUnavailable {
                    " (does its folder exist? `create_dirs: true` creates it)"
                } else {
                    ""
                };
                Self::StoreRefused {
                    at,
                    path,
                    said: said(&r),
                    hint,
                }
            }
            (phase, FtpError::UnexpectedResponse(r)) => Self::CommandRefused {
                at,
                command: phase.command(),
                said: said(&r),
            },
            (phase, FtpError::SecureError(reason)) => Self::Tls {
                at: format!("{at} ({})", phase.command()),
                reason,
                hint: "",
            },
            (phase, FtpError::ConnectionError(io)) => Self::Broken {
                at,
                what: phase.command(),
                reason: io.to_string(),
            },
            (phase, other) => Self::Broken {
                at,
                what: phase.command(),
                reason: other.to_string(),
            },
        }
    }
}

impl Phase {
    fn command(&self) -> String {
        match self {
            Self::Greeting => "the greeting".into(),
            Self::Tls => "AUTH TLS".into(),
            Self::Login { .. } => "the login".into(),
            Self::Command(c) => c.clone(),
            Self::Upload { path } => format!("the upload of `{path}`"),
            Self::Download { path } => format!("the download of `{path}`"),
        }
    }
}

impl From<FtpFailure> for Failure {
    fn from(f: FtpFailure) -> Self {
        Failure::new(f.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_url_gives_host_port_user_password_and_path() {
        let u =
            UrlParts::parse("ftps://Deploy:p%40ss%3Aw@Files.Internal:2121/out/r%201.csv").unwrap();
        assert_eq!(
            u,
            UrlParts {
                host: "files.internal".into(),
                port: Some(2121),
                secure: true,
                username: Some("Deploy".into()),
                password: Some("p@ss:w".into()),
                path: Some("out/r 1.csv".into()),
            }
        );
        let u = UrlParts::parse("ftp://[::1]/%2Fabs/x").unwrap();
        assert_eq!(
            (u.host.as_str(), u.path.as_deref()),
            ("::1", Some("/abs/x"))
        );
        assert!(UrlParts::parse("http://h/x").is_err());
    }

    #[test]
    fn urls_in_messages_hide_the_password() {
        assert_eq!(shown_url("ftp://u:secret@h/x"), "ftp://u:***@h/x");
        assert_eq!(
            shown_url("ftp://u:secret@[h/x"),
            "ftp://***@[h/x",
            "not a URL"
        );
    }

    #[test]
    fn hosts_may_carry_their_port() {
        assert_eq!(
            split_host_port("Files.internal:2121").unwrap(),
            ("files.internal".into(), Some(2121))
        );
        assert_eq!(
            split_host_port("[::1]:21").unwrap(),
            ("::1".into(), Some(21))
        );
        assert_eq!(split_host_port("::1").unwrap(), ("::1".into(), None));
        assert!(split_host_port("h:0").is_err());
        assert!(check_host("user@h").is_err());
    }

    #[test]
    fn no_value_can_smuggle_a_second_ftp_command() {
        let base = json!({"host": "h", "username": "u\r\nDELE x"});
        assert!(Server::from_params(&base).is_err());
        let base = json!({"host": "h", "password": "p\nDELE x"});
        let e = Server::from_params(&base).unwrap_err();
        assert!(!e.message.contains("DELE"), "{}", e.message);
        assert!(check_remote_path("a.txt\r\nDELE b").is_err());
        assert!(check_remote_path("dir/a b.txt").is_ok());
    }

    #[test]
    fn the_password_never_shows_in_debug() {
        let s = Server::from_params(&json!({"host": "h", "username": "u", "password": "hunter22"}))
            .unwrap();
        assert!(!format!("{s:?}").contains("hunter22"));
        assert_eq!(s.port, 21);
        assert!(s.passive && s.binary && !s.secure);
    }

    #[test]
    fn secrets_cover_the_password_as_written_and_as_sent() {
        let got = secrets("ftp_upload", &json!({"url": "ftp://u:p%40ss@h/x"}));
        let values: Vec<&str> = got.iter().map(|(_, v)| v.as_str()).collect();
        assert_eq!(values, ["p%40ss", "p@ss"]);
        assert_eq!(got[0].0, "ftp_upload.password");
    }

    #[test]
    fn the_port_is_the_one_the_gate_checks() {
        let port = |p: Value| Server::from_params(&p).map(|s| s.port);
        assert_eq!(port(json!({"host": "h:2121"})).unwrap(), 2121);
        assert_eq!(port(json!({"host": "h:2121", "port": 2121})).unwrap(), 2121);
        assert_eq!(port(json!({"host": "h", "port": 2121})).unwrap(), 2121);
        assert!(port(json!({"host": "h:21", "port": 2121})).is_err());
        assert_eq!(port(json!({"url": "ftp://h:990/x"})).unwrap(), 990);
        assert!(port(json!({"url": "ftp://h/x", "port": 2121})).is_err());
    }

    #[test]
    fn anonymous_is_the_default_login() {
        let s = Server::from_params(&json!({"url": "ftp://h:2121/pub/x.txt"})).unwrap();
        assert_eq!((s.username.as_str(), s.port), ("anonymous", 2121));
        assert_eq!(s.url_path.as_deref(), Some("pub/x.txt"));
        assert_eq!(s.link("pub/x.txt"), "ftp://h:2121/pub/x.txt");
        assert!(Server::from_params(&json!({"url": "ftps://h/x", "secure": false})).is_err());
    }
}
