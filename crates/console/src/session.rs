//! Web console sessions: a login form that sets a cookie, and the CSRF rule that comes with it.
//!
//! The session token is an ordinary API token (the same JWT, lifetime and retirement as
//! `/authenticate` issues), carried in an `HttpOnly`, `SameSite=Strict` cookie (`Secure` unless
//! the Console serves plain HTTP), so a page's scripts can never read it. Because a browser
//! attaches cookies by itself, a cookie alone never authorizes a change: every request that is
//! not a GET or HEAD must also carry `X-CSRF-Token`, a keyed hash of the session token that
//! only the Console can compute and that the page reads from `GET /ui/session` (same-origin
//! only: another site's page cannot read the answer). Logout retires the token, as renewal does,
//! so a stolen cookie dies with the session. Basic and Bearer callers are untouched: they sent
//! their credentials on purpose.

use crate::AppState;
use crate::auth::{Caller, MAX_PASSWORD_BYTES, MAX_USERNAME_BYTES};
use crate::error::ApiError;
use crate::routes::ClientAddr;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::header::{CONTENT_TYPE, COOKIE, LOCATION, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde::{Deserialize, Serialize};

/// The cookie that carries the session token.
pub(crate) const COOKIE_NAME: &str = "crowsnest_session";
/// Marks a request that came over HTTPS (`serve_tls` adds it): its cookie gets `Secure`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct OverTls;

/// The header a cookie-authenticated change must carry.
pub(crate) const CSRF_HEADER: &str = "x-csrf-token";

#[derive(Debug, Default, Deserialize)]
struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
}

/// What the page learns about its session; never the token itself.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct SessionView {
    username: String,
    role: String,
    csrf_token: String,
}

/// The session token in the request's cookies, if any.
fn cookie_token(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE_NAME)
        .map(|(_, value)| value.trim().to_string())
        .filter(|v| !v.is_empty())
}

fn csrf_for(state: &AppState, token: &str) -> String {
    hex::encode(state.auth.derive("ui-csrf", token.as_bytes()))
}

/// Compares in time independent of where the first difference is.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn forbidden(message: &str) -> Response {
    (
        StatusCode::FORBIDDEN,
        Json(serde_json::json!({ "err": message })),
    )
        .into_response()
}

/// The caller of a request that has no `Authorization` header: `None` when it carries no
/// session cookie either (the caller then gets the API's usual 401), else the session's caller,
/// or the refusal (401 for a dead session, 403 for a change without the CSRF token).
pub(crate) async fn cookie_caller(
    state: &AppState,
    method: &Method,
    headers: &HeaderMap,
) -> Option<Result<Caller, Response>> {
    let token = cookie_token(headers)?;
    let caller = match state.auth.bearer(&token).await {
        Ok(c) => c,
        Err(e) => return Some(Err(e.into_response())),
    };
    if !matches!(*method, Method::GET | Method::HEAD) {
        let sent = headers
            .get(CSRF_HEADER)
            .map(|v| v.as_bytes())
            .unwrap_or_default();
        if !same(sent, csrf_for(state, &token).as_bytes()) {
            return Some(Err(forbidden(
                "a change made with a session cookie needs the X-CSRF-Token header from GET /ui/session",
            )));
        }
    }
    Some(Ok(caller))
}

/// A 401 answered to a page's script must not carry `WWW-Authenticate: Basic`: the browser
/// would open its own password dialog over the console (and a headless one would hang). Pages'
/// requests are told apart by `Sec-Fetch-Mode`, which browsers set on `fetch` and scripts do not.
pub(crate) fn without_basic_challenge(headers: &HeaderMap, mut resp: Response) -> Response {
    let from_page = headers
        .get("sec-fetch-mode")
        .is_some_and(|m| m.as_bytes() != b"navigate");
    if from_page {
        resp.headers_mut()
            .remove(axum::http::header::WWW_AUTHENTICATE);
    }
    resp
}

