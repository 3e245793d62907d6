//! npm: installed `node_modules/**/package.json` files, and the lock files an application ships
//! (`package-lock.json` v1–v3, `yarn.lock` v1 and berry, `pnpm-lock.yaml`). Lock files are read
//! with small line-oriented parsers: only package names and versions are needed, so there is no
//! YAML dependency.

use super::package;
use crate::error::ParseError;
use crowsnest_model::{Package, PackageKind};
use serde_json::Value;
use std::collections::BTreeSet;

fn license_of(v: &Value) -> Option<String> {
    match v.get("license") {
        Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
        Some(Value::Object(o)) => o.get("type").and_then(Value::as_str).map(str::to_string),
        _ => match v.get("licenses") {
            Some(Value::Array(a)) => {
                let names: Vec<&str> = a
                    .iter()
                    .filter_map(|l| l.get("type").and_then(Value::as_str).or(l.as_str()))
                    .collect();
                (!names.is_empty()).then(|| names.join(" OR "))
            }
            _ => None,
        },
    }
}

/// An installed package's `package.json`. `None` for manifests without name or version
/// (test fixtures and private sub-packages ship those).
pub fn parse_package_json(data: &[u8], path: &str) -> Result<Option<Package>, ParseError> {
    let v: Value = serde_json::from_slice(data)?;
    let (Some(name), Some(version)) = (
        v.get("name").and_then(Value::as_str),
        v.get("version").and_then(Value::as_str),
    ) else {
        return Ok(None);
    };
    if name.is_empty() || version.is_empty() {
        return Ok(None);
    }
    let mut p = package(PackageKind::Npm, name, version, path);
    p.license = license_of(&v);
    Ok(Some(p))
}

/// `package-lock.json`: v2/v3 list `packages` keyed by install path; v1 nests `dependencies`.
pub fn parse_package_lock(data: &[u8], path: &str) -> Result<Vec<Package>, ParseError> {
    let v: Value = serde_json::from_slice(data)?;
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    let mut push = |name: &str, version: &str, license: Option<String>| {
        if !name.is_empty()
            && !version.is_empty()
            && seen.insert((name.to_string(), version.to_string()))
        {
            let mut p = package(PackageKind::Npm, name, version, path);
            p.license = license;
            out.push(p);
        }
    };
    if let Some(pkgs) = v.get("packages").and_then(Value::as_object) {
        for (key, entry) in pkgs {
            // "" is the root project; links point at workspace folders, not installed packages.
            if key.is_empty() || entry.get("link").and_then(Value::as_bool) == Some(true) {
                continue;
            }
            let name = entry
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or_else(|| key.rsplit("node_modules/").next().unwrap_or(key));
            if let Some(version) = entry.get("version").and_then(Value::as_str) {
                push(name, version, license_of(entry));
            }
        }
    } else if let Some(deps) = v.get("dependencies").and_then(Value::as_object) {
        let mut stack: Vec<&serde_json::Map<String, Value>> = vec![deps];
        while let Some(map) = stack.pop() {
            for (name, entry) in map {
                if let Some(version) = entry.get("version").and_then(Value::as_str) {
                    push(name, version, None);
                }
                if let Some(nested) = entry.get("dependencies").and_then(Value::as_object) {
                    stack.push(nested);
                }
            }
        }
    } else if v.get("lockfileVersion").is_none() {
        return Err(ParseError::WrongFormat(
            "package-lock.json (no lockfileVersion)",
        ));
    }
    Ok(out)
}

/// `yarn.lock`: entries start at column 0 with the quoted specifiers, `version` is indented.
pub fn parse_yarn_lock(data: &[u8], path: &str) -> Result<Vec<Package>, ParseError> {
    let text = super::text(data);
    let mut out = Vec::new();
    let mut current: Option<String> = None;
    let mut seen = BTreeSet::new();
    for line in text.lines() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        if !line.starts_with(' ') {
            // `"@babel/core@^7.0.0", "@babel/core@^7.1.0":` or `lodash@^4.17.4:`
            let first = line
                .trim_end_matches(':')
                .split(',')
                .next()
                .unwrap_or("")
                .trim()
                .trim_matches('"');
            if first == "__metadata" {
                current = None;
                continue;
            }
            let at = first.get(1..).and_then(|s| s.find('@')).map(|i| i + 1);
            current = at.map(|i| first[..i].to_string());
            continue;
        }
        let trimmed = line.trim();
        let version = trimmed
            .strip_prefix("version ")
            .or_else(|| trimmed.strip_prefix("version: "))
            .map(|v| v.trim().trim_matches('"'));
        if let (Some(name), Some(version)) = (current.as_ref(), version)
            && seen.insert((name.clone(), version.to_string()))
        {
            out.push(package(PackageKind::Npm, name, version, path));
        }
    }
    if out.is_empty() && !text.contains("yarn") && !text.trim().is_empty() {
        return Err(ParseError::WrongFormat("yarn.lock"));
    }
    Ok(out)
}

