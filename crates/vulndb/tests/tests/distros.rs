//! The distributions added for issue 19, each matched with a real package database from
//! `../shared/testdata` (an rpm database read with the analyzer, or trivy's expected package
//! list of a real image) against the real feed samples of its vendor. Every expected finding is
//! worked out from the record named beside it; every other package of the image must stay quiet.

use super::support::{
    InventoryBuilder, build, dpkg_status, find, ids_for, rpmdb, samples, temp_feeds, trivy_golden,
};
use crowsnest_model::{Finding, FixStatus, Package, PackageKind, Severity};
use crowsnest_vulndb::{Database, MatchOptions, Matcher};

fn matched(db: &Database, id: &str, version: &str, packages: Vec<Package>) -> Vec<Finding> {
    let inv = InventoryBuilder::default()
        .os(id, version)
        .packages(packages)
        .build();
    Matcher::with_options(db, MatchOptions::at(1_700_000_000)).match_inventory(&inv)
}

fn rpm(name: &str, version: &str) -> Package {
    InventoryBuilder::default()
        .package(PackageKind::Rpm, name, version)
        .build()
        .packages
        .remove(0)
}

#[test]
fn amazon_linux_2023_2_and_1() {
    let (db, _) = build(&[samples("amazon-alas")]);
    // Amazon Linux 2023: the real rpmdb.sqlite of amazonlinux:2023 (102 packages, no rsyslog),
    // plus rsyslog one build below ALAS2023-2023-001's `rsyslog 0:8.2204.0-3.amzn2023.0.2`
    // (references CVE-2014-3634 and CVE-2022-24903, severity `Important`).
    let mut al2023 =
        rpmdb("testdata/go-rpmdb-pr42/pkg/testdata/amazonlinux2023-plain/rpmdb.sqlite");
    assert_eq!(al2023.len(), 102);
    al2023.push(rpm("rsyslog", "8.2204.0-3.amzn2023.0.1"));
    let f = matched(&db, "amzn", "2023", al2023);
    assert_eq!(
        ids_for(&f, "rsyslog"),
        vec!["CVE-2014-3634", "CVE-2022-24903"]
    );
    assert_eq!(f.len(), 2, "only rsyslog: {f:?}");
    let r = find(&f, "rsyslog", "CVE-2022-24903");
    assert_eq!(r.fix, FixStatus::Fixed("8.2204.0-3.amzn2023.0.2".into()));
    assert_eq!(r.aliases, vec!["ALAS2023-2023-001".to_string()]);
    assert_eq!(r.vendor_severity.as_deref(), Some("important"));
    assert_eq!(r.severity, Severity::High);

    // Amazon Linux 2: trivy's package list of amazonlinux:2 (104 packages). Its vim-minimal
    // 2:7.4.160-4.amzn2.0.16 is below ALAS2022-2021-001's 2:8.2.3512-1.amzn2022, which is
    // another release's erratum and must not apply. qemu-img is added one build below
    // ALAS2-2018-942's `epoch="10" … release="141.amzn2.5.3"` (CVE-2017-5715).
    let mut al2 = trivy_golden("amazon-2");
    assert_eq!(al2.len(), 104);
    al2.push(rpm("qemu-img", "10:1.5.3-141.amzn2.5.2"));
    let f = matched(&db, "amzn", "2", al2);
    assert!(ids_for(&f, "vim-minimal").is_empty(), "{f:?}");
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(
        find(&f, "qemu-img", "CVE-2017-5715").fix,
        FixStatus::Fixed("10:1.5.3-141.amzn2.5.3".into())
    );

    // Amazon Linux 1 (`VERSION_ID="2018.03"`): no AL1 updateinfo is among the samples, so one
    // update is written here in the format of the files above; the other releases' errata for
    // the same package names stay out.
    let al1 = r#"<?xml version="1.0" ?>
<updates><update author="x" from="x" status="final" type="security" version="1.4"><id>ALAS-2099-1001</id><title>Amazon Linux AMI 2099.03 - ALAS-2099-1001: medium priority package update for rsyslog</title><issued date="2099-01-02 03:04" /><updated date="2099-01-02 03:04" /><severity>medium</severity><description>x</description><references><reference href="x" id="CVE-2099-1001" title="" type="cve" /></references><pkglist><collection short="amazon-linux"><name>Amazon Linux AMI</name><package arch="x86_64" epoch="0" name="rsyslog" release="1.30.amzn1" version="5.8.10"><filename>x</filename></package></collection></pkglist></update></updates>"#;
    let dir = temp_feeds(&[("al1/updateinfo.xml", al1)]);
    let (db1, report) = build(&[dir.path().to_path_buf(), samples("amazon-alas")]);
    assert_eq!(report.source("amazon").map(|s| s.records), Some(6));
    let f = matched(
        &db1,
        "amzn",
        "2018.03",
        vec![rpm("rsyslog", "5.8.10-1.29.amzn1")],
    );
    assert_eq!(ids_for(&f, "rsyslog"), vec!["CVE-2099-1001"]);
    assert_eq!(f[0].fix, FixStatus::Fixed("5.8.10-1.30.amzn1".into()));
}

