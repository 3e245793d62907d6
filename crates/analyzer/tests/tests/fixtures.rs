//! The project's fixture images (../shared/fixtures/build-images: real mmdebstrap trees, real
//! pip/npm installs, Debian jars, Go and cargo-auditable binaries, real whiteouts) read from the
//! OCI layout cache, checked against the build's own ground truth in images.json.
//!
//! Set FIXTURE_CACHE to the build cache (default /var/tmp/scanner-fixture-cache). Without it
//! the tests say so and pass locally; under CI they fail.

use crowsnest_analyzer::{Analyzer, ImageRef, Inventory, NoProgress, PackageKind};
use std::collections::BTreeMap;
use std::path::PathBuf;

fn cache() -> Option<(PathBuf, serde_json::Value)> {
    let dir = PathBuf::from(
        std::env::var("FIXTURE_CACHE").unwrap_or_else(|_| "/var/tmp/scanner-fixture-cache".into()),
    );
    let images = dir.join("images.json");
    if !images.exists() || !dir.join("oci/index.json").exists() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must build the fixture images first (../shared/fixtures/build-images --cache {} --no-push)",
            dir.display()
        );
        eprintln!("fixture cache {} not built; skipping", dir.display());
        return None;
    }
    Some((
        dir.clone(),
        serde_json::from_slice(&std::fs::read(images).unwrap()).unwrap(),
    ))
}

fn analyze(dir: &std::path::Path, tag: &str) -> Inventory {
    // The layout names each image by its full reference.
    let inv = Analyzer::default()
        .analyze_source(
            &ImageRef::Oci {
                dir: dir.join("oci"),
                tag: Some(tag.to_string()),
            },
            &NoProgress,
        )
        .unwrap_or_else(|e| panic!("{tag}: {e}"));
    assert!(inv.warnings.is_empty(), "{tag}: {:?}", inv.warnings);
    inv
}

fn dpkg_map(inv: &Inventory) -> BTreeMap<String, String> {
    inv.packages
        .iter()
        .filter(|p| p.kind == PackageKind::Dpkg)
        .map(|p| (p.name.clone(), p.version.clone()))
        .collect()
}

fn expect_dpkg(images: &serde_json::Value, tag: &str) -> BTreeMap<String, String> {
    serde_json::from_value(images["images"][tag]["expect"]["dpkg"].clone()).unwrap()
}

#[test]
fn debian_images_match_build_truth() {
    let Some((dir, images)) = cache() else { return };
    for tag in [
        "debian/bookworm-slim:latest",
        "debian/bookworm-curl:latest",
        "debian/bookworm-whiteout:latest",
    ] {
        let inv = analyze(&dir, tag);
        assert_eq!(dpkg_map(&inv), expect_dpkg(&images, tag), "{tag}");
        let os = inv.os.as_ref().unwrap();
        assert_eq!((os.id.as_str(), os.version_id.as_str()), ("debian", "12"));
    }
    let inv = analyze(&dir, "debian/bookworm-whiteout:latest");
    assert!(!dpkg_map(&inv).contains_key("curl"));
    assert!(dpkg_map(&inv).contains_key("libcurl4"));
}

#[test]
fn python_image_reports_only_the_upgraded_urllib3() {
    let Some((dir, images)) = cache() else { return };
    let tag = "apps/python-vuln:latest";
    let inv = analyze(&dir, tag);
    let want: BTreeMap<String, String> =
        serde_json::from_value(images["images"][tag]["expect"]["python"].clone()).unwrap();
    let got: BTreeMap<String, String> = inv
        .packages
        .iter()
        .filter(|p| p.kind == PackageKind::Python)
        .map(|p| {
            (
                format!(
                    "{}/METADATA",
                    p.path.trim_start_matches('/').trim_end_matches("/METADATA")
                ),
                format!("{}=={}", p.name, p.version),
            )
        })
        .collect();
    for (path, spec) in &want {
        assert_eq!(got.get(path.trim_start_matches('/')), Some(spec), "{path}");
    }
    let urllib3: Vec<&str> = inv
        .packages
        .iter()
        .filter(|p| p.name == "urllib3")
        .map(|p| p.version.as_str())
        .collect();
    assert_eq!(urllib3, vec!["1.26.5"]);
}

#[test]
fn node_java_go_rust_images() {
    let Some((dir, images)) = cache() else { return };
    let node = analyze(&dir, "apps/node-vuln:latest");
    let lock = &images["images"]["apps/node-vuln:latest"]["expect"]["npm_lock"];
    let count = lock["count"].as_u64().unwrap() as usize;
    let app_npm = node
        .packages
        .iter()
        .filter(|p| p.kind == PackageKind::Npm && p.path.starts_with("/app/"))
        .count();
    assert_eq!(app_npm, count);
    assert!(
        node.packages
            .iter()
            .any(|p| p.name == "lodash" && p.version == "4.17.4")
    );

    let java = analyze(&dir, "apps/java-jars:latest");
    let jars: BTreeMap<String, String> =
        serde_json::from_value(images["images"]["apps/java-jars:latest"]["expect"]["jars"].clone())
            .unwrap_or_default();
    for gav in jars.values() {
        let mut parts = gav.rsplitn(2, ':');
        let (v, ga) = (parts.next().unwrap(), parts.next().unwrap());
        assert!(
            java.packages
                .iter()
                .any(|p| p.kind == PackageKind::Java && p.name == ga && p.version == v),
            "{gav}"
        );
    }

    let go = analyze(&dir, "apps/go-binaries:latest");
    assert!(
        go.packages
            .iter()
            .any(|p| p.kind == PackageKind::GoStdlib && p.version == "1.20.4")
    );
    assert!(
        go.packages
            .iter()
            .any(|p| p.kind == PackageKind::Go && p.name == "golang.org/x/sys")
    );

    let rust = analyze(&dir, "apps/rust-auditable:latest");
    for (name, version) in [
        ("smallvec", "1.6.0"),
        ("regex", "1.5.4"),
        ("time", "0.1.43"),
        ("base64", "0.13.0"),
    ] {
        assert!(
            rust.packages
                .iter()
                .any(|p| p.kind == PackageKind::Cargo && p.name == name && p.version == version),
            "{name}"
        );
    }
}
