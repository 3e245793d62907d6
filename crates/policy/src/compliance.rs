//! Image compliance checks and the compliance policy.
//!
//! [`run_checks`] looks at what the analyzer found in an image (a [`ComplianceInput`]: config,
//! packages, flagged files, creation time) and returns one [`CheckOutcome`] per check in
//! [`CHECKS`]. [`evaluate_compliance`] then applies the compliance policy: the first rule whose
//! collections select the image enables checks by id (`condition.vulnerabilities[{id, block}]`);
//! failed enabled checks become `vuln.Vulnerability` compliance issues, and a failed check marked
//! `block` blocks the image.
//!
//! Check ids: where Prisma has a check for the same thing its id is used (41 non-root user, 404
//! HEALTHCHECK, 424 secrets in environment variables, 425 private keys). Checks Prisma has no
//! image check for use Crowsnest's own range, [`CROWSNEST_CHECK_BASE`] + n (90001…), far from
//! Prisma's ranges (CIS and labs checks below 1000, custom checks from 9000).

mod secrets;

use crate::collection::Collection;
use crate::rule::Policy;
use crate::scope::ImageIdentity;
use crate::vulnerability::select_rule;
use crowsnest_model::scan_result::Vulnerability;
use crowsnest_model::{ImageConfigFacts, Package};

/// First id of the checks that are Crowsnest's own.
pub const CROWSNEST_CHECK_BASE: i64 = 90_000;

pub const CHECK_NON_ROOT: i64 = 41;
pub const CHECK_HEALTHCHECK: i64 = 404;
pub const CHECK_ENV_SECRETS: i64 = 424;
pub const CHECK_PRIVATE_KEYS: i64 = 425;
pub const CHECK_CLOUD_CREDENTIALS: i64 = CROWSNEST_CHECK_BASE + 1;
pub const CHECK_SETUID: i64 = CROWSNEST_CHECK_BASE + 2;
pub const CHECK_SSHD: i64 = CROWSNEST_CHECK_BASE + 3;
pub const CHECK_IMAGE_AGE: i64 = CROWSNEST_CHECK_BASE + 4;

/// How old an image may be before [`CHECK_IMAGE_AGE`] fails, unless the caller says otherwise.
pub const DEFAULT_MAX_IMAGE_AGE_DAYS: u32 = 365;
/// Paths named in one cause before the rest are counted.
const MAX_CAUSE_PATHS: usize = 20;

/// One compliance check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Check {
    pub id: i64,
    /// Prisma's severity word.
    pub severity: &'static str,
    pub title: &'static str,
    pub description: &'static str,
}

/// Every check Crowsnest runs on an image, in id order.
pub const CHECKS: &[Check] = &[
    Check {
        id: CHECK_NON_ROOT,
        severity: "high",
        title: "(CIS_Docker_v1.5.0 - 4.1) Image should be created with a non-root user",
        description: "The image runs its processes as root because its config names no user, or \
                      names root or uid 0. Create an unprivileged user in the image and switch to \
                      it with USER, so a compromised process holds no root rights in the container.",
    },
    Check {
        id: CHECK_HEALTHCHECK,
        severity: "medium",
        title: "(CIS_Docker_v1.5.0 - 4.6) Add HEALTHCHECK instruction to the container image",
        description: "The image config has no HEALTHCHECK, so the engine cannot tell a hung \
                      container from a working one and will not replace it.",
    },
    Check {
        id: CHECK_ENV_SECRETS,
        severity: "high",
        title: "Sensitive information provided in environment variables",
        description: "Environment variables set in the image (ENV) look like passwords, tokens, \
                      access keys or private keys. Anyone who can pull or inspect the image can \
                      read them; pass secrets at run time from a secret store instead.",
    },
    Check {
        id: CHECK_PRIVATE_KEYS,
        severity: "high",
        title: "Private keys stored in image",
        description: "Files in the image contain private keys. Every copy of the image carries \
                      them; remove them and mount keys at run time.",
    },
    Check {
        id: CHECK_CLOUD_CREDENTIALS,
        severity: "high",
        title: "(Crowsnest) Cloud provider credentials stored in image",
        description: "Files in the image hold cloud or registry credentials (AWS credentials, \
                      service-account keys, docker or kube configs with secrets). Remove them and \
                      use the platform's workload identity or mounted secrets.",
    },
    Check {
        id: CHECK_SETUID,
        severity: "medium",
        title: "(CIS_Docker_v1.5.0 - 4.8) Image contains setuid or setgid files",
        description: "Executables with the setuid or setgid bit let any user in the container \
                      gain their owner's or group's rights. Remove the bits from files that do not \
                      need them (find / -perm /6000 -type f -exec chmod a-s {} +).",
    },
    Check {
        id: CHECK_SSHD,
        severity: "high",
        title: "(Crowsnest) SSH server installed in image",
        description: "The image contains an SSH daemon. Containers are reached with the engine's \
                      exec; an SSH server adds a listening service and keys to manage.",
    },
    Check {
        id: CHECK_IMAGE_AGE,
        severity: "low",
        title: "(Crowsnest) Image is older than the allowed age",
        description: "The image was built longer ago than the allowed number of days, so it likely \
                      misses fixes published since. Rebuild it on a current base image.",
    },
];

