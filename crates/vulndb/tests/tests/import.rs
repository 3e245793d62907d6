//! Importer tests: the whole snapshot against MANIFEST.md's counts, the sample-only formats,
//! records written here from the formats' documentation, and malformed input.

use super::support::{InventoryBuilder, build, find, temp_feeds, vulndb};
use crowsnest_model::{FixStatus, PackageKind};
use crowsnest_vulndb::{MatchOptions, Matcher};
use std::path::PathBuf;

#[test]
fn whole_snapshot_matches_manifest_counts() {
    let (db, report) = build(&[vulndb("")]);
    let s = |name: &str| {
        report
            .source(name)
            .unwrap_or_else(|| panic!("source {name} missing: {:?}", report.sources.keys()))
            .clone()
    };
    // (source, records kept + withdrawn, withdrawn) from MANIFEST.md's table and notes.
    let expected: &[(&str, u64, u64)] = &[
        ("go-vulndb", 4_291, 17),
        ("rustsec", 1_206, 13),
        ("pypa", 2_661, 10),
        ("almalinux", 5_680, 0),
        ("ghsa", 10, 0),
        ("rubysec", 1_234 + 147, 0),
        ("friendsofphp", 1_592, 0),
        ("nodejs-security-wg", 467 + 171, 0),
        ("ubuntu", 41_702, 454),
        ("debian-dsa", 5_406, 0),
        ("debian-dla", 3_534, 0),
        ("alpine", 1_652, 0),
        ("cisa-kev", 1_404, 0),
        ("redhat-csaf", 4, 0),
        ("nvd", 3, 1),
        ("epss", 29, 0),
    ];
    for (name, total, withdrawn) in expected {
        let r = s(name);
        assert_eq!(r.records + r.withdrawn, *total, "{name}: {r:?}");
        assert_eq!(r.withdrawn, *withdrawn, "{name} withdrawn");
        assert_eq!(r.malformed, 0, "{name} malformed");
    }
    // Alpine: 12,028 CVE fixes across the branches (MANIFEST).
    assert_eq!(s("alpine").entries, 12_028);
    // DTSA has 208 advisories in the list (counted from the file's headers).
    assert_eq!(s("debian-dtsa").records, 208);
    assert!(report.malformed.is_empty(), "{:?}", report.malformed);
    // Data dates: KEV catalog 2025-08-25, EPSS score date 2024-10-25.
    assert_eq!(s("cisa-kev").newest.map(|t| t / 86_400), Some(20_325));
    assert_eq!(s("epss").newest.map(|t| t / 86_400), Some(20_021));
    assert_eq!(db.status().sources, report.sources);
}

/// A `data/CVE/list` excerpt written from the tracker's format documentation (not copied).
const CVE_LIST: &str = "\
CVE-2099-0001 (Heap overflow in libexample before 1.4)
\t- libexample 1.4-1 (bug #100001)
\t[bookworm] - libexample 1.2-3+deb12u1
\t[bullseye] - libexample <no-dsa> (Minor issue)
\t[buster] - libexample <postponed> (Revisit when fixed upstream)
\tNOTE: https://example.invalid/fix
CVE-2099-0002 (Not in our version)
\t- libexample <not-affected> (Vulnerable code introduced in 2.0)
CVE-2099-0003
\t- otherpkg <unfixed> (unimportant)
CVE-2099-0004
\tREJECTED
";

const TRACKER_JSON: &str = r#"{
  "libexample": {
    "CVE-2099-0101": {
      "description": "Example issue",
      "releases": {
        "bookworm": {"status": "resolved", "fixed_version": "1.2-4", "urgency": "medium", "repositories": {"bookworm": "1.2-3"}},
        "bullseye": {"status": "open", "urgency": "low", "nodsa": "Minor issue", "nodsa_reason": "postponed", "repositories": {"bullseye": "1.1-1"}},
        "trixie": {"status": "resolved", "fixed_version": "0", "urgency": "not yet assigned", "repositories": {"trixie": "2.0-1"}}
      }
    }
  }
}"#;