#[test]
fn oracle_linux_plain_per_arch_and_ksplice() {
    let oval = |f: &str| samples(&format!("oracle-oval/vunnel/{f}"));
    let (db, report) = build(&[
        samples("oracle-oval/vuln-list-update"),
        oval("mock_data"),
        oval("mock_ksplice_data"),
        oval("mock_per_arch_data"),
    ]);
    // 2 (vuln-list-update, one bzip2'd) + 2 + 1 + 3 definitions.
    assert_eq!(report.source("oracle").map(|s| s.records), Some(8));
    // trivy's oraclelinux:8-slim list: openssl-libs 1:1.1.1-8.0.1.el8 is below the Ksplice
    // build 2:1.1.1g-15.ksplice1.el8_3 of ELSA-2021-9151, a flavour plain images never carry.
    let mut ol8 = trivy_golden("oraclelinux-8-slim");
    assert!(ol8.iter().any(|p| p.name == "openssl-libs"));
    // ELSA-2024-2961 (per architecture): osbuild `earlier than 0:110-1.el8` on one
    // architecture and `0:110-1.0.1.el8` on the other, CVE-2024-2307, MODERATE. Without the
    // architecture checked, the newer fix is reported (never an under-report).
    ol8.push(rpm("osbuild", "109-1.el8"));
    let f = matched(&db, "ol", "8.9", ol8);
    assert!(ids_for(&f, "openssl-libs").is_empty(), "{f:?}");
    assert_eq!(f.len(), 1, "{f:?}");
    let o = find(&f, "osbuild", "CVE-2024-2307");
    assert_eq!(o.fix, FixStatus::Fixed("110-1.0.1.el8".into()));
    assert_eq!(o.vendor_severity.as_deref(), Some("moderate"));
    assert_eq!(o.aliases, vec!["ELSA-2024-2961".to_string()]);
    // The Ksplice rule is there, in its own namespace.
    let steps = Matcher::new(&db)
        .explain(
            "oracle:8:ksplice",
            "openssl-libs",
            "2:1.1.1g-15.el8_3",
            None,
        )
        .expect("explain");
    assert!(steps.iter().any(|s| s.id == "CVE-2021-3449"), "{steps:?}");
    // A module erratum, written here in the shape of the ELSA files: it applies to builds of
    // its stream (`nodejs:18`) only, not to another stream's build or a non-modular one.
    let module_elsa = r#"<oval_definitions><definitions>
<definition id="oval:com.oracle.elsa:def:20999999" class="patch"><metadata>
<title>ELSA-2099-9999:  Moderate: nodejs:18 security update  (MODERATE)</title>
<reference source="elsa" ref_id="ELSA-2099-9999" ref_url="x"/><reference source="CVE" ref_id="CVE-2099-6001" ref_url="x"/>
<advisory><severity>MODERATE</severity><issued date="2099-01-01"/></advisory></metadata>
<criteria operator="AND"><criterion test_ref="t1" comment="Oracle Linux 8 is installed"/>
<criteria operator="AND"><criterion test_ref="t2" comment="nodejs is earlier than 1:18.20.2-1.module+el8.9.0+90290+47f8e2c6"/></criteria></criteria>
</definition></definitions>
<tests><rpminfo_test id="t1"><object object_ref="o1"/><state state_ref="s1"/></rpminfo_test>
<rpminfo_test id="t2"><object object_ref="o2"/><state state_ref="s2"/></rpminfo_test></tests>
<objects><rpminfo_object id="o1"><name>oraclelinux-release</name></rpminfo_object><rpminfo_object id="o2"><name>nodejs</name></rpminfo_object></objects>
<states><rpminfo_state id="s1"><version operation="pattern match">^8</version></rpminfo_state>
<rpminfo_state id="s2"><evr datatype="evr_string" operation="less than">1:18.20.2-1.module+el8.9.0+90290+47f8e2c6</evr></rpminfo_state></states>
</oval_definitions>"#;
    let dir = temp_feeds(&[("oracle/elsa-2099-9999.xml", module_elsa)]);
    let (mdb, _) = build(&[dir.path().to_path_buf()]);
    let node = |version: &str, module: Option<&str>| {
        let mut p = rpm("nodejs", version);
        p.module = module.map(str::to_string);
        p
    };
    let f = matched(
        &mdb,
        "ol",
        "8",
        vec![
            node(
                "1:18.19.0-1.module+el8.9.0+90100+aaaa",
                Some("nodejs:18:8090020231019152822:a75119d5"),
            ),
            node(
                "1:16.20.2-1.module+el8.9.0+90000+bbbb",
                Some("nodejs:16:8090020231019152822:a75119d5"),
            ),
        ],
    );
    let hits: Vec<&str> = f.iter().map(|x| x.package_version.as_str()).collect();
    assert_eq!(hits, vec!["1:18.19.0-1.module+el8.9.0+90100+aaaa"], "{f:?}");

    // Oracle Linux 5: ELSA-2007-0057 `bind-devel is earlier than 30:9.3.3-8.el5`.
    let f = matched(&db, "ol", "5", vec![rpm("bind-devel", "30:9.3.3-7.el5")]);
    assert_eq!(
        ids_for(&f, "bind-devel"),
        vec!["CVE-2007-0493", "CVE-2007-0494"]
    );
    assert_eq!(f[0].fix, FixStatus::Fixed("30:9.3.3-8.el5".into()));
}

