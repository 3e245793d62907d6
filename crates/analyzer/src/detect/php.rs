//! PHP Composer: `vendor/composer/installed.json`, a bare array in Composer 1 and
//! `{"packages": [...]}` in Composer 2.

use super::package;
use crate::error::ParseError;
use crowsnest_model::{Package, PackageKind};
use serde_json::Value;

/// Parses Composer's installed.json (both shapes).
pub fn parse_installed_json(data: &[u8], path: &str) -> Result<Vec<Package>, ParseError> {
    let v: Value = serde_json::from_slice(data)?;
    let list = match &v {
        Value::Array(a) => a,
        Value::Object(o) => match o.get("packages") {
            Some(Value::Array(a)) => a,
            _ => {
                return Err(ParseError::WrongFormat(
                    "Composer installed.json (no packages)",
                ));
            }
        },
        _ => return Err(ParseError::WrongFormat("Composer installed.json")),
    };
    let mut out = Vec::new();
    for entry in list {
        let (Some(name), Some(version)) = (
            entry.get("name").and_then(Value::as_str),
            entry.get("version").and_then(Value::as_str),
        ) else {
            continue;
        };
        let mut p = package(PackageKind::Composer, name, version, path);
        p.license = entry.get("license").and_then(|l| match l {
            Value::String(s) => Some(s.clone()),
            Value::Array(a) => {
                let l: Vec<&str> = a.iter().filter_map(Value::as_str).collect();
                (!l.is_empty()).then(|| l.join(" OR "))
            }
            _ => None,
        });
        out.push(p);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_shapes() {
        let v1 = br#"[{"name":"monolog/monolog","version":"1.25.1","license":["MIT"]}]"#;
        let v2 = br#"{"packages":[{"name":"monolog/monolog","version":"2.3.5","version_normalized":"2.3.5.0"}],"dev":true}"#;
        assert_eq!(
            parse_installed_json(v1, "p").unwrap()[0].license.as_deref(),
            Some("MIT")
        );
        assert_eq!(parse_installed_json(v2, "p").unwrap()[0].version, "2.3.5");
        assert!(parse_installed_json(b"{\"x\":1}", "p").is_err());
    }
}
