//! [`FaultProxy`]: an HTTP proxy on 127.0.0.1 in front of a test registry that forwards every
//! request unchanged unless a rule matches its path, in which case it injects a fault: a bare
//! status (401 without challenge, 403, 404, 500), 429 with `Retry-After`, a hang, a truncated or
//! corrupted body, a non-JSON manifest, a redirect to a second origin (a stand-in for blob
//! storage that records whether an `Authorization` header reached it), tag-list pagination
//! (distribution 2.8 ignores `n`/`last` on tags, so the proxy pages the real list itself), fixed
//! bytes a real registry would refuse to store (a hostile manifest, a formula-named tag list),
//! or a rewritten path (so a repository name the registry forbids can still serve real data).

use crate::{Error, Result};
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use std::sync::{Arc, Mutex};

/// What to do to a matching request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Answer this status with a registry-style error body and no other headers (so a 401 has
    /// no `WWW-Authenticate`).
    Status(u16),
    /// 429 with `Retry-After: <seconds>`.
    TooManyRequests { retry_after_secs: u64 },
    /// Never answer.
    Hang,
    /// Forward, then send only the first half of the body, without a length, and close.
    Truncate,
    /// Forward, then flip the first byte of the body (same length, wrong digest).
    Corrupt,
    /// Forward, then flip the last byte of the body: in a tar that is end-of-archive padding,
    /// so only the digest check can notice.
    CorruptLast,
    /// Answer an HTML page in place of a manifest, without `Docker-Content-Digest`.
    NotJson,
    /// 307 to the same path on the proxy's second origin.
    RedirectOtherOrigin,
    /// Serve `/v2/<name>/tags/list` in pages of `page_size`, `Link` relative or absolute.
    PaginateTags { page_size: usize, absolute: bool },
    /// Answer `status` with exactly these headers and body, without asking the registry (a
    /// `HEAD` gets the headers and the body's length).
    Serve {
        status: u16,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    },
    /// Forward with the first occurrence of the matched text in the path replaced by `with`.
    Rewrite { with: String },
}

#[derive(Debug)]
struct Rule {
    path_contains: String,
    fault: Fault,
    remaining: Option<u32>,
}

#[derive(Debug)]
struct ProxyState {
    upstream: String,
    http: reqwest::Client,
    rules: Mutex<Vec<Rule>>,
    seen: Mutex<Vec<String>>,
    other_origin: String,
    own_origin: String,
    /// For each request the second origin served: did it carry `Authorization`?
    other_auth: Mutex<Vec<bool>>,
    /// Credentials the second origin uses upstream on its own, as a presigned storage URL would.
    other_basic: Mutex<Option<(String, String)>>,
}

/// A running proxy; stops with the test's runtime or on drop.
#[derive(Debug)]
pub struct FaultProxy {
    state: Arc<ProxyState>,
    main: tokio::task::JoinHandle<()>,
    other: tokio::task::JoinHandle<()>,
}

impl FaultProxy {
    /// Starts a proxy for the plain-HTTP registry at `upstream` (`http://127.0.0.1:PORT`).
    pub async fn start(upstream: &str) -> Result<FaultProxy> {
        let main_l = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(Error::from_display)?;
        let other_l = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(Error::from_display)?;
        let own_origin = format!(
            "http://{}",
            main_l.local_addr().map_err(Error::from_display)?
        );
        let other_origin = format!(
            "http://{}",
            other_l.local_addr().map_err(Error::from_display)?
        );
        let state = Arc::new(ProxyState {
            upstream: upstream.trim_end_matches('/').to_string(),
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .map_err(Error::from_display)?,
            rules: Mutex::new(Vec::new()),
            seen: Mutex::new(Vec::new()),
            other_origin,
            own_origin,
            other_auth: Mutex::new(Vec::new()),
            other_basic: Mutex::new(None),
        });
        let main_app = axum::Router::new()
            .fallback(handle)
            .with_state(state.clone());
        let other_app = axum::Router::new()
            .fallback(handle_other)
            .with_state(state.clone());
        let main = tokio::spawn(async move {
            let _ = axum::serve(main_l, main_app).await;
        });
        let other = tokio::spawn(async move {
            let _ = axum::serve(other_l, other_app).await;
        });
        Ok(FaultProxy { state, main, other })
    }

    /// `http://127.0.0.1:PORT`: give this to the client instead of the registry's URL.
    pub fn url(&self) -> &str {
        &self.state.own_origin
    }

    /// Injects `fault` into every request whose path and query contain `path_contains`.
    pub fn inject(&self, path_contains: &str, fault: Fault) {
        self.push_rule(path_contains, fault, None);
    }

    /// Injects `fault` into the next `times` matching requests only.
    pub fn inject_times(&self, path_contains: &str, fault: Fault, times: u32) {
        self.push_rule(path_contains, fault, Some(times));
    }

