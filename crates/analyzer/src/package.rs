//! The one constructor of a detected [`Package`]: every detector (and the rpm database readers,
//! which sit beside the detectors rather than under them) starts from the fields all formats
//! know and fills in the rest itself. It lives below both so neither imports the other for it.

use crowsnest_model::{Package, PackageKind};

/// A package with only the fields every detector knows; the rest are filled by the caller.
pub(crate) fn package(kind: PackageKind, name: &str, version: &str, path: &str) -> Package {
    Package {
        kind,
        name: name.to_string(),
        version: version.to_string(),
        source_name: None,
        source_version: None,
        arch: None,
        module: None,
        path: format!("/{path}"),
        purl: None,
        license: None,
        layer_digest: None,
    }
}
