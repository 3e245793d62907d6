//! Everything the scan engine needs to judge an image, and the one call that does it.
//!
//! The console stores policies and collections as store documents (kinds and ids below). The
//! engine reads them, builds a [`PolicySet`] with [`PolicySet::from_documents`] (missing documents
//! mean the built-in defaults), and calls [`evaluate_image`] once per scanned image with the
//! image's typed findings; the rulings it returns say which findings the results show and with
//! what `block`/`gracePeriodDays`.

use crate::collection::Collection;
use crate::compliance::{ComplianceInput, evaluate_compliance, run_checks};
use crate::error::PolicyError;
use crate::rule::{COMPLIANCE_POLICY_TYPE, Policy, VULNERABILITY_POLICY_TYPE};
use crate::scope::{ImageScope, matching_collections};
use crate::vulnerability::{Ruling, TagAssignments, evaluate_vulnerabilities};
use crowsnest_model::Finding;
use crowsnest_model::scan_result::{PolicyVerdict, Vulnerability};
use std::borrow::Borrow;

/// Store document kind of the two policies.
pub const POLICY_DOCUMENT_KIND: &str = "policy";
/// Store document id of the vulnerability policy (kind [`POLICY_DOCUMENT_KIND`]).
pub const VULNERABILITY_POLICY_ID: &str = VULNERABILITY_POLICY_TYPE;
/// Store document id of the compliance policy (kind [`POLICY_DOCUMENT_KIND`]).
pub const COMPLIANCE_POLICY_ID: &str = COMPLIANCE_POLICY_TYPE;
/// Store document kind of user collections; the id is the collection name.
pub const COLLECTION_DOCUMENT_KIND: &str = "collection";

/// The policies and collections in force.
#[derive(Debug, Clone, PartialEq)]
pub struct PolicySet {
    pub vulnerability: Policy,
    pub compliance: Policy,
    /// User collections (the built-in `All` is implied).
    pub collections: Vec<Collection>,
    /// Vulnerability tags assigned to CVEs, for tag exceptions.
    pub tags: TagAssignments,
}

impl Default for PolicySet {
    fn default() -> PolicySet {
        PolicySet {
            vulnerability: Policy::default_vulnerability(),
            compliance: Policy::default_compliance(),
            collections: Vec::new(),
            tags: TagAssignments::new(),
        }
    }
}

fn parse<T: serde::de::DeserializeOwned>(
    what: &str,
    doc: serde_json::Value,
) -> Result<T, PolicyError> {
    serde_json::from_value(doc).map_err(|source| PolicyError::Document {
        what: what.to_string(),
        source,
    })
}

impl PolicySet {
    /// Builds the set from store documents: the two policy documents (absent = built-in default)
    /// and every collection document.
    pub fn from_documents(
        vulnerability: Option<serde_json::Value>,
        compliance: Option<serde_json::Value>,
        collections: Vec<(String, serde_json::Value)>,
    ) -> Result<PolicySet, PolicyError> {
        let vulnerability = match vulnerability {
            Some(doc) => parse("vulnerability policy", doc)?,
            None => Policy::default_vulnerability(),
        };
        let compliance = match compliance {
            Some(doc) => parse("compliance policy", doc)?,
            None => Policy::default_compliance(),
        };
        let collections = collections
            .into_iter()
            .map(|(id, doc)| parse(&format!("collection {id:?}"), doc))
            .collect::<Result<Vec<Collection>, _>>()?;
        Ok(PolicySet {
            vulnerability,
            compliance,
            collections,
            tags: TagAssignments::new(),
        })
    }
}

/// The verdict on one image.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ImageEvaluation {
    /// One ruling per reported finding, in input order; `index` points into the findings given
    /// to [`evaluate_image`].
    pub vulnerabilities: Vec<Ruling>,
    /// Failed compliance checks the compliance rule reports.
    pub compliance_issues: Vec<Vulnerability>,
    /// Passed checks, when the compliance rule sets `allCompliance`.
    pub passed_compliance: Vec<Vulnerability>,
    /// Names of the collections that select the image (`All` first).
    pub collections: Vec<String>,
    pub verdict: PolicyVerdict,
}

/// Applies both policies to one image: the vulnerability policy to its findings (one per
/// advisory and reported package), the compliance policy to what the checks find.
pub fn evaluate_image<F: Borrow<Finding>>(
    set: &PolicySet,
    image: &ImageScope,
    findings: &[F],
    compliance: &ComplianceInput<'_>,
    now: jiff::Timestamp,
) -> ImageEvaluation {
    let v = evaluate_vulnerabilities(
        &set.vulnerability,
        &set.collections,
        image,
        findings,
        &set.tags,
        now,
    );
    let outcomes = run_checks(compliance, now);
    let c = evaluate_compliance(&set.compliance, &set.collections, image, &outcomes);
    let mut reasons = v.block_reasons;
    reasons.extend(c.block_reasons);
    ImageEvaluation {
        vulnerabilities: v.reported,
        compliance_issues: c.issues,
        passed_compliance: c.passed,
        collections: matching_collections(&set.collections, image),
        verdict: PolicyVerdict {
            vulnerability_rule: v.rule.unwrap_or_default(),
            compliance_rule: c.rule.unwrap_or_default(),
            blocked: v.blocked || c.blocked,
            block_reasons: reasons,
        },
    }
}
