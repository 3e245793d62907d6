//! Type `"harbor"`: Harbor 2.x's API in front of the upstream registry, built from Harbor's
//! swagger (`api/v2.0/swagger.yaml`: `listProjects`, `listRepositories`, `listArtifacts`, their
//! `page`/`page_size` parameters, `X-Total-Count` and `Link` headers) and Harbor's error body
//! `{"errors":[{"code":"UNAUTHORIZED","message":"unauthorized"}]}`.
//!
//! What it serves:
//! - `/api/v2.0/projects`, `/api/v2.0/projects/{p}/repositories`,
//!   `/api/v2.0/projects/{p}/repositories/{r}/artifacts`: every listing paged as Harbor pages
//!   (`page_size` default 10, at most 100, and at most the simulator's `--page-size`), `{r}`
//!   URL-encoded twice (a once-encoded `a%2Fb` is a 404, as Harbor's router decodes it first).
//!   Upstream repositories `project/name…` are Harbor repositories of project `project`; a
//!   repository without a `/` has no project and is not served. One artifact per digest, with
//!   every tag of that digest; `type` `CHART` for Helm charts; the config's `created` as
//!   `push_time`. An upstream tag starting with `untagged-` is hidden, so its digest is an
//!   untagged artifact unless another tag names it.
//! - `/v2/…`: Harbor's registry behind its token service: a `Bearer realm=".../service/token",
//!   service="harbor-registry"` challenge, `GET /service/token` with Basic answers
//!   `{token, access_token, expires_in: 1800, issued_at}`, then the upstream passed through.
//! - `/_sim/stats`: not Harbor's: requests counted by kind and blob downloads by digest, for
//!   tests and benchmarks.
//!
//! Accounts (every project private): `admin` / `Harbor12345`; the system robot
//! [`ROBOT`] / [`ROBOT_SECRET`] (the printed credential); `robot$<first project>+reader` /
//! `project-robot-secret`, which sees that project alone; `robot$nolist` / `nolist-secret`,
//! which sees the projects but lacks the list permissions (403 on repositories and artifacts).
//! Anonymous callers see no projects.

pub mod showcase;

use super::{RunningSim, SimInfo, SimOptions, Upstream, UpstreamImage, forward};
use crate::{Error, Result};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// The system robot account the simulator's credential uses.
pub const ROBOT: &str = "robot$crowsnest-scanner";
/// Its secret.
pub const ROBOT_SECRET: &str = "robot-secret-0123";

const ACCEPT: &str = "application/vnd.oci.image.index.v1+json, \
     application/vnd.oci.image.manifest.v1+json, \
     application/vnd.docker.distribution.manifest.list.v2+json, \
     application/vnd.docker.distribution.manifest.v2+json";
const IMAGE_CONFIGS: [&str; 2] = [
    "application/vnd.docker.container.image.v1+json",
    "application/vnd.oci.image.config.v1+json",
];
/// Harbor's `page_size` default and maximum (swagger).
const DEFAULT_PAGE_SIZE: usize = 10;
const MAX_PAGE_SIZE: usize = 100;
const NEVER: &str = "0001-01-01T00:00:00.000Z";

#[derive(Clone, Copy, PartialEq)]
enum Reach {
    All,
    Project(usize),
    NoList,
}

/// One artifact: one digest of one repository.
struct HArtifact {
    digest: String,
    kind: &'static str,
    media_type: String,
    manifest_media_type: String,
    artifact_type: String,
    push_time: String,
    tags: Vec<String>,
}

struct HRepo {
    /// `project/name…`.
    name: String,
    project: usize,
    artifacts: Vec<HArtifact>,
}

struct Harbor {
    http: reqwest::Client,
    upstream: String,
    page_cap: usize,
    projects: Vec<String>,
    repos: Vec<HRepo>,
    accounts: Vec<(String, String, Reach)>,
    tokens: Mutex<HashMap<String, Reach>>,
    issued: AtomicU64,
    stats: Mutex<BTreeMap<String, u64>>,
    blobs: Mutex<BTreeMap<String, u64>>,
}

/// What the upstream manifest of one image says about its kind.
struct Facts {
    config_media_type: String,
    artifact_type: Option<String>,
    cosign_layers: bool,
}

