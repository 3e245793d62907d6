//! The OS package databases read from text: dpkg `status` (and `status.d/*`), apk `installed`,
//! and `os-release`.
//!
//! Input: the first byte picks the parser; the rest is the file. Nothing may panic, and every
//! package returned must have a name and a version (what the matcher keys on).

#![no_main]

use crowsnest_analyzer::parse;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, file)) = data.split_first() else {
        return;
    };
    let packages = match selector % 3 {
        0 => parse::dpkg_status(file, "var/lib/dpkg/status"),
        1 => parse::apk_installed(file, "lib/apk/db/installed"),
        _ => {
            let _ = parse::os_release(file);
            return;
        }
    };
    if let Ok(packages) = packages {
        for p in &packages {
            assert!(!p.name.is_empty(), "{p:?}");
            assert!(!p.version.is_empty(), "{p:?}");
        }
    }
});
