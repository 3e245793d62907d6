//! Filters and gates: `--exit-code` with `--severity`, `--ignore-unfixed`, `--ignore-status`,
//! VEX documents (OpenVEX and CycloneDX) and the ignore file with expiry dates.

use crate::support::{Images, Run, vulns};

#[test]
fn exit_code_gates_on_critical_findings_only() {
    let images = Images::new();
    let gate = ["--exit-code", "1", "--severity", "CRITICAL", "-q"];
    let hit = Run::image(&[&[images.vulnerable().as_str()][..], &gate[..]].concat())
        .run()
        .expect(1);
    assert!(hit.stdout().contains("CVE-2021-44906"));
    assert!(
        !hit.stdout().contains("CVE-2019-3462"),
        "HIGH is filtered out"
    );
    assert!(hit.stderr().is_empty(), "--quiet: {}", hit.stderr());
    // Ubuntu alone has high findings but no critical one.
    Run::image(&[&[images.ubuntu().as_str()][..], &gate[..]].concat())
        .run()
        .expect(0);
    // The real alpine:3.10 archive has no findings at all.
    let clean = Run::image(&[&images.alpine(), "--exit-code", "1"])
        .run()
        .expect(0);
    assert!(clean.stdout().contains("Total: 0"), "{}", clean.stdout());
    // Without --exit-code, findings do not fail the command.
    Run::image(&[&images.vulnerable(), "-q"]).run().expect(0);
}

#[test]
fn ignore_unfixed_drops_exactly_the_open_findings() {
    let images = Images::new();
    let all = vulns(
        &Run::image(&[&images.ubuntu(), "-f", "json"])
            .run()
            .expect(0)
            .json(),
    );
    // gcc-8's CVE-2018-12886 is `needs-triage` for bionic in the tracker: open.
    assert!(all.contains(&("CVE-2018-12886".into(), "gcc-8".into(), "open".into())));
    let fixed = vulns(
        &Run::image(&[&images.ubuntu(), "-f", "json", "--ignore-unfixed"])
            .run()
            .expect(0)
            .json(),
    );
    let expected: Vec<_> = all
        .iter()
        .filter(|v| v.2.starts_with("fixed in"))
        .cloned()
        .collect();
    assert!(expected.len() < all.len());
    assert_eq!(fixed, expected);
    let no_wontfix = vulns(
        &Run::image(&[
            &images.ubuntu(),
            "-f",
            "json",
            "--ignore-status",
            "will_not_fix",
        ])
        .run()
        .expect(0)
        .json(),
    );
    let expected: Vec<_> = all
        .iter()
        .filter(|v| v.2 != "will not fix")
        .cloned()
        .collect();
    assert!(expected.len() < all.len());
    assert_eq!(no_wontfix, expected);
}

fn without(
    all: &[(String, String, String)],
    cve: &str,
    pkg: &str,
) -> Vec<(String, String, String)> {
    all.iter()
        .filter(|v| !(v.0 == cve && v.1 == pkg))
        .cloned()
        .collect()
}

