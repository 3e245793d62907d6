//! Java archives (jar, war, ear, Jenkins plugins), opened in memory with nested archives opened
//! recursively up to [`Limits::max_nesting`]. Each `pom.properties` inside names one Maven
//! artifact (fat jars carry one per shaded dependency); an archive with none falls back to its
//! `MANIFEST.MF` and then to its file name (`name-1.2.3.jar`).

use super::package;
use crate::error::ParseError;
use crate::limits::Limits;
use crowsnest_model::{Package, PackageKind};
use std::collections::BTreeMap;
use std::io::{Cursor, Read};

/// Parses an archive's bytes; `path` is the archive's path in the image.
pub fn parse_archive(data: &[u8], path: &str, limits: &Limits) -> Result<Vec<Package>, ParseError> {
    let mut out = Vec::new();
    // Nested jars are held in memory while their parent is read, so the bytes inflated from the
    // whole tree share one budget: without it, a small jar of many highly compressed entries
    // (a zip bomb) would inflate each up to `max_binary_bytes`, all at once.
    let mut budget = Budget {
        left: limits.max_binary_bytes.saturating_mul(2),
        total: limits.max_binary_bytes.saturating_mul(2),
    };
    walk(data, path, limits, 0, &mut out, &mut budget)?;
    Ok(out)
}

struct Budget {
    left: u64,
    total: u64,
}

impl Budget {
    fn spend(&mut self, n: usize) -> Result<(), ParseError> {
        self.left = self
            .left
            .checked_sub(n as u64)
            .ok_or(ParseError::TooLarge {
                what: "bytes inflated from one archive and its nested archives (zip bomb?)",
                limit: self.total,
            })?;
        Ok(())
    }
}

fn walk(
    data: &[u8],
    path: &str,
    limits: &Limits,
    depth: u32,
    out: &mut Vec<Package>,
    budget: &mut Budget,
) -> Result<(), ParseError> {
    let mut zip = zip::ZipArchive::new(Cursor::new(data))
        .map_err(|e| ParseError::malformed(format!("{path}: not a zip archive: {e}")))?;
    let mut poms: Vec<BTreeMap<String, String>> = Vec::new();
    let mut manifest = None;
    let mut nested = Vec::new();
    for i in 0..zip.len() {
        let mut entry = match zip.by_index(i) {
            Ok(e) => e,
            // An entry compressed with a method we don't build in (bzip2, zstd) is skipped alone.
            Err(_) => continue,
        };
        let Ok(name) = entry.name().map(|n| n.into_owned()) else {
            continue;
        };
        if entry.is_dir() {
            continue;
        }
        let lower = name.to_ascii_lowercase();
        if lower.ends_with("pom.properties") {
            let bytes = read_capped(&mut entry, 1 << 20)?;
            budget.spend(bytes.len())?;
            poms.push(properties(&bytes));
        } else if name == "META-INF/MANIFEST.MF" {
            let bytes = read_capped(&mut entry, 4 << 20)?;
            budget.spend(bytes.len())?;
            manifest = Some(manifest_fields(&bytes));
        } else if depth < limits.max_nesting
            && [".jar", ".war", ".ear", ".jpi", ".hpi"]
                .iter()
                .any(|e| lower.ends_with(e))
        {
            if entry.size() > limits.max_binary_bytes {
                continue;
            }
            match read_capped(&mut entry, limits.max_binary_bytes) {
                Ok(bytes) => {
                    budget.spend(bytes.len())?;
                    nested.push((name, bytes));
                }
                Err(_) => continue,
            }
        }
    }
    let before = out.len();
    for props in poms {
        let (Some(g), Some(a), Some(v)) = (
            props.get("groupId"),
            props.get("artifactId"),
            props.get("version"),
        ) else {
            continue;
        };
        let name = format!("{g}:{a}");
        if !out[before..]
            .iter()
            .any(|p| p.name == name && p.version == *v)
        {
            out.push(package(PackageKind::Java, &name, v, path));
        }
    }
    let manifest = manifest.unwrap_or_default();
    let license = manifest_license(&manifest);
    if out.len() == before
        && let Some(p) = from_manifest(&manifest, path).or_else(|| from_file_name(path))
    {
        out.push(p);
    }
    if let Some(l) = license {
        for p in &mut out[before..] {
            p.license.get_or_insert_with(|| l.clone());
        }
    }
    for (name, bytes) in nested {
        let inner = format!("{path}!{name}");
        // A broken nested jar must not hide the outer one's packages: like an entry compressed
        // with a method we do not build in, it is skipped alone, keeping what it yielded before
        // the error; the detector has no warning channel to report it through.
        if let Err(_skipped) = walk(&bytes, &inner, limits, depth + 1, out, budget) {
            continue;
        }
    }
    Ok(())
}

