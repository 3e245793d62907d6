//! [`RegistryBuilder`] starts Debian's `docker-registry` (distribution 2.8) on a free
//! 127.0.0.1 port in a temporary directory, in one of four modes: anonymous, htpasswd Basic,
//! bearer token (with the in-process token service of [`crate::token`]), each optionally over
//! TLS with a generated CA and optionally demanding a client certificate. The process is
//! started with an empty environment (distribution reads `REGISTRY_*` variables as config
//! overrides) and killed when the [`TestRegistry`] is dropped. Readiness is the registry's own
//! "listening on" log line, so no polling loop or sleep is needed.

use crate::certs::{TlsFiles, make_signing_key, make_tls};
use crate::push::{PushAuth, Pusher};
use crate::token::{ISSUER, SERVICE, Signer, TokenState, TokenStats};
use crate::{Error, Result};
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Set in CI: a missing `docker-registry` is then a failure instead of a skipped test.
pub const REQUIRE_ENV: &str = "CROWSNEST_REQUIRE_REGISTRY";

/// The `docker-registry` binary, if installed.
pub fn docker_registry_binary() -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain([PathBuf::from("/usr/bin")])
        .map(|d| d.join("docker-registry"))
        .find(|p| p.is_file())
}

/// True when registry tests can run; prints why not (once per call) when they cannot.
/// Panics when the binary is missing but [`REQUIRE_ENV`] is set.
pub fn registry_available() -> bool {
    if docker_registry_binary().is_some() {
        return true;
    }
    if std::env::var_os(REQUIRE_ENV).is_some() {
        panic!(
            "docker-registry not found but {REQUIRE_ENV} is set: run scripts/test-deps.sh \
             (apt package docker-registry)"
        );
    }
    eprintln!(
        "SKIPPED: docker-registry not found (apt-get install docker-registry, or run \
         scripts/test-deps.sh); set {REQUIRE_ENV}=1 to make this a failure"
    );
    false
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Auth {
    Anonymous,
    Htpasswd,
    Token { anonymous_pull: bool, ttl: u64 },
}

/// Configures a registry to start. See the module docs.
#[derive(Debug, Clone)]
pub struct RegistryBuilder {
    auth: Auth,
    user: String,
    password: String,
    tls: bool,
    client_certs: bool,
    catalog_max: Option<u32>,
}

impl Default for RegistryBuilder {
    fn default() -> Self {
        RegistryBuilder::new()
    }
}

impl RegistryBuilder {
    /// Anonymous, plain HTTP.
    pub fn new() -> RegistryBuilder {
        RegistryBuilder {
            auth: Auth::Anonymous,
            user: "tester".into(),
            password: "s3cret-pw".into(),
            tls: false,
            client_certs: false,
            catalog_max: None,
        }
    }

    /// htpasswd Basic auth for `user`/`password` (bcrypt via `htpasswd -B`).
    pub fn htpasswd(mut self, user: &str, password: &str) -> Self {
        self.auth = Auth::Htpasswd;
        self.user = user.into();
        self.password = password.into();
        self
    }

    /// Bearer-token auth; the token service knows `user`/`password`.
    pub fn token(mut self, user: &str, password: &str) -> Self {
        self.auth = Auth::Token {
            anonymous_pull: false,
            ttl: 300,
        };
        self.user = user.into();
        self.password = password.into();
        self
    }

    /// With token auth: let anonymous callers pull.
    pub fn anonymous_pull(mut self) -> Self {
        if let Auth::Token { anonymous_pull, .. } = &mut self.auth {
            *anonymous_pull = true;
        }
        self
    }

    /// HTTPS with a generated CA.
    pub fn tls(mut self) -> Self {
        self.tls = true;
        self
    }

    /// HTTPS that also demands a client certificate signed by the generated CA.
    pub fn client_certs(mut self) -> Self {
        self.tls = true;
        self.client_certs = true;
        self
    }

    /// `catalog.maxentries`: the catalog page size when a client sends no `n`.
    pub fn catalog_max_entries(mut self, n: u32) -> Self {
        self.catalog_max = Some(n);
        self
    }

    /// Starts it, or returns `None` (after printing why) when `docker-registry` is missing and
    /// [`REQUIRE_ENV`] is unset. Panics on a start failure: a test cannot go on without it.
    pub async fn start_or_skip(self) -> Option<TestRegistry> {
        if !registry_available() {
            return None;
        }
        // The free port is found by binding and releasing it, so another process can take it
        // in between; a second try with a new port settles that.
        let mut last = None;
        for _ in 0..3 {
            match self.clone().start().await {
                Ok(r) => return Some(r),
                Err(e) => last = Some(e),
            }
        }
        panic!(
            "cannot start docker-registry: {}",
            last.map(|e| e.to_string()).unwrap_or_default()
        )
    }

    pub async fn start(self) -> Result<TestRegistry> {
        let bin =
            docker_registry_binary().ok_or_else(|| Error::new("docker-registry not found"))?;
        let dir = tempfile::tempdir().map_err(Error::from_display)?;
        let root = dir.path().to_path_buf();
        let port = free_port()?;
        let tls = if self.tls {
            Some(make_tls(&root.join("tls")).map_err(Error::new)?)
        } else {
            None
        };

        let mut token = None;
        let mut auth_yaml = String::new();
        match &self.auth {
            Auth::Anonymous => {}
            Auth::Htpasswd => {
                let out = Command::new("htpasswd")
                    .args(["-Bbn", &self.user, &self.password])
                    .output()
                    .map_err(|e| {
                        Error::new(format!(
                            "cannot run htpasswd (apt-get install apache2-utils): {e}"
                        ))
                    })?;
                if !out.status.success() {
                    return Err(Error::new("htpasswd failed"));
                }
                let file = root.join("htpasswd");
                std::fs::write(&file, &out.stdout).map_err(Error::from_display)?;
                auth_yaml = format!(
                    "auth:\n  htpasswd:\n    realm: crowsnest-test\n    path: {}\n",
                    file.display()
                );
            }
            Auth::Token {
                anonymous_pull,
                ttl,
            } => {
                let (key, cert) = make_signing_key(&root.join("token")).map_err(Error::new)?;
                let read = |p: &PathBuf| std::fs::read_to_string(p).map_err(Error::from_display);
                let signer = Signer::new(&read(&key)?, &read(&cert)?, *ttl).map_err(Error::new)?;
                let state = Arc::new(TokenState {
                    signer,
                    user: self.user.clone(),
                    password: self.password.clone(),
                    anonymous_pull: *anonymous_pull,
                    stats: Arc::new(TokenStats::default()),
                });
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                    .await
                    .map_err(Error::from_display)?;
                let tport = listener.local_addr().map_err(Error::from_display)?.port();
                let app = axum::Router::new()
                    .route("/token", axum::routing::get(crate::token::token))
                    .with_state(state.clone());
                let task = tokio::spawn(async move {
                    let _ = axum::serve(listener, app).await;
                });
                let realm = format!("http://127.0.0.1:{tport}/token");
                auth_yaml = format!(
                    "auth:\n  token:\n    realm: {realm}\n    service: {SERVICE}\n    issuer: {ISSUER}\n    rootcertbundle: {}\n",
                    cert.display()
                );
                token = Some(TokenService { realm, state, task });
            }
        }

        let mut cfg = format!(
            "version: 0.1\nlog:\n  level: info\n  formatter: text\nstorage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\n  maintenance:\n    uploadpurging:\n      enabled: false\nhttp:\n  addr: 127.0.0.1:{port}\n  secret: crowsnest-test-{port}\n",
            root.join("storage").display()
        );
        if let Some(t) = &tls {
            cfg.push_str(&format!(
                "  tls:\n    certificate: {}\n    key: {}\n",
                t.server_cert.display(),
                t.server_key.display()
            ));
            if self.client_certs {
                cfg.push_str(&format!(
                    "    clientcas:\n      - {}\n",
                    t.ca_cert.display()
                ));
            }
        }
        cfg.push_str(&auth_yaml);
        if let Some(n) = self.catalog_max {
            cfg.push_str(&format!("catalog:\n  maxentries: {n}\n"));
        }
        let cfg_path = root.join("config.yml");
        std::fs::write(&cfg_path, cfg).map_err(Error::from_display)?;

        let mut reg = TestRegistry {
            child: None,
            _dir: dir,
            bin,
            cfg_path,
            port,
            tls,
            client_certs: self.client_certs,
            user: self.user.clone(),
            password: self.password.clone(),
            auth: self.auth.clone(),
            token,
            log: Arc::new(Mutex::new(String::new())),
        };
        // On failure `reg` is dropped, which also stops the token service.
        reg.restart().await?;
        Ok(reg)
    }
}

/// Starts `docker-registry serve CFG` and waits for its "listening on" line. Its log is appended
/// to `log`. A registry that exits or stays silent for 30 s is killed and reported with its log.
async fn spawn_and_wait(
    bin: &std::path::Path,
    cfg_path: &std::path::Path,
    log: &Arc<Mutex<String>>,
) -> Result<Child> {
    let mut child = Command::new(bin)
        .arg("serve")
        .arg(cfg_path)
        .env_clear()
        .env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| Error::new(format!("cannot start docker-registry: {e}")))?;
    let (ready_tx, ready_rx) = tokio::sync::oneshot::channel::<()>();
    let Some(stderr) = child.stderr.take() else {
        let _ = child.kill();
        let _ = child.wait();
        return Err(Error::new("no stderr pipe"));
    };
    let log_writer = log.clone();
    std::thread::spawn(move || {
        let mut ready = Some(ready_tx);
        for line in BufReader::new(stderr)
            .lines()
            .map_while(std::io::Result::ok)
        {
            if line.contains("listening on")
                && let Some(tx) = ready.take()
            {
                let _ = tx.send(());
            }
            let mut l = log_writer.lock().unwrap_or_else(|p| p.into_inner());
            l.push_str(&line);
            l.push('\n');
        }
    });
    // The reader thread drops the sender at EOF, so an exiting registry ends the wait too.
    let waited = tokio::time::timeout(Duration::from_secs(30), ready_rx).await;
    if !matches!(waited, Ok(Ok(()))) {
        let _ = child.kill();
        let _ = child.wait();
        return Err(Error::new(format!(
            "docker-registry did not start listening; its log:\n{}",
            log.lock().unwrap_or_else(|p| p.into_inner())
        )));
    }
    Ok(child)
}

