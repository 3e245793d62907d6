//! Prisma's package types, as the three places that name them spell them: results say
//! `pkgsType` (`package`, `jar`, `nodejs`…) with a numeric type id, vulnerability rules set
//! per-type thresholds by the same names, and the results CSV shows a label per id.
//!
//! OS packages are `package`/46, jar 47, gem 48, nodejs 49, python 410, go 416, nuget 415; Rust
//! crates and PHP Composer packages have no Prisma type of their own and are reported as
//! `binary`/411 and `app`/411.

use crowsnest_model::PackageKind;

/// Prisma's `pkgsType` and package-type id for a package kind.
pub fn package_type(kind: PackageKind) -> (&'static str, i64) {
    match kind {
        PackageKind::Dpkg | PackageKind::Apk | PackageKind::Rpm => ("package", 46),
        PackageKind::Java => ("jar", 47),
        PackageKind::Gem => ("gem", 48),
        PackageKind::Npm => ("nodejs", 49),
        PackageKind::Python => ("python", 410),
        PackageKind::Nuget => ("nuget", 415),
        PackageKind::Go | PackageKind::GoStdlib => ("go", 416),
        PackageKind::Cargo => ("binary", 411),
        PackageKind::Composer => ("app", 411),
    }
}

/// The label of a package-type id (the CSV's `Type` column).
pub fn package_type_label(id: i64) -> &'static str {
    match id {
        46 => "OS",
        47 => "JAR",
        48 => "Gem",
        49 => "Node.js",
        410 => "Python",
        411 => "Binary",
        412 => "Custom",
        415 => "NuGet",
        416 => "Go",
        _ => "Compliance",
    }
}

/// Whether a rule's package type names this `pkgsType`; the OS type has two spellings in the
/// wild (`os` and `package`).
pub(crate) fn same_pkg_type(rule_type: &str, pkgs_type: &str) -> bool {
    let canon = |t: &str| match t.trim().to_ascii_lowercase().as_str() {
        "os" | "package" => "package".to_string(),
        other => other.to_string(),
    };
    canon(rule_type) == canon(pkgs_type)
}
