//! Crowsnest's policies: what to report and what to block for a registry image, and the results
//! CSV. Pure functions and values: no I/O, no async.
//!
//! Data flows in one direction. The console stores a vulnerability [`Policy`], a compliance
//! [`Policy`] and user [`Collection`]s as documents; the scan engine loads them into a
//! [`PolicySet`] and, for each image, calls [`evaluate_image`] with the image's
//! [`ImageIdentity`], its matched vulnerabilities (Prisma `vuln.Vulnerability` shapes) and a
//! [`ComplianceInput`] (config, packages, flagged files). The result carries the reported
//! vulnerabilities with `block`/`gracePeriodDays` set, the compliance issues, and a
//! [`PolicyVerdict`](crowsnest_model::scan_result::PolicyVerdict) naming the rules that applied
//! and why the image would be blocked. [`CsvReport`] writes stored results as the Console's CSV,
//! one image at a time.
//!
//! Built-ins: the vulnerability rule [`DEFAULT_VULNERABILITY_RULE`] (alert from low, never block,
//! collection `All`), the compliance rule [`DEFAULT_COMPLIANCE_RULE`] (every check in [`CHECKS`],
//! alert only), and the collection `All`, which cannot be edited or deleted.

mod collection;
mod compliance;
mod error;
mod policy_set;
mod report;
mod rule;
mod scope;
mod vulnerability;

pub use collection::{ALL_COLLECTION, Collection, validate_name as validate_collection_name};
pub use compliance::{
    CHECK_CLOUD_CREDENTIALS, CHECK_ENV_SECRETS, CHECK_HEALTHCHECK, CHECK_IMAGE_AGE, CHECK_NON_ROOT,
    CHECK_PRIVATE_KEYS, CHECK_SETUID, CHECK_SSHD, CHECKS, CROWSNEST_CHECK_BASE, Check,
    CheckOutcome, ComplianceInput, ComplianceOutcome, DEFAULT_MAX_IMAGE_AGE_DAYS, FileFinding,
    FileKind, check, evaluate_compliance, run_checks,
};
pub use error::PolicyError;
pub use policy_set::{
    COLLECTION_DOCUMENT_KIND, COMPLIANCE_POLICY_ID, ImageEvaluation, POLICY_DOCUMENT_KIND,
    PolicySet, VULNERABILITY_POLICY_ID, evaluate_image,
};
pub use report::{CSV_HEADER, CsvReport, neutralise, package_type_label};
pub use rule::{
    AlertThreshold, BlockThreshold, COMPLIANCE_POLICY_TYPE, CheckCondition, Conditions, CveRule,
    DEFAULT_COMPLIANCE_RULE, DEFAULT_VULNERABILITY_RULE, Effect, Expiration, GraceDaysPolicy,
    PkgTypeThreshold, Policy, PolicyRule, RiskFactorEffect, THRESHOLD_CRITICAL, THRESHOLD_HIGH,
    THRESHOLD_LOW, THRESHOLD_MEDIUM, THRESHOLD_OFF, TagRule, VULNERABILITY_POLICY_TYPE,
};
pub use scope::{ImageIdentity, collection_matches, is_docker_hub, matching_collections};
pub use vulnerability::{
    TagAssignments, VulnerabilityOutcome, evaluate_vulnerabilities, normalised_severity,
    select_rule, severity_value,
};
