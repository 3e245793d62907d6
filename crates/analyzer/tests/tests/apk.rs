//! apk databases: a real Alpine 3.11 image (`docker save` tarball) against trivy's expected
//! package list, and smaller real databases against syft's.

use crate::support::{read, testdata};
use crowsnest_analyzer::{Analyzer, ImageRef, NoProgress, PackageKind, parse};

#[test]
fn alpine_311_image_matches_expected() {
    let expected: serde_json::Value =
        serde_json::from_slice(&read("trivy/EXPECTED.transcribed.json")).unwrap();
    let case = &expected["pkg/fanal/test/testdata/alpine-311.tar.gz"];
    let want_pkgs = case["packages"]
        .as_array()
        .or_else(|| case["Packages"].as_array())
        .expect("packages in EXPECTED");
    let mut want: Vec<(String, String, String)> = want_pkgs
        .iter()
        .map(|p| {
            (
                p["Name"].as_str().unwrap().into(),
                p["Version"].as_str().unwrap().into(),
                p["SrcName"].as_str().unwrap().into(),
            )
        })
        .collect();
    want.sort();
    let image = ImageRef::parse(&format!(
        "docker-archive:{}",
        testdata("trivy/pkg/fanal/test/testdata/alpine-311.tar.gz").display()
    ))
    .unwrap();
    let inv = Analyzer::default()
        .analyze_source(&image, &NoProgress)
        .unwrap();
    let os = inv.os.as_ref().unwrap();
    assert_eq!(
        (os.id.as_str(), os.version_id.as_str()),
        ("alpine", "3.11.5")
    );
    let mut got: Vec<(String, String, String)> = inv
        .packages
        .iter()
        .filter(|p| p.kind == PackageKind::Apk)
        .map(|p| {
            (
                p.name.clone(),
                p.version.clone(),
                p.source_name.clone().unwrap(),
            )
        })
        .collect();
    got.sort();
    assert_eq!(got, want);
    assert!(inv.warnings.is_empty(), "{:?}", inv.warnings);
    // The one layer's digest is the config's diff_id.
    assert!(inv.packages.iter().all(|p| {
        p.layer_digest
            .as_deref()
            .unwrap()
            .starts_with("sha256:beee9f30")
    }));
    assert!(
        inv.packages[0]
            .purl
            .as_deref()
            .unwrap()
            .contains("distro=alpine-3.11.5")
    );
}

#[test]
fn syft_multiple_1_database() {
    let expected: serde_json::Value =
        serde_json::from_slice(&read("syft/EXPECTED.transcribed.json")).unwrap();
    let case = &expected["syft/pkg/cataloger/alpine/testdata/multiple-1"]["expectedPackages"];
    let want: Vec<(String, String)> = case
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["Name"].as_str().unwrap().into(),
                p["Version"].as_str().unwrap().into(),
            )
        })
        .collect();
    let got: Vec<(String, String)> = parse::apk_installed(
        &read("syft/syft/pkg/cataloger/alpine/testdata/multiple-1/lib/apk/db/installed"),
        "lib/apk/db/installed",
    )
    .unwrap()
    .into_iter()
    .map(|p| (p.name, p.version))
    .collect();
    assert_eq!(got, want);
}

#[test]
fn trivy_apk_database_skips_versionless_record() {
    let pkgs = parse::apk_installed(
        &read("trivy/pkg/fanal/analyzer/pkg/apk/testdata/apk"),
        "lib/apk/db/installed",
    )
    .unwrap();
    assert_eq!(pkgs.len(), 15);
}

#[test]
fn corrupt_apk_database_is_an_error() {
    assert!(
        parse::apk_installed(
            &read("syft/syft/pkg/cataloger/alpine/testdata/corrupt/lib/apk/db/installed"),
            "x"
        )
        .is_err()
    );
}
