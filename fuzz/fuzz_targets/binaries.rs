//! Package facts read from binaries and archives: Java archives (zip, nested jars, MANIFEST.MF,
//! pom.properties), Go build info (ELF, PE, Mach-O) and Rust `cargo auditable` sections.
//!
//! Input: the first byte picks the reader; the rest is the file. Nothing may panic, and a zip
//! bomb or deep nesting must stop at the caps.

#![no_main]

use crowsnest_analyzer::{Limits, parse};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, file)) = data.split_first() else {
        return;
    };
    let limits = Limits {
        max_binary_bytes: 16 << 20,
        max_file_bytes: 4 << 20,
        ..Limits::default()
    };
    let packages = match selector % 3 {
        0 => parse::java_archive(file, "app/lib/x.jar", &limits),
        1 => parse::go_binary(file, "usr/local/bin/x"),
        _ => parse::rust_binary(file, "usr/local/bin/x"),
    };
    if let Ok(packages) = packages {
        for p in &packages {
            assert!(!p.name.is_empty(), "{p:?}");
        }
    }
});