#[test]
fn suse_sles_and_opensuse_leap_and_tumbleweed() {
    let (db, report) = build(&[samples("suse-oval"), samples("suse-csaf")]);
    // 4 OVAL definitions + 3 + 2 CSAF CVEs.
    assert_eq!(
        report.source("suse").map(|s| (s.records, s.malformed)),
        Some((9, 0))
    );
    // SLES 15 SP3: the real NDB rpm database of bci-minimal:15.3 (36 packages). No sample
    // names a package of it for 15 SP3; helm-mirror is added below suse-su-2019_0048-2's
    // `SUSE Linux Enterprise Module for Containers 15 SP1:helm-mirror-0.2.1-1.7.1`, which is
    // a 15 SP1 product and must not apply to 15 SP3.
    let mut sles153 = rpmdb("testdata/go-rpmdb-pr42/pkg/testdata/sle15-bci/Packages.db");
    assert_eq!(sles153.len(), 36);
    sles153.push(rpm("helm-mirror", "0.2.1-1.6.1"));
    assert!(matched(&db, "sles", "15.3", sles153).is_empty());
    // SLES 15 SP1 (a package list written here): the same helm-mirror build is affected by
    // the three CVEs of that advisory (impact important, moderate, moderate).
    let f = matched(&db, "sles", "15.1", vec![rpm("helm-mirror", "0.2.1-1.6.1")]);
    assert_eq!(
        ids_for(&f, "helm-mirror"),
        vec!["CVE-2018-16873", "CVE-2018-16874", "CVE-2018-16875"]
    );
    let h = find(&f, "helm-mirror", "CVE-2018-16873");
    assert_eq!(h.fix, FixStatus::Fixed("0.2.1-1.7.1".into()));
    assert_eq!(h.vendor_severity.as_deref(), Some("important"));
    assert_eq!(h.cvss, Some(7.5));
    assert_eq!(h.aliases, vec!["SUSE-SU-2019:0048-2".to_string()]);
    // SLES 15 GA (OVAL CVE-2021-29154, `SUSE Linux Enterprise Server 15-LTSS is installed` and
    // `kernel-default is <4.12.14-150.72.1`).
    let f = matched(
        &db,
        "sles",
        "15",
        vec![rpm("kernel-default", "4.12.14-150.71.1")],
    );
    assert_eq!(ids_for(&f, "kernel-default"), vec!["CVE-2021-29154"]);
    assert_eq!(f[0].fix, FixStatus::Fixed("4.12.14-150.72.1".into()));
    // openSUSE Leap 15.1 and Tumbleweed: trivy's package lists of the real images. The samples
    // name no Leap or Tumbleweed product, so nothing applies to either.
    assert!(
        matched(
            &db,
            "opensuse-leap",
            "15.1",
            trivy_golden("opensuse-leap-151")
        )
        .is_empty()
    );
    assert!(
        matched(
            &db,
            "opensuse-tumbleweed",
            "20240607",
            trivy_golden("opensuse-tumbleweed")
        )
        .is_empty()
    );
    // An openSUSE Leap product written here in SUSE's CSAF shape reaches Leap images only.
    let leap = r#"{"document":{"category":"csaf_security_advisory","csaf_version":"2.0",
      "publisher":{"category":"vendor","name":"SUSE Product Security Team","namespace":"https://www.suse.com/"},
      "title":"x","tracking":{"id":"openSUSE-SU-2099:0001-1","initial_release_date":"2099-01-01T00:00:00Z",
      "current_release_date":"2099-01-01T00:00:00Z","status":"final","version":"1","revision_history":[]}},
      "product_tree":{"relationships":[{"category":"default_component_of",
        "full_product_name":{"name":"x","product_id":"openSUSE Leap 15.1:krb5-1.16.3-lp151.2.9.1.x86_64"},
        "product_reference":"krb5-1.16.3-lp151.2.9.1.x86_64","relates_to_product_reference":"openSUSE Leap 15.1"}]},
      "vulnerabilities":[{"cve":"CVE-2099-2001","product_status":{"recommended":["openSUSE Leap 15.1:krb5-1.16.3-lp151.2.9.1.x86_64"]},
        "threats":[{"category":"impact","details":"low"}]}]}"#;
    let dir = temp_feeds(&[("csaf/opensuse-su-2099_0001-1.json", leap)]);
    let (db, _) = build(&[dir.path().to_path_buf()]);
    // Leap 15.1's krb5 is 1.16.3-lp151.2.6.1.
    let f = matched(
        &db,
        "opensuse-leap",
        "15.1",
        trivy_golden("opensuse-leap-151"),
    );
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0].id, "CVE-2099-2001");
    assert_eq!(f[0].fix, FixStatus::Fixed("1.16.3-lp151.2.9.1".into()));
    assert!(matched(&db, "sles", "15.1", trivy_golden("suse-15.3_ndb")).is_empty());
}