fn free_port() -> Result<u16> {
    let l = std::net::TcpListener::bind("127.0.0.1:0").map_err(Error::from_display)?;
    Ok(l.local_addr().map_err(Error::from_display)?.port())
}

#[derive(Debug)]
struct TokenService {
    realm: String,
    state: Arc<TokenState>,
    task: tokio::task::JoinHandle<()>,
}

/// A running registry; killed on drop.
#[derive(Debug)]
pub struct TestRegistry {
    /// `None` while stopped by [`TestRegistry::kill`].
    child: Option<Child>,
    _dir: tempfile::TempDir,
    bin: PathBuf,
    cfg_path: PathBuf,
    port: u16,
    tls: Option<TlsFiles>,
    client_certs: bool,
    user: String,
    password: String,
    auth: Auth,
    token: Option<TokenService>,
    log: Arc<Mutex<String>>,
}

impl TestRegistry {
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `http://127.0.0.1:PORT` or `https://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        let scheme = if self.tls.is_some() { "https" } else { "http" };
        format!("{scheme}://127.0.0.1:{}", self.port)
    }

    /// `127.0.0.1:PORT`, as a user would write it in a specification (https implied).
    pub fn host_port(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// The username and password when the registry has auth.
    pub fn user_password(&self) -> Option<(String, String)> {
        (self.auth != Auth::Anonymous).then(|| (self.user.clone(), self.password.clone()))
    }

    /// The CA certificate PEM when TLS is on.
    pub fn ca_pem(&self) -> Option<String> {
        self.tls
            .as_ref()
            .and_then(|t| std::fs::read_to_string(&t.ca_cert).ok())
    }

    /// A client certificate and key PEM the registry accepts, when client certs are on.
    pub fn client_identity(&self) -> Option<(String, String)> {
        let t = self.tls.as_ref().filter(|_| self.client_certs)?;
        Some((
            std::fs::read_to_string(&t.client_cert).ok()?,
            std::fs::read_to_string(&t.client_key).ok()?,
        ))
    }

    /// The token realm, in token mode.
    pub fn token_realm(&self) -> Option<&str> {
        self.token.as_ref().map(|t| t.realm.as_str())
    }

    /// The token service's counters, in token mode.
    pub fn token_stats(&self) -> Option<Arc<TokenStats>> {
        self.token.as_ref().map(|t| t.state.stats.clone())
    }

    /// Kills the registry process (SIGKILL, as a crash or an OOM kill would) and waits for it to
    /// exit. Its port and storage stay as they were, so [`TestRegistry::restart`] brings the
    /// same registry back with the same images. Until then connections are refused.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the registry again after [`TestRegistry::kill`], on the same port with the same
    /// configuration and storage, and waits until it listens. The port was released by the
    /// killed process, so only another process grabbing it in between can make this fail.
    pub async fn restart(&mut self) -> Result<()> {
        self.kill();
        let child = spawn_and_wait(&self.bin, &self.cfg_path, &self.log).await?;
        self.child = Some(child);
        Ok(())
    }

    /// True while the registry process runs (false after [`TestRegistry::kill`]).
    pub fn is_running(&self) -> bool {
        self.child.is_some()
    }

    /// What the registry has logged so far.
    pub fn log(&self) -> String {
        self.log.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// A pusher with full rights: Basic in htpasswd mode, self-minted tokens in token mode,
    /// the CA and client certificate when TLS is on.
    pub fn pusher(&self) -> Pusher {
        let auth = match (&self.auth, &self.token) {
            (Auth::Token { .. }, Some(t)) => PushAuth::Mint(t.state.clone()),
            (Auth::Htpasswd, _) => PushAuth::Basic(self.user.clone(), self.password.clone()),
            _ => PushAuth::None,
        };
        Pusher::new(&self.url(), auth, self.ca_pem(), self.client_identity())
            .unwrap_or_else(|e| panic!("cannot build the pusher's HTTP client: {e}"))
    }
}

impl Drop for TestRegistry {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        if let Some(t) = &self.token {
            t.task.abort();
        }
    }
}
