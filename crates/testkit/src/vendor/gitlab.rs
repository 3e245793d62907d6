//! Type `"gitlab"`: GitLab's REST API v4 (the parts a registry crawler uses), its container
//! registry token service `/jwt/auth` and its registry, in front of the upstream registry.
//! Built from docs.gitlab.com/api (container_registry, groups, projects, users, rest#pagination)
//! and GitLab's own responses for the error bodies.
//!
//! - API auth: `PRIVATE-TOKEN` (or `Authorization: Bearer`). The tokens are the constants
//!   below, each with GitLab's scopes: a wrong token is `401 {"message":"401 Unauthorized"}`,
//!   an expired one `401 {"error":"invalid_token",…}`, one without `read_api`
//!   `403 {"error":"insufficient_scope",…}`. Without a token a private group or project is
//!   `404 … Not Found`, as GitLab hides what an anonymous user may not see.
//! - Paging: `page` and `per_page` (default 20, at most 100, and at most the simulator's page
//!   size), answered with `X-Page`, `X-Per-Page`, `X-Next-Page` (empty on the last page),
//!   `X-Prev-Page`, `X-Total`, `X-Total-Pages` and `Link`.
//! - Registry: `/v2/` answers `401` with `Bearer realm="<sim>/jwt/auth",service="container_registry"`;
//!   `/jwt/auth` takes `user:token` (Basic) and returns `{"token": <JWT>}` whose access covers
//!   the requested repositories only when the token has `read_registry`. Requests with a valid
//!   JWT are passed to the upstream registry.
//!
//! [`GitlabSim::control`] counts requests per route (the "walks every user" test asserts
//! `/users` is never listed) and can expire every JWT (a long scan logs in again).

mod tree;

use super::sim_http::{Query, error, ok, parse_query, percent_decode};
use super::{RunningSim, SimInfo, SimOptions, Upstream, forward};
use crate::{Error, Result};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::response::Response;
use base64::Engine as _;
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tree::{Namespace, Tree, tag_detail_json, tag_json};

/// Owner `crow`, scopes `read_api` and `read_registry`: what a Console credential needs.
pub const TOKEN: &str = "glpat-crowsnest-sim-read-0001";
/// Scope `read_registry` only: the API refuses it (`insufficient_scope`).
pub const TOKEN_REGISTRY_ONLY: &str = "glpat-crowsnest-sim-registry-0002";
/// Scope `read_api` only: lists everything, pulls nothing.
pub const TOKEN_API_ONLY: &str = "glpat-crowsnest-sim-api-0003";
/// Expired yesterday.
pub const TOKEN_EXPIRED: &str = "glpat-crowsnest-sim-expired-0004";
/// How long a registry JWT lives (GitLab's default token expiry: 5 minutes).
pub const JWT_LIFETIME: Duration = Duration::from_secs(300);

const DEFAULT_PER_PAGE: usize = 20;
const MAX_PER_PAGE: usize = 100;

#[derive(Debug, Clone, Copy)]
struct Scopes {
    api: bool,
    registry: bool,
    expired: bool,
}

fn scopes(token: &str) -> Option<Scopes> {
    let s = |api, registry, expired| {
        Some(Scopes {
            api,
            registry,
            expired,
        })
    };
    match token {
        TOKEN => s(true, true, false),
        TOKEN_REGISTRY_ONLY => s(false, true, false),
        TOKEN_API_ONLY => s(true, false, false),
        TOKEN_EXPIRED => s(true, true, true),
        _ => None,
    }
}

/// An issued registry JWT: when it lapses and which repositories it may pull.
#[derive(Debug)]
struct Jwt {
    expires: Instant,
    pull: Vec<String>,
}

/// The simulator's state, shared with tests through [`GitlabSim::control`].
#[derive(Debug)]
pub struct Control {
    tree: Tree,
    upstream: String,
    http: reqwest::Client,
    page_size: usize,
    base: String,
    host: String,
    jwts: Mutex<HashMap<String, Jwt>>,
    issued: AtomicU64,
    hits: Mutex<BTreeMap<String, u64>>,
}

