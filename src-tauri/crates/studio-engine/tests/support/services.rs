//! Private database servers for tests: a PostgreSQL and a Redis of the test's own, on
//! 127.0.0.1 at ports picked at run time, with their data in a temporary folder.
//!
//! [`postgres`] and [`redis`] hand out a shared server: tests that run at the same time share
//! one, and the last to let it go stops it. Stopping signals exactly the process that was
//! started, by its pid, and waits for it; it happens on drop, so also when a test panics.
//!
//! Nothing is skipped: when PostgreSQL or Redis is not installed the test fails and says to run
//! `make setup-test` (which installs `postgresql-15`, `postgresql-client-15` and `redis-server`
//! without starting Debian's own services).
//!
//! PostgreSQL refuses to run as root; when the tests run as root, `initdb` and `postgres` run
//! as the `postgres` system user (`setpriv`), with the data folder owned by it.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

/// How long a server may take to start on a slow, busy machine before the test gives up.
const START_DEADLINE: Duration = Duration::from_secs(120);

const SETUP_HINT: &str =
    "run `make setup-test` (it installs postgresql-15, postgresql-client-15 and redis-server)";

/// The password of the test servers: URL-special characters, so that encoding and masking are
/// exercised for real.
pub const PASSWORD: &str = "pa:ss@w0rd/1";
/// [`PASSWORD`] as it appears in a URL.
pub const PASSWORD_IN_URL: &str = "pa%3Ass%40w0rd%2F1";

/// A running PostgreSQL.
pub struct Postgres {
    process: Process,
    pub port: u16,
    /// `postgres://mission:<password>@127.0.0.1:<port>/postgres`
    pub url: String,
    _dir: tempfile::TempDir,
}

impl Postgres {
    /// A URL for another database of this server (created with [`Postgres::create_database`]).
    pub fn url_for(&self, database: &str) -> String {
        format!(
            "postgres://mission:{PASSWORD_IN_URL}@127.0.0.1:{}/{database}",
            self.port
        )
    }
}

/// A running Redis.
pub struct Redis {
    process: Process,
    pub port: u16,
    /// `redis://:<password>@127.0.0.1:<port>`
    pub url: String,
    _dir: tempfile::TempDir,
}

/// The shared PostgreSQL of the tests running now (started on first use).
pub fn postgres() -> Arc<Postgres> {
    static SHARED: Mutex<Weak<Postgres>> = Mutex::new(Weak::new());
    let mut shared = SHARED.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(pg) = shared.upgrade() {
        return pg;
    }
    let pg = Arc::new(start_postgres());
    *shared = Arc::downgrade(&pg);
    pg
}

/// The shared Redis of the tests running now (started on first use).
pub fn redis() -> Arc<Redis> {
    static SHARED: Mutex<Weak<Redis>> = Mutex::new(Weak::new());
    let mut shared = SHARED.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(r) = shared.upgrade() {
        return r;
    }
    let r = Arc::new(start_redis());
    *shared = Arc::downgrade(&r);
    r
}

/// A port nobody listens on (bound, then released).
pub fn closed_port() -> u16 {
    free_port()
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port on 127.0.0.1")
}

/// A started server process, stopped (by its pid) when dropped.
struct Process {
    child: Child,
    name: &'static str,
    log: PathBuf,
}

impl Drop for Process {
    fn drop(&mut self) {
        use nix::sys::signal::{kill, Signal};
        use nix::unistd::Pid;
        let pid = Pid::from_raw(self.child.id() as i32);
        // PostgreSQL: SIGINT is its "fast shutdown"; Redis exits on SIGTERM.
        let signal = if self.name == "postgres" {
            Signal::SIGINT
        } else {
            Signal::SIGTERM
        };
        let _ = kill(pid, signal);
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
}

impl Process {
    /// Fails the test when the server ended on its own, showing its log.
    fn check_alive(&mut self) {
        if let Ok(Some(status)) = self.child.try_wait() {
            panic!(
                "{} exited ({status}) while starting; its log:\n{}",
                self.name,
                std::fs::read_to_string(&self.log).unwrap_or_default()
            );
        }
    }
}

fn is_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    // The owner of what this process creates is its effective user.
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

/// The folder of PostgreSQL's server programs (`initdb`, `postgres`, `pg_isready`): Debian keeps
/// them in `/usr/lib/postgresql/<version>/bin`; elsewhere they are on PATH.
fn postgres_bin() -> PathBuf {
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let version = e.file_name().to_string_lossy().parse::<u32>().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").exists().then_some((version, bin))
        })
        .collect();
    versions.sort();
    if let Some((_, bin)) = versions.pop() {
        return bin;
    }
    if let Some(dir) = find_on_path("initdb").and_then(|p| p.parent().map(Path::to_path_buf)) {
        return dir;
    }
    panic!("PostgreSQL (initdb, postgres) is not installed: {SETUP_HINT}");
}

fn find_on_path(program: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(program))
            .find(|p| p.is_file())
    })
}

/// `command` run as the `postgres` user when we are root.
fn as_postgres_user(program: &Path) -> Command {
    if is_root() {
        let mut cmd = Command::new("setpriv");
        cmd.args([
            "--reuid=postgres",
            "--regid=postgres",
            "--clear-groups",
            "--",
        ])
        .arg(program);
        cmd
    } else {
        Command::new(program)
    }
}

