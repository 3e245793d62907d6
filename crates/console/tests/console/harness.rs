//! A builder that starts a Console on a free loopback port and a client that talks to it.

use crowsnest_console::{Bootstrap, ConsoleConfig, ManualClock};
use jiff::Timestamp;
use reqwest::{Method, StatusCode};
use serde_json::Value;
use std::path::PathBuf;
use std::sync::Arc;

pub(crate) const ADMIN: &str = "admin";
pub(crate) const ADMIN_PASSWORD: &str = "Test-Admin-Pw-1";

pub(crate) struct TestConsole {
    pub(crate) base: String,
    pub(crate) clock: Arc<ManualClock>,
    pub(crate) data_dir: PathBuf,
    pub(crate) http: reqwest::Client,
    config: ConsoleConfig,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<()>>,
    _tmp: tempfile::TempDir,
}

/// A change to the configuration a test Console starts with.
type Configure = Box<dyn FnOnce(&mut ConsoleConfig)>;

pub(crate) struct Builder {
    max_body_bytes: Option<usize>,
    /// Serve HTTPS with this certificate and key, trusting `ca` in the test's client.
    tls: Option<crowsnest_testkit::TlsFiles>,
    bootstrap: bool,
    feeds: Option<PathBuf>,
    database: Option<String>,
    master_key: Option<String>,
    configure: Option<Configure>,
}

pub(crate) fn console() -> Builder {
    Builder {
        max_body_bytes: None,
        tls: None,
        bootstrap: true,
        feeds: None,
        database: None,
        master_key: None,
        configure: None,
    }
}

impl Builder {
    pub(crate) fn max_body_bytes(mut self, n: usize) -> Builder {
        self.max_body_bytes = Some(n);
        self
    }

    /// Builds the vulnerability database from these feed files at start, as `serve --feeds`.
    pub(crate) fn feeds(mut self, dir: PathBuf) -> Builder {
        self.feeds = Some(dir);
        self
    }

    /// Serves HTTPS (`serve_tls`) with the testkit's server certificate for 127.0.0.1.
    pub(crate) fn tls(mut self, files: crowsnest_testkit::TlsFiles) -> Builder {
        self.tls = Some(files);
        self
    }

    /// The store URL (`--database`), instead of SQLite in the data dir.
    pub(crate) fn database(mut self, url: &str) -> Builder {
        self.database = Some(url.to_string());
        self
    }

    /// `CROWSNEST_MASTER_KEY`, instead of a key file created in the data dir.
    pub(crate) fn master_key(mut self, key: &str) -> Builder {
        self.master_key = Some(key.to_string());
        self
    }

    /// Changes the configuration the Console starts with (and restarts with).
    pub(crate) fn configure(mut self, f: impl FnOnce(&mut ConsoleConfig) + 'static) -> Builder {
        self.configure = Some(Box::new(f));
        self
    }

    pub(crate) fn without_admin(mut self) -> Builder {
        self.bootstrap = false;
        self
    }

    pub(crate) fn config(&mut self, data_dir: PathBuf) -> ConsoleConfig {
        let mut config = ConsoleConfig::for_data_dir(data_dir);
        // Tests never reach the internet: Docker Hub specs point at a closed loopback port.
        config.docker_hub = Some("http://127.0.0.1:9".into());
        config.scan_interval_hours = 0;
        config.feeds = self.feeds.clone();
        if let Some(url) = &self.database {
            config.database = url.clone();
        }
        if let Some(n) = self.max_body_bytes {
            config.max_body_bytes = n;
        }
        if let Some(f) = self.configure.take() {
            f(&mut config);
        }
        config
    }

