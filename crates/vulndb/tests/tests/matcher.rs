//! Matcher tests on real package lists against the matching real feeds. Every expected finding
//! names the feed record that justifies it.

use super::support::{
    InventoryBuilder, apk_installed, build, dpkg_status, find, ids_for, shared, txtar_section,
    vulndb,
};
use crowsnest_model::{FixStatus, PackageKind, Severity};
use crowsnest_vulndb::{MatchOptions, Matcher};

#[test]
fn ubuntu_bionic_status_against_the_ubuntu_tracker() {
    let (db, _) = build(&[
        vulndb("distro/ubuntu-cve-tracker.tar.gz"),
        vulndb("enrich/cisa-kev"),
    ]);
    let txtar = std::fs::read_to_string(shared(
        "testdata/trivy/pkg/fanal/analyzer/pkg/dpkg/testdata/valid.txtar",
    ))
    .expect("valid.txtar");
    let packages = dpkg_status(&txtar_section(&txtar, "var/lib/dpkg/status"));
    assert_eq!(packages.len(), 90);
    let inv = InventoryBuilder::default()
        .os("ubuntu", "18.04")
        .packages(packages)
        // Not in the image; added for the KEV case (retired/CVE-2021-3156: bionic_sudo
        // released 1.8.21p2-3ubuntu1.4, Priority high; listed in CISA KEV).
        .package(PackageKind::Dpkg, "sudo", "1.8.21p2-3ubuntu1")
        .build();
    let f = Matcher::with_options(&db, MatchOptions::at(1_700_000_000)).match_inventory(&inv);

    // Binary libc6 comes from source glibc (Source: glibc, 2.27-3ubuntu1):
    // CVE-2021-3999 `bionic_glibc: released (2.27-3ubuntu1.5)`.
    let glibc = find(&f, "libc6", "CVE-2021-3999");
    assert_eq!(glibc.fix, FixStatus::Fixed("2.27-3ubuntu1.5".into()));
    assert_eq!(glibc.source_name.as_deref(), Some("glibc"));
    assert_eq!(glibc.layer_digest.as_deref(), Some("sha256:layer"));
    assert!(glibc.risk_factors.iter().any(|r| r == "Has fix"));
    // Epochs: zlib1g 1:1.2.11.dfsg-0ubuntu2 < 1:1.2.11.dfsg-0ubuntu2.2 (CVE-2022-37434 released).
    assert_eq!(
        find(&f, "zlib1g", "CVE-2022-37434").fix,
        FixStatus::Fixed("1:1.2.11.dfsg-0ubuntu2.2".into())
    );
    // CVE-2016-9841 says `bionic_zlib: not-affected (1:1.2.11.dfsg-0ubuntu2)`: no finding.
    assert!(!ids_for(&f, "zlib1g").contains(&"CVE-2016-9841".to_string()));
    // retired/CVE-2016-2781 `bionic_coreutils: deferred (2022-02-01)`.
    assert_eq!(
        find(&f, "coreutils", "CVE-2016-2781").fix,
        FixStatus::Deferred
    );
    // KEV: sudo CVE-2021-3156.
    let sudo = find(&f, "sudo", "CVE-2021-3156");
    assert!(sudo.kev);
    assert_eq!(sudo.severity, Severity::High);
    assert!(
        sudo.risk_factors
            .iter()
            .any(|r| r == "Exploit exists - in the wild")
    );
    assert!(sudo.risk_factors.iter().any(|r| r == "High severity"));
    // Never against other feeds: no OSV/GHSA ids for OS packages.
    assert!(
        f.iter().all(|x| x.id.starts_with("CVE-")),
        "non-CVE ids in an Ubuntu match"
    );
}

