//! `POST /authenticate` and `GET /authenticate/renew`.
//!
//! A login body is small ([`LOGIN_BODY_LIMIT`]): a larger one is refused while it is read, so a
//! crowd of clients sending megabyte user names makes the Console hold nothing.

use super::ClientAddr;
use crate::AppState;
use crate::auth::{MAX_PASSWORD_BYTES, MAX_USERNAME_BYTES};
use crate::body::JsonBody;
use crate::error::{ApiError, ApiResult};
use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;
use serde::{Deserialize, Serialize};

/// Largest `POST /authenticate` body: a user name and a password of the longest accepted
/// lengths, JSON-escaped, fit many times over.
pub(crate) const LOGIN_BODY_LIMIT: usize = 16 * 1024;

#[derive(Debug, Deserialize)]
pub(crate) struct AuthenticationRequest {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
}

#[derive(Debug, Serialize)]
pub(crate) struct AuthenticationResponse {
    token: String,
}

pub(crate) async fn authenticate(
    State(state): State<AppState>,
    ClientAddr(addr): ClientAddr,
    JsonBody(body): JsonBody<AuthenticationRequest>,
) -> ApiResult<Json<AuthenticationResponse>> {
    let body = body.ok_or_else(|| {
        ApiError::BadRequest("expected a JSON body {\"username\":…,\"password\":…}".into())
    })?;
    if body.username.is_empty() {
        return Err(ApiError::BadRequest("username is required".into()));
    }
    if body.username.len() > MAX_USERNAME_BYTES || body.password.len() > MAX_PASSWORD_BYTES {
        return Err(ApiError::BadRequest(format!(
            "username and password are at most {MAX_USERNAME_BYTES} and {MAX_PASSWORD_BYTES} bytes"
        )));
    }
    let caller = state
        .auth
        .login(&body.username, &body.password, addr)
        .await?;
    Ok(Json(AuthenticationResponse {
        token: state.auth.issue_token(&caller),
    }))
}

pub(crate) async fn renew(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> ApiResult<Json<AuthenticationResponse>> {
    let header = headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let token = header
        .split_once(' ')
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, t)| t.trim())
        .ok_or_else(|| {
            ApiError::Unauthorized("renew needs Authorization: Bearer <current token>".into())
        })?;
    Ok(Json(AuthenticationResponse {
        token: state.auth.renew(token).await?,
    }))
}
