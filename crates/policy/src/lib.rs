//! Crowsnest's policies: what to report and what to block for a registry image, and the results
//! CSV. Pure functions and values: no I/O, no async.
//!
//! Data flows in one direction. The console stores a vulnerability [`Policy`], a compliance
//! [`Policy`] and user [`Collection`]s as documents; the scan engine loads them into a
//! [`PolicySet`] and, for each image, calls [`evaluate_image`] with the image's [`ImageScope`]
//! (what collections match on), its typed findings ([`crowsnest_model::Finding`], severity
//! already rated by the model's one rule, `Severity::rate`) and a [`ComplianceInput`] (config,
//! packages, flagged files). The result carries a [`Ruling`] per reported finding (`block`,
//! grace days left) for the caller to apply to the Prisma-shaped vulnerabilities it builds, the
//! compliance issues, and a [`PolicyVerdict`](crowsnest_model::scan_result::PolicyVerdict) naming
//! the rules that applied and why the image would be blocked. [`CsvReport`] (module
//! `results_csv`) writes stored results as the Console's CSV, one image at a time; Prisma's
//! package types and labels are in `package_type`.
//!
//! Built-ins: the vulnerability rule [`DEFAULT_VULNERABILITY_RULE`] (alert from low, never block,
//! collection `All`), the compliance rule [`DEFAULT_COMPLIANCE_RULE`] (every check in [`CHECKS`],
//! alert only), and the collection `All`, which cannot be edited or deleted.

mod checks;
mod collection;
mod compliance;
mod error;
mod package_type;
mod policy_set;
mod results_csv;
mod rule;
mod scope;
mod select;
mod vulnerability;

pub use checks::{
    CHECK_CLOUD_CREDENTIALS, CHECK_ENV_SECRETS, CHECK_HEALTHCHECK, CHECK_IMAGE_AGE, CHECK_NON_ROOT,
    CHECK_PRIVATE_KEYS, CHECK_SETUID, CHECK_SSHD, CHECKS, CROWSNEST_CHECK_BASE, Check, check,
};
pub use collection::{ALL_COLLECTION, Collection, validate_name as validate_collection_name};
pub use compliance::{
    CheckOutcome, ComplianceInput, ComplianceOutcome, DEFAULT_MAX_IMAGE_AGE_DAYS, FileFinding,
    FileKind, evaluate_compliance, run_checks,
};
pub use error::PolicyError;
pub use package_type::{package_type, package_type_label};
pub use policy_set::{
    COLLECTION_DOCUMENT_KIND, COMPLIANCE_POLICY_ID, ImageEvaluation, POLICY_DOCUMENT_KIND,
    PolicySet, VULNERABILITY_POLICY_ID, evaluate_image,
};
pub use results_csv::{CSV_HEADER, CsvReport, neutralise};
pub use rule::{
    AlertThreshold, BlockThreshold, COMPLIANCE_POLICY_TYPE, CheckCondition, Conditions, CveRule,
    DEFAULT_COMPLIANCE_RULE, DEFAULT_VULNERABILITY_RULE, Effect, Expiration, GraceDaysPolicy,
    PkgTypeThreshold, Policy, PolicyRule, RiskFactorEffect, THRESHOLD_CRITICAL, THRESHOLD_HIGH,
    THRESHOLD_LOW, THRESHOLD_MEDIUM, THRESHOLD_OFF, TagRule, VULNERABILITY_POLICY_TYPE,
};
pub use scope::{ImageScope, collection_matches, is_docker_hub, matching_collections};
pub use select::select_rule;
pub use vulnerability::{
    Ruling, TagAssignments, VulnerabilityOutcome, evaluate_vulnerabilities, severity_value,
};
