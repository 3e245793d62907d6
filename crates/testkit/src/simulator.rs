//! [`SimRegistry`]: a synthetic Docker Registry v2 on 127.0.0.1 for registries too large to
//! push: an endless catalog, repositories of a million tags. Nothing is stored; every catalog
//! page, tag page, manifest and config is generated from its position when asked for, so the
//! simulator's own memory stays flat and a test can measure what the client holds.
//!
//! - `GET /v2/` answers 200 (anonymous).
//! - `GET /v2/_catalog?n=&last=`: the configured repositories in name order, or with
//!   [`SimRegistryBuilder::endless_catalog`] names `gen/r000000000`, `gen/r000000001`, … without
//!   end, `per_page` names whatever `n` asks, each followed by a relative
//!   `Link: <…?last=…&n=…>; rel="next"`.
//! - `GET /v2/<repo>/tags/list?n=&last=`: tag `i` of a repository is `1.<i / 1000>.<i % 1000>`,
//!   served in index order (the registry's listing order), pages of `n` (at most the configured
//!   page size), with `Link` while more follow.
//! - `GET /v2/<repo>/manifests/<tag>`: an OCI image manifest whose config says the image was
//!   created `i` seconds after 2020-01-01 (so a higher index is newer), `Docker-Content-Digest`
//!   set. `GET /v2/<repo>/blobs/<digest>` serves the configs of recently served manifests.
//!
//! [`SimRegistry::counts`] tells how many requests of each kind arrived.

use crate::{Error, Result};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use sha2::{Digest as _, Sha256};
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// Configs remembered for blob requests: the client asks for a config right after its manifest.
const RECENT_CONFIGS: usize = 4096;

/// How to build a [`SimRegistry`].
#[derive(Debug, Clone)]
pub struct SimRegistryBuilder {
    repos: BTreeMap<String, u64>,
    endless_catalog: Option<usize>,
    page_size: usize,
}

/// Requests the simulator answered, by kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SimCounts {
    pub catalog_pages: u64,
    pub tag_pages: u64,
    pub manifests: u64,
    pub blobs: u64,
    pub other: u64,
}

impl SimCounts {
    pub fn total(&self) -> u64 {
        self.catalog_pages + self.tag_pages + self.manifests + self.blobs + self.other
    }
}

#[derive(Debug, Default)]
struct Counters {
    catalog_pages: AtomicU64,
    tag_pages: AtomicU64,
    manifests: AtomicU64,
    blobs: AtomicU64,
    other: AtomicU64,
}

#[derive(Debug)]
struct SimState {
    repos: BTreeMap<String, u64>,
    endless_catalog: Option<usize>,
    page_size: usize,
    counters: Counters,
    recent: Mutex<RecentConfigs>,
}

/// Config bodies by digest, and their digests oldest first (to forget the oldest).
type RecentConfigs = (HashMap<String, Vec<u8>>, VecDeque<String>);

/// A running simulator; stops on drop.
#[derive(Debug)]
pub struct SimRegistry {
    url: String,
    state: Arc<SimState>,
    task: tokio::task::JoinHandle<()>,
}

impl Default for SimRegistryBuilder {
    fn default() -> SimRegistryBuilder {
        SimRegistryBuilder::new()
    }
}

impl SimRegistryBuilder {
    /// No repositories, pages of 1,000 names.
    pub fn new() -> SimRegistryBuilder {
        SimRegistryBuilder {
            repos: BTreeMap::new(),
            endless_catalog: None,
            page_size: 1000,
        }
    }

    /// A repository of `tags` tags (`u64::MAX` for a tag list without end).
    pub fn repository(mut self, name: &str, tags: u64) -> SimRegistryBuilder {
        self.repos.insert(name.to_string(), tags);
        self
    }

    /// A catalog that never ends, `per_page` generated names per page (its repositories have
    /// no tags; the configured repositories are still served by name).
    pub fn endless_catalog(mut self, per_page: usize) -> SimRegistryBuilder {
        self.endless_catalog = Some(per_page.max(1));
        self
    }

    /// Most names per catalog or tags page (a client's `n` may ask for fewer).
    pub fn page_size(mut self, n: usize) -> SimRegistryBuilder {
        self.page_size = n.max(1);
        self
    }

