//! Type `"coreos"`: Quay's API (`/api/v1`), its token service `/v2/auth` and its registry on
//! one host, in front of the upstream registry. Built from Quay's published API
//! (docs.quay.io/api/swagger; quay/quay `endpoints/api/repository.py` `RepositoryList.get`,
//! `endpoints/api/tag.py` `ListRepositoryTags.get` and `_tag_dict`, `endpoints/api/__init__.py`
//! `page_support`, `endpoints/exception.py` for error bodies).
//!
//! - Each upstream repository `ns/name…` is repository `name…` of namespace `ns`; `crow` is the
//!   token user's own namespace, every other namespace an organisation. One-segment repositories
//!   are not served.
//! - `GET /api/v1/repository?namespace=X` (one of `namespace`, `starred`, `public` required, as
//!   Quay requires) pages by an opaque `next_page` token in the body, the simulator's page size a
//!   page.
//! - `GET /api/v1/repository/X/Y/tag/` is the tag *history*: each live tag has an older dead
//!   revision (`end_ts` set, a manifest that no longer exists), and each repository one deleted
//!   tag `gone-<n>`; `onlyActiveTags=true` leaves them out. `limit` (default 50, at most 100 and
//!   the page size), `page`, `has_additional`. `start_ts` is the config's `created`.
//! - Auth: `Authorization: Bearer` with [`TOKEN`] (scope `repo:read`) or [`TOKEN_NO_READ`]
//!   (403 `insufficient_scope`); anything else is 401 `invalid_token`. The registry takes
//!   `$oauthtoken` + token, or the robot [`ROBOT`] + [`ROBOT_TOKEN`], at `/v2/auth`, and then
//!   serves the upstream's v2 API, `_catalog` included.

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

/// An OAuth application token with "View all visible repositories" (`repo:read`), user `crow`.
pub const TOKEN: &str = "quay-oauth-crow-read-0001";
/// An OAuth application token without `repo:read`.
pub const TOKEN_NO_READ: &str = "quay-oauth-crow-noread-0002";
/// A robot account of organisation `acme` and its token: registry logins only.
pub const ROBOT: &str = "acme+scanner";
pub const ROBOT_TOKEN: &str = "quay-robot-acme-scanner-0003";
/// The token user's own namespace.
pub const USER: &str = "crow";

#[derive(Debug)]
pub struct Control {
    upstream: String,
    http: reqwest::Client,
    page_size: usize,
    base: String,
    host: String,
    /// Repositories `ns/name` with their live tags, sorted.
    repos: BTreeMap<String, Vec<UpstreamImage>>,
    jwts: Mutex<HashSet<String>>,
    hits: Mutex<BTreeMap<String, u64>>,
}

impl Control {
    /// Requests received per route.
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

    fn namespaces(&self) -> Vec<String> {
        let mut ns: Vec<String> = self
            .repos
            .keys()
            .filter_map(|r| r.split_once('/').map(|(n, _)| n.to_string()))
            .collect();
        ns.dedup();
        ns
    }
}

/// A running Quay simulator with its control handle.
#[derive(Debug)]
pub struct QuaySim {
    pub sim: RunningSim,
    pub control: Arc<Control>,
}

pub async fn serve(options: &SimOptions) -> Result<QuaySim> {
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
    launch(listener, upstream, options).map(|q| q.sim)
}

fn launch(
    listener: tokio::net::TcpListener,
    upstream: Upstream,
    options: &SimOptions,
) -> Result<QuaySim> {
    let addr = listener.local_addr().map_err(Error::from_display)?;
    let mut repos: BTreeMap<String, Vec<UpstreamImage>> = BTreeMap::new();
    for i in &upstream.images {
        if i.repo.contains('/') {
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
        jwts: Mutex::new(HashSet::new()),
        hits: Mutex::new(BTreeMap::new()),
    });
    let app = axum::Router::new()
        .fallback(handle)
        .with_state(control.clone());
    let c = control.clone();
    let sim = RunningSim::spawn(listener, app, move |url| {
        let mut images: Vec<UpstreamImage> = c.repos.values().flatten().cloned().collect();
        images.sort_by(|a, b| (&a.repo, &a.tag).cmp(&(&b.repo, &b.tag)));
        SimInfo {
            kind: "coreos".into(),
            env: BTreeMap::new(),
            credential: Some(json!({"_id": "quay-sim", "type": "basic",
                "accountID": "$oauthtoken", "secret": {"plain": TOKEN}})),
            spec: json!({"version": "coreos", "registry": url, "credentialID": "quay-sim",
                "repository": "*", "tag": "*", "os": "linux", "cap": 0, "scanners": 1}),
            images,
        }
    })?;
    Ok(QuaySim { sim, control })
}