/// The uid and gid of the `postgres` user.
fn postgres_ids() -> (u32, u32) {
    let passwd = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
    passwd
        .lines()
        .map(|l| l.split(':').collect::<Vec<_>>())
        .find(|f| f.len() > 3 && f[0] == "postgres")
        .and_then(|f| Some((f[2].parse().ok()?, f[3].parse().ok()?)))
        .unwrap_or_else(|| {
            panic!("the tests run as root and there is no `postgres` user: {SETUP_HINT}")
        })
}

fn start_postgres() -> Postgres {
    let bin = postgres_bin();
    let dir = tempfile::tempdir().expect("a temporary folder");
    let data = dir.path().join("data");
    let socket = dir.path().join("socket");
    let pwfile = dir.path().join("pwfile");
    let log = dir.path().join("postgres.log");
    std::fs::create_dir(&data).unwrap();
    std::fs::create_dir(&socket).unwrap();
    std::fs::write(&pwfile, PASSWORD).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o700)).unwrap();
    if is_root() {
        // The folder itself must be traversable by the server's user.
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        let (uid, gid) = postgres_ids();
        for path in [&data, &socket, &pwfile] {
            std::os::unix::fs::chown(path, Some(uid), Some(gid)).unwrap();
        }
        std::fs::File::create(&log).unwrap();
        std::os::unix::fs::chown(&log, Some(uid), Some(gid)).unwrap();
    }
    let init = as_postgres_user(&bin.join("initdb"))
        .arg("-D")
        .arg(&data)
        .args(["-U", "mission", "-E", "UTF8", "--no-locale", "--no-sync"])
        .args(["--auth-local=trust", "--auth-host=scram-sha-256"])
        .arg(format!("--pwfile={}", pwfile.display()))
        .output()
        .unwrap_or_else(|e| panic!("cannot run initdb ({e}): {SETUP_HINT}"));
    assert!(
        init.status.success(),
        "initdb failed: {}{}",
        String::from_utf8_lossy(&init.stdout),
        String::from_utf8_lossy(&init.stderr)
    );
    let port = free_port();
    let out = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&log)
        .unwrap();
    let child = as_postgres_user(&bin.join("postgres"))
        .arg("-D")
        .arg(&data)
        .args(["-p", &port.to_string(), "-h", "127.0.0.1"])
        .arg("-k")
        .arg(&socket)
        .args(["-c", "fsync=off", "-c", "synchronous_commit=off"])
        .args(["-c", "full_page_writes=off", "-c", "max_connections=40"])
        .stdin(Stdio::null())
        .stdout(out.try_clone().unwrap())
        .stderr(out)
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start postgres ({e}): {SETUP_HINT}"));
    let mut process = Process {
        child,
        name: "postgres",
        log,
    };
    let started = Instant::now();
    loop {
        process.check_alive();
        let ready = Command::new(bin.join("pg_isready"))
            .args(["-q", "-h", "127.0.0.1", "-p", &port.to_string()])
            .status()
            .is_ok_and(|s| s.success());
        if ready {
            break;
        }
        assert!(
            started.elapsed() < START_DEADLINE,
            "PostgreSQL did not accept connections on port {port}; its log:\n{}",
            std::fs::read_to_string(&process.log).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    Postgres {
        process,
        port,
        url: format!("postgres://mission:{PASSWORD_IN_URL}@127.0.0.1:{port}/postgres"),
        _dir: dir,
    }
}

fn start_redis() -> Redis {
    let program = find_on_path("redis-server")
        .or_else(|| Some(PathBuf::from("/usr/bin/redis-server")).filter(|p| p.exists()))
        .unwrap_or_else(|| panic!("Redis (redis-server) is not installed: {SETUP_HINT}"));
    let dir = tempfile::tempdir().expect("a temporary folder");
    let log = dir.path().join("redis.log");
    let port = free_port();
    let child = Command::new(program)
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
        .arg("--dir")
        .arg(dir.path())
        .args(["--save", "", "--appendonly", "no", "--daemonize", "no"])
        .args(["--requirepass", PASSWORD])
        .arg("--logfile")
        .arg(&log)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start redis-server ({e}): {SETUP_HINT}"));
    let mut process = Process {
        child,
        name: "redis-server",
        log,
    };
    let started = Instant::now();
    // Any answer to PING (even "NOAUTH") means it accepts connections.
    while !answers_ping(port) {
        process.check_alive();
        assert!(
            started.elapsed() < START_DEADLINE,
            "Redis did not accept connections on port {port}; its log:\n{}",
            std::fs::read_to_string(&process.log).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    Redis {
        process,
        port,
        url: format!("redis://:{PASSWORD_IN_URL}@127.0.0.1:{port}"),
        _dir: dir,
    }
}

fn answers_ping(port: u16) -> bool {
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    if stream.write_all(b"PING\r\n").is_err() {
        return false;
    }
    let mut line = String::new();
    let _ = BufReader::new(&mut stream).read_line(&mut line);
    line.starts_with('+') || line.starts_with('-')
}
