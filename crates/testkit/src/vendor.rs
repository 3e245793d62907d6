//! Vendor API simulators: each registry type's control plane (its listing API, its login, its
//! errors) served on 127.0.0.1 in front of a real Docker registry that holds real images, so
//! discovery and pulls of every registry type run against real manifests and blobs.
//!
//! Everything a simulator shares lives here:
//! - [`Upstream`]: the real registry's content, read once through its v2 API (every repository,
//!   tag, manifest digest and the config's `created`, which simulators serve as the vendor's
//!   push date).
//! - [`forward`]: a pass-through of one request to the real registry (the simulators' `/v2/`
//!   behind their own auth), streaming nothing larger than [`MAX_FORWARD_BYTES`].
//! - [`SimInfo`]: the one JSON line `registry-sim` prints: what the Console needs (environment,
//!   credential body, specification) and exactly which images that specification must discover.
//! - [`SimOptions`] and [`start`]: the entry point `registry-sim --kind KIND` dispatches through,
//!   one module per registry type under `vendor/`.
//!
//! Type `"2"` ([`v2`]) is the baseline: the upstream registry itself, passed through unchanged.

pub mod dtr;
pub mod ecr;
pub mod gitlab;
pub mod harbor;
pub mod jfrog;
pub mod quay;
mod sim_http;
pub mod v2;

use crate::{Error, Result};
use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// Every manifest media type, so the registry answers each tag with what was pushed.
const ACCEPT_MANIFESTS: &str = "application/vnd.oci.image.index.v1+json, \
     application/vnd.oci.image.manifest.v1+json, \
     application/vnd.docker.distribution.manifest.list.v2+json, \
     application/vnd.docker.distribution.manifest.v2+json";

/// Largest body [`forward`] carries (a test image's layer is far smaller).
pub const MAX_FORWARD_BYTES: usize = 256 << 20;

/// One image of the upstream registry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpstreamImage {
    pub repo: String,
    pub tag: String,
    /// The tag's manifest digest, as `Docker-Content-Digest` says.
    pub digest: String,
    /// The manifest's media type.
    pub media_type: String,
    /// The config's `created` (RFC 3339), when the manifest has a config that says it;
    /// simulators serve it as the vendor's push date.
    pub created: Option<String>,
}

/// The content of a real registry, read once.
#[derive(Debug, Clone, Default)]
pub struct Upstream {
    /// `http://127.0.0.1:PORT` of the real registry.
    pub url: String,
    /// Sorted by repository, then tag.
    pub images: Vec<UpstreamImage>,
}

impl Upstream {
    /// Reads every repository and tag of the (anonymous) registry at `url`.
    pub async fn read(url: &str) -> Result<Upstream> {
        let url = url.trim_end_matches('/').to_string();
        // reqwest has no crypto provider of its own here; `registry-sim` reaches this first.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::new();
        // Every page of a v2 listing (`Link` followed), the named array of each concatenated.
        let list = |path: String, field: &'static str| {
            let http = http.clone();
            let url = url.clone();
            async move {
                let mut names = Vec::new();
                let mut next = Some(path);
                while let Some(path) = next.take() {
                    let resp = http
                        .get(format!("{url}{path}"))
                        .send()
                        .await
                        .map_err(Error::from_display)?;
                    if !resp.status().is_success() {
                        return Err(Error::new(format!("GET {path}: HTTP {}", resp.status())));
                    }
                    next = resp
                        .headers()
                        .get("link")
                        .and_then(|l| l.to_str().ok())
                        .and_then(|l| l.split('<').nth(1)?.split('>').next())
                        .map(str::to_string);
                    let page: Value = resp.json().await.map_err(Error::from_display)?;
                    names.extend(strings(&page[field]));
                }
                Ok::<_, Error>(names)
            }
        };
        // No `n`: a registry configured with a smaller `maxentries` refuses a larger `n` (400
        // PAGINATION_NUMBER_INVALID) but pages its own default size with `Link`.
        let mut repos = list("/v2/_catalog".into(), "repositories").await?;
        repos.sort();
        let mut images = Vec::new();
        for repo in repos {
            let mut tags = list(format!("/v2/{repo}/tags/list"), "tags").await?;
            tags.sort();
            for tag in tags {
                let resp = http
                    .get(format!("{url}/v2/{repo}/manifests/{tag}"))
                    .header("accept", ACCEPT_MANIFESTS)
                    .send()
                    .await
                    .map_err(Error::from_display)?;
                let digest = header(resp.headers(), "docker-content-digest");
                let media_type = header(resp.headers(), "content-type");
                let manifest: Value = resp.json().await.map_err(Error::from_display)?;
                let mut created = None;
                if let Some(config) = manifest["config"]["digest"].as_str() {
                    let blob = http
                        .get(format!("{url}/v2/{repo}/blobs/{config}"))
                        .send()
                        .await
                        .map_err(Error::from_display)?;
                    let config: Value = blob.json().await.unwrap_or_default();
                    created = config["created"].as_str().map(str::to_string);
                }
                images.push(UpstreamImage {
                    repo: repo.clone(),
                    tag,
                    digest,
                    media_type,
                    created,
                });
            }
        }
        Ok(Upstream { url, images })
    }

    /// The repositories, sorted, each once.
    pub fn repositories(&self) -> Vec<&str> {
        let mut repos: Vec<&str> = self.images.iter().map(|i| i.repo.as_str()).collect();
        repos.dedup();
        repos
    }

    /// The images of `repo`, sorted by tag.
    pub fn tags_of<'a>(&'a self, repo: &'a str) -> impl Iterator<Item = &'a UpstreamImage> {
        self.images.iter().filter(move |i| i.repo == repo)
    }
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

