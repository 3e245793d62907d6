//! `/policies/vulnerability/images` and `/policies/compliance/container`: GET the policy in force,
//! PUT a whole new one.
//!
//! Policies live in the store as documents of kind [`POLICY_DOCUMENT_KIND`] with ids
//! `containerVulnerability` and `containerCompliance`; an absent document means the built-in
//! default. A PUT is parsed, validated ([`Policy::validate`]: thresholds 0–9, block ≥ alert, dates,
//! unique names), its rules' collections must exist, and each rule's `owner`/`modified` is set
//! unless the rule is unchanged from the stored one. A GET refreshes each rule's embedded
//! collections from the current definitions, so an edited collection shows in its rules.

use crate::AppState;
use crate::auth::Caller;
use crate::body::JsonBody;
use crate::clock::rfc3339;
use crate::error::{ApiError, ApiResult};
use axum::extract::State;
use axum::{Extension, Json};
use crowsnest_policy::{
    COLLECTION_DOCUMENT_KIND, COMPLIANCE_POLICY_ID, COMPLIANCE_POLICY_TYPE, Collection,
    POLICY_DOCUMENT_KIND, Policy, PolicyRule, VULNERABILITY_POLICY_ID, VULNERABILITY_POLICY_TYPE,
};

/// Every user collection in the store, by name.
pub(crate) async fn load_collections(state: &AppState) -> ApiResult<Vec<Collection>> {
    state
        .store
        .documents(COLLECTION_DOCUMENT_KIND)
        .await?
        .into_iter()
        .map(|(id, doc)| {
            serde_json::from_value(doc).map_err(|e| {
                ApiError::Internal(format!("stored collection {id:?} is corrupt: {e}"))
            })
        })
        .collect()
}

/// The stored policy of this type, or the built-in default.
pub(crate) async fn load_policy(state: &AppState, policy_type: &str) -> ApiResult<Policy> {
    let id = document_id(policy_type);
    match state.store.document(POLICY_DOCUMENT_KIND, id).await? {
        Some(doc) => serde_json::from_value(doc)
            .map_err(|e| ApiError::Internal(format!("stored policy {id:?} is corrupt: {e}"))),
        None => Ok(default_policy(policy_type)),
    }
}

fn document_id(policy_type: &str) -> &'static str {
    if policy_type == COMPLIANCE_POLICY_TYPE {
        COMPLIANCE_POLICY_ID
    } else {
        VULNERABILITY_POLICY_ID
    }
}

fn default_policy(policy_type: &str) -> Policy {
    if policy_type == COMPLIANCE_POLICY_TYPE {
        Policy::default_compliance()
    } else {
        Policy::default_vulnerability()
    }
}

async fn get(state: &AppState, policy_type: &str) -> ApiResult<Json<Policy>> {
    let mut policy = load_policy(state, policy_type).await?;
    let catalogue = load_collections(state).await?;
    policy.normalise(policy_type, &catalogue);
    Ok(Json(policy))
}

/// A rule compared without the fields the server sets.
fn same_rule(a: &PolicyRule, b: &PolicyRule) -> bool {
    let strip = |r: &PolicyRule| PolicyRule {
        owner: String::new(),
        modified: String::new(),
        previous_name: String::new(),
        ..r.clone()
    };
    strip(a) == strip(b)
}

async fn put(
    state: &AppState,
    caller: &Caller,
    policy_type: &str,
    body: Option<Policy>,
) -> ApiResult<()> {
    let mut policy = body.ok_or_else(|| {
        ApiError::BadRequest("expected the whole policy ({\"rules\":[…]}) as the JSON body".into())
    })?;
    policy
        .validate(policy_type)
        .map_err(|e| ApiError::BadRequest(e.to_string()))?;
    let catalogue = load_collections(state).await?;
    for rule in &policy.rules {
        if let Some(missing) = rule
            .collections
            .iter()
            .find(|c| !c.is_all() && !catalogue.iter().any(|k| k.name == c.name))
        {
            return Err(ApiError::BadRequest(format!(
                "rule {:?} uses the collection {:?}, which does not exist; create it first with POST /collections",
                rule.name, missing.name
            )));
        }
    }
    policy.normalise(policy_type, &catalogue);
    let mut previous = load_policy(state, policy_type).await?;
    previous.normalise(policy_type, &catalogue);
    let now = rfc3339(state.clock.now());
    for rule in &mut policy.rules {
        match previous.rules.iter().find(|p| p.name == rule.name) {
            Some(old) if same_rule(old, rule) => {
                rule.owner = old.owner.clone();
                rule.modified = old.modified.clone();
            }
            _ => {
                rule.owner = caller.username.clone();
                rule.modified = now.clone();
            }
        }
    }
    let doc = serde_json::to_value(&policy).map_err(|e| ApiError::Internal(e.to_string()))?;
    state
        .store
        .put_document(POLICY_DOCUMENT_KIND, document_id(policy_type), &doc)
        .await?;
    Ok(())
}

pub(crate) async fn get_vulnerability(State(state): State<AppState>) -> ApiResult<Json<Policy>> {
    get(&state, VULNERABILITY_POLICY_TYPE).await
}

pub(crate) async fn put_vulnerability(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    JsonBody(body): JsonBody<Policy>,
) -> ApiResult<()> {
    put(&state, &caller, VULNERABILITY_POLICY_TYPE, body).await
}

pub(crate) async fn get_compliance(State(state): State<AppState>) -> ApiResult<Json<Policy>> {
    get(&state, COMPLIANCE_POLICY_TYPE).await
}

pub(crate) async fn put_compliance(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    JsonBody(body): JsonBody<Policy>,
) -> ApiResult<()> {
    put(&state, &caller, COMPLIANCE_POLICY_TYPE, body).await
}
