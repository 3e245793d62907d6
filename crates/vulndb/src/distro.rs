//! Which namespace (and which version rules) an installed package is matched in. OS packages go
//! to their own distribution release only; language packages to their ecosystem. Anything this
//! module cannot place exactly is not matched, and says why.

use crowsnest_model::{OsInfo, Package, PackageKind};
use crowsnest_version::Ecosystem;
use std::borrow::Cow;

const DEBIAN: &[(&str, &str)] = &[
    ("3.0", "woody"),
    ("3.1", "sarge"),
    ("4", "etch"),
    ("5", "lenny"),
    ("6", "squeeze"),
    ("7", "wheezy"),
    ("8", "jessie"),
    ("9", "stretch"),
    ("10", "buster"),
    ("11", "bullseye"),
    ("12", "bookworm"),
    ("13", "trixie"),
    ("14", "forky"),
];

const UBUNTU: &[(&str, &str)] = &[
    ("12.04", "precise"),
    ("14.04", "trusty"),
    ("16.04", "xenial"),
    ("17.04", "zesty"),
    ("17.10", "artful"),
    ("18.04", "bionic"),
    ("18.10", "cosmic"),
    ("19.04", "disco"),
    ("19.10", "eoan"),
    ("20.04", "focal"),
    ("20.10", "groovy"),
    ("21.04", "hirsute"),
    ("21.10", "impish"),
    ("22.04", "jammy"),
    ("22.10", "kinetic"),
    ("23.04", "lunar"),
    ("23.10", "mantic"),
    ("24.04", "noble"),
    ("24.10", "oracular"),
    ("25.04", "plucky"),
    ("25.10", "questing"),
    ("26.04", "resolute"),
];

/// The Debian codename of a VERSION_ID (`12` and `12.4` → `bookworm`).
pub(crate) fn debian_codename(version_id: &str) -> Option<&'static str> {
    let major = version_id.split('.').next().unwrap_or(version_id);
    DEBIAN
        .iter()
        .find(|(v, _)| *v == version_id || *v == major)
        .map(|(_, c)| *c)
}

pub(crate) fn ubuntu_codename(version_id: &str) -> Option<&'static str> {
    let short: String = version_id.split('.').take(2).collect::<Vec<_>>().join(".");
    UBUNTU.iter().find(|(v, _)| *v == short).map(|(_, c)| *c)
}

/// The namespace OS packages of this OS are matched in, or why there is none.
pub(crate) fn os_namespace(os: &OsInfo) -> Result<(String, Ecosystem), String> {
    let id = os.id.to_ascii_lowercase();
    let vid = os.version_id.trim();
    let major = vid.split('.').next().unwrap_or("");
    let codename = os.codename.as_deref().filter(|c| !c.is_empty());
    match id.as_str() {
        "debian" => {
            let c = codename
                .map(str::to_string)
                .or_else(|| debian_codename(vid).map(str::to_string))
                .ok_or_else(|| format!("unknown Debian release {vid:?}"))?;
            Ok((format!("debian:{c}"), Ecosystem::Dpkg))
        }
        "ubuntu" => {
            let c = codename
                .map(str::to_string)
                .or_else(|| ubuntu_codename(vid).map(str::to_string))
                .ok_or_else(|| format!("unknown Ubuntu release {vid:?}"))?;
            Ok((format!("ubuntu:{c}"), Ecosystem::Dpkg))
        }
        "alpine" => {
            let mut parts = vid.split('.');
            match (parts.next(), parts.next()) {
                (Some(a), Some(b)) if !a.is_empty() && !b.is_empty() => {
                    Ok((format!("alpine:v{a}.{b}"), Ecosystem::Apk))
                }
                _ => Err(format!("Alpine release {vid:?} has no major.minor branch")),
            }
        }
        "almalinux" | "rocky" | "rhel" | "centos" if !major.is_empty() => {
            let family = match id.as_str() {
                "almalinux" => "almalinux",
                "rocky" => "rocky",
                _ => "redhat",
            };
            Ok((format!("{family}:{major}"), Ecosystem::Rpm))
        }
        // Amazon Linux: `2`, `2022`, `2023`; Amazon Linux 1 says its release date (`2018.03`).
        "amzn" if !major.is_empty() => {
            let release = if vid.contains('.') && major.len() == 4 {
                "1"
            } else {
                major
            };
            Ok((format!("amazon:{release}"), Ecosystem::Rpm))
        }
        "ol" if !major.is_empty() => Ok((format!("oracle:{major}"), Ecosystem::Rpm)),
        // SUSE publishes per service pack: `15.3` is 15 SP3, `15` the GA release.
        "sles" | "sles_sap" | "sled" if !major.is_empty() => {
            Ok((format!("sles:{vid}"), Ecosystem::Rpm))
        }
        "sle-micro" | "sle-micro-rancher" if !major.is_empty() => {
            Ok((format!("sle-micro:{vid}"), Ecosystem::Rpm))
        }
        "opensuse-leap" if !major.is_empty() => {
            Ok((format!("opensuse-leap:{vid}"), Ecosystem::Rpm))
        }
        // A rolling release: one namespace, whatever the snapshot date in VERSION_ID.
        "opensuse-tumbleweed" => Ok(("opensuse-tumbleweed".into(), Ecosystem::Rpm)),
        "photon" if !major.is_empty() => {
            let v = if vid.contains('.') {
                vid.to_string()
            } else {
                format!("{vid}.0")
            };
            Ok((format!("photon:{v}"), Ecosystem::Rpm))
        }
        // CBL-Mariner (`mariner`, 1.0 and 2.0) became Azure Linux (`azurelinux`, 3.0).
        "mariner" | "azurelinux" if !major.is_empty() => {
            let minor = vid.split('.').nth(1).unwrap_or("0");
            Ok((format!("{id}:{major}.{minor}"), Ecosystem::Rpm))
        }
        // Rolling apk distributions with one security feed each.
        "wolfi" | "chainguard" => Ok((id.clone(), Ecosystem::Apk)),
        other => Err(format!("no vulnerability feed for OS {other:?} {vid:?}")),
    }
}

