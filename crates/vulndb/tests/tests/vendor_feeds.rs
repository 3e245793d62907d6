//! The vendor feeds added for issue 19 on their real samples (`../shared/feed-samples`): record
//! counts and records checked field by field against the files, then malformed input: every
//! broken file is reported by name, the good records beside it are imported, and the database
//! still encodes and opens.

use super::support::{build, samples, temp_feeds};
use crowsnest_vulndb::{Database, Matcher, Outcome};

#[test]
fn amazon_updateinfo_samples_field_by_field() {
    let (db, report) = build(&[samples("amazon-alas")]);
    let amazon = report.source("amazon").expect("amazon");
    // updateinfo_1_item (1), updateinfo_2_items (2), AL2022 (1), AL2023 (1); the RSS, HTML,
    // repomd and mirror-list files are not updateinfo.
    assert_eq!((amazon.records, amazon.malformed), (5, 0));
    let ns = &db.status().namespaces;
    assert!(
        ns.contains_key("amazon:2")
            && ns.contains_key("amazon:2022")
            && ns.contains_key("amazon:2023")
    );
    // updateinfo_1_item.xml.gz: ALAS2-2018-939, severity critical, issued 2018-01-11, kernel
    // `epoch="0" version="4.9.76" release="38.79.amzn2"`.
    let m = Matcher::new(&db);
    let steps = m
        .explain("amazon:2", "kernel", "4.9.75-1.56.amzn2", None)
        .expect("explain");
    assert!(!steps.is_empty());
    for s in &steps {
        assert_eq!(s.source, "amazon");
        assert!(s.rule.contains("4.9.76-38.79.amzn2"), "{s:?}");
        assert!(matches!(s.outcome, Outcome::Affected { .. }));
    }
    // Its newest date is AL2023's `updated date="2023-02-22 23:22"`.
    assert_eq!(amazon.newest.map(|t| t / 86_400), Some(19_410));
}

#[test]
fn rpm_oval_and_json_samples_count_every_record() {
    let (_, report) = build(&[
        samples("oracle-oval/vuln-list-update"),
        samples("suse-oval"),
        samples("suse-csaf"),
        samples("photon"),
        samples("azurelinux-oval"),
        samples("alma-errata"),
        samples("osv-rocky"),
    ]);
    let s = |n: &str| report.source(n).map(|s| (s.records, s.malformed));
    // ELSA-2007-0057.xml and elsa-2018-1196-1.xml.bz2 (one definition each).
    assert_eq!(s("oracle"), Some((2, 0)));
    // 4 OVAL definitions + 5 CSAF CVEs.
    assert_eq!(s("suse"), Some((9, 0)));
    // 222 OVAL definitions (the whole photon3 file) + 3 + 7 + 6 CVE metadata rows.
    assert_eq!(s("photon"), Some((238, 0)));
    // 8 (vunnel) + 10 (vuln-list-update) definitions, one per CVE × package.
    assert_eq!(s("azurelinux"), Some((18, 0)));
    assert_eq!(s("almalinux"), Some((4, 0)));
    assert_eq!(s("rocky"), Some((3, 0)));
    assert!(report.malformed.is_empty(), "{:?}", report.malformed);
}

#[test]
fn oracle_bzip2_and_alma_errata_fields() {
    let (db, _) = build(&[
        samples("oracle-oval/vuln-list-update"),
        samples("alma-errata"),
    ]);
    let m = Matcher::new(&db);
    // elsa-2018-1196-1.xml.bz2: `Oracle Linux 5`, `kernel is earlier than
    // 0:2.6.18-419.0.0.0.10.el5`, CVE-2017-5715, IMPORTANT.
    let steps = m
        .explain("oracle:5", "kernel", "2.6.18-419.0.0.0.9.el5", None)
        .expect("explain");
    assert_eq!(steps.len(), 1, "{steps:?}");
    assert_eq!(steps[0].id, "CVE-2017-5715");
    assert!(steps[0].rule.contains("2.6.18-419.0.0.0.10.el5"));
    // errata.json: ALSA-2021:3253 libsndfile `1.0.28` `10.el8_4.1` epoch 0, CVE-2021-3246;
    // ALSA-2020:0279 virt:rhel builds are modular (`module_el8.3.0…`), so a non-modular
    // libvirt is not judged by them.
    let steps = m
        .explain("almalinux:8", "libsndfile", "1.0.28-10.el8", None)
        .expect("explain");
    assert_eq!(steps.len(), 1, "{steps:?}");
    assert_eq!(steps[0].id, "CVE-2021-3246");
    assert!(steps[0].rule.contains("1.0.28-10.el8_4.1"));
}