    pub async fn start(self) -> Result<SimRegistry> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(Error::from_display)?;
        let url = format!(
            "http://{}",
            listener.local_addr().map_err(Error::from_display)?
        );
        let state = Arc::new(SimState {
            repos: self.repos,
            endless_catalog: self.endless_catalog,
            page_size: self.page_size,
            counters: Counters::default(),
            recent: Mutex::new((HashMap::new(), VecDeque::new())),
        });
        let app = axum::Router::new()
            .fallback(handle)
            .with_state(state.clone());
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(SimRegistry { url, state, task })
    }
}

impl SimRegistry {
    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn counts(&self) -> SimCounts {
        let c = &self.state.counters;
        SimCounts {
            catalog_pages: c.catalog_pages.load(Ordering::Relaxed),
            tag_pages: c.tag_pages.load(Ordering::Relaxed),
            manifests: c.manifests.load(Ordering::Relaxed),
            blobs: c.blobs.load(Ordering::Relaxed),
            other: c.other.load(Ordering::Relaxed),
        }
    }

    /// Tag `i` of every simulated repository.
    pub fn tag(i: u64) -> String {
        format!("1.{}.{}", i / 1000, i % 1000)
    }

    /// The `created` date of tag `i` (RFC 3339): `i` seconds after 2020-01-01, counted in
    /// months of 28 days, so that later tags are always newer.
    pub fn created(i: u64) -> String {
        let (days, secs) = (i / 86_400, i % 86_400);
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
            2020 + days / 336,
            1 + (days / 28) % 12,
            1 + days % 28,
            secs / 3600,
            (secs / 60) % 60,
            secs % 60
        )
    }
}

