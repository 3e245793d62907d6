//! Rust: the dependency list `cargo auditable` embeds in binaries (section `.dep-v0`, or
//! `__dep_v0` in Mach-O: zlib-compressed JSON), and `Cargo.lock` files shipped in an image.

use super::package;
use crate::error::ParseError;
use crowsnest_model::{Package, PackageKind};
use object::{Object, ObjectSection};
use serde::Deserialize;
use std::io::Read;

/// Decompressed `.dep-v0` JSON beyond this is not a dependency list.
const MAX_AUDIT_JSON: u64 = 16 << 20;

#[derive(Deserialize)]
struct AuditData {
    packages: Vec<AuditPackage>,
}

#[derive(Deserialize)]
struct AuditPackage {
    name: String,
    version: String,
}

/// Reads the cargo-auditable section of an object file; empty when the file has none.
pub fn parse_auditable(data: &[u8], path: &str) -> Result<Vec<Package>, ParseError> {
    // Cheap pre-check: the section name sits in the section-name table of every such binary.
    if memchr::memmem::find(data, b"dep-v0").is_none()
        && memchr::memmem::find(data, b"dep_v0").is_none()
    {
        return Ok(Vec::new());
    }
    let file = object::File::parse(data)
        .map_err(|e| ParseError::malformed(format!("object file: {e}")))?;
    let Some(section) = file
        .section_by_name(".dep-v0")
        .or_else(|| file.section_by_name("__dep_v0"))
    else {
        return Ok(Vec::new());
    };
    let compressed = section
        .data()
        .map_err(|e| ParseError::malformed(format!(".dep-v0 section: {e}")))?;
    let mut json = Vec::new();
    flate2::read::ZlibDecoder::new(compressed)
        .take(MAX_AUDIT_JSON + 1)
        .read_to_end(&mut json)
        .map_err(|e| ParseError::malformed(format!(".dep-v0 is not zlib data: {e}")))?;
    if json.len() as u64 > MAX_AUDIT_JSON {
        return Err(ParseError::TooLarge {
            what: "cargo-auditable JSON",
            limit: MAX_AUDIT_JSON,
        });
    }
    let audit: AuditData = serde_json::from_slice(&json)?;
    Ok(audit
        .packages
        .iter()
        .map(|p| package(PackageKind::Cargo, &p.name, &p.version, path))
        .collect())
}

#[derive(Deserialize)]
struct CargoLock {
    #[serde(default)]
    package: Vec<LockPackage>,
}

#[derive(Deserialize)]
struct LockPackage {
    name: String,
    version: String,
    source: Option<String>,
}

/// Parses a `Cargo.lock`; crates without a `source` are the workspace's own members and skipped.
pub fn parse_cargo_lock(data: &[u8], path: &str) -> Result<Vec<Package>, ParseError> {
    let text =
        std::str::from_utf8(data).map_err(|_| ParseError::malformed("Cargo.lock is not UTF-8"))?;
    let lock: CargoLock =
        toml::from_str(text).map_err(|e| ParseError::malformed(format!("Cargo.lock: {e}")))?;
    Ok(lock
        .package
        .iter()
        .filter(|p| p.source.is_some())
        .map(|p| package(PackageKind::Cargo, &p.name, &p.version, path))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cargo_lock_skips_workspace_members() {
        let lock = b"version = 3\n\n[[package]]\nname = \"app\"\nversion = \"0.1.0\"\n\n[[package]]\nname = \"smallvec\"\nversion = \"1.6.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n";
        let p = parse_cargo_lock(lock, "src/Cargo.lock").unwrap();
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].name, "smallvec");
        assert!(parse_cargo_lock(b"[[package]]\nname = 1\n", "x").is_err());
    }

    #[test]
    fn non_object_files_with_the_marker_are_errors() {
        assert!(parse_auditable(b"just text mentioning .dep-v0", "x").is_err());
        assert!(parse_auditable(b"plain", "x").unwrap().is_empty());
    }
}