fn session_cookie(tls: bool, token: &str, max_age: i64) -> HeaderValue {
    let secure = if tls { "; Secure" } else { "" };
    let value = format!(
        "{COOKIE_NAME}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}"
    );
    HeaderValue::from_str(&value).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// `POST /ui/login`: a JSON body answers with the session (for the page's script); an HTML form
/// post is redirected to the console (so login works before any script runs).
pub(crate) async fn login(
    State(state): State<AppState>,
    ClientAddr(addr): ClientAddr,
    tls: Option<Extension<OverTls>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let is_form = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    let form: LoginForm = if is_form {
        let mut f = LoginForm::default();
        for (k, v) in form_urlencoded::parse(&body) {
            match k.as_ref() {
                "username" => f.username = v.into_owned(),
                "password" => f.password = v.into_owned(),
                _ => {}
            }
        }
        f
    } else {
        match serde_json::from_slice(&body) {
            Ok(f) => f,
            Err(_) => {
                return ApiError::BadRequest(
                    "expected a JSON body {\"username\":…,\"password\":…} or a login form".into(),
                )
                .into_response();
            }
        }
    };
    if form.username.is_empty() {
        return ApiError::BadRequest("username is required".into()).into_response();
    }
    if form.username.len() > MAX_USERNAME_BYTES || form.password.len() > MAX_PASSWORD_BYTES {
        return ApiError::BadRequest(format!(
            "username and password are at most {MAX_USERNAME_BYTES} and {MAX_PASSWORD_BYTES} bytes"
        ))
        .into_response();
    }
    let caller = match state.auth.login(&form.username, &form.password, addr).await {
        Ok(c) => c,
        Err(e) if is_form => {
            let _ = e;
            return (
                StatusCode::SEE_OTHER,
                [(LOCATION, HeaderValue::from_static("/#/login?failed=1"))],
            )
                .into_response();
        }
        Err(e) => return e.into_response(),
    };
    let token = state.auth.issue_token(&caller);
    let cookie = session_cookie(tls.is_some(), &token, state.auth.token_ttl().as_secs());
    if is_form {
        return (
            StatusCode::SEE_OTHER,
            [
                (SET_COOKIE, cookie),
                (LOCATION, HeaderValue::from_static("/#/overview")),
            ],
        )
            .into_response();
    }
    let view = SessionView {
        username: caller.username,
        role: caller.role,
        csrf_token: csrf_for(&state, &token),
    };
    ([(SET_COOKIE, cookie)], Json(view)).into_response()
}

/// `GET /ui/session`: who the cookie's session is, with its CSRF token; 401 without one.
pub(crate) async fn current(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let Some(token) = cookie_token(&headers) else {
        return ApiError::Unauthorized("no session: log in".into()).into_response();
    };
    match state.auth.bearer(&token).await {
        Ok(caller) => Json(SessionView {
            username: caller.username,
            role: caller.role,
            csrf_token: csrf_for(&state, &token),
        })
        .into_response(),
        Err(e) => e.into_response(),
    }
}

/// `POST /ui/logout`: retires the session's token and clears the cookie. Needs the CSRF token,
/// so another site cannot log a user out either.
pub(crate) async fn logout(
    State(state): State<AppState>,
    tls: Option<Extension<OverTls>>,
    method: Method,
    headers: HeaderMap,
) -> Response {
    let Some(token) = cookie_token(&headers) else {
        return ApiError::Unauthorized("no session: log in".into()).into_response();
    };
    match cookie_caller(&state, &method, &headers).await {
        Some(Ok(_)) => {}
        Some(Err(refused)) => return refused,
        None => return ApiError::unauthorized().into_response(),
    }
    if let Err(e) = state.auth.revoke(&token).await {
        return e.into_response();
    }
    (
        StatusCode::NO_CONTENT,
        [(SET_COOKIE, session_cookie(tls.is_some(), "", 0))],
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_session_cookie_among_others() {
        let mut h = HeaderMap::new();
        h.append(
            COOKIE,
            HeaderValue::from_static("a=1; crowsnest_session=tok; b=2"),
        );
        assert_eq!(cookie_token(&h).as_deref(), Some("tok"));
        let mut h = HeaderMap::new();
        h.append(COOKIE, HeaderValue::from_static("crowsnest_session="));
        assert_eq!(cookie_token(&h), None);
        assert_eq!(cookie_token(&HeaderMap::new()), None);
    }

    #[test]
    fn compares_whole_values() {
        assert!(same(b"abc", b"abc"));
        assert!(!same(b"abc", b"abd"));
        assert!(!same(b"abc", b"ab"));
        assert!(!same(b"", b"a"));
    }
}
