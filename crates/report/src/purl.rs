//! Just enough of the package-URL syntax to decide whether a purl in a VEX statement or an
//! ignore rule names a package of the inventory: type, namespace and name must be equal, and
//! the version too when the statement gives one. Qualifiers (`?arch=…&distro=…`) and subpaths
//! are ignored, because VEX authors rarely write the distro qualifiers a scanner adds.

/// The parts of a purl that identify a package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PurlKey {
    pub(crate) kind: String,
    pub(crate) namespace: String,
    pub(crate) name: String,
    pub(crate) version: Option<String>,
}

fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2]))
        {
            out.push(h * 16 + l);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Parses `pkg:type/namespace/name@version?qualifiers#subpath`; `None` when it is not a purl.
pub(crate) fn parse(s: &str) -> Option<PurlKey> {
    let rest = s.trim().strip_prefix("pkg:")?;
    let rest = rest.split('#').next().unwrap_or(rest);
    let rest = rest.split('?').next().unwrap_or(rest);
    let (kind, path) = rest.split_once('/')?;
    let path = path.trim_matches('/');
    // The version separator is the last `@` after the last `/` (npm scopes start with `@`).
    let (path, version) = match path.rsplit_once('@') {
        Some((p, v)) if !v.contains('/') && !p.is_empty() => (p, Some(decode(v))),
        _ => (path, None),
    };
    let (namespace, name) = match path.rsplit_once('/') {
        Some((ns, n)) => (ns, n),
        None => ("", path),
    };
    if kind.is_empty() || name.is_empty() {
        return None;
    }
    Some(PurlKey {
        kind: kind.to_ascii_lowercase(),
        namespace: decode(namespace),
        name: decode(name),
        version: version.filter(|v| !v.is_empty()),
    })
}

impl PurlKey {
    /// True for purls that name a whole image rather than a package in it.
    pub(crate) fn is_image(&self) -> bool {
        matches!(self.kind.as_str(), "oci" | "docker")
    }

    /// Does this (statement) purl cover the package purl `pkg`?
    pub(crate) fn covers(&self, pkg: &PurlKey) -> bool {
        self.kind == pkg.kind
            && self.namespace.eq_ignore_ascii_case(&pkg.namespace)
            && self.name == pkg.name
            && self
                .version
                .as_ref()
                .is_none_or(|v| Some(v) == pkg.version.as_ref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_identifying_parts() {
        let p =
            parse("pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&distro=debian-12").unwrap();
        assert_eq!(p.kind, "deb");
        assert_eq!(p.namespace, "debian");
        assert_eq!(p.name, "libssl3");
        assert_eq!(p.version.as_deref(), Some("3.0.11-1~deb12u2"));
        let npm = parse("pkg:npm/%40babel/core@7.0.0").unwrap();
        assert_eq!(
            (npm.namespace.as_str(), npm.name.as_str()),
            ("@babel", "core")
        );
        let bare = parse("pkg:pypi/requests").unwrap();
        assert_eq!(bare.version, None);
        assert!(parse("pkg:oci/alpine@sha256%3Aabc").unwrap().is_image());
    }

    #[test]
    fn rejects_what_is_not_a_purl() {
        for s in [
            "",
            "pkg:",
            "pkg:deb",
            "pkg:/x",
            "deb/debian/x@1",
            "pkg:deb/",
        ] {
            assert!(parse(s).is_none(), "{s}");
        }
        // A truncated escape is kept literally rather than panicking.
        assert_eq!(parse("pkg:npm/x%4").unwrap().name, "x%4");
    }

    #[test]
    fn a_versionless_statement_covers_every_version() {
        let stmt = parse("pkg:apk/alpine/musl").unwrap();
        assert!(stmt.covers(&parse("pkg:apk/alpine/musl@1.1.22-r3?arch=x86_64").unwrap()));
        let pinned = parse("pkg:apk/alpine/musl@1.1.22-r4").unwrap();
        assert!(!pinned.covers(&parse("pkg:apk/alpine/musl@1.1.22-r3").unwrap()));
        assert!(!stmt.covers(&parse("pkg:apk/alpine/musl-utils@1.1.22-r3").unwrap()));
    }
}