#[test]
fn broken_vendor_files_are_reported_and_never_corrupt_the_database() {
    let good_update = r#"<updates><update type="security"><id>ALAS2023-2099-001</id><severity>Low</severity><references><reference id="CVE-2099-5001" type="cve"/></references><pkglist><collection><package name="zlib" epoch="0" version="1.2.13" release="2.amzn2023" arch="x86_64"/></collection></pkglist></update>
<update type="security"><id>ALAS2023-2099-002</id><references><reference id="CVE-2099-5002" type="cve"/></references><pkglist><collection><package name="zlib" arch="x86_64"/></collection></pkglist></update></updates>"#;
    let dir = temp_feeds(&[
        ("amazon/updateinfo.xml", good_update),
        ("amazon/broken.xml", "<updates><update><id>ALAS2-1</id>"),
        (
            "oval/oracle-empty.xml",
            "<oval_definitions><generator/></oval_definitions>",
        ),
        (
            "oval/unnamed-oval.xml",
            r#"<oval_definitions><definitions><definition id="oval:com.microsoft.azurelinux:def:1"><metadata><title>x</title></metadata><criteria/></definition></definitions></oval_definitions>"#,
        ),
        (
            "photon/cve_data_photon5.0.json",
            r#"[{"cve_id":"CVE-2099-5003","res_ver":"1-1.ph5"},{"cve_id":"CVE-2099-5004","pkg":"zlib","res_ver":"1.3-1.ph5","status":"Fixed"}]"#,
        ),
        (
            "suse/suse-su-2099_0001-1.json",
            r#"{"document":{"csaf_version":"2.0","publisher":{"name":"SUSE Product Security Team"},"tracking":{"id":"SUSE-SU-2099:0001-1"}},"vulnerabilities":[{"cve":"CVE-2099-5005","product_status":{"recommended":["no-product-separator"]}}]}"#,
        ),
        (
            "alma/errata.json",
            r#"[{"updateinfo_id":"ALSA-2099:0001","pkglist":{"packages":[{"name":"zlib","version":"1.2","release":"no-el-tag"}]}}]"#,
        ),
    ]);
    // A corrupt gzip stream under an updateinfo name.
    std::fs::write(
        dir.path().join("amazon/updateinfo.xml.gz"),
        b"\x1f\x8b\x08\x00garbage",
    )
    .expect("write");
    let (db, report) = build(&[dir.path().to_path_buf()]);
    let files: Vec<String> = report
        .malformed
        .iter()
        .map(|m| format!("{} {}", m.file.rsplit('/').next().unwrap_or(""), m.error))
        .collect();
    for needle in [
        "updateinfo.xml ALAS2023-2099-002",
        "broken.xml XML",
        "oracle-empty.xml",
        "unnamed-oval.xml",
        "cve_data_photon5.0.json",
        "suse-su-2099_0001-1.json",
        "errata.json ALSA-2099:0001",
        "updateinfo.xml.gz gzip",
    ] {
        assert!(
            files.iter().any(|f| f.starts_with(needle)),
            "{needle:?} not reported: {files:#?}"
        );
    }
    assert_eq!(report.malformed.len(), 8, "{files:#?}");
    // The good records around the bad ones were imported.
    assert_eq!(report.source("amazon").map(|s| s.records), Some(1));
    assert_eq!(report.source("photon").map(|s| s.records), Some(1));
    // And the database survives a write and a read.
    let file = tempfile::tempdir().expect("tempdir");
    let path = file.path().join("crowsnest.db");
    db.write_atomic(&path).expect("write");
    let back = Database::open(&path).expect("open");
    let steps = Matcher::new(&back)
        .explain("amazon:2023", "zlib", "1.2.13-1.amzn2023", None)
        .expect("explain");
    assert_eq!(steps.len(), 1);
    assert_eq!(steps[0].id, "CVE-2099-5001");
}