#[test]
fn photon_3_image_against_the_whole_phsa_oval_and_cve_metadata() {
    let (db, report) = build(&[samples("photon")]);
    // 222 OVAL definitions + 16 CVE metadata rows (1.0, 3.0, 4.0).
    assert_eq!(report.source("photon").map(|s| s.records), Some(238));
    // trivy's package list of photon:3.0 (33 packages) against com.vmware.phsa-photon3.xml,
    // whose `… is earlier than` tests give (worked out definition by definition):
    let f = matched(&db, "photon", "3.0", trivy_golden("photon-30"));
    let expected: &[(&str, &str, &str)] = &[
        ("bash", "CVE-2019-18276", "4.4.18-2.ph3"),
        ("curl", "CVE-2019-5481", "7.61.1-5.ph3"),
        ("curl", "CVE-2019-5482", "7.61.1-5.ph3"),
        ("curl-libs", "CVE-2019-5481", "7.61.1-5.ph3"),
        ("curl-libs", "CVE-2019-5482", "7.61.1-5.ph3"),
        ("e2fsprogs-libs", "CVE-2019-5094", "1.44.3-3.ph3"),
        ("e2fsprogs-libs", "CVE-2019-5188", "1.45.5-1.ph3"),
        ("libsolv", "CVE-2019-20387", "0.6.35-2.ph3"),
        ("libssh2", "CVE-2019-17498", "1.9.0-2.ph3"),
        ("openssl", "CVE-2019-1547", "1.0.2t-1.ph3"),
        ("openssl", "CVE-2019-1551", "1.0.2u-1.ph3"),
        ("openssl", "CVE-2019-1563", "1.0.2t-1.ph3"),
        ("sqlite-libs", "CVE-2019-16168", "3.27.2-5.ph3"),
        ("sqlite-libs", "CVE-2019-19244", "3.31.1-1.ph3"),
        ("sqlite-libs", "CVE-2019-19923", "3.31.1-1.ph3"),
        ("sqlite-libs", "CVE-2019-19926", "3.31.1-1.ph3"),
        ("sqlite-libs", "CVE-2019-19959", "3.31.1-1.ph3"),
    ];
    let got: Vec<(&str, &str, FixStatus)> = f
        .iter()
        .map(|x| (x.package_name.as_str(), x.id.as_str(), x.fix.clone()))
        .collect();
    let want: Vec<(&str, &str, FixStatus)> = expected
        .iter()
        .map(|(p, id, v)| (*p, *id, FixStatus::Fixed((*v).to_string())))
        .collect();
    assert_eq!(got, want);
    // PHSA-2020:00001 (sqlite, `<severity>Important`).
    let s = find(&f, "sqlite-libs", "CVE-2019-16168");
    assert_eq!(s.vendor_severity.as_deref(), Some("important"));
    assert_eq!(s.aliases, vec!["PHSA:00001:3.0:0036".to_string()]);
    // Photon 4.0 from cve_data_photon4.0.json: curl `res_ver 7.88.1-4.ph4` (CVE-2023-38545,
    // score 9.8); httpd `Not Affected`.
    let f = matched(
        &db,
        "photon",
        "4.0",
        vec![rpm("curl", "7.88.1-3.ph4"), rpm("httpd", "2.4.57-1.ph4")],
    );
    assert_eq!(
        ids_for(&f, "curl"),
        vec!["CVE-2023-38545", "CVE-2023-38546"]
    );
    assert_eq!(find(&f, "curl", "CVE-2023-38545").cvss, Some(9.8));
    assert!(ids_for(&f, "httpd").is_empty());
}

