//! The load scenario, shared by `examples/load` (the benchmark) and the Console's integration
//! test (`tests/console/load.rs`, which runs it small and checks correctness only).
//!
//! A real `docker-registry` holds images that share a Debian base layer; a real Console (SQLite
//! in a temp dir, the vulnerability database built at start from a feeds directory) scans them.
//! While a second scan of new images runs, many API clients read results the way scripts do:
//! pages of `/registry`, filtered queries, progress polls and CSV downloads. Every answer is
//! checked (status, and that the body parses), and each request's latency is kept.

use crowsnest_console::{Bootstrap, ConsoleConfig, SystemClock};
use crowsnest_testkit::{ImageBuilder, RegistryBuilder, TestRegistry, tar_layer};
use serde_json::Value;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

pub(crate) const ADMIN: &str = "admin";
pub(crate) const ADMIN_PASSWORD: &str = "Load-Admin-Pw-1";

/// Real Debian 12 package versions that the Debian tracker has advisories for, so matching does
/// real work and results carry findings.
const DPKG_STATUS: &str = "\
Package: openssl\nStatus: install ok installed\nVersion: 3.0.11-1~deb12u1\nArchitecture: amd64\n\n\
Package: libssl3\nStatus: install ok installed\nSource: openssl\nVersion: 3.0.11-1~deb12u1\nArchitecture: amd64\n\n\
Package: libc6\nStatus: install ok installed\nSource: glibc\nVersion: 2.36-9+deb12u3\nArchitecture: amd64\n\n\
Package: zlib1g\nStatus: install ok installed\nSource: zlib\nVersion: 1:1.2.13.dfsg-1\nArchitecture: amd64\n\n\
Package: curl\nStatus: install ok installed\nVersion: 7.88.1-10+deb12u4\nArchitecture: amd64\n\n\
Package: libcurl4\nStatus: install ok installed\nSource: curl\nVersion: 7.88.1-10+deb12u4\nArchitecture: amd64\n\n\
Package: bash\nStatus: install ok installed\nVersion: 5.2.15-2+b2\nArchitecture: amd64\n\n\
Package: tar\nStatus: install ok installed\nVersion: 1.34+dfsg-1.2\nArchitecture: amd64\n\n\
Package: perl-base\nStatus: install ok installed\nSource: perl\nVersion: 5.36.0-7+deb12u1\nArchitecture: amd64\n\n\
Package: libsqlite3-0\nStatus: install ok installed\nSource: sqlite3\nVersion: 3.40.1-2\nArchitecture: amd64\n\n";

const OS_RELEASE: &str = "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\nVERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\n";

/// A registry, a Console in front of it, and an HTTP client with a session token.
pub(crate) struct Scenario {
    pub(crate) registry: TestRegistry,
    pub(crate) base: String,
    pub(crate) http: reqwest::Client,
    pub(crate) token: String,
    base_layer: Vec<u8>,
    pushed: usize,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    _data: tempfile::TempDir,
}

/// Per request kind: how many, how many failed (with the first failures), and latencies.
#[derive(Debug, Default, Clone)]
pub(crate) struct KindStats {
    pub(crate) name: &'static str,
    pub(crate) latencies: Vec<Duration>,
    pub(crate) failures: Vec<String>,
    pub(crate) bytes: u64,
}

impl KindStats {
    pub(crate) fn percentile(&self, p: f64) -> Duration {
        if self.latencies.is_empty() {
            return Duration::ZERO;
        }
        let mut sorted = self.latencies.clone();
        sorted.sort();
        let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
        sorted[rank.min(sorted.len() - 1)]
    }
}

#[derive(Debug, Default)]
pub(crate) struct LoadReport {
    pub(crate) kinds: Vec<KindStats>,
    pub(crate) elapsed: Duration,
}

impl LoadReport {
    pub(crate) fn requests(&self) -> usize {
        self.kinds.iter().map(|k| k.latencies.len()).sum()
    }

    pub(crate) fn failures(&self) -> Vec<String> {
        self.kinds
            .iter()
            .flat_map(|k| k.failures.iter().map(move |f| format!("{}: {f}", k.name)))
            .collect()
    }
}

/// The requests a client cycles through; the mix leans on paging as results UIs and scripts do.
const MIX: &[&str] = &[
    "page", "page", "page", "filter", "page", "progress", "page", "search", "csv", "names",
];

