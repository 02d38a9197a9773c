//! A private OpenSSH server for tests: `/usr/sbin/sshd` on 127.0.0.1 at a port picked at run
//! time, with a host key and an authorized client key generated into a temporary folder.
//!
//! The server runs in the foreground (`-D -e`) as a child of the test and is stopped on drop,
//! by its own pid (also when a test panics). Nothing is skipped: when `sshd` or `ssh-keygen` is
//! missing the test fails and says to run `make setup-test` (it installs openssh-server and
//! openssh-client without starting Debian's service).
//!
//! The tests run as root, so the login is as root (`PermitRootLogin prohibit-password`); as
//! another user, sshd (without privilege separation's root parts) logs in only as that user.

#![allow(dead_code)]

use std::io::Read;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const SSHD: &str = "/usr/sbin/sshd";
const SETUP_HINT: &str = "run `make setup-test` (it installs openssh-server and openssh-client)";
const START_DEADLINE: Duration = Duration::from_secs(60);

/// A running sshd.
pub struct Sshd {
    child: Child,
    pub port: u16,
    /// The user the tests log in as.
    pub user: String,
    /// The authorized client key (private half).
    pub client_key: PathBuf,
    /// `[127.0.0.1]:<port> <type> <key>`: the line that trusts this server's host key.
    pub known_hosts_line: String,
    log: PathBuf,
    dir: tempfile::TempDir,
}

impl Sshd {
    pub fn start() -> Sshd {
        assert!(Path::new(SSHD).exists(), "{SSHD} is missing: {SETUP_HINT}");
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        let host_key = root.join("host_key");
        keygen(&host_key);
        let client_key = root.join("client_key");
        keygen(&client_key);
        let authorized = root.join("authorized_keys");
        std::fs::copy(root.join("client_key.pub"), &authorized).unwrap();
        std::fs::create_dir_all("/run/sshd").expect("sshd needs /run/sshd");

        let port = free_port();
        let config = root.join("sshd_config");
        std::fs::write(
            &config,
            format!(
                "Port {port}\nListenAddress 127.0.0.1\nHostKey {}\nAuthorizedKeysFile {}\nPidFile {}\n\
                 UsePAM no\nStrictModes no\nPermitRootLogin prohibit-password\n\
                 PubkeyAuthentication yes\nPasswordAuthentication no\nKbdInteractiveAuthentication no\n\
                 AcceptEnv none\nPrintMotd no\n",
                host_key.display(),
                authorized.display(),
                root.join("sshd.pid").display()
            ),
        )
        .unwrap();
        let log = root.join("sshd.log");
        let out = std::fs::File::create(&log).unwrap();
        let err = out.try_clone().unwrap();
        let child = Command::new(SSHD)
            .arg("-D")
            .arg("-e")
            .arg("-f")
            .arg(&config)
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {SSHD}: {e}; {SETUP_HINT}"));
        let pub_line = std::fs::read_to_string(root.join("host_key.pub")).unwrap();
        let mut fields = pub_line.split_whitespace();
        let known_hosts_line = format!(
            "[127.0.0.1]:{port} {} {}",
            fields.next().unwrap(),
            fields.next().unwrap()
        );
        let mut sshd = Sshd {
            child,
            port,
            user: current_user(),
            client_key,
            known_hosts_line,
            log,
            dir,
        };
        sshd.wait_ready();
        sshd
    }

    /// The temporary folder (keys, config, log).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// What sshd logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// A fresh key pair that this server does not authorize (private half's path).
    pub fn stranger_key(&self) -> PathBuf {
        let key = self.dir.path().join("stranger_key");
        if !key.exists() {
            keygen(&key);
        }
        key
    }

    /// A known_hosts line for this server's address with another host key than its own.
    pub fn wrong_known_hosts_line(&self) -> String {
        let key = self.dir.path().join("impostor_host_key");
        if !key.exists() {
            keygen(&key);
        }
        let pub_line = std::fs::read_to_string(key.with_extension("pub")).unwrap();
        let mut fields = pub_line.split_whitespace();
        format!(
            "[127.0.0.1]:{} {} {}",
            self.port,
            fields.next().unwrap(),
            fields.next().unwrap()
        )
    }

    fn wait_ready(&mut self) {
        let deadline = Instant::now() + START_DEADLINE;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "sshd exited ({status}) while starting; its log:\n{}",
                    self.log()
                );
            }
            if let Ok(mut stream) = TcpStream::connect(("127.0.0.1", self.port)) {
                let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
                let mut banner = [0u8; 8];
                if stream.read_exact(&mut banner).is_ok() && banner.starts_with(b"SSH-") {
                    return;
                }
            }
            assert!(
                Instant::now() < deadline,
                "sshd did not accept connections on port {} in time; its log:\n{}",
                self.port,
                self.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Sshd {
    fn drop(&mut self) {
        // Exactly the process started: SIGKILL to its pid, then reap it.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn keygen(path: &Path) {
    let status = Command::new("ssh-keygen")
        .args([
            "-q",
            "-t",
            "ed25519",
            "-N",
            "",
            "-C",
            "mission-studio-test",
            "-f",
        ])
        .arg(path)
        .stdin(Stdio::null())
        .status()
        .unwrap_or_else(|e| panic!("cannot run ssh-keygen: {e}; {SETUP_HINT}"));
    assert!(status.success(), "ssh-keygen failed for {}", path.display());
}

fn current_user() -> String {
    let out = Command::new("id")
        .arg("-un")
        .output()
        .expect("`id -un` runs");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// A port nobody listens on (bound, then released).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port on 127.0.0.1")
}
