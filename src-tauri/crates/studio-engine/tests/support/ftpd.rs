//! A private FTP server for tests: Debian's pyftpdlib (`python3-pyftpdlib`; FTPS through
//! `python3-openssl`) on 127.0.0.1 at a port the server picks and reports, serving a
//! temporary folder to one user.
//!
//! The server runs as a child of the test and is stopped on drop, by its own pid (also when a
//! test panics). For FTPS, a certificate authority and a server certificate for `127.0.0.1`
//! are made with the `openssl` program in the same temporary folder. Nothing is skipped: when
//! a package is missing the test fails and names it (`make setup-test` installs them).
//!
//! Debian's Python is used by its path (`/usr/bin/python3`), where Debian's packages are
//! installed, whatever other Python comes first in `PATH`.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const PYTHON: &str = "/usr/bin/python3";
const SETUP_HINT: &str =
    "run `make setup-test` (it installs python3-pyftpdlib, python3-openssl and openssl)";
const START_DEADLINE: Duration = Duration::from_secs(60);

pub const USER: &str = "mission";
/// FTP-awkward characters, so that nothing splits or shows it.
pub const PASSWORD: &str = "s3cr3t:pa ss@ftp";

/// The server: a user with every right on its root; FTPS with `--cert`; transfers slowed to
/// `--throttle` bytes a second. It prints its port, then serves until it is killed.
const SERVER: &str = r#"
import argparse, sys
from pyftpdlib.authorizers import DummyAuthorizer
from pyftpdlib.handlers import FTPHandler, ThrottledDTPHandler
from pyftpdlib.servers import FTPServer

p = argparse.ArgumentParser()
p.add_argument("--root"); p.add_argument("--user"); p.add_argument("--password")
p.add_argument("--cert"); p.add_argument("--key"); p.add_argument("--throttle", type=int)
a = p.parse_args()
auth = DummyAuthorizer()
auth.add_user(a.user, a.password, a.root, perm="elradfmwMT")
handler = FTPHandler
if a.cert:
    from pyftpdlib.handlers import TLS_FTPHandler
    handler = TLS_FTPHandler
    handler.certfile = a.cert
    handler.keyfile = a.key
    handler.tls_control_required = True
    handler.tls_data_required = True
if a.throttle:
    class Slow(ThrottledDTPHandler):
        read_limit = a.throttle
        write_limit = a.throttle
    handler.dtp_handler = Slow
handler.authorizer = auth
handler.banner = "mission studio test server"
server = FTPServer(("127.0.0.1", 0), handler)
print("PORT", server.address[1], flush=True)
server.serve_forever()
"#;

/// How the server is set up.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// Explicit FTPS required (control and data).
    pub tls: bool,
    /// Transfers limited to this many bytes a second.
    pub throttle: Option<u32>,
}

/// A running FTP server.
pub struct Ftpd {
    child: Child,
    pub port: u16,
    /// What the user sees as `/`.
    pub root: PathBuf,
    /// The PEM certificate of the authority that signed the server's certificate (FTPS).
    pub ca_pem: Option<PathBuf>,
    log: PathBuf,
    dir: tempfile::TempDir,
}