#[test]
fn debian_cve_list_and_json_written_from_the_docs() {
    let dir = temp_feeds(&[
        ("tracker/data/CVE/list", CVE_LIST),
        ("tracker-json/debian.json", TRACKER_JSON),
    ]);
    let (db, report) = build(&[dir.path().to_path_buf()]);
    let cve = report.source("debian-cve").expect("debian-cve");
    assert_eq!((cve.records, cve.withdrawn, cve.malformed), (3, 1, 0));
    assert_eq!(report.source("debian-json").expect("json").records, 1);
    let m = Matcher::with_options(&db, MatchOptions::at(0));
    let steps = |release: &str, v: &str| {
        let ns = crowsnest_vulndb::distro_namespace(release).expect("distro");
        m.explain(&ns, "libexample", v, None).expect("explain")
    };
    let inv = |release: &str, v: &str| {
        InventoryBuilder::default()
            .os("debian", release)
            .with_source(PackageKind::Dpkg, "libexample1", v, "libexample", None)
            .build()
    };
    // bookworm: own line says fixed in 1.2-3+deb12u1; JSON says fixed in 1.2-4.
    let f = m.match_inventory(&inv("12", "1.2-3"));
    assert_eq!(
        find(&f, "libexample1", "CVE-2099-0001").fix,
        FixStatus::Fixed("1.2-3+deb12u1".into())
    );
    assert_eq!(
        find(&f, "libexample1", "CVE-2099-0101").fix,
        FixStatus::Fixed("1.2-4".into())
    );
    assert_eq!(
        find(&f, "libexample1", "CVE-2099-0101")
            .vendor_severity
            .as_deref(),
        Some("medium")
    );
    // bullseye: <no-dsa> → will not fix; JSON postponed → deferred.
    let f = m.match_inventory(&inv("11", "1.1-1"));
    assert_eq!(
        find(&f, "libexample1", "CVE-2099-0001").fix,
        FixStatus::WillNotFix
    );
    assert_eq!(
        find(&f, "libexample1", "CVE-2099-0101").fix,
        FixStatus::Deferred
    );
    // buster: <postponed> → deferred.
    let f = m.match_inventory(&inv("10", "1.0-1"));
    assert_eq!(
        find(&f, "libexample1", "CVE-2099-0001").fix,
        FixStatus::Deferred
    );
    // trixie has no line of its own: unstable's fix (1.4-1) applies; the JSON says 0 (not affected).
    let f = m.match_inventory(&inv("13", "1.3-1"));
    assert_eq!(
        find(&f, "libexample1", "CVE-2099-0001").fix,
        FixStatus::Fixed("1.4-1".into())
    );
    assert!(
        f.iter()
            .all(|x| x.id != "CVE-2099-0101" && x.id != "CVE-2099-0002"),
        "{f:?}"
    );
    // <not-affected> everywhere, and REJECTED skipped.
    assert!(
        steps("debian:bookworm", "1.0-1")
            .iter()
            .all(|s| s.id != "CVE-2099-0004")
    );
    assert!(steps("debian:bookworm", "1.0-1")
        .iter()
        .any(|s| s.id == "CVE-2099-0002" && s.outcome == crowsnest_vulndb::Outcome::NotAffected));
}