    fn push_rule(&self, path_contains: &str, fault: Fault, remaining: Option<u32>) {
        self.state
            .rules
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(Rule {
                path_contains: path_contains.to_string(),
                fault,
                remaining,
            });
    }

    /// Removes every injected fault: from now on requests are forwarded unchanged.
    pub fn clear(&self) {
        self.state
            .rules
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
    }

    /// How many requests the proxy saw whose "METHOD path?query" contains `needle`.
    pub fn hits(&self, needle: &str) -> usize {
        self.state
            .seen
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .filter(|s| s.contains(needle))
            .count()
    }

    /// Makes the second origin authenticate upstream with Basic on its own, so a redirect to it
    /// works against an htpasswd registry although the client sends it no credentials.
    pub fn other_origin_basic(&self, user: &str, password: &str) {
        *self
            .state
            .other_basic
            .lock()
            .unwrap_or_else(|p| p.into_inner()) = Some((user.to_string(), password.to_string()));
    }

    /// For each request served on the second origin: whether it carried `Authorization`.
    pub fn other_origin_auth(&self) -> Vec<bool> {
        self.state
            .other_auth
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.main.abort();
        self.other.abort();
    }
}

fn registry_error(status: StatusCode, code: &str) -> Response {
    let body =
        format!(r#"{{"errors":[{{"code":"{code}","message":"injected by the test proxy"}}]}}"#);
    (status, [("content-type", "application/json")], body).into_response()
}

async fn handle(State(st): State<Arc<ProxyState>>, req: Request) -> Response {
    let path_q = req
        .uri()
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "/".into());
    st.seen
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .push(format!("{} {path_q}", req.method()));
    let fault = {
        let mut rules = st.rules.lock().unwrap_or_else(|p| p.into_inner());
        let mut found = None;
        for r in rules.iter_mut() {
            if path_q.contains(&r.path_contains) && r.remaining != Some(0) {
                if let Some(n) = r.remaining.as_mut() {
                    *n -= 1;
                }
                found = Some(r.fault.clone());
                break;
            }
        }
        found
    };
    match fault {
        Some(Fault::Status(code)) => {
            let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let code = match code {
                401 => "UNAUTHORIZED",
                403 => "DENIED",
                404 => "MANIFEST_UNKNOWN",
                _ => "UNKNOWN",
            };
            return registry_error(status, code);
        }
        Some(Fault::TooManyRequests { retry_after_secs }) => {
            let mut r = registry_error(StatusCode::TOO_MANY_REQUESTS, "TOOMANYREQUESTS");
            if let Ok(v) = HeaderValue::from_str(&retry_after_secs.to_string()) {
                r.headers_mut().insert("retry-after", v);
            }
            return r;
        }
        Some(Fault::Hang) => {
            std::future::pending::<()>().await;
            return StatusCode::GATEWAY_TIMEOUT.into_response();
        }
        Some(Fault::RedirectOtherOrigin) => {
            let loc = format!("{}{path_q}", st.other_origin);
            return (StatusCode::TEMPORARY_REDIRECT, [("location", loc)]).into_response();
        }
        Some(Fault::PaginateTags {
            page_size,
            absolute,
        }) => return paginate_tags(&st, req, &path_q, page_size, absolute).await,
        Some(Fault::Serve {
            status,
            headers,
            body,
        }) => {
            let mut r = Response::new(Body::from(body));
            *r.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
            for (k, v) in headers {
                if let (Ok(name), Ok(value)) = (
                    axum::http::HeaderName::from_bytes(k.as_bytes()),
                    HeaderValue::from_str(&v),
                ) {
                    r.headers_mut().append(name, value);
                }
            }
            return r;
        }
        _ => {}
    }
    let target = match &fault {
        Some(Fault::Rewrite { with }) => rewritten(&st, &path_q, with),
        _ => path_q.clone(),
    };
    let (status, headers, body) = match forward(&st, req, &target).await {
        Ok(r) => r,
        Err(e) => return (StatusCode::BAD_GATEWAY, e.to_string()).into_response(),
    };
    let mut headers = headers;
    match fault {
        Some(Fault::Truncate) => {
            headers.remove("content-length");
            let half = bytes::Bytes::copy_from_slice(&body[..body.len() / 2]);
            let stream = futures_util::stream::iter([Ok::<_, std::io::Error>(half)]);
            let mut r = Response::new(Body::from_stream(stream));
            *r.status_mut() = status;
            *r.headers_mut() = headers;
            r
        }
        Some(Fault::Corrupt) => {
            let mut body = body;
            if let Some(b) = body.first_mut() {
                *b ^= 0xff;
            }
            build(status, headers, body)
        }
        Some(Fault::CorruptLast) => {
            let mut body = body;
            if let Some(b) = body.last_mut() {
                *b ^= 0xff;
            }
            build(status, headers, body)
        }
        Some(Fault::NotJson) => {
            headers.remove("docker-content-digest");
            headers.remove("content-length");
            headers.insert("content-type", HeaderValue::from_static("text/html"));
            build(
                status,
                headers,
                b"<html><body>502 Bad Gateway</body></html>".to_vec(),
            )
        }
        _ => build(status, headers, body),
    }
}