    pub(crate) async fn open(mut self) -> Result<TestConsole, crowsnest_console::ConsoleError> {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let tmp = tempfile::tempdir().expect("temp dir");
        let data_dir = tmp.path().join("data");
        let clock = Arc::new(ManualClock::new(
            "2026-11-01T10:00:00Z".parse::<Timestamp>().unwrap(),
        ));
        let bootstrap = Bootstrap {
            admin_user: self.bootstrap.then(|| ADMIN.to_string()),
            admin_password: self.bootstrap.then(|| ADMIN_PASSWORD.to_string()),
            master_key: self.master_key.clone(),
        };
        let config = self.config(data_dir.clone());
        let (base, http, tx, server) = match &self.tls {
            None => {
                let (base, tx, server) = launch(config.clone(), clock.clone(), &bootstrap).await?;
                (base, reqwest::Client::new(), tx, server)
            }
            Some(files) => {
                let state =
                    crowsnest_console::open(config.clone(), clock.clone(), &bootstrap).await?;
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                    .await
                    .expect("bind");
                let addr = listener.local_addr().unwrap();
                let (tx, rx) = tokio::sync::oneshot::channel::<()>();
                let transport = crowsnest_console::Transport::Tls {
                    cert: files.server_cert.clone(),
                    key: files.server_key.clone(),
                };
                let tls = crowsnest_console::tls::server_config(&transport, &data_dir)?
                    .expect("TLS configured");
                let ca = std::fs::read(&files.ca_cert).expect("CA file");
                let http = reqwest::Client::builder()
                    .add_root_certificate(reqwest::Certificate::from_pem(&ca).expect("CA PEM"))
                    .build()
                    .expect("HTTPS client");
                let server = tokio::spawn(async move {
                    crowsnest_console::serve_tls(listener, tls, state, async {
                        let _ = rx.await;
                    })
                    .await
                    .expect("server");
                });
                (format!("https://{addr}"), http, tx, server)
            }
        };
        Ok(TestConsole {
            base,
            clock,
            data_dir,
            http,
            config,
            shutdown: Some(tx),
            server: Some(server),
            _tmp: tmp,
        })
    }

    pub(crate) async fn start(self) -> TestConsole {
        self.open().await.expect("console starts")
    }
}

type Launched = (
    String,
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<()>,
);

/// Opens a Console on `config` and serves it on a fresh loopback port.
async fn launch(
    config: ConsoleConfig,
    clock: Arc<ManualClock>,
    bootstrap: &Bootstrap,
) -> Result<Launched, crowsnest_console::ConsoleError> {
    let state = crowsnest_console::open(config, clock, bootstrap).await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        crowsnest_console::serve(listener, state, async {
            let _ = rx.await;
        })
        .await
        .expect("server");
    });
    Ok((base, tx, server))
}

/// One HTTP exchange, kept whole for assertions.
#[derive(Debug)]
pub(crate) struct Reply {
    pub(crate) status: StatusCode,
    pub(crate) headers: reqwest::header::HeaderMap,
    pub(crate) text: String,
}

impl Reply {
    pub(crate) fn json(&self) -> Value {
        serde_json::from_str(&self.text)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", self.text))
    }

    pub(crate) fn err(&self) -> String {
        self.json()["err"]
            .as_str()
            .unwrap_or_else(|| panic!("no err field in {:?}", self.text))
            .to_string()
    }
}