fn read_capped(entry: &mut impl Read, cap: u64) -> Result<Vec<u8>, ParseError> {
    let mut buf = Vec::new();
    entry.take(cap + 1).read_to_end(&mut buf)?;
    if buf.len() as u64 > cap {
        return Err(ParseError::TooLarge {
            what: "archive entry",
            limit: cap,
        });
    }
    Ok(buf)
}

fn properties(data: &[u8]) -> BTreeMap<String, String> {
    String::from_utf8_lossy(data)
        .lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .filter_map(|l| {
            l.split_once('=')
                .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        })
        .collect()
}

/// MANIFEST.MF: `Key: value` with 72-byte lines continued by a leading space.
fn manifest_fields(data: &[u8]) -> BTreeMap<String, String> {
    let text = String::from_utf8_lossy(data);
    let mut fields = BTreeMap::new();
    let mut last: Option<String> = None;
    for line in text.lines() {
        if let Some(cont) = line.strip_prefix(' ') {
            if let Some(v) = last.as_ref().and_then(|k| fields.get_mut(k)) {
                let v: &mut String = v;
                v.push_str(cont);
            }
            continue;
        }
        if line.is_empty() {
            // Only the main section describes the archive itself.
            break;
        }
        if let Some((k, v)) = line.split_once(':') {
            fields.insert(k.trim().to_string(), v.trim().to_string());
            last = Some(k.trim().to_string());
        }
    }
    fields
}

fn from_manifest(m: &BTreeMap<String, String>, path: &str) -> Option<Package> {
    let get = |k: &str| m.get(k).filter(|v| !v.is_empty());
    let artifact = get("Implementation-Title")
        .or(get("Specification-Title"))
        .or(get("Bundle-Name"))?;
    let version = get("Implementation-Version")
        .or(get("Specification-Version"))
        .or(get("Bundle-Version"))?;
    let group = get("Implementation-Vendor-Id").cloned().or_else(|| {
        get("Bundle-SymbolicName").and_then(|s| {
            s.split(';')
                .next()?
                .rsplit_once('.')
                .map(|(g, _)| g.to_string())
        })
    });
    let name = match group {
        Some(g) => format!("{g}:{artifact}"),
        None => artifact.clone(),
    };
    Some(package(PackageKind::Java, &name, version, path))
}

fn manifest_license(m: &BTreeMap<String, String>) -> Option<String> {
    let mut names: Vec<&String> = m
        .iter()
        .filter(|(k, _)| k.starts_with("Plugin-License-Name") || *k == "Bundle-License")
        .map(|(_, v)| v)
        .collect();
    names.dedup();
    (!names.is_empty()).then(|| {
        names
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    })
}

/// `commons-io-2.11.0.jar` → `commons-io` 2.11.0: the version starts at the first `-digit`.
fn from_file_name(path: &str) -> Option<Package> {
    let file = path.rsplit(['/', '!']).next()?;
    let stem = file.rsplit_once('.')?.0;
    let bytes = stem.as_bytes();
    let split = (1..bytes.len()).find(|&i| bytes[i - 1] == b'-' && bytes[i].is_ascii_digit())?;
    Some(package(
        PackageKind::Java,
        &stem[..split - 1],
        &stem[split..],
        path,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_name_fallback() {
        let p = from_file_name("usr/share/java/commons-io-2.11.0.jar").unwrap();
        assert_eq!(
            (p.name.as_str(), p.version.as_str()),
            ("commons-io", "2.11.0")
        );
        assert!(from_file_name("usr/share/java/log4j.jar").is_none());
    }

    #[test]
    fn not_a_zip_is_an_error() {
        assert!(parse_archive(b"PK\x03\x04 truncated", "a.jar", &Limits::default()).is_err());
    }
}
