//! The report builder: Prisma's grouping of binary packages under their source package, the
//! package-type ids, counts and distributions.

use crowsnest_model::inventory::HistoryEntry;
use crowsnest_model::{Finding, FixStatus, Inventory, OsInfo, Package, PackageKind, Severity};
use crowsnest_scanner::report::{ImageIdentity, StoredImage, build_result, vulnerabilities};

fn pkg(kind: PackageKind, name: &str, version: &str, source: Option<&str>, layer: &str) -> Package {
    Package {
        kind,
        name: name.into(),
        version: version.into(),
        source_name: source.map(String::from),
        source_version: None,
        arch: None,
        module: None,
        path: "var/lib/dpkg/status".into(),
        purl: Some(format!("pkg:deb/debian/{name}@{version}")),
        license: None,
        layer_digest: Some(layer.into()),
    }
}

fn finding(id: &str, p: &Package, severity: Severity, vendor: &str, fix: FixStatus) -> Finding {
    Finding {
        id: id.into(),
        aliases: vec![],
        package_name: p.name.clone(),
        package_version: p.version.clone(),
        package_kind: p.kind,
        source_name: p.source_name.clone(),
        fix,
        fixed_versions: vec![],
        vendor_severity: Some(vendor.into()),
        severity,
        cvss: Some(7.5),
        cvss_vector: Some("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N".into()),
        cvss_source: None,
        sources: vec!["debian".into()],
        published: Some(1_700_000_000),
        fix_date: None,
        description: "d".into(),
        link: "l".into(),
        kev: id == "CVE-2023-0002",
        epss: None,
        risk_factors: vec!["Has fix".into(), "High severity".into()],
        applicable_rules: vec!["<3.0.11-1".into()],
        layer_digest: p.layer_digest.clone(),
        package_path: p.path.clone(),
    }
}

fn stored(packages: Vec<Package>) -> StoredImage {
    let mut inventory = Inventory {
        os: Some(OsInfo {
            id: "debian".into(),
            version_id: "12".into(),
            codename: Some("bookworm".into()),
            pretty_name: Some("Debian GNU/Linux 12 (bookworm)".into()),
            ..Default::default()
        }),
        packages,
        ..Default::default()
    };
    inventory.config.history = vec![
        HistoryEntry {
            created: Some("2024-01-01T00:00:00Z".into()),
            created_by: "ADD rootfs".into(),
            empty_layer: false,
            layer_digest: Some("sha256:base".into()),
        },
        HistoryEntry {
            created: Some("2024-02-01T00:00:00Z".into()),
            created_by: "CMD [\"sh\"]".into(),
            empty_layer: true,
            layer_digest: None,
        },
        HistoryEntry {
            created: Some("2024-03-01T00:00:00Z".into()),
            created_by: "RUN pip install".into(),
            empty_layer: false,
            layer_digest: Some("sha256:app".into()),
        },
    ];
    StoredImage {
        manifest_digest: "sha256:manifest".into(),
        image_id: "sha256:config".into(),
        layers: vec!["sha256:base".into(), "sha256:app".into()],
        diff_ids: vec!["sha256:d1".into(), "sha256:d2".into()],
        created: Some("2024-03-01T00:00:00Z".into()),
        os: "linux".into(),
        architecture: "amd64".into(),
        inventory,
    }
}

