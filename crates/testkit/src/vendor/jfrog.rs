//! Type `"jfrog"`: JFrog Artifactory's REST API and Docker API in front of the upstream
//! registry, built from JFrog's REST API documentation: "Get Reverse Proxy Configuration"
//! (`GET /api/system/configuration/webServer`, administrators only), "Get Repositories"
//! (`GET /api/repositories?packageType=docker` → `[{key, type, description, url,
//! packageType}]`), "Repository Configuration" (`GET /api/repositories/{key}`, a virtual
//! repository's `repositories`), "List Docker Repositories" (`GET /api/docker/{key}/v2/_catalog`
//! → `{repositories}`) and "List Docker Tags" (`…/v2/{image}/tags/list` → `{name, tags}`), with
//! Artifactory's error body `{"errors":[{"status":401,"message":"Bad credentials"}]}`.
//!
//! Upstream repository `key/image…` is image `image…` of repository key `key`; a key ending in
//! `-remote` is a REMOTE repository (its content is the remote's cache), any other LOCAL, and
//! `docker-virtual` is a VIRTUAL repository over all of them (first member wins). Lists page
//! with `n`/`last` (at most the simulator's page size) and carry Artifactory's broken `Link`
//! (RTFACT-18971: the path without `/artifactory/api/docker/{key}` and the count in `last`).
//! Images are pulled by repository path (`/v2/{key}/{image}/…`) or through
//! `/artifactory/api/docker/{key}/v2/…`, both behind Basic (`Artifactory Realm`).
//!
//! Accounts: `admin` / `password` (reads the web server configuration), [`USER`] /
//! [`TOKEN`] (the printed credential; not an administrator). `GET /_sim/stats` counts requests.

use super::{RunningSim, SimInfo, SimOptions, Upstream, UpstreamImage, forward};
use crate::{Error, Result};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

/// The simulator's non-administrator account (its password is an access token).
pub const USER: &str = "scanner";
/// Its access token, used as the password.
pub const TOKEN: &str = "cmVmdGtuOjAxOjE3MDAwMDAwMDA6c2ltdWxhdGVk";
/// The virtual repository over every other.
pub const VIRTUAL: &str = "docker-virtual";