#[test]
fn azure_linux_3_and_cbl_mariner_2() {
    let (db, report) = build(&[samples("azurelinux-oval")]);
    assert_eq!(
        report
            .source("azurelinux")
            .map(|s| (s.records, s.malformed)),
        Some((18, 0))
    );
    // CBL-Mariner 2.0: its real rpmdb.sqlite (129 packages) against the Mariner 2.0 OVAL:
    // glibc 2.34-2.cm2 is `installed with version 2.35-4 or earlier` (CVE-2023-0687,
    // not patchable: open, severity Critical); nothing else in the image is named.
    let mariner = rpmdb("testdata/go-rpmdb/pkg/testdata/cbl-mariner-2.0/rpmdb.sqlite");
    assert_eq!(mariner.len(), 129);
    let f = matched(&db, "mariner", "2.0", mariner);
    assert_eq!(f.len(), 1, "{f:?}");
    let g = find(&f, "glibc", "CVE-2023-0687");
    assert_eq!(g.fix, FixStatus::Open);
    assert_eq!(g.severity, Severity::Critical);
    // golang: `earlier than 1.20.7-1` and `greater than 1.19.0` in one AND (CVE-2023-29404;
    // the states say `0:1.20.7-1.cm2` and `0:1.19.0.cm2`).
    let f = matched(
        &db,
        "mariner",
        "2.0",
        vec![rpm("golang", "1.18.8-1.cm2"), rpm("golang", "1.20.6-1.cm2")],
    );
    let hits: Vec<&str> = f.iter().map(|x| x.package_version.as_str()).collect();
    assert_eq!(hits, vec!["1.20.6-1.cm2"]);
    assert_eq!(f[0].fix, FixStatus::Fixed("1.20.7-1.cm2".into()));
    // Azure Linux 3.0 (`ID=azurelinux`): freeglut `earlier than 3.4.0-1` (CVE-2024-24258/9);
    // a Mariner 2.0 image with the same package is not matched against the 3.0 stream.
    let f = matched(
        &db,
        "azurelinux",
        "3.0",
        vec![rpm("freeglut", "3.2.2-1.azl3")],
    );
    assert_eq!(
        ids_for(&f, "freeglut"),
        vec!["CVE-2024-24258", "CVE-2024-24259"]
    );
    assert!(matched(&db, "mariner", "2.0", vec![rpm("freeglut", "3.2.2-1.cm2")]).is_empty());
}

