//! Benchmark: matching throughput and re-matching 1,000 stored inventories.
//!
//! Opens the database written by the `import_snapshot` example (or builds it from
//! `../shared/vulndb`), makes inventories from real package databases (Ubuntu 18.04 dpkg status,
//! Alpine 3.4 apk db) plus a few Python packages, stores 1,000 of them as JSON, then times
//! decoding them (the baseline every re-match pays) and matching them.
//!
//! `cargo run --release -p crowsnest-vulndb --example match_throughput [DB]`

use crowsnest_model::{Inventory, OsInfo, Package, PackageKind};
use crowsnest_vulndb::{Database, ImportOptions, Matcher};
use std::path::PathBuf;
use std::time::Instant;

const SHARED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared");

fn pkg(
    kind: PackageKind,
    name: &str,
    version: &str,
    source: Option<(String, Option<String>)>,
) -> Package {
    Package {
        kind,
        name: name.into(),
        version: version.into(),
        source_name: source.as_ref().map(|s| s.0.clone()),
        source_version: source.and_then(|s| s.1),
        arch: None,
        module: None,
        path: String::new(),
        purl: None,
        license: None,
        layer_digest: Some("sha256:bench".into()),
    }
}

fn field(stanza: &str, key: &str) -> Option<String> {
    stanza
        .lines()
        .find_map(|l| l.strip_prefix(key).map(|v| v.trim().to_string()))
}

fn ubuntu() -> Inventory {
    let txtar = std::fs::read_to_string(format!(
        "{SHARED}/testdata/trivy/pkg/fanal/analyzer/pkg/dpkg/testdata/valid.txtar"
    ))
    .expect("valid.txtar");
    let status = txtar
        .split("-- var/lib/dpkg/status --\n")
        .nth(1)
        .expect("status section");
    let mut packages = Vec::new();
    for stanza in status.split("\n\n") {
        let (Some(name), Some(version)) = (field(stanza, "Package:"), field(stanza, "Version:"))
        else {
            continue;
        };
        let source = field(stanza, "Source:").map(|s| match s.split_once(" (") {
            Some((n, v)) => (n.to_string(), Some(v.trim_end_matches(')').to_string())),
            None => (s, None),
        });
        packages.push(pkg(PackageKind::Dpkg, &name, &version, source));
    }
    for (n, v) in [
        ("PyYAML", "5.3"),
        ("Django", "2.2.0"),
        ("requests", "2.19.0"),
        ("Jinja2", "2.10"),
        ("urllib3", "1.24.1"),
        ("Flask", "0.12"),
    ] {
        packages.push(pkg(PackageKind::Python, n, v, None));
    }
    Inventory {
        os: Some(OsInfo {
            id: "ubuntu".into(),
            version_id: "18.04".into(),
            ..OsInfo::default()
        }),
        packages,
        ..Inventory::default()
    }
}

fn alpine() -> Inventory {
    let text = std::fs::read_to_string(format!(
        "{SHARED}/testdata/trivy/pkg/fanal/analyzer/pkg/apk/testdata/apk"
    ))
    .expect("apk db");
    let packages = text
        .split("\n\n")
        .filter_map(|r| {
            let (name, version) = (field(r, "P:")?, field(r, "V:")?);
            Some(pkg(
                PackageKind::Apk,
                &name,
                &version,
                field(r, "o:").map(|o| (o, None)),
            ))
        })
        .collect();
    Inventory {
        os: Some(OsInfo {
            id: "alpine".into(),
            version_id: "3.4.6".into(),
            ..OsInfo::default()
        }),
        packages,
        ..Inventory::default()
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join("crowsnest-bench.db"));
    if !path.exists() {
        let (db, _) = Database::build(
            &[PathBuf::from(format!("{SHARED}/vulndb"))],
            &ImportOptions::new(),
        )?;
        db.write_atomic(&path)?;
    }
    let t = Instant::now();
    let db = Database::open(&path)?;
    let open = t.elapsed();
    let t = Instant::now();
    let matcher = Matcher::new(&db);
    let setup = t.elapsed();

    let samples = [ubuntu(), alpine()];
    let stored: Vec<String> = (0..1000)
        .map(|i| serde_json::to_string(&samples[i % 2]).expect("encode"))
        .collect();
    let t = Instant::now();
    let decoded: Vec<Inventory> = stored
        .iter()
        .map(|s| serde_json::from_str(s).expect("decode"))
        .collect();
    let decode = t.elapsed();
    let packages: usize = decoded.iter().map(|i| i.packages.len()).sum();

    // Warm-up pass, then the timed pass.
    let _ = decoded
        .iter()
        .map(|i| matcher.match_inventory(i).len())
        .sum::<usize>();
    let t = Instant::now();
    let findings: usize = decoded
        .iter()
        .map(|i| matcher.match_inventory(i).len())
        .sum();
    let matching = t.elapsed();

    println!("db open {open:.2?}, matcher setup {setup:.2?}");
    println!("1,000 inventories, {packages} packages, {findings} findings");
    println!("baseline: decode 1,000 stored inventories (JSON) {decode:.2?}");
    println!(
        "match 1,000 inventories {matching:.2?}: {:.0} packages/s, {:.2} ms per inventory, {:.1}x the decode time",
        packages as f64 / matching.as_secs_f64(),
        matching.as_secs_f64() * 1000.0 / 1000.0,
        matching.as_secs_f64() / decode.as_secs_f64()
    );
    Ok(())
}
