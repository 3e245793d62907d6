//! [`LayerFacts`]: what one layer contributes to an image, as a plain serialisable value.
//!
//! A layer is analysed once, on its own, with no knowledge of the layers below it; the facts hold
//! every file of interest the layer added or replaced (already parsed into packages or OS facts),
//! every path it deleted, and every problem met on the way. Caching these by layer digest is what
//! lets the scanner skip layers it has already seen. [`crate::merge`] stacks them into an image.

use crowsnest_model::Package;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Everything one layer contributes. Paths are relative to the image root, without a leading `/`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LayerFacts {
    /// Digest of the layer blob (as the manifest names it).
    pub digest: String,
    /// Files of interest this layer wrote, by path.
    pub files: BTreeMap<String, FileFacts>,
    /// Paths this layer deletes from the layers below (`.wh.<name>`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub whiteouts: Vec<String>,
    /// Directories whose lower-layer contents this layer hides (`.wh..wh..opq`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub opaque_dirs: Vec<String>,
    /// Problems with single entries or with the whole layer; the analysis went on.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// False when the layer stream ended early (truncated, corrupt, over the size cap): the facts
    /// hold what came before the failure and must not be cached as the layer's final answer.
    pub complete: bool,
    /// Decompressed bytes read.
    pub uncompressed_bytes: u64,
    /// Files flagged for compliance (setuid/setgid, private keys, cloud credentials, sshd).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub flagged: Vec<crowsnest_model::inventory::FlaggedFile>,
}

/// What one file of interest contributes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum FileFacts {
    /// Packages recorded by this file (a package DB, a manifest, a binary, an archive).
    Packages { packages: Vec<Package> },
    /// An OS identification file.
    Os { os: OsFile },
    /// A symlink whose own path is of interest; resolved at merge inside the image root.
    Symlink { target: String },
    /// A hard link to another path of this or a lower layer.
    HardLink { target: String },
    /// A file at a path of interest that turned out to hold nothing (a shell script where an
    /// executable may be, a manifest without a version). Recorded because it still replaces
    /// whatever a lower layer had at the same path.
    Nothing,
    /// A file of interest that could not be parsed; its error is among the layer's warnings.
    /// It still hides whatever a lower layer had at the same path.
    Unreadable { error: String },
}

/// The parsed content of an OS identification file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "file", rename_all = "snake_case")]
pub enum OsFile {
    /// `/etc/os-release` or `/usr/lib/os-release`: the key/value pairs.
    OsRelease { fields: BTreeMap<String, String> },
    /// `/etc/debian_version`, `/etc/alpine-release`, `/etc/redhat-release` and friends: the
    /// first line.
    Release { kind: ReleaseKind, text: String },
}

/// Which single-line release file an [`OsFile::Release`] came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReleaseKind {
    Debian,
    Alpine,
    Redhat,
}