fn header(h: &reqwest::header::HeaderMap, name: &str) -> String {
    h.get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

/// Forwards `req` to `upstream` under `path_and_query` (the simulator's own auth already
/// checked and stripped): method, headers except hop-by-hop ones and `Authorization`, body.
pub async fn forward(
    http: &reqwest::Client,
    upstream: &str,
    path_and_query: &str,
    req: Request,
) -> Response {
    match forward_inner(http, upstream, path_and_query, req).await {
        Ok(r) => r,
        Err(e) => (StatusCode::BAD_GATEWAY, e.to_string()).into_response(),
    }
}

async fn forward_inner(
    http: &reqwest::Client,
    upstream: &str,
    path_and_query: &str,
    req: Request,
) -> Result<Response> {
    let method = reqwest::Method::from_bytes(req.method().as_str().as_bytes())
        .map_err(Error::from_display)?;
    let mut out = http.request(method, format!("{upstream}{path_and_query}"));
    for (k, v) in req.headers() {
        if !matches!(
            k.as_str(),
            "host" | "content-length" | "connection" | "transfer-encoding" | "authorization"
        ) {
            out = out.header(k.as_str(), v.as_bytes());
        }
    }
    let body = axum::body::to_bytes(req.into_body(), MAX_FORWARD_BYTES)
        .await
        .map_err(Error::from_display)?;
    let resp = out.body(body).send().await.map_err(Error::from_display)?;
    let status = StatusCode::from_u16(resp.status().as_u16()).map_err(Error::from_display)?;
    let mut headers = HeaderMap::new();
    for (k, v) in resp.headers() {
        if matches!(k.as_str(), "connection" | "transfer-encoding") {
            continue;
        }
        if let (Ok(name), Ok(value)) = (
            axum::http::HeaderName::from_bytes(k.as_str().as_bytes()),
            HeaderValue::from_bytes(v.as_bytes()),
        ) {
            headers.append(name, value);
        }
    }
    let body = resp.bytes().await.map_err(Error::from_display)?;
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    *response.headers_mut() = headers;
    Ok(response)
}

/// What `registry-sim` prints (one JSON line) and what tests read: how to point the Console at
/// the simulator and what it must find.
#[derive(Debug, Clone, Default)]
pub struct SimInfo {
    /// The registry type (`version`), e.g. `"aws"`.
    pub kind: String,
    /// Environment variables the Console (or `crowsnest`) needs, e.g. endpoint overrides.
    pub env: BTreeMap<String, String>,
    /// The Console credential body (`POST /api/v1/credentials`), when the type needs one.
    pub credential: Option<Value>,
    /// A Console registry specification covering everything the simulator serves.
    pub spec: Value,
    /// Exactly what `spec` must discover.
    pub images: Vec<UpstreamImage>,
}

impl SimInfo {
    /// The JSON line.
    pub fn to_json(&self) -> Value {
        json!({
            "kind": self.kind,
            "env": self.env,
            "credential": self.credential,
            "spec": self.spec,
            "images": self.images.iter().map(|i| json!({
                "repo": i.repo, "tag": i.tag, "digest": i.digest,
            })).collect::<Vec<_>>(),
        })
    }
}

/// How to start a simulator.
#[derive(Debug, Clone)]
pub struct SimOptions {
    /// Where to listen (`127.0.0.1:0` for any free port).
    pub listen: std::net::SocketAddr,
    /// The real registry behind the simulator.
    pub upstream: String,
    /// Most items per page of every listing the simulator serves.
    pub page_size: usize,
}

/// A running simulator; stops on drop.
#[derive(Debug)]
pub struct RunningSim {
    pub url: String,
    pub info: SimInfo,
    task: tokio::task::JoinHandle<()>,
}

impl RunningSim {
    /// Serves `app` on `listener`; `info` is what the simulator's kind says of it.
    pub fn spawn(
        listener: tokio::net::TcpListener,
        app: axum::Router,
        info: impl FnOnce(&str) -> SimInfo,
    ) -> Result<RunningSim> {
        let url = format!(
            "http://{}",
            listener.local_addr().map_err(Error::from_display)?
        );
        let info = info(&url);
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(RunningSim { url, info, task })
    }
}

impl Drop for RunningSim {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The registry types `registry-sim` knows.
pub const KINDS: &[&str] = &["2", "aws", "harbor", "jfrog", "gitlab", "coreos", "dtr"];

/// Starts the simulator of `kind` (a Prisma `version` value) in front of `options.upstream`.
pub async fn start(kind: &str, options: &SimOptions) -> Result<RunningSim> {
    let upstream = Upstream::read(&options.upstream).await?;
    let listener = tokio::net::TcpListener::bind(options.listen)
        .await
        .map_err(Error::from_display)?;
    match kind {
        "2" => v2::start(listener, upstream, options),
        "aws" => ecr::start(listener, upstream, options),
        "harbor" => harbor::start(listener, upstream, options).await,
        "jfrog" => jfrog::start(listener, upstream, options, "REPOPATHPREFIX"),
        "gitlab" => gitlab::start(listener, upstream, options),
        "coreos" => quay::start(listener, upstream, options),
        "dtr" => dtr::start(listener, upstream, options),
        other => Err(Error::new(format!(
            "no simulator for registry type {other:?} (known: {})",
            KINDS.join(", ")
        ))),
    }
}