#[test]
fn debian_buster_status_source_versions_epochs_and_other_releases() {
    let (db, _) = build(&[vulndb("distro/debian-security-tracker-lists.tar.gz")]);
    let m = Matcher::new(&db);
    let status =
        std::fs::read_to_string(shared("testdata/claircore/dpkg/testdata/postgresql.status"))
            .expect("postgresql.status");
    let packages = dpkg_status(&status);
    assert_eq!(packages.len(), 3);
    // As installed, everything is at or above the buster fixes: postgresql-11 11.22-0+deb10u2
    // ≥ 11.19-0+deb10u1 (DLA-3316-1, the newest), postgresql-common 200+deb10u5 ≥
    // 200+deb10u3 (DSA-4568-1).
    let inv = InventoryBuilder::default()
        .os("debian", "10")
        .packages(packages.clone())
        .build();
    assert_eq!(m.match_inventory(&inv), Vec::new());

    // The same image two point releases older. postgresql-client is a binary of
    // postgresql-common: its own version (11+200+deb10u2) is never compared; the source version
    // 200+deb10u2 is, against DSA-4568-1 `[buster] - postgresql-common 200+deb10u3`.
    let old = InventoryBuilder::default()
        .os("debian", "10")
        .with_source(
            PackageKind::Dpkg,
            "postgresql-client",
            "11+200+deb10u2",
            "postgresql-common",
            Some("200+deb10u2"),
        )
        .with_source(
            PackageKind::Dpkg,
            "postgresql-client-11",
            "11.16-0+deb10u1",
            "postgresql-11",
            None,
        )
        .build();
    let f = m.match_inventory(&old);
    let c = find(&f, "postgresql-client", "CVE-2019-3466");
    assert_eq!(c.fix, FixStatus::Fixed("200+deb10u3".into()));
    assert_eq!(c.source_name.as_deref(), Some("postgresql-common"));
    assert_eq!(c.aliases, vec!["DSA-4568-1".to_string()]);
    // postgresql-11 11.16-0+deb10u1: DSA-5135-1 (11.16) is fixed; DLA-3316-1 (11.19) names no
    // CVE, so it is reported under its own id.
    assert!(!ids_for(&f, "postgresql-client-11").contains(&"CVE-2022-1552".to_string()));
    assert_eq!(
        find(&f, "postgresql-client-11", "DLA-3316-1").fix,
        FixStatus::Fixed("11.19-0+deb10u1".into())
    );

    // CVE-2023-1393: DSA-5380-1 fixes bullseye at 2:1.20.11-1+deb11u6, DLA-3372-1 fixes buster
    // at 2:1.20.4-1+deb10u9. A buster image at the buster fix is not affected, whatever
    // bullseye's newer fix says.
    let xorg = |release: &str, v: &str| {
        InventoryBuilder::default()
            .os("debian", release)
            .with_source(
                PackageKind::Dpkg,
                "xserver-xorg-core",
                v,
                "xorg-server",
                None,
            )
            .build()
    };
    assert!(
        !ids_for(
            &m.match_inventory(&xorg("10", "2:1.20.4-1+deb10u9")),
            "xserver-xorg-core"
        )
        .contains(&"CVE-2023-1393".to_string())
    );
    let f = m.match_inventory(&xorg("11", "2:1.20.11-1+deb11u5"));
    assert_eq!(
        find(&f, "xserver-xorg-core", "CVE-2023-1393").fix,
        FixStatus::Fixed("2:1.20.11-1+deb11u6".into())
    );
    // Epoch: without one, 1.20.4-1+deb10u10 is epoch 0, below 2:1.20.4-1+deb10u9.
    let f = m.match_inventory(&xorg("10", "1.20.4-1+deb10u10"));
    assert_eq!(
        find(&f, "xserver-xorg-core", "CVE-2023-1393").fix,
        FixStatus::Fixed("2:1.20.4-1+deb10u9".into())
    );
}

#[test]
fn debian_not_affected_note_in_an_advisory_list() {
    let (db, _) = build(&[vulndb("distro/debian-security-tracker-lists.tar.gz")]);
    // DSA list: `[lenny] - openoffice.org <not-affected> (Vulnerable code not present)`.
    let steps = Matcher::new(&db)
        .explain("debian:lenny", "openoffice.org", "1:2.4.1+dfsg-1", None)
        .expect("explain");
    assert!(
        steps
            .iter()
            .any(|s| s.outcome == crowsnest_vulndb::Outcome::NotAffected
                && s.rule.contains("Vulnerable code not present")),
        "{steps:#?}"
    );
}

