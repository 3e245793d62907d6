//! The public API on the committed ecosystems.

use crowsnest_version::{Ecosystem, compare, validate};
use std::cmp::Ordering::*;

#[test]
fn from_osv() {
    for (name, want) in [
        ("PyPI", Some(Ecosystem::Pep440)),
        ("Go", Some(Ecosystem::Go)),
        ("crates.io", Some(Ecosystem::Cargo)),
        ("npm", Some(Ecosystem::Npm)),
        ("Maven", Some(Ecosystem::Maven)),
        ("RubyGems", Some(Ecosystem::RubyGems)),
        ("Packagist", Some(Ecosystem::Composer)),
        ("NuGet", Some(Ecosystem::NuGet)),
        ("Debian", Some(Ecosystem::Dpkg)),
        ("Debian:12", Some(Ecosystem::Dpkg)),
        ("Ubuntu:22.04", Some(Ecosystem::Dpkg)),
        ("Ubuntu:Pro:18.04:LTS", Some(Ecosystem::Dpkg)),
        ("Alpine", Some(Ecosystem::Apk)),
        ("Alpine:v3.18", Some(Ecosystem::Apk)),
        ("AlmaLinux:9", Some(Ecosystem::Rpm)),
        ("Rocky Linux:9", Some(Ecosystem::Rpm)),
        ("Red Hat", Some(Ecosystem::Rpm)),
        ("Red Hat:enterprise_linux:9::baseos", Some(Ecosystem::Rpm)),
        ("pypi", None),
        ("GIT", None),
        ("", None),
    ] {
        assert_eq!(Ecosystem::from_osv(name), want, "{name}");
    }
}

#[test]
fn dpkg_basics() {
    let c = |a, b| compare(Ecosystem::Dpkg, a, b).unwrap();
    assert_eq!(c("1.0~rc1", "1.0"), Less);
    assert_eq!(c("1:0.1", "9.9"), Greater);
    assert_eq!(c("1.0", "1.0-0"), Equal);
    assert_eq!(c("1.0a", "1.0+"), Less);
    assert_eq!(c("1.0-1", "1.0-1~bpo1"), Greater);
    assert_eq!(c("2.30-1", "2.4-1"), Greater);
    assert!(validate(Ecosystem::Dpkg, "abc").is_err());
    assert!(validate(Ecosystem::Dpkg, "1.0-").is_err());
    assert!(validate(Ecosystem::Dpkg, ":1.0").is_err());
}

#[test]
fn semver_basics() {
    let c = |e, a, b| compare(e, a, b).unwrap();
    assert_eq!(c(Ecosystem::SemVer, "1.0.0-alpha", "1.0.0"), Less);
    assert_eq!(
        c(Ecosystem::SemVer, "1.0.0+build.1", "1.0.0+build.2"),
        Equal
    );
    assert_eq!(c(Ecosystem::Npm, "v1.2.3", "=1.2.3"), Equal);
    assert_eq!(c(Ecosystem::Go, "v1.2.3+incompatible", "1.2.3"), Equal);
    assert_eq!(c(Ecosystem::Go, "v1", "v1.0.0"), Equal);
    assert!(validate(Ecosystem::Cargo, "v1.2.3").is_err());
    assert!(validate(Ecosystem::SemVer, "01.2.3").is_err());
}
