//! OS identification files: `os-release` (key=value, shell-quoted) and the single-line release
//! files of Debian, Alpine and the Red Hat family. Merging them into one [`OsInfo`] (os-release
//! first, release files filling gaps) happens in [`os_info`], after whiteouts are applied.

use crate::error::ParseError;
use crate::facts::{OsFile, ReleaseKind};
use crowsnest_model::OsInfo;
use std::collections::BTreeMap;

/// Parses os-release: `KEY=value` lines, values optionally in single or double quotes.
pub fn parse_os_release(data: &[u8]) -> Result<OsFile, ParseError> {
    let text = super::text(data);
    let mut fields = BTreeMap::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        if key.is_empty() || !key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            continue;
        }
        fields.insert(key.to_string(), unquote(value.trim()));
    }
    if !fields.contains_key("ID") && !fields.contains_key("NAME") {
        return Err(ParseError::WrongFormat("os-release file (no ID or NAME)"));
    }
    Ok(OsFile::OsRelease { fields })
}

fn unquote(v: &str) -> String {
    let bytes = v.as_bytes();
    if bytes.len() >= 2
        && (bytes[0] == b'"' || bytes[0] == b'\'')
        && bytes[bytes.len() - 1] == bytes[0]
    {
        let inner = &v[1..v.len() - 1];
        if bytes[0] == b'"' {
            // Double-quoted os-release values may escape `"`, `\`, `$` and backtick.
            let mut out = String::with_capacity(inner.len());
            let mut chars = inner.chars();
            while let Some(c) = chars.next() {
                if c == '\\' {
                    if let Some(n) = chars.next() {
                        out.push(n);
                    }
                } else {
                    out.push(c);
                }
            }
            return out;
        }
        return inner.to_string();
    }
    v.to_string()
}

/// Parses a one-line release file.
pub(crate) fn parse_release_file(kind: ReleaseKind, data: &[u8]) -> Result<OsFile, ParseError> {
    let text = super::text(data);
    let line = text.lines().next().unwrap_or("").trim();
    if line.is_empty() {
        return Err(ParseError::malformed("empty release file"));
    }
    Ok(OsFile::Release {
        kind,
        text: line.to_string(),
    })
}

/// Combines the visible OS files of an image. `distroless` is decided by the caller.
pub(crate) fn os_info(
    os_release: Option<&OsFile>,
    releases: &[(ReleaseKind, &str)],
) -> Option<OsInfo> {
    let mut info = OsInfo::default();
    if let Some(OsFile::OsRelease { fields }) = os_release {
        let get = |k: &str| fields.get(k).filter(|v| !v.is_empty()).cloned();
        info.id = get("ID").unwrap_or_default().to_ascii_lowercase();
        info.version_id = get("VERSION_ID").unwrap_or_default();
        info.codename = get("VERSION_CODENAME").or_else(|| get("UBUNTU_CODENAME"));
        info.pretty_name = get("PRETTY_NAME");
        info.id_like = get("ID_LIKE")
            .map(|v| v.split_whitespace().map(str::to_string).collect())
            .unwrap_or_default();
    }
    for (kind, text) in releases {
        match kind {
            ReleaseKind::Alpine => {
                if info.id.is_empty() {
                    info.id = "alpine".into();
                }
                // alpine-release carries the full point release where os-release may not.
                if info.id == "alpine" && info.version_id.is_empty() {
                    info.version_id = text.to_string();
                }
            }
            ReleaseKind::Debian => {
                if info.id.is_empty() {
                    info.id = "debian".into();
                }
                if info.id == "debian" && info.version_id.is_empty() {
                    // Testing and sid say `trixie/sid`; a numbered release says `12.5`.
                    let major = text.split('.').next().unwrap_or(text);
                    if major.bytes().all(|b| b.is_ascii_digit()) {
                        info.version_id = major.to_string();
                    } else if info.codename.is_none() {
                        info.codename = Some(text.to_string());
                    }
                }
            }
            ReleaseKind::Redhat => {
                if info.id.is_empty() {
                    let lower = text.to_ascii_lowercase();
                    info.id = if lower.starts_with("centos") {
                        "centos"
                    } else if lower.starts_with("fedora") {
                        "fedora"
                    } else if lower.starts_with("rocky") {
                        "rocky"
                    } else if lower.starts_with("almalinux") {
                        "almalinux"
                    } else {
                        "rhel"
                    }
                    .into();
                    info.pretty_name = Some(text.to_string());
                }
                if info.version_id.is_empty() {
                    // "… release 7.9.2009 (Core)": the first token after "release".
                    if let Some(v) = text.split(" release ").nth(1) {
                        info.version_id = v.split_whitespace().next().unwrap_or("").to_string();
                    }
                }
            }
        }
    }
    (!info.id.is_empty()).then_some(info)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_quoted_os_release() {
        let f = parse_os_release(
            b"PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\nID=debian\n",
        )
        .unwrap();
        let info = os_info(Some(&f), &[(ReleaseKind::Debian, "12.5")]).unwrap();
        assert_eq!(info.id, "debian");
        assert_eq!(info.version_id, "12");
        assert_eq!(info.codename.as_deref(), Some("bookworm"));
        assert_eq!(
            info.pretty_name.as_deref(),
            Some("Debian GNU/Linux 12 (bookworm)")
        );
    }

    #[test]
    fn release_files_alone_identify_the_os() {
        let info = os_info(
            None,
            &[(ReleaseKind::Redhat, "CentOS Linux release 7.9.2009 (Core)")],
        )
        .unwrap();
        assert_eq!(
            (info.id.as_str(), info.version_id.as_str()),
            ("centos", "7.9.2009")
        );
        let info = os_info(None, &[(ReleaseKind::Alpine, "3.10.4")]).unwrap();
        assert_eq!(
            (info.id.as_str(), info.version_id.as_str()),
            ("alpine", "3.10.4")
        );
    }

    #[test]
    fn rejects_text_that_is_not_os_release() {
        assert!(parse_os_release(b"hello world\n").is_err());
        assert!(parse_release_file(ReleaseKind::Debian, b"\n\n").is_err());
    }
}
