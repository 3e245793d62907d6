//! Exact version comparators for every ecosystem Crowsnest matches, and OSV range evaluation.
//!
//! Each ecosystem has its own module with the rules of the tool that defines its order, and
//! the tests check it against that tool wherever the tool runs on a Debian machine:
//!
//! | ecosystem | rules of | checked against (tests/differential.rs, tests/vectors.rs) |
//! |---|---|---|
//! | dpkg | dpkg's `parseversion` / `verrevcmp` | `dpkg --compare-versions`, `dpkg --validate-version`, apt_pkg |
//! | rpm | rpm 4.18 `rpmverCmp` / `rpmvercmp` (`~`, `^`) | python3-rpm `rpm.ver` |
//! | apk | apk-tools' current `version.c` tokenizer | apk-tools' test/version.data |
//! | PEP 440 | PyPA `packaging.version` (incl. its Unicode case folding) | `packaging` 23 |
//! | SemVer, crates.io | semver.org 2.0.0 §9–11 | semver.org examples and validity lists |
//! | npm | node-semver `clean()` + `compare()` | Debian's node-semver 7 |
//! | Go | golang.org/x/mod/semver (+ `v`-less OSV spelling) | x/mod/semver and pseudo-version cases |
//! | Maven | `ComparableVersion` (Maven 4 / master) | ComparableVersionTest, POM spec examples |
//! | RubyGems | `Gem::Version` | Ruby's RubyGems 3.3 |
//! | Composer | `VersionParser::normalize` + PHP `version_compare` | composer/semver 3.3 on PHP 8.2 |
//! | NuGet | NuGet.Versioning `NuGetVersion` + `VersionComparer.Default` | NuGet.Versioning cases |
//!
//! Nothing here does I/O, and nothing panics on malformed input: every comparator validates
//! both sides and returns a [`VersionError`] naming the ecosystem and the input.
//!
//! The entry points are [`compare`] and [`validate`]; [`Version`] parses once for repeated
//! comparisons; [`osv::evaluate`] applies an OSV record's `ranges` and `versions` to one
//! installed version.

use std::cmp::Ordering;
use std::fmt;

mod apk;
mod composer;
mod dpkg;
mod maven;
mod nuget;
mod num;
pub mod osv;
mod pep440;
mod rpm;
mod rubygems;
mod semver;

/// The version ordering to apply: one per family of package managers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Ecosystem {
    /// Debian and Ubuntu packages (`dpkg --compare-versions`).
    Dpkg,
    /// RPM packages (`rpmvercmp` on epoch, version, release).
    Rpm,
    /// Alpine / Wolfi packages (apk-tools).
    Apk,
    /// Python packages (PEP 440, as PyPA `packaging.version` orders them).
    Pep440,
    /// Plain SemVer 2.0.0 (strict: no `v` prefix).
    SemVer,
    /// npm: SemVer 2.0.0 as node-semver's `clean` reads it (leading `=`/`v`, surrounding spaces).
    Npm,
    /// crates.io: SemVer 2.0.0 (strict).
    Cargo,
    /// Go modules: SemVer 2.0.0 with optional `v`, `vMAJOR[.MINOR]` shorthands, `+incompatible`.
    Go,
    /// Maven (`org.apache.maven.artifact.versioning.ComparableVersion`).
    Maven,
    /// RubyGems (`Gem::Version`).
    RubyGems,
    /// Composer / Packagist (`VersionParser::normalize` then PHP `version_compare`).
    Composer,
    /// NuGet (`NuGetVersion`: SemVer 2.0.0 with a 4th number, case-insensitive labels).
    NuGet,
}

impl Ecosystem {
    /// Every ecosystem, in declaration order.
    pub const ALL: [Ecosystem; 12] = [
        Ecosystem::Dpkg,
        Ecosystem::Rpm,
        Ecosystem::Apk,
        Ecosystem::Pep440,
        Ecosystem::SemVer,
        Ecosystem::Npm,
        Ecosystem::Cargo,
        Ecosystem::Go,
        Ecosystem::Maven,
        Ecosystem::RubyGems,
        Ecosystem::Composer,
        Ecosystem::NuGet,
    ];

