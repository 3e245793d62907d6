//! Rejected and withdrawn records never produce findings, whichever feed says so: the Ubuntu
//! tracker's `ignored/` folder and `** REJECT **` descriptions, NVD's `Rejected` status, the
//! Debian tracker's `REJECTED`, and OSV/GHSA `withdrawn`.

use super::support::{
    InventoryBuilder, build, dpkg_status, ids_for, shared, temp_feeds, txtar_section, vulndb,
};
use crowsnest_model::PackageKind;
use crowsnest_vulndb::{MatchOptions, Matcher, Outcome};

/// The case an independent reference matcher found: `ignored/CVE-2018-10754` ("** REJECT **",
/// withdrawn by its CNA) says `bionic_ncurses: needs-triage`, and was reported as open for the
/// ncurses binaries of a real Ubuntu 18.04 package database.
#[test]
fn ubuntu_ignored_and_rejected_cves_give_no_findings_on_bionic() {
    let (db, report) = build(&[vulndb("distro/ubuntu-cve-tracker.tar.gz")]);
    let ubuntu = report.source("ubuntu").expect("ubuntu");
    // MANIFEST: 41,702 CVE files. `ignored/` holds 260 of them; `** REJECT **` opens the
    // description of 1 more in `active/` and 193 in `retired/` (counted with grep on the archive).
    assert_eq!(ubuntu.records + ubuntu.withdrawn, 41_702);
    assert_eq!(ubuntu.withdrawn, 260 + 1 + 193);
    let txtar = std::fs::read_to_string(shared(
        "testdata/trivy/pkg/fanal/analyzer/pkg/dpkg/testdata/valid.txtar",
    ))
    .expect("valid.txtar");
    let inv = InventoryBuilder::default()
        .os("ubuntu", "18.04")
        .packages(dpkg_status(&txtar_section(&txtar, "var/lib/dpkg/status")))
        .build();
    let m = Matcher::with_options(&db, MatchOptions::at(1_700_000_000));
    let f = m.match_inventory(&inv);
    for pkg in [
        "libncurses5",
        "libncursesw5",
        "libtinfo5",
        "ncurses-base",
        "ncurses-bin",
    ] {
        assert!(
            !ids_for(&f, pkg).contains(&"CVE-2018-10754".to_string()),
            "{pkg} still reports the rejected CVE"
        );
    }
    // The ncurses rules that are real stay: no step at all is left for the rejected id.
    let steps = m
        .explain("ubuntu:bionic", "ncurses", "6.1-1ubuntu1.18.04", None)
        .expect("explain");
    assert!(!steps.is_empty());
    assert!(steps.iter().all(|s| s.id != "CVE-2018-10754"), "{steps:?}");
    // active/CVE-2021-43503 is `** REJECT **` too.
    assert!(
        m.explain("ubuntu:jammy", "linux", "5.15.0-1.1", None)
            .expect("explain")
            .iter()
            .all(|s| s.id != "CVE-2021-43503")
    );
}

/// A CVE one feed marks rejected is dropped from every other feed's rules too: a Debian fix and
/// a GHSA range written here for ids the NVD page (and the Debian list) mark rejected give no
/// finding, while the same records under a live id do.
#[test]
fn a_rejection_in_one_feed_silences_the_id_in_all_feeds() {
    let dsa = "\
[01 Jan 2099] DSA-9990-1 libexample - security update
\t{CVE-2099-7001 CVE-2099-7002}
\t[bookworm] - libexample 1.2-3+deb12u1
";
    let cve_list = "CVE-2099-7003\n\tREJECTED\n";
    let nvd = r#"{"resultsPerPage":1,"startIndex":0,"totalResults":1,"format":"NVD_CVE","version":"2.0",
      "vulnerabilities":[{"cve":{"id":"CVE-2099-7001","vulnStatus":"Rejected",
      "descriptions":[{"lang":"en","value":"Rejected reason: duplicate."}]}}]}"#;
    let osv = |id: &str, cve: &str, withdrawn: bool| {
        format!(
            r#"{{"id":"{id}","modified":"2099-01-01T00:00:00Z",{w}"aliases":["{cve}"],
            "affected":[{{"package":{{"ecosystem":"npm","name":"left-pad"}},
            "ranges":[{{"type":"SEMVER","events":[{{"introduced":"0"}},{{"fixed":"9.0.0"}}]}}]}}]}}"#,
            w = if withdrawn {
                r#""withdrawn":"2099-01-02T00:00:00Z","#
            } else {
                ""
            }
        )
    };
    let ghsa_rejected = osv("GHSA-aaaa-bbbb-0001", "CVE-2099-7003", false);
    let ghsa_withdrawn = osv("GHSA-aaaa-bbbb-0002", "CVE-2099-7004", true);
    let ghsa_live = osv("GHSA-aaaa-bbbb-0003", "CVE-2099-7005", false);
    let dir = temp_feeds(&[
        ("debian/data/DSA/list", dsa),
        ("debian/data/CVE/list", cve_list),
        ("nvd/page.json", nvd),
        ("ghsa/GHSA-aaaa-bbbb-0001.json", &ghsa_rejected),
        ("ghsa/GHSA-aaaa-bbbb-0002.json", &ghsa_withdrawn),
        ("ghsa/GHSA-aaaa-bbbb-0003.json", &ghsa_live),
    ]);
    let (db, report) = build(&[dir.path().to_path_buf()]);
    assert_eq!(report.source("nvd").map(|s| s.withdrawn), Some(1));
    assert_eq!(report.source("debian-cve").map(|s| s.withdrawn), Some(1));
    assert_eq!(
        report.source("ghsa").map(|s| (s.records, s.withdrawn)),
        Some((2, 1))
    );
    let inv = InventoryBuilder::default()
        .os("debian", "12")
        .with_source(
            PackageKind::Dpkg,
            "libexample1",
            "1.2-3",
            "libexample",
            None,
        )
        .package(PackageKind::Npm, "left-pad", "1.0.0")
        .build();
    let f = Matcher::new(&db).match_inventory(&inv);
    // DSA-9990-1 fixes two ids; NVD rejected the first: only the second is reported.
    assert_eq!(ids_for(&f, "libexample1"), vec!["CVE-2099-7002"]);
    // GHSA: the Debian-rejected id and the withdrawn advisory are silent, the live one reported.
    assert_eq!(ids_for(&f, "left-pad"), vec!["CVE-2099-7005"]);
    let steps = Matcher::new(&db)
        .explain("npm", "left-pad", "1.0.0", None)
        .expect("explain");
    assert_eq!(steps.len(), 1, "{steps:?}");
    assert!(matches!(steps[0].outcome, Outcome::Affected { .. }));
}
