//! Tar entry names to image paths. An image path is relative to the image root, `/`-separated,
//! without `.` components. Names that climb out of the root (`..`) or claim to be absolute, and
//! names that are not UTF-8, are refused: such an entry is reported and skipped, never followed.

/// Normalises a tar entry name. `Ok(None)` is the root directory itself.
pub(crate) fn normalize(raw: &[u8]) -> Result<Option<String>, String> {
    let name = std::str::from_utf8(raw)
        .map_err(|_| format!("non-UTF-8 entry name {:?}", String::from_utf8_lossy(raw)))?;
    if name.starts_with('/') {
        return Err(format!("absolute entry name {name:?}"));
    }
    let mut parts: Vec<&str> = Vec::new();
    for part in name.split('/') {
        match part {
            "" | "." => {}
            ".." => return Err(format!("entry name {name:?} climbs out of the image root")),
            p => parts.push(p),
        }
    }
    Ok((!parts.is_empty()).then(|| parts.join("/")))
}

/// Resolves a symlink target against the link's own path, inside the image root: `..` at the
/// root stays at the root, as it does inside a container. Returns the normalised path.
pub(crate) fn resolve_link(link_path: &str, target: &str) -> String {
    let mut parts: Vec<&str> = if target.starts_with('/') {
        Vec::new()
    } else {
        let mut p: Vec<&str> = link_path.split('/').collect();
        p.pop();
        p
    };
    for part in target.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    parts.join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_and_refuses() {
        assert_eq!(
            normalize(b"./etc/os-release").unwrap().as_deref(),
            Some("etc/os-release")
        );
        assert_eq!(
            normalize(b"usr//lib/./x/").unwrap().as_deref(),
            Some("usr/lib/x")
        );
        assert_eq!(normalize(b"./").unwrap(), None);
        assert!(normalize(b"../etc/passwd").unwrap_err().contains("climbs"));
        assert!(normalize(b"a/../../b").is_err());
        assert!(normalize(b"/etc/shadow").unwrap_err().contains("absolute"));
        assert!(normalize(b"caf\xe9").unwrap_err().contains("non-UTF-8"));
    }

    #[test]
    fn links_stay_inside_the_root() {
        assert_eq!(
            resolve_link("etc/os-release", "../usr/lib/os-release"),
            "usr/lib/os-release"
        );
        assert_eq!(
            resolve_link("etc/x", "../../../../etc/passwd"),
            "etc/passwd"
        );
        assert_eq!(
            resolve_link("a/b", "/usr/lib/os-release"),
            "usr/lib/os-release"
        );
    }
}
