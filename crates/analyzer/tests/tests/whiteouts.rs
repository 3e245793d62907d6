//! Layers stacked with whiteouts and opaque directories, built here with real package metadata:
//! what an upper layer removes is gone, what it replaces wins, and each package is attributed to
//! the layer that introduced it.

use crate::support::{LayerBuilder, analyze, config, names_versions, read};
use crowsnest_analyzer::{Analyzer, LayerFacts, PackageKind, merge};

const STATUS_AB: &str = "Package: base-files\nStatus: install ok installed\nVersion: 12.4+deb12u5\nArchitecture: amd64\n\nPackage: curl\nStatus: install ok installed\nVersion: 7.88.1-10+deb12u5\nArchitecture: amd64\n\nPackage: libcurl4\nStatus: install ok installed\nVersion: 7.88.1-10+deb12u5\nArchitecture: amd64\nSource: curl\n";
const STATUS_A: &str = "Package: base-files\nStatus: install ok installed\nVersion: 12.4+deb12u5\nArchitecture: amd64\n\nPackage: curl\nStatus: deinstall ok config-files\nVersion: 7.88.1-10+deb12u5\nArchitecture: amd64\n\nPackage: libcurl4\nStatus: install ok installed\nVersion: 7.88.1-10+deb12u5\nArchitecture: amd64\nSource: curl\n";

fn inventory(layers: &[LayerFacts]) -> crowsnest_analyzer::Inventory {
    Analyzer::default()
        .inventory(&config(layers.len()), layers)
        .unwrap()
}

fn metadata(name: &str, version: &str) -> String {
    format!("Metadata-Version: 2.1\nName: {name}\nVersion: {version}\nLicense: MIT\n\n")
}

#[test]
fn package_removed_in_upper_layer_is_absent() {
    let l1 = analyze(
        "sha256:l1",
        &LayerBuilder::new()
            .file(
                "etc/os-release",
                read("syft/syft/pkg/cataloger/debian/testdata/image-dpkg/etc/os-release"),
            )
            .file("var/lib/dpkg/status", STATUS_AB)
            .exec(
                "usr/bin/curl",
                b"#!/bin/sh\n# not an object file, so no detector output\n exit 0\n",
            )
            .file(
                "usr/lib/python3/dist-packages/six-1.16.0.dist-info/METADATA",
                metadata("six", "1.16.0"),
            )
            .gzip(),
    );
    let l2 = analyze(
        "sha256:l2",
        &LayerBuilder::new()
            .file("var/lib/dpkg/status", STATUS_A)
            .whiteout("usr/bin/curl")
            .whiteout("usr/lib/python3/dist-packages/six-1.16.0.dist-info")
            .gzip(),
    );
    assert!(l1.complete && l2.complete);
    let inv = inventory(&[l1, l2]);
    assert_eq!(inv.os.as_ref().unwrap().id, "debian");
    let dpkg = names_versions(&inv, PackageKind::Dpkg);
    assert_eq!(
        dpkg.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(),
        vec!["base-files", "libcurl4"]
    );
    assert!(names_versions(&inv, PackageKind::Python).is_empty());
    // Unchanged packages keep the layer that first had them, though the file was rewritten.
    assert!(
        inv.packages
            .iter()
            .all(|p| p.layer_digest.as_deref() == Some("sha256:l1"))
    );
    assert!(inv.warnings.is_empty(), "{:?}", inv.warnings);
}

#[test]
fn replaced_file_wins_and_opaque_dir_hides_lower_contents() {
    let site = "usr/local/lib/python3.11/dist-packages";
    let l1 = analyze(
        "sha256:l1",
        &LayerBuilder::new()
            .file("etc/os-release", "ID=debian\nVERSION_ID=\"11\"\n")
            .file(
                &format!("{site}/urllib3-1.24.1.dist-info/METADATA"),
                metadata("urllib3", "1.24.1"),
            )
            .file(
                &format!("{site}/requests-2.19.1.dist-info/METADATA"),
                metadata("requests", "2.19.1"),
            )
            .file(
                "app/node_modules/lodash/package.json",
                r#"{"name":"lodash","version":"4.17.4"}"#,
            )
            .file(
                "app/node_modules/minimist/package.json",
                r#"{"name":"minimist","version":"1.2.0"}"#,
            )
            .zstd(),
    );
    // BuildKit-style upgrade: an opaque urllib3 dir plus a whiteout of the old dist-info.
    let l2 = analyze(
        "sha256:l2",
        &LayerBuilder::new()
            .file(
                "etc/os-release",
                "ID=debian\nVERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\n",
            )
            .opaque(&format!("{site}/urllib3"))
            .whiteout(&format!("{site}/urllib3-1.24.1.dist-info"))
            .file(
                &format!("{site}/urllib3-1.26.5.dist-info/METADATA"),
                metadata("urllib3", "1.26.5"),
            )
            .opaque("app/node_modules")
            .file(
                "app/node_modules/lodash/package.json",
                r#"{"name":"lodash","version":"4.17.21","license":"MIT"}"#,
            )
            .tar(),
    );
    let inv = inventory(&[l1, l2]);
    let os = inv.os.as_ref().unwrap();
    assert_eq!(
        (os.version_id.as_str(), os.codename.as_deref()),
        ("12", Some("bookworm"))
    );
    let py = names_versions(&inv, PackageKind::Python);
    assert_eq!(
        py,
        vec![
            ("requests".into(), "2.19.1".into()),
            ("urllib3".into(), "1.26.5".into())
        ]
    );
    let urllib3 = inv.packages.iter().find(|p| p.name == "urllib3").unwrap();
    assert_eq!(urllib3.layer_digest.as_deref(), Some("sha256:l2"));
    let npm = names_versions(&inv, PackageKind::Npm);
    assert_eq!(npm, vec![("lodash".into(), "4.17.21".into())]);
    assert!(
        inv.packages
            .iter()
            .find(|p| p.name == "lodash")
            .unwrap()
            .purl
            .as_deref()
            == Some("pkg:npm/lodash@4.17.21")
    );
}

