//! The vulnerability feed importers: OSV JSON (Go, RustSec, PyPA, AlmaLinux, GHSA), rubysec and
//! FriendsOfPHP YAML, nodejs-security-wg JSON, the Debian security tracker's DSA/DLA/CVE lists
//! and JSON, Ubuntu's CVE tracker files, Alpine secdb, Red Hat CSAF VEX, NVD API 2.0, CISA KEV
//! and EPSS; then the database built from what they produced, its encoding, and the matcher's
//! rule compilation and evaluation for every package name in it. Also the database file reader.
//!
//! Input: the first byte picks the file name the bytes are imported under (which decides the
//! format, as in a feed directory), or the database reader; the rest is the file.

#![no_main]

use libfuzzer_sys::fuzz_target;
use std::path::Path;

const PATHS: [&str; 16] = [
    "osv/go-vulndb/GO-2022-0001.json",
    "lang/rubysec/gems/rack/CVE-2020-8161.yml",
    "lang/friendsofphp/symfony/http-kernel/CVE-2019-18888.yaml",
    "lang/nodejs-security-wg/vuln/npm/1.json",
    "lang/nodejs-security-wg/vuln/core/1.json",
    "distro/debian-security-tracker/data/DSA/list",
    "distro/debian-security-tracker/data/DLA/list",
    "distro/debian-security-tracker/data/CVE/list",
    "distro/ubuntu-cve-tracker/active/CVE-2021-3711",
    "distro/alpine-secdb/v3.18/main.json",
    "samples/redhat-csaf-vex/cve-2023-38545.json",
    "samples/nvd-api2/nvd.json",
    "enrich/cisa-kev/known_exploited_vulnerabilities.json",
    "samples/epss/epss.csv",
    "distro/debian-security-tracker/tracker.json",
    "distro/alpine-secdb-legacy/v3.10/main.yaml",
];

/// Installed versions the matcher is asked about: each ecosystem's smallest, a common one, one
/// with epoch and revision, and a large one.
const PROBES: [&str; 4] = ["0", "1.0", "1:2.3-4", "99999.0"];

fuzz_target!(|data: &[u8]| {
    let Some((&selector, file)) = data.split_first() else {
        return;
    };
    match PATHS.get(usize::from(selector) % (PATHS.len() + 1)) {
        Some(path) => {
            let report = crowsnest_vulndb::fuzzing::import_and_match(path, file, &PROBES);
            for m in &report.malformed {
                assert!(!m.error.is_empty(), "{m:?}");
            }
        }
        None => {
            let _ = crowsnest_vulndb::Database::from_bytes(Path::new("fuzz.db"), file);
        }
    }
});