impl Drop for SimRegistry {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn index_of(tag: &str) -> Option<u64> {
    let rest = tag.strip_prefix("1.")?;
    let (hi, lo) = rest.split_once('.')?;
    let lo: u64 = lo.parse().ok().filter(|l| *l < 1000)?;
    hi.parse::<u64>().ok()?.checked_mul(1000)?.checked_add(lo)
}

fn not_found(code: &str) -> Response {
    let body = format!(r#"{{"errors":[{{"code":"{code}","message":"simulated","detail":null}}]}}"#);
    (
        StatusCode::NOT_FOUND,
        [("content-type", "application/json")],
        body,
    )
        .into_response()
}

fn json_page(body: String, next: Option<String>) -> Response {
    let mut r = (StatusCode::OK, [("content-type", "application/json")], body).into_response();
    if let Some(link) =
        next.and_then(|n| HeaderValue::from_str(&format!("<{n}>; rel=\"next\"")).ok())
    {
        r.headers_mut().insert("link", link);
    }
    r
}

fn names_json(field: &str, extra: &str, names: &[String]) -> String {
    let list = serde_json::to_string(names).unwrap_or_else(|_| "[]".into());
    format!(r#"{{{extra}"{field}":{list}}}"#)
}

async fn handle(State(st): State<Arc<SimState>>, req: Request) -> Response {
    let path = req.uri().path().to_string();
    let query = reqwest::Url::parse(&format!("http://x/?{}", req.uri().query().unwrap_or("")))
        .map(|u| {
            u.query_pairs()
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect::<HashMap<_, _>>()
        })
        .unwrap_or_default();
    let n = query
        .get("n")
        .and_then(|n| n.parse::<usize>().ok())
        .map_or(st.page_size, |n| n.clamp(1, st.page_size));
    let last = query.get("last").cloned();
    let c = &st.counters;
    if path == "/v2/" || path == "/v2" {
        c.other.fetch_add(1, Ordering::Relaxed);
        return json_page("{}".into(), None);
    }
    if path == "/v2/_catalog" {
        c.catalog_pages.fetch_add(1, Ordering::Relaxed);
        return catalog(&st, n, last.as_deref());
    }
    let Some(rest) = path.strip_prefix("/v2/") else {
        c.other.fetch_add(1, Ordering::Relaxed);
        return not_found("UNSUPPORTED");
    };
    if let Some(repo) = rest.strip_suffix("/tags/list") {
        c.tag_pages.fetch_add(1, Ordering::Relaxed);
        return tags(&st, repo, n, last.as_deref());
    }
    if let Some((repo, reference)) = rest.rsplit_once("/manifests/") {
        c.manifests.fetch_add(1, Ordering::Relaxed);
        return manifest(&st, repo, reference);
    }
    if let Some((_, digest)) = rest.rsplit_once("/blobs/") {
        c.blobs.fetch_add(1, Ordering::Relaxed);
        let recent = st.recent.lock().unwrap_or_else(|p| p.into_inner());
        return match recent.0.get(digest) {
            Some(body) => (StatusCode::OK, body.clone()).into_response(),
            None => not_found("BLOB_UNKNOWN"),
        };
    }
    c.other.fetch_add(1, Ordering::Relaxed);
    not_found("UNSUPPORTED")
}

fn catalog(st: &SimState, n: usize, last: Option<&str>) -> Response {
    if let Some(per_page) = st.endless_catalog {
        let start = last
            .and_then(|l| l.strip_prefix("gen/r"))
            .and_then(|k| k.parse::<u64>().ok())
            .map_or(0, |k| k + 1);
        // Hostile on purpose: `n` is ignored, every page is full.
        let count = per_page;
        let names: Vec<String> = (start..start + count as u64)
            .map(|k| format!("gen/r{k:09}"))
            .collect();
        let next = names
            .last()
            .map(|l| format!("/v2/_catalog?last={l}&n={count}"));
        return json_page(names_json("repositories", "", &names), next);
    }
    let names: Vec<String> = st
        .repos
        .keys()
        .filter(|r| last.is_none_or(|l| r.as_str() > l))
        .take(n + 1)
        .cloned()
        .collect();
    let more = names.len() > n;
    let names = &names[..names.len().min(n)];
    let next = more
        .then(|| names.last().map(|l| format!("/v2/_catalog?last={l}&n={n}")))
        .flatten();
    json_page(names_json("repositories", "", names), next)
}

fn tags(st: &SimState, repo: &str, n: usize, last: Option<&str>) -> Response {
    let Some(&total) = st.repos.get(repo) else {
        return not_found("NAME_UNKNOWN");
    };
    let start = last.and_then(index_of).map_or(0, |i| i.saturating_add(1));
    let end = start.saturating_add(n as u64).min(total);
    let names: Vec<String> = (start..end).map(SimRegistry::tag).collect();
    let next = (end < total)
        .then(|| {
            names
                .last()
                .map(|l| format!("/v2/{repo}/tags/list?last={l}&n={n}"))
        })
        .flatten();
    let extra = format!(r#""name":{},"#, serde_json::Value::from(repo));
    json_page(names_json("tags", &extra, &names), next)
}

fn sha256(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

fn manifest(st: &SimState, repo: &str, reference: &str) -> Response {
    let Some(i) = index_of(reference).filter(|i| st.repos.get(repo).is_some_and(|t| i < t)) else {
        return not_found("MANIFEST_UNKNOWN");
    };
    let config = format!(
        r#"{{"architecture":"amd64","os":"linux","created":"{}","config":{{}},"rootfs":{{"type":"layers","diff_ids":[]}}}}"#,
        SimRegistry::created(i)
    )
    .into_bytes();
    let config_digest = sha256(&config);
    let body = format!(
        r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{config_digest}","size":{}}},"layers":[]}}"#,
        config.len()
    );
    {
        let mut recent = st.recent.lock().unwrap_or_else(|p| p.into_inner());
        let (map, order) = &mut *recent;
        if map.insert(config_digest.clone(), config).is_none() {
            order.push_back(config_digest);
            while order.len() > RECENT_CONFIGS {
                if let Some(old) = order.pop_front() {
                    map.remove(&old);
                }
            }
        }
    }
    let digest = sha256(body.as_bytes());
    (
        StatusCode::OK,
        [
            ("content-type", "application/vnd.oci.image.manifest.v1+json"),
            ("docker-content-digest", digest.as_str()),
        ],
        body,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_and_dates_follow_the_index() {
        for i in [0, 7, 999, 1000, 123_456, 999_999] {
            assert_eq!(index_of(&SimRegistry::tag(i)), Some(i));
        }
        assert_eq!(SimRegistry::created(0), "2020-01-01T00:00:00Z");
        assert_eq!(SimRegistry::created(999_999), "2020-01-12T13:46:39Z");
        assert!(SimRegistry::created(86_400 * 400) > SimRegistry::created(86_400 * 399));
        assert_eq!(index_of("1.2"), None);
        assert_eq!(index_of("1.2.1000"), None);
    }
}
