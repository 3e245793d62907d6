//! dpkg databases: `/var/lib/dpkg/status` and distroless `status.d/<package>` files. Both are
//! RFC 822 stanzas; only stanzas whose `Status` says "installed" count (distroless files carry no
//! Status and are all installed). The source package comes from `Source: name (version)`.

use super::package;
use crate::error::ParseError;
use crowsnest_model::{Package, PackageKind};

/// Parses a dpkg status (or status.d) file into installed packages.
pub fn parse_status(data: &[u8], path: &str) -> Result<Vec<Package>, ParseError> {
    let text = super::text(data);
    let mut out = Vec::new();
    let mut stanzas = 0usize;
    for para in super::paragraphs(&text) {
        stanzas += 1;
        let mut fields: Vec<(&str, String)> = Vec::new();
        for line in para {
            if line.starts_with(' ') || line.starts_with('\t') {
                // Continuation lines belong to multi-line fields (Description, Conffiles).
                continue;
            }
            match line.split_once(':') {
                Some((k, v)) => fields.push((k.trim(), v.trim().to_string())),
                None => {
                    return Err(ParseError::malformed(format!(
                        "line without a field name: {line:?}"
                    )));
                }
            }
        }
        let get = |k: &str| {
            fields
                .iter()
                .find(|(f, _)| f.eq_ignore_ascii_case(k))
                .map(|(_, v)| v.as_str())
        };
        // vcpkg writes a look-alike status file; its ports are not Debian packages.
        if get("Type") == Some("Port") || get("Abi").is_some() {
            return Err(ParseError::WrongFormat("dpkg database (vcpkg status file)"));
        }
        let Some(name) = get("Package") else {
            return Err(ParseError::malformed("stanza without a Package field"));
        };
        if name.is_empty() {
            continue;
        }
        if let Some(status) = get("Status")
            && status.split_whitespace().nth(2) != Some("installed")
        {
            continue;
        }
        // A stanza without a version cannot be matched against anything; dpkg would not
        // have written one for an installed package.
        let Some(version) = get("Version").filter(|v| !v.is_empty()) else {
            continue;
        };
        let mut p = package(PackageKind::Dpkg, name, version, path);
        p.arch = get("Architecture").map(str::to_string);
        let (src_name, src_version) = match get("Source") {
            Some(src) => match src.split_once('(') {
                Some((n, v)) => (
                    n.trim().to_string(),
                    v.trim_end_matches(')').trim().to_string(),
                ),
                None => (src.trim().to_string(), version.to_string()),
            },
            None => (name.to_string(), version.to_string()),
        };
        p.source_name = Some(src_name);
        p.source_version = Some(src_version);
        out.push(p);
    }
    if stanzas == 0 && !data.iter().all(u8::is_ascii_whitespace) {
        return Err(ParseError::malformed("no stanzas"));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_field_with_and_without_version() {
        let pkgs = parse_status(
            b"Package: libssl3\nStatus: install ok installed\nVersion: 3.0.11-1~deb12u2\nArchitecture: amd64\nSource: openssl\n\nPackage: gone\nStatus: deinstall ok config-files\nVersion: 1\n\nPackage: bsdutils\nStatus: install ok installed\nVersion: 1:2.38.1-5+b1\nSource: util-linux (2.38.1-5)\nDescription: x\n more\n",
            "var/lib/dpkg/status",
        )
        .unwrap();
        assert_eq!(pkgs.len(), 2);
        assert_eq!(pkgs[0].source_name.as_deref(), Some("openssl"));
        assert_eq!(pkgs[0].source_version.as_deref(), Some("3.0.11-1~deb12u2"));
        assert_eq!(pkgs[1].source_name.as_deref(), Some("util-linux"));
        assert_eq!(pkgs[1].source_version.as_deref(), Some("2.38.1-5"));
        assert_eq!(pkgs[1].path, "/var/lib/dpkg/status");
    }

    #[test]
    fn malformed_stanzas_are_errors() {
        assert!(parse_status(b"Version: 1\n", "s").is_err());
        assert!(
            parse_status(b"Package: x\nStatus: install ok installed\n", "s")
                .unwrap()
                .is_empty()
        );
        assert!(parse_status(b"garbage line\n", "s").is_err());
    }
}
