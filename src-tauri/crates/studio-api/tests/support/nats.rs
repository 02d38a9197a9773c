//! A private NATS server with JetStream for one test: on 127.0.0.1 at a port picked at run time,
//! its store in a folder the test owns, stopped by its pid when dropped (so also when the test
//! panics).
//!
//! Nothing is skipped: when `nats-server` is not installed the test fails and names the Debian
//! package (`make setup-test` installs it).

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long the server may take to start on a slow, busy machine.
const START_DEADLINE: Duration = Duration::from_secs(60);

const SETUP_HINT: &str =
    "install the Debian package `nats-server` (`make setup-test` does it) and run the tests again";

/// A running `nats-server -js`.
pub struct NatsServer {
    child: Child,
    pub port: u16,
    /// `nats://127.0.0.1:<port>`
    pub url: String,
    store: PathBuf,
    log: PathBuf,
}

impl NatsServer {
    /// Starts a server with its JetStream store (and log) under `dir`.
    pub fn start(dir: &Path) -> Self {
        Self::start_on(dir, free_port())
    }

    /// Starts a server on `port` with its store under `dir` (used to restart one in place).
    pub fn start_on(dir: &Path, port: u16) -> Self {
        let program = find_on_path("nats-server")
            .unwrap_or_else(|| panic!("nats-server is not installed: {SETUP_HINT}"));
        std::fs::create_dir_all(dir).expect("the server's folder");
        let store = dir.join("jetstream");
        let log = dir.join("nats-server.log");
        let child = Command::new(program)
            .args(["-js", "-a", "127.0.0.1", "-p", &port.to_string()])
            .arg("-sd")
            .arg(&store)
            .arg("-l")
            .arg(&log)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start nats-server ({e}): {SETUP_HINT}"));
        let mut server = NatsServer {
            child,
            port,
            url: format!("nats://127.0.0.1:{port}"),
            store,
            log,
        };
        server.wait_ready();
        server
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The folder of its JetStream store.
    pub fn store(&self) -> &Path {
        &self.store
    }

    /// Stops the server (SIGTERM, by pid) and waits until it has exited.
    pub fn stop(mut self) {
        self.terminate();
    }

    fn terminate(&mut self) {
        use nix::sys::signal::{kill, Signal};
        use nix::unistd::Pid;
        let pid = Pid::from_raw(self.child.id() as i32);
        let _ = kill(pid, Signal::SIGTERM);
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Waits until the server greets a client with its INFO line.
    fn wait_ready(&mut self) {
        let started = Instant::now();
        while !greets(self.port) {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "nats-server exited ({status}) while starting; its log:\n{}",
                    std::fs::read_to_string(&self.log).unwrap_or_default()
                );
            }
            assert!(
                started.elapsed() < START_DEADLINE,
                "nats-server did not accept connections on port {}; its log:\n{}",
                self.port,
                std::fs::read_to_string(&self.log).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        self.terminate();
    }
}

/// A port nobody listens on (bound, then released).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port on 127.0.0.1")
}

fn greets(port: u16) -> bool {
    let Ok(stream) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let mut line = String::new();
    let _ = BufReader::new(stream).read_line(&mut line);
    line.starts_with("INFO ")
}

fn find_on_path(program: &str) -> Option<PathBuf> {
    std::env::var_os("PATH")
        .and_then(|paths| {
            std::env::split_paths(&paths)
                .map(|dir| dir.join(program))
                .find(|p| p.is_file())
        })
        .or_else(|| Some(PathBuf::from("/usr/sbin").join(program)).filter(|p| p.is_file()))
}
