//! Benchmark: matching throughput and re-matching 1,000 stored inventories.
//!
//! Opens the database written by the `import_snapshot` example (or builds it from
//! `../shared/vulndb`), makes inventories from real package databases (Ubuntu 18.04 dpkg status,
//! Alpine 3.4 apk db) plus a few Python packages, stores 1,000 of them as JSON, then times
//! decoding them (the baseline every re-match pays) and matching them.
//!
//! It also times the scanner's pattern, a new [`Matcher`] per image (so per-matcher caches start
//! cold every time), on the first 20 inventories.
//!
//! `--dump FILE` writes every finding of the two sample inventories and the `explain` steps of
//! a few heavily advised packages as JSON lines, so a matcher change can be diffed against the
//! previous build's output (`cmp` the two files).
//!
//! `cargo run --release -p crowsnest-vulndb --example match_throughput [DB] [--dump FILE]`

use crowsnest_model::{Inventory, OsInfo, Package, PackageKind};
use crowsnest_vulndb::{Database, ImportOptions, MatchOptions, Matcher, Outcome};
use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

/// A fixed "now" (2025-11-22) so that `Recent vulnerability` and hence `--dump` are stable.
const NOW: i64 = 1_763_769_600;

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
    let mut args = std::env::args().skip(1);
    let mut path = None;
    let mut dump = None;
    while let Some(a) = args.next() {
        match a.as_str() {
            "--dump" => dump = Some(PathBuf::from(args.next().ok_or("--dump needs a file")?)),
            _ => path = Some(PathBuf::from(a)),
        }
    }
    let path = path.unwrap_or_else(|| std::env::temp_dir().join("crowsnest-bench.db"));
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
    let matcher = Matcher::with_options(&db, MatchOptions::at(NOW));
    let setup = t.elapsed();

    let samples = [ubuntu(), alpine()];
    if let Some(dump) = dump {
        let mut out = std::io::BufWriter::new(std::fs::File::create(&dump)?);
        for inv in &samples {
            for f in matcher.match_inventory(inv) {
                writeln!(out, "{}", serde_json::to_string(&f)?)?;
            }
        }
        for (ns, name, version) in [
            ("ubuntu:bionic", "glibc", "2.27-3ubuntu1"),
            ("ubuntu:bionic", "openssl", "1.1.1-1ubuntu2.1~18.04.2"),
            ("alpine:v3.4", "openssl", "1.0.2k-r0"),
            ("PyPI", "Django", "2.2.0"),
            ("PyPI", "pyyaml", "5.3"),
            ("PyPI", "Jinja2", "not a version"),
        ] {
            for s in matcher.explain(ns, name, version, None)? {
                let verdict = match s.outcome {
                    Outcome::Affected { fix } => format!("affected ({})", fix.prisma_status()),
                    Outcome::NotAffected => "not affected".into(),
                    Outcome::Unknown => "unknown".into(),
                };
                writeln!(
                    out,
                    "{ns} {name} {version}: {} [{}] {} -> {verdict}",
                    s.id, s.source, s.rule
                )?;
            }
        }
        out.flush()?;
        println!("wrote {}", dump.display());
    }
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

    // The scanner builds a Matcher per image: time that pattern on the first 20 inventories.
    let t = Instant::now();
    let per_image: usize = decoded[..20]
        .iter()
        .map(|i| {
            Matcher::with_options(&db, MatchOptions::at(NOW))
                .match_inventory(i)
                .len()
        })
        .sum();
    let fresh = t.elapsed();

    println!("db open {open:.2?}, matcher setup {setup:.2?}");
    println!("1,000 inventories, {packages} packages, {findings} findings");
    println!("baseline: decode 1,000 stored inventories (JSON) {decode:.2?}");
    println!(
        "match 1,000 inventories {matching:.2?}: {:.0} packages/s, {:.2} ms per inventory, {:.1}x the decode time",
        packages as f64 / matching.as_secs_f64(),
        matching.as_secs_f64() * 1000.0 / 1000.0,
        matching.as_secs_f64() / decode.as_secs_f64()
    );
    println!(
        "a new Matcher per inventory (the scanner's pattern), 20 inventories, {per_image} findings: {fresh:.2?}, {:.2} ms per inventory",
        fresh.as_secs_f64() * 1000.0 / 20.0
    );
    Ok(())
}