/// `pnpm-lock.yaml`: package keys under `packages:` are `/name@version:` (v6+), `name@version:`
/// (v9) or `/name/version:` (v5), possibly with a `(peer…)` suffix.
pub fn parse_pnpm_lock(data: &[u8], path: &str) -> Result<Vec<Package>, ParseError> {
    let text = super::text(data);
    if !text.contains("lockfileVersion") {
        return Err(ParseError::WrongFormat(
            "pnpm-lock.yaml (no lockfileVersion)",
        ));
    }
    let mut out = Vec::new();
    let mut seen = BTreeSet::new();
    let mut in_packages = false;
    for line in text.lines() {
        if !line.starts_with(' ') && !line.trim().is_empty() {
            in_packages = line.trim_end() == "packages:";
            continue;
        }
        if !in_packages || !line.starts_with("  ") || line.starts_with("   ") {
            continue;
        }
        let key = line
            .trim()
            .trim_end_matches(':')
            .trim_matches(|c| c == '\'' || c == '"');
        let key = key.strip_prefix('/').unwrap_or(key);
        let key = key.split('(').next().unwrap_or(key);
        let (name, version) = match key.get(1..).and_then(|s| s.find('@')).map(|i| i + 1) {
            Some(i) => (&key[..i], &key[i + 1..]),
            None => match key.rsplit_once('/') {
                Some((n, v)) => (n, v),
                None => continue,
            },
        };
        let version = version.split('_').next().unwrap_or(version);
        if !name.is_empty()
            && !version.is_empty()
            && seen.insert((name.to_string(), version.to_string()))
        {
            out.push(package(PackageKind::Npm, name, version, path));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_v3_and_v1() {
        let v3 = br#"{"lockfileVersion":3,"packages":{"":{"name":"app"},"node_modules/express":{"version":"4.16.0","license":"MIT"},"node_modules/a/node_modules/ms":{"version":"2.0.0"}}}"#;
        let p = parse_package_lock(v3, "app/package-lock.json").unwrap();
        assert_eq!(p.len(), 2);
        assert!(p.iter().any(|p| p.name == "ms" && p.version == "2.0.0"));
        let v1 = br#"{"lockfileVersion":1,"dependencies":{"lodash":{"version":"4.17.4","dependencies":{"x":{"version":"1.0.0"}}}}}"#;
        assert_eq!(parse_package_lock(v1, "p").unwrap().len(), 2);
        assert!(parse_package_lock(b"{}", "p").is_err());
        assert!(parse_package_lock(b"[", "p").is_err());
    }

    #[test]
    fn yarn_and_pnpm() {
        let y = b"# yarn lockfile v1\n\n\"@babel/code-frame@^7.0.0\", \"@babel/code-frame@^7.8.3\":\n  version \"7.8.3\"\n\nlodash@^4.17.4:\n  version \"4.17.21\"\n";
        let p = parse_yarn_lock(y, "yarn.lock").unwrap();
        assert_eq!(
            p.iter()
                .map(|p| (p.name.as_str(), p.version.as_str()))
                .collect::<Vec<_>>(),
            vec![("@babel/code-frame", "7.8.3"), ("lodash", "4.17.21")]
        );
        let pn = b"lockfileVersion: '6.0'\n\npackages:\n\n  /@types/node@20.1.0:\n    resolution: {integrity: x}\n\n  /ms@2.1.3(x@1.0.0):\n    dev: false\n";
        let p = parse_pnpm_lock(pn, "pnpm-lock.yaml").unwrap();
        assert_eq!(p.len(), 2);
        assert_eq!(
            (p[0].name.as_str(), p[0].version.as_str()),
            ("@types/node", "20.1.0")
        );
        assert_eq!(p[1].version, "2.1.3");
    }
}