    /// Maps an OSV `affected[].package.ecosystem` value ("PyPI", "Go", "crates.io", "npm",
    /// "Maven", "RubyGems", "Packagist", "NuGet", "Debian", "Debian:12", "Ubuntu:22.04",
    /// "Alpine", "Alpine:v3.18", "AlmaLinux:9", "Rocky Linux:9", "Red Hat", ...) to the
    /// comparator to use; `None` if unknown (never a guess).
    pub fn from_osv(name: &str) -> Option<Ecosystem> {
        // OSV ecosystem names are case-sensitive; a suffix after ':' names a release.
        let base = name.split(':').next().unwrap_or(name).trim();
        Some(match base {
            "Debian" | "Ubuntu" => Ecosystem::Dpkg,
            "Alpine" | "Wolfi" | "Chainguard" | "MinimOS" => Ecosystem::Apk,
            "AlmaLinux" | "Rocky Linux" | "Red Hat" | "openSUSE" | "SUSE" | "Mageia"
            | "openEuler" | "Photon OS" | "Azure Linux" | "CentOS" | "Fedora" | "Oracle Linux" => {
                Ecosystem::Rpm
            }
            "PyPI" => Ecosystem::Pep440,
            "npm" => Ecosystem::Npm,
            "crates.io" => Ecosystem::Cargo,
            "Go" => Ecosystem::Go,
            "Maven" => Ecosystem::Maven,
            "RubyGems" => Ecosystem::RubyGems,
            "Packagist" => Ecosystem::Composer,
            "NuGet" => Ecosystem::NuGet,
            // Hex (Erlang/Elixir) versions are strict SemVer 2.0.0.
            "Hex" => Ecosystem::SemVer,
            _ => return None,
        })
    }

    /// A short stable name ("dpkg", "rpm", "apk", "pep440", "semver", "npm", "cargo", "go",
    /// "maven", "rubygems", "composer", "nuget").
    pub fn name(self) -> &'static str {
        match self {
            Ecosystem::Dpkg => "dpkg",
            Ecosystem::Rpm => "rpm",
            Ecosystem::Apk => "apk",
            Ecosystem::Pep440 => "pep440",
            Ecosystem::SemVer => "semver",
            Ecosystem::Npm => "npm",
            Ecosystem::Cargo => "cargo",
            Ecosystem::Go => "go",
            Ecosystem::Maven => "maven",
            Ecosystem::RubyGems => "rubygems",
            Ecosystem::Composer => "composer",
            Ecosystem::NuGet => "nuget",
        }
    }
}

impl fmt::Display for Ecosystem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A version string that the ecosystem's rules reject.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {ecosystem} version {input:?}: {reason}")]
pub struct VersionError {
    ecosystem: Ecosystem,
    input: String,
    reason: &'static str,
}

impl VersionError {
    pub(crate) fn new(ecosystem: Ecosystem, input: &str, reason: &'static str) -> Self {
        // Keep error values small even for absurd inputs.
        let input = if input.len() > 200 {
            let mut end = 200;
            while !input.is_char_boundary(end) {
                end -= 1;
            }
            format!("{}…", &input[..end])
        } else {
            input.to_owned()
        };
        VersionError {
            ecosystem,
            input,
            reason,
        }
    }
    /// The ecosystem whose rules rejected the input.
    pub fn ecosystem(&self) -> Ecosystem {
        self.ecosystem
    }
    /// The rejected input (cut at 200 bytes).
    pub fn input(&self) -> &str {
        &self.input
    }
    /// Why it was rejected.
    pub fn reason(&self) -> &'static str {
        self.reason
    }
}

/// Compares two versions under `eco`'s rules. Both must be valid ([`validate`]).
///
/// For [`Ecosystem::Rpm`] this is rpm's EVR comparison (`rpmverCmp`, as `rpm.ver` objects and
/// the `rpm.vercmp` Lua function do): a missing epoch is 0 and a missing release sorts before
/// any release, so `1.0` < `1.0-0`.
pub fn compare(eco: Ecosystem, a: &str, b: &str) -> Result<Ordering, VersionError> {
    let va = Version::parse(eco, a)?;
    let vb = Version::parse(eco, b)?;
    Ok(va.cmp_same(&vb))
}

/// Checks that `v` is a well-formed version under `eco`'s rules.
pub fn validate(eco: Ecosystem, v: &str) -> Result<(), VersionError> {
    Version::parse(eco, v).map(drop)
}

/// A version parsed once under an ecosystem's rules, to be compared many times (the parse
/// borrows the text and, except for Maven, RubyGems and Composer, allocates nothing).
#[derive(Debug, Clone)]
pub struct Version<'a> {
    text: &'a str,
    repr: Repr<'a>,
}

