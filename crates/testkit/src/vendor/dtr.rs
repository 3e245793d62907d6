//! Type `"dtr"`: the API of Mirantis Secure Registry / Docker Trusted Registry (`/api/v0`), its
//! token service `/auth/token` and its registry on one host, in front of the upstream registry.
//! Built from DTR's published API description (the swagger DTR serves at `/api/v0/docs`,
//! "DTR API v0": `GET /api/v0/repositories` and `GET /api/v0/repositories/{namespace}/{reponame}/tags`,
//! both with `pageSize` and `pageStart` and the `X-Next-Page-Start` response header) and the
//! response shapes Harbor's DTR adapter decodes (goharbor/harbor `src/pkg/reg/adapter/dtr`).
//!
//! - Basic auth as [`USER`] / [`PASSWORD`]; anything else is 401 `NOT_AUTHENTICATED`.
//! - Repositories: every upstream repository `ns/name` (one-segment ones are not served), in
//!   pages of `pageSize` (default 10, at most the simulator's page size); `X-Next-Page-Start`
//!   carries the next repository's ID while more follow.
//! - Tags: `[{name, digest, author, createdAt, updatedAt, hashMismatch, inNotary, manifest}]`,
//!   paged the same way by tag name; `createdAt` is the config's `created`.

use super::sim_http::{Query, error, ok, parse_query, percent_decode};
use super::{RunningSim, SimInfo, SimOptions, Upstream, UpstreamImage, forward};
use crate::{Error, Result};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::response::Response;
use base64::Engine as _;
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, Mutex};

pub const USER: &str = "admin";
pub const PASSWORD: &str = "dtr-sim-password";

#[derive(Debug)]
pub struct Control {
    upstream: String,
    http: reqwest::Client,
    page_size: usize,
    base: String,
    host: String,
    repos: BTreeMap<String, Vec<UpstreamImage>>,
    tokens: Mutex<HashSet<String>>,
    hits: Mutex<BTreeMap<String, u64>>,
}

impl Control {
    pub fn hits(&self) -> BTreeMap<String, u64> {
        self.hits.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    fn hit(&self, route: &str) {
        *self
            .hits
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(route.into())
            .or_default() += 1;
    }
}

#[derive(Debug)]
pub struct DtrSim {
    pub sim: RunningSim,
    pub control: Arc<Control>,
}

pub async fn serve(options: &SimOptions) -> Result<DtrSim> {
    let upstream = Upstream::read(&options.upstream).await?;
    let listener = tokio::net::TcpListener::bind(options.listen)
        .await
        .map_err(Error::from_display)?;
    launch(listener, upstream, options)
}

pub(crate) fn start(
    listener: tokio::net::TcpListener,
    upstream: Upstream,
    options: &SimOptions,
) -> Result<RunningSim> {
    launch(listener, upstream, options).map(|d| d.sim)
}

fn launch(
    listener: tokio::net::TcpListener,
    upstream: Upstream,
    options: &SimOptions,
) -> Result<DtrSim> {
    let addr = listener.local_addr().map_err(Error::from_display)?;
    let mut repos: BTreeMap<String, Vec<UpstreamImage>> = BTreeMap::new();
    for i in &upstream.images {
        if i.repo.split('/').count() == 2 {
            repos.entry(i.repo.clone()).or_default().push(i.clone());
        }
    }
    let control = Arc::new(Control {
        upstream: upstream.url.clone(),
        http: reqwest::Client::new(),
        page_size: options.page_size.max(1),
        base: format!("http://{addr}"),
        host: addr.to_string(),
        repos,
        tokens: Mutex::new(HashSet::new()),
        hits: Mutex::new(BTreeMap::new()),
    });
    let app = axum::Router::new()
        .fallback(handle)
        .with_state(control.clone());
    let c = control.clone();
    let sim = RunningSim::spawn(listener, app, move |url| SimInfo {
        kind: "dtr".into(),
        env: BTreeMap::new(),
        credential: Some(json!({"_id": "dtr-sim", "type": "dtr", "accountID": USER,
            "secret": {"plain": PASSWORD}})),
        spec: json!({"version": "dtr", "registry": url, "credentialID": "dtr-sim",
            "repository": "*", "tag": "*", "os": "linux", "cap": 0, "scanners": 1}),
        images: c.repos.values().flatten().cloned().collect(),
    })?;
    Ok(DtrSim { sim, control })
}

fn not_authenticated() -> Response {
    error(
        StatusCode::UNAUTHORIZED,
        json!({"errors": [{"code": "NOT_AUTHENTICATED",
            "message": "The client is not authenticated.", "detail": null}]}),
    )
}

fn basic_ok(req: &Request) -> bool {
    req.headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b| {
            base64::engine::general_purpose::STANDARD
                .decode(b.trim())
                .ok()
        })
        .and_then(|b| String::from_utf8(b).ok())
        .is_some_and(|l| l == format!("{USER}:{PASSWORD}"))
}

