//! rpm databases in all three formats against `rpm -qa` output captured in the images
//! (go-rpmdb PR #42's packages.csv) and the peers' transcribed expectations.

use crate::support::{read, testdata};
use crowsnest_analyzer::parse;
use std::collections::BTreeSet;

/// (epoch, name, version, release, arch) rows of a packages.csv, without gpg-pubkey keys.
fn csv_nevra(rel: &str) -> BTreeSet<(Option<u32>, String, String, String, String)> {
    let text = std::fs::read_to_string(testdata(rel)).unwrap();
    text.lines()
        .map(|l| l.split('¶').collect::<Vec<_>>())
        .filter(|f| f[1] != "gpg-pubkey")
        .map(|f| {
            (
                f[0].parse().ok(),
                f[1].into(),
                f[2].into(),
                f[3].into(),
                f[4].into(),
            )
        })
        .collect()
}

fn header_nevra(h: &[parse::RpmHeader]) -> BTreeSet<(Option<u32>, String, String, String, String)> {
    h.iter()
        .filter(|h| h.name != "gpg-pubkey")
        .map(|h| {
            (
                h.epoch,
                h.name.clone(),
                h.version.clone(),
                h.release.clone(),
                h.arch.clone().unwrap_or_default(),
            )
        })
        .collect()
}

#[test]
fn ndb_matches_rpm_qa() {
    let headers =
        parse::rpm_ndb(&read("go-rpmdb-pr42/pkg/testdata/sle15-bci/Packages.db")).unwrap();
    assert_eq!(
        header_nevra(&headers),
        csv_nevra("go-rpmdb-pr42/pkg/testdata/sle15-bci/packages.csv")
    );
    assert!(headers.len() >= 35);
}