struct Jfrog {
    http: reqwest::Client,
    upstream: String,
    page_cap: usize,
    method: String,
    /// key → (type, images → tags (sorted) → upstream repository).
    repos: BTreeMap<String, (&'static str, BTreeMap<String, Vec<String>>)>,
    stats: Mutex<BTreeMap<String, u64>>,
}

/// Starts the simulator with Docker access `method` (`REPOPATHPREFIX`, `SUBDOMAIN` or
/// `PORTPERREPO`, as `dockerReverseProxyMethod` spells it).
pub async fn start_with_method(options: &SimOptions, method: &str) -> Result<RunningSim> {
    let upstream = Upstream::read(&options.upstream).await?;
    let listener = tokio::net::TcpListener::bind(options.listen)
        .await
        .map_err(Error::from_display)?;
    start(listener, upstream, options, method)
}

pub(crate) fn start(
    listener: tokio::net::TcpListener,
    upstream: Upstream,
    options: &SimOptions,
    method: &str,
) -> Result<RunningSim> {
    let mut repos: BTreeMap<String, (&'static str, BTreeMap<String, Vec<String>>)> =
        BTreeMap::new();
    let mut expected: Vec<UpstreamImage> = Vec::new();
    for img in &upstream.images {
        let Some((key, image)) = img.repo.split_once('/') else {
            continue;
        };
        let kind = if key.ends_with("-remote") {
            "REMOTE"
        } else {
            "LOCAL"
        };
        repos
            .entry(key.to_string())
            .or_insert((kind, BTreeMap::new()))
            .1
            .entry(image.to_string())
            .or_default()
            .push(img.tag.clone());
        expected.push(img.clone());
    }
    if !repos.is_empty() {
        repos.insert(VIRTUAL.to_string(), ("VIRTUAL", BTreeMap::new()));
    }
    let state = Arc::new(Jfrog {
        http: reqwest::Client::new(),
        upstream: upstream.url.clone(),
        page_cap: options.page_size.max(1),
        method: method.to_string(),
        repos,
        stats: Mutex::new(BTreeMap::new()),
    });
    let app = axum::Router::new().fallback(serve).with_state(state);
    RunningSim::spawn(listener, app, |url| SimInfo {
        kind: "jfrog".into(),
        credential: Some(json!({
            "_id": "jfrog", "type": "basic", "accountID": USER, "secret": {"plain": TOKEN},
        })),
        spec: json!({
            "version": "jfrog", "registry": url, "repository": "*", "tag": "*", "os": "linux",
            "cap": 0, "scanners": 2, "collections": ["All"], "credentialID": "jfrog",
            "jfrogRepoTypes": ["local", "remote", "virtual"],
        }),
        images: expected,
        ..SimInfo::default()
    })
}

fn errors(status: StatusCode, message: &str) -> Response {
    let mut r = (
        status,
        [("content-type", "application/json")],
        json!({"errors": [{"status": status.as_u16(), "message": message}]}).to_string(),
    )
        .into_response();
    if status == StatusCode::UNAUTHORIZED {
        r.headers_mut().insert(
            "www-authenticate",
            HeaderValue::from_static("Basic realm=\"Artifactory Realm\""),
        );
    }
    r
}

impl Jfrog {
    /// `Some(admin?)` for a known login, `None` for none; `Err` for a wrong one.
    fn login(&self, req: &Request) -> std::result::Result<Option<bool>, ()> {
        let Some(h) = req.headers().get("authorization") else {
            return Ok(None);
        };
        let b64 = h
            .to_str()
            .ok()
            .and_then(|h| h.strip_prefix("Basic "))
            .ok_or(())?;
        let raw = base64::engine::general_purpose::STANDARD
            .decode(b64.trim())
            .map_err(|_| ())?;
        match String::from_utf8(raw).map_err(|_| ())?.split_once(':') {
            Some(("admin", "password")) => Ok(Some(true)),
            Some((USER, TOKEN)) => Ok(Some(false)),
            _ => Err(()),
        }
    }

    /// The repositories `key` stands for: itself, or a virtual one's members in order.
    fn members<'a>(&'a self, key: &'a str) -> Vec<&'a String> {
        if key == VIRTUAL {
            self.repos.keys().filter(|k| *k != VIRTUAL).collect()
        } else {
            self.repos.keys().filter(|k| *k == key).collect()
        }
    }

    /// The image names of `key`, sorted, each once.
    fn images(&self, key: &str) -> Vec<String> {
        let mut out: Vec<String> = self
            .members(key)
            .into_iter()
            .flat_map(|m| self.repos[m].1.keys().cloned())
            .collect();
        out.sort();
        out.dedup();
        out
    }

    /// The tags of `key`'s `image` (a virtual key: every member's, each once, sorted) and the
    /// upstream repository that serves it (a virtual key: its first member that has it).
    fn image(&self, key: &str, image: &str) -> Option<(String, Vec<String>)> {
        let mut found: Option<(String, Vec<String>)> = None;
        for m in self.members(key) {
            if let Some(tags) = self.repos[m].1.get(image) {
                let entry = found.get_or_insert_with(|| (format!("{m}/{image}"), Vec::new()));
                entry.1.extend(tags.iter().cloned());
            }
        }
        if let Some((_, tags)) = found.as_mut() {
            tags.sort();
            tags.dedup();
        }
        found
    }
}

/// One page of `names` after `last` (Artifactory's `last` is a name; a count there, as its own
/// broken `Link` sends, lands wherever that string sorts).
fn page(
    names: &[String],
    field: &str,
    extra: Value,
    query: &str,
    cap: usize,
    link_path: &str,
) -> Response {
    let url = reqwest::Url::parse(&format!("http://h/?{query}")).ok();
    let get = |k: &str| {
        url.as_ref().and_then(|u| {
            u.query_pairs()
                .find(|(n, _)| n == k)
                .map(|(_, v)| v.into_owned())
        })
    };
    let n = get("n")
        .and_then(|n| n.parse::<usize>().ok())
        .unwrap_or(cap)
        .clamp(1, cap);
    let start = match get("last") {
        Some(l) => names
            .iter()
            .position(|x| x.as_str() > l.as_str())
            .unwrap_or(names.len()),
        None => 0,
    };
    let end = (start + n).min(names.len());
    let mut body = extra;
    body[field] = json!(names[start..end]);
    let mut r = axum::Json(body).into_response();
    if end < names.len()
        && let Ok(v) =
            HeaderValue::from_str(&format!("<{link_path}?last={end}&n={n}>; rel=\"next\""))
    {
        r.headers_mut().insert("link", v);
    }
    r
}

async fn serve(State(j): State<Arc<Jfrog>>, req: Request) -> Response {
    let path = req.uri().path().to_string();
    let query = req.uri().query().unwrap_or("").to_string();
    if path == "/_sim/stats" {
        let stats = j.stats.lock().unwrap_or_else(|p| p.into_inner()).clone();
        return axum::Json(json!({ "requests": stats })).into_response();
    }
    let admin = match j.login(&req) {
        Ok(Some(a)) => a,
        Ok(None) => return errors(StatusCode::UNAUTHORIZED, "Authentication is required"),
        Err(()) => return errors(StatusCode::UNAUTHORIZED, "Bad credentials"),
    };
    let kind = if path.starts_with("/artifactory/api/docker/") || path.starts_with("/v2") {
        "docker"
    } else {
        "rest"
    };
    *j.stats
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .entry(kind.into())
        .or_default() += 1;
    if path == "/artifactory/api/system/configuration/webServer" {
        if !admin {
            return errors(StatusCode::FORBIDDEN, "Forbidden");
        }
        return axum::Json(json!({
            "key": "nginx", "webServerType": "NGINX", "artifactoryAppContext": "artifactory",
            "publicAppContext": "artifactory", "serverName": "artifactory.sim",
            "serverNameExpression": "*.artifactory.sim", "artifactoryServerName": "localhost",
            "artifactoryPort": 8081, "routerPort": 8082, "sslCertificate": "", "sslKey": "",
            "dockerReverseProxyMethod": j.method, "useHttps": false, "useHttp": true,
            "sslPort": 443, "httpPort": 80, "upStreamName": "artifactory",
        }))
        .into_response();
    }
    if path == "/artifactory/api/repositories" {
        let url = reqwest::Url::parse(&format!("http://h/?{query}")).ok();
        let get = |k: &str| {
            url.as_ref().and_then(|u| {
                u.query_pairs()
                    .find(|(n, _)| n == k)
                    .map(|(_, v)| v.into_owned())
            })
        };
        let docker = get("packageType").is_none_or(|p| p.eq_ignore_ascii_case("docker"));
        let kind = get("type");
        let list: Vec<Value> = j
            .repos
            .iter()
            .filter(|(_, (t, _))| docker && kind.as_deref().is_none_or(|k| k.eq_ignore_ascii_case(t)))
            .map(|(k, (t, _))| {
                json!({"key": k, "type": t, "description": "", "url": format!("http://artifactory.sim/artifactory/{k}"), "packageType": "Docker"})
            })
            .collect();
        return axum::Json(Value::Array(list)).into_response();
    }
    if let Some(key) = path.strip_prefix("/artifactory/api/repositories/") {
        let Some((t, _)) = j.repos.get(key) else {
            return errors(
                StatusCode::BAD_REQUEST,
                &format!("Repository {key} does not exist"),
            );
        };
        let mut config = json!({"key": key, "rclass": t.to_lowercase(), "packageType": "docker"});
        if key == VIRTUAL {
            config["repositories"] =
                json!(j.repos.keys().filter(|k| *k != VIRTUAL).collect::<Vec<_>>());
        }
        return axum::Json(config).into_response();
    }
    // The Docker API under the REST path, or by repository path.
    let (key, rest) = if let Some(r) = path.strip_prefix("/artifactory/api/docker/") {
        match r.split_once("/v2") {
            Some((k, rest)) => (k.to_string(), rest.trim_start_matches('/').to_string()),
            None => return errors(StatusCode::NOT_FOUND, "Not Found"),
        }
    } else if let Some(r) = path.strip_prefix("/v2/") {
        match r.split_once('/') {
            Some((k, rest)) => (k.to_string(), rest.to_string()),
            None if r == "_catalog" => return errors(StatusCode::NOT_FOUND, "Not Found"),
            None => (r.to_string(), String::new()),
        }
    } else if path == "/v2" || path == "/v2/" {
        return axum::Json(json!({})).into_response();
    } else {
        return errors(StatusCode::NOT_FOUND, "Not Found");
    };
    if !j.repos.contains_key(&key) {
        return errors(
            StatusCode::NOT_FOUND,
            &format!("Repository {key} does not exist"),
        );
    }
    if rest.is_empty() {
        return axum::Json(json!({})).into_response();
    }
    if rest == "_catalog" {
        let names = j.images(&key);
        return page(
            &names,
            "repositories",
            json!({}),
            &query,
            j.page_cap,
            "/v2/_catalog",
        );
    }
    if let Some(image) = rest.strip_suffix("/tags/list") {
        let Some((_, tags)) = j.image(&key, image) else {
            return errors(StatusCode::NOT_FOUND, "Not Found");
        };
        let link = format!("/v2/{image}/tags/list");
        return page(
            &tags,
            "tags",
            json!({"name": image}),
            &query,
            j.page_cap,
            &link,
        );
    }
    let Some((image, tail)) = ["/manifests/", "/blobs/"].iter().find_map(|m| {
        rest.split_once(m)
            .map(|(i, t)| (i.to_string(), format!("{m}{t}")))
    }) else {
        return errors(StatusCode::NOT_FOUND, "Not Found");
    };
    let Some((up, _)) = j.image(&key, &image) else {
        return errors(StatusCode::NOT_FOUND, "Not Found");
    };
    let pq = if query.is_empty() {
        format!("/v2/{up}{tail}")
    } else {
        format!("/v2/{up}{tail}?{query}")
    };
    forward(&j.http, &j.upstream, &pq, req).await
}