impl Control {
    /// Requests received per route (`GET /api/v4/groups/:id/registry/repositories`,
    /// `GET /jwt/auth`, `GET /v2 manifests`, `GET /v2 blobs`, `GET /v2 base`).
    pub fn hits(&self) -> BTreeMap<String, u64> {
        self.hits.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Requests received on `route`.
    pub fn hits_on(&self, route: &str) -> u64 {
        self.hits().get(route).copied().unwrap_or(0)
    }

    /// Lets every JWT issued so far lapse now.
    pub fn expire_jwts(&self) {
        let now = Instant::now();
        for jwt in self
            .jwts
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .values_mut()
        {
            jwt.expires = now;
        }
    }

    /// Group IDs by full path, project IDs by full path.
    pub fn ids(&self) -> (BTreeMap<String, u64>, BTreeMap<String, u64>) {
        (
            self.tree
                .groups
                .iter()
                .map(|g| (g.full_path.clone(), g.id))
                .collect(),
            self.tree
                .projects
                .iter()
                .map(|p| (p.full_path.clone(), p.id))
                .collect(),
        )
    }

    fn hit(&self, route: &str) {
        *self
            .hits
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(route.to_string())
            .or_default() += 1;
    }
}

/// A running GitLab simulator with its control handle.
#[derive(Debug)]
pub struct GitlabSim {
    pub sim: RunningSim,
    pub control: Arc<Control>,
}

/// Starts the simulator in front of `options.upstream`.
pub async fn serve(options: &SimOptions) -> Result<GitlabSim> {
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
    launch(listener, upstream, options).map(|g| g.sim)
}

fn launch(
    listener: tokio::net::TcpListener,
    upstream: Upstream,
    options: &SimOptions,
) -> Result<GitlabSim> {
    let addr = listener.local_addr().map_err(Error::from_display)?;
    let tree = Tree::of(&upstream);
    let control = Arc::new(Control {
        tree,
        upstream: upstream.url.clone(),
        http: reqwest::Client::new(),
        page_size: options.page_size.max(1),
        base: format!("http://{addr}"),
        host: addr.to_string(),
        jwts: Mutex::new(HashMap::new()),
        issued: AtomicU64::new(0),
        hits: Mutex::new(BTreeMap::new()),
    });
    let app = axum::Router::new()
        .fallback(handle)
        .with_state(control.clone());
    let c = control.clone();
    let sim = RunningSim::spawn(listener, app, move |url| info(&c, url))?;
    Ok(GitlabSim { sim, control })
}

/// The Console credential and a specification over every top-level group (or every project,
/// when some live in a personal namespace).
fn info(c: &Control, url: &str) -> SimInfo {
    let personal = c
        .tree
        .projects
        .iter()
        .any(|p| matches!(p.namespace, Namespace::User(_)));
    let ids = |v: Vec<u64>| v.into_iter().map(|i| i.to_string()).collect::<Vec<_>>();
    let (projects, groups) = if personal {
        (ids(c.tree.projects.iter().map(|p| p.id).collect()), vec![])
    } else {
        let top = c.tree.groups.iter().filter(|g| g.parent.is_none());
        (vec![], ids(top.map(|g| g.id).collect()))
    };
    SimInfo {
        kind: "gitlab".into(),
        env: BTreeMap::new(),
        credential: Some(json!({
            "_id": "gitlab-sim", "type": "gitlabToken", "accountID": "crow",
            "apiToken": {"plain": TOKEN},
        })),
        spec: json!({
            "version": "gitlab", "registry": url, "credentialID": "gitlab-sim",
            "repository": "*", "tag": "*", "os": "linux", "cap": 0, "scanners": 1,
            "gitlabRegistrySpec": {
                "userID": "", "projectIDs": projects, "groupIDs": groups,
                "excludedGroupIDs": [], "apiDomainName": url,
            },
        }),
        images: c.tree.images(),
    }
}

async fn handle(State(c): State<Arc<Control>>, req: Request) -> Response {
    let path = req.uri().path().to_string();
    let query = parse_query(&path, req.uri().query().unwrap_or(""));
    if path == "/jwt/auth" {
        c.hit("GET /jwt/auth");
        return jwt_auth(&c, &req, &query);
    }
    if path == "/v2" || path.starts_with("/v2/") {
        let kind = ["manifests", "blobs", "tags"]
            .into_iter()
            .find(|k| path.contains(&format!("/{k}/")))
            .unwrap_or("base");
        c.hit(&format!("GET /v2 {kind}"));
        return registry(&c, req).await;
    }
    let Some(rest) = path.strip_prefix("/api/v4/") else {
        return error(StatusCode::NOT_FOUND, json!({"error": "404 Not Found"}));
    };
    let parts: Vec<String> = rest.split('/').map(percent_decode).collect();
    let parts: Vec<&str> = parts.iter().map(String::as_str).collect();
    c.hit(&format!("GET /api/v4/{}", route(&parts)));
    let token = api_token(&req);
    let anonymous = token.is_none();
    if let Some(t) = token {
        match scopes(&t) {
            None => {
                return error(
                    StatusCode::UNAUTHORIZED,
                    json!({"message": "401 Unauthorized"}),
                );
            }
            Some(s) if s.expired => {
                return oauth_error(
                    StatusCode::UNAUTHORIZED,
                    "invalid_token",
                    "Token has expired.",
                );
            }
            Some(s) if !s.api => {
                return oauth_error(
                    StatusCode::FORBIDDEN,
                    "insufficient_scope",
                    "The request requires higher privileges than provided by the access token.",
                );
            }
            Some(_) => {}
        }
    }
    api(&c, &parts, &query, anonymous)
}

/// The route template of an API path: IDs and names replaced by placeholders.
fn route(parts: &[&str]) -> String {
    parts
        .iter()
        .enumerate()
        .map(|(i, p)| match (i, parts.get(i.wrapping_sub(1)).copied()) {
            (_, Some("users" | "projects" | "groups")) => ":id",
            (_, Some("repositories")) => ":repository_id",
            (_, Some("tags")) => ":tag_name",
            _ => p,
        })
        .collect::<Vec<_>>()
        .join("/")
}

fn api(c: &Control, parts: &[&str], q: &Query, anonymous: bool) -> Response {
    let t = &c.tree;
    let base = &c.base;
    let not_found = |what: &str| {
        error(
            StatusCode::NOT_FOUND,
            json!({"message": format!("404 {what} Not Found")}),
        )
    };
    let (crow_id, crow) = tree::USERS[0];
    match parts {
        ["user"] if anonymous => error(
            StatusCode::UNAUTHORIZED,
            json!({"message": "401 Unauthorized"}),
        ),
        ["user"] => ok(Tree::user_json(crow_id, crow, base)),
        ["users"] => {
            let all = tree::USERS
                .iter()
                .map(|(i, n)| Tree::user_json(*i, n, base))
                .collect();
            c.paged(all, q)
        }
        ["users", id] => match t.user(id) {
            Some((i, n)) => ok(Tree::user_json(i, n, base)),
            None => not_found("User"),
        },
        ["users", id, "projects"] => match t.user(id) {
            Some((i, _)) if !anonymous => {
                let mine = t
                    .projects
                    .iter()
                    .filter(|p| p.namespace == Namespace::User(i));
                c.paged(mine.map(|p| t.project_json(p, base)).collect(), q)
            }
            _ => not_found("User"),
        },
        ["projects"] if anonymous => c.paged(Vec::new(), q),
        ["projects"] => c.paged(
            t.projects.iter().map(|p| t.project_json(p, base)).collect(),
            q,
        ),
        ["groups"] if anonymous => c.paged(Vec::new(), q),
        ["groups"] => c.paged(t.groups.iter().map(|g| t.group_json(g, base)).collect(), q),
        ["projects", id, rest @ ..] => {
            let Some(p) = t.project(id).filter(|_| !anonymous) else {
                return not_found("Project");
            };
            let repo = |rid: &str| rid == p.repository_id.to_string();
            let tags = || t.tags.get(&p.id).cloned().unwrap_or_default();
            match rest {
                [] => ok(t.project_json(p, base)),
                ["registry", "repositories"] => c.paged(
                    vec![t.repository_json(p, &c.host, q.flag("tags"), q.flag("tags_count"))],
                    q,
                ),
                ["registry", "repositories", rid, "tags"] if repo(rid) => {
                    c.paged(tags().iter().map(|i| tag_json(i, &c.host)).collect(), q)
                }
                ["registry", "repositories", rid, "tags", name] if repo(rid) => {
                    match tags().iter().find(|i| i.tag == *name) {
                        Some(i) => ok(tag_detail_json(i, &c.host)),
                        None => not_found("Tag"),
                    }
                }
                ["registry", "repositories", ..] => not_found("Repository"),
                _ => error(StatusCode::NOT_FOUND, json!({"error": "404 Not Found"})),
            }
        }
        ["groups", id, rest @ ..] => {
            let Some(g) = t.group(id).filter(|_| !anonymous) else {
                return not_found("Group");
            };
            let under = t.projects_under(g);
            match rest {
                [] => ok(t.group_json(g, base)),
                ["projects"] => {
                    let parent = format!("{}/", g.full_path);
                    let direct = |p: &&tree::Project| {
                        q.flag("include_subgroups") || !p.full_path[parent.len()..].contains('/')
                    };
                    let list = under.into_iter().filter(direct);
                    c.paged(list.map(|p| t.project_json(p, base)).collect(), q)
                }
                ["registry", "repositories"] => {
                    let list = under
                        .iter()
                        .map(|p| t.repository_json(p, &c.host, false, false));
                    c.paged(list.collect(), q)
                }
                _ => error(StatusCode::NOT_FOUND, json!({"error": "404 Not Found"})),
            }
        }
        _ => error(StatusCode::NOT_FOUND, json!({"error": "404 Not Found"})),
    }
}

impl Control {
    /// One page of `items` with GitLab's paging headers.
    fn paged(&self, items: Vec<Value>, q: &Query) -> Response {
        let per_page = q
            .get("per_page")
            .and_then(|v| v.parse::<usize>().ok())
            .unwrap_or(DEFAULT_PER_PAGE)
            .clamp(1, MAX_PER_PAGE)
            .min(self.page_size);
        let page = q
            .get("page")
            .and_then(|v| v.parse::<usize>().ok())
            .unwrap_or(1)
            .max(1);
        let total = items.len();
        let pages = total.div_ceil(per_page).max(1);
        let body: Vec<Value> = items
            .into_iter()
            .skip((page - 1) * per_page)
            .take(per_page)
            .collect();
        let next = if page < pages {
            (page + 1).to_string()
        } else {
            String::new()
        };
        let prev = if page > 1 {
            (page - 1).to_string()
        } else {
            String::new()
        };
        let mut r = ok(Value::Array(body));
        let h = r.headers_mut();
        for (k, v) in [
            ("x-page", page.to_string()),
            ("x-per-page", per_page.to_string()),
            ("x-next-page", next.clone()),
            ("x-prev-page", prev),
            ("x-total", total.to_string()),
            ("x-total-pages", pages.to_string()),
        ] {
            if let Ok(v) = HeaderValue::from_str(&v) {
                h.insert(k, v);
            }
        }
        let mut links = Vec::new();
        if page < pages {
            links.push(format!(
                "<{}>; rel=\"next\"",
                q.page_url(&self.base, page + 1)
            ));
        }
        if page > 1 {
            links.push(format!(
                "<{}>; rel=\"prev\"",
                q.page_url(&self.base, page - 1)
            ));
        }
        links.push(format!("<{}>; rel=\"first\"", q.page_url(&self.base, 1)));
        links.push(format!("<{}>; rel=\"last\"", q.page_url(&self.base, pages)));
        if let Ok(v) = HeaderValue::from_str(&links.join(", ")) {
            h.insert("link", v);
        }
        r
    }
}

fn jwt_auth(c: &Control, req: &Request, q: &Query) -> Response {
    let basic = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b| {
            base64::engine::general_purpose::STANDARD
                .decode(b.trim())
                .ok()
        })
        .and_then(|b| String::from_utf8(b).ok());
    let may_pull = match basic {
        // Anonymous: a token that covers public projects only, and these are all private.
        None => false,
        Some(login) => {
            let password = login.split_once(':').map_or("", |(_, p)| p);
            match scopes(password) {
                Some(s) if !s.expired => s.registry,
                _ => {
                    return error(
                        StatusCode::UNAUTHORIZED,
                        json!({"errors": [{"code": "UNAUTHORIZED", "message":
                            "HTTP Basic: Access denied. If a password was provided for Git \
                             authentication, the password was incorrect or you're required to \
                             use a token instead of a password. If a token was provided, it was \
                             either incorrect, expired, or improperly scoped."}]}),
                    );
                }
            }
        }
    };
    let served = |name: &str| c.tree.projects.iter().any(|p| p.full_path == name);
    let pull: Vec<String> = q
        .all("scope")
        .filter_map(|s| s.strip_prefix("repository:"))
        .filter_map(|s| s.rsplit_once(':').map(|(name, _)| name.to_string()))
        .filter(|name| may_pull && served(name))
        .collect();
    let n = c.issued.fetch_add(1, Ordering::Relaxed);
    let b64 = |v: Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
    let token = format!(
        "{}.{}.{}",
        b64(json!({"typ": "JWT", "alg": "RS256"})),
        b64(
            json!({"iss": "gitlab-issuer", "aud": "container_registry", "jti": n,
            "access": pull.iter().map(|r| json!({"type": "repository", "name": r, "actions": ["pull"]})).collect::<Vec<_>>()})
        ),
        b64(json!(format!("sim-signature-{n}"))),
    );
    c.jwts.lock().unwrap_or_else(|p| p.into_inner()).insert(
        token.clone(),
        Jwt {
            expires: Instant::now() + JWT_LIFETIME,
            pull,
        },
    );
    ok(json!({ "token": token }))
}