#[test]
fn whiteout_of_a_directory_removes_everything_under_it() {
    let l1 = analyze("sha256:l1", &LayerBuilder::new()
        .file("opt/app/Cargo.lock", "version = 3\n\n[[package]]\nname = \"smallvec\"\nversion = \"1.6.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n")
        .file("opt/app/vendor/composer/installed.json", r#"{"packages":[{"name":"monolog/monolog","version":"2.3.5"}]}"#)
        .gzip());
    let l2 = analyze("sha256:l2", &LayerBuilder::new().whiteout("opt").gzip());
    assert_eq!(inventory(std::slice::from_ref(&l1)).packages.len(), 2);
    assert!(inventory(&[l1, l2]).packages.is_empty());
}

#[test]
fn os_release_symlink_is_followed_inside_the_root() {
    let l1 = analyze(
        "sha256:l1",
        &LayerBuilder::new()
            .file(
                "usr/lib/os-release",
                "ID=ubuntu\nVERSION_ID=\"22.04\"\nVERSION_CODENAME=jammy\n",
            )
            .symlink("etc/os-release", "../../../../usr/lib/os-release")
            .gzip(),
    );
    let inv = inventory(&[l1]);
    assert_eq!(inv.os.unwrap().id, "ubuntu");
}

#[test]
fn layer_facts_survive_a_cache_round_trip() {
    let facts = analyze(
        "sha256:l1",
        &LayerBuilder::new()
            .file("var/lib/dpkg/status", STATUS_AB)
            .symlink("etc/os-release", "../usr/lib/os-release")
            .whiteout("tmp/x")
            .gzip(),
    );
    let json = serde_json::to_vec(&facts).unwrap();
    let back: LayerFacts = serde_json::from_slice(&json).unwrap();
    assert_eq!(back, facts);
    assert_eq!(merge(&[back], None).packages.len(), 3);
}

#[test]
fn file_replaced_by_one_without_packages_hides_the_lower_one() {
    let cargo_lock = "version = 3\n\n[[package]]\nname = \"regex\"\nversion = \"1.5.4\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n";
    let l1 = analyze(
        "sha256:l1",
        &LayerBuilder::new()
            .file("srv/Cargo.lock", cargo_lock)
            .gzip(),
    );
    // The upper layer writes an empty lock file at the same path: nothing to report, and the
    // lower layer's crates must not shine through.
    let l2 = analyze(
        "sha256:l2",
        &LayerBuilder::new()
            .file("srv/Cargo.lock", "version = 3\n")
            .gzip(),
    );
    assert_eq!(inventory(std::slice::from_ref(&l1)).packages.len(), 1);
    assert!(inventory(&[l1.clone(), l2]).packages.is_empty());
    let l3 = analyze(
        "sha256:l3",
        &LayerBuilder::new()
            .exec(
                "srv/Cargo.lock",
                b"#!/bin/sh\necho this is a script now, not a lock file at all\n",
            )
            .gzip(),
    );
    assert!(inventory(&[l1, l3]).packages.is_empty());
}

/// Files compliance checks report: setuid/setgid binaries, private keys (by content, not name),
/// cloud credentials, sshd; a whiteout in an upper layer removes the flag with the file.
#[test]
fn flagged_files_follow_the_merged_filesystem() {
    let l1 = analyze(
        "sha256:f1",
        &LayerBuilder::new()
            .with_mode("usr/bin/passwd", 0o4755, b"#!/bin/sh\nexit 0\n")
            .with_mode("usr/bin/wall", 0o2755, b"#!/bin/sh\nexit 0\n")
            .exec("usr/sbin/sshd", b"#!/bin/sh\nexit 0\n")
            .file("root/.ssh/id_rsa", "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaA==\n-----END OPENSSH PRIVATE KEY-----\n")
            .file("app/public.pem", "-----BEGIN CERTIFICATE-----\nMII=\n-----END CERTIFICATE-----\n")
            .file("root/.aws/credentials", "[default]\naws_access_key_id = x\n")
            .gzip(),
    );
    let l2 = analyze(
        "sha256:f2",
        &LayerBuilder::new()
            .whiteout("usr/bin/wall")
            .whiteout("root/.aws")
            .gzip(),
    );
    let flagged = |inv: crowsnest_analyzer::Inventory| {
        inv.flagged_files
            .into_iter()
            .map(|f| (f.path, format!("{:?}", f.flag)))
            .collect::<Vec<_>>()
    };
    let one = flagged(inventory(std::slice::from_ref(&l1)));
    assert_eq!(
        one,
        [
            (
                "root/.aws/credentials".to_string(),
                "CloudCredential".to_string()
            ),
            ("root/.ssh/id_rsa".into(), "PrivateKey".into()),
            ("usr/bin/passwd".into(), "Setuid".into()),
            ("usr/bin/wall".into(), "Setgid".into()),
            ("usr/sbin/sshd".into(), "SshDaemon".into()),
        ]
    );
    let two = flagged(inventory(&[l1, l2]));
    assert_eq!(
        two.iter().map(|(p, _)| p.as_str()).collect::<Vec<_>>(),
        ["root/.ssh/id_rsa", "usr/bin/passwd", "usr/sbin/sshd"]
    );
}