async fn facts(http: &reqwest::Client, upstream: &str, img: &UpstreamImage) -> Result<Facts> {
    let m: Value = http
        .get(format!("{upstream}/v2/{}/manifests/{}", img.repo, img.tag))
        .header("accept", ACCEPT)
        .send()
        .await
        .map_err(Error::from_display)?
        .json()
        .await
        .map_err(Error::from_display)?;
    let layers = m["layers"].as_array().cloned().unwrap_or_default();
    Ok(Facts {
        config_media_type: m["config"]["mediaType"].as_str().unwrap_or("").to_string(),
        artifact_type: m["artifactType"].as_str().map(str::to_string),
        cosign_layers: layers.iter().any(|l| {
            l["mediaType"]
                .as_str()
                .is_some_and(|t| t.starts_with("application/vnd.dev.cosign"))
        }),
    })
}

fn is_cosign_tag(tag: &str) -> bool {
    tag.strip_prefix("sha256-")
        .and_then(|t| t.rsplit_once('.'))
        .is_some_and(|(hex, suffix)| hex.len() == 64 && matches!(suffix, "sig" | "att" | "sbom"))
}

pub(crate) async fn start(
    listener: tokio::net::TcpListener,
    upstream: Upstream,
    options: &SimOptions,
) -> Result<RunningSim> {
    let http = reqwest::Client::new();
    let mut projects: Vec<String> = Vec::new();
    let mut repos: Vec<HRepo> = Vec::new();
    let mut expected = Vec::new();
    for name in upstream.repositories() {
        let Some((project, _)) = name.split_once('/') else {
            continue;
        };
        let pi = match projects.iter().position(|p| p == project) {
            Some(i) => i,
            None => {
                projects.push(project.to_string());
                projects.len() - 1
            }
        };
        let mut artifacts: Vec<HArtifact> = Vec::new();
        for img in upstream.tags_of(name) {
            let hidden = img.tag.starts_with("untagged-");
            let f = facts(&http, &upstream.url, img).await?;
            if let Some(a) = artifacts.iter_mut().find(|a| a.digest == img.digest) {
                if !hidden {
                    a.tags.push(img.tag.clone());
                }
            } else {
                let chart = f
                    .config_media_type
                    .starts_with("application/vnd.cncf.helm.");
                let push_time = img
                    .created
                    .clone()
                    .unwrap_or_else(|| "2020-01-01T00:00:00.000Z".into());
                artifacts.push(HArtifact {
                    digest: img.digest.clone(),
                    kind: if chart { "CHART" } else { "IMAGE" },
                    media_type: f.config_media_type.clone(),
                    manifest_media_type: img.media_type.clone(),
                    artifact_type: f
                        .artifact_type
                        .clone()
                        .unwrap_or_else(|| f.config_media_type.clone()),
                    push_time,
                    tags: if hidden {
                        vec![]
                    } else {
                        vec![img.tag.clone()]
                    },
                });
            }
            let image = f.artifact_type.is_none()
                && !f.cosign_layers
                && (IMAGE_CONFIGS.contains(&f.config_media_type.as_str())
                    || img.media_type.contains("index")
                    || img.media_type.contains("list"));
            if image && !hidden && !is_cosign_tag(&img.tag) {
                expected.push(img.clone());
            }
        }
        // Harbor lists the newest first.
        artifacts.sort_by(|a, b| (&b.push_time, &a.digest).cmp(&(&a.push_time, &b.digest)));
        repos.push(HRepo {
            name: name.to_string(),
            project: pi,
            artifacts,
        });
    }
    let mut accounts = vec![
        ("admin".to_string(), "Harbor12345".to_string(), Reach::All),
        (ROBOT.to_string(), ROBOT_SECRET.to_string(), Reach::All),
        ("robot$nolist".into(), "nolist-secret".into(), Reach::NoList),
    ];
    if let Some(first) = projects.first() {
        accounts.push((
            format!("robot${first}+reader"),
            "project-robot-secret".into(),
            Reach::Project(0),
        ));
    }
    let state = Arc::new(Harbor {
        http,
        upstream: upstream.url.clone(),
        page_cap: options.page_size.clamp(1, MAX_PAGE_SIZE),
        projects,
        repos,
        accounts,
        tokens: Mutex::new(HashMap::new()),
        issued: AtomicU64::new(0),
        stats: Mutex::new(BTreeMap::new()),
        blobs: Mutex::new(BTreeMap::new()),
    });
    let app = axum::Router::new().fallback(serve).with_state(state);
    RunningSim::spawn(listener, app, |url| SimInfo {
        kind: "harbor".into(),
        credential: Some(json!({
            "_id": "harbor-robot",
            "type": "basic",
            "accountID": ROBOT,
            "secret": {"plain": ROBOT_SECRET},
        })),
        spec: json!({
            "version": "harbor",
            "registry": url,
            "repository": "*",
            "tag": "*",
            "os": "linux",
            "cap": 0,
            "scanners": 2,
            "collections": ["All"],
            "credentialID": "harbor-robot",
        }),
        images: expected,
        ..SimInfo::default()
    })
}

