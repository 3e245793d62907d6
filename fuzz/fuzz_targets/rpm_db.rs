//! The rpm database readers: a single header blob, BerkeleyDB hash pages (`Packages`), NDB
//! (`Packages.db`) and SQLite (`rpmdb.sqlite`).
//!
//! Input: the first byte picks the reader; the rest is the file. Nothing may panic, hang or
//! allocate beyond what the input justifies (libFuzzer's RSS limit stops the run otherwise).

#![no_main]

use crowsnest_analyzer::parse;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, file)) = data.split_first() else {
        return;
    };
    let headers = match selector % 4 {
        0 => parse::rpm_header(file).map(|h| vec![h]),
        1 => parse::rpm_bdb(file),
        2 => parse::rpm_ndb(file),
        _ => parse::rpm_sqlite(file),
    };
    if let Ok(headers) = headers {
        for h in &headers {
            // The EVR is what the matcher compares; it must be printable for any header.
            assert!(!h.evr().is_empty());
        }
    }
});
