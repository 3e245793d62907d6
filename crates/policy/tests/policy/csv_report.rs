//! The results CSV: the header exactly as api-reference §6 prints it, the cell conventions, and
//! hostile names that must not turn into spreadsheet formulas.

use super::support::{nvd_vulnerabilities, nvd_wire, shared};
use crowsnest_model::scan_result::{
    ImageHistory, ImageScanResult, ImageTag, PackageView, PackagesGroup, Vulnerability,
};
use crowsnest_policy::{CSV_HEADER, CsvReport, PolicyError};
use std::collections::HashMap;

/// The header line as the API reference prints it (the code block after "38 columns").
fn header_from_spec() -> String {
    let spec =
        std::fs::read_to_string(shared().join("spec/api-reference.md")).expect("api-reference.md");
    let section = spec.split("## 6. CSV").nth(1).expect("§6 exists");
    let block = section.split("```").nth(1).expect("§6 has a code block");
    block.trim().to_string()
}

fn image(registry: &str, repo: &str, tag: &str, vulns: Vec<Vulnerability>) -> ImageScanResult {
    ImageScanResult {
        key: format!("{repo}:{tag}"),
        id: "sha256:3f57d9401f8d42f986df300f0c69192fc41da28ccc8d797829467780db3dd741".into(),
        hostname: "scanner-1".into(),
        repo_tag: ImageTag {
            vendor: Default::default(),
            registry: registry.into(),
            repo: repo.into(),
            tag: tag.into(),
            digest: "sha256:9b2a28eb47540823042a2ba401386845089bb7b62a9637d55816132c4c3c36eb"
                .into(),
            id: String::new(),
        },
        distro: "Debian GNU/Linux 11 (bullseye)".into(),
        collections: vec!["All".into(), "debian".into()],
        packages: vec![PackagesGroup {
            vendor: Default::default(),
            pkgs_type: "package".into(),
            pkgs: vec![PackageView {
                name: "coreutils".into(),
                version: "8.32-4".into(),
                license: "GPL-3".into(),
                path: "/var/lib/dpkg/status".into(),
                ..PackageView::default()
            }],
        }],
        history: vec![ImageHistory {
            created: 1_700_000_000,
            instruction: "ADD file:6d6f5a4f in /".into(),
            ..ImageHistory::default()
        }],
        vulnerabilities: Some(vulns),
        ..ImageScanResult::default()
    }
}

fn write(images: &[ImageScanResult]) -> String {
    let mut report = CsvReport::new(Vec::new()).unwrap();
    for i in images {
        report.write_image(i).unwrap();
    }
    String::from_utf8(report.finish().unwrap()).unwrap()
}

fn rows(csv_text: &str) -> Vec<HashMap<String, String>> {
    let mut r = csv::Reader::from_reader(csv_text.as_bytes());
    let headers = r.headers().unwrap().clone();
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            headers
                .iter()
                .zip(rec.iter())
                .map(|(h, v)| (h.to_string(), v.to_string()))
                .collect()
        })
        .collect()
}

#[test]
fn header_is_exactly_the_consoles_38_columns() {
    let spec = header_from_spec();
    assert_eq!(CSV_HEADER.join(","), spec);
    let text = write(&[]);
    assert_eq!(text, format!("{spec}\r\n"));
}

#[test]
fn one_row_per_vulnerability_with_prismas_cell_conventions() {
    let mut vulns = nvd_vulnerabilities();
    vulns[0].severity = "low".into();
    vulns[0].layer_time = 1_700_000_000;
    vulns[0].discovered = "2026-11-01T10:00:00Z".into();
    vulns[0].binary_pkgs = vec!["coreutils".into()];
    vulns[0]
        .risk_factors
        .insert("Attack complexity: low".into(), Default::default());
    vulns[0]
        .risk_factors
        .insert("Attack vector: network".into(), Default::default());
    vulns[0].grace_period_days = Some(12);
    vulns[1] = nvd_wire("CVE-2016-3197")
        .fixed("9.1-1", 1_609_784_100)
        .pkg(410, "python", "coreutils-py", "1.0")
        .build();
    let text = write(&[image("", "library/debian", "bullseye", vulns)]);
    let rows = rows(&text);
    assert_eq!(rows.len(), 3);
    let r = &rows[0];
    assert_eq!(r["Registry"], "", "Docker Hub is left empty");
    assert_eq!(r["Repository"], "library/debian");
    assert_eq!(r["Tag"], "bullseye");
    assert_eq!(r["CVE ID"], "CVE-2016-2781");
    assert_eq!(r["Compliance ID"], "46");
    assert_eq!(r["Type"], "OS");
    assert_eq!(r["Severity"], "low");
    assert_eq!(r["Packages"], "coreutils");
    assert_eq!(r["Source Package"], "coreutils");
    assert_eq!(r["Package License"], "GPL-3");
    assert_eq!(r["Package Path"], "/var/lib/dpkg/status");
    assert_eq!(r["CVSS"], "4.6");
    assert_eq!(r["Fix Status"], "open");
    assert_eq!(r["Grace Days"], "12");
    assert_eq!(
        r["Risk Factors"],
        "Attack complexity: low, Attack vector: network"
    );
    assert_eq!(r["Published"], "2017-02-07 15:59:00.000");
    assert_eq!(r["Discovered"], "2026-11-01 10:00:00.000");
    assert_eq!(r["Layer"], "ADD file:6d6f5a4f in /");
    assert_eq!(r["Collections"], "All, debian");
    assert_eq!(r["Hosts"], "scanner-1");
    assert!(r["Digest"].starts_with("sha256:9b2a"));
    assert!(r["Description"].starts_with("chroot in GNU coreutils"));
    assert_eq!(
        r["Vulnerability Link"],
        "https://nvd.nist.gov/vuln/detail/CVE-2016-2781"
    );
    let py = &rows[1];
    assert_eq!(py["Type"], "Python");
    assert_eq!(py["Compliance ID"], "410");
    assert_eq!(py["Source Package"], "");
    assert_eq!(py["Fix Status"], "fixed in 9.1-1");
    assert_eq!(py["Fix Date"], "2021-01-04 18:15:00.000");
    assert_eq!(py["CVSS"], "", "no score, no number");
    assert_eq!(py["Grace Days"], "");
}

