//! Hostile and broken layers: each problem costs a warning for that entry or layer, never a
//! panic, and whatever else the image holds is still analysed.

use crate::support::{LayerBuilder, analyze, analyze_with, config, read};
use crowsnest_analyzer::{Analyzer, Limits, PackageKind};
use std::io::Write;

const STATUS: &str =
    "Package: base-files\nStatus: install ok installed\nVersion: 12.4\nArchitecture: amd64\n";

fn dpkg_count(facts: &crowsnest_analyzer::LayerFacts) -> usize {
    Analyzer::default()
        .inventory(&config(1), std::slice::from_ref(facts))
        .unwrap()
        .packages
        .iter()
        .filter(|p| p.kind == PackageKind::Dpkg)
        .count()
}

#[test]
fn traversal_and_absolute_names_are_refused() {
    let facts = analyze(
        "sha256:t",
        &LayerBuilder::new()
            .raw(b"../../etc/os-release", "ID=evil\n")
            .raw(b"/etc/os-release", "ID=evil\n")
            .raw(b"var/../../lib/apk/db/installed", "P:evil\nV:1\n")
            .file("var/lib/dpkg/status", STATUS)
            .gzip(),
    );
    assert!(facts.complete);
    assert_eq!(facts.warnings.len(), 3, "{:?}", facts.warnings);
    assert!(facts.warnings.iter().any(|w| w.contains("climbs out")));
    assert!(facts.warnings.iter().any(|w| w.contains("absolute")));
    let inv = Analyzer::default().inventory(&config(1), &[facts]).unwrap();
    assert!(inv.os.is_none());
    assert_eq!(inv.packages.len(), 1);
}

#[test]
fn hard_link_out_of_the_root_is_refused() {
    let facts = analyze(
        "sha256:h",
        &LayerBuilder::new()
            .hardlink("etc/os-release", "../../etc/passwd")
            .file("var/lib/dpkg/status", STATUS)
            .tar(),
    );
    assert!(
        facts.warnings.iter().any(|w| w.contains("hard link")),
        "{:?}",
        facts.warnings
    );
    assert_eq!(dpkg_count(&facts), 1);
}

#[test]
fn non_utf8_names_are_reported_and_skipped() {
    let facts = analyze(
        "sha256:u",
        &LayerBuilder::new()
            .raw(
                b"usr/lib/python3/dist-packages/caf\xe9-1.0.dist-info/METADATA",
                "Name: cafe\nVersion: 1.0\n",
            )
            .file("var/lib/dpkg/status", STATUS)
            .gzip(),
    );
    assert!(
        facts.warnings.iter().any(|w| w.contains("non-UTF-8")),
        "{:?}",
        facts.warnings
    );
    assert_eq!(dpkg_count(&facts), 1);
}

#[test]
fn symlink_loop_is_not_followed() {
    let facts = analyze(
        "sha256:s",
        &LayerBuilder::new()
            .symlink("etc/os-release", "../usr/lib/os-release")
            .symlink("usr/lib/os-release", "/etc/os-release")
            .file("etc/debian_version", "12.5\n")
            .gzip(),
    );
    let inv = Analyzer::default().inventory(&config(1), &[facts]).unwrap();
    assert!(
        inv.warnings.iter().any(|w| w.contains("symlink loop")),
        "{:?}",
        inv.warnings
    );
    // The release file still identifies the OS.
    let os = inv.os.unwrap();
    assert_eq!((os.id.as_str(), os.version_id.as_str()), ("debian", "12"));
}

/// A gzip stream that starts a layer with a good dpkg status entry (without the tar end
/// blocks), for a test to append something hostile after it.
fn gzip_after_a_dpkg_status() -> flate2::write::GzEncoder<Vec<u8>> {
    let mut tar = tar::Builder::new(Vec::new());
    let mut h = tar::Header::new_gnu();
    h.set_path("var/lib/dpkg/status").unwrap();
    h.set_size(STATUS.len() as u64);
    h.set_mode(0o644);
    h.set_cksum();
    tar.append(&h, STATUS.as_bytes()).unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(tar.get_ref()).unwrap();
    gz
}

#[test]
fn gzip_bomb_stops_at_the_cap() {
    // 512 MiB of zeros inflate from about 0.5 MB; the cap is 16 MiB.
    let mut gz = gzip_after_a_dpkg_status();
    let mut big = tar::Header::new_gnu();
    big.set_path("zeros").unwrap();
    big.set_size(512 << 20);
    big.set_mode(0o644);
    big.set_cksum();
    gz.write_all(big.as_bytes()).unwrap();
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..512 {
        gz.write_all(&zeros).unwrap();
    }
    let bomb = gz.finish().unwrap();
    assert!(bomb.len() < 2 << 20);
    let limits = Limits {
        max_layer_bytes: 16 << 20,
        ..Limits::default()
    };
    let facts = analyze_with(limits, "sha256:bomb", &bomb);
    assert!(!facts.complete);
    assert!(
        facts
            .warnings
            .iter()
            .any(|w| w.contains("rejected") && w.contains("cap")),
        "{:?}",
        facts.warnings
    );
    assert!(facts.uncompressed_bytes <= (16 << 20) + (1 << 20));
    // What came before the bomb is kept.
    assert_eq!(dpkg_count(&facts), 1);
}

