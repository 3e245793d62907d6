//! What the vendor simulators share over HTTP: JSON answers, the request's query parameters
//! decoded (with the path, so a `Link` can name the same request for another page), and
//! percent-encoding both ways.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::Value;

pub(crate) fn ok(v: Value) -> Response {
    (
        StatusCode::OK,
        [("content-type", "application/json")],
        v.to_string(),
    )
        .into_response()
}

pub(crate) fn error(status: StatusCode, v: Value) -> Response {
    let mut r = ok(v);
    *r.status_mut() = status;
    r
}

/// The request's path and its query parameters, decoded, in order.
pub(crate) struct Query {
    path: String,
    params: Vec<(String, String)>,
}

impl Query {
    pub(crate) fn get(&self, key: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
    pub(crate) fn all<'a>(&'a self, key: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.params
            .iter()
            .filter(move |(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
    pub(crate) fn flag(&self, key: &str) -> bool {
        // Grape coerces booleans case-insensitively (python-gitlab sends `True`).
        self.get(key)
            .is_some_and(|v| matches!(v.to_ascii_lowercase().as_str(), "true" | "1" | "yes"))
    }
    /// The same request for another page (what `Link` announces).
    pub(crate) fn page_url(&self, base: &str, page: usize) -> String {
        let mut url = format!("{base}{}?page={page}", self.path);
        for (k, v) in self.params.iter().filter(|(k, _)| k != "page") {
            url.push_str(&format!("&{}={}", segment(k), segment(v)));
        }
        url
    }
}

pub(crate) fn parse_query(path: &str, q: &str) -> Query {
    let params = q
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (percent_decode(k), percent_decode(&v.replace('+', " ")))
        })
        .collect();
    Query {
        path: path.to_string(),
        params,
    }
}

/// Percent-encodes all but unreserved characters.
pub(crate) fn segment(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

pub(crate) fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        if b[i] == b'%'
            && i + 2 < b.len()
            && let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2]))
        {
            out.push((h * 16 + l) as u8);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}
