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