async fn handle(State(c): State<Arc<Control>>, req: Request) -> Response {
    let path = req.uri().path().to_string();
    let q = parse_query(&path, req.uri().query().unwrap_or(""));
    if path == "/auth/token" {
        c.hit("GET /auth/token");
        if !basic_ok(&req) {
            return not_authenticated();
        }
        let mut tokens = c.tokens.lock().unwrap_or_else(|p| p.into_inner());
        let t = format!("dtr-sim-token-{}", tokens.len());
        tokens.insert(t.clone());
        return ok(json!({"token": t, "expires_in": 300}));
    }
    if path == "/v2" || path.starts_with("/v2/") {
        c.hit("GET /v2");
        return registry(&c, req).await;
    }
    let Some(rest) = path.strip_prefix("/api/v0/") else {
        return error(
            StatusCode::NOT_FOUND,
            json!({"errors": [{"code": "NOT_FOUND"}]}),
        );
    };
    if !basic_ok(&req) {
        return not_authenticated();
    }
    let parts: Vec<String> = rest.split('/').map(percent_decode).collect();
    match parts
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["repositories"] => {
            c.hit("GET /api/v0/repositories");
            let all: Vec<(String, Value)> = c
                .repos
                .keys()
                .enumerate()
                .map(|(n, r)| {
                    let (ns, name) = r.split_once('/').unwrap_or_default();
                    let id = format!("{:08x}-0000-4000-8000-{n:012x}", n + 1);
                    (
                        id.clone(),
                        json!({"id": id, "namespace": ns, "namespaceType": "organization",
                        "name": name, "shortDescription": "", "longDescription": "",
                        "visibility": "private", "scanOnPush": false, "immutableTags": false,
                        "enableManifestLists": false, "pulls": 0, "pushes": 0, "tagLimit": 0,
                        "status": "ok"}),
                    )
                })
                .collect();
            let (page, next) = paged(&c, &all, &q);
            let mut r = ok(json!({ "repositories": page }));
            next_header(&mut r, next);
            r
        }
        ["repositories", ns, name, "tags"] => {
            c.hit("GET /api/v0/repositories/{ns}/{repo}/tags");
            let Some(tags) = c.repos.get(&format!("{ns}/{name}")) else {
                return error(
                    StatusCode::NOT_FOUND,
                    json!({"errors": [{"code": "NO_SUCH_REPOSITORY",
                        "message": "A repository with the given name does not exist."}]}),
                );
            };
            let all: Vec<(String, Value)> = tags
                .iter()
                .map(|t| {
                    let created = t.created.clone().unwrap_or_default();
                    (
                        t.tag.clone(),
                        json!({"name": t.tag, "digest": t.digest, "author": USER,
                        "manifest": {"digest": t.digest, "mediaType": t.media_type,
                            "size": 0, "createdAt": created, "os": "linux",
                            "architecture": "amd64"},
                        "hashMismatch": false, "updatedAt": created, "createdAt": created,
                        "inNotary": false}),
                    )
                })
                .collect();
            let (page, next) = paged(&c, &all, &q);
            let mut r = ok(Value::Array(page));
            next_header(&mut r, next);
            r
        }
        _ => error(
            StatusCode::NOT_FOUND,
            json!({"errors": [{"code": "NOT_FOUND"}]}),
        ),
    }
}

/// The page starting at `pageStart` (an item's key), `pageSize` long (default 10), and the key
/// of the item after it.
fn paged(c: &Control, all: &[(String, Value)], q: &Query) -> (Vec<Value>, Option<String>) {
    let size = q
        .get("pageSize")
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(10)
        .clamp(1, c.page_size);
    let from = q
        .get("pageStart")
        .and_then(|s| all.iter().position(|(k, _)| k == s))
        .unwrap_or(0);
    let page = all
        .iter()
        .skip(from)
        .take(size)
        .map(|(_, v)| v.clone())
        .collect();
    (page, all.get(from + size).map(|(k, _)| k.clone()))
}

fn next_header(r: &mut Response, next: Option<String>) {
    if let Some(v) = next.and_then(|n| HeaderValue::from_str(&n).ok()) {
        r.headers_mut().insert("x-next-page-start", v);
    }
}

async fn registry(c: &Control, req: Request) -> Response {
    let valid = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .is_some_and(|t| {
            c.tokens
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .contains(t)
        });
    if !valid {
        let mut r = error(
            StatusCode::UNAUTHORIZED,
            json!({"errors": [{"code": "UNAUTHORIZED", "message": "authentication required"}]}),
        );
        let challenge = format!(
            "Bearer realm=\"{}/auth/token\",service=\"{}\"",
            c.base, c.host
        );
        if let Ok(v) = HeaderValue::from_str(&challenge) {
            r.headers_mut().insert("www-authenticate", v);
        }
        return r;
    }
    let pq = req
        .uri()
        .path_and_query()
        .map_or("/v2/", |p| p.as_str())
        .to_string();
    forward(&c.http, &c.upstream, &pq, req).await
}
