//! An entry point for the fuzz targets in `fuzz/` (not part of the API): one feed file, given as
//! bytes under a chosen path, goes through the same format recognition and parser as a file of a
//! feed directory, then through everything downstream of the parser that a real import reaches
//! (database build, encode and decode, rule compilation and evaluation for every package name).
//! The parsers and the collector are private, and a fuzzer cannot write a feed directory per
//! input at a useful speed, hence this function.

use crate::Database;
use crate::import::{ImportOptions, ImportReport};
use crate::matcher::Matcher;
use crate::record::Collector;
use std::path::Path;

/// Imports `bytes` as if read from the feed file `path`, builds the database, checks that its
/// encoding decodes again, and asks the matcher about every package name it holds at each of
/// `probe_versions`. Panics (a fuzzing failure) only if the database does not survive encoding.
#[doc(hidden)]
pub fn import_and_match(path: &str, bytes: &[u8], probe_versions: &[&str]) -> ImportReport {
    let mut collector = Collector::default();
    let opts = ImportOptions::new();
    let report = crate::import::import_bytes(path, bytes, &opts, &mut collector);
    let db = Database::from_collector(collector, &report, 0);
    let encoded = db
        .to_bytes()
        .unwrap_or_else(|e| panic!("a database we built does not encode: {e}"));
    if let Err(e) = Database::from_bytes(Path::new(path), &encoded) {
        panic!("a database we encoded does not decode: {e}");
    }
    let matcher = Matcher::new(&db);
    let mut keys: Vec<(&str, &str)> = db
        .index
        .iter()
        .flat_map(|(ns, names)| names.keys().map(move |name| (ns.as_str(), name.as_str())))
        .collect();
    keys.sort_unstable();
    for (namespace, name) in keys {
        for version in probe_versions {
            // Unknown namespaces and malformed probe versions are answers, not failures: only a
            // panic is a finding here, so the answer itself is deliberately not inspected.
            std::hint::black_box(matcher.explain(namespace, name, version, None)).ok();
        }
    }
    report
}
