//! Builders for the CLI tests: the shared vulnerability database, image layers made from real
//! package databases, OCI layouts written from those layers, and a `crowsnest` command with a
//! clean environment (its own HOME, no DOCKER_CONFIG, a working directory without an ignore
//! file).
//!
//! The test images, and the feed records that justify what they must report:
//!
//! - [`ubuntu_layer`]: Ubuntu 18.04's `var/lib/dpkg/status` from trivy's test data
//!   (`pkg/fanal/analyzer/pkg/dpkg/testdata/valid.txtar`, 90 installed packages) with an
//!   os-release for 18.04. The Ubuntu CVE Tracker snapshot says `apt` is affected by
//!   CVE-2019-3462 (priority high, `bionic_apt: released (1.6.6ubuntu0.1)`, file
//!   `retired/CVE-2019-3462`) and `gcc-8` by CVE-2018-12886 with no fix
//!   (`bionic_gcc-8: needs-triage`, `active/CVE-2018-12886`). Nothing in it is critical.
//! - [`minimist_layer`]: `node_modules/minimist/package.json`. GHSA-xvch-5gv4-984h
//!   (CVE-2021-44906, CRITICAL, CVSS 9.8, fixed in 1.2.6; `osv/ghsa-sample`) affects 1.2.5.
//! - [`ALPINE_310`]: the real `docker save` tarball of alpine:3.10 (3.10.4) from trivy's test
//!   data. The Alpine secdb snapshot (June 2020) fixes nothing after 3.10.4's package versions,
//!   so it has no findings.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

pub(crate) const BIN: &str = env!("CARGO_BIN_EXE_crowsnest");

pub(crate) fn shared() -> PathBuf {
    let p = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared"));
    assert!(
        p.join("vulndb").is_dir() && p.join("testdata").is_dir(),
        "the shared test material is missing: expected {} with vulndb/ and testdata/",
        p.display()
    );
    p
}

pub(crate) const ALPINE_310: &str = "testdata/trivy/pkg/fanal/test/testdata/alpine-310.tar.gz";

/// The data dir holding the database built from the feed snapshot. Built once: a file lock
/// lets parallel test processes (nextest) share one build, keyed by the snapshot's checksums
/// and this binary so a changed database format is rebuilt.
pub(crate) fn data_dir() -> PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let sums = std::fs::read(shared().join("vulndb/SHA256SUMS")).expect("SHA256SUMS");
        let bin = std::fs::metadata(BIN).expect("the crowsnest binary");
        let mtime = bin
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos());
        let mut key: u64 = 0xcbf2_9ce4_8422_2325;
        for b in sums
            .iter()
            .chain(format!("{}:{mtime}", bin.len()).as_bytes())
        {
            key = (key ^ u64::from(*b)).wrapping_mul(0x100_0000_01b3);
        }
        let root = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("cli-vulndb");
        std::fs::create_dir_all(&root).unwrap();
        let lock = std::fs::File::create(root.join("lock")).unwrap();
        lock.lock().unwrap();
        let dir = root.join(format!("{key:016x}"));
        if !dir.join("vulndb/crowsnest.db").is_file() {
            let out = Command::new(BIN)
                .args(["db", "import"])
                .arg(shared().join("vulndb"))
                .arg("--data-dir")
                .arg(&dir)
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "db import failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        lock.unlock().unwrap();
        dir
    })
    .clone()
}

/// A tar layer built from (path, contents) entries.
#[derive(Debug, Default, Clone)]
pub(crate) struct Layer {
    files: Vec<(String, Vec<u8>)>,
}

impl Layer {
    pub(crate) fn new() -> Layer {
        Layer::default()
    }

    pub(crate) fn file(mut self, path: &str, contents: impl Into<Vec<u8>>) -> Layer {
        self.files.push((path.into(), contents.into()));
        self
    }

    pub(crate) fn tar(&self) -> Vec<u8> {
        let mut b = tar::Builder::new(Vec::new());
        for (path, data) in &self.files {
            let mut h = tar::Header::new_gnu();
            h.set_size(data.len() as u64);
            h.set_mode(0o644);
            h.set_mtime(1_577_836_800);
            h.set_cksum();
            b.append_data(&mut h, path, data.as_slice()).unwrap();
        }
        b.into_inner().unwrap()
    }
}