/// Quay's `ApiException` body.
fn api_error(c: &Control, status: StatusCode, kind: &str, message: &str) -> Response {
    error(
        status,
        json!({"detail": message, "error_message": message, "error_type": kind, "title": kind,
            "type": format!("{}/api/v1/error/{kind}", c.base), "status": status.as_u16()}),
    )
}

async fn handle(State(c): State<Arc<Control>>, req: Request) -> Response {
    let path = req.uri().path().to_string();
    let q = parse_query(&path, req.uri().query().unwrap_or(""));
    if path == "/v2/auth" {
        c.hit("GET /v2/auth");
        return token(&c, &req);
    }
    if path == "/v2" || path.starts_with("/v2/") {
        c.hit("GET /v2");
        return registry(&c, req).await;
    }
    let Some(rest) = path.strip_prefix("/api/v1/") else {
        return error(StatusCode::NOT_FOUND, json!({"error": "Not Found"}));
    };
    let bearer = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::to_string);
    match bearer.as_deref() {
        Some(TOKEN) => {}
        Some(TOKEN_NO_READ) => {
            return api_error(
                &c,
                StatusCode::FORBIDDEN,
                "insufficient_scope",
                "Unauthorized",
            );
        }
        Some(_) => {
            return api_error(
                &c,
                StatusCode::UNAUTHORIZED,
                "invalid_token",
                "Invalid token",
            );
        }
        None => {
            return api_error(
                &c,
                StatusCode::UNAUTHORIZED,
                "invalid_token",
                "Requires authentication",
            );
        }
    }
    let parts: Vec<String> = rest.split('/').map(percent_decode).collect();
    let parts: Vec<&str> = parts
        .iter()
        .map(String::as_str)
        .filter(|p| !p.is_empty())
        .collect();
    match parts.as_slice() {
        ["user"] => {
            c.hit("GET /api/v1/user/");
            let orgs: Vec<Value> = (c.namespaces().into_iter())
                .filter(|n| n != USER)
                .map(|n| json!({"name": n, "avatar": {}, "can_create_repo": false, "public": false, "is_org_admin": false, "preferred_namespace": false}))
                .collect();
            ok(
                json!({"anonymous": false, "username": USER, "verified": true,
                "organizations": orgs, "logins": [], "can_create_repo": true}),
            )
        }
        ["repository"] => {
            c.hit("GET /api/v1/repository");
            repositories(&c, &q)
        }
        ["repository", ns, name @ .., "tag"] => {
            c.hit("GET /api/v1/repository/{repository}/tag/");
            let repo = format!("{ns}/{}", name.join("/"));
            match c.repos.get(&repo) {
                Some(tags) => tag_history(&c, tags, &q),
                None => api_error(&c, StatusCode::NOT_FOUND, "not_found", "Not Found"),
            }
        }
        _ => error(StatusCode::NOT_FOUND, json!({"error": "Not Found"})),
    }
}

fn repositories(c: &Control, q: &Query) -> Response {
    let Some(ns) = q.get("namespace").filter(|n| !n.is_empty()) else {
        if q.flag("starred") || q.flag("public") {
            return ok(json!({"repositories": []}));
        }
        return api_error(
            c,
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "namespace, starred or public are required for this API call",
        );
    };
    let prefix = format!("{ns}/");
    let all: Vec<&String> = c.repos.keys().filter(|r| r.starts_with(&prefix)).collect();
    // `next_page` is opaque to clients; here it encodes the offset.
    let start = q
        .get("next_page")
        .and_then(|t| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(t)
                .ok()
        })
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|s| {
            s.strip_prefix("offset:")
                .and_then(|n| n.parse::<usize>().ok())
        })
        .unwrap_or(0);
    let page: Vec<Value> = all
        .iter()
        .skip(start)
        .take(c.page_size)
        .map(|r| {
            json!({"namespace": ns, "name": &r[prefix.len()..], "description": null,
                "is_public": false, "kind": "image", "state": "NORMAL", "is_starred": false})
        })
        .collect();
    let mut body = json!({ "repositories": page });
    if start + c.page_size < all.len() {
        body["next_page"] = json!(
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .encode(format!("offset:{}", start + c.page_size))
        );
    }
    ok(body)
}