async fn registry(c: &Control, req: Request) -> Response {
    let path = req.uri().path().to_string();
    let name = repository_of(&path);
    let bearer = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::to_string);
    let allowed = bearer.as_ref().is_some_and(|t| {
        let jwts = c.jwts.lock().unwrap_or_else(|p| p.into_inner());
        jwts.get(t).is_some_and(|j| {
            j.expires > Instant::now() && name.as_ref().is_none_or(|n| j.pull.contains(n))
        })
    });
    if !allowed {
        let scope = name
            .as_ref()
            .map(|n| format!(",scope=\"repository:{n}:pull\""))
            .unwrap_or_default();
        let insufficient = if bearer.is_some() && name.is_some() {
            ",error=\"insufficient_scope\""
        } else {
            ""
        };
        let challenge = format!(
            "Bearer realm=\"{}/jwt/auth\",service=\"container_registry\"{scope}{insufficient}",
            c.base
        );
        let detail = name.as_ref().map_or(
            json!(null),
            |n| json!([{"Type": "repository", "Class": "", "Name": n, "Action": "pull"}]),
        );
        let mut r = error(
            StatusCode::UNAUTHORIZED,
            json!({"errors": [{"code": "UNAUTHORIZED", "message": "authentication required", "detail": detail}]}),
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

/// The repository a `/v2/` path names, `None` for `/v2/` itself.
fn repository_of(path: &str) -> Option<String> {
    let rest = path.strip_prefix("/v2/")?;
    ["/manifests/", "/blobs/", "/tags/list"]
        .iter()
        .filter_map(|m| rest.rfind(m).map(|i| rest[..i].to_string()))
        .max_by_key(String::len)
        .or_else(|| (!rest.is_empty()).then(|| rest.to_string()))
}

fn api_token(req: &Request) -> Option<String> {
    let h = req.headers();
    h.get("private-token")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .or_else(|| {
            h.get("authorization")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.strip_prefix("Bearer "))
                .map(str::to_string)
        })
}

/// GitLab's answer to a token it knows but will not take here (Doorkeeper's OAuth error).
fn oauth_error(status: StatusCode, code: &str, description: &str) -> Response {
    let mut body = json!({"error": code, "error_description": description});
    if code == "insufficient_scope" {
        body["scope"] = json!("api read_api");
    }
    let mut r = error(status, body);
    let challenge = format!(
        "Bearer realm=\"Protected by OAuth 2.0\", error=\"{code}\", error_description=\"{description}\""
    );
    if let Ok(v) = HeaderValue::from_str(&challenge) {
        r.headers_mut().insert("www-authenticate", v);
    }
    r
}
