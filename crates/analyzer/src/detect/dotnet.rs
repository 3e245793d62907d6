//! .NET: `*.deps.json` written next to an application; `libraries` entries of type `package`
//! are NuGet packages (`project` entries are the application's own assemblies).

use super::package;
use crate::error::ParseError;
use crowsnest_model::{Package, PackageKind};
use serde_json::Value;

/// Parses a deps.json file.
pub fn parse_deps_json(data: &[u8], path: &str) -> Result<Vec<Package>, ParseError> {
    let v: Value = serde_json::from_slice(data)?;
    let Some(libs) = v.get("libraries").and_then(Value::as_object) else {
        return Err(ParseError::WrongFormat(".NET deps.json (no libraries)"));
    };
    let mut out = Vec::new();
    for (key, lib) in libs {
        if lib.get("type").and_then(Value::as_str) != Some("package") {
            continue;
        }
        if let Some((name, version)) = key.split_once('/') {
            out.push(package(PackageKind::Nuget, name, version, path));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packages_not_projects() {
        let d = br#"{"runtimeTarget":{"name":".NETCoreApp,Version=v6.0"},"libraries":{"app/1.0.0":{"type":"project"},"Newtonsoft.Json/13.0.1":{"type":"package","sha512":"x"}}}"#;
        let p = parse_deps_json(d, "app/app.deps.json").unwrap();
        assert_eq!(p.len(), 1);
        assert_eq!(
            (p[0].name.as_str(), p[0].version.as_str()),
            ("Newtonsoft.Json", "13.0.1")
        );
        assert!(parse_deps_json(b"{}", "x").is_err());
    }
}
