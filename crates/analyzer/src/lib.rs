//! Image analysis: from layer streams to an [`Inventory`] of the OS and every installed package.
//!
//! Data flows in three steps. [`Analyzer::analyze_layer`] streams one layer blob (gzip, zstd or
//! plain tar, sniffed from its first bytes) through the tar reader and hands the few files that
//! detectors care about to them, producing a [`LayerFacts`]: a serialisable value, keyed by the
//! layer digest, that a scanner can cache so a layer shared by many images is read once.
//! [`merge`] then stacks the facts of an image's layers bottom to top, applies whiteouts and opaque
//! directories (top layer wins), resolves symlinks inside the image root, and builds the
//! [`Inventory`] with package URLs and the layer that introduced each package. [`ImageSource`]
//! opens the two on-disk image formats (OCI layout, `docker save` archive) and
//! [`Analyzer::analyze_source`] runs the whole pipeline on them; the registry client feeds
//! [`Analyzer::analyze_image`] instead. [`sbom`] writes inventories as native JSON, CycloneDX 1.5
//! and SPDX 2.3.
//!
//! Nothing from a layer is ever written to disk except into temporary files this crate creates
//! (an rpm SQLite database must be a file for SQLite to open it).

mod analyzer;
mod config;
mod detect;
mod error;
mod facts;
mod flags;
mod layer;
mod limits;
mod merge;
mod package;
mod purl;
mod rpm;
pub mod sbom;
mod source;

pub use analyzer::{Analyzer, LayerInput, NoProgress, Progress};
pub use config::ImageConfig;
pub use crowsnest_model::{ImageConfigFacts, Inventory, OsInfo, Package, PackageKind};
pub use error::{Error, ParseError};
pub use facts::{FileFacts, LayerFacts, OsFile};
pub use limits::Limits;
pub use merge::merge;
pub use source::{ImageRef, ImageSource, SourceLayer};

/// Parsers for single package databases and manifests, exposed so tests and other tools can run
/// one detector on one file without building a layer.
pub mod parse {
    pub use crate::detect::{
        apk::parse_installed as apk_installed, dotnet::parse_deps_json as dotnet_deps,
        dpkg::parse_status as dpkg_status, golang::parse_buildinfo as go_binary,
        java::parse_archive as java_archive, npm::parse_package_json as npm_package_json,
        npm::parse_package_lock as npm_package_lock, npm::parse_pnpm_lock as pnpm_lock,
        npm::parse_yarn_lock as yarn_lock, os::parse_os_release as os_release,
        php::parse_installed_json as composer_installed, python::parse_metadata as python_metadata,
        ruby::parse_gemspec as ruby_gemspec, rust::parse_auditable as rust_binary,
        rust::parse_cargo_lock as cargo_lock,
    };
    pub use crate::rpm::{
        RpmHeader, parse_bdb as rpm_bdb, parse_header as rpm_header, parse_ndb as rpm_ndb,
        parse_sqlite as rpm_sqlite,
    };
}
