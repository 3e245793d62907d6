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
