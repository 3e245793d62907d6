//! Feed inputs that `scripts/fuzz` found to crash an importer, rebuilt by hand (the fuzzer's own
//! input is kept as a seed under `fuzz/seeds/`). Each must now be counted or imported, and the
//! rest of the import must go on.

use super::support::build;

/// A DSA list whose first header has a multi-byte character (a full-width digit) across the
/// date's 10th byte: the date parser sliced the string there and panicked, taking the whole
/// import down.
#[test]
fn advisory_date_cut_inside_a_multibyte_character() {
    let dir = tempfile::tempdir().expect("tempdir");
    let list = dir.path().join("data/DSA/list");
    std::fs::create_dir_all(list.parent().expect("parent")).expect("mkdir");
    std::fs::write(
        &list,
        "[29 Mar 20\u{ff12}3] DSA-9001-1 libexample - security update\n\
         \t{CVE-2099-0001}\n\
         \t[bookworm] - libexample 1.2-3+deb12u1\n\
         [27 Mar 2023] DSA-9002-1 otherpkg - security update\n\
         \t{CVE-2099-0002}\n\
         \t[bookworm] - otherpkg 2.0-1+deb12u1\n",
    )
    .expect("write");

    let (db, report) = build(&[dir.path().to_path_buf()]);
    let dsa = report.source("debian-dsa").expect("the DSA list is read");
    // The garbled date is only a missing date; both advisories are imported.
    assert_eq!(dsa.records, 2, "{report:?}");
    assert_eq!(dsa.malformed, 0, "{report:?}");
    assert_eq!(db.status().namespaces.get("debian:bookworm"), Some(&2));
    // The feed's date is the one date that could be read.
    assert_eq!(dsa.newest.map(|t| t / 86_400), Some(19_443));
}

/// One DLA naming thousands of CVEs under a long title becomes thousands of advisories with the
/// same text: a payload that compresses far better than 64:1. Opening the database checked its
/// size against that ratio and called the database we had just written damaged.
#[test]
fn a_highly_compressible_database_opens_again() {
    let dir = tempfile::tempdir().expect("tempdir");
    let list = dir.path().join("feeds/data/DLA/list");
    std::fs::create_dir_all(list.parent().expect("parent")).expect("mkdir");
    let title = "security update for the firmware of many devices; ".repeat(30);
    let cves: Vec<String> = (0..4000).map(|i| format!("CVE-2099-{i:05}")).collect();
    let text = format!(
        "[01 Apr 2023] DLA-3380-1 firmware-nonfree - {title}\n\t{{{}}}\n\
         \t[buster] - firmware-nonfree 20190114+really20220913-0+deb10u1\n",
        cves.join(" ")
    );
    std::fs::write(&list, text).expect("write");

    let (db, report) = build(&[dir.path().join("feeds")]);
    assert_eq!(report.source("debian-dla").map(|s| s.records), Some(1));
    assert_eq!(db.status().advisories, 4000);
    let path = dir.path().join("crowsnest.db");
    let file_size = db.write_atomic(&path).expect("write the database");
    let opened = crowsnest_vulndb::Database::open(&path).expect("open what we wrote");
    assert_eq!(opened.status(), db.status());
    // 4,000 advisories with a 1,500-byte title are over 6 MB before compression.
    assert!(
        file_size < 90_000,
        "{file_size} bytes: no longer a compression-ratio case"
    );
}