/// Looks a check up by id.
pub fn check(id: i64) -> Option<&'static Check> {
    CHECKS.iter().find(|c| c.id == id)
}

/// What kind of file the analyzer flagged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FileKind {
    Setuid,
    Setgid,
    PrivateKey,
    CloudCredential,
    /// An SSH server binary (`sshd`, `dropbear`).
    SshDaemon,
}

/// A file of interest in the merged image filesystem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileFinding {
    pub path: String,
    /// Unix mode bits, including the setuid (0o4000) and setgid (0o2000) bits.
    pub mode: u32,
    pub kind: FileKind,
}

impl FileFinding {
    pub fn new(path: &str, mode: u32, kind: FileKind) -> FileFinding {
        FileFinding {
            path: path.to_string(),
            mode,
            kind,
        }
    }
}

/// Everything the checks look at.
#[derive(Debug, Clone, Copy)]
pub struct ComplianceInput<'a> {
    pub config: &'a ImageConfigFacts,
    pub packages: &'a [Package],
    pub files: &'a [FileFinding],
    /// Creation time; when `None`, `config.created` is used.
    pub created: Option<jiff::Timestamp>,
    pub max_age_days: u32,
}

impl<'a> ComplianceInput<'a> {
    pub fn new(config: &'a ImageConfigFacts) -> ComplianceInput<'a> {
        ComplianceInput {
            config,
            packages: &[],
            files: &[],
            created: None,
            max_age_days: DEFAULT_MAX_IMAGE_AGE_DAYS,
        }
    }

    pub fn packages(mut self, packages: &'a [Package]) -> ComplianceInput<'a> {
        self.packages = packages;
        self
    }

    pub fn files(mut self, files: &'a [FileFinding]) -> ComplianceInput<'a> {
        self.files = files;
        self
    }

    pub fn created(mut self, created: jiff::Timestamp) -> ComplianceInput<'a> {
        self.created = Some(created);
        self
    }

    pub fn max_age_days(mut self, days: u32) -> ComplianceInput<'a> {
        self.max_age_days = days;
        self
    }
}

/// The result of one check on one image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckOutcome {
    pub check: &'static Check,
    pub passed: bool,
    /// What failed, for the issue's `cause` (empty when passed).
    pub cause: String,
}

fn paths_cause(paths: &[&str]) -> String {
    let shown: Vec<&str> = paths.iter().take(MAX_CAUSE_PATHS).copied().collect();
    let mut cause = format!("Found: {}", shown.join(", "));
    if paths.len() > MAX_CAUSE_PATHS {
        cause.push_str(&format!(" and {} more", paths.len() - MAX_CAUSE_PATHS));
    }
    cause
}

fn runs_as_root(user: &str) -> bool {
    let name = user.trim().split(':').next().unwrap_or("").trim();
    name.is_empty() || name == "root" || name.trim_start_matches('0').is_empty()
}

const SSH_SERVER_PACKAGES: &[&str] = &[
    "openssh-server",
    "openssh-server-pam",
    "dropbear",
    "ssh-server",
];

fn is_sshd_path(path: &str) -> bool {
    let base = path.rsplit('/').next().unwrap_or(path);
    matches!(base, "sshd" | "dropbear")
}

fn image_created(input: &ComplianceInput<'_>) -> Option<jiff::Timestamp> {
    let created = input.created.or_else(|| {
        input
            .config
            .created
            .as_deref()
            .and_then(crate::rule::parse_time)
    })?;
    // Reproducible builds stamp the Unix epoch (or nothing useful); that says nothing of age.
    (created.as_second() > 0).then_some(created)
}

fn outcome(id: i64, failure: Option<String>) -> CheckOutcome {
    let check = check(id).unwrap_or(&CHECKS[0]);
    CheckOutcome {
        check,
        passed: failure.is_none(),
        cause: failure.unwrap_or_default(),
    }
}

fn files_of<'a>(input: &ComplianceInput<'a>, pick: impl Fn(&FileFinding) -> bool) -> Vec<&'a str> {
    let mut paths: Vec<&'a str> = input
        .files
        .iter()
        .filter(|f| pick(f))
        .map(|f| f.path.as_str())
        .collect();
    paths.sort_unstable();
    paths.dedup();
    paths
}

