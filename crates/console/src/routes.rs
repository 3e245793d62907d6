//! The route table. Public routes (`_ping`, `authenticate`) sit beside the protected ones, which
//! pass [`require_auth`] first; all of them sit under `/api/{version}` behind [`check_version`].

mod collections;
mod credentials;
mod intelligence;
mod login;
mod policies;
pub(crate) mod registry;
mod settings;

use crate::AppState;
use crate::error::ApiError;
use axum::Router;
use axum::extract::connect_info::ConnectInfo;
use axum::extract::{DefaultBodyLimit, FromRequestParts, OriginalUri, Request, State};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, put};
use std::net::{IpAddr, SocketAddr};
use tower_http::trace::TraceLayer;

pub fn router(state: AppState) -> Router {
    let protected = Router::new()
        .route(
            "/credentials",
            get(credentials::list).post(credentials::upsert),
        )
        .route("/credentials/{id}", delete(credentials::delete))
        .route("/credentials/{id}/usages", get(credentials::usages))
        .route(
            "/settings/registry",
            get(settings::get).post(settings::post).put(settings::put),
        )
        .route(
            "/policies/vulnerability/images",
            get(policies::get_vulnerability).put(policies::put_vulnerability),
        )
        .route(
            "/policies/compliance/container",
            get(policies::get_compliance).put(policies::put_compliance),
        )
        .route(
            "/collections",
            get(collections::list).post(collections::create),
        )
        .route(
            "/collections/{id}",
            put(collections::update).delete(collections::delete),
        )
        .route("/collections/{id}/usages", get(collections::usages))
        .route("/registry", get(registry::results))
        .route("/registry/names", get(registry::names))
        .route("/registry/download", get(registry::download))
        .route("/registry/scan", post(registry::scan))
        .route("/registry/scan/select", post(registry::scan_select))
        .route("/registry/stop", post(registry::stop))
        .route("/registry/stop/{id}", post(registry::stop_spec))
        .route("/registry/progress", get(registry::progress))
        .route("/statuses/registry", get(registry::status))
        .route("/statuses/intelligence", get(intelligence::status))
        .route_layer(middleware::from_fn_with_state(state.clone(), require_auth));
    let public = Router::new()
        .route("/_ping", get(ping))
        .route(
            "/authenticate",
            post(login::authenticate).layer(DefaultBodyLimit::max(login::LOGIN_BODY_LIMIT)),
        )
        .route("/authenticate/renew", get(login::renew));
    let api = public
        .merge(protected)
        .route_layer(middleware::from_fn(check_version));
    let limit = state.config.max_body_bytes;
    Router::new()
        .nest("/api/{version}", api)
        .merge(crate::ui::router(state.clone()))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(limit))
        .layer(axum::Extension(crate::body::BodyTimeout(
            state.config.body_read_timeout,
        )))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

async fn ping() -> impl IntoResponse {
    axum::http::StatusCode::OK
}

async fn not_found(uri: OriginalUri) -> ApiError {
    ApiError::NotFound(format!("no such endpoint: {}", uri.path()))
}

/// Paths (under `/api/{version}`) that answer without credentials.
const PUBLIC_PATHS: &[&str] = &["/_ping", "/authenticate", "/authenticate/renew"];

/// A wrong method on a protected path is only worth a 405 to a caller who may use the path:
/// an anonymous one gets the 401 every protected route gives, so it cannot map which methods
/// exist.
async fn method_not_allowed(State(state): State<AppState>, req: Request) -> Response {
    let path = req
        .extensions()
        .get::<OriginalUri>()
        .map(|u| u.path().to_string())
        .unwrap_or_else(|| req.uri().path().to_string());
    let under_version = path
        .trim_start_matches("/api/")
        .split_once('/')
        .map(|(_, rest)| format!("/{}", rest.trim_end_matches('/')))
        .unwrap_or_default();
    if !PUBLIC_PATHS.contains(&under_version.as_str()) {
        let addr = req
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip());
        let header = req
            .headers()
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok());
        if let Err(e) = state.auth.authorize(header, addr).await {
            return e.into_response();
        }
    }
    let mut r = ApiError::BadRequest("method not allowed on this endpoint".into()).into_response();
    *r.status_mut() = axum::http::StatusCode::METHOD_NOT_ALLOWED;
    r
}

/// Accepts `v1` and any `vNN.NN` release number, as Prisma does.
fn version_ok(segment: &str) -> bool {
    let Some(rest) = segment.strip_prefix('v') else {
        return false;
    };
    if rest == "1" {
        return true;
    }
    let mut parts = rest.split('.');
    let (Some(major), Some(minor), None) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    let digits = |s: &str| !s.is_empty() && s.len() <= 3 && s.bytes().all(|b| b.is_ascii_digit());
    digits(major) && digits(minor)
}

async fn check_version(req: Request, next: Next) -> Response {
    let path = req
        .extensions()
        .get::<OriginalUri>()
        .map(|u| u.path().to_string())
        .unwrap_or_else(|| req.uri().path().to_string());
    let segment = path
        .trim_start_matches("/api/")
        .split('/')
        .next()
        .unwrap_or("");
    if !version_ok(segment) {
        return ApiError::NotFound(format!("unknown API version {segment:?}: use v1 or vNN.NN"))
            .into_response();
    }
    next.run(req).await
}

/// The client's address, when the server was started with connection info (for throttling).
#[derive(Debug, Clone, Copy)]
pub(crate) struct ClientAddr(pub(crate) Option<IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientAddr(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|c| c.0.ip()),
        ))
    }
}

pub(crate) async fn require_auth(
    State(state): State<AppState>,
    mut req: Request,
    next: Next,
) -> Response {
    let addr = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    let header = req
        .headers()
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    // Without an Authorization header, a web console session cookie may stand in (with its
    // CSRF rule for changes: session.rs).
    let outcome = match header {
        None => match crate::session::cookie_caller(&state, req.method(), req.headers()).await {
            Some(Err(refused)) => {
                return crate::session::without_basic_challenge(req.headers(), refused);
            }
            Some(Ok(caller)) => Ok(caller),
            None => state.auth.authorize(None, addr).await,
        },
        Some(h) => state.auth.authorize(Some(&h), addr).await,
    };
    match outcome {
        Ok(caller) => {
            req.extensions_mut().insert(caller);
            next.run(req).await
        }
        Err(e) => crate::session::without_basic_challenge(req.headers(), e.into_response()),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn versions() {
        for ok in ["v1", "v32.04", "v34.04", "v1.0"] {
            assert!(super::version_ok(ok), "{ok}");
        }
        for bad in ["", "v", "v2", "32.04", "v32", "v32.04.1", "vx.y", "v1234.1"] {
            assert!(!super::version_ok(bad), "{bad}");
        }
    }
}
