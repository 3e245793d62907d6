//! rpm package databases in their three storage formats, and the header blobs they all store.
//!
//! Whatever the backend (BerkeleyDB hash `Packages`, NDB `Packages.db`, SQLite `rpmdb.sqlite`),
//! each installed package is one header blob; the backend modules only find the blobs, and
//! [`parse_header`] reads the tags we need from each. The databases are parsed from memory
//! (SQLite is first copied to a private temp file, because SQLite opens files).

mod bdb;
mod header;
mod ndb;
mod sqlite;

pub use bdb::parse_bdb;
pub use header::{RpmHeader, parse_header};
pub use ndb::parse_ndb;
pub use sqlite::parse_sqlite;

use crate::package::package;
use crowsnest_model::{Package, PackageKind};

/// Turns parsed headers into packages. `gpg-pubkey` entries are imported signing keys that rpm
/// lists like packages; they are not software and are left out.
pub(crate) fn packages(headers: Vec<RpmHeader>, path: &str) -> Vec<Package> {
    headers
        .into_iter()
        .filter(|h| h.name != "gpg-pubkey")
        .map(|h| {
            let mut p = package(PackageKind::Rpm, &h.name, &h.evr(), path);
            p.arch = h.arch.clone().filter(|a| !a.is_empty());
            if let Some((name, version)) = h.source_rpm.as_deref().and_then(split_source_rpm) {
                p.source_name = Some(name);
                p.source_version = Some(version);
            }
            p.module = h.modularity_label.clone().filter(|m| !m.is_empty());
            p.license = h.license.clone().filter(|l| !l.is_empty());
            p
        })
        .collect()
}

/// `openssl-3.0.7-2.el9.src.rpm` → (`openssl`, `3.0.7-2.el9`). The name may contain dashes, so
/// version and release are the last two dash-separated fields.
fn split_source_rpm(srpm: &str) -> Option<(String, String)> {
    let stem = srpm.strip_suffix(".rpm")?;
    let stem = stem.rsplit_once('.').map_or(stem, |(s, _arch)| s);
    let (rest, release) = stem.rsplit_once('-')?;
    let (name, version) = rest.rsplit_once('-')?;
    Some((name.to_string(), format!("{version}-{release}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_rpm_names_split_from_the_right() {
        assert_eq!(
            split_source_rpm("python-setuptools-53.0.0-12.el9.src.rpm"),
            Some(("python-setuptools".into(), "53.0.0-12.el9".into()))
        );
        assert_eq!(split_source_rpm("(none)"), None);
    }
}