const UBUNTU_1804_OS_RELEASE: &str = "NAME=\"Ubuntu\"\nVERSION=\"18.04.3 LTS (Bionic Beaver)\"\nID=ubuntu\nID_LIKE=debian\nPRETTY_NAME=\"Ubuntu 18.04.3 LTS\"\nVERSION_ID=\"18.04\"\nVERSION_CODENAME=bionic\nUBUNTU_CODENAME=bionic\n";

/// Ubuntu 18.04 with trivy's real dpkg status file.
pub(crate) fn ubuntu_layer() -> Layer {
    let txtar = std::fs::read_to_string(
        shared().join("testdata/trivy/pkg/fanal/analyzer/pkg/dpkg/testdata/valid.txtar"),
    )
    .unwrap();
    let status = txtar
        .split_once("-- var/lib/dpkg/status --\n")
        .expect("valid.txtar has a status section")
        .1;
    Layer::new()
        .file("etc/os-release", UBUNTU_1804_OS_RELEASE)
        .file("var/lib/dpkg/status", status)
}

/// One npm package, as npm installs it.
pub(crate) fn minimist_layer(version: &str) -> Layer {
    Layer::new().file(
        "app/node_modules/minimist/package.json",
        format!(r#"{{"name":"minimist","version":"{version}","license":"MIT"}}"#),
    )
}

fn sha256_hex(b: &[u8]) -> String {
    use sha2::Digest as _;
    hex::encode(sha2::Sha256::digest(b))
}

/// Writes an OCI image layout with one image tagged `tag`; returns the layout directory.
pub(crate) fn oci_layout(dir: &Path, tag: &str, layers: &[Layer]) -> PathBuf {
    let blobs = dir.join("blobs/sha256");
    std::fs::create_dir_all(&blobs).unwrap();
    let put = |bytes: &[u8]| -> String {
        let h = sha256_hex(bytes);
        std::fs::write(blobs.join(&h), bytes).unwrap();
        format!("sha256:{h}")
    };
    let tars: Vec<Vec<u8>> = layers.iter().map(Layer::tar).collect();
    let descs: Vec<serde_json::Value> = tars
        .iter()
        .map(|t| serde_json::json!({"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": put(t), "size": t.len()}))
        .collect();
    let config = serde_json::json!({
        "created": "2020-01-01T00:00:00Z", "architecture": "amd64", "os": "linux",
        "config": {"Env": ["PATH=/usr/bin:/bin"]},
        "rootfs": {"type": "layers", "diff_ids": descs.iter().map(|d| d["digest"].clone()).collect::<Vec<_>>()},
        "history": tars.iter().map(|_| serde_json::json!({"created": "2020-01-01T00:00:00Z", "created_by": "crowsnest cli test"})).collect::<Vec<_>>(),
    })
    .to_string();
    let manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": put(config.as_bytes()), "size": config.len()},
        "layers": descs,
    })
    .to_string();
    let index = serde_json::json!({
        "schemaVersion": 2,
        "manifests": [{
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": put(manifest.as_bytes()), "size": manifest.len(),
            "annotations": {"org.opencontainers.image.ref.name": tag},
        }],
    });
    std::fs::write(dir.join("index.json"), index.to_string()).unwrap();
    std::fs::write(dir.join("oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
    dir.to_path_buf()
}

/// A scratch directory with the test images.
pub(crate) struct Images {
    pub(crate) dir: tempfile::TempDir,
}

impl Images {
    pub(crate) fn new() -> Images {
        Images {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    /// Ubuntu 18.04 plus minimist 1.2.5: OS findings and one critical npm finding.
    pub(crate) fn vulnerable(&self) -> String {
        let d = self.dir.path().join("vulnerable");
        if !d.exists() {
            oci_layout(&d, "v1", &[ubuntu_layer(), minimist_layer("1.2.5")]);
        }
        format!("oci:{}:v1", d.display())
    }

    /// Ubuntu 18.04 alone: findings, none critical.
    pub(crate) fn ubuntu(&self) -> String {
        let d = self.dir.path().join("ubuntu");
        if !d.exists() {
            oci_layout(&d, "v1", &[ubuntu_layer()]);
        }
        format!("oci:{}:v1", d.display())
    }

    /// The real alpine:3.10 `docker save` archive: no findings.
    pub(crate) fn alpine(&self) -> String {
        format!("docker-archive:{}", shared().join(ALPINE_310).display())
    }

    pub(crate) fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
}

/// `crowsnest image|sbom …` with a clean environment and the shared database.
pub(crate) struct Run {
    cmd: Command,
    stdin: Option<Vec<u8>>,
    home: tempfile::TempDir,
}

impl Run {
    pub(crate) fn image(args: &[&str]) -> Run {
        Run::new("image", args)
    }

    pub(crate) fn sbom(args: &[&str]) -> Run {
        Run::new("sbom", args)
    }

    pub(crate) fn discover(args: &[&str]) -> Run {
        Run::new("discover", args)
    }

    fn new(subcommand: &str, args: &[&str]) -> Run {
        let home = tempfile::tempdir().unwrap();
        let mut cmd = Command::new(BIN);
        cmd.arg("--data-dir")
            .arg(data_dir())
            .arg(subcommand)
            .args(args)
            .current_dir(home.path())
            .env("HOME", home.path())
            .env_remove("DOCKER_CONFIG")
            .env_remove("CROWSNEST_REGISTRY_PASSWORD")
            .env_remove("CROWSNEST_DATA_DIR")
            .env("NO_COLOR", "1");
        Run {
            cmd,
            stdin: None,
            home,
        }
    }

    pub(crate) fn env(mut self, k: &str, v: impl AsRef<std::ffi::OsStr>) -> Run {
        self.cmd.env(k, v);
        self
    }

    pub(crate) fn stdin(mut self, bytes: &[u8]) -> Run {
        self.stdin = Some(bytes.to_vec());
        self
    }

    /// The temporary HOME (also the working directory).
    pub(crate) fn home(&self) -> &Path {
        self.home.path()
    }

    pub(crate) fn run(mut self) -> Done {
        self.cmd
            .stdin(if self.stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = self.cmd.spawn().unwrap();
        if let Some(bytes) = self.stdin.take() {
            child.stdin.take().unwrap().write_all(&bytes).unwrap();
        }
        let out = child.wait_with_output().unwrap();
        Done { out }
    }
}

#[derive(Debug)]
pub(crate) struct Done {
    pub(crate) out: Output,
}

impl Done {
    pub(crate) fn code(&self) -> i32 {
        self.out.status.code().expect("exited normally")
    }
    pub(crate) fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.out.stdout).into_owned()
    }
    pub(crate) fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.out.stderr).into_owned()
    }
    /// Asserts the exit status, showing stderr when it differs.
    pub(crate) fn expect(self, code: i32) -> Done {
        assert_eq!(self.code(), code, "stderr:\n{}", self.stderr());
        self
    }
    pub(crate) fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.out.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", self.stdout()))
    }
}

