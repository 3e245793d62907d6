//! The analyzer's layer walker: arbitrary bytes as a layer blob (gzip, zstd or plain tar,
//! sniffed from the first bytes), through the tar reader, path normalisation, every detector a
//! path reaches, and the merge into an inventory; or arbitrary bytes as the image config.
//!
//! Input: an even first byte means the rest is a layer blob, an odd one an image config.
//! The caps are lowered so that a decompression bomb stops at 64 MiB instead of the product's
//! 64 GiB (the cap itself is what is under test, not the machine's patience).

#![no_main]

use crowsnest_analyzer::{Analyzer, Limits};
use libfuzzer_sys::fuzz_target;

const CONFIG: &[u8] = br#"{"architecture":"amd64","os":"linux","config":{"User":"root"},"rootfs":{"type":"layers","diff_ids":["sha256:0000000000000000000000000000000000000000000000000000000000000000"]}}"#;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let analyzer = Analyzer::new(Limits {
        max_file_bytes: 4 << 20,
        max_db_bytes: 16 << 20,
        max_binary_bytes: 16 << 20,
        max_layer_bytes: 64 << 20,
        max_nesting: 4,
        parallel_layers: 1,
    });
    if selector % 2 == 0 {
        let facts = analyzer.analyze_layer("sha256:fuzz", rest);
        assert!(facts.uncompressed_bytes <= 64 << 20);
        // Entries that climb out of the image root or claim to be absolute are refused, so no
        // path the facts hold (read, deleted or hidden) can point outside it.
        let inside = |p: &String| !p.starts_with('/') && !p.split('/').any(|c| c == "..");
        assert!(facts.files.keys().all(inside), "{:?}", facts.files.keys());
        assert!(facts.whiteouts.iter().all(inside), "{:?}", facts.whiteouts);
        assert!(
            facts.opaque_dirs.iter().all(inside),
            "{:?}",
            facts.opaque_dirs
        );
        analyzer
            .inventory(CONFIG, std::slice::from_ref(&facts))
            .expect("the fixed config parses");
    } else {
        let _ = analyzer.inventory(rest, &[]);
    }
});