#[test]
fn alpine_3_4_installed_db_against_secdb() {
    let (db, _) = build(&[vulndb("distro/alpine-secdb-legacy.tar.gz")]);
    let text = std::fs::read_to_string(shared(
        "testdata/trivy/pkg/fanal/analyzer/pkg/apk/testdata/apk",
    ))
    .expect("apk db");
    let inv = InventoryBuilder::default()
        .os("alpine", "3.4.6")
        .packages(apk_installed(&text))
        .build();
    let f = Matcher::new(&db).match_inventory(&inv);
    // v3.4/main.yaml openssl secfixes, installed libcrypto1.0 1.0.2h-r1 (origin openssl):
    // everything fixed after r1; not 1.0.2h-r0 (CVE-2016-2105…) nor 1.0.2h-r1 (2177, 2178).
    let want: Vec<String> = [
        "CVE-2016-2180",
        "CVE-2016-2179",
        "CVE-2016-2182",
        "CVE-2016-6302",
        "CVE-2016-6303",
        "CVE-2016-2181",
        "CVE-2016-2183",
        "CVE-2016-6304",
        "CVE-2016-6306",
        "CVE-2016-7052",
        "CVE-2016-7055",
        "CVE-2017-3731",
        "CVE-2017-3732",
        "CVE-2017-3735",
        "CVE-2017-3736",
        "CVE-2017-3737",
        "CVE-2017-3738",
        "CVE-2018-0733",
        "CVE-2018-0739",
        "CVE-2018-0732",
        "CVE-2018-0737",
        "CVE-2018-0734",
        "CVE-2018-5407",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let mut want_sorted = want.clone();
    want_sorted.sort();
    assert_eq!(ids_for(&f, "libcrypto1.0"), want_sorted);
    assert_eq!(ids_for(&f, "libssl1.0"), want_sorted);
    // CVE-2017-3738 is listed under 1.0.2n-r0 and again under 1.0.2o-r0: the later fix counts.
    assert_eq!(
        find(&f, "libcrypto1.0", "CVE-2017-3738").fix,
        FixStatus::Fixed("1.0.2o-r0".into())
    );
    assert_eq!(
        find(&f, "libcrypto1.0", "CVE-2016-2180").fix,
        FixStatus::Fixed("1.0.2h-r2".into())
    );
    // busybox 1.24.2-r9: r12 (CVE-2016-6301), r13 (CVE-2017-15873, CVE-2017-16544).
    assert_eq!(
        ids_for(&f, "busybox"),
        vec!["CVE-2016-6301", "CVE-2017-15873", "CVE-2017-16544"]
    );
    // musl 1.1.14-r10 (and musl-utils, same origin): r13 CVE-2016-8859, r16 CVE-2017-15650.
    assert_eq!(ids_for(&f, "musl"), vec!["CVE-2016-8859", "CVE-2017-15650"]);
    assert_eq!(
        ids_for(&f, "musl-utils"),
        vec!["CVE-2016-8859", "CVE-2017-15650"]
    );
    // zlib 1.2.8-r2 < 1.2.11-r0: CVE-2016-9840..9843.
    assert_eq!(
        ids_for(&f, "zlib"),
        vec![
            "CVE-2016-9840",
            "CVE-2016-9841",
            "CVE-2016-9842",
            "CVE-2016-9843"
        ]
    );
    // A branch the feed does not cover (v3.12+) gives nothing rather than another branch's data.
    let newer = InventoryBuilder::default()
        .os("alpine", "3.18.4")
        .packages(apk_installed(&text))
        .build();
    assert!(Matcher::new(&db).match_inventory(&newer).is_empty());
}

#[test]
fn python_names_are_pep503_normalised_and_withdrawn_advisories_skipped() {
    let (db, _) = build(&[vulndb("osv/pypa-advisory-database.tar.gz")]);
    let inv = InventoryBuilder::default()
        .package(PackageKind::Python, "PyYAML", "5.3")
        .package(PackageKind::Python, "JW_Util", "2.0")
        .package(PackageKind::Python, "loguru", "0.5.2")
        .build();
    let f = Matcher::new(&db).match_inventory(&inv);
    // vulns/pyyaml: PYSEC-2021-142 (CVE-2020-14343, fixed 5.4) and PYSEC-2020-96
    // (CVE-2020-1747, introduced 5.1, fixed 5.3.1). Not PYSEC-2020-176 (fixed 5.2b1 < 5.3) nor
    // PYSEC-2018-49 (fixed 5.1).
    assert_eq!(
        ids_for(&f, "PyYAML"),
        vec!["CVE-2020-14343", "CVE-2020-1747"]
    );
    assert_eq!(
        find(&f, "PyYAML", "CVE-2020-1747").fix,
        FixStatus::Fixed("5.3.1".into())
    );
    assert!(
        find(&f, "PyYAML", "CVE-2020-1747")
            .aliases
            .contains(&"PYSEC-2020-96".to_string())
    );
    // vulns/jw.util/PYSEC-2020-341: `jw.util` and `JW_Util` are both `jw-util`.
    assert_eq!(
        find(&f, "JW_Util", "CVE-2020-13388").fix,
        FixStatus::Fixed("2.3".into())
    );
    // loguru: PYSEC-2022-14 (CVE-2022-0338, fixed 0.5.3) applies; PYSEC-2022-15
    // (CVE-2022-0329) is withdrawn and must not appear.
    assert_eq!(ids_for(&f, "loguru"), vec!["CVE-2022-0338"]);
}

#[test]
fn almalinux_module_streams_and_epochs() {
    let (db, _) = build(&[vulndb("osv/almalinux-osv.tar.gz")]);
    let m = Matcher::new(&db);
    // ALSA-2023:6938 "container-tools:4.0": aardvark-dns fixed in
    // 2:1.0.1-38.module_el8.9.0+3627+db8ec155, for that stream only.
    let installed = "2:1.0.1-37.module_el8.8.0+3475+46a53a5d";
    let inv = |module: &str| {
        InventoryBuilder::default()
            .os("almalinux", "8.9")
            .rpm_module("aardvark-dns", installed, module)
            .build()
    };
    let f = m.match_inventory(&inv("container-tools:4.0:8080020230403085216:20125149"));
    let hit = find(&f, "aardvark-dns", "CVE-2022-41723");
    assert_eq!(
        hit.fix,
        FixStatus::Fixed("2:1.0.1-38.module_el8.9.0+3627+db8ec155".into())
    );
    assert!(hit.aliases.contains(&"ALSA-2023:6938".to_string()));
    assert_eq!(hit.vendor_severity.as_deref(), Some("moderate"));
    assert_eq!(hit.severity, Severity::Medium);
    // The same build from another stream is not judged by this stream's erratum.
    let other = m.match_inventory(&inv("container-tools:rhel8:8080020230403085216:20125149"));
    assert!(
        other
            .iter()
            .all(|x| !x.aliases.contains(&"ALSA-2023:6938".to_string())),
        "{other:?}"
    );
    // Non-modular: ALSA-2022:4587 (AlmaLinux:9) pcs fixed in 0.11.1-10.el9, "Important".
    let pcs = InventoryBuilder::default()
        .os("almalinux", "9.0")
        .package(PackageKind::Rpm, "pcs", "0.11.1-9.el9")
        .build();
    let f = m.match_inventory(&pcs);
    let hit = find(&f, "pcs", "CVE-2022-29970");
    assert_eq!(hit.fix, FixStatus::Fixed("0.11.1-10.el9".into()));
    assert_eq!(hit.severity, Severity::High);
    // A missing epoch is 0: 0.11.1-10.el9 is not below the fix.
    let fixed = InventoryBuilder::default()
        .os("almalinux", "9.0")
        .package(PackageKind::Rpm, "pcs", "0.11.1-10.el9")
        .build();
    assert!(
        m.match_inventory(&fixed)
            .iter()
            .all(|x| x.id != "CVE-2022-29970")
    );
}