/// (cve, packageName) of a Console-shaped JSON result, sorted.
pub(crate) fn vulns(result: &serde_json::Value) -> Vec<(String, String, String)> {
    let mut v: Vec<_> = result["vulnerabilities"]
        .as_array()
        .expect("vulnerabilities")
        .iter()
        .map(|v| {
            (
                v["cve"].as_str().unwrap().to_string(),
                v["packageName"].as_str().unwrap().to_string(),
                v["status"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    v.sort();
    v
}

/// Validates a JSON document against a schema in tests/data with Python's `jsonschema`
/// (installed by scripts/test-deps.sh); schemas it references are resolved from the same folder.
pub(crate) fn validate(doc: &str, schema: &str) {
    let data = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data"));
    let script = r#"
import json, sys, pathlib
from jsonschema import validators
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7
data = pathlib.Path(sys.argv[1])
schema = json.loads((data / sys.argv[2]).read_text())
resources = []
for p in data.glob("*.json"):
    doc = json.loads(p.read_text())
    res = Resource.from_contents(doc, default_specification=DRAFT7)
    resources.append((p.name, res))
    if "$id" in doc:
        resources.append((doc["$id"], res))
registry = Registry().with_resources(resources)
cls = validators.validator_for(schema)
v = cls(schema, registry=registry)
errors = sorted(v.iter_errors(json.load(sys.stdin)), key=lambda e: list(e.path))
for e in errors[:20]:
    print(f"{'/'.join(map(str, e.path))}: {e.message[:300]}")
sys.exit(1 if errors else 0)
"#;
    let mut child = Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(&data)
        .arg(schema)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 (scripts/test-deps.sh installs it with jsonschema)");
    // A validator that dies early closes its stdin; its stderr then says why.
    let _ = child.stdin.take().unwrap().write_all(doc.as_bytes());
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{schema} rejects the document:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A free port on 127.0.0.1 (bound and released; another process could take it in between,
/// which the callers' start-up checks would report).
pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub(crate) const ADMIN: (&str, &str) = ("admin", "faults-Pw-1");

/// `crowsnest serve` as a child process, the way users run it: its own data dir, a free loopback
/// port kept across restarts, the admin user from the environment, no periodic scan. Its log
/// goes to files outside the data dir (which a test may fill up). [`Console::kill`] and drop
/// end it with SIGKILL, as a crash or the OOM killer would.
pub(crate) struct Console {
    child: Option<std::process::Child>,
    data_dir: PathBuf,
    feeds: Option<PathBuf>,
    port: u16,
    logs: tempfile::TempDir,
    starts: usize,
    http: reqwest::Client,
}

/// One API answer.
#[derive(Debug)]
pub(crate) struct Reply {
    pub(crate) status: u16,
    pub(crate) total_count: Option<u64>,
    pub(crate) text: String,
}

impl Reply {
    pub(crate) fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.text)
            .unwrap_or_else(|e| panic!("not JSON ({e}), HTTP {}: {}", self.status, self.text))
    }
}

impl Console {
    pub(crate) fn new(data_dir: &Path) -> Console {
        // reqwest is built without a default TLS provider; the binary installs ring the same way.
        let _ = rustls::crypto::ring::default_provider().install_default();
        Console {
            child: None,
            data_dir: data_dir.to_path_buf(),
            feeds: None,
            port: free_port(),
            logs: tempfile::tempdir().unwrap(),
            starts: 0,
            http: reqwest::Client::new(),
        }
    }

    /// `--feeds DIR`: the database is built from this mirror at the first start.
    pub(crate) fn feeds(mut self, dir: &Path) -> Console {
        self.feeds = Some(dir.to_path_buf());
        self
    }

    /// Starts the process without waiting for it to listen.
    pub(crate) fn spawn(&mut self) {
        assert!(self.child.is_none(), "the Console is already running");
        self.starts += 1;
        let log = std::fs::File::create(self.log_path(self.starts)).unwrap();
        let mut cmd = Command::new(BIN);
        cmd.arg("--data-dir")
            .arg(&self.data_dir)
            .arg("serve")
            .arg("--listen")
            .arg(format!("127.0.0.1:{}", self.port))
            .arg("--scan-interval-hours")
            .arg("0")
            .arg("--plain-http");
        if let Some(feeds) = &self.feeds {
            cmd.arg("--feeds").arg(feeds);
        }
        for (k, _) in std::env::vars_os() {
            if k.to_string_lossy().starts_with("CROWSNEST_") {
                cmd.env_remove(k);
            }
        }
        let child = cmd
            .env("CROWSNEST_ADMIN_USER", ADMIN.0)
            .env("CROWSNEST_ADMIN_PASSWORD", ADMIN.1)
            .env("CROWSNEST_LOG", "info")
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap();
        self.child = Some(child);
    }

    /// Waits until `_ping` answers; panics with the log when the process exits first or the
    /// deadline (generous: a first start builds the database) passes.
    pub(crate) async fn wait_ready(&mut self) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(180);
        loop {
            if let Some(status) = self.exited() {
                panic!("crowsnest serve exited ({status}):\n{}", self.log());
            }
            if let Ok(r) = self
                .http
                .get(format!("http://127.0.0.1:{}/api/v1/_ping", self.port))
                .send()
                .await
                && r.status().is_success()
            {
                return;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "crowsnest serve did not answer within 180 s:\n{}",
                self.log()
            );
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }

    pub(crate) async fn start(&mut self) {
        self.spawn();
        self.wait_ready().await;
    }

    /// SIGKILL, then reap the process.
    pub(crate) fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// The exit status, when the process has ended on its own.
    pub(crate) fn exited(&mut self) -> Option<std::process::ExitStatus> {
        let status = self.child.as_mut()?.try_wait().unwrap();
        if status.is_some() {
            self.child = None;
        }
        status
    }

    fn log_path(&self, start: usize) -> PathBuf {
        self.logs.path().join(format!("serve-{start}.log"))
    }

    /// Everything every run of this Console has logged, oldest run first.
    pub(crate) fn log(&self) -> String {
        (1..=self.starts)
            .map(|n| {
                format!(
                    "--- run {n} ---\n{}",
                    std::fs::read_to_string(self.log_path(n)).unwrap_or_default()
                )
            })
            .collect()
    }

    /// An API call as the admin; `path` starts after `/api/v1`.
    pub(crate) async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> Reply {
        let mut req = self
            .http
            .request(
                method,
                format!("http://127.0.0.1:{}/api/v1{path}", self.port),
            )
            .basic_auth(ADMIN.0, Some(ADMIN.1));
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req
            .send()
            .await
            .unwrap_or_else(|e| panic!("{path}: {e}\n{}", self.log()));
        let status = resp.status().as_u16();
        let total_count = resp
            .headers()
            .get("Total-Count")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok());
        let text = resp.text().await.unwrap_or_default();
        Reply {
            status,
            total_count,
            text,
        }
    }

    /// GET that must succeed.
    pub(crate) async fn get(&self, path: &str) -> serde_json::Value {
        let r = self.call(reqwest::Method::GET, path, None).await;
        assert_eq!(r.status, 200, "GET {path}: {}", r.text);
        r.json()
    }

    /// Adds a registry specification (Prisma's shape) without scanning.
    pub(crate) async fn add_registry(&self, registry: &str, repository: &str, scanners: u32) {
        let spec = serde_json::json!({
            "version": "2", "registry": registry, "repository": repository, "tag": "",
            "os": "linux", "cap": 0, "scanners": scanners, "collections": ["All"],
        });
        let r = self
            .call(
                reqwest::Method::POST,
                "/settings/registry?scanLater=true",
                Some(spec),
            )
            .await;
        assert_eq!(r.status, 200, "adding the registry: {}", r.text);
    }

    /// Starts a regular scan of every specification.
    pub(crate) async fn scan(&self) {
        let r = self
            .call(reqwest::Method::POST, "/registry/scan", None)
            .await;
        assert_eq!(r.status, 200, "starting a scan: {}", r.text);
    }

    /// (scanned, total, ongoing) of the regular scan, summed over its specifications.
    pub(crate) async fn progress(&self) -> (u64, u64, bool) {
        let p = self.get("/registry/progress").await;
        let entries = p.as_array().cloned().unwrap_or_default();
        let sum = |f: &str| {
            entries
                .iter()
                .map(|e| e["imageScan"][f].as_u64().unwrap_or(0))
                .sum::<u64>()
        };
        let ongoing = entries
            .iter()
            .any(|e| e["isScanOngoing"].as_bool().unwrap_or(false));
        (sum("scanned"), sum("total"), ongoing)
    }

    /// Polls the status until the regular scan is over; returns `GET /statuses/registry`.
    pub(crate) async fn wait_scan_done(&self, deadline_secs: u64) -> serde_json::Value {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(deadline_secs);
        loop {
            let status = self.get("/statuses/registry").await;
            if status["completed"] == true && status["scanning"] == false {
                return status;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the scan did not end within {deadline_secs} s; status {status}, progress {:?}\n{}",
                self.progress().await,
                self.log()
            );
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    }

    /// Every stored result (`GET /registry`, all pages) by image key (`_id`), and the
    /// `Total-Count` the Console reported.
    pub(crate) async fn results(
        &self,
    ) -> (std::collections::BTreeMap<String, serde_json::Value>, u64) {
        let mut out = std::collections::BTreeMap::new();
        let mut total = 0;
        loop {
            let r = self
                .call(
                    reqwest::Method::GET,
                    &format!("/registry?limit=250&offset={}", out.len()),
                    None,
                )
                .await;
            assert_eq!(r.status, 200, "GET /registry: {}", r.text);
            total = r.total_count.unwrap_or(total);
            let page = r.json().as_array().cloned().unwrap_or_default();
            if page.is_empty() {
                return (out, total);
            }
            for result in page {
                let key = result["_id"].as_str().unwrap().to_string();
                assert!(
                    out.insert(key.clone(), result).is_none(),
                    "{key} is listed twice"
                );
            }
        }
    }
}

impl Drop for Console {
    fn drop(&mut self) {
        self.kill();
    }
}
