//! The registry client's parsers of registry responses: manifests of every kind (OCI image and
//! index, Docker schema 2 and manifest list, schema 1 plain and signed), image configs, digests,
//! and the `versionPattern` tag matcher of discovery.
//!
//! Input: the first byte picks the parser (and, for manifests, the response's Content-Type); the
//! rest is the document. Nothing may panic, and what parses must be usable as the client uses it.

#![no_main]

use crowsnest_registry::{
    DOCKER_LIST, DOCKER_MANIFEST, DOCKER_SCHEMA1, DOCKER_SCHEMA1_SIGNED, Digest, ImageConfig,
    Manifest, OCI_INDEX, OCI_MANIFEST, TargetPlatform, VersionPattern, parse_manifest,
};
use libfuzzer_sys::fuzz_target;

const CONTENT_TYPES: [Option<&str>; 8] = [
    None,
    Some(OCI_MANIFEST),
    Some(OCI_INDEX),
    Some(DOCKER_MANIFEST),
    Some(DOCKER_LIST),
    Some(DOCKER_SCHEMA1),
    Some(DOCKER_SCHEMA1_SIGNED),
    Some("application/json; charset=utf-8"),
];

fuzz_target!(|data: &[u8]| {
    let Some((&selector, doc)) = data.split_first() else {
        return;
    };
    match selector % 4 {
        0 | 1 => manifest(
            doc,
            CONTENT_TYPES[usize::from(selector >> 2) % CONTENT_TYPES.len()],
        ),
        2 => {
            if let Ok(config) = ImageConfig::parse("config", doc) {
                assert_eq!(config.raw, doc);
            }
        }
        _ => version_pattern(doc),
    }
});

fn manifest(doc: &[u8], content_type: Option<&str>) {
    let Ok((manifest, digest)) = parse_manifest("manifest", doc, content_type) else {
        return;
    };
    assert_eq!(Digest::parse(digest.as_str()).ok(), Some(digest.clone()));
    match manifest {
        Manifest::Index(index) => {
            assert!(!index.platforms().is_empty());
            for target in [
                TargetPlatform::LinuxAmd64,
                TargetPlatform::LinuxArm64,
                TargetPlatform::WindowsAmd64,
            ] {
                if let Some(entry) = index.select(target) {
                    let platform = entry.platform.as_ref().expect("selected by platform");
                    assert!(target.matches(platform));
                }
            }
        }
        Manifest::Image(image) => {
            let signed = image.media_type == DOCKER_SCHEMA1_SIGNED;
            if !signed {
                // Only a signed schema 1 manifest has a digest other than that of its bytes.
                assert_eq!(digest, Digest::of(doc));
            }
            if image.config.is_some() {
                assert!(image.layers.iter().all(|l| l.size.is_some()));
            }
        }
    }
}

fn version_pattern(doc: &[u8]) {
    let text = String::from_utf8_lossy(doc);
    let mut lines = text.split('\n');
    let Ok(pattern) = VersionPattern::parse(lines.next().unwrap_or_default()) else {
        return;
    };
    let mut keys: Vec<_> = lines.take(16).filter_map(|tag| pattern.key(tag)).collect();
    // Discovery sorts tags by key to apply `cap`; the order must be total.
    keys.sort();
    assert!(keys.windows(2).all(|w| w[0] <= w[1]));
}
