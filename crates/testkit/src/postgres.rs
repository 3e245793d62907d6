//! [`PostgresBuilder`] starts a real PostgreSQL server (Debian's `postgresql` package) for a
//! test: `initdb` in a temporary directory, then `postgres` on a free 127.0.0.1 port, TCP only
//! (no Unix socket), trust authentication for the user `crowsnest`, durability settings off
//! (the data is thrown away). PostgreSQL refuses to run as root, and CI runs as root: then the
//! server runs as an unprivileged system user through `setpriv` (`crowsnest-test`, created by
//! `scripts/test-deps.sh`, else the package's own `postgres`). Readiness is the server's own
//! "ready to accept connections" log line, so nothing polls or sleeps.
//!
//! Each test takes its own empty database from [`TestPostgres::create_database`]. The server is
//! stopped by its PID when the [`TestPostgres`] is dropped, and its directory removed.

use crate::registry::REQUIRE_ENV;
use crate::{Error, Result};
use std::io::{BufRead, BufReader};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

/// The role every test connects as (a superuser of the test cluster).
const ROLE: &str = "crowsnest";
/// The unprivileged users the server may run as when the tests run as root, in order.
const RUN_AS: &[&str] = &["crowsnest-test", "postgres"];
/// The line the server logs once it accepts connections.
const READY: &str = "database system is ready to accept connections";

/// The directory holding `initdb` and `postgres`: `CROWSNEST_POSTGRES_BIN` if set, else the
/// newest `/usr/lib/postgresql/N/bin` (Debian puts the server there, outside `PATH`), else a
/// `PATH` entry that has both.
pub fn postgres_bin_dir() -> Option<PathBuf> {
    let has_server = |d: &Path| d.join("initdb").is_file() && d.join("postgres").is_file();
    if let Some(dir) = std::env::var_os("CROWSNEST_POSTGRES_BIN") {
        return Some(PathBuf::from(dir)).filter(|d| has_server(d));
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let version = e.file_name().to_str()?.parse().ok()?;
            Some((version, e.path().join("bin")))
        })
        .filter(|(_, d)| has_server(d))
        .collect();
    versions.sort();
    if let Some((_, dir)) = versions.pop() {
        return Some(dir);
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path).find(|d| has_server(d))
}

/// True when PostgreSQL tests can run; prints why not when they cannot. Panics when the server
/// is missing but [`REQUIRE_ENV`] is set (CI).
pub fn postgres_available() -> bool {
    if postgres_bin_dir().is_some() {
        return true;
    }
    if std::env::var_os(REQUIRE_ENV).is_some() {
        panic!(
            "PostgreSQL (initdb, postgres) not found but {REQUIRE_ENV} is set: run \
             scripts/test-deps.sh (apt package postgresql)"
        );
    }
    eprintln!(
        "SKIPPED: PostgreSQL not found (apt-get install postgresql, or run scripts/test-deps.sh); \
         set {REQUIRE_ENV}=1 to make this a failure"
    );
    false
}

/// The user id and group id to run the server as: `None` when not root (it runs as we do).
fn run_as() -> Result<Option<(u32, u32)>> {
    let euid = std::fs::metadata("/proc/self")
        .map_err(Error::from_display)?
        .uid();
    if euid != 0 {
        return Ok(None);
    }
    let id = |flag: &str, user: &str| -> Option<u32> {
        let out = Command::new("id").args([flag, user]).output().ok()?;
        out.status.success().then_some(())?;
        String::from_utf8(out.stdout).ok()?.trim().parse().ok()
    };
    RUN_AS
        .iter()
        .find_map(|user| Some((id("-u", user)?, id("-g", user)?)))
        .map(Some)
        .ok_or_else(|| {
            Error::new(format!(
                "running as root, and none of the users {RUN_AS:?} exists to run PostgreSQL as \
                 (it refuses root): run scripts/test-deps.sh"
            ))
        })
}

/// Configures a PostgreSQL server to start. See the module docs.
#[derive(Debug, Clone, Default)]
pub struct PostgresBuilder {
    settings: Vec<(String, String)>,
}

