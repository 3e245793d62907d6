//! Detectors: which paths are worth reading, and what each kind of file says.
//!
//! The layer walker asks [`classify`] about every entry by path (and mode); only entries with an
//! [`Interest`] are read into memory, up to the cap [`cap_for`] gives, and handed to [`detect`],
//! which dispatches to the detector module for that format. Each detector is a pure function from
//! bytes to packages or OS facts, so each is tested on real files without building a layer.

pub(crate) mod apk;
pub(crate) mod dotnet;
pub(crate) mod dpkg;
pub(crate) mod golang;
pub(crate) mod java;
pub(crate) mod npm;
pub(crate) mod os;
pub(crate) mod php;
pub(crate) mod python;
pub(crate) mod ruby;
pub(crate) mod rust;

use crate::error::ParseError;
use crate::facts::{FileFacts, ReleaseKind};
use crate::limits::Limits;
pub(crate) use crate::package::package;
use crowsnest_model::Package;

/// Why a path is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Interest {
    OsRelease,
    Release(ReleaseKind),
    DpkgStatus,
    DpkgStatusD,
    ApkInstalled,
    RpmBdb,
    RpmNdb,
    RpmSqlite,
    PythonMetadata,
    PythonEggZip,
    NpmPackageJson,
    NpmLock,
    YarnLock,
    PnpmLock,
    JavaArchive,
    CargoLock,
    Gemspec,
    ComposerInstalled,
    DotnetDeps,
    /// An executable: inspected for Go build info and a cargo-auditable section if its magic
    /// bytes say it is an object file.
    Executable,
}

/// Dpkg's per-package side files that sit next to status.d entries but are not stanzas.
const DPKG_SIDE_FILES: &[&str] = &[
    ".md5sums",
    ".preinst",
    ".postinst",
    ".prerm",
    ".postrm",
    ".conffiles",
    ".list",
    ".shlibs",
    ".triggers",
    ".symbols",
    ".templates",
    ".config",
];

/// Decides from the path (relative, normalised) and the tar mode whether a file is read.
pub(crate) fn classify(path: &str, mode: u32) -> Option<Interest> {
    let (dir, name) = match path.rsplit_once('/') {
        Some((d, n)) => (d, n),
        None => ("", path),
    };
    let interest = match path {
        "etc/os-release" | "usr/lib/os-release" => Some(Interest::OsRelease),
        "etc/debian_version" => Some(Interest::Release(ReleaseKind::Debian)),
        "etc/alpine-release" => Some(Interest::Release(ReleaseKind::Alpine)),
        "etc/redhat-release" => Some(Interest::Release(ReleaseKind::Redhat)),
        "var/lib/dpkg/status" => Some(Interest::DpkgStatus),
        "lib/apk/db/installed" => Some(Interest::ApkInstalled),
        _ => None,
    };
    if interest.is_some() {
        return interest;
    }
    if dir == "var/lib/dpkg/status.d" {
        return (!DPKG_SIDE_FILES.iter().any(|s| name.ends_with(s)))
            .then_some(Interest::DpkgStatusD);
    }
    if dir == "var/lib/rpm" || dir == "usr/lib/sysimage/rpm" {
        return match name {
            "Packages" => Some(Interest::RpmBdb),
            "Packages.db" => Some(Interest::RpmNdb),
            "rpmdb.sqlite" => Some(Interest::RpmSqlite),
            _ => None,
        };
    }
    let in_node_modules = path.contains("node_modules/");
    match name {
        "METADATA" if dir.ends_with(".dist-info") => return Some(Interest::PythonMetadata),
        "PKG-INFO" if dir.ends_with(".egg-info") || dir.ends_with("EGG-INFO") => {
            return Some(Interest::PythonMetadata);
        }
        "package.json" if in_node_modules && is_node_module_dir(dir) => {
            return Some(Interest::NpmPackageJson);
        }
        "package-lock.json" if !in_node_modules => return Some(Interest::NpmLock),
        "yarn.lock" if !in_node_modules => return Some(Interest::YarnLock),
        "pnpm-lock.yaml" if !in_node_modules => return Some(Interest::PnpmLock),
        "Cargo.lock" if !path.contains(".cargo/registry/") => return Some(Interest::CargoLock),
        "installed.json" if dir == "vendor/composer" || dir.ends_with("/vendor/composer") => {
            return Some(Interest::ComposerInstalled);
        }
        _ => {}
    }
    if name.ends_with(".gemspec") && (dir == "specifications" || dir.ends_with("/specifications")) {
        return Some(Interest::Gemspec);
    }
    if name.ends_with(".deps.json") {
        return Some(Interest::DotnetDeps);
    }
    if name.ends_with(".egg-info") {
        return Some(Interest::PythonMetadata);
    }
    let lower_ext = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
    match lower_ext.as_deref() {
        Some("jar" | "war" | "ear" | "jpi" | "hpi") => return Some(Interest::JavaArchive),
        Some("egg") => return Some(Interest::PythonEggZip),
        _ => {}
    }
    (mode & 0o111 != 0).then_some(Interest::Executable)
}

/// `…/node_modules/<name>` or `…/node_modules/@scope/<name>`.
fn is_node_module_dir(dir: &str) -> bool {
    let Some((parent, _)) = dir.rsplit_once('/') else {
        return false;
    };
    if parent == "node_modules" || parent.ends_with("/node_modules") {
        return true;
    }
    match parent.rsplit_once('/') {
        Some((grand, scope)) => {
            scope.starts_with('@') && (grand == "node_modules" || grand.ends_with("/node_modules"))
        }
        None => false,
    }
}

