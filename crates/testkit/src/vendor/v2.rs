//! Type `"2"`: the baseline simulator, the upstream Docker registry passed through unchanged
//! (anonymous). Its specification covers every repository; what it must discover is every
//! upstream image.

use super::{RunningSim, SimInfo, SimOptions, Upstream, forward};
use crate::Result;
use axum::extract::{Request, State};
use axum::response::Response;
use serde_json::json;
use std::sync::Arc;

struct Pass {
    http: reqwest::Client,
    upstream: String,
}

pub(crate) fn start(
    listener: tokio::net::TcpListener,
    upstream: Upstream,
    _options: &SimOptions,
) -> Result<RunningSim> {
    let state = Arc::new(Pass {
        http: reqwest::Client::new(),
        upstream: upstream.url.clone(),
    });
    let app = axum::Router::new().fallback(pass).with_state(state);
    RunningSim::spawn(listener, app, |url| SimInfo {
        kind: "2".into(),
        spec: json!({
            "version": "2",
            "registry": url,
            "repository": "*",
            "tag": "*",
            "os": "linux",
            "cap": 0,
            "scanners": 1,
        }),
        images: upstream.images.clone(),
        ..SimInfo::default()
    })
}

async fn pass(State(st): State<Arc<Pass>>, req: Request) -> Response {
    let path = req
        .uri()
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_string();
    forward(&st.http, &st.upstream, &path, req).await
}