fn errors(status: StatusCode, code: &str, message: &str) -> Response {
    let mut r = (
        status,
        [("content-type", "application/json")],
        json!({"errors": [{"code": code, "message": message}]}).to_string(),
    )
        .into_response();
    r.headers_mut()
        .insert("x-request-id", HeaderValue::from_static("sim"));
    r
}

fn percent_decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = std::str::from_utf8(b.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

impl Harbor {
    fn count(&self, what: &str) {
        *self
            .stats
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(what.to_string())
            .or_default() += 1;
    }

    /// The account a Basic header names, `Ok(None)` without one, `Err` for a wrong one.
    fn basic(&self, req: &Request) -> std::result::Result<Option<Reach>, ()> {
        let Some(h) = req.headers().get("authorization") else {
            return Ok(None);
        };
        let h = h.to_str().map_err(|_| ())?;
        let Some(b64) = h.strip_prefix("Basic ") else {
            return Err(());
        };
        let raw = base64::engine::general_purpose::STANDARD
            .decode(b64.trim())
            .map_err(|_| ())?;
        let raw = String::from_utf8(raw).map_err(|_| ())?;
        let (user, secret) = raw.split_once(':').ok_or(())?;
        self.accounts
            .iter()
            .find(|(u, s, _)| u == user && s == secret)
            .map(|(_, _, r)| Some(*r))
            .ok_or(())
    }

    fn sees(&self, reach: Reach, project: usize) -> bool {
        match reach {
            Reach::All | Reach::NoList => true,
            Reach::Project(p) => p == project,
        }
    }
}

async fn serve(State(h): State<Arc<Harbor>>, req: Request) -> Response {
    let path = req.uri().path().to_string();
    let query = req.uri().query().unwrap_or("").to_string();
    if path == "/_sim/stats" {
        let stats = h.stats.lock().unwrap_or_else(|p| p.into_inner()).clone();
        let blobs = h.blobs.lock().unwrap_or_else(|p| p.into_inner()).clone();
        return axum::Json(json!({"requests": stats, "blobs": blobs})).into_response();
    }
    if path == "/service/token" {
        h.count("token");
        return match h.basic(&req) {
            Ok(Some(reach)) => {
                let n = h.issued.fetch_add(1, Ordering::Relaxed);
                let token = format!("harbor-sim-token-{n}");
                h.tokens
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .insert(token.clone(), reach);
                axum::Json(json!({
                    "token": token, "access_token": token, "expires_in": 1800,
                    "issued_at": "2026-01-01T00:00:00Z",
                }))
                .into_response()
            }
            _ => errors(
                StatusCode::UNAUTHORIZED,
                "UNAUTHORIZED",
                "invalid credentials",
            ),
        };
    }
    if path == "/v2" || path.starts_with("/v2/") {
        h.count("v2");
        return registry(&h, &path, &query, req).await;
    }
    if let Some(rest) = path.strip_prefix("/api/v2.0/") {
        h.count("api");
        let reach = match h.basic(&req) {
            Ok(r) => r,
            Err(()) => return errors(StatusCode::UNAUTHORIZED, "UNAUTHORIZED", "unauthorized"),
        };
        return api(&h, rest, &query, reach);
    }
    errors(StatusCode::NOT_FOUND, "NOT_FOUND", "not found")
}

async fn registry(h: &Harbor, path: &str, query: &str, req: Request) -> Response {
    let token = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::to_string);
    let reach = token.and_then(|t| {
        h.tokens
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&t)
            .copied()
    });
    let host = req
        .headers()
        .get("host")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("127.0.0.1")
        .to_string();
    let challenge = || {
        let mut r = errors(
            StatusCode::UNAUTHORIZED,
            "UNAUTHORIZED",
            "unauthorized to access repository",
        );
        let v = format!("Bearer realm=\"http://{host}/service/token\",service=\"harbor-registry\"");
        if let Ok(v) = HeaderValue::from_str(&v) {
            r.headers_mut().insert("www-authenticate", v);
        }
        r.headers_mut().insert(
            "docker-distribution-api-version",
            HeaderValue::from_static("registry/2.0"),
        );
        r
    };
    let Some(reach) = reach else {
        return challenge();
    };
    let inner = path.trim_start_matches("/v2").trim_start_matches('/');
    if !inner.is_empty() {
        let repo = ["/manifests/", "/blobs/", "/tags/"]
            .iter()
            .find_map(|m| inner.split_once(m).map(|(r, _)| r));
        let allowed = repo.is_some_and(|r| {
            h.repos
                .iter()
                .any(|x| x.name == r && h.sees(reach, x.project))
        });
        if !allowed {
            return challenge();
        }
        if let Some((_, digest)) = inner.split_once("/blobs/")
            && req.method() == axum::http::Method::GET
        {
            *h.blobs
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .entry(digest.to_string())
                .or_default() += 1;
        }
    }
    let pq = if query.is_empty() {
        path.to_string()
    } else {
        format!("{path}?{query}")
    };
    forward(&h.http, &h.upstream, &pq, req).await
}

