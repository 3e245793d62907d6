//! The project's fixture images (../shared/fixtures/build-images: real mmdebstrap trees, real
//! pip/npm installs, Debian jars, Go and cargo-auditable binaries, real whiteouts) read from the
//! OCI layout the build leaves in its cache, checked against the build's own ground truth
//! (`build.json` → `expect`, written from the trees before they became layers).
//!
//! FIXTURE_CACHE names the cache (default /var/tmp/scanner-fixture-cache); build it with
//! `scripts/fixtures` (as root; it runs `build-images --cache DIR --no-push`). Without it the
//! tests say so and pass, unless CROWSNEST_REQUIRE_FIXTURES=1 is set (scripts/test sets it after
//! building the cache): then they fail, so CI cannot pass them without checking anything. The
//! ground truth itself is checked for size too, so an empty `expect` cannot pass them either.

use crowsnest_analyzer::{Analyzer, ImageRef, Inventory, NoProgress, PackageKind};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

fn cache() -> Option<(PathBuf, Value)> {
    let dir = PathBuf::from(
        std::env::var("FIXTURE_CACHE").unwrap_or_else(|_| "/var/tmp/scanner-fixture-cache".into()),
    );
    let build = dir.join("build.json");
    if !build.exists() || !dir.join("oci/index.json").exists() {
        assert!(
            std::env::var_os("CROWSNEST_REQUIRE_FIXTURES").is_none(),
            "CROWSNEST_REQUIRE_FIXTURES is set but the fixture cache {} has no build.json or \
             oci/index.json: build it first with `scripts/fixtures --cache {}` (as root), or \
             point FIXTURE_CACHE at the cache it built",
            dir.display(),
            dir.display()
        );
        eprintln!(
            "SKIPPED: fixture cache {} not built (run `scripts/fixtures` as root, or set \
             FIXTURE_CACHE); set CROWSNEST_REQUIRE_FIXTURES=1 to make this a failure",
            dir.display()
        );
        return None;
    }
    let build: Value = serde_json::from_slice(&std::fs::read(build).unwrap()).unwrap();
    let expect = build["expect"].clone();
    // The recipe builds ten images with ground truth; fewer means a broken build, not a pass.
    let images = expect.as_object().map_or(0, |m| m.len());
    assert!(
        images >= 10,
        "{}: build.json describes {images} images",
        dir.display()
    );
    Some((dir, expect))
}

fn analyze(dir: &std::path::Path, tag: &str) -> Inventory {
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

fn of_kind(inv: &Inventory, kind: PackageKind) -> BTreeMap<String, String> {
    inv.packages
        .iter()
        .filter(|p| p.kind == kind)
        .map(|p| (p.name.clone(), p.version.clone()))
        .collect()
}

#[test]
fn every_fixture_image_lists_exactly_the_built_dpkg_packages() {
    let Some((dir, expect)) = cache() else { return };
    let mut with_dpkg = 0;
    for (image, e) in expect.as_object().unwrap() {
        let inv = analyze(&dir, image);
        if let Some(dpkg) = e.get("dpkg") {
            let want: BTreeMap<String, String> = serde_json::from_value(dpkg.clone()).unwrap();
            assert!(
                want.len() > 80,
                "{image}: only {} dpkg packages",
                want.len()
            );
            assert_eq!(of_kind(&inv, PackageKind::Dpkg), want, "{image}");
            with_dpkg += 1;
            let os = inv.os.as_ref().unwrap();
            assert_eq!(
                (
                    os.id.as_str(),
                    os.version_id.as_str(),
                    os.codename.as_deref()
                ),
                ("debian", "12", Some("bookworm")),
                "{image}"
            );
        } else {
            assert!(
                inv.os.is_none() && of_kind(&inv, PackageKind::Dpkg).is_empty(),
                "{image}"
            );
        }
        for gone in e
            .get("removed_by_whiteout")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            assert!(
                !inv.packages
                    .iter()
                    .any(|p| p.name == gone.as_str().unwrap()),
                "{image}: {gone}"
            );
        }
    }
    assert_eq!(with_dpkg, 8, "Debian-based fixture images");
}

#[test]
fn whiteout_image_attributes_layers() {
    let Some((dir, _)) = cache() else { return };
    let base = analyze(&dir, "debian/bookworm-slim");
    let inv = analyze(&dir, "debian/bookworm-whiteout");
    let base_layer = base.packages[0].layer_digest.clone().unwrap();
    let of = |n: &str| {
        inv.packages
            .iter()
            .find(|p| p.name == n)
            .unwrap()
            .layer_digest
            .clone()
            .unwrap()
    };
    assert_eq!(of("bash"), base_layer);
    // libcurl4 came with the curl layer and survived the purge of curl.
    let curl_layer = of("libcurl4");
    assert_ne!(curl_layer, base_layer);
    assert_eq!(
        inv.config
            .history
            .iter()
            .filter_map(|h| h.layer_digest.as_deref())
            .nth(1),
        Some(curl_layer.as_str())
    );
}