/// Runs every check in [`CHECKS`] on the image, in that order.
pub fn run_checks(input: &ComplianceInput<'_>, now: jiff::Timestamp) -> Vec<CheckOutcome> {
    let config = input.config;
    let non_empty = |paths: Vec<&str>| (!paths.is_empty()).then(|| paths_cause(&paths));

    let root = runs_as_root(&config.user).then(|| {
        if config.user.trim().is_empty() {
            "The image config sets no USER".to_string()
        } else {
            format!("The image config sets USER {}", config.user.trim())
        }
    });
    let health = (!config.healthcheck).then(|| "The image config has no HEALTHCHECK".to_string());
    let names = secrets::secret_env_names(&config.env);
    let env = (!names.is_empty()).then(|| format!("Found: {}", names.join(", ")));
    let keys = non_empty(files_of(input, |f| f.kind == FileKind::PrivateKey));
    let cloud = non_empty(files_of(input, |f| f.kind == FileKind::CloudCredential));
    let setuid = non_empty(files_of(input, |f| {
        matches!(f.kind, FileKind::Setuid | FileKind::Setgid) || f.mode & 0o6000 != 0
    }));
    let mut sshd: Vec<String> = input
        .packages
        .iter()
        .filter(|p| SSH_SERVER_PACKAGES.contains(&p.name.as_str()))
        .map(|p| format!("package {} {}", p.name, p.version))
        .collect();
    sshd.extend(
        files_of(input, |f| {
            f.kind == FileKind::SshDaemon || is_sshd_path(&f.path)
        })
        .into_iter()
        .map(|p| p.to_string()),
    );
    sshd.dedup();
    let sshd = (!sshd.is_empty()).then(|| format!("Found: {}", sshd.join(", ")));
    let age = image_created(input).and_then(|created| {
        let days = (now.as_second() - created.as_second()).div_euclid(86_400);
        (days > i64::from(input.max_age_days)).then(|| {
            format!(
                "The image was created {days} days ago ({created}); the limit is {} days",
                input.max_age_days
            )
        })
    });

    vec![
        outcome(CHECK_NON_ROOT, root),
        outcome(CHECK_HEALTHCHECK, health),
        outcome(CHECK_ENV_SECRETS, env),
        outcome(CHECK_PRIVATE_KEYS, keys),
        outcome(CHECK_CLOUD_CREDENTIALS, cloud),
        outcome(CHECK_SETUID, setuid),
        outcome(CHECK_SSHD, sshd),
        outcome(CHECK_IMAGE_AGE, age),
    ]
}

/// What the compliance policy made of one image.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ComplianceOutcome {
    /// The rule that applied; `None` when no rule selected the image.
    pub rule: Option<String>,
    /// Failed checks the rule enables (all failed checks when no rule applied).
    pub issues: Vec<Vulnerability>,
    /// Passed checks, filled only when the rule asks for `allCompliance`.
    pub passed: Vec<Vulnerability>,
    pub blocked: bool,
    pub block_reasons: Vec<String>,
}

fn as_issue(o: &CheckOutcome, block: bool) -> Vulnerability {
    Vulnerability {
        id: o.check.id,
        severity: o.check.severity.to_string(),
        title: o.check.title.to_string(),
        description: o.check.description.to_string(),
        cause: o.cause.clone(),
        kind: "image".to_string(),
        discovered: "0001-01-01T00:00:00Z".to_string(),
        block,
        ..Vulnerability::default()
    }
}

/// Applies the compliance policy to the outcomes of [`run_checks`].
pub fn evaluate_compliance(
    policy: &Policy,
    catalogue: &[Collection],
    image: &ImageIdentity,
    outcomes: &[CheckOutcome],
) -> ComplianceOutcome {
    let Some(rule) = select_rule(policy, catalogue, image) else {
        return ComplianceOutcome {
            rule: None,
            issues: outcomes
                .iter()
                .filter(|o| !o.passed)
                .map(|o| as_issue(o, false))
                .collect(),
            ..ComplianceOutcome::default()
        };
    };
    let enabled = rule
        .condition
        .as_ref()
        .map(|c| c.vulnerabilities.as_slice())
        .unwrap_or_default();
    let mut out = ComplianceOutcome {
        rule: Some(rule.name.clone()),
        ..ComplianceOutcome::default()
    };
    for o in outcomes {
        let Some(cond) = enabled.iter().find(|c| c.id == o.check.id) else {
            continue;
        };
        if o.passed {
            if rule.all_compliance {
                out.passed.push(as_issue(o, false));
            }
            continue;
        }
        if cond.block {
            out.blocked = true;
            out.block_reasons.push(format!(
                "compliance check {} ({}) failed and rule \"{}\" blocks on it",
                o.check.id, o.check.title, rule.name
            ));
        }
        out.issues.push(as_issue(o, cond.block));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_sorted() {
        let ids: Vec<i64> = CHECKS.iter().map(|c| c.id).collect();
        let mut sorted = ids.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(ids, sorted);
    }

    #[test]
    fn root_users() {
        for root in ["", " ", "root", "0", "0:0", "root:staff", "00"] {
            assert!(runs_as_root(root), "{root:?}");
        }
        for user in ["app", "1000", "1000:1000", "nobody", "10"] {
            assert!(!runs_as_root(user), "{user:?}");
        }
    }

    #[test]
    fn long_path_lists_are_summarised() {
        let paths: Vec<String> = (0..25).map(|i| format!("/k/{i}.pem")).collect();
        let refs: Vec<&str> = paths.iter().map(String::as_str).collect();
        let cause = paths_cause(&refs);
        assert!(cause.ends_with(" and 5 more"), "{cause}");
    }
}
