//! dpkg databases against `dpkg-query` run on the same status file (through a temporary
//! `--admindir`), plus distroless `status.d` files with the peers' expected values.

use crate::support::{LayerBuilder, analyze, config, read, testdata};
use crowsnest_analyzer::{Analyzer, PackageKind, parse};
use std::collections::BTreeSet;
use std::process::Command;

type Row = (String, String, String, String, String);

/// What dpkg itself says is installed in `status`: name, version, arch, source, source version.
fn dpkg_query(status: &[u8]) -> BTreeSet<Row> {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("status"), status).unwrap();
    std::fs::create_dir(dir.path().join("info")).unwrap();
    let out = Command::new("dpkg-query")
        .arg(format!("--admindir={}", dir.path().display()))
        .args(["-W", "-f", "${db:Status-Status}|${Package}|${Version}|${Architecture}|${source:Package}|${source:Version}\n"])
        .output()
        .expect("dpkg-query (Debian's dpkg package) must be installed");
    assert!(
        out.status.success(),
        "dpkg-query failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| l.split('|').collect::<Vec<_>>())
        .filter(|f| f[0] == "installed")
        .map(|f| {
            (
                f[1].into(),
                f[2].into(),
                f[3].into(),
                f[4].into(),
                f[5].into(),
            )
        })
        .collect()
}

fn ours(status: &[u8]) -> BTreeSet<Row> {
    parse::dpkg_status(status, "var/lib/dpkg/status")
        .unwrap()
        .into_iter()
        .map(|p| {
            (
                p.name,
                p.version,
                p.arch.unwrap_or_default(),
                p.source_name.unwrap(),
                p.source_version.unwrap(),
            )
        })
        .collect()
}

/// The `-- path --` sections of a txtar archive.
fn txtar_file(data: &[u8], path: &str) -> Vec<u8> {
    let text = String::from_utf8_lossy(data);
    let marker = format!("-- {path} --\n");
    let start = text.find(&marker).unwrap() + marker.len();
    let rest = &text[start..];
    let end = rest.find("\n-- ").map_or(rest.len(), |i| i + 1);
    rest.as_bytes()[..end].to_vec()
}

#[test]
fn status_files_match_dpkg_query() {
    for rel in [
        "claircore/dpkg/testdata/texlive.status",
        "claircore/dpkg/testdata/postgresql.status",
        "claircore/dpkg/testdata/debian-only.status",
    ] {
        let status = read(rel);
        let want = dpkg_query(&status);
        assert!(!want.is_empty(), "{rel}");
        assert_eq!(ours(&status), want, "{rel}");
    }
    let ubuntu = txtar_file(
        &read("trivy/pkg/fanal/analyzer/pkg/dpkg/testdata/valid.txtar"),
        "var/lib/dpkg/status",
    );
    let want = dpkg_query(&ubuntu);
    assert_eq!(want.len(), 90);
    assert_eq!(ours(&ubuntu), want);
}

#[test]
fn this_machines_own_status_matches_dpkg_query() {
    let status =
        std::fs::read("/var/lib/dpkg/status").expect("a Debian machine has /var/lib/dpkg/status");
    assert_eq!(ours(&status), dpkg_query(&status));
}

#[test]
fn source_with_version_in_parentheses() {
    let pkgs = parse::dpkg_status(&read("claircore/dpkg/testdata/postgresql.status"), "s").unwrap();
    let client = pkgs.iter().find(|p| p.name == "postgresql-client").unwrap();
    assert_eq!(client.source_name.as_deref(), Some("postgresql-common"));
    assert_eq!(client.source_version.as_deref(), Some("200+deb10u5"));
}

#[test]
fn vcpkg_look_alike_is_rejected() {
    let err = parse::dpkg_status(&read("claircore/dpkg/testdata/vcpkg.status"), "s").unwrap_err();
    assert!(err.to_string().contains("vcpkg"), "{err}");
}

#[test]
fn distroless_status_d_files() {
    let dir = "syft/syft/pkg/cataloger/debian/testdata/var/lib/dpkg/status.d";
    let single = parse::dpkg_status(&read(&format!("{dir}/single")), "s").unwrap();
    assert_eq!(single.len(), 1);
    assert_eq!(
        (
            single[0].name.as_str(),
            single[0].version.as_str(),
            single[0].source_name.as_deref()
        ),
        ("apt", "1.8.2", Some("apt-dev"))
    );
    let multiple = parse::dpkg_status(&read(&format!("{dir}/multiple")), "s").unwrap();
    let names: Vec<&str> = multiple.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, vec!["tzdata", "util-linux"]);
    let deinstall = parse::dpkg_status(&read(&format!("{dir}/deinstall")), "s").unwrap();
    assert!(
        deinstall
            .iter()
            .all(|p| p.name != "linux-image-6.14.0-1012-aws"
                || p.version == "6.14.0-1012.12~24.04.1")
    );
    assert!(parse::dpkg_status(&read(&format!("{dir}/corrupt")), "s").is_err());
}

#[test]
fn distroless_image_is_recognised() {
    let root = "syft/syft/pkg/cataloger/debian/testdata/image-distroless-deb";
    let layer = LayerBuilder::new()
        .file(
            "etc/os-release",
            b"ID=debian\nVERSION_ID=\"11\"\nPRETTY_NAME=\"Distroless\"\n",
        )
        .file(
            "var/lib/dpkg/status.d/libsqlite3-0",
            read(&format!("{root}/var/lib/dpkg/status.d/libsqlite3-0")),
        )
        .file(
            "var/lib/dpkg/status.d/libsqlite3-0.md5sums",
            read(&format!(
                "{root}/var/lib/dpkg/status.d/libsqlite3-0.md5sums"
            )),
        )
        .gzip();
    let facts = analyze("sha256:aa", &layer);
    let inv = Analyzer::default().inventory(&config(1), &[facts]).unwrap();
    let os = inv.os.unwrap();
    assert!(os.distroless);
    assert_eq!(inv.packages.len(), 1);
    assert_eq!(inv.packages[0].kind, PackageKind::Dpkg);
    assert_eq!(inv.packages[0].name, "libsqlite3-0");
    assert!(
        inv.packages[0]
            .purl
            .as_deref()
            .unwrap()
            .starts_with("pkg:deb/debian/libsqlite3-0@")
    );
    let _ = testdata(root);
}