#[test]
fn ndb_master_snapshot_matches_transcribed_list() {
    let headers = parse::rpm_ndb(&read("go-rpmdb/pkg/testdata/sle15-bci/Packages.db")).unwrap();
    let expected: serde_json::Value =
        serde_json::from_slice(&read("go-rpmdb/EXPECTED.transcribed.json")).unwrap();
    let rows = expected["pkg/testdata/sle15-bci/Packages.db"]["packages_in_db_order"]
        .as_array()
        .unwrap();
    let want: Vec<(String, String, String, String, String)> = rows
        .iter()
        .map(|r| {
            let s = |k: &str| r[k].as_str().unwrap_or("").to_string();
            (
                s("name"),
                s("version"),
                s("release"),
                s("sourceRpm"),
                s("license"),
            )
        })
        .collect();
    let got: Vec<(String, String, String, String, String)> = headers
        .iter()
        .map(|h| {
            (
                h.name.clone(),
                h.version.clone(),
                h.release.clone(),
                h.source_rpm.clone().unwrap_or_default(),
                h.license.clone().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(got, want);
}

#[test]
fn sqlite_matches_rpm_qa() {
    let headers = parse::rpm_sqlite(&read(
        "go-rpmdb-pr42/pkg/testdata/amazonlinux2023-plain/rpmdb.sqlite",
    ))
    .unwrap();
    assert_eq!(
        header_nevra(&headers),
        csv_nevra("go-rpmdb-pr42/pkg/testdata/amazonlinux2023-plain/packages.csv")
    );
}

#[test]
fn sqlite_mariner_has_curl_as_transcribed() {
    let headers =
        parse::rpm_sqlite(&read("go-rpmdb/pkg/testdata/cbl-mariner-2.0/rpmdb.sqlite")).unwrap();
    assert_eq!(headers.len(), 129);
    let curl = headers.iter().find(|h| h.name == "curl").unwrap();
    assert_eq!(
        (curl.version.as_str(), curl.release.as_str()),
        ("7.76.0", "6.cm2")
    );
    assert_eq!(
        curl.source_rpm.as_deref(),
        Some("curl-7.76.0-6.cm2.src.rpm")
    );
    assert_eq!(curl.license.as_deref(), Some("MIT"));
}

#[test]
fn bdb_single_package_databases() {
    let h = parse::rpm_bdb(&read("go-rpmdb/pkg/testdata/libuuid/Packages")).unwrap();
    assert_eq!(h.len(), 1);
    assert_eq!(h[0].evr(), "2.32.1-42.el8_8");
    assert_eq!(h[0].name, "libuuid");
    assert_eq!(
        h[0].source_rpm.as_deref(),
        Some("util-linux-2.32.1-42.el8_8.src.rpm")
    );
    assert_eq!(h[0].license.as_deref(), Some("BSD"));
    let h = parse::rpm_bdb(&read("syft/syft/pkg/cataloger/redhat/testdata/Packages")).unwrap();
    assert_eq!(h.len(), 1);
    assert_eq!(
        (
            h[0].name.as_str(),
            h[0].evr().as_str(),
            h[0].arch.as_deref()
        ),
        ("dive", "0.9.2-1", Some("x86_64"))
    );
}

#[test]
fn raw_header_blobs() {
    let h = parse::rpm_header(&read(
        "claircore/internal/rpm/rpmdb/testdata/package.header",
    ))
    .unwrap();
    assert_eq!(
        (h.name.as_str(), h.version.as_str(), h.release.as_str()),
        ("crypto-policies", "20210213", "1.git5c710c0.fc34")
    );
    assert_eq!(h.arch.as_deref(), Some("noarch"));
    let h = parse::rpm_header(&read("go-rpmdb/pkg/testdata/blob.bin")).unwrap();
    assert_eq!(h.evr(), "20210518-2.fc35");
}

#[test]
fn wrong_and_corrupt_databases_are_errors() {
    // A valid SQLite file without the Packages table.
    let err = parse::rpm_sqlite(&read(
        "claircore/internal/rpm/sqlite/testdata/no_packages.sqlite",
    ))
    .unwrap_err();
    assert!(err.to_string().contains("Packages"), "{err}");
    // Formats swapped.
    assert!(parse::rpm_bdb(&read("go-rpmdb/pkg/testdata/sle15-bci/Packages.db")).is_err());
    assert!(parse::rpm_ndb(&read("go-rpmdb/pkg/testdata/libuuid/Packages")).is_err());
    // Truncated NDB: the blobs past the cut are gone.
    let ndb = read("go-rpmdb-pr42/pkg/testdata/sle15-bci/Packages.db");
    assert!(parse::rpm_ndb(&ndb[..ndb.len() / 2]).is_err());
    // A BerkeleyDB with its overflow pages overwritten.
    let mut bdb = read("go-rpmdb/pkg/testdata/libuuid/Packages");
    let page = u32::from_le_bytes(bdb[20..24].try_into().unwrap()) as usize;
    for b in &mut bdb[page..] {
        *b = 0xA5;
    }
    assert!(parse::rpm_bdb(&bdb).is_err());
    // A SQLite database cut in half.
    let sq = read("go-rpmdb/pkg/testdata/cbl-mariner-2.0/rpmdb.sqlite");
    assert!(parse::rpm_sqlite(&sq[..sq.len() / 3]).is_err());
}

#[test]
fn modularity_and_epoch_reach_the_package() {
    // Every amazonlinux 2023 package with an epoch keeps it in `version` as rpm prints %{EVR}.
    let headers = parse::rpm_sqlite(&read(
        "go-rpmdb-pr42/pkg/testdata/amazonlinux2023-plain/rpmdb.sqlite",
    ))
    .unwrap();
    let with_epoch = headers
        .iter()
        .find(|h| h.epoch.is_some())
        .expect("an epoch in AL2023");
    assert!(
        with_epoch
            .evr()
            .starts_with(&format!("{}:", with_epoch.epoch.unwrap()))
    );
}

#[test]
fn rpm_databases_inside_layers() {
    use crate::support::{LayerBuilder, analyze, config};
    use crowsnest_analyzer::{Analyzer, PackageKind};
    let al = analyze("sha256:al", &LayerBuilder::new()
        .file("etc/os-release", "NAME=\"Amazon Linux\"\nVERSION=\"2023\"\nID=\"amzn\"\nID_LIKE=\"fedora\"\nVERSION_ID=\"2023\"\n")
        .file("var/lib/rpm/rpmdb.sqlite", read("go-rpmdb-pr42/pkg/testdata/amazonlinux2023-plain/rpmdb.sqlite"))
        .gzip());
    let inv = Analyzer::default().inventory(&config(1), &[al]).unwrap();
    assert!(inv.warnings.is_empty(), "{:?}", inv.warnings);
    let want = csv_nevra("go-rpmdb-pr42/pkg/testdata/amazonlinux2023-plain/packages.csv");
    let rpms: Vec<_> = inv
        .packages
        .iter()
        .filter(|p| p.kind == PackageKind::Rpm)
        .collect();
    assert_eq!(rpms.len(), want.len());
    let with_epoch = rpms.iter().find(|p| p.version.contains(':')).unwrap();
    let purl = with_epoch.purl.as_deref().unwrap();
    assert!(
        purl.starts_with("pkg:rpm/amzn/")
            && purl.contains("epoch=")
            && purl.contains("distro=amzn-2023"),
        "{purl}"
    );
    assert!(
        rpms.iter()
            .all(|p| p.source_name.is_some() && p.arch.is_some())
    );

    let sle = analyze(
        "sha256:sle",
        &LayerBuilder::new()
            .file(
                "usr/lib/os-release",
                "NAME=\"SLES\"\nVERSION_ID=\"15.3\"\nID=\"sles\"\n",
            )
            .symlink("etc/os-release", "../usr/lib/os-release")
            .file(
                "usr/lib/sysimage/rpm/Packages.db",
                read("go-rpmdb-pr42/pkg/testdata/sle15-bci/Packages.db"),
            )
            .zstd(),
    );
    let inv = Analyzer::default().inventory(&config(1), &[sle]).unwrap();
    assert_eq!(inv.os.as_ref().unwrap().id, "sles");
    assert_eq!(
        inv.packages.len(),
        csv_nevra("go-rpmdb-pr42/pkg/testdata/sle15-bci/packages.csv").len()
    );
}