impl PostgresBuilder {
    pub fn new() -> Self {
        Self::default()
    }

    /// A server setting (`postgres -c name=value`), e.g. `max_connections`.
    pub fn setting(mut self, name: &str, value: &str) -> Self {
        self.settings.push((name.into(), value.into()));
        self
    }

    /// Starts it, or returns `None` (after printing why) when PostgreSQL is missing and
    /// [`REQUIRE_ENV`] is unset. Panics on a start failure: a test cannot go on without it.
    pub fn start_or_skip(self) -> Option<TestPostgres> {
        if !postgres_available() {
            return None;
        }
        // The free port is found by binding and releasing it, so another process can take it
        // in between; a second try with a new port settles that.
        let mut last = None;
        for _ in 0..3 {
            match self.clone().start() {
                Ok(pg) => return Some(pg),
                Err(e) => last = Some(e),
            }
        }
        panic!(
            "cannot start PostgreSQL: {}",
            last.map(|e| e.to_string()).unwrap_or_default()
        )
    }

    /// Runs `initdb` and starts the server. Blocks until it accepts connections (a few
    /// seconds at most; call it from a test's setup, not from a latency-sensitive task).
    pub fn start(self) -> Result<TestPostgres> {
        let bin = postgres_bin_dir().ok_or_else(|| Error::new("PostgreSQL not found"))?;
        let user = run_as()?;
        let dir = tempfile::tempdir().map_err(Error::from_display)?;
        if let Some((uid, gid)) = user {
            std::os::unix::fs::chown(dir.path(), Some(uid), Some(gid))
                .map_err(Error::from_display)?;
        }
        let data = dir.path().join("data");
        let out = command(&bin.join("initdb"), user)
            .arg("-D")
            .arg(&data)
            .args(["-U", ROLE, "--auth=trust", "--no-sync", "--encoding=UTF8"])
            .args(["--locale=C"])
            .stdin(Stdio::null())
            .output()
            .map_err(|e| Error::new(format!("cannot run initdb: {e}")))?;
        if !out.status.success() {
            return Err(Error::new(format!(
                "initdb failed: {}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            )));
        }
        let mut args = vec![
            ("listen_addresses".to_string(), "127.0.0.1".to_string()),
            ("unix_socket_directories".into(), String::new()),
            // Throw-away data: no durability, so tests do not wait on the disk.
            ("fsync".into(), "off".into()),
            ("synchronous_commit".into(), "off".into()),
            ("full_page_writes".into(), "off".into()),
            ("max_connections".into(), "200".into()),
        ];
        args.extend(self.settings);
        let mut pg = TestPostgres {
            child: None,
            bin,
            user,
            data,
            port: free_port()?,
            settings: args,
            next_db: AtomicUsize::new(0),
            log: Arc::new(Mutex::new(String::new())),
            _dir: dir,
        };
        pg.restart()?;
        Ok(pg)
    }
}

/// A command that runs as `user` (through `setpriv`) when given, with a minimal environment.
fn command(program: &Path, user: Option<(u32, u32)>) -> Command {
    let mut c = match user {
        Some((uid, gid)) => {
            let mut c = Command::new("setpriv");
            c.arg(format!("--reuid={uid}"))
                .arg(format!("--regid={gid}"))
                .arg("--clear-groups")
                .arg(program);
            c
        }
        None => Command::new(program),
    };
    c.env_clear()
        .env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
        .env("LANG", "C");
    c
}

fn free_port() -> Result<u16> {
    let l = std::net::TcpListener::bind("127.0.0.1:0").map_err(Error::from_display)?;
    Ok(l.local_addr().map_err(Error::from_display)?.port())
}

/// A running PostgreSQL server; stopped (by its PID) on drop, its directory removed.
#[derive(Debug)]
pub struct TestPostgres {
    /// `None` while stopped by [`TestPostgres::stop`].
    child: Option<Child>,
    bin: PathBuf,
    user: Option<(u32, u32)>,
    data: PathBuf,
    port: u16,
    settings: Vec<(String, String)>,
    next_db: AtomicUsize,
    log: Arc<Mutex<String>>,
    _dir: tempfile::TempDir,
}

impl TestPostgres {
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The URL of a database of this server (`postgres://crowsnest@127.0.0.1:PORT/NAME`).
    pub fn url(&self, database: &str) -> String {
        format!("postgres://{ROLE}@127.0.0.1:{}/{database}", self.port)
    }

    /// Creates a new empty database and returns its URL: one per test, so tests sharing a
    /// server never see each other's rows.
    pub fn create_database(&self) -> Result<String> {
        let name = format!("test{}", self.next_db.fetch_add(1, Ordering::Relaxed));
        let out = Command::new(self.bin.join("createdb"))
            .args(["-h", "127.0.0.1", "-p", &self.port.to_string(), "-U", ROLE])
            .arg(&name)
            .stdin(Stdio::null())
            .output()
            .map_err(|e| Error::new(format!("cannot run createdb: {e}")))?;
        if !out.status.success() {
            return Err(Error::new(format!(
                "createdb {name} failed: {}",
                String::from_utf8_lossy(&out.stderr)
            )));
        }
        Ok(self.url(&name))
    }

    /// What the server has logged so far.
    pub fn log(&self) -> String {
        self.log.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Stops the server with a fast shutdown (SIGINT: open connections are closed, the data
    /// is kept) and waits for it to exit. [`TestPostgres::restart`] brings it back on the same
    /// port with the same data; until then connections are refused.
    pub fn stop(&mut self) {
        self.signal_and_wait("-INT");
    }

    /// Starts the server (again, after [`TestPostgres::stop`]) and waits until it accepts
    /// connections.
    pub fn restart(&mut self) -> Result<()> {
        self.stop();
        let mut c = command(&self.bin.join("postgres"), self.user);
        c.arg("-D")
            .arg(&self.data)
            .args(["-p", &self.port.to_string()]);
        for (name, value) in &self.settings {
            c.arg("-c").arg(format!("{name}={value}"));
        }
        let mut child = c
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| Error::new(format!("cannot start postgres: {e}")))?;
        let Some(stderr) = child.stderr.take() else {
            let _ = child.kill();
            let _ = child.wait();
            return Err(Error::new("no stderr pipe"));
        };
        let (ready_tx, ready_rx) = mpsc::channel::<()>();
        let log = self.log.clone();
        std::thread::spawn(move || {
            let mut ready = Some(ready_tx);
            for line in BufReader::new(stderr)
                .lines()
                .map_while(std::io::Result::ok)
            {
                if line.contains(READY)
                    && let Some(tx) = ready.take()
                {
                    let _ = tx.send(());
                }
                let mut l = log.lock().unwrap_or_else(|p| p.into_inner());
                l.push_str(&line);
                l.push('\n');
            }
        });
        // The reader thread drops the sender at EOF, so an exiting server ends the wait too.
        if ready_rx.recv_timeout(Duration::from_secs(60)).is_err() {
            let _ = child.kill();
            let _ = child.wait();
            return Err(Error::new(format!(
                "postgres did not become ready; its log:\n{}",
                self.log()
            )));
        }
        self.child = Some(child);
        Ok(())
    }

    /// True while the server runs.
    pub fn is_running(&self) -> bool {
        self.child.is_some()
    }

    /// Sends a signal to the postmaster by its PID (it may run as another user, which
    /// `Child::kill` could signal too, but only with SIGKILL) and waits for it to exit.
    fn signal_and_wait(&mut self, signal: &str) {
        if let Some(mut child) = self.child.take() {
            let sent = Command::new("kill")
                .arg(signal)
                .arg(child.id().to_string())
                .status()
                .is_ok_and(|s| s.success());
            if !sent {
                let _ = child.kill();
            }
            let _ = child.wait();
        }
    }
}

impl Drop for TestPostgres {
    fn drop(&mut self) {
        // Immediate shutdown: the data is deleted next, so nothing needs to be flushed.
        self.signal_and_wait("-QUIT");
    }
}
