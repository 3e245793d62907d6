//! The GitHub Advisory Database on its real files (`feed-samples/ghsa-osv`: repository files and
//! the osv.dev-served copies), every expectation read off the file it names.

use super::support::{InventoryBuilder, build, find, ids_for, samples, temp_feeds};
use crowsnest_model::{FixStatus, PackageKind, Severity};
use crowsnest_vulndb::{MatchOptions, Matcher};

#[test]
fn ghsa_samples_import_every_ecosystem_with_github_severity_and_cvss() {
    let (db, report) = build(&[samples("ghsa-osv")]);
    let ghsa = report.source("ghsa").expect("ghsa");
    // MANIFEST: 10 (trivy-db) + 5 (advisory-database) + 5 GHSA of the 6 osv-scanner files
    // (the sixth is DRUPAL-CONTRIB-2025-083, another feed).
    assert_eq!((ghsa.records, ghsa.withdrawn, ghsa.malformed), (20, 0, 0));
    assert!(report.malformed.is_empty(), "{:?}", report.malformed);
    // Every ecosystem is kept, also those without an inventory kind (GHSA-7fj7-39wj-c64f).
    for ns in [
        "Maven",
        "npm",
        "NuGet",
        "Packagist",
        "Go",
        "crates.io",
        "SwiftURL",
    ] {
        assert!(db.status().namespaces.contains_key(ns), "{ns} missing");
    }
    let inv = InventoryBuilder::default()
        .package(
            PackageKind::Java,
            "org.apache.logging.log4j:log4j-core",
            "2.15.0",
        )
        .package(PackageKind::Npm, "express", "4.19.2")
        .package(PackageKind::Npm, "express", "5.0.0")
        .build();
    let f = Matcher::with_options(&db, MatchOptions::at(1_700_000_000)).match_inventory(&inv);
    // GHSA-7rjr-3q55-vv33.json: alias CVE-2021-45046, range introduced 2.13.0 fixed 2.16.0,
    // `severity: CRITICAL`, CVSS_V3 `CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:C/C:H/I:H/A:H` (9.0).
    let log4j = find(&f, "org.apache.logging.log4j:log4j-core", "CVE-2021-45046");
    assert_eq!(log4j.fix, FixStatus::Fixed("2.16.0".into()));
    assert_eq!(log4j.aliases, vec!["GHSA-7rjr-3q55-vv33".to_string()]);
    assert_eq!(log4j.vendor_severity.as_deref(), Some("critical"));
    assert_eq!(log4j.severity, Severity::Critical);
    assert_eq!(
        log4j.cvss_vector.as_deref(),
        Some("CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:C/C:H/I:H/A:H")
    );
    assert_eq!(log4j.cvss, Some(9.0));
    assert_eq!(log4j.cvss_source.as_deref(), Some("ghsa"));
    assert_eq!(
        log4j.link,
        "https://nvd.nist.gov/vuln/detail/CVE-2021-45046"
    );
    // osv-scanner/Maven/GHSA-3pxv-7cmr-fjr4.json (nanosecond `modified`): CVE-2026-34480,
    // introduced 2.0-alpha1 fixed 2.25.4, CVSS_V4 only, `severity: MODERATE`.
    let v4 = find(&f, "org.apache.logging.log4j:log4j-core", "CVE-2026-34480");
    assert_eq!(v4.fix, FixStatus::Fixed("2.25.4".into()));
    assert_eq!(v4.severity, Severity::Medium);
    assert!(
        v4.cvss_vector
            .as_deref()
            .is_some_and(|v| v.starts_with("CVSS:4.0/"))
    );
    // GHSA-3pxv-7cmr-fjr4 and GHSA-7rjr-3q55-vv33 are the only log4j-core records here.
    assert_eq!(
        ids_for(&f, "org.apache.logging.log4j:log4j-core"),
        vec!["CVE-2021-45046", "CVE-2026-34480"]
    );
    // GHSA-qw6h-vgh9-j6wx.json (CVE-2024-43796): express <4.20.0 and 5.0.0-alpha.1 to <5.0.0;
    // CVSS_V3 is preferred over the CVSS_V4 entry beside it.
    let express: Vec<_> = f
        .iter()
        .filter(|x| x.package_name == "express" && x.id == "CVE-2024-43796")
        .collect();
    assert_eq!(express.len(), 1, "only 4.19.2 is affected: {express:?}");
    assert_eq!(express[0].package_version, "4.19.2");
    assert_eq!(express[0].fix, FixStatus::Fixed("4.20.0".into()));
    assert_eq!(
        express[0].cvss_vector.as_deref(),
        Some("CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:L/I:L/A:L")
    );
}

/// Unreviewed advisories (GitHub's copies of NVD records) are not imported; a broken GHSA file
/// is reported by name and the good one beside it still imported.
#[test]
fn ghsa_unreviewed_and_broken_files() {
    let record = |id: &str, reviewed: bool| {
        format!(
            r#"{{"id":"{id}","modified":"2099-01-01T00:00:00Z","aliases":["CVE-2099-{n}"],
            "affected":[{{"package":{{"ecosystem":"npm","name":"left-pad"}},
            "ranges":[{{"type":"ECOSYSTEM","events":[{{"introduced":"0"}},{{"fixed":"2.0.0"}}]}}]}}],
            "database_specific":{{"severity":"HIGH","github_reviewed":{reviewed}}}}}"#,
            n = &id[id.len() - 4..]
        )
    };
    let reviewed = record("GHSA-test-test-0001", true);
    let unreviewed = record("GHSA-test-test-0002", false);
    let dir = temp_feeds(&[
        (
            "advisories/github-reviewed/2099/01/GHSA-test-test-0001/GHSA-test-test-0001.json",
            &reviewed,
        ),
        (
            "advisories/unreviewed/2099/01/GHSA-test-test-0002/GHSA-test-test-0002.json",
            &unreviewed,
        ),
        (
            "advisories/github-reviewed/2099/01/GHSA-test-test-0003/GHSA-test-test-0003.json",
            r#"{"id":"GHSA-test-test-0003","modified":"2099-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"npm"}}]}"#,
        ),
    ]);
    let (db, report) = build(&[dir.path().to_path_buf()]);
    let ghsa = report.source("ghsa").expect("ghsa");
    assert_eq!((ghsa.records, ghsa.malformed), (1, 1));
    assert!(
        report.malformed[0]
            .file
            .ends_with("GHSA-test-test-0003.json")
    );
    let inv = InventoryBuilder::default()
        .package(PackageKind::Npm, "left-pad", "1.0.0")
        .build();
    let f = Matcher::new(&db).match_inventory(&inv);
    assert_eq!(ids_for(&f, "left-pad"), vec!["CVE-2099-0001"]);
}
