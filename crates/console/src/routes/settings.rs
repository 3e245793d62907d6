//! `/settings/registry`: GET the settings, POST one specification, PUT the whole list.
//!
//! PUT replaces everything in one transaction (an empty body or `{"specifications":[]}` erases
//! all); more than 19,999 specifications is a 400 with nothing changed. Unless `scanLater=true`,
//! a save also records a regular scan request for the scan engine.
//!
//! Every specification received is turned into a [`ScanTarget`] here, the one validation of a
//! specification, so an invalid one is refused at the boundary with its reason.

use crate::AppState;
use crate::body::{JsonBody, QueryPairs};
use crate::error::{ApiError, ApiResult};
use axum::Json;
use axum::extract::State;
use crowsnest_model::ScanTarget;
use crowsnest_model::spec::{
    MAX_SPECIFICATIONS, RegistrySettings, RegistrySpecification, UNSET_TIME,
};
use std::collections::{HashMap, HashSet};

pub(crate) async fn get(State(state): State<AppState>) -> ApiResult<Json<RegistrySettings>> {
    Ok(Json(state.store.registry_settings().await?))
}

/// Status fields are the scanner's to set; a client's values are dropped, except that a PUT of
/// a spec we already have keeps its status (clients are told to GET, edit, and PUT back).
fn reset_status(spec: &mut RegistrySpecification, previous: Option<&RegistrySpecification>) {
    let fresh = RegistrySpecification {
        scan_time: UNSET_TIME.to_string(),
        last_scan_time: UNSET_TIME.to_string(),
        ..Default::default()
    };
    let src = previous.unwrap_or(&fresh);
    spec.scan_status = src.scan_status.clone();
    spec.last_scan_status = src.last_scan_status.clone();
    spec.scan_error = src.scan_error.clone();
    spec.scan_time = src.scan_time.clone();
    spec.last_scan_time = src.last_scan_time.clone();
    spec.scanned_images_success_total = src.scanned_images_success_total;
}

fn new_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// Checks `spec` and applies its defaults (an empty `os` is `linux`), giving the target it
/// describes; `index` names the entry of a PUT in the message.
fn validate(spec: &mut RegistrySpecification, index: Option<usize>) -> ApiResult<ScanTarget> {
    spec.checked().map_err(|e| match index {
        Some(i) => ApiError::BadRequest(format!("specifications[{i}]: {e}")),
        None => ApiError::BadRequest(e.to_string()),
    })
}

async fn maybe_request_scan(state: &AppState, query: &QueryPairs) -> ApiResult<()> {
    if query.bool("scanLater")? == Some(true) {
        return Ok(());
    }
    // A save starts a regular scan unless one is already running, as Prisma's "Add and scan".
    if let Err(e) = state.engine.request_scan(None).await {
        tracing::info!(reason = %e, "no new scan after saving registry settings");
    }
    Ok(())
}

pub(crate) async fn post(
    State(state): State<AppState>,
    query: QueryPairs,
    JsonBody(body): JsonBody<RegistrySpecification>,
) -> ApiResult<()> {
    let mut spec = body.ok_or_else(|| {
        ApiError::BadRequest("expected one registry specification as the JSON body".into())
    })?;
    query.bool("scanLater")?;
    validate(&mut spec, None)?;
    reset_status(&mut spec, None);
    if spec.id.trim().is_empty() {
        spec.id = new_id();
    }
    state
        .store
        .append_specification(&spec, MAX_SPECIFICATIONS)
        .await?;
    maybe_request_scan(&state, &query).await
}

pub(crate) async fn put(
    State(state): State<AppState>,
    query: QueryPairs,
    JsonBody(body): JsonBody<RegistrySettings>,
) -> ApiResult<()> {
    query.bool("scanLater")?;
    let mut specs = body.map(|b| b.specifications).unwrap_or_default();
    if specs.len() > MAX_SPECIFICATIONS {
        return Err(ApiError::BadRequest(format!(
            "at most {MAX_SPECIFICATIONS} registry specifications are allowed; the request has {}",
            specs.len()
        )));
    }
    let previous: HashMap<String, RegistrySpecification> = state
        .store
        .registry_settings()
        .await?
        .specifications
        .into_iter()
        .map(|s| (s.id.clone(), s))
        .collect();
    let mut seen = HashSet::with_capacity(specs.len());
    for (i, spec) in specs.iter_mut().enumerate() {
        validate(spec, Some(i))?;
        // A copied entry keeps its twin's id; give the copy its own so both stay addressable.
        if spec.id.trim().is_empty() || !seen.insert(spec.id.clone()) {
            spec.id = new_id();
            seen.insert(spec.id.clone());
        }
        let prev = previous.get(&spec.id);
        reset_status(spec, prev);
    }
    state.store.replace_specifications(&specs).await?;
    maybe_request_scan(&state, &query).await
}
