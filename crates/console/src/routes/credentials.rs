//! `/credentials`: list, upsert by `_id`, delete (refused while a registry spec uses it), usages.
//! Responses carry sealed secrets only; the store never sees a plain value it keeps.

use crate::AppState;
use crate::auth::Caller;
use crate::body::{JsonBody, QueryPairs};
use crate::clock::rfc3339;
use crate::error::{ApiError, ApiResult};
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::{Extension, Json};
use crowsnest_model::credential::Credential;
use serde::Serialize;

/// Credential types that `cloud=true` selects.
const CLOUD_TYPES: &[&str] = &["aws", "azure", "gcp", "oci"];

pub(crate) async fn list(
    State(state): State<AppState>,
    query: QueryPairs,
) -> ApiResult<(HeaderMap, Json<Vec<Credential>>)> {
    let mut creds = state.store.credentials().await?;
    let ids = query.all("ids");
    if !ids.is_empty() {
        creds.retain(|c| ids.contains(&c.id));
    }
    if let Some(cloud) = query.bool("cloud")? {
        creds.retain(|c| CLOUD_TYPES.contains(&c.kind.as_str()) == cloud);
    }
    if let Some(external) = query.bool("external")? {
        creds.retain(|c| c.external == external);
    }
    match query.get("sort").unwrap_or("_id") {
        "_id" | "id" | "" => {}
        "type" => creds.sort_by(|a, b| a.kind.cmp(&b.kind).then(a.id.cmp(&b.id))),
        "lastModified" => {
            creds.sort_by(|a, b| a.last_modified.cmp(&b.last_modified).then(a.id.cmp(&b.id)))
        }
        "description" => {
            creds.sort_by(|a, b| a.description.cmp(&b.description).then(a.id.cmp(&b.id)))
        }
        other => {
            return Err(ApiError::BadRequest(format!(
                "cannot sort credentials by {other:?}"
            )));
        }
    }
    if query.bool("reverse")? == Some(true) {
        creds.reverse();
    }
    let mut headers = HeaderMap::new();
    let page = match query.page()? {
        Some(page) => {
            headers.insert("Total-Count", creds.len().into());
            page.of(creds)
        }
        None => creds,
    };
    Ok((headers, Json(page)))
}

pub(crate) async fn upsert(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    JsonBody(body): JsonBody<Credential>,
) -> ApiResult<()> {
    let mut cred =
        body.ok_or_else(|| ApiError::BadRequest("expected a credential JSON body".into()))?;
    cred.validate().map_err(ApiError::BadRequest)?;
    let now = rfc3339(state.clock.now());
    cred.created = Some(now.clone());
    cred.last_modified = Some(now);
    cred.owner = caller.username;
    state.store.upsert_credential(cred).await?;
    Ok(())
}

pub(crate) async fn delete(
    State(state): State<AppState>,
    Path((_version, id)): Path<(String, String)>,
) -> ApiResult<()> {
    state.store.delete_credential(&id).await?;
    Ok(())
}

#[derive(Debug, Serialize)]
pub(crate) struct Usage {
    #[serde(rename = "type")]
    kind: &'static str,
    description: String,
}

pub(crate) async fn usages(
    State(state): State<AppState>,
    Path((_version, id)): Path<(String, String)>,
) -> ApiResult<Json<Vec<Usage>>> {
    if state.store.credential(&id).await?.is_none() {
        return Err(ApiError::NotFound(format!("credential {id:?} not found")));
    }
    let specs = state.store.credential_usages(&id).await?;
    Ok(Json(
        specs
            .into_iter()
            .map(|s| Usage {
                kind: "Registry Scan",
                // Prisma names the repository; a spec without one covers the whole registry.
                description: if s.repository.is_empty() {
                    s.registry
                } else {
                    s.repository
                },
            })
            .collect(),
    ))
}