#[test]
fn python_image_matches_and_reports_only_the_upgraded_urllib3() {
    let Some((dir, expect)) = cache() else { return };
    let inv = analyze(&dir, "apps/python-vuln");
    let want: BTreeSet<(String, String)> = expect["apps/python-vuln"]["python"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(path, spec)| {
            (
                path.trim_end_matches("/METADATA").to_string(),
                spec.as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert!(want.len() >= 15, "{want:?}");
    let got: BTreeSet<(String, String)> = inv
        .packages
        .iter()
        .filter(|p| p.kind == PackageKind::Python)
        .map(|p| {
            (
                p.path.trim_end_matches("/METADATA").to_string(),
                format!("{}=={}", p.name, p.version),
            )
        })
        .collect();
    assert_eq!(got, want);
    let urllib3: Vec<&str> = inv
        .packages
        .iter()
        .filter(|p| p.name == "urllib3")
        .map(|p| p.version.as_str())
        .collect();
    assert_eq!(urllib3, vec!["1.26.5"]);
}

#[test]
fn node_image_lock_and_node_modules() {
    let Some((dir, expect)) = cache() else { return };
    let inv = analyze(&dir, "apps/node-vuln");
    let lock = &expect["apps/node-vuln"]["npm_lock"];
    let want: BTreeSet<(String, String)> = lock["packages"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| {
            (
                k.rsplit("node_modules/").next().unwrap().to_string(),
                v.as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(want.len() as u64, lock["count"].as_u64().unwrap());
    assert!(want.len() > 50, "{want:?}");
    let got: BTreeSet<(String, String)> = inv
        .packages
        .iter()
        .filter(|p| p.kind == PackageKind::Npm && p.path.starts_with("/app/"))
        .map(|p| (p.name.clone(), p.version.clone()))
        .collect();
    assert_eq!(got, want);
    // Debian's own node modules belong to dpkg packages and are not reported twice.
    assert!(
        !inv.packages
            .iter()
            .any(|p| p.kind == PackageKind::Npm && p.path.starts_with("/usr/share/nodejs/"))
    );
}

#[test]
fn java_image_finds_every_pom_artifact_including_nested() {
    let Some((dir, expect)) = cache() else { return };
    let inv = analyze(&dir, "apps/java-jars");
    let got: BTreeSet<String> = inv
        .packages
        .iter()
        .filter(|p| p.kind == PackageKind::Java)
        .map(|p| format!("{}:{}", p.name, p.version))
        .collect();
    let mut checked = 0;
    for gavs in expect["apps/java-jars"]["jars"]
        .as_object()
        .unwrap()
        .values()
    {
        for gav in gavs.as_array().unwrap() {
            let gav = gav.as_str().unwrap();
            let gav = gav.rsplit('!').next().unwrap();
            if gav.starts_with('(') {
                continue; // no pom.properties: named from the manifest or file name instead
            }
            assert!(got.contains(gav), "{gav} missing");
            checked += 1;
        }
    }
    assert!(checked > 50, "{checked}");
    let nested = inv
        .packages
        .iter()
        .find(|p| p.name == "org.apache.logging.log4j:log4j-core" && p.path.starts_with("/app/"))
        .unwrap();
    assert_eq!(
        nested.path,
        "/app/fixture-app.jar!BOOT-INF/lib/log4j-core-2.19.0.jar"
    );
}

#[test]
fn go_and_rust_binaries() {
    let Some((dir, expect)) = cache() else { return };
    for image in ["apps/go-binaries", "scratch/go-static"] {
        let inv = analyze(&dir, image);
        let binaries = expect[image]["go"].as_object().unwrap();
        assert!(!binaries.is_empty(), "{image}");
        for (path, info) in binaries {
            let here: Vec<_> = inv
                .packages
                .iter()
                .filter(|p| p.path == format!("/{path}"))
                .collect();
            let go = info["go"].as_str().unwrap().trim_start_matches("go");
            assert!(
                here.iter()
                    .any(|p| p.kind == PackageKind::GoStdlib && p.version == go),
                "{image} {path}"
            );
            let deps: BTreeMap<String, String> =
                serde_json::from_value(info["deps"].clone()).unwrap();
            let got: BTreeMap<String, String> = here
                .iter()
                .filter(|p| p.kind == PackageKind::Go)
                .map(|p| (p.name.clone(), p.version.clone()))
                .collect();
            assert_eq!(got, deps, "{image} {path}");
        }
    }
    let inv = analyze(&dir, "apps/rust-auditable");
    let want: BTreeMap<String, String> =
        serde_json::from_value(expect["apps/rust-auditable"]["rust"].clone()).unwrap();
    assert!(want.len() >= 5, "{want:?}");
    assert_eq!(of_kind(&inv, PackageKind::Cargo), want);
}

#[test]
fn busybox_variants_and_multiarch() {
    let Some((dir, _)) = cache() else { return };
    for tag in [
        "scratch/busybox-static",
        "scratch/busybox-static:zstd",
        "scratch/busybox-static:uncompressed",
        "multiarch/busybox",
    ] {
        let inv = analyze(&dir, tag);
        assert!(inv.os.is_none() && inv.packages.is_empty(), "{tag}");
    }
}