#[test]
fn a_vex_not_affected_statement_removes_exactly_that_finding() {
    let images = Images::new();
    let all = vulns(
        &Run::image(&[&images.vulnerable(), "-f", "json"])
            .run()
            .expect(0)
            .json(),
    );
    let openvex = images.path("openvex.json");
    std::fs::write(
        &openvex,
        r#"{"@context": "https://openvex.dev/ns/v0.2.0", "@id": "https://example.test/vex/1",
            "author": "crowsnest tests", "timestamp": "2026-01-01T00:00:00Z", "version": 1,
            "statements": [{
              "vulnerability": {"name": "CVE-2021-44906"},
              "products": [{"@id": "pkg:oci/vulnerable", "subcomponents": [{"@id": "pkg:npm/minimist@1.2.5"}]}],
              "status": "not_affected", "justification": "vulnerable_code_not_in_execute_path"}]}"#,
    )
    .unwrap();
    let done = Run::image(&[
        &images.vulnerable(),
        "-f",
        "json",
        "--vex",
        openvex.to_str().unwrap(),
    ])
    .run()
    .expect(0);
    assert_eq!(
        vulns(&done.json()),
        without(&all, "CVE-2021-44906", "minimist")
    );
    assert!(
        done.stderr().contains("1 suppressed by filters"),
        "{}",
        done.stderr()
    );

    // The same statement in CycloneDX VEX, naming the component by bom-ref; and the HIGH
    // CVE-2019-3462 marked resolved in both binary packages built from apt's source (the JSON
    // groups them under the source, so both must go for the entry to go).
    let cdx = images.path("cdx-vex.json");
    std::fs::write(
        &cdx,
        r#"{"bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1,
            "components": [{"type": "library", "bom-ref": "mm", "name": "minimist", "purl": "pkg:npm/minimist@1.2.5"}],
            "vulnerabilities": [
              {"id": "CVE-2021-44906", "analysis": {"state": "not_affected", "justification": "code_not_reachable"}, "affects": [{"ref": "mm"}]},
              {"id": "CVE-2019-3462", "analysis": {"state": "resolved"}, "affects": [{"ref": "pkg:deb/ubuntu/apt"}, {"ref": "pkg:deb/ubuntu/libapt-pkg5.0"}]}]}"#,
    )
    .unwrap();
    let done = Run::image(&[
        &images.vulnerable(),
        "-f",
        "json",
        "--vex",
        cdx.to_str().unwrap(),
    ])
    .run()
    .expect(0);
    assert_eq!(
        vulns(&done.json()),
        without(
            &without(&all, "CVE-2021-44906", "minimist"),
            "CVE-2019-3462",
            "apt"
        )
    );
}

#[test]
fn a_vex_under_investigation_statement_annotates() {
    let images = Images::new();
    let vex = images.path("vex.json");
    std::fs::write(
        &vex,
        r#"{"@context": "https://openvex.dev/ns/v0.2.0", "statements": [
            {"vulnerability": {"name": "CVE-2021-44906"}, "products": [{"@id": "pkg:npm/minimist"}], "status": "under_investigation"}]}"#,
    )
    .unwrap();
    let out = Run::image(&[&images.vulnerable(), "--vex", vex.to_str().unwrap()])
        .run()
        .expect(0)
        .stdout();
    let row = out.lines().find(|l| l.starts_with("minimist")).unwrap();
    assert!(row.contains("fixed (VEX: under_investigation)"), "{row}");
}

#[test]
fn the_ignore_file_suppresses_until_its_date() {
    let images = Images::new();
    let run = Run::image(&[&images.vulnerable(), "-f", "json"]);
    std::fs::write(
        run.home().join(".crowsnestignore"),
        "# accepted until the upgrade\nCVE-2019-3462 apt exp:2999-12-31\nCVE-2021-44906 exp:2000-01-01  # long expired\n",
    )
    .unwrap();
    let done = run.run().expect(0);
    let found = vulns(&done.json());
    assert!(!found.iter().any(|v| v.0 == "CVE-2019-3462" && v.1 == "apt"));
    assert!(
        found.iter().any(|v| v.0 == "CVE-2021-44906"),
        "an expired rule no longer applies"
    );
    assert!(
        done.stderr().contains("expired on 2000-01-01"),
        "{}",
        done.stderr()
    );
}

#[test]
fn malformed_filter_inputs_are_usage_errors() {
    let images = Images::new();
    let ignore = images.path("ignore");
    std::fs::write(&ignore, "CVE-1\nCVE-2 exp:31/12/2026\n").unwrap();
    let done = Run::image(&[&images.alpine(), "--ignorefile", ignore.to_str().unwrap()])
        .run()
        .expect(2);
    assert!(done.stderr().contains("line 2"), "{}", done.stderr());
    let vex = images.path("bad-vex.json");
    std::fs::write(&vex, r#"{"statements": []}"#).unwrap();
    let done = Run::image(&[&images.alpine(), "--vex", vex.to_str().unwrap()])
        .run()
        .expect(2);
    assert!(done.stderr().contains("OpenVEX"), "{}", done.stderr());
    Run::image(&[&images.alpine(), "--severity", "SEVERE"])
        .run()
        .expect(2);
    Run::image(&[&images.alpine(), "--ignore-status", "maybe"])
        .run()
        .expect(2);
}