/// Seconds since the epoch of an RFC 3339 UTC time (`2024-01-02T03:04:05Z`, fraction ignored).
fn epoch(rfc3339: &str) -> i64 {
    let n = |a: usize, b: usize| {
        rfc3339
            .get(a..b)
            .and_then(|s| s.parse::<i64>().ok())
            .unwrap_or(0)
    };
    let (y, m, d) = (n(0, 4), n(5, 7), n(8, 10));
    // Days from civil (proleptic Gregorian), after H. Hinnant's published algorithm.
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    days * 86_400 + n(11, 13) * 3600 + n(14, 16) * 60 + n(17, 19)
}

/// Quay's `format_date` (RFC 2822, `-0000`).
fn rfc2822(secs: i64) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Civil from days (the inverse of `epoch`).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{}, {d:02} {} {y} {:02}:{:02}:{:02} -0000",
        DAYS[days.rem_euclid(7) as usize],
        MONTHS[(m - 1) as usize],
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

fn tag_json(name: &str, digest: &str, start: i64, end: Option<i64>, list: bool) -> Value {
    let mut v = json!({"name": name, "reversion": false, "start_ts": start,
        "manifest_digest": digest, "is_manifest_list": list, "size": 0,
        "last_modified": rfc2822(start)});
    if let Some(end) = end {
        v["end_ts"] = json!(end);
        v["expiration"] = json!(rfc2822(end));
    }
    v
}

fn tag_history(c: &Control, tags: &[UpstreamImage], q: &Query) -> Response {
    let active_only = q.flag("onlyActiveTags");
    let mut history: Vec<(i64, Value)> = Vec::new();
    for (n, t) in tags.iter().enumerate() {
        let start = t.created.as_deref().map_or(1_600_000_000, epoch);
        let list = t.media_type.contains("index") || t.media_type.contains("list");
        history.push((start, tag_json(&t.tag, &t.digest, start, None, list)));
        if !active_only {
            // The revision this tag replaced, dead since the push, pointing at a manifest that
            // is gone.
            let dead = format!("sha256:{:064x}", n + 1);
            let before = start - 30 * 86_400;
            history.push((before, tag_json(&t.tag, &dead, before, Some(start), false)));
        }
    }
    if !active_only && let Some(first) = tags.first() {
        let start = first.created.as_deref().map_or(1_600_000_000, epoch) - 86_400;
        let gone = format!("gone-{}", tags.len());
        history.push((
            start - 1,
            tag_json(&gone, &first.digest, start - 1, Some(start), false),
        ));
    }
    // Quay lists history newest first.
    history.sort_by_key(|h| std::cmp::Reverse(h.0));
    let limit = q
        .get("limit")
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(50)
        .clamp(1, 100)
        .min(c.page_size);
    let page = q
        .get("page")
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(1)
        .max(1);
    let items: Vec<Value> = history
        .iter()
        .skip((page - 1) * limit)
        .take(limit)
        .map(|(_, v)| v.clone())
        .collect();
    ok(json!({"tags": items, "page": page, "has_additional": page * limit < history.len()}))
}

fn token(c: &Control, req: &Request) -> Response {
    let login = req
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
    let pair = login.as_deref().and_then(|l| l.split_once(':'));
    let good = pair == Some(("$oauthtoken", TOKEN)) || pair == Some((ROBOT, ROBOT_TOKEN));
    if !good {
        return error(
            StatusCode::UNAUTHORIZED,
            json!({"errors": [{"code": "UNAUTHORIZED", "detail": {},
                "message": "Invalid Username or Password"}]}),
        );
    }
    let mut jwts = c.jwts.lock().unwrap_or_else(|p| p.into_inner());
    let t = format!("quay-sim-jwt-{}", jwts.len());
    jwts.insert(t.clone());
    ok(json!({ "token": t }))
}

async fn registry(c: &Control, req: Request) -> Response {
    let valid = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .is_some_and(|t| c.jwts.lock().unwrap_or_else(|p| p.into_inner()).contains(t));
    if !valid {
        let mut r = error(
            StatusCode::UNAUTHORIZED,
            json!({"errors": [{"code": "UNAUTHORIZED", "detail": {}, "message": "access to the requested resource is not authorized"}]}),
        );
        let challenge = format!("Bearer realm=\"{}/v2/auth\",service=\"{}\"", c.base, c.host);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_as_quay_writes_them() {
        let s = epoch("2024-01-25T00:00:00Z");
        assert_eq!(s, 1_706_140_800);
        assert_eq!(rfc2822(s), "Thu, 25 Jan 2024 00:00:00 -0000");
        assert_eq!(rfc2822(0), "Thu, 01 Jan 1970 00:00:00 -0000");
    }
}