/// The namespace for a `--distro` argument: `debian:12`, `debian:bookworm`, `ubuntu:22.04`,
/// `alpine:3.18.4`, `almalinux:9`, `rhel:8`, `amzn:2023`, `ol:8`, `sles:15.3`, `photon:3.0`,
/// `azurelinux:3.0` (os-release `ID:VERSION_ID`).
pub fn distro_namespace(spec: &str) -> Result<String, String> {
    let (id, release) = spec
        .split_once(':')
        .ok_or_else(|| format!("expected ID:RELEASE, e.g. debian:12, got {spec:?}"))?;
    let numeric = release.starts_with(|c: char| c.is_ascii_digit());
    let os = OsInfo {
        id: id.to_string(),
        version_id: if numeric {
            release.to_string()
        } else {
            String::new()
        },
        codename: (!numeric).then(|| release.to_string()),
        ..OsInfo::default()
    };
    os_namespace(&os).map(|(ns, _)| ns)
}

/// The ecosystem namespace of a language package kind.
pub(crate) fn language_namespace(kind: PackageKind) -> Option<(&'static str, Ecosystem)> {
    Some(match kind {
        PackageKind::Python => ("PyPI", Ecosystem::Pep440),
        PackageKind::Npm => ("npm", Ecosystem::Npm),
        PackageKind::Go | PackageKind::GoStdlib => ("Go", Ecosystem::Go),
        PackageKind::Java => ("Maven", Ecosystem::Maven),
        PackageKind::Cargo => ("crates.io", Ecosystem::Cargo),
        PackageKind::Gem => ("RubyGems", Ecosystem::RubyGems),
        PackageKind::Composer => ("Packagist", Ecosystem::Composer),
        PackageKind::Nuget => ("NuGet", Ecosystem::NuGet),
        PackageKind::Dpkg | PackageKind::Apk | PackageKind::Rpm => return None,
    })
}

/// The comparator for entries of a namespace (used by `db explain`).
pub(crate) fn namespace_ecosystem(ns: &str) -> Option<Ecosystem> {
    let family = ns.split(':').next().unwrap_or(ns);
    match family {
        "debian" | "ubuntu" => Some(Ecosystem::Dpkg),
        "alpine" => Some(Ecosystem::Apk),
        "almalinux"
        | "rocky"
        | "redhat"
        | "amazon"
        | "oracle"
        | "sles"
        | "sle-micro"
        | "opensuse-leap"
        | "opensuse-tumbleweed"
        | "photon"
        | "mariner"
        | "azurelinux" => Some(Ecosystem::Rpm),
        "wolfi" | "chainguard" => Some(Ecosystem::Apk),
        "nodejs" => Some(Ecosystem::Npm),
        "ruby-engine" => Some(Ecosystem::RubyGems),
        other => Ecosystem::from_osv(other),
    }
}

/// Where one package is looked up: namespace, comparator, names to probe, version to compare.
/// Borrows the package (and the inventory's OS namespace) so that placing a package costs no
/// allocation except a normalised language-package name.
#[derive(Debug, Clone)]
pub(crate) struct Target<'p> {
    pub(crate) namespace: &'p str,
    pub(crate) eco: Ecosystem,
    /// Normalised name, the source name for dpkg and apk packages.
    pub(crate) key: Cow<'p, str>,
    /// A second name to probe: an rpm's source name when it differs from the binary name.
    pub(crate) also: Option<&'p str>,
    pub(crate) version: &'p str,
    /// rpm module stream (`name:stream`) of the installed build.
    pub(crate) stream: Option<&'p str>,
}

impl Target<'_> {
    /// The names to probe, each once.
    pub(crate) fn keys(&self) -> impl Iterator<Item = &str> {
        std::iter::once(&*self.key).chain(self.also.filter(|a| *a != self.key))
    }
}

