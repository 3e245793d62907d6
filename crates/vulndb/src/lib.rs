//! Crowsnest's vulnerability database: feed importers, the local database file, and the matcher
//! that turns an image [`Inventory`](crowsnest_model::Inventory) into
//! [`Finding`](crowsnest_model::Finding)s.
//!
//! Data flows one way: [`Database::build`] walks feed directories and `.tar.gz` archives
//! (`import`), recognises each upstream format, and normalises every record into advisories and
//! per-package rules keyed by *(namespace, normalised package name)*; [`Database::write_atomic`]
//! stores them; [`Database::open`] loads them; a [`Matcher`] evaluates an inventory's packages
//! against them with `crowsnest-version`'s comparators. The matcher parses each installed
//! version once, and compiles the rules of a package name (their versions parsed) the first time
//! it looks that name up, keeping them for the rest of its life: reuse one matcher for many
//! inventories where you can; a fresh one per image is cheap but starts with an empty cache.
//!
//! # The database file
//!
//! `<data-dir>/vulndb/crowsnest.db`: magic `CRWSNDB\n`, a format version, a small postcard
//! header ([`DbStatus`]: per-source counts and data dates, readable without decompressing), then
//! one zstd frame holding the postcard payload (advisories; the distinct rules and vendor notes,
//! each stored once; entries sorted by namespace and name, each pointing at its advisory, rule
//! and note; the name index; per-CVE enrichment). Writes go to a temporary file, are fsynced and renamed
//! over the old file, so a scan that opened the old database keeps a consistent copy.
//!
//! # Matching rules
//!
//! 1. **OS packages match only their own distribution release's feed.** Never language feeds,
//!    never CPEs. An OS the database has no namespace for gives no findings (it is not guessed).
//!    - Debian (`debian:<codename>`; VERSION_ID 12 → bookworm): by the **source** package and
//!      the **source** version (dpkg `Source: name (version)`), compared with dpkg rules.
//!      Sources: DSA/DLA/DTSA lists (per-release fixed versions), the tracker's `data/CVE/list`
//!      and JSON. Tags: `<not-affected>` → not affected; `<unfixed>` → open; `<no-dsa>`,
//!      `<ignored>`, `<end-of-life>` → will not fix; `<postponed>` → deferred. In `data/CVE/list`
//!      an unstable line (`- pkg version`) applies to every release without its own line.
//!    - Ubuntu (`ubuntu:<codename>`; 22.04 → jammy): by source package, from the Ubuntu CVE
//!      Tracker: `released (v)` → fixed in v; `needed`/`needs-triage`/`pending`/`active` → open;
//!      `deferred` → deferred; `ignored` → will not fix; `not-affected` → not affected; `DNE`
//!      → nothing; `released` without a version is treated as fixed in every version.
//!    - Alpine (`alpine:v<major>.<minor>`; 3.18.4 → v3.18): by origin package, secdb
//!      `secfixes`; a fixed version `0` means not affected.
//!    - AlmaLinux (`almalinux:<major>`), Rocky (`rocky:<major>`), RHEL/CentOS
//!      (`redhat:<major>`, from Red Hat CSAF VEX): by binary rpm name (and source rpm name),
//!      rpm EVR rules (missing epoch = 0). Errata built in a module apply only to installed
//!      builds of the same `module:stream` (from the erratum title, e.g. `container-tools:4.0`);
//!      non-modular errata only to non-modular builds. Sources: the OSV exports and AlmaLinux's
//!      `errata.json` (combined to the newest fix, like DSA follow-ups).
//!    - Amazon Linux (`amazon:1|2|2022|2023`; os-release `amzn`, `2018.03` → 1): ALAS
//!      `updateinfo.xml`, by binary rpm name, the release taken from the ALAS id prefix.
//!    - Oracle Linux (`oracle:<major>`), SUSE (`sles:15.3`, `sles:15` for GA, `sle-micro:5.2`,
//!      `opensuse-leap:15.5`, `opensuse-tumbleweed`), Photon (`photon:3.0`), Azure Linux /
//!      CBL-Mariner (`azurelinux:3.0`, `mariner:2.0`): vendor OVAL (`rpminfo` tests:
//!      `< evr` a fix, other comparisons an interval, `<= evr` with no fix open), SUSE CSAF
//!      (`recommended` = fixed), Photon's CVE metadata JSON; rpm rules, binary and source rpm
//!      name both probed (Azure Linux publishes by source name). Oracle module errata follow the
//!      AlmaLinux stream rule (stream from the ELSA title). Oracle Ksplice builds go to
//!      `oracle:<major>:ksplice` and never meet plain packages; per-architecture fixes of one
//!      name combine to the newest (the architecture is not checked).
//!    - Wolfi (`wolfi`) and Chainguard (`chainguard`), rolling: their secdb (`security.json`,
//!      Alpine's shape), by origin package, apk rules.
//!    - Debian and Ubuntu releases newer than the tracker snapshot (Debian 13, Ubuntu 24.04…)
//!      and Alpine branches after v3.11 are also read from their OSV exports (`Debian:13`,
//!      `Ubuntu:24.04:LTS`, `Alpine:v3.22`), by source package. Ubuntu Pro (ESM) streams are
//!      not plain images' packages and are not imported.
//!
//!    When several feeds speak for one id and package in one namespace (a vendor's OVAL and its
//!    CSAF or JSON, an OSV export and the tracker), a vendor "not affected" wins, then the
//!    newest fix of the `FixedIn` rules, then an open/deferred/will-not-fix status, then OSV
//!    ranges. The NVD only enriches (CVSS, dates): it never creates or removes a finding, except
//!    that a CVE it marks `Rejected` produces none (rule 3).
//! 2. **Language packages match their ecosystem's advisories** with exact name normalisation:
//!    PyPI by PEP 503 (lower case, runs of `-_.` → `-`); crates.io lower case with `_` = `-`;
//!    NuGet and Packagist lower case; npm, Go module paths, Maven `group:artifact` and RubyGems
//!    exactly. OSV `ranges` (`introduced`/`fixed`/`last_affected`/`limit`; `GIT` ignored) and
//!    `versions` follow the OSV evaluation rules; rubysec is affected when a version matches
//!    neither `patched_versions` nor `unaffected_versions`; FriendsOfPHP branches and
//!    nodejs-security-wg ranges are affected intervals. The Go toolchain is `stdlib` in `Go`.
//! 3. **Withdrawn/rejected records are skipped**, and a CVE id any feed says was rejected
//!    (NVD `vulnStatus: Rejected`, the Debian tracker's `REJECTED`, an Ubuntu tracker
//!    description opening `** REJECT **`) loses the rules of *every* feed reported under it.
//!    OSV/GHSA `withdrawn` drops that record only (the advisory is withdrawn, not the CVE). The
//!    Ubuntu tracker's `ignored/` folder is not imported (counted as withdrawn). A malformed
//!    record is counted and reported with its file name, and never matched on a guess.
//! 4. **One finding per (package, vulnerability id).** The id is the CVE when the record names
//!    one (other ids become aliases). Several distribution fixes for one id (an advisory and its
//!    follow-up) combine to the newest; a vendor's explicit "not affected" wins; for language
//!    advisories the lowest fixed version above the installed one is the fix.
//! 5. **Severity** is the model's one rule, `Severity::rate`: the vendor's word (Debian urgency,
//!    Ubuntu priority, Red Hat impact, Amazon/Oracle/SUSE/Photon/Azure Linux severity, GHSA)
//!    when it names a level, else the CVSS score's band. For language packages several feeds
//!    may name one id: the word comes from GHSA first, then the ecosystem's own database (PyPA,
//!    RustSec, Go, RubySec, FriendsOfPHP, Node.js WG), then other OSV exports. CVSS is the
//!    NVD's when an NVD feed was imported (its own "Primary" v3.x metric first), else the
//!    feed's (a v3 vector with a score first, then by the same feed order); `cvss_source` and
//!    `sources` say which feeds each field came from. KEV presence sets `kev`; EPSS sets `epss`.
//! 6. **Risk factors** (Prisma names): `Has fix`; `Critical|High|Medium severity`;
//!    `Exploit exists - in the wild` (KEV); `Attack vector: network` (AV:N);
//!    `Attack complexity: low` (AC:L); `DoS - High` / `DoS - Low` (CVSS v3/v4 availability impact
//!    H / L); `Recent vulnerability` (published within [`MatchOptions::recent_days`], 30 by
//!    default).

mod constraint;
mod cvss;
mod date;
mod db;
mod distro;
#[doc(hidden)]
pub mod fuzzing;
mod import;
mod matcher;
mod names;
mod record;

pub use constraint::ConstraintError;
pub use db::{Database, DbError, DbStatus, FORMAT_VERSION, default_path};
pub use distro::distro_namespace;
pub use import::{ImportError, ImportOptions, ImportReport, Malformed, SourceReport};
pub use matcher::{MatchOptions, Matcher, Outcome, Step};
pub use record::Status;
