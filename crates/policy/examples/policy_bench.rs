//! Throughput of policy evaluation and of the results CSV, each beside a baseline measured in
//! the same run: evaluation of typed findings against cloning the same findings (about what
//! building results from them costs), the CSV against serialising the same results as the API's
//! JSON.
//!
//! Run: `cargo run --release -p crowsnest-policy --example policy_bench [images] [vulns-per-image]`

use crowsnest_model::scan_result::{ImageScanResult, ImageTag, Vulnerability};
use crowsnest_model::{Finding, FixStatus, ImageConfigFacts, PackageKind, Severity};
use crowsnest_policy::{
    Collection, ComplianceInput, CsvReport, Effect, ImageScope, Policy, PolicyRule, PolicySet,
    THRESHOLD_CRITICAL, THRESHOLD_HIGH, VULNERABILITY_POLICY_TYPE, evaluate_image,
};
use std::hint::black_box;
use std::time::Instant;

fn vulns(n: usize) -> Vec<Vulnerability> {
    let severities = [
        "low",
        "medium",
        "high",
        "critical",
        "negligible",
        "important",
    ];
    (0..n)
        .map(|i| {
            let mut v = Vulnerability {
                id: 46,
                cve: format!("CVE-2023-{:05}", i),
                cvss: (i % 100) as f64 / 10.0,
                severity: severities[i % severities.len()].to_string(),
                status: if i % 3 == 0 {
                    "open".into()
                } else {
                    format!("fixed in 1.{i}")
                },
                package_name: format!("pkg{}", i % 200),
                package_version: "1.0-1".into(),
                package_type: "package".into(),
                published: 1_600_000_000 + i as i64 * 3600,
                fix_date: if i % 3 == 0 { 0 } else { 1_650_000_000 },
                description:
                    "A buffer overflow in the parser allows remote attackers to execute code."
                        .into(),
                link: format!("https://security-tracker.debian.org/tracker/CVE-2023-{i:05}"),
                ..Vulnerability::default()
            };
            v.risk_factors.insert("Has fix".into(), Default::default());
            v.risk_factors
                .insert("Attack vector: network".into(), Default::default());
            v
        })
        .collect()
}

/// The same vulnerabilities as the matcher's typed findings, rated by the model's rule.
fn findings(n: usize) -> Vec<Finding> {
    let severities = [
        "low",
        "medium",
        "high",
        "critical",
        "negligible",
        "important",
    ];
    (0..n)
        .map(|i| {
            let word = severities[i % severities.len()];
            let cvss = (i % 100) as f64 / 10.0;
            let fixed = i % 3 != 0;
            Finding {
                id: format!("CVE-2023-{:05}", i),
                aliases: Vec::new(),
                package_name: format!("pkg{}", i % 200),
                package_version: "1.0-1".into(),
                package_kind: PackageKind::Dpkg,
                source_name: None,
                fix: if fixed {
                    FixStatus::Fixed(format!("1.{i}"))
                } else {
                    FixStatus::Open
                },
                fixed_versions: Vec::new(),
                vendor_severity: Some(word.into()),
                severity: Severity::rate(Some(word), Some(cvss)),
                cvss: Some(cvss),
                cvss_vector: None,
                cvss_source: None,
                sources: vec!["debian".into()],
                published: Some(1_600_000_000 + i as i64 * 3600),
                fix_date: fixed.then_some(1_650_000_000),
                description:
                    "A buffer overflow in the parser allows remote attackers to execute code."
                        .into(),
                link: format!("https://security-tracker.debian.org/tracker/CVE-2023-{i:05}"),
                kev: false,
                epss: None,
                risk_factors: vec!["Has fix".into(), "Attack vector: network".into()],
                applicable_rules: Vec::new(),
                layer_digest: None,
                package_path: String::new(),
            }
        })
        .collect()
}