#[test]
fn malformed_records_are_counted_with_their_file_and_the_import_goes_on() {
    let good_osv = r#"{"id":"GHSA-test-0001","modified":"2024-01-01T00:00:00Z","aliases":["CVE-2099-1000"],
        "affected":[{"package":{"ecosystem":"npm","name":"left-pad"},
        "ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"1.3.0"}]}]}]}"#;
    let dir = temp_feeds(&[
        ("osv/GHSA-test-0001.json", good_osv),
        (
            "osv/GHSA-test-0002.json",
            "{\"id\": \"GHSA-test-0002\", \"affected\": [",
        ),
        (
            "osv/GHSA-test-0003.json",
            r#"{"id":"GHSA-test-0003","modified":"x","affected":[{"package":{"ecosystem":"npm","name":"x"},"ranges":[{"type":"BOGUS","events":[]}]}]}"#,
        ),
        (
            "gems/foo/CVE-2099-1.yml",
            "gem: foo\ncve: 2099-1\npatched_versions:\n  - '>= '\n",
        ),
        (
            "alpine/v3.9/main.yaml",
            "distroversion: v3.9\npackages: 12\n",
        ),
        (
            "epss/epss.csv",
            "#model_version:v1,score_date:2024-10-25T00:00:00+0000\ncve,epss,percentile\nCVE-2099-1000,0.5,0.9\nCVE-2099-1001,abc,0.1\n",
        ),
        (
            "nvd/page.json",
            r#"{"resultsPerPage":1,"format":"NVD_CVE","vulnerabilities":[{"nocve":1}]}"#,
        ),
        (
            "debian/data/DSA/list",
            "[01 Jan 2099] DSA-9999-1 pkg - security update\n\t{CVE-2099-2000}\n\t[bookworm] pkg 1.0-1\n[02 Jan 2099] DSA-9999-2 pkg - security update\n\t{CVE-2099-2001}\n\t[bookworm] - pkg 1.0-2\n",
        ),
    ]);
    let (db, report) = build(&[dir.path().to_path_buf()]);
    let files: Vec<&str> = report.malformed.iter().map(|m| m.file.as_str()).collect();
    assert_eq!(report.malformed.len(), 7, "{:#?}", report.malformed);
    for needle in [
        "GHSA-test-0002.json",
        "GHSA-test-0003.json",
        "CVE-2099-1.yml",
        "v3.9/main.yaml",
        "epss.csv",
        "page.json",
        "DSA/list",
    ] {
        assert!(
            files.iter().any(|f| f.ends_with(needle)),
            "{needle} not reported: {files:?}"
        );
    }
    // The good records around the bad ones were imported.
    assert_eq!(report.source("ghsa").map(|s| s.records), Some(1));
    assert_eq!(report.source("epss").map(|s| s.records), Some(1));
    assert_eq!(report.source("debian-dsa").map(|s| s.records), Some(1));
    let inv = InventoryBuilder::default()
        .package(PackageKind::Npm, "left-pad", "1.2.0")
        .build();
    let f = Matcher::new(&db).match_inventory(&inv);
    let hit = find(&f, "left-pad", "CVE-2099-1000");
    assert_eq!(hit.epss, Some(0.5));
    assert_eq!(hit.aliases, vec!["GHSA-test-0001".to_string()]);
}

#[test]
fn missing_path_is_an_error_not_a_panic() {
    let err = crowsnest_vulndb::Database::build(
        &[PathBuf::from("/nonexistent/feeds")],
        &crowsnest_vulndb::ImportOptions::new(),
    );
    assert!(err.is_err());
    assert!(
        crowsnest_vulndb::Database::build(&[], &crowsnest_vulndb::ImportOptions::new()).is_err()
    );
}

#[test]
fn samples_nvd_epss_kev_enrich_ubuntu_findings() {
    // Ubuntu tracker (bionic coreutils: `deferred`, priority low) + NVD/EPSS/KEV samples.
    let (db, report) = build(&[
        vulndb("distro/ubuntu-cve-tracker.tar.gz"),
        vulndb("samples/nvd-api2"),
        vulndb("samples/epss"),
        vulndb("enrich/cisa-kev"),
    ]);
    assert_eq!(
        report.source("nvd").map(|s| (s.records, s.withdrawn)),
        Some((2, 1))
    );
    let inv = InventoryBuilder::default()
        .os("ubuntu", "18.04")
        .package(PackageKind::Dpkg, "coreutils", "8.28-1ubuntu1")
        .build();
    let f = Matcher::with_options(&db, MatchOptions::at(1_700_000_000)).match_inventory(&inv);
    // retired/CVE-2016-2781: `bionic_coreutils: deferred (2022-02-01)`, `Priority: low`;
    // samples/nvd-api2: CVE-2016-2781 v3.0 NVD Primary 6.5 AV:L.
    let c = find(&f, "coreutils", "CVE-2016-2781");
    assert_eq!(c.fix, FixStatus::Deferred);
    assert_eq!(c.vendor_severity.as_deref(), Some("low"));
    assert_eq!(c.severity, crowsnest_model::Severity::Low);
    assert_eq!(c.cvss_source.as_deref(), Some("nvd"));
    assert_eq!(c.cvss, Some(6.5));
    assert!(!c.kev);
    assert!(!c.risk_factors.iter().any(|r| r == "Has fix"));
    assert!(
        c.risk_factors.iter().any(|r| r == "Attack complexity: low"),
        "{:?}",
        c.risk_factors
    );
}

#[test]
fn redhat_csaf_vex_samples() {
    let (db, report) = build(&[vulndb("samples/redhat-csaf-vex")]);
    let r = report.source("redhat-csaf").expect("csaf");
    assert_eq!((r.records, r.malformed), (4, 0));
    let m = Matcher::new(&db);
    // cve-2021-0084.json: kernel is `known_not_affected` for RHEL 5–9.
    let steps = m
        .explain("redhat:8", "kernel", "4.18.0-348.el8", None)
        .expect("explain");
    assert!(steps.iter().any(|s| s.id == "CVE-2021-0084" && s.outcome == crowsnest_vulndb::Outcome::NotAffected), "{steps:?}");
    let inv = InventoryBuilder::default()
        .os("rhel", "8.5")
        .package(PackageKind::Rpm, "kernel", "4.18.0-348.el8")
        .build();
    assert!(
        m.match_inventory(&inv)
            .iter()
            .all(|f| f.id != "CVE-2021-0084")
    );
}
