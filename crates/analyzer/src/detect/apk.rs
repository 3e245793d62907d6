//! Alpine's apk database, `/lib/apk/db/installed`: one paragraph per package of `X:value` lines
//! (`P` name, `V` version, `A` arch, `o` origin = source package, `L` license).

use super::package;
use crate::error::ParseError;
use crowsnest_model::{Package, PackageKind};

/// Parses an apk `installed` database.
pub fn parse_installed(data: &[u8], path: &str) -> Result<Vec<Package>, ParseError> {
    let text = super::text(data);
    let mut out = Vec::new();
    for para in super::paragraphs(&text) {
        let mut get = std::collections::HashMap::new();
        for line in para {
            match line.split_once(':') {
                Some((k, v)) if k.len() == 1 => {
                    get.entry(k).or_insert(v);
                }
                _ => {
                    return Err(ParseError::malformed(format!(
                        "not an apk field line: {line:?}"
                    )));
                }
            }
        }
        let Some(name) = get.get("P").filter(|n| !n.is_empty()) else {
            return Err(ParseError::malformed(
                "record without a P: (package name) line",
            ));
        };
        // A record without a version is a half-written entry; apk itself ignores it.
        let Some(version) = get.get("V").filter(|v| !v.is_empty()) else {
            continue;
        };
        let mut p = package(PackageKind::Apk, name, version, path);
        p.arch = get.get("A").map(|s| s.to_string());
        p.source_name = Some(get.get("o").map_or(*name, |o| *o).to_string());
        p.source_version = Some(version.to_string());
        p.license = get
            .get("L")
            .filter(|l| !l.is_empty())
            .map(|s| s.to_string());
        out.push(p);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_origin_and_license() {
        let p = parse_installed(b"C:Q1x=\nP:musl\nV:1.1.24-r2\nA:x86_64\no:musl\nL:MIT\n\nP:ssl_client\nV:1.31.1-r9\no:busybox\n", "lib/apk/db/installed").unwrap();
        assert_eq!(p.len(), 2);
        assert_eq!(p[1].source_name.as_deref(), Some("busybox"));
        assert_eq!(p[0].license.as_deref(), Some("MIT"));
    }

    #[test]
    fn rejects_non_apk_text() {
        assert!(parse_installed(b"this is not apk\n", "x").is_err());
        assert!(parse_installed(b"V:1.0\n", "x").is_err());
    }
}