pub(crate) enum Auth<'a> {
    None,
    Basic(&'a str, &'a str),
    Bearer(&'a str),
    Raw(&'a str),
}

impl TestConsole {
    pub(crate) async fn call(
        &self,
        method: Method,
        path: &str,
        auth: Auth<'_>,
        body: Option<String>,
    ) -> Reply {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        req = match auth {
            Auth::None => req,
            Auth::Basic(u, p) => req.basic_auth(u, Some(p)),
            Auth::Bearer(t) => req.bearer_auth(t),
            Auth::Raw(h) => req.header("Authorization", h),
        };
        if let Some(b) = body {
            req = req.header("Content-Type", "application/json").body(b);
        }
        let resp = req.send().await.expect("request reaches the console");
        let status = resp.status();
        let headers = resp.headers().clone();
        let text = resp.text().await.unwrap_or_default();
        Reply {
            status,
            headers,
            text,
        }
    }

    /// As the admin with Basic auth.
    pub(crate) async fn admin(&self, method: Method, path: &str, body: Option<&str>) -> Reply {
        self.call(
            method,
            path,
            Auth::Basic(ADMIN, ADMIN_PASSWORD),
            body.map(str::to_string),
        )
        .await
    }

    pub(crate) async fn get(&self, path: &str) -> Reply {
        self.admin(Method::GET, path, None).await
    }

    /// `POST /authenticate` as the admin with this password.
    pub(crate) async fn login(&self, password: &str) -> Reply {
        let body = serde_json::json!({"username": ADMIN, "password": password});
        self.call(
            Method::POST,
            "/api/v1/authenticate",
            Auth::None,
            Some(body.to_string()),
        )
        .await
    }

    pub(crate) async fn token(&self) -> String {
        let r = self.login(ADMIN_PASSWORD).await;
        assert_eq!(r.status, 200, "{}", r.text);
        r.json()["token"].as_str().unwrap().to_string()
    }

    pub(crate) async fn create_credential(&self, id: &str, plain: &str) {
        let body = format!(
            r#"{{"_id":"{id}","type":"basic","accountID":"bob","secret":{{"plain":"{plain}"}}}}"#
        );
        let r = self
            .admin(Method::POST, "/api/v32.04/credentials", Some(&body))
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
    }

    /// Polls, as Prisma's own scripts do, until the status says completed, no spec is still
    /// scanning and the regular scan has scanned `images`; panics after 90 s.
    pub(crate) async fn wait_for_scan(&self, images: u64) {
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(90);
        loop {
            let status = self.get("/api/v1/statuses/registry").await.json();
            let progress = self.get("/api/v1/registry/progress").await.json();
            let ongoing = progress
                .as_array()
                .is_some_and(|p| p.iter().any(|x| x["isScanOngoing"] == true));
            if status["completed"] == true
                && !ongoing
                && progress[0]["imageScan"]["total"] == images
            {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "scan did not complete: {status} {progress}"
            );
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    }

    /// GETs `path` as the admin until `done` holds for its JSON body, which it returns; panics
    /// after 90 s.
    pub(crate) async fn poll(&self, path: &str, done: impl Fn(&Value) -> bool) -> Value {
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(90);
        loop {
            let r = self.get(path).await;
            assert_eq!(r.status, 200, "GET {path}: {}", r.text);
            let body = r.json();
            if done(&body) {
                return body;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "GET {path} did not get there: {body}"
            );
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    }

    /// Stops the Console and starts a new one on the same data dir and configuration (a new
    /// port: `base` changes), as an operator's restart.
    pub(crate) async fn restart(&mut self) {
        self.stop().await;
        let (base, tx, server) = launch(
            self.config.clone(),
            self.clock.clone(),
            &Bootstrap::default(),
        )
        .await
        .expect("console restarts");
        self.base = base;
        self.shutdown = Some(tx);
        self.server = Some(server);
    }

    /// Stops the server and waits until it has finished (so the store is closed and flushed).
    pub(crate) async fn stop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(h) = self.server.take() {
            let _ = h.await;
        }
    }
}

impl Drop for TestConsole {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// A route as `src/routes.rs` declares it: method, path under `/api/{version}`, and whether it
/// sits in the protected router.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DeclaredRoute {
    pub(crate) method: &'static str,
    pub(crate) path: String,
    pub(crate) protected: bool,
}

/// Every route declared in `src/routes.rs`, read from the source itself so that a route added
/// later is in the security matrix without anyone remembering to list it. Routes declared before
/// `let public` belong to the protected router (the file's layout; the test that uses this also
/// checks that the public set is exactly the three routes meant to be public).
pub(crate) fn declared_routes() -> Vec<DeclaredRoute> {
    let src = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/src/routes.rs"))
        .expect("read src/routes.rs");
    let public_from = src
        .find("let public")
        .expect("routes.rs has a public router");
    let mut routes = vec![];
    let mut at = 0;
    while let Some(found) = src[at..].find(".route(") {
        let after = at + found + ".route(".len();
        // rustfmt may put the path on the next line.
        let start = after + src[after..].find('"').expect("a path literal") + 1;
        let end = start + src[start..].find('"').expect("closing quote");
        let path = src[start..end].to_string();
        // The handler expression runs to the parenthesis that closes `.route(`.
        let mut depth = 1;
        let mut close = end;
        for (i, ch) in src[end..].char_indices() {
            match ch {
                '(' => depth += 1,
                ')' => {
                    depth -= 1;
                    if depth == 0 {
                        close = end + i;
                        break;
                    }
                }
                _ => {}
            }
        }
        let handlers = &src[end..close];
        for method in ["get", "post", "put", "delete", "patch"] {
            let called = handlers.match_indices(&format!("{method}(")).any(|(i, _)| {
                i == 0
                    || !handlers.as_bytes()[i - 1].is_ascii_alphanumeric()
                        && handlers.as_bytes()[i - 1] != b'_'
            });
            if called {
                routes.push(DeclaredRoute {
                    method: match method {
                        "get" => "GET",
                        "post" => "POST",
                        "put" => "PUT",
                        "delete" => "DELETE",
                        _ => "PATCH",
                    },
                    path: path.clone(),
                    protected: start < public_from,
                });
            }
        }
        at = close;
    }
    routes
}

/// Every file under `dir`, recursively: what a Console wrote to its data dir.
pub(crate) fn files_under(dir: &std::path::Path) -> Vec<PathBuf> {
    let mut files = vec![];
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let p = entry.unwrap().path();
            if p.is_dir() {
                stack.push(p)
            } else {
                files.push(p)
            }
        }
    }
    files
}