/// Wolfi and Chainguard forbid redistributing their secdb, so these records are written here
/// from the format's documentation: the Alpine secdb shape, no `distroversion`, the repository
/// in `urlprefix`/`reponame`, `0` for "never affected".
#[test]
fn wolfi_and_chainguard_secdb_written_from_the_format() {
    let wolfi = r#"{"apkurl":"{{urlprefix}}/{{reponame}}/{{arch}}/{{pkg.name}}-{{pkg.ver}}.apk",
      "archs":["x86_64","aarch64"],"reponame":"os","urlprefix":"https://packages.wolfi.dev",
      "packages":[
        {"pkg":{"name":"busybox","secfixes":{"1.36.1-r2":["CVE-2099-3001"],"0":["CVE-2099-3002"]}}},
        {"pkg":{"name":"openssl","secfixes":{"3.1.4-r1":["CVE-2099-3003","CVE-2099-3004"]}}}]}"#;
    let chainguard = r#"{"apkurl":"{{urlprefix}}/{{reponame}}/{{arch}}/{{pkg.name}}-{{pkg.ver}}.apk",
      "archs":["x86_64"],"reponame":"chainguard","urlprefix":"https://packages.cgr.dev",
      "packages":[{"pkg":{"name":"busybox","secfixes":{"1.36.1-r5":["CVE-2099-3005"]}}}]}"#;
    let dir = temp_feeds(&[
        ("wolfi/security.json", wolfi),
        ("chainguard/security.json", chainguard),
    ]);
    let (db, report) = build(&[dir.path().to_path_buf()]);
    assert_eq!(
        report.source("wolfi").map(|s| (s.records, s.entries)),
        Some((2, 4))
    );
    assert_eq!(report.source("chainguard").map(|s| s.records), Some(1));
    // An apk `installed` database written for a Wolfi image (busybox and libcrypto3 from
    // origin openssl).
    let installed = "P:busybox\nV:1.36.1-r1\no:busybox\n\nP:libcrypto3\nV:3.1.4-r0\no:openssl\n\n";
    let packages = super::support::apk_installed(installed);
    let f = matched(&db, "wolfi", "20230201", packages.clone());
    // busybox < 1.36.1-r2 → CVE-2099-3001; CVE-2099-3002 has `0` (not affected);
    // libcrypto3's origin openssl < 3.1.4-r1 → CVE-2099-3003 and -3004.
    assert_eq!(ids_for(&f, "busybox"), vec!["CVE-2099-3001"]);
    assert_eq!(
        ids_for(&f, "libcrypto3"),
        vec!["CVE-2099-3003", "CVE-2099-3004"]
    );
    assert_eq!(
        find(&f, "busybox", "CVE-2099-3001").fix,
        FixStatus::Fixed("1.36.1-r2".into())
    );
    // Chainguard's own feed for Chainguard images; Wolfi's does not apply there.
    let f = matched(&db, "chainguard", "20230214", packages);
    assert_eq!(ids_for(&f, "busybox"), vec!["CVE-2099-3005"]);
    assert!(ids_for(&f, "libcrypto3").is_empty());
}

/// Ubuntu after 22.04 and Debian 13: the OSV exports of Ubuntu and Debian (the tracker snapshot
/// predates both) matched against a small dpkg status written here.
#[test]
fn ubuntu_24_04_and_debian_13_from_osv() {
    let ubuntu = r#"{"id":"UBUNTU-CVE-2099-4001","modified":"2099-01-01T00:00:00Z","upstream":["CVE-2099-4001"],
      "affected":[{"package":{"ecosystem":"Ubuntu:24.04:LTS","name":"curl"},
        "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"8.5.0-2ubuntu10.2"}]}]},
      {"package":{"ecosystem":"Ubuntu:22.04:LTS","name":"curl"},
        "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"7.81.0-1ubuntu1.16"}]}]}]}"#;
    let debian = r#"{"id":"DSA-9999-1","modified":"2099-01-01T00:00:00Z","upstream":["CVE-2099-4002"],
      "affected":[{"package":{"ecosystem":"Debian:13","name":"openssl"},
        "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"3.5.1-1+deb13u1"}]}]}]}"#;
    let dir = temp_feeds(&[
        ("ubuntu/UBUNTU-CVE-2099-4001.json", ubuntu),
        ("debian/DSA-9999-1.json", debian),
    ]);
    let (db, _) = build(&[
        dir.path().to_path_buf(),
        samples("osv-ubuntu"),
        samples("osv-debian"),
    ]);
    let status = "Package: libcurl4t64\nStatus: install ok installed\nSource: curl\nVersion: 8.5.0-2ubuntu10.1\n\n\
                  Package: libssl3t64\nStatus: install ok installed\nSource: openssl\nVersion: 3.5.1-1\n";
    let f = matched(&db, "ubuntu", "24.04", dpkg_status(status));
    assert_eq!(ids_for(&f, "libcurl4t64"), vec!["CVE-2099-4001"]);
    assert_eq!(f[0].fix, FixStatus::Fixed("8.5.0-2ubuntu10.2".into()));
    assert!(ids_for(&f, "libssl3t64").is_empty());
    let f = matched(&db, "debian", "13", dpkg_status(status));
    assert_eq!(ids_for(&f, "libssl3t64"), vec!["CVE-2099-4002"]);
    assert_eq!(f[0].aliases, vec!["DSA-9999-1".to_string()]);
}
