//! What an image contains: its operating system, every installed package, and the config facts
//! compliance checks need. Produced by the analyzer, consumed by the matcher and the reports.

use serde::{Deserialize, Serialize};

/// The ecosystem a package belongs to; decides which feed and which version rules apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PackageKind {
    Dpkg,
    Apk,
    Rpm,
    Python,
    Npm,
    Go,
    /// The Go toolchain (standard library) a Go binary was built with.
    GoStdlib,
    Java,
    Cargo,
    Gem,
    Composer,
    Nuget,
}

impl PackageKind {
    /// True for packages installed by the distribution's package manager.
    pub fn is_os(self) -> bool {
        matches!(
            self,
            PackageKind::Dpkg | PackageKind::Apk | PackageKind::Rpm
        )
    }
}

/// One installed package.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Package {
    pub kind: PackageKind,
    pub name: String,
    /// The version as the package database records it (for rpm: `[epoch:]version-release`).
    pub version: String,
    /// Source package name where it differs or is known (dpkg `Source:`, apk `origin`, rpm source rpm name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_name: Option<String>,
    /// Source package version (dpkg `Source: name (version)`); feeds keyed by source use it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arch: Option<String>,
    /// rpm modularity label (`name:stream:version:context`), used for RHEL module streams.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub module: Option<String>,
    /// Path of the file the package was found in (package DB, manifest, binary, jar).
    pub path: String,
    /// Package URL (purl spec).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purl: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub license: Option<String>,
    /// Digest (compressed blob digest) of the layer that introduced the package.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layer_digest: Option<String>,
}

/// The operating system of an image.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OsInfo {
    /// os-release `ID` (`debian`, `ubuntu`, `alpine`, `rhel`, `almalinux`, `rocky`, `centos`, …).
    pub id: String,
    /// os-release `VERSION_ID` (`12`, `22.04`, `3.18.4`, `9.3`).
    pub version_id: String,
    /// Release codename (`bookworm`, `jammy`) where known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub codename: Option<String>,
    /// os-release `PRETTY_NAME`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pretty_name: Option<String>,
    /// os-release `ID_LIKE` entries.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub id_like: Vec<String>,
    /// True for distroless images (dpkg `status.d` and no package manager).
    #[serde(default)]
    pub distroless: bool,
}

/// Facts from the image config that compliance checks read.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageConfigFacts {
    #[serde(default)]
    pub user: String,
    #[serde(default)]
    pub env: Vec<String>,
    #[serde(default)]
    pub exposed_ports: Vec<String>,
    #[serde(default)]
    pub healthcheck: bool,
    #[serde(default)]
    pub labels: std::collections::BTreeMap<String, String>,
    #[serde(default)]
    pub entrypoint: Vec<String>,
    #[serde(default)]
    pub cmd: Vec<String>,
    #[serde(default)]
    pub working_dir: String,
    /// RFC 3339 creation time from the config.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    #[serde(default)]
    pub history: Vec<HistoryEntry>,
}

/// One entry of the image config's history.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryEntry {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    #[serde(default)]
    pub created_by: String,
    #[serde(default)]
    pub empty_layer: bool,
    /// Digest of the layer this entry produced (None for empty layers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layer_digest: Option<String>,
}

/// Everything the analyzer found in one image.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Inventory {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os: Option<OsInfo>,
    pub packages: Vec<Package>,
    #[serde(default)]
    pub config: ImageConfigFacts,
    /// Per-part problems that did not stop the analysis (a corrupt rpm DB, a rejected tar entry).
    #[serde(default)]
    pub warnings: Vec<String>,
    /// Files that compliance checks care about (setuid binaries, private keys, …).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub flagged_files: Vec<FlaggedFile>,
}

/// Why a file was flagged for compliance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FileFlag {
    Setuid,
    Setgid,
    PrivateKey,
    CloudCredential,
    SshDaemon,
}

/// A file of the merged image that a compliance check reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlaggedFile {
    /// Path inside the image, without a leading `/`.
    pub path: String,
    pub mode: u32,
    pub flag: FileFlag,
    /// Digest of the layer that wrote it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layer_digest: Option<String>,
}
