//! The web console: hand-written ES modules, one stylesheet and one HTML page, built into the
//! binary and served at `/` and `/ui/…`, plus the session routes (`session.rs`) and the few
//! read-only views the pages need that the Prisma API has no call for (`ui/data.rs`).
//!
//! There is no JavaScript build step: what is in `crates/console/ui/` is what the browser runs.
//! Every UI answer carries a Content-Security-Policy that allows scripts and styles from this
//! origin only (no inline script, no `eval`, no framing), so even a registry string that got
//! into the page as markup could not run; the scripts never build markup from data anyway
//! (they set `textContent`). Assets are revalidated on every load with a strong ETag, so an
//! upgraded Console is seen at once and an unchanged one costs a 304.

mod data;

use crate::AppState;
use axum::Router;
use axum::extract::{Path, Request};
use axum::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, ETAG, IF_NONE_MATCH, REFERRER_POLICY,
    WWW_AUTHENTICATE, X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use sha2::{Digest, Sha256};
use std::sync::OnceLock;

/// The policy on every UI answer.
pub(crate) const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; \
     form-action 'self'; frame-ancestors 'none'";

/// One embedded file: its path under `/ui/`, content type and bytes.
struct Asset {
    path: &'static str,
    content_type: &'static str,
    body: &'static [u8],
}

macro_rules! asset {
    ($path:literal, $ty:expr) => {
        Asset {
            path: $path,
            content_type: $ty,
            body: include_bytes!(concat!("../ui/", $path)),
        }
    };
}

const JS: &str = "text/javascript; charset=utf-8";

static ASSETS: &[Asset] = &[
    asset!("index.html", "text/html; charset=utf-8"),
    asset!("app.css", "text/css; charset=utf-8"),
    asset!("favicon.svg", "image/svg+xml"),
    asset!("js/main.js", JS),
    asset!("js/api.js", JS),
    asset!("js/dom.js", JS),
    asset!("js/format.js", JS),
    asset!("js/login.js", JS),
    asset!("js/overview.js", JS),
    asset!("js/registries.js", JS),
    asset!("js/images.js", JS),
    asset!("js/image.js", JS),
    asset!("js/vulnerability.js", JS),
    asset!("js/policies.js", JS),
    asset!("js/credentials.js", JS),
];

/// Strong ETags of the assets, in the order of [`ASSETS`], computed once.
fn etags() -> &'static [String] {
    static ETAGS: OnceLock<Vec<String>> = OnceLock::new();
    ETAGS.get_or_init(|| {
        ASSETS
            .iter()
            .map(|a| format!("\"{}\"", &hex::encode(Sha256::digest(a.body))[..32]))
            .collect()
    })
}

pub(crate) fn router(state: AppState) -> Router<AppState> {
    let views = Router::new()
        .route("/ui/api/images", get(data::images))
        .route("/ui/api/vulnerability", get(data::vulnerability))
        .route("/ui/api/summary", get(data::summary))
        .route_layer(middleware::from_fn_with_state(
            state,
            crate::routes::require_auth,
        ));
    Router::new()
        .route("/", get(index))
        .route("/ui/", get(index))
        .route("/ui/login", post(crate::session::login))
        .route("/ui/session", get(crate::session::current))
        .route("/ui/logout", post(crate::session::logout))
        .route("/ui/{*path}", get(file))
        .merge(views)
        .layer(middleware::from_fn(security_headers))
}

async fn index(headers: HeaderMap) -> Response {
    serve("index.html", &headers)
}

async fn file(Path(path): Path<String>, headers: HeaderMap) -> Response {
    serve(&path, &headers)
}

fn serve(path: &str, headers: &HeaderMap) -> Response {
    let Some(i) = ASSETS.iter().position(|a| a.path == path) else {
        return (
            StatusCode::NOT_FOUND,
            [(CONTENT_TYPE, "text/plain; charset=utf-8")],
            "no such file",
        )
            .into_response();
    };
    let asset = &ASSETS[i];
    let etag = &etags()[i];
    let cache = [
        (CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        (
            ETAG,
            HeaderValue::from_str(etag).expect("hex is a valid header"),
        ),
    ];
    let matches = headers
        .get(IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    if matches {
        return (StatusCode::NOT_MODIFIED, cache).into_response();
    }
    (
        cache,
        [(CONTENT_TYPE, HeaderValue::from_static(asset.content_type))],
        asset.body,
    )
        .into_response()
}

/// The headers every UI answer carries: the policy, no sniffing, no framing, no referrer.
async fn security_headers(req: Request, next: Next) -> Response {
    let mut resp = next.run(req).await;
    let h = resp.headers_mut();
    h.insert(CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    h.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    // No browser password dialog over the console's own login (see session.rs).
    h.remove(WWW_AUTHENTICATE);
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_asset_is_unique_and_non_empty() {
        let mut seen = std::collections::HashSet::new();
        for a in ASSETS {
            assert!(seen.insert(a.path), "{} twice", a.path);
            assert!(!a.body.is_empty(), "{} is empty", a.path);
        }
        assert_eq!(etags().len(), ASSETS.len());
    }

    #[test]
    fn no_inline_script_or_style_in_the_page() {
        let page = std::str::from_utf8(ASSETS[0].body).unwrap();
        assert!(!page.contains("<script>"), "inline script");
        assert!(!page.contains("style="), "inline style");
        assert!(!page.contains("<style"), "inline style element");
        for a in ASSETS.iter().filter(|a| a.path.ends_with(".js")) {
            let text = std::str::from_utf8(a.body).unwrap();
            assert!(!text.contains("innerHTML"), "{} uses innerHTML", a.path);
            assert!(!text.contains("eval("), "{} uses eval", a.path);
        }
    }
}
