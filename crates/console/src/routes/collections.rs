//! `/collections`: list, create, replace and delete collections, and list where one is used.
//!
//! User collections are store documents of kind [`COLLECTION_DOCUMENT_KIND`], keyed by name (the
//! `{id}` of the paths is the name, URL-encoded). The built-in `All` is never stored: it heads
//! every list and refuses PUT and DELETE. A collection that a policy rule or a registry
//! specification uses cannot be deleted; its usages say which.

use super::policies::{load_collections, load_policy};
use crate::AppState;
use crate::auth::Caller;
use crate::body::{JsonBody, QueryPairs};
use crate::clock::rfc3339;
use crate::error::{ApiError, ApiResult};
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::{Extension, Json};
use crowsnest_policy::{
    ALL_COLLECTION, COLLECTION_DOCUMENT_KIND, COMPLIANCE_POLICY_TYPE, Collection,
    VULNERABILITY_POLICY_TYPE,
};
use serde::Serialize;

/// `collection.Usage`.
#[derive(Debug, Serialize)]
pub(crate) struct Usage {
    name: String,
    #[serde(rename = "type")]
    kind: &'static str,
}

fn builtin_refused(name: &str) -> ApiError {
    ApiError::BadRequest(format!(
        "{name:?} is the built-in collection {ALL_COLLECTION:?}; it cannot be changed or deleted"
    ))
}

pub(crate) async fn list(
    State(state): State<AppState>,
    query: QueryPairs,
) -> ApiResult<(HeaderMap, Json<Vec<Collection>>)> {
    let mut all = vec![Collection::all()];
    all.extend(load_collections(&state).await?);
    if let Some(system) = query.bool("system")? {
        all.retain(|c| c.system == system);
    }
    if let Some(prisma) = query.bool("prisma")? {
        all.retain(|c| c.prisma == prisma);
    }
    if query.bool("excludePrisma")? == Some(true) {
        all.retain(|c| !c.prisma);
    }
    let mut headers = HeaderMap::new();
    if let Some(page) = query.page()? {
        headers.insert("Total-Count", all.len().into());
        all = page.of(all);
    }
    Ok((headers, Json(all)))
}

/// Checks and fills what a client sent; the server owns the read-only fields.
fn prepare(mut c: Collection, caller: &Caller, state: &AppState) -> ApiResult<Collection> {
    c.normalise();
    c.validate()
        .map_err(|e| ApiError::BadRequest(e.to_string()))?;
    c.owner = caller.username.clone();
    c.modified = rfc3339(state.clock.now());
    c.system = false;
    c.prisma = false;
    Ok(c)
}

async fn save(state: &AppState, c: &Collection) -> ApiResult<()> {
    let doc = serde_json::to_value(c).map_err(|e| ApiError::Internal(e.to_string()))?;
    state
        .store
        .put_document(COLLECTION_DOCUMENT_KIND, &c.name, &doc)
        .await?;
    Ok(())
}

pub(crate) async fn create(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    JsonBody(body): JsonBody<Collection>,
) -> ApiResult<()> {
    let body =
        body.ok_or_else(|| ApiError::BadRequest("expected a collection as the JSON body".into()))?;
    if body.is_all() {
        return Err(builtin_refused(&body.name));
    }
    let c = prepare(body, &caller, &state)?;
    // Names are compared without case so two collections never differ only by it.
    if load_collections(&state)
        .await?
        .iter()
        .any(|k| k.name.eq_ignore_ascii_case(&c.name))
    {
        return Err(ApiError::Conflict(format!(
            "a collection named {:?} already exists; use PUT /collections/{{name}} to change it",
            c.name
        )));
    }
    save(&state, &c).await
}

pub(crate) async fn update(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((_version, name)): Path<(String, String)>,
    JsonBody(body): JsonBody<Collection>,
) -> ApiResult<()> {
    if Collection::named(&name).is_all() {
        return Err(builtin_refused(&name));
    }
    let mut body =
        body.ok_or_else(|| ApiError::BadRequest("expected a collection as the JSON body".into()))?;
    if body.name.trim().is_empty() {
        body.name = name.clone();
    }
    if body.name.trim() != name {
        return Err(ApiError::BadRequest(format!(
            "the body names {:?} but the path names {name:?}; collections cannot be renamed",
            body.name
        )));
    }
    ensure_exists(&state, &name).await?;
    let c = prepare(body, &caller, &state)?;
    save(&state, &c).await
}

async fn usages_of(state: &AppState, name: &str) -> ApiResult<Vec<Usage>> {
    let mut out = Vec::new();
    for policy_type in [VULNERABILITY_POLICY_TYPE, COMPLIANCE_POLICY_TYPE] {
        let policy = load_policy(state, policy_type).await?;
        out.extend(policy.rules_using(name).into_iter().map(|rule| Usage {
            name: rule,
            kind: "policy",
        }));
    }
    let settings = state.store.registry_settings().await?;
    for spec in settings.specifications {
        if spec.collections.iter().any(|c| c == name) {
            let label = match (spec.registry.is_empty(), spec.repository.is_empty()) {
                (true, _) => spec.repository.clone(),
                (false, true) => spec.registry.clone(),
                (false, false) => format!("{}/{}", spec.registry, spec.repository),
            };
            out.push(Usage {
                name: label,
                kind: "registryScan",
            });
        }
    }
    Ok(out)
}

/// A 404 for a collection that is not stored (the built-in `All` never is).
async fn ensure_exists(state: &AppState, name: &str) -> ApiResult<()> {
    match state.store.document(COLLECTION_DOCUMENT_KIND, name).await? {
        Some(_) => Ok(()),
        None => Err(ApiError::NotFound(format!("collection {name:?} not found"))),
    }
}

pub(crate) async fn delete(
    State(state): State<AppState>,
    Path((_version, name)): Path<(String, String)>,
) -> ApiResult<()> {
    if Collection::named(&name).is_all() {
        return Err(builtin_refused(&name));
    }
    ensure_exists(&state, &name).await?;
    let usages = usages_of(&state, &name).await?;
    if !usages.is_empty() {
        let list: Vec<String> = usages
            .iter()
            .map(|u| format!("{} {:?}", u.kind, u.name))
            .collect();
        return Err(ApiError::BadRequest(format!(
            "collection {name:?} is in use by {}; remove it from them first",
            list.join(", ")
        )));
    }
    state
        .store
        .delete_document(COLLECTION_DOCUMENT_KIND, &name)
        .await?;
    Ok(())
}

pub(crate) async fn usages(
    State(state): State<AppState>,
    Path((_version, name)): Path<(String, String)>,
) -> ApiResult<Json<Vec<Usage>>> {
    let builtin = Collection::named(&name).is_all();
    let name = if builtin {
        ALL_COLLECTION.to_string()
    } else {
        name
    };
    if !builtin
        && state
            .store
            .document(COLLECTION_DOCUMENT_KIND, &name)
            .await?
            .is_none()
    {
        return Err(ApiError::NotFound(format!("collection {name:?} not found")));
    }
    Ok(Json(usages_of(&state, &name).await?))
}