/// One page of `items` as Harbor answers it: `X-Total-Count`, and `Link` to the previous and
/// next pages (the query kept, `page` and `page_size` set).
fn page(path: &str, query: &str, items: Vec<Value>, cap: usize) -> Response {
    let url = reqwest::Url::parse(&format!("http://h/?{query}")).ok();
    let get = |k: &str| {
        url.as_ref().and_then(|u| {
            u.query_pairs()
                .find(|(n, _)| n == k)
                .map(|(_, v)| v.into_owned())
        })
    };
    let number = get("page")
        .and_then(|p| p.parse::<usize>().ok())
        .unwrap_or(1)
        .max(1);
    let size = match get("page_size").map(|s| s.parse::<usize>()) {
        None => DEFAULT_PAGE_SIZE,
        Some(Ok(n)) if (1..=MAX_PAGE_SIZE).contains(&n) => n,
        Some(_) => {
            return errors(
                StatusCode::UNPROCESSABLE_ENTITY,
                "UNPROCESSABLE_ENTITY",
                "validation failure list:\npage_size in query should be less than or equal to 100",
            );
        }
    };
    let size = size.min(cap);
    let total = items.len();
    let start = (number - 1).saturating_mul(size).min(total);
    let end = (start + size).min(total);
    let link = |n: usize, rel: &str| {
        let mut pairs: Vec<(String, String)> = url
            .as_ref()
            .map(|u| {
                u.query_pairs()
                    .filter(|(k, _)| k != "page" && k != "page_size")
                    .map(|(k, v)| (k.into_owned(), v.into_owned()))
                    .collect()
            })
            .unwrap_or_default();
        pairs.push(("page".into(), n.to_string()));
        pairs.push(("page_size".into(), size.to_string()));
        let q: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect();
        format!("<{path}?{}>; rel=\"{rel}\"", q.join("&"))
    };
    let mut links = Vec::new();
    if number > 1 {
        links.push(link(number - 1, "prev"));
    }
    if end < total {
        links.push(link(number + 1, "next"));
    }
    let mut r = axum::Json(Value::Array(items[start..end].to_vec())).into_response();
    r.headers_mut()
        .insert("x-total-count", HeaderValue::from(total as u64));
    if !links.is_empty()
        && let Ok(v) = HeaderValue::from_str(&links.join(" , "))
    {
        r.headers_mut().insert("link", v);
    }
    r
}