impl Ftpd {
    pub fn start(options: Options) -> Ftpd {
        assert!(
            Path::new(PYTHON).exists(),
            "{PYTHON} (Debian's python3) is missing: {SETUP_HINT}"
        );
        let modules = if options.tls {
            "import pyftpdlib, OpenSSL"
        } else {
            "import pyftpdlib"
        };
        let probe = Command::new(PYTHON)
            .args(["-c", modules])
            .output()
            .unwrap_or_else(|e| panic!("cannot run {PYTHON}: {e}; {SETUP_HINT}"));
        assert!(
            probe.status.success(),
            "pyftpdlib{} cannot be imported ({}): {SETUP_HINT}",
            if options.tls { " or pyOpenSSL" } else { "" },
            String::from_utf8_lossy(&probe.stderr).trim()
        );

        let dir = tempfile::tempdir().unwrap();
        let base = dir.path().canonicalize().unwrap();
        let root = base.join("root");
        std::fs::create_dir_all(&root).unwrap();
        let log = base.join("ftpd.log");
        let mut command = Command::new(PYTHON);
        command.args(["-c", SERVER, "--root"]).arg(&root).args([
            "--user",
            USER,
            "--password",
            PASSWORD,
        ]);
        let mut ca_pem = None;
        if options.tls {
            let (ca, cert, key) = make_certificates(&base);
            command.arg("--cert").arg(cert).arg("--key").arg(key);
            ca_pem = Some(ca);
        }
        if let Some(rate) = options.throttle {
            command.args(["--throttle", &rate.to_string()]);
        }
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start the FTP server: {e}; {SETUP_HINT}"));
        let port = read_port(&mut child, &log);
        let mut server = Ftpd {
            child,
            port,
            root,
            ca_pem,
            log,
            dir,
        };
        server.wait_ready();
        server
    }

    /// What the server logged so far (each command it received, among others).
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    fn wait_ready(&mut self) {
        let deadline = Instant::now() + START_DEADLINE;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "the FTP server exited ({status}) while starting; its log:\n{}",
                    self.log()
                );
            }
            if let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", self.port)) {
                let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
                let mut greeting = [0u8; 4];
                if stream.read_exact(&mut greeting).is_ok() && greeting.starts_with(b"220") {
                    return;
                }
            }
            assert!(
                Instant::now() < deadline,
                "the FTP server did not answer on port {} in time; its log:\n{}",
                self.port,
                self.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Ftpd {
    fn drop(&mut self) {
        // Exactly the process started: SIGKILL to its pid, then reap it.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The `PORT <n>` line the server prints once it listens.
fn read_port(child: &mut Child, log: &Path) -> u16 {
    let stdout = child.stdout.take().expect("the server's stdout is piped");
    let mut line = String::new();
    let read = BufReader::new(stdout).read_line(&mut line);
    match (read, line.trim().strip_prefix("PORT ")) {
        (Ok(_), Some(port)) => port.parse().expect("the server prints a port number"),
        _ => {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "the FTP server did not start; its log:\n{}\n{SETUP_HINT}",
                std::fs::read_to_string(log).unwrap_or_default()
            )
        }
    }
}

/// A certificate authority and a server certificate (for `127.0.0.1` and `localhost`) signed by
/// it, as PEM files: `(ca.pem, server.pem, server.key)`.
fn make_certificates(dir: &Path) -> (PathBuf, PathBuf, PathBuf) {
    let ca_key = dir.join("ca.key");
    let ca = dir.join("ca.pem");
    let key = dir.join("server.key");
    let csr = dir.join("server.csr");
    let cert = dir.join("server.pem");
    let ext = dir.join("server.ext");
    std::fs::write(
        &ext,
        "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n\
         extendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n",
    )
    .unwrap();
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
    ];
    openssl(
        &[
            &["req", "-x509"][..],
            &ec,
            &[
                "-days",
                "2",
                "-subj",
                "/CN=Mission Studio test CA",
                "-keyout",
            ],
        ]
        .concat(),
        &[&ca_key, Path::new("-out"), &ca],
    );
    openssl(
        &[&["req"][..], &ec, &["-subj", "/CN=127.0.0.1", "-keyout"]].concat(),
        &[&key, Path::new("-out"), &csr],
    );
    openssl(
        &["x509", "-req", "-days", "2", "-set_serial", "2", "-in"],
        &[
            &csr,
            Path::new("-CA"),
            &ca,
            Path::new("-CAkey"),
            &ca_key,
            Path::new("-extfile"),
            &ext,
            Path::new("-out"),
            &cert,
        ],
    );
    (ca, cert, key)
}

fn openssl(args: &[&str], paths: &[&Path]) {
    let out = Command::new("openssl")
        .args(args)
        .args(paths)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run openssl: {e}; {SETUP_HINT}"));
    assert!(
        out.status.success(),
        "openssl {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}
