//! Database file tests: round trip, atomic replacement, and refusal of damaged files.

use super::support::{InventoryBuilder, build, vulndb};
use crowsnest_model::PackageKind;
use crowsnest_vulndb::{Database, DbError, Matcher};

#[test]
fn round_trip_keeps_every_finding_and_replaces_atomically() {
    let (db, report) = build(&[vulndb("distro/alpine-secdb-legacy.tar.gz")]);
    let dir = tempfile::tempdir().expect("tempdir");
    let path = crowsnest_vulndb::default_path(dir.path());
    assert!(path.ends_with("vulndb/crowsnest.db"));
    db.write_atomic(&path).expect("write");
    // A reader holding the old file keeps its bytes after the swap.
    let held = std::fs::File::open(&path).expect("open");
    let old_len = held.metadata().expect("meta").len();
    db.write_atomic(&path).expect("rewrite");
    assert_eq!(held.metadata().expect("meta").len(), old_len);
    let leftovers: Vec<_> = std::fs::read_dir(path.parent().expect("dir"))
        .expect("ls")
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().contains(".tmp-"))
        .collect();
    assert!(leftovers.is_empty());

    let again = Database::open(&path).expect("open db");
    assert_eq!(again.status(), db.status());
    assert_eq!(
        Database::read_status(&path).expect("status").sources,
        report.sources
    );
    let inv = InventoryBuilder::default()
        .os("alpine", "3.10.4")
        .with_source(
            PackageKind::Apk,
            "libcrypto1.1",
            "1.1.1c-r0",
            "openssl",
            None,
        )
        .build();
    let a = Matcher::new(&db).match_inventory(&inv);
    let b = Matcher::new(&again).match_inventory(&inv);
    assert!(!a.is_empty());
    assert_eq!(a, b);
    assert!(again.status().render().contains("alpine"));
}

#[test]
fn damaged_files_are_refused_with_typed_errors() {
    let (db, _) = build(&[vulndb("distro/alpine-secdb-legacy.tar.gz")]);
    let bytes = db.to_bytes().expect("encode");
    let p = std::path::Path::new("x.db");
    assert!(matches!(
        Database::from_bytes(p, b"hello"),
        Err(DbError::NotADatabase { .. })
    ));
    let mut wrong_version = bytes.clone();
    wrong_version[8] = 99;
    assert!(matches!(
        Database::from_bytes(p, &wrong_version),
        Err(DbError::Format { found: 99, .. })
    ));
    for cut in [12, 20, bytes.len() / 2, bytes.len() - 1] {
        assert!(
            Database::from_bytes(p, &bytes[..cut]).is_err(),
            "truncated at {cut}"
        );
    }
    let mut flipped = bytes.clone();
    let last = flipped.len() - 10;
    flipped[last] ^= 0xff;
    assert!(Database::from_bytes(p, &flipped).is_err());
    assert!(matches!(
        Database::open(std::path::Path::new("/nonexistent/db")),
        Err(DbError::Io { .. })
    ));
}

/// The payload is decoded straight from the zstd stream, so the stated length is checked against
/// what the stream holds: shorter or longer is a damaged file, and a huge one inflates nothing.
#[test]
fn a_payload_length_that_disagrees_with_the_stream_is_refused() {
    let (db, _) = build(&[vulndb("distro/alpine-secdb-legacy.tar.gz")]);
    let bytes = db.to_bytes().expect("encode");
    let p = std::path::Path::new("x.db");
    let header_len = u32::from_le_bytes(bytes[12..16].try_into().expect("4 bytes")) as usize;
    let at = 16 + header_len;
    let stated = u64::from_le_bytes(bytes[at..at + 8].try_into().expect("8 bytes"));
    for wrong in [stated - 1, stated + 1, stated * 60] {
        let mut damaged = bytes.clone();
        damaged[at..at + 8].copy_from_slice(&wrong.to_le_bytes());
        let err = Database::from_bytes(p, &damaged).expect_err("wrong length refused");
        assert!(
            matches!(err, DbError::Corrupt { .. }),
            "length {wrong} instead of {stated}: {err}"
        );
    }
    let again = Database::from_bytes(p, &bytes).expect("the undamaged file loads");
    assert_eq!(again.status(), db.status());
}