/// `path_q` with the text of the rule that matched it replaced by `with`.
fn rewritten(st: &ProxyState, path_q: &str, with: &str) -> String {
    let rules = st.rules.lock().unwrap_or_else(|p| p.into_inner());
    rules
        .iter()
        .find(|r| {
            matches!(&r.fault, Fault::Rewrite { with: w } if w == with)
                && path_q.contains(&r.path_contains)
        })
        .map_or_else(
            || path_q.to_string(),
            |r| path_q.replacen(&r.path_contains, with, 1),
        )
}

fn build(status: StatusCode, mut headers: HeaderMap, body: Vec<u8>) -> Response {
    // An empty body is a HEAD answer (or a bodiless one): keep the upstream length, which is
    // what HEAD is asked for. Otherwise the body sets its own length.
    if !body.is_empty() {
        headers.remove("content-length");
    }
    let mut r = Response::new(Body::from(body));
    *r.status_mut() = status;
    for (k, v) in headers.iter() {
        r.headers_mut().insert(k.clone(), v.clone());
    }
    r
}

async fn forward(
    st: &ProxyState,
    req: Request,
    path_q: &str,
) -> Result<(StatusCode, HeaderMap, Vec<u8>)> {
    forward_as(st, req, path_q, None).await
}

async fn forward_as(
    st: &ProxyState,
    req: Request,
    path_q: &str,
    basic: Option<(String, String)>,
) -> Result<(StatusCode, HeaderMap, Vec<u8>)> {
    let method = reqwest::Method::from_bytes(req.method().as_str().as_bytes())
        .map_err(Error::from_display)?;
    let mut out = st.http.request(method, format!("{}{path_q}", st.upstream));
    for (k, v) in req.headers() {
        if !matches!(
            k.as_str(),
            "host" | "content-length" | "connection" | "transfer-encoding"
        ) {
            out = out.header(k.as_str(), v.as_bytes());
        }
    }
    if let Some((u, p)) = basic {
        out = out.basic_auth(u, Some(p));
    }
    let body = axum::body::to_bytes(req.into_body(), 64 << 20)
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
    let body = resp.bytes().await.map_err(Error::from_display)?.to_vec();
    Ok((status, headers, body))
}

async fn paginate_tags(
    st: &ProxyState,
    req: Request,
    path_q: &str,
    page_size: usize,
    absolute: bool,
) -> Response {
    let (path, query) = path_q.split_once('?').unwrap_or((path_q, ""));
    let last = reqwest::Url::parse(&format!("http://x/?{query}"))
        .ok()
        .and_then(|u| {
            u.query_pairs()
                .find(|(k, _)| k == "last")
                .map(|(_, v)| v.into_owned())
        });
    let (status, headers, body) = match forward(st, req, path).await {
        Ok(r) => r,
        Err(e) => return (StatusCode::BAD_GATEWAY, e.to_string()).into_response(),
    };
    if !status.is_success() {
        return build(status, headers, body);
    }
    let Ok(doc) = serde_json::from_slice::<serde_json::Value>(&body) else {
        return build(status, headers, body);
    };
    let mut tags: Vec<String> = doc["tags"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|t| t.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    tags.sort();
    let start = match &last {
        Some(l) => tags.iter().position(|t| t > l).unwrap_or(tags.len()),
        None => 0,
    };
    let page: Vec<String> = tags
        .iter()
        .skip(start)
        .take(page_size.max(1))
        .cloned()
        .collect();
    let out = serde_json::json!({"name": doc["name"], "tags": page});
    let mut r = (
        StatusCode::OK,
        [("content-type", "application/json")],
        out.to_string(),
    )
        .into_response();
    if start + page.len() < tags.len()
        && let Some(l) = page.last()
    {
        let prefix = if absolute { st.own_origin.as_str() } else { "" };
        let link = format!("<{prefix}{path}?last={l}&n={page_size}>; rel=\"next\"");
        if let Ok(v) = HeaderValue::from_str(&link) {
            r.headers_mut().insert("link", v);
        }
    }
    r
}

async fn handle_other(State(st): State<Arc<ProxyState>>, req: Request) -> Response {
    st.other_auth
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .push(req.headers().contains_key("authorization"));
    let path_q = req
        .uri()
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "/".into());
    let basic = st
        .other_basic
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .clone();
    match forward_as(&st, req, &path_q, basic).await {
        Ok((status, headers, body)) => build(status, headers, body),
        Err(e) => (StatusCode::BAD_GATEWAY, e.to_string()).into_response(),
    }
}