fn api(h: &Harbor, rest: &str, query: &str, reach: Option<Reach>) -> Response {
    let parts: Vec<&str> = rest.split('/').collect();
    let full = format!("/api/v2.0/{rest}");
    let unauthorized = || errors(StatusCode::UNAUTHORIZED, "UNAUTHORIZED", "unauthorized");
    let forbidden = || errors(StatusCode::FORBIDDEN, "FORBIDDEN", "forbidden");
    let project_of = |raw: &str| {
        let name = percent_decode(raw)?;
        h.projects.iter().position(|p| *p == name)
    };
    match parts.as_slice() {
        ["projects"] => {
            let visible: Vec<Value> = h
                .projects
                .iter()
                .enumerate()
                .filter(|(i, _)| reach.is_some_and(|r| h.sees(r, *i)))
                .map(|(i, p)| {
                    let repos = h.repos.iter().filter(|r| r.project == i).count();
                    json!({
                        "project_id": i + 1, "name": p, "owner_name": "admin", "public": false,
                        "repo_count": repos, "creation_time": "2024-01-01T00:00:00.000Z",
                        "update_time": "2024-01-01T00:00:00.000Z",
                        "metadata": {"public": "false"}, "registry_id": null,
                    })
                })
                .collect();
            page(&full, query, visible, h.page_cap)
        }
        ["projects", p, "repositories"] => {
            let Some(reach) = reach else {
                return unauthorized();
            };
            let Some(pi) = project_of(p) else {
                return errors(
                    StatusCode::NOT_FOUND,
                    "NOT_FOUND",
                    &format!("project {p} not found"),
                );
            };
            if !h.sees(reach, pi) || reach == Reach::NoList {
                return forbidden();
            }
            let items = h
                .repos
                .iter()
                .enumerate()
                .filter(|(_, r)| r.project == pi)
                .map(|(i, r)| {
                    json!({
                        "id": i + 1, "project_id": pi + 1, "name": r.name,
                        "artifact_count": r.artifacts.len(), "pull_count": 0,
                        "creation_time": "2024-01-01T00:00:00.000Z",
                        "update_time": "2024-01-01T00:00:00.000Z", "description": "",
                    })
                })
                .collect();
            page(&full, query, items, h.page_cap)
        }
        ["projects", p, "repositories", r, "artifacts"] => {
            let Some(reach) = reach else {
                return unauthorized();
            };
            let Some(pi) = project_of(p) else {
                return errors(
                    StatusCode::NOT_FOUND,
                    "NOT_FOUND",
                    &format!("project {p} not found"),
                );
            };
            if !h.sees(reach, pi) || reach == Reach::NoList {
                return forbidden();
            }
            // Harbor's router sees the path decoded once: a `/` there splits the route.
            let once = percent_decode(r).unwrap_or_default();
            if once.contains('/') {
                return errors(StatusCode::NOT_FOUND, "NOT_FOUND", "not found");
            }
            let name = percent_decode(&once).unwrap_or_default();
            let full_name = format!("{}/{name}", h.projects[pi]);
            let Some((ri, repo)) = h
                .repos
                .iter()
                .enumerate()
                .find(|(_, x)| x.name == full_name)
            else {
                return errors(
                    StatusCode::NOT_FOUND,
                    "NOT_FOUND",
                    &format!("repository {full_name} not found"),
                );
            };
            let items = repo
                .artifacts
                .iter()
                .enumerate()
                .map(|(ai, a)| artifact_json(a, pi + 1, ri + 1, ai + 1, &full_name))
                .collect();
            page(&full, query, items, h.page_cap)
        }
        _ => errors(StatusCode::NOT_FOUND, "NOT_FOUND", "not found"),
    }
}

fn artifact_json(a: &HArtifact, project: usize, repo: usize, id: usize, name: &str) -> Value {
    let tags: Vec<Value> = a
        .tags
        .iter()
        .enumerate()
        .map(|(ti, t)| {
            json!({
                "id": id * 1000 + ti, "repository_id": repo, "artifact_id": id, "name": t,
                "push_time": a.push_time, "pull_time": NEVER, "immutable": false,
            })
        })
        .collect();
    json!({
        "id": id, "type": a.kind, "media_type": a.media_type,
        "manifest_media_type": a.manifest_media_type, "artifact_type": a.artifact_type,
        "project_id": project, "repository_id": repo, "repository_name": name,
        "digest": a.digest, "size": 0, "icon": "", "push_time": a.push_time,
        "pull_time": NEVER, "extra_attrs": {}, "annotations": null, "references": null,
        "tags": if tags.is_empty() { Value::Null } else { Value::Array(tags) },
        "labels": null, "accessories": null,
    })
}