/// How many bytes of a file with this interest may be held in memory.
pub(crate) fn cap_for(interest: Interest, limits: &Limits) -> u64 {
    match interest {
        Interest::RpmBdb | Interest::RpmNdb | Interest::RpmSqlite => limits.max_db_bytes,
        Interest::JavaArchive | Interest::PythonEggZip | Interest::Executable => {
            limits.max_binary_bytes
        }
        _ => limits.max_file_bytes,
    }
}

/// Runs the detector for `interest` on a whole file. `Ok(None)` means "not ours after all"
/// (an executable that is neither Go nor cargo-auditable), which records nothing.
pub(crate) fn detect(
    interest: Interest,
    path: &str,
    data: &[u8],
    limits: &Limits,
) -> Result<Option<FileFacts>, ParseError> {
    let packages = |p: Vec<Package>| Ok(Some(FileFacts::Packages { packages: p }));
    match interest {
        Interest::OsRelease => Ok(Some(FileFacts::Os {
            os: os::parse_os_release(data)?,
        })),
        Interest::Release(kind) => Ok(Some(FileFacts::Os {
            os: os::parse_release_file(kind, data)?,
        })),
        Interest::DpkgStatus | Interest::DpkgStatusD => packages(dpkg::parse_status(data, path)?),
        Interest::ApkInstalled => packages(apk::parse_installed(data, path)?),
        Interest::RpmBdb => packages(crate::rpm::packages(crate::rpm::parse_bdb(data)?, path)),
        Interest::RpmNdb => packages(crate::rpm::packages(crate::rpm::parse_ndb(data)?, path)),
        Interest::RpmSqlite => {
            packages(crate::rpm::packages(crate::rpm::parse_sqlite(data)?, path))
        }
        Interest::PythonMetadata => packages(vec![python::parse_metadata(data, path)?]),
        Interest::PythonEggZip => packages(python::parse_egg_zip(data, path)?),
        Interest::NpmPackageJson => {
            packages(npm::parse_package_json(data, path)?.into_iter().collect())
        }
        Interest::NpmLock => packages(npm::parse_package_lock(data, path)?),
        Interest::YarnLock => packages(npm::parse_yarn_lock(data, path)?),
        Interest::PnpmLock => packages(npm::parse_pnpm_lock(data, path)?),
        Interest::JavaArchive => packages(java::parse_archive(data, path, limits)?),
        Interest::CargoLock => packages(rust::parse_cargo_lock(data, path)?),
        Interest::Gemspec => packages(ruby::parse_gemspec(data, path)?.into_iter().collect()),
        Interest::ComposerInstalled => packages(php::parse_installed_json(data, path)?),
        Interest::DotnetDeps => packages(dotnet::parse_deps_json(data, path)?),
        Interest::Executable => {
            let mut found = golang::parse_buildinfo(data, path)?;
            found.extend(rust::parse_auditable(data, path)?);
            if found.is_empty() {
                Ok(None)
            } else {
                packages(found)
            }
        }
    }
}

/// Splits RFC 822-style text (dpkg status, apk installed, Python METADATA headers) into
/// paragraphs separated by blank lines, yielding each paragraph's lines.
pub(crate) fn paragraphs(text: &str) -> impl Iterator<Item = Vec<&str>> {
    let mut lines = text.lines().peekable();
    std::iter::from_fn(move || {
        while lines.peek().is_some_and(|l| l.trim().is_empty()) {
            lines.next();
        }
        lines.peek()?;
        let mut para = Vec::new();
        while let Some(l) = lines.peek() {
            if l.trim().is_empty() {
                break;
            }
            para.push(*l);
            lines.next();
        }
        Some(para)
    })
}

/// Decodes bytes as UTF-8, replacing invalid sequences: package metadata in the wild is mostly
/// UTF-8 with the odd Latin-1 maintainer name, which must not lose the whole file.
pub(crate) fn text(data: &[u8]) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(data)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_the_paths_detectors_want() {
        assert_eq!(classify("etc/os-release", 0o644), Some(Interest::OsRelease));
        assert_eq!(
            classify("var/lib/dpkg/status", 0o644),
            Some(Interest::DpkgStatus)
        );
        assert_eq!(
            classify("var/lib/dpkg/status.d/libc6", 0o644),
            Some(Interest::DpkgStatusD)
        );
        assert_eq!(classify("var/lib/dpkg/status.d/libc6.md5sums", 0o644), None);
        assert_eq!(
            classify("usr/lib/sysimage/rpm/rpmdb.sqlite", 0o644),
            Some(Interest::RpmSqlite)
        );
        assert_eq!(
            classify("app/node_modules/@types/node/package.json", 0o644),
            Some(Interest::NpmPackageJson)
        );
        assert_eq!(classify("app/node_modules/x/lib/package.json", 0o644), None);
        assert_eq!(
            classify("app/package-lock.json", 0o644),
            Some(Interest::NpmLock)
        );
        assert_eq!(classify("app/node_modules/.package-lock.json", 0o644), None);
        assert_eq!(
            classify(
                "usr/lib/python3/dist-packages/yaml-6.0.dist-info/METADATA",
                0o644
            ),
            Some(Interest::PythonMetadata)
        );
        assert_eq!(
            classify("app/lib/App.JAR", 0o644),
            Some(Interest::JavaArchive)
        );
        assert_eq!(classify("usr/bin/fzf", 0o755), Some(Interest::Executable));
        assert_eq!(classify("usr/share/doc/README", 0o644), None);
    }
}