#[test]
fn private_registries_are_named() {
    let text = write(&[image(
        "127.0.0.1:5577",
        "apps/web",
        "1.0",
        nvd_vulnerabilities(),
    )]);
    assert!(
        rows(&text)
            .iter()
            .all(|r| r["Registry"] == "127.0.0.1:5577")
    );
}

#[test]
fn hostile_names_are_neutralised() {
    let mut vulns = vec![nvd_wire("CVE-2016-3674").build()];
    vulns[0].package_name = "-exec".into();
    vulns[0].description = "@SUM(1+1)*cmd|' /C calc'!A0".into();
    vulns[0].cause = "\tpadding".into();
    vulns[0].status = "\r=1".into();
    let images = [
        image(
            "",
            "=HYPERLINK(\"http://attacker.example\",\"x\")",
            "+1",
            vulns.clone(),
        ),
        image("reg.example", "team/app", "@latest", vulns.clone()),
        image("-reg", "team/app", "-rc1", vulns),
    ];
    let text = write(&images);
    let rows = rows(&text);
    assert_eq!(rows.len(), 3);
    for r in &rows {
        for (column, cell) in r {
            let first = cell.chars().next();
            assert!(
                !matches!(first, Some('=' | '+' | '-' | '@' | '\t' | '\r' | '\n')),
                "{column} starts a formula: {cell:?}"
            );
        }
    }
    assert_eq!(
        rows[0]["Repository"],
        "'=HYPERLINK(\"http://attacker.example\",\"x\")"
    );
    assert_eq!(rows[0]["Tag"], "'+1");
    assert_eq!(rows[0]["Packages"], "'-exec");
    assert_eq!(rows[0]["Description"], "'@SUM(1+1)*cmd|' /C calc'!A0");
    assert_eq!(rows[0]["Cause"], "'\tpadding");
    assert_eq!(rows[0]["Fix Status"], "'\r=1");
    assert_eq!(rows[1]["Tag"], "'@latest");
    assert_eq!(rows[2]["Registry"], "'-reg");
    // The quote is the only change: a reader gets the text back by dropping it.
    assert_eq!(&rows[2]["Tag"][1..], "-rc1");
}

#[test]
fn images_stream_one_at_a_time() {
    // A sink that sees bytes as soon as the writer flushes, with no image kept by the report.
    let mut report = CsvReport::new(Vec::new()).unwrap();
    let mut total = 0;
    for i in 0..200 {
        let img = image("", &format!("library/app{i}"), "1", nvd_vulnerabilities());
        total += report.write_image(&img).unwrap();
        drop(img);
    }
    assert_eq!(total, 600);
    assert_eq!(report.rows(), 600);
    report.flush().unwrap();
    let text = String::from_utf8(report.finish().unwrap()).unwrap();
    assert_eq!(text.lines().count(), 601);
    // An image with no vulnerability list writes nothing.
    let mut report = CsvReport::new(Vec::new()).unwrap();
    let mut img = image("", "x", "1", vec![]);
    img.vulnerabilities = None;
    assert_eq!(report.write_image(&img).unwrap(), 0);
}

/// A client that went away: every write fails.
struct Closed;

impl std::io::Write for Closed {
    fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
        Err(std::io::Error::new(
            std::io::ErrorKind::BrokenPipe,
            "client went away",
        ))
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Err(std::io::Error::new(
            std::io::ErrorKind::BrokenPipe,
            "client went away",
        ))
    }
}

#[test]
fn a_failing_sink_is_an_error_not_a_panic() {
    // The header may sit in the buffer; pushing enough rows through must surface the error.
    let result = CsvReport::new(Closed).and_then(|mut r| {
        for i in 0..1000 {
            r.write_image(&image("", &format!("a{i}"), "1", nvd_vulnerabilities()))?;
        }
        r.finish().map(|_| ())
    });
    match result {
        Err(PolicyError::Csv(e)) => assert!(e.to_string().contains("client went away"), "{e}"),
        other => panic!("expected a CSV error, got {:?}", other.map(|_| ())),
    }
}