/// The OS namespace of an inventory, worked out once for all its packages.
pub(crate) type OsNamespace = Option<Result<(String, Ecosystem), String>>;

pub(crate) fn inventory_namespace(os: Option<&OsInfo>) -> OsNamespace {
    os.map(os_namespace)
}

/// Places one package; `None` when it cannot be placed exactly (then it is not matched).
pub(crate) fn target<'p>(os: &'p OsNamespace, pkg: &'p Package) -> Option<Target<'p>> {
    if pkg.kind.is_os() {
        let (namespace, eco) = os.as_ref()?.as_ref().ok()?;
        let expected = match pkg.kind {
            PackageKind::Dpkg => Ecosystem::Dpkg,
            PackageKind::Apk => Ecosystem::Apk,
            _ => Ecosystem::Rpm,
        };
        if expected != *eco {
            return None;
        }
        let source = pkg.source_name.as_deref().filter(|s| !s.is_empty());
        let (key, also, version) = match pkg.kind {
            // Debian and Ubuntu publish per source package and source version (binNMUs add
            // `+bN` to the binary version only).
            PackageKind::Dpkg => (
                source.unwrap_or(&pkg.name),
                None,
                pkg.source_version
                    .as_deref()
                    .filter(|v| !v.is_empty())
                    .unwrap_or(&pkg.version),
            ),
            // Alpine's secdb is keyed by origin package; binary and origin versions are equal.
            PackageKind::Apk => (source.unwrap_or(&pkg.name), None, pkg.version.as_str()),
            // RHEL-family errata list binary rpm names; VEX not-affected lists use source names.
            _ => (
                pkg.name.as_str(),
                source.filter(|s| *s != pkg.name),
                pkg.version.as_str(),
            ),
        };
        let stream = pkg.module.as_deref().and_then(|m| {
            let mut p = m.split(':');
            match (p.next(), p.next()) {
                // `name:stream`, a prefix of the module text.
                (Some(n), Some(s)) if !n.is_empty() => Some(&m[..n.len() + 1 + s.len()]),
                _ => None,
            }
        });
        return Some(Target {
            namespace,
            eco: *eco,
            key: Cow::Borrowed(key),
            also,
            version,
            stream,
        });
    }
    let (ns, eco) = language_namespace(pkg.kind)?;
    let (name, version) = match pkg.kind {
        // Go toolchain advisories are under the `stdlib` module with versions without `go`.
        PackageKind::GoStdlib => ("stdlib", pkg.version.trim_start_matches("go")),
        _ => (pkg.name.as_str(), pkg.version.as_str()),
    };
    Some(Target {
        namespace: ns,
        eco,
        key: crate::names::normalise(ns, name),
        also: None,
        version,
        stream: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn os(id: &str, v: &str) -> OsInfo {
        OsInfo {
            id: id.into(),
            version_id: v.into(),
            ..OsInfo::default()
        }
    }

    #[test]
    fn namespaces() {
        assert_eq!(
            os_namespace(&os("debian", "12")).unwrap().0,
            "debian:bookworm"
        );
        assert_eq!(
            os_namespace(&os("debian", "10")).unwrap().0,
            "debian:buster"
        );
        assert_eq!(
            os_namespace(&os("ubuntu", "22.04")).unwrap().0,
            "ubuntu:jammy"
        );
        assert_eq!(
            os_namespace(&os("alpine", "3.18.4")).unwrap().0,
            "alpine:v3.18"
        );
        assert_eq!(
            os_namespace(&os("almalinux", "9.3")).unwrap().0,
            "almalinux:9"
        );
        assert_eq!(os_namespace(&os("rhel", "8.9")).unwrap().0, "redhat:8");
        for (id, v, ns) in [
            ("amzn", "2018.03", "amazon:1"),
            ("amzn", "2", "amazon:2"),
            ("amzn", "2023", "amazon:2023"),
            ("ol", "8.9", "oracle:8"),
            ("sles", "15.3", "sles:15.3"),
            ("sles", "15", "sles:15"),
            ("opensuse-leap", "15.1", "opensuse-leap:15.1"),
            ("opensuse-tumbleweed", "20240607", "opensuse-tumbleweed"),
            ("photon", "3.0", "photon:3.0"),
            ("mariner", "2.0", "mariner:2.0"),
            ("azurelinux", "3.0", "azurelinux:3.0"),
            ("wolfi", "20230201", "wolfi"),
            ("chainguard", "20230214", "chainguard"),
            ("ubuntu", "24.04", "ubuntu:noble"),
            ("debian", "13", "debian:trixie"),
        ] {
            assert_eq!(os_namespace(&os(id, v)).unwrap().0, ns, "{id} {v}");
        }
        assert!(os_namespace(&os("alpine", "edge")).is_err());
        assert!(os_namespace(&os("plan9", "4")).is_err());
    }
}
