//! Whole images from disk: OCI layouts (the peers' hello-world, and layouts written here with
//! gzip, zstd and plain layers under a multi-platform index) and `docker save` archives.

use crate::support::{LayerBuilder, testdata};
use crowsnest_analyzer::{Analyzer, Error, ImageRef, NoProgress, PackageKind};
use sha2::{Digest, Sha256};
use std::path::Path;

/// Writes a blob into an OCI layout and returns its descriptor.
fn blob(dir: &Path, media_type: &str, data: &[u8]) -> serde_json::Value {
    let hex = hex::encode(Sha256::digest(data));
    std::fs::create_dir_all(dir.join("blobs/sha256")).unwrap();
    std::fs::write(dir.join("blobs/sha256").join(&hex), data).unwrap();
    serde_json::json!({"mediaType": media_type, "digest": format!("sha256:{hex}"), "size": data.len()})
}

fn image(dir: &Path, layers: &[(&str, Vec<u8>)]) -> serde_json::Value {
    let descs: Vec<serde_json::Value> = layers.iter().map(|(mt, d)| blob(dir, mt, d)).collect();
    let history: Vec<serde_json::Value> = (0..layers.len())
        .map(|i| serde_json::json!({"created_by": format!("RUN step {i}")}))
        .collect();
    let config = serde_json::json!({
        "architecture": "amd64", "os": "linux",
        "config": {"User": "1000", "Env": ["PATH=/usr/bin"], "ExposedPorts": {"80/tcp": {}}, "Labels": {"org.example": "x"}},
        "rootfs": {"type": "layers", "diff_ids": []},
        "history": history,
    });
    let config = blob(
        dir,
        "application/vnd.oci.image.config.v1+json",
        config.to_string().as_bytes(),
    );
    let manifest = serde_json::json!({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json", "config": config, "layers": descs});
    blob(
        dir,
        "application/vnd.oci.image.manifest.v1+json",
        manifest.to_string().as_bytes(),
    )
}

#[test]
fn hello_world_oci_layout() {
    let dir = testdata("trivy/pkg/fanal/test/testdata/test.oci");
    let inv = Analyzer::default()
        .analyze_source(&ImageRef::Oci { dir, tag: None }, &NoProgress)
        .unwrap();
    assert!(inv.os.is_none());
    assert!(inv.packages.is_empty());
    assert!(inv.warnings.is_empty(), "{:?}", inv.warnings);
    assert_eq!(inv.config.cmd, vec!["/hello"]);
    let layer = inv.config.history.iter().find(|h| !h.empty_layer).unwrap();
    assert!(
        layer
            .layer_digest
            .as_deref()
            .unwrap()
            .starts_with("sha256:")
    );
}

#[test]
fn multi_platform_layout_with_three_compressions() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let base = LayerBuilder::new()
        .file("etc/os-release", "ID=debian\nVERSION_ID=\"12\"\n")
        .file("var/lib/dpkg/status", "Package: tzdata\nStatus: install ok installed\nVersion: 2024a-0+deb12u1\nArchitecture: all\n\nPackage: curl\nStatus: install ok installed\nVersion: 7.88.1-10+deb12u5\nArchitecture: amd64\n")
        .gzip();
    let app = LayerBuilder::new()
        .file(
            "srv/app/node_modules/express/package.json",
            r#"{"name":"express","version":"4.16.0","license":"MIT"}"#,
        )
        .zstd();
    let purge = LayerBuilder::new()
        .file("var/lib/dpkg/status", "Package: tzdata\nStatus: install ok installed\nVersion: 2024a-0+deb12u1\nArchitecture: all\n")
        .whiteout("usr/bin/curl")
        .tar();
    let amd64 = image(
        d,
        &[
            ("application/vnd.oci.image.layer.v1.tar+gzip", base),
            ("application/vnd.oci.image.layer.v1.tar+zstd", app),
            // Mislabelled on purpose: the walker sniffs, it does not trust media types.
            ("application/vnd.oci.image.layer.v1.tar+gzip", purge),
        ],
    );
    let arm64 = image(
        d,
        &[(
            "application/vnd.oci.image.layer.v1.tar",
            LayerBuilder::new()
                .file("etc/os-release", "ID=alpine\n")
                .tar(),
        )],
    );
    let mut amd = amd64.clone();
    amd["platform"] = serde_json::json!({"architecture": "amd64", "os": "linux"});
    let mut arm = arm64.clone();
    arm["platform"] = serde_json::json!({"architecture": "arm64", "os": "linux", "variant": "v8"});
    let mut att = arm64.clone();
    att["platform"] = serde_json::json!({"architecture": "unknown", "os": "unknown"});
    att["annotations"] = serde_json::json!({"vnd.docker.reference.type": "attestation-manifest"});
    let index = serde_json::json!({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": [att, arm, amd]});
    let mut idx = blob(
        d,
        "application/vnd.oci.image.index.v1+json",
        index.to_string().as_bytes(),
    );
    idx["annotations"] = serde_json::json!({"org.opencontainers.image.ref.name": "v1"});
    std::fs::write(
        d.join("index.json"),
        serde_json::json!({"schemaVersion": 2, "manifests": [idx]}).to_string(),
    )
    .unwrap();
    std::fs::write(d.join("oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();

    let reference = format!("oci:{}:v1", d.display());
    let inv = Analyzer::default()
        .analyze_source(&ImageRef::parse(&reference).unwrap(), &NoProgress)
        .unwrap();
    assert!(inv.warnings.is_empty(), "{:?}", inv.warnings);
    if crowsnest_analyzer_host_is_amd64() {
        assert_eq!(inv.os.as_ref().unwrap().id, "debian");
        let names: Vec<(&str, PackageKind)> = inv
            .packages
            .iter()
            .map(|p| (p.name.as_str(), p.kind))
            .collect();
        assert_eq!(
            names,
            vec![("tzdata", PackageKind::Dpkg), ("express", PackageKind::Npm)]
        );
        let layer_of = |n: &str| {
            inv.packages
                .iter()
                .find(|p| p.name == n)
                .unwrap()
                .layer_digest
                .clone()
                .unwrap()
        };
        assert_eq!(layer_of("tzdata"), amd64_layers(d, &amd64)[0]);
        assert_eq!(layer_of("express"), amd64_layers(d, &amd64)[1]);
        assert_eq!(inv.config.user, "1000");
        assert_eq!(
            inv.config.history[2].layer_digest.as_deref(),
            Some(amd64_layers(d, &amd64)[2].as_str())
        );
    }
    let missing = Analyzer::default().analyze_source(
        &ImageRef::parse(&format!("oci:{}:nope", d.display())).unwrap(),
        &NoProgress,
    );
    assert!(matches!(missing, Err(Error::NotFound(_))), "{missing:?}");
}

fn crowsnest_analyzer_host_is_amd64() -> bool {
    std::env::consts::ARCH == "x86_64"
}

fn amd64_layers(dir: &Path, manifest_desc: &serde_json::Value) -> Vec<String> {
    let hex = manifest_desc["digest"]
        .as_str()
        .unwrap()
        .trim_start_matches("sha256:");
    let m: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("blobs/sha256").join(hex)).unwrap())
            .unwrap();
    m["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["digest"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn alpine_310_docker_save_archive() {
    let file = testdata("trivy/pkg/fanal/test/testdata/alpine-310.tar.gz");
    let inv = Analyzer::default()
        .analyze_source(&ImageRef::DockerArchive { file }, &NoProgress)
        .unwrap();
    let os = inv.os.as_ref().unwrap();
    assert_eq!(
        (os.id.as_str(), os.version_id.as_str()),
        ("alpine", "3.10.4")
    );
    assert_eq!(inv.packages.len(), 14);
    // The README's note on this tarball: busybox is r3 here.
    let busybox = inv.packages.iter().find(|p| p.name == "busybox").unwrap();
    assert_eq!(busybox.version, "1.30.1-r3");
}

#[test]
fn registry_references_are_for_the_registry_client() {
    let r = ImageRef::parse("127.0.0.1:5000/debian/bookworm-slim:latest").unwrap();
    let err = Analyzer::default()
        .analyze_source(&r, &NoProgress)
        .unwrap_err();
    assert!(err.to_string().contains("not yet supported"), "{err}");
}