impl Scenario {
    /// Starts the registry and the Console; `None` when `docker-registry` is not installed (and
    /// not required). `feeds` is the directory the vulnerability database is built from.
    /// `concurrent_reads` is the Console's admission limit for result reads (0: one per core).
    pub(crate) async fn start(feeds: PathBuf, concurrent_reads: usize) -> Option<Scenario> {
        // reqwest is built without a default TLS provider; this process picks ring.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let registry = RegistryBuilder::new().start_or_skip().await?;
        let data = tempfile::tempdir().expect("temp dir");
        let mut config = ConsoleConfig::for_data_dir(data.path().join("data"));
        config.docker_hub = Some("http://127.0.0.1:9".into());
        config.scan_interval_hours = 0;
        config.feeds = Some(feeds);
        config.concurrent_reads = concurrent_reads;
        let bootstrap = Bootstrap {
            admin_user: Some(ADMIN.into()),
            admin_password: Some(ADMIN_PASSWORD.into()),
            master_key: None,
        };
        let state = crowsnest_console::open(config, Arc::new(SystemClock), &bootstrap)
            .await
            .expect("console opens");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let base = format!("http://{}/api/v1", listener.local_addr().unwrap());
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(async move {
            crowsnest_console::serve(listener, state, async {
                let _ = rx.await;
            })
            .await
            .expect("server");
        });
        let http = reqwest::Client::builder()
            .pool_max_idle_per_host(64)
            .build()
            .unwrap();
        let token: Value = http
            .post(format!("{base}/authenticate"))
            .json(&serde_json::json!({"username": ADMIN, "password": ADMIN_PASSWORD}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let token = token["token"].as_str().expect("a token").to_string();
        let base_layer = tar_layer(&[
            ("etc/os-release", OS_RELEASE),
            ("var/lib/dpkg/status", DPKG_STATUS),
        ]);
        let scenario = Scenario {
            registry,
            base,
            http,
            token,
            base_layer,
            pushed: 0,
            shutdown: Some(tx),
            _data: data,
        };
        let spec = format!(
            r#"{{"version":"2","registry":"{}","repository":"apps/*","os":"linux","cap":0,"scanners":2,"collections":["All"]}}"#,
            scenario.registry.url()
        );
        let r = scenario
            .http
            .post(format!(
                "{}/settings/registry?scanLater=true",
                scenario.base
            ))
            .bearer_auth(&scenario.token)
            .header("Content-Type", "application/json")
            .body(spec)
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "spec accepted: {}", r.status());
        Some(scenario)
    }

    /// Pushes `n` more images: the shared base layer plus an application layer of their own.
    pub(crate) async fn push_images(&mut self, n: usize) {
        let pusher = self.registry.pusher();
        for _ in 0..n {
            let i = self.pushed;
            self.pushed += 1;
            let app = tar_layer(&[
                (
                    "usr/lib/python3/dist-packages/urllib3-1.24.1.dist-info/METADATA".to_string(),
                    "Metadata-Version: 2.1\nName: urllib3\nVersion: 1.24.1\n".to_string(),
                ),
                (format!("srv/app-{i}/VERSION"), format!("{i}\n")),
            ]);
            pusher
                .push_image(
                    &format!("apps/app-{i}"),
                    "1.0",
                    &ImageBuilder::oci().layers(vec![self.base_layer.clone(), app]),
                )
                .await
                .expect("push");
        }
    }

    async fn get(&self, path: &str) -> reqwest::Response {
        self.http
            .get(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .send()
            .await
            .expect("console answers")
    }

    /// Stored results, as `Total-Count` says.
    pub(crate) async fn result_count(&self) -> usize {
        let r = self.get("/registry?limit=1&compact=true").await;
        r.headers()["total-count"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap()
    }

    /// Starts a regular scan and waits until every pushed image has a result and nothing is
    /// scanning; returns the wall time.
    pub(crate) async fn scan(&self, deadline: Duration) -> Duration {
        let started = Instant::now();
        let r = self
            .http
            .post(format!("{}/registry/scan", self.base))
            .bearer_auth(&self.token)
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "scan starts: {}", r.status());
        loop {
            let progress: Value = self.get("/registry/progress").await.json().await.unwrap();
            let ongoing = progress
                .as_array()
                .is_some_and(|p| p.iter().any(|x| x["isScanOngoing"] == true));
            if !ongoing && self.result_count().await == self.pushed {
                return started.elapsed();
            }
            assert!(
                started.elapsed() < deadline,
                "scan did not finish within {deadline:?}: {progress}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Runs `clients` concurrent readers until `stop` resolves (or `max` passes).
    pub(crate) async fn hammer(
        &self,
        clients: usize,
        max: Duration,
        stop: impl std::future::Future<Output = ()>,
    ) -> LoadReport {
        let started = Instant::now();
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let mut tasks = tokio::task::JoinSet::new();
        for client in 0..clients {
            let http = self.http.clone();
            let base = self.base.clone();
            let token = self.token.clone();
            let stop_rx = stop_rx.clone();
            tasks.spawn(async move {
                let mut kinds: Vec<KindStats> = vec![];
                let mut i = client;
                while !*stop_rx.borrow() && started.elapsed() < max {
                    let kind = MIX[i % MIX.len()];
                    let path = match kind {
                        "page" => format!("/registry?limit=20&offset={}", (i * 7 % 5) * 20),
                        "filter" => "/registry?repository=apps/app-1&limit=10".to_string(),
                        "search" => format!("/registry?search=app-{}&limit=10", i % 10),
                        "progress" => "/registry/progress".to_string(),
                        "names" => "/registry/names?limit=50".to_string(),
                        _ => "/registry/download".to_string(),
                    };
                    let t0 = Instant::now();
                    let outcome = check(
                        kind,
                        http.get(format!("{base}{path}"))
                            .bearer_auth(&token)
                            .send()
                            .await,
                    )
                    .await;
                    let took = t0.elapsed();
                    let stats = match kinds.iter_mut().position(|k| k.name == kind) {
                        Some(p) => &mut kinds[p],
                        None => {
                            kinds.push(KindStats {
                                name: kind,
                                ..KindStats::default()
                            });
                            kinds.last_mut().unwrap()
                        }
                    };
                    stats.latencies.push(took);
                    match outcome {
                        Ok(bytes) => stats.bytes += bytes as u64,
                        Err(e) if stats.failures.len() < 5 => {
                            stats.failures.push(format!("{path}: {e}"))
                        }
                        Err(_) => {}
                    }
                    i += 1;
                }
                kinds
            });
        }
        stop.await;
        let _ = stop_tx.send(true);
        let mut report = LoadReport::default();
        while let Some(joined) = tasks.join_next().await {
            for k in joined.expect("client task") {
                match report.kinds.iter_mut().find(|r| r.name == k.name) {
                    Some(r) => {
                        r.latencies.extend(k.latencies);
                        r.failures.extend(k.failures);
                        r.bytes += k.bytes;
                    }
                    None => report.kinds.push(k),
                }
            }
        }
        report.kinds.sort_by_key(|k| k.name);
        report.elapsed = started.elapsed();
        report
    }
}

/// A request counts as served when it is a 200 whose body is what the route promises.
async fn check(kind: &str, sent: reqwest::Result<reqwest::Response>) -> Result<usize, String> {
    let r = sent.map_err(|e| format!("transport: {e}"))?;
    let status = r.status();
    let body = r.bytes().await.map_err(|e| format!("body: {e}"))?;
    if status != 200 {
        return Err(format!("{status}: {}", String::from_utf8_lossy(&body)));
    }
    if kind == "csv" {
        let text = std::str::from_utf8(&body).map_err(|e| format!("CSV not UTF-8: {e}"))?;
        let header = text.lines().next().unwrap_or("");
        if !header.contains("Registry") || !header.contains("Repository") {
            return Err(format!("CSV header missing: {header:?}"));
        }
    } else {
        // Parsed without building a tree: the clients share the two cores with the Console,
        // and a full parse of every page would measure the load generator, not the server.
        if body.first() != Some(&b'[') {
            return Err("not a JSON array".into());
        }
        serde_json::from_slice::<serde::de::IgnoredAny>(&body)
            .map_err(|e| format!("not JSON: {e}"))?;
    }
    Ok(body.len())
}

impl Drop for Scenario {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}