#[test]
fn binaries_of_one_source_are_one_vulnerability() {
    let libssl = pkg(
        PackageKind::Dpkg,
        "libssl3",
        "3.0.9-1",
        Some("openssl"),
        "sha256:base",
    );
    let openssl = pkg(
        PackageKind::Dpkg,
        "openssl",
        "3.0.9-1",
        Some("openssl"),
        "sha256:base",
    );
    let urllib3 = pkg(PackageKind::Python, "urllib3", "1.24.1", None, "sha256:app");
    let s = stored(vec![libssl.clone(), openssl.clone(), urllib3.clone()]);
    let findings = vec![
        finding(
            "CVE-2023-0001",
            &libssl,
            Severity::High,
            "high",
            FixStatus::Fixed("3.0.11-1".into()),
        ),
        finding(
            "CVE-2023-0001",
            &openssl,
            Severity::High,
            "high",
            FixStatus::Fixed("3.0.11-1".into()),
        ),
        finding(
            "CVE-2023-0002",
            &urllib3,
            Severity::Critical,
            "critical",
            FixStatus::Open,
        ),
    ];
    let vulns = vulnerabilities(&findings, &s, "2026-11-01T00:00:00Z");
    assert_eq!(vulns.len(), 2);
    let ssl = vulns.iter().find(|v| v.cve == "CVE-2023-0001").unwrap();
    assert_eq!(ssl.package_name, "openssl");
    assert_eq!(
        ssl.binary_pkgs,
        ["libssl3"],
        "openssl itself is the source, not a binary of another"
    );
    assert_eq!((ssl.id, ssl.package_type.as_str()), (46, "package"));
    assert_eq!(ssl.status, "fixed in 3.0.11-1");
    assert_eq!(
        ssl.layer_time, 1_704_067_200,
        "the time of the history entry that made the layer"
    );
    let py = vulns.iter().find(|v| v.cve == "CVE-2023-0002").unwrap();
    assert_eq!(
        (py.id, py.package_type.as_str(), py.status.as_str()),
        (410, "python", "open")
    );
    assert_eq!(py.exploit, "cisa-kev");
    assert!(py.risk_factors.contains_key("Has fix"));
}

#[test]
fn the_result_counts_groups_and_identifies() {
    let libssl = pkg(
        PackageKind::Dpkg,
        "libssl3",
        "3.0.9-1",
        Some("openssl"),
        "sha256:base",
    );
    let urllib3 = pkg(PackageKind::Python, "urllib3", "1.24.1", None, "sha256:app");
    let s = stored(vec![libssl.clone(), urllib3.clone()]);
    let findings = vec![
        finding(
            "CVE-2023-0001",
            &libssl,
            Severity::High,
            "important",
            FixStatus::Fixed("3.0.11-1".into()),
        ),
        finding(
            "CVE-2023-0002",
            &urllib3,
            Severity::Critical,
            "critical",
            FixStatus::Open,
        ),
    ];
    let who = ImageIdentity {
        registry: "127.0.0.1:5000".into(),
        repo: "apps/web".into(),
        tag: "1.0".into(),
        registry_type: "2".into(),
        collections: vec!["All".into()],
        scan_time: "2026-11-01T00:00:00Z".parse().unwrap(),
        ..Default::default()
    };
    let r = build_result(&who, &s, vulnerabilities(&findings, &s, "t"), vec![]);
    assert_eq!(r.key, "127.0.0.1:5000/apps/web:1.0");
    assert_eq!(r.repo_tag.digest, "sha256:manifest");
    assert_eq!(r.id, "sha256:config");
    assert_eq!(
        (r.os_distro.as_str(), r.os_distro_release.as_str()),
        ("debian", "bookworm")
    );
    assert_eq!(r.vulnerabilities_count, 2);
    let d = r.vulnerability_distribution;
    assert_eq!(
        (d.critical, d.high, d.medium, d.low, d.total),
        (1, 1, 0, 0, 2),
        "'important' counts as high"
    );
    let types: Vec<&str> = r.packages.iter().map(|g| g.pkgs_type.as_str()).collect();
    assert_eq!(types, ["package", "python"]);
    assert_eq!(r.packages[0].pkgs[0].cve_count, 1);
    assert_eq!(r.history.len(), 3);
    assert_eq!(r.history[1].id, "<missing>");
    assert_eq!(r.top_layer, "sha256:d2");
    assert!(r.package_manager);
    assert_eq!(r.repo_digests, ["127.0.0.1:5000/apps/web@sha256:manifest"]);
    // Docker Hub names carry no registry.
    let hub = ImageIdentity {
        registry: String::new(),
        repo: "library/alpine".into(),
        tag: "3.16".into(),
        ..Default::default()
    };
    assert_eq!(hub.key(), "library/alpine:3.16");
}
