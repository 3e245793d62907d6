//! Test helpers: paths into the shared data (failing clearly when it is missing), database
//! builders over chosen feeds, and an inventory builder fed from real package databases.

use crowsnest_model::{Finding, Inventory, OsInfo, Package, PackageKind};
use crowsnest_vulndb::{Database, ImportOptions, ImportReport};
use std::path::PathBuf;

pub(crate) fn shared(rel: &str) -> PathBuf {
    let root = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared"));
    let p = root.join(rel);
    assert!(
        p.exists(),
        "missing shared test data {} (the workspace expects ../shared beside /work/main)",
        p.display()
    );
    p
}

pub(crate) fn vulndb(rel: &str) -> PathBuf {
    shared(&format!("vulndb/{rel}"))
}

pub(crate) fn build(paths: &[PathBuf]) -> (Database, ImportReport) {
    Database::build(paths, &ImportOptions::new()).expect("import")
}

/// Builds an [`Inventory`] one package at a time.
#[derive(Default)]
pub(crate) struct InventoryBuilder {
    inv: Inventory,
}

impl InventoryBuilder {
    pub(crate) fn os(mut self, id: &str, version_id: &str) -> Self {
        self.inv.os = Some(OsInfo {
            id: id.into(),
            version_id: version_id.into(),
            ..OsInfo::default()
        });
        self
    }

    pub(crate) fn package(mut self, kind: PackageKind, name: &str, version: &str) -> Self {
        self.inv.packages.push(pkg(kind, name, version, None, None));
        self
    }

    pub(crate) fn with_source(
        mut self,
        kind: PackageKind,
        name: &str,
        version: &str,
        source: &str,
        source_version: Option<&str>,
    ) -> Self {
        self.inv
            .packages
            .push(pkg(kind, name, version, Some(source), source_version));
        self
    }

    pub(crate) fn rpm_module(mut self, name: &str, version: &str, module: &str) -> Self {
        let mut p = pkg(PackageKind::Rpm, name, version, None, None);
        p.module = Some(module.into());
        self.inv.packages.push(p);
        self
    }

    pub(crate) fn packages(mut self, list: Vec<Package>) -> Self {
        self.inv.packages.extend(list);
        self
    }

    pub(crate) fn build(self) -> Inventory {
        self.inv
    }
}

fn pkg(
    kind: PackageKind,
    name: &str,
    version: &str,
    source: Option<&str>,
    source_version: Option<&str>,
) -> Package {
    Package {
        kind,
        name: name.into(),
        version: version.into(),
        source_name: source.map(str::to_string),
        source_version: source_version.map(str::to_string),
        arch: None,
        module: None,
        path: "test".into(),
        purl: None,
        license: None,
        layer_digest: Some("sha256:layer".into()),
    }
}

/// Installed packages of a dpkg `status` file (`Source: name (version)` honoured).
pub(crate) fn dpkg_status(text: &str) -> Vec<Package> {
    let mut out = Vec::new();
    for stanza in text.split("\n\n") {
        let field = |k: &str| {
            stanza
                .lines()
                .find_map(|l| l.strip_prefix(&format!("{k}: ")).map(str::to_string))
        };
        let (Some(name), Some(version)) = (field("Package"), field("Version")) else {
            continue;
        };
        if !field("Status").is_some_and(|s| s.ends_with(" installed")) {
            continue;
        }
        let (source, source_version) = match field("Source") {
            Some(s) => match s.split_once(" (") {
                Some((n, v)) => (
                    Some(n.to_string()),
                    Some(v.trim_end_matches(')').to_string()),
                ),
                None => (Some(s), None),
            },
            None => (None, None),
        };
        let mut p = pkg(
            PackageKind::Dpkg,
            &name,
            &version,
            source.as_deref(),
            source_version.as_deref(),
        );
        p.path = "var/lib/dpkg/status".into();
        out.push(p);
    }
    out
}

/// Packages of an apk `installed` database (`P:` name, `V:` version, `o:` origin).
pub(crate) fn apk_installed(text: &str) -> Vec<Package> {
    let mut out = Vec::new();
    for record in text.split("\n\n") {
        let field = |k: &str| {
            record
                .lines()
                .find_map(|l| l.strip_prefix(k).map(str::to_string))
        };
        let (Some(name), Some(version)) = (field("P:"), field("V:")) else {
            continue;
        };
        let origin = field("o:");
        out.push(pkg(
            PackageKind::Apk,
            &name,
            &version,
            origin.as_deref(),
            None,
        ));
    }
    out
}