/// A policy of 50 scoped rules (none matching until the last), with exceptions, then a default.
fn busy_policy() -> (Policy, Vec<Collection>) {
    let mut rules = Vec::new();
    let mut catalogue = Vec::new();
    for i in 0..50 {
        let name = format!("team{i}");
        catalogue.push(Collection::named(&name).with_images(&[&format!("team{i}/*"), "-*:dev"]));
        rules.push(
            PolicyRule::named(&name)
                .scoped(vec![Collection::named(&name)])
                .block_at(THRESHOLD_CRITICAL),
        );
    }
    let mut last = PolicyRule::named("default")
        .block_at(THRESHOLD_HIGH)
        .grace(30);
    for i in 0..100 {
        last = last.cve_exception(&format!("CVE-2023-{:05}", i * 7), Effect::Ignore, None);
    }
    rules.push(last);
    (
        Policy::with_rules(VULNERABILITY_POLICY_TYPE, rules),
        catalogue,
    )
}

fn main() {
    let mut args = std::env::args().skip(1);
    let images: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(2_000);
    let per_image: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(100);
    let vs = vulns(per_image);
    let fs = findings(per_image);
    let now: jiff::Timestamp = "2026-11-01T10:00:00Z".parse().unwrap();
    let config = ImageConfigFacts {
        env: vec!["PATH=/usr/bin".into(), "DB_PASSWORD=x".into()],
        ..Default::default()
    };
    let input = ComplianceInput::new(&config);
    let image = ImageScope::new("registry.example:5000", "apps/web", "1.0");
    println!(
        "{images} images x {per_image} vulnerabilities = {} findings",
        images * per_image
    );

    let t = Instant::now();
    for _ in 0..images {
        black_box(fs.clone());
    }
    let clone = t.elapsed();
    println!(
        "baseline clone:             {:>8.1} ms",
        clone.as_secs_f64() * 1e3
    );

    for (label, set) in [
        ("evaluate (default policy)", PolicySet::default()),
        ("evaluate (51 rules)", {
            let (vulnerability, collections) = busy_policy();
            PolicySet {
                vulnerability,
                collections,
                ..PolicySet::default()
            }
        }),
    ] {
        let t = Instant::now();
        for _ in 0..images {
            black_box(evaluate_image(&set, &image, &fs, &input, now));
        }
        let e = t.elapsed();
        println!(
            "{label:<27} {:>8.1} ms  ({:.0} images/s, {:.2}x baseline)",
            e.as_secs_f64() * 1e3,
            images as f64 / e.as_secs_f64(),
            e.as_secs_f64() / clone.as_secs_f64()
        );
    }

    let result = ImageScanResult {
        id: "sha256:3f57d9401f8d42f986df300f0c69192fc41da28ccc8d797829467780db3dd741".into(),
        repo_tag: ImageTag {
            registry: "registry.example:5000".into(),
            repo: "apps/web".into(),
            tag: "1.0".into(),
            ..ImageTag::default()
        },
        vulnerabilities: Some(vs.clone()),
        ..ImageScanResult::default()
    };
    let t = Instant::now();
    let mut json_bytes = 0usize;
    for _ in 0..images {
        let mut sink = Counter(0);
        serde_json::to_writer(&mut sink, &result).unwrap();
        json_bytes += sink.0;
    }
    let json = t.elapsed();
    println!(
        "baseline JSON:              {:>8.1} ms  ({:.1} MB)",
        json.as_secs_f64() * 1e3,
        json_bytes as f64 / 1e6
    );
    let t = Instant::now();
    let mut report = CsvReport::new(Counter(0)).unwrap();
    for _ in 0..images {
        report.write_image(&result).unwrap();
    }
    let rows = report.rows();
    let sink = report.finish().unwrap();
    let csv = t.elapsed();
    println!(
        "CSV:                        {:>8.1} ms  ({:.1} MB, {rows} rows, {:.0} rows/s, {:.2}x baseline)",
        csv.as_secs_f64() * 1e3,
        sink.0 as f64 / 1e6,
        rows as f64 / csv.as_secs_f64(),
        csv.as_secs_f64() / json.as_secs_f64()
    );
}

/// A sink that only counts, so the figures are the writer's own cost.
struct Counter(usize);

impl std::io::Write for Counter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 += buf.len();
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