#[derive(Debug, Clone)]
enum Repr<'a> {
    Dpkg(dpkg::Dpkg<'a>),
    Rpm(rpm::Evr<'a>),
    Apk(apk::Apk<'a>),
    Pep440(pep440::Pep440<'a>),
    Sem(Ecosystem, semver::Sem<'a>),
    Maven(maven::Maven),
    RubyGems(rubygems::Gem<'a>),
    Composer(composer::Composer),
    NuGet(nuget::NuGet<'a>),
}

impl<'a> Version<'a> {
    /// Parses `text` under `eco`'s rules.
    pub fn parse(eco: Ecosystem, text: &'a str) -> Result<Version<'a>, VersionError> {
        let repr = match eco {
            Ecosystem::Dpkg => dpkg::parse(text).map(Repr::Dpkg),
            Ecosystem::Rpm => rpm::parse(text).map(Repr::Rpm),
            Ecosystem::Apk => apk::parse(text).map(Repr::Apk),
            Ecosystem::Pep440 => pep440::parse(text).map(Repr::Pep440),
            Ecosystem::SemVer | Ecosystem::Cargo => {
                semver::parse_strict(text).map(|v| Repr::Sem(eco, v))
            }
            Ecosystem::Npm => semver::parse_npm(text).map(|v| Repr::Sem(eco, v)),
            Ecosystem::Go => semver::parse_go(text).map(|v| Repr::Sem(eco, v)),
            Ecosystem::Maven => maven::parse(text).map(Repr::Maven),
            Ecosystem::RubyGems => rubygems::parse(text).map(Repr::RubyGems),
            Ecosystem::Composer => composer::parse(text).map(Repr::Composer),
            Ecosystem::NuGet => nuget::parse(text).map(Repr::NuGet),
        };
        repr.map(|repr| Version { text, repr })
            .map_err(|reason| VersionError::new(eco, text, reason))
    }

    /// The ecosystem whose rules parsed it.
    pub fn ecosystem(&self) -> Ecosystem {
        match &self.repr {
            Repr::Dpkg(_) => Ecosystem::Dpkg,
            Repr::Rpm(_) => Ecosystem::Rpm,
            Repr::Apk(_) => Ecosystem::Apk,
            Repr::Pep440(_) => Ecosystem::Pep440,
            Repr::Sem(e, _) => *e,
            Repr::Maven(_) => Ecosystem::Maven,
            Repr::RubyGems(_) => Ecosystem::RubyGems,
            Repr::Composer(_) => Ecosystem::Composer,
            Repr::NuGet(_) => Ecosystem::NuGet,
        }
    }

    /// The text it was parsed from.
    pub fn as_str(&self) -> &'a str {
        self.text
    }

    /// Orders two versions of the same ecosystem; `None` across ecosystems.
    pub fn compare(&self, other: &Version<'_>) -> Option<Ordering> {
        (self.ecosystem() == other.ecosystem()).then(|| self.cmp_same(other))
    }

    /// Orders two versions known to be of the same ecosystem.
    fn cmp_same(&self, other: &Version<'_>) -> Ordering {
        match (&self.repr, &other.repr) {
            (Repr::Dpkg(a), Repr::Dpkg(b)) => dpkg::cmp(a, b),
            (Repr::Rpm(a), Repr::Rpm(b)) => rpm::cmp(a, b),
            (Repr::Apk(a), Repr::Apk(b)) => apk::cmp(a, b),
            (Repr::Pep440(a), Repr::Pep440(b)) => pep440::cmp(a, b),
            (Repr::Sem(Ecosystem::Npm, a), Repr::Sem(_, b)) => semver::cmp_npm(a, b),
            (Repr::Sem(_, a), Repr::Sem(_, b)) => semver::cmp(a, b),
            (Repr::Maven(a), Repr::Maven(b)) => maven::cmp(a, b),
            (Repr::RubyGems(a), Repr::RubyGems(b)) => rubygems::cmp(a, b),
            (Repr::Composer(a), Repr::Composer(b)) => composer::cmp(a, b),
            (Repr::NuGet(a), Repr::NuGet(b)) => nuget::cmp(a, b),
            // Different ecosystems never reach here (see `compare`); any answer would be a guess.
            _ => Ordering::Equal,
        }
    }
}

impl PartialEq for Version<'_> {
    /// Equal in the ecosystem's order (`1.0` and `1.0.0` under PEP 440), not as text.
    fn eq(&self, other: &Self) -> bool {
        self.compare(other) == Some(Ordering::Equal)
    }
}

impl PartialOrd for Version<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        self.compare(other)
    }
}

impl fmt::Display for Version<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.text)
    }
}