#[test]
fn truncated_layer_keeps_what_came_before() {
    let layer = LayerBuilder::new()
        .file("var/lib/dpkg/status", STATUS)
        .file("usr/share/big", vec![7u8; 256 << 10])
        .file("lib/apk/db/installed", "P:musl\nV:1.2.4-r2\n")
        .gzip();
    let cut = &layer[..layer.len() / 2];
    let facts = analyze("sha256:cut", cut);
    assert!(!facts.complete);
    assert!(
        facts
            .warnings
            .iter()
            .any(|w| w.contains("truncated or corrupt")),
        "{:?}",
        facts.warnings
    );
    assert_eq!(dpkg_count(&facts), 1);
    // Not a layer at all.
    let facts = analyze("sha256:junk", b"\x1f\x8b this is not gzip");
    assert!(!facts.complete && !facts.warnings.is_empty());
}

#[test]
fn corrupt_rpm_database_costs_only_that_file() {
    let mut bdb = read("go-rpmdb/pkg/testdata/libuuid/Packages");
    let n = bdb.len();
    bdb.truncate(n / 3);
    let facts = analyze(
        "sha256:r",
        &LayerBuilder::new()
            .file("var/lib/rpm/Packages", &bdb)
            .file(
                "usr/lib/sysimage/rpm/rpmdb.sqlite",
                b"SQLite format 3\0 but nothing else",
            )
            .file("var/lib/dpkg/status", STATUS)
            .gzip(),
    );
    assert!(facts.complete);
    assert_eq!(facts.warnings.len(), 2, "{:?}", facts.warnings);
    assert!(
        facts
            .warnings
            .iter()
            .any(|w| w.contains("/var/lib/rpm/Packages"))
    );
    assert_eq!(dpkg_count(&facts), 1);
}

#[test]
fn oversized_files_are_skipped_with_a_warning() {
    let limits = Limits {
        max_file_bytes: 1024,
        ..Limits::default()
    };
    let big = format!(
        "{STATUS}\nPackage: x\nVersion: 1\nDescription: {}\n",
        "y".repeat(4096)
    );
    let facts = analyze_with(
        limits,
        "sha256:big",
        &LayerBuilder::new().file("var/lib/dpkg/status", big).gzip(),
    );
    assert!(
        facts.warnings.iter().any(|w| w.contains("cap")),
        "{:?}",
        facts.warnings
    );
}

#[test]
fn malformed_manifests_in_a_layer_are_warnings() {
    let facts = analyze(
        "sha256:m",
        &LayerBuilder::new()
            .file("app/package-lock.json", "{not json")
            .file("app/node_modules/x/package.json", "[1,2")
            .file("app/lib/broken.jar", b"PK\x03\x04garbage")
            .exec("usr/local/bin/tool", {
                let mut elf = b"\x7fELF\x02\x01\x01".to_vec();
                elf.resize(4096, 0);
                elf.extend_from_slice(b"\xff Go buildinf:\x08\x02");
                elf.extend_from_slice(&[0u8; 16]);
                elf.push(0xff); // a varint that never ends
                elf
            })
            .file("var/lib/dpkg/status", STATUS)
            .gzip(),
    );
    assert!(facts.complete);
    assert_eq!(facts.warnings.len(), 4, "{:?}", facts.warnings);
    assert_eq!(dpkg_count(&facts), 1);
}

#[test]
fn a_huge_long_name_header_is_refused_before_it_is_read() {
    // A GNU long-name entry declaring 4 GiB: the tar crate would read it whole into memory.
    // Here 64 MiB of it follow (64 KB of gzip) before the stream ends.
    let mut gz = gzip_after_a_dpkg_status();
    let mut long = tar::Header::new_gnu();
    long.set_size(4 << 30);
    long.set_entry_type(tar::EntryType::GNULongName);
    long.set_cksum();
    gz.write_all(long.as_bytes()).unwrap();
    let name = vec![b'a'; 1 << 20];
    for _ in 0..64 {
        gz.write_all(&name).unwrap();
    }
    let facts = analyze("sha256:longname", &gz.finish().unwrap());
    assert!(!facts.complete);
    assert!(
        facts
            .warnings
            .iter()
            .any(|w| w.contains("GNU long name of 4294967296 bytes")),
        "{:?}",
        facts.warnings
    );
    assert_eq!(dpkg_count(&facts), 1);
}
