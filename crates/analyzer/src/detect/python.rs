//! Python distributions: `*.dist-info/METADATA`, `*.egg-info/PKG-INFO` (or a single-file
//! `*.egg-info`), `EGG-INFO/PKG-INFO` in unpacked eggs, and zipped `.egg` files. All are RFC 822
//! headers; the license is `License-Expression`, else `License`, else the license classifiers.

use super::package;
use crate::error::ParseError;
use crowsnest_model::{Package, PackageKind};
use std::io::{Cursor, Read};

/// Parses core metadata (METADATA or PKG-INFO) into one package.
pub fn parse_metadata(data: &[u8], path: &str) -> Result<Package, ParseError> {
    let text = super::text(data);
    let (mut name, mut version, mut license, mut expr) = (None, None, None, None);
    let mut classifiers = Vec::new();
    for line in text.lines() {
        if line.is_empty() {
            break; // the body (long description) starts after the first blank line
        }
        if line.starts_with(' ') || line.starts_with('\t') {
            continue;
        }
        let Some((k, v)) = line.split_once(':') else {
            continue;
        };
        let v = v.trim();
        match k.to_ascii_lowercase().as_str() {
            "name" => name = Some(v.to_string()),
            "version" => version = Some(v.to_string()),
            "license" => license = Some(v.to_string()),
            "license-expression" => expr = Some(v.to_string()),
            "classifier" => {
                if let Some(l) = v.strip_prefix("License ::") {
                    classifiers.push(l.rsplit("::").next().unwrap_or(l).trim().to_string());
                }
            }
            _ => {}
        }
    }
    let (Some(name), Some(version)) = (name, version) else {
        return Err(ParseError::malformed(
            "Python metadata without Name and Version",
        ));
    };
    if name.is_empty() || version.is_empty() {
        return Err(ParseError::malformed(
            "Python metadata with an empty Name or Version",
        ));
    }
    let mut p = package(PackageKind::Python, &name, &version, path);
    // `License:` often holds the whole licence text or "UNKNOWN"; only a short one is a name.
    let short =
        license.filter(|l| !l.is_empty() && l != "UNKNOWN" && l.len() <= 80 && !l.contains('\n'));
    p.license = expr
        .or(short)
        .or_else(|| (!classifiers.is_empty()).then(|| classifiers.join(", ")));
    Ok(p)
}

/// A zipped egg: the package is described by `EGG-INFO/PKG-INFO` inside it.
pub(crate) fn parse_egg_zip(data: &[u8], path: &str) -> Result<Vec<Package>, ParseError> {
    let mut zip = zip::ZipArchive::new(Cursor::new(data))
        .map_err(|e| ParseError::malformed(format!("egg is not a zip: {e}")))?;
    let mut entry = zip
        .by_name("EGG-INFO/PKG-INFO")
        .map_err(|_| ParseError::malformed("egg without EGG-INFO/PKG-INFO"))?;
    let mut buf = Vec::new();
    entry.by_ref().take(1 << 20).read_to_end(&mut buf)?;
    Ok(vec![parse_metadata(&buf, path)?])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn license_falls_back_to_classifiers() {
        let p = parse_metadata(
            b"Metadata-Version: 2.1\nName: requests\nVersion: 2.19.1\nLicense: UNKNOWN\nClassifier: License :: OSI Approved :: Apache Software License\n\nbody: x\n",
            "x/METADATA",
        )
        .unwrap();
        assert_eq!(
            (p.name.as_str(), p.version.as_str()),
            ("requests", "2.19.1")
        );
        assert_eq!(p.license.as_deref(), Some("Apache Software License"));
    }

    #[test]
    fn missing_version_is_an_error() {
        assert!(parse_metadata(b"Name: x\n", "m").is_err());
        assert!(parse_egg_zip(b"not a zip", "e.egg").is_err());
    }
}
