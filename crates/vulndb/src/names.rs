//! Package-name normalisation per namespace, applied identically when importing and matching
//! so that a lookup is one exact hash probe.

use std::borrow::Cow;

/// The normalised key of `name` in `namespace` (an OSV ecosystem or `distro:release`).
///
/// - PyPI: PEP 503 (lower case, runs of `-`, `_`, `.` become one `-`).
/// - crates.io: lower case, `_` as `-` (crates.io refuses names differing only so).
/// - NuGet and Packagist: lower case (both registries compare names case-insensitively).
/// - npm, Go, Maven, RubyGems and every distribution: exact (borrowed, no copy).
pub(crate) fn normalise<'n>(namespace: &str, name: &'n str) -> Cow<'n, str> {
    match namespace {
        "PyPI" => Cow::Owned(pep503(name)),
        "crates.io" => Cow::Owned(name.to_ascii_lowercase().replace('_', "-")),
        "NuGet" | "Packagist" => Cow::Owned(name.to_ascii_lowercase()),
        _ => Cow::Borrowed(name),
    }
}

pub(crate) fn pep503(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut in_sep = false;
    for c in name.trim().chars() {
        if matches!(c, '-' | '_' | '.') {
            if !in_sep {
                out.push('-');
            }
            in_sep = true;
        } else {
            out.push(c.to_ascii_lowercase());
            in_sep = false;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pep503_examples() {
        assert_eq!(pep503("Django"), "django");
        assert_eq!(pep503("zope.interface"), "zope-interface");
        assert_eq!(pep503("Foo__Bar-.baz"), "foo-bar-baz");
        assert_eq!(normalise("npm", "JSONStream"), "JSONStream");
        assert_eq!(normalise("crates.io", "Serde_JSON"), "serde-json");
    }
}
