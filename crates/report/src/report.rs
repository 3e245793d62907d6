//! What every writer reads: the kept findings of one image, its inventory (for package paths,
//! purls and the full package list) and the VEX notes; plus the grouping of packages into
//! targets (the OS packages, then one target per language ecosystem), as the table shows them.

use crowsnest_model::{Finding, Inventory, OsInfo, Package, PackageKind};
use std::collections::{BTreeMap, HashMap};

/// A filtered scan, ready to be written.
#[derive(Debug)]
pub struct Report<'a> {
    /// The image as the user named it.
    pub subject: &'a str,
    pub inventory: &'a Inventory,
    /// Findings left after filtering, in the matcher's order.
    pub findings: &'a [Finding],
    /// Notes by (vulnerability id, package name): VEX states that keep a finding.
    pub notes: &'a BTreeMap<(String, String), String>,
}

/// Where a package lives, for grouping: the OS, or one language ecosystem.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Target {
    Os,
    Python,
    Node,
    Java,
    Go,
    Rust,
    Ruby,
    Php,
    Dotnet,
}

/// The target a package kind is reported under.
pub fn target_of(kind: PackageKind) -> Target {
    match kind {
        PackageKind::Dpkg | PackageKind::Apk | PackageKind::Rpm => Target::Os,
        PackageKind::Python => Target::Python,
        PackageKind::Npm => Target::Node,
        PackageKind::Java => Target::Java,
        PackageKind::Go | PackageKind::GoStdlib => Target::Go,
        PackageKind::Cargo => Target::Rust,
        PackageKind::Gem => Target::Ruby,
        PackageKind::Composer => Target::Php,
        PackageKind::Nuget => Target::Dotnet,
    }
}

impl Target {
    /// The heading: `Debian GNU/Linux 12 (bookworm) (OS packages)`, `Python packages`, …
    pub fn title(self, os: Option<&OsInfo>) -> String {
        match self {
            Target::Os => {
                let name = os
                    .map(|o| {
                        o.pretty_name
                            .clone()
                            .unwrap_or_else(|| format!("{} {}", o.id, o.version_id))
                    })
                    .unwrap_or_else(|| "unknown OS".into());
                format!("{name} (OS packages)")
            }
            Target::Python => "Python packages".into(),
            Target::Node => "Node.js packages".into(),
            Target::Java => "Java archives".into(),
            Target::Go => "Go binaries".into(),
            Target::Rust => "Rust binaries".into(),
            Target::Ruby => "Ruby gems".into(),
            Target::Php => "PHP Composer packages".into(),
            Target::Dotnet => ".NET packages".into(),
        }
    }
}

/// Finds the inventory package a finding is about.
#[derive(Debug)]
pub(crate) struct PackageIndex<'a> {
    by_key: HashMap<(PackageKind, &'a str, &'a str), &'a Package>,
}

impl<'a> PackageIndex<'a> {
    pub(crate) fn new(inv: &'a Inventory) -> Self {
        let mut by_key = HashMap::with_capacity(inv.packages.len());
        for p in &inv.packages {
            by_key
                .entry((p.kind, p.name.as_str(), p.version.as_str()))
                .or_insert(p);
        }
        PackageIndex { by_key }
    }

    pub(crate) fn get(&self, f: &Finding) -> Option<&'a Package> {
        self.by_key
            .get(&(
                f.package_kind,
                f.package_name.as_str(),
                f.package_version.as_str(),
            ))
            .copied()
    }
}

impl Report<'_> {
    pub(crate) fn note(&self, f: &Finding) -> Option<&str> {
        self.notes
            .get(&(f.id.clone(), f.package_name.clone()))
            .map(String::as_str)
    }
}

/// The first fixed version of a finding, if any.
pub(crate) fn fixed_version(f: &Finding) -> Option<&str> {
    match &f.fix {
        crowsnest_model::FixStatus::Fixed(v) => Some(v),
        _ => None,
    }
}

/// The fix state in the words the table and SARIF use.
pub(crate) fn status_word(f: &Finding) -> &'static str {
    match &f.fix {
        crowsnest_model::FixStatus::Fixed(_) => "fixed",
        crowsnest_model::FixStatus::Open => "affected",
        crowsnest_model::FixStatus::WillNotFix => "will_not_fix",
        crowsnest_model::FixStatus::Deferred => "fix_deferred",
    }
}
