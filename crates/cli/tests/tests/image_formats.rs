//! Every output format on the vulnerable test image (Ubuntu 18.04 dpkg status + minimist
//! 1.2.5): the table's grouping, the Console JSON shape, SARIF / CycloneDX / SPDX against their
//! published schemas, the Console CSV columns, and `-o FILE`.

use crate::support::{Images, Run, validate, vulns};
use crowsnest_model::scan_result::ImageScanResult;

const MINIMIST: (&str, &str) = ("CVE-2021-44906", "minimist");

#[test]
fn table_groups_findings_by_target_without_colours_off_a_terminal() {
    let images = Images::new();
    let done = Run::image(&[&images.vulnerable()]).run().expect(0);
    let out = done.stdout();
    let os = out
        .find("Ubuntu 18.04.3 LTS (OS packages)")
        .expect("OS section");
    let node = out.find("Node.js packages").expect("npm section");
    assert!(os < node, "OS packages come first:\n{out}");
    let node_part = &out[node..];
    assert!(node_part.contains("Total: 1 (UNKNOWN: 0, LOW: 0, MEDIUM: 0, HIGH: 0, CRITICAL: 1)"));
    let row = node_part
        .lines()
        .find(|l| l.starts_with("minimist"))
        .expect("minimist row");
    let cells: Vec<&str> = row.split_whitespace().collect();
    assert_eq!(
        &cells[..6],
        [
            "minimist",
            "CVE-2021-44906",
            "CRITICAL",
            "fixed",
            "1.2.5",
            "1.2.6"
        ]
    );
    let apt = out[os..node]
        .lines()
        .find(|l| l.starts_with("apt ") && l.contains("CVE-2019-3462"))
        .expect("apt CVE-2019-3462 row");
    assert!(
        apt.contains("HIGH") && apt.contains("1.6.6ubuntu0.1"),
        "{apt}"
    );
    assert!(
        !out.contains('\x1b'),
        "no colours when stdout is not a terminal"
    );
    let err = done.stderr();
    assert!(
        !err.contains('\r'),
        "no progress bar when stderr is not a terminal"
    );
    let summary = err.lines().last().unwrap();
    assert!(summary.contains("CRITICAL 1"), "{summary}");
    for part in ["pull ", "analysis ", "matching ", "in 91 packages"] {
        assert!(summary.contains(part), "{part} missing from: {summary}");
    }
}

#[test]
fn list_all_pkgs_lists_packages_without_findings_too() {
    let images = Images::new();
    let out = Run::image(&[&images.vulnerable(), "--list-all-pkgs"])
        .run()
        .expect(0)
        .stdout();
    assert!(out.contains("Packages: 90"), "{out}");
    // debconf 1.5.66 has no finding in the snapshot but is installed.
    let line = out
        .lines()
        .find(|l| l.starts_with("debconf "))
        .expect("debconf listed");
    assert!(line.trim_end().ends_with(" 0"), "{line}");
}

#[test]
fn json_is_the_consoles_image_scan_result() {
    let images = Images::new();
    let done = Run::image(&[&images.vulnerable(), "--format", "json"])
        .run()
        .expect(0);
    let doc = done.json();
    // Exactly the Console's shape: it survives a round trip through the model type unchanged.
    let typed: ImageScanResult = serde_json::from_value(doc.clone()).unwrap();
    assert_eq!(serde_json::to_value(&typed).unwrap(), doc);
    let found = vulns(&doc);
    assert!(found.contains(&(
        MINIMIST.0.into(),
        MINIMIST.1.into(),
        "fixed in 1.2.6".into()
    )));
    assert!(found.contains(&(
        "CVE-2019-3462".into(),
        "apt".into(),
        "fixed in 1.6.6ubuntu0.1".into()
    )));
    assert_eq!(typed.vulnerability_distribution.critical, 1);
    assert_eq!(typed.os_distro, "ubuntu");
    assert_eq!(typed.vulnerabilities_count as usize, found.len());
    assert!(typed.packages.iter().any(|g| g.pkgs_type == "nodejs"));
    assert!(typed.id.starts_with("sha256:"));
}

#[test]
fn sarif_validates_and_ranks_by_cvss() {
    let images = Images::new();
    let done = Run::image(&[&images.vulnerable(), "-f", "sarif"])
        .run()
        .expect(0);
    validate(&done.stdout(), "sarif-schema-2.1.0.json");
    let doc = done.json();
    let run = &doc["runs"][0];
    let rule = run["tool"]["driver"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == MINIMIST.0)
        .expect("rule for the minimist CVE");
    assert_eq!(rule["properties"]["security-severity"], "9.8");
    let result = run["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["ruleId"] == MINIMIST.0)
        .unwrap();
    assert_eq!(result["level"], "error");
    assert_eq!(
        result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "app/node_modules/minimist/package.json"
    );
}

#[test]
fn cyclonedx_validates_and_links_vulnerabilities_to_components() {
    let images = Images::new();
    let done = Run::image(&[&images.vulnerable(), "-f", "cyclonedx"])
        .run()
        .expect(0);
    validate(&done.stdout(), "bom-1.5.SNAPSHOT.schema.json");
    let doc = done.json();
    assert_eq!(doc["specVersion"], "1.5");
    let v = doc["vulnerabilities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["id"] == MINIMIST.0)
        .expect("minimist vulnerability");
    assert_eq!(v["ratings"][0]["severity"], "critical");
    assert_eq!(v["ratings"][0]["method"], "CVSSv31");
    let r = v["affects"][0]["ref"].as_str().unwrap();
    let c = doc["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["bom-ref"] == r)
        .expect("the affected component");
    assert!(
        c["purl"]
            .as_str()
            .unwrap()
            .starts_with("pkg:npm/minimist@1.2.5")
    );
}

#[test]
fn spdx_validates_and_carries_advisory_references() {
    let images = Images::new();
    let done = Run::image(&[&images.vulnerable(), "-f", "spdx"])
        .run()
        .expect(0);
    validate(&done.stdout(), "spdx-schema-2.3.json");
    let doc = done.json();
    assert_eq!(doc["spdxVersion"], "SPDX-2.3");
    let pkg = doc["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "minimist")
        .unwrap();
    let refs = pkg["externalRefs"].as_array().unwrap();
    assert!(refs.iter().any(|r| {
        r["referenceCategory"] == "SECURITY"
            && r["comment"]
                .as_str()
                .unwrap()
                .starts_with("CVE-2021-44906 severity CRITICAL")
    }));
}

#[test]
fn csv_has_the_consoles_columns_and_output_goes_to_the_file() {
    let images = Images::new();
    let file = images.path("report.csv");
    let done = Run::image(&[
        &images.vulnerable(),
        "-f",
        "csv",
        "-o",
        file.to_str().unwrap(),
    ])
    .run()
    .expect(0);
    assert!(done.stdout().is_empty(), "-o leaves stdout empty");
    let text = std::fs::read_to_string(&file).unwrap();
    assert_eq!(
        text.lines().next().unwrap(),
        crowsnest_policy::CSV_HEADER.join(",")
    );
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    assert_eq!(reader.headers().unwrap().len(), 38);
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let json = Run::image(&[&images.vulnerable(), "-f", "json"])
        .run()
        .expect(0)
        .json();
    assert_eq!(
        rows.len(),
        json["vulnerabilities"].as_array().unwrap().len()
    );
    assert!(rows.iter().any(|r| r.iter().any(|c| c == MINIMIST.0)));
}