/// The finding for (package, id), failing with the list of what was found instead.
pub(crate) fn find<'a>(findings: &'a [Finding], package: &str, id: &str) -> &'a Finding {
    findings
        .iter()
        .find(|f| f.package_name == package && f.id == id)
        .unwrap_or_else(|| {
            let ids: Vec<String> = findings
                .iter()
                .filter(|f| f.package_name == package)
                .map(|f| f.id.clone())
                .collect();
            panic!("no {id} for {package}; found {ids:?}")
        })
}

pub(crate) fn ids_for(findings: &[Finding], package: &str) -> Vec<String> {
    let mut v: Vec<String> = findings
        .iter()
        .filter(|f| f.package_name == package)
        .map(|f| f.id.clone())
        .collect();
    v.sort();
    v
}

/// One file of a txtar archive (`-- name --` sections).
pub(crate) fn txtar_section(text: &str, name: &str) -> String {
    let marker = format!("-- {name} --\n");
    let start = text.find(&marker).expect("txtar section") + marker.len();
    let rest = &text[start..];
    rest[..rest.find("\n-- ").unwrap_or(rest.len())].to_string()
}

/// Writes `files` (relative path, text) into a fresh temporary feed folder.
pub(crate) fn temp_feeds(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    for (rel, text) in files {
        let p = dir.path().join(rel);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, text).expect("write");
    }
    dir
}

/// A path in `../shared/feed-samples` (real upstream excerpts of the feeds the snapshot lacks).
pub(crate) fn samples(rel: &str) -> PathBuf {
    shared(&format!("feed-samples/{rel}"))
}

/// Installed packages of a real rpm database (SQLite `rpmdb.sqlite` or NDB `Packages.db`), read
/// with the analyzer's parsers; the source rpm gives the source name and version.
pub(crate) fn rpmdb(rel: &str) -> Vec<Package> {
    use crowsnest_analyzer::parse;
    let bytes = std::fs::read(shared(rel)).expect("rpm database");
    let headers = if rel.ends_with(".sqlite") {
        parse::rpm_sqlite(&bytes).expect("sqlite rpmdb")
    } else {
        parse::rpm_ndb(&bytes).expect("ndb rpmdb")
    };
    headers
        .into_iter()
        .filter(|h| h.name != "gpg-pubkey")
        .map(|h| {
            let source = h.source_rpm.as_deref().and_then(split_source_rpm);
            let mut p = pkg(
                PackageKind::Rpm,
                &h.name,
                &h.evr(),
                source.as_ref().map(|s| s.0.as_str()),
                source.as_ref().map(|s| s.1.as_str()),
            );
            p.module = h.modularity_label.clone().filter(|m| !m.is_empty());
            p.path = "var/lib/rpm".into();
            p
        })
        .collect()
}

/// `openssl-3.0.7-2.el9.src.rpm` → (`openssl`, `3.0.7-2.el9`).
fn split_source_rpm(srpm: &str) -> Option<(String, String)> {
    let stem = srpm.strip_suffix(".src.rpm")?;
    let (rest, release) = stem.rsplit_once('-')?;
    let (name, version) = rest.rsplit_once('-')?;
    Some((name.to_string(), format!("{version}-{release}")))
}

/// The rpm packages of one of trivy's golden package lists (the expected output of its rpm
/// analyzer on a real image): `Name`, `Epoch`, `Version`, `Release`, `SrcName`, `Modularitylabel`.
pub(crate) fn trivy_golden(name: &str) -> Vec<Package> {
    let path = shared(&format!(
        "testdata/trivy/pkg/fanal/test/integration/testdata/goldens/packages/{name}.json.golden"
    ));
    let list: serde_json::Value =
        serde_json::from_slice(&std::fs::read(path).expect("golden")).expect("golden JSON");
    let s = |p: &serde_json::Value, k: &str| p.get(k).and_then(|v| v.as_str()).map(str::to_string);
    list.as_array()
        .expect("golden array")
        .iter()
        .map(|p| {
            let epoch = p
                .get("Epoch")
                .and_then(serde_json::Value::as_u64)
                .unwrap_or(0);
            let vr = format!(
                "{}-{}",
                s(p, "Version").unwrap_or_default(),
                s(p, "Release").unwrap_or_default()
            );
            let version = if epoch > 0 {
                format!("{epoch}:{vr}")
            } else {
                vr
            };
            let mut out = pkg(
                PackageKind::Rpm,
                &s(p, "Name").unwrap_or_default(),
                &version,
                s(p, "SrcName").as_deref(),
                None,
            );
            out.module = s(p, "Modularitylabel").filter(|m| !m.is_empty());
            out
        })
        .collect()
}
