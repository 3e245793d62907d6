//! Image compliance checks and the compliance policy.
//!
//! [`run_checks`] looks at what the analyzer found in an image (a [`ComplianceInput`]: config,
//! packages, flagged files, creation time) and returns one [`CheckOutcome`] per check in
//! [`CHECKS`](crate::checks::CHECKS). [`evaluate_compliance`] then applies the compliance policy:
//! the first rule whose collections select the image enables checks by id
//! (`condition.vulnerabilities[{id, block}]`); failed enabled checks become `vuln.Vulnerability`
//! compliance issues, and a failed check marked `block` blocks the image. The checks' ids and words are the catalogue in [`crate::checks`].

mod secrets;

use crate::checks::{
    CHECK_CLOUD_CREDENTIALS, CHECK_ENV_SECRETS, CHECK_HEALTHCHECK, CHECK_IMAGE_AGE, CHECK_NON_ROOT,
    CHECK_PRIVATE_KEYS, CHECK_SETUID, CHECK_SSHD, CHECKS, Check, check,
};
use crate::collection::Collection;
use crate::rule::Policy;
use crate::scope::ImageScope;
use crate::select::select_rule;
use crowsnest_model::scan_result::Vulnerability;
use crowsnest_model::{ImageConfigFacts, Package};

/// How old an image may be before [`CHECK_IMAGE_AGE`] fails, unless the caller says otherwise.
pub const DEFAULT_MAX_IMAGE_AGE_DAYS: u32 = 365;
/// Paths named in one cause before the rest are counted.
const MAX_CAUSE_PATHS: usize = 20;

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
    image: &ImageScope,
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
