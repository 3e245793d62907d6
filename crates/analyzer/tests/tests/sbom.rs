//! The SBOM writers on a real image's inventory: structure required by CycloneDX 1.5 and
//! SPDX 2.3, one entry per package, identifiers unique and cross-references resolvable.

use crate::support::testdata;
use crowsnest_analyzer::sbom::{Format, render};
use crowsnest_analyzer::{Analyzer, ImageRef, Inventory, NoProgress};
use std::collections::HashSet;

fn alpine() -> Inventory {
    let file = testdata("trivy/pkg/fanal/test/testdata/alpine-311.tar.gz");
    Analyzer::default()
        .analyze_source(&ImageRef::DockerArchive { file }, &NoProgress)
        .unwrap()
}

#[test]
fn cyclonedx_1_5() {
    let inv = alpine();
    let bom = render(&inv, "alpine:3.11", Format::CycloneDx);
    assert_eq!(bom["bomFormat"], "CycloneDX");
    assert_eq!(bom["specVersion"], "1.5");
    assert!(
        bom["serialNumber"]
            .as_str()
            .unwrap()
            .starts_with("urn:uuid:")
    );
    let comps = bom["components"].as_array().unwrap();
    assert_eq!(comps.len(), inv.packages.len() + 1);
    assert_eq!(comps[0]["type"], "operating-system");
    let refs: HashSet<&str> = comps
        .iter()
        .map(|c| c["bom-ref"].as_str().unwrap())
        .collect();
    assert_eq!(refs.len(), comps.len());
    let musl = comps.iter().find(|c| c["name"] == "musl").unwrap();
    assert_eq!(
        musl["purl"],
        "pkg:apk/alpine/musl@1.1.24-r2?arch=x86_64&distro=alpine-3.11.5"
    );
    assert_eq!(musl["licenses"][0]["license"]["name"], "MIT");
}

#[test]
fn spdx_2_3() {
    let inv = alpine();
    let doc = render(&inv, "alpine:3.11", Format::Spdx);
    assert_eq!(doc["spdxVersion"], "SPDX-2.3");
    assert_eq!(doc["dataLicense"], "CC0-1.0");
    assert_eq!(doc["SPDXID"], "SPDXRef-DOCUMENT");
    let created = doc["creationInfo"]["created"].as_str().unwrap();
    assert_eq!(created.len(), 20, "{created}");
    let pkgs = doc["packages"].as_array().unwrap();
    let ids: HashSet<&str> = pkgs.iter().map(|p| p["SPDXID"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), pkgs.len());
    assert!(ids.iter().all(|id| {
        id.starts_with("SPDXRef-")
            && id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
    }));
    for r in doc["relationships"].as_array().unwrap() {
        let a = r["spdxElementId"].as_str().unwrap();
        assert!(a == "SPDXRef-DOCUMENT" || ids.contains(a));
        assert!(ids.contains(r["relatedSpdxElement"].as_str().unwrap()));
    }
    let purls = pkgs
        .iter()
        .filter(|p| p["externalRefs"][0]["referenceType"] == "purl")
        .count();
    assert_eq!(purls, inv.packages.len());
}

#[test]
fn native_json_round_trips() {
    let inv = alpine();
    let v = render(&inv, "alpine:3.11", Format::Json);
    let back: Inventory = serde_json::from_value(v["inventory"].clone()).unwrap();
    assert_eq!(back, inv);
    assert!("cyclonedx".parse::<Format>().is_ok() && "xml".parse::<Format>().is_err());
}
