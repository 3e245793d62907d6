//! Request parsing at the boundary: JSON bodies and query strings that fail become `{"err"}` 400s
//! with a message saying what was wrong, never axum's plain-text rejections.

use crate::error::ApiError;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

/// How long a request body may take to arrive, as a request extension the router sets from
/// the configuration: a client trickling its body byte by byte gets a 408 instead of holding
/// a connection and a handler for ever.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BodyTimeout(pub(crate) std::time::Duration);

const DEFAULT_BODY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

/// A JSON body. An empty body is `None`, so handlers decide what "no body" means (for `PUT
/// /settings/registry` it erases everything; for `POST /registry/scan` it is a regular scan).
#[derive(Debug)]
pub(crate) struct JsonBody<T>(pub(crate) Option<T>);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let deadline = req
            .extensions()
            .get::<BodyTimeout>()
            .map_or(DEFAULT_BODY_TIMEOUT, |t| t.0);
        let read = tokio::time::timeout(deadline, Bytes::from_request(req, state))
            .await
            .map_err(|_| {
                ApiError::Timeout(format!(
                    "the request body did not arrive within {} seconds",
                    deadline.as_secs()
                ))
            })?;
        let bytes = read.map_err(|rejection| {
            if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::BadRequest("request body is too large".into())
            } else {
                ApiError::BadRequest(format!("cannot read request body: {rejection}"))
            }
        })?;
        if bytes.iter().all(|b| b.is_ascii_whitespace()) {
            return Ok(JsonBody(None));
        }
        serde_json::from_slice(&bytes)
            .map(|v| JsonBody(Some(v)))
            .map_err(|e| {
                ApiError::BadRequest(format!("invalid JSON body: {}", without_echoed_values(&e)))
            })
    }
}

/// serde quotes the offending value in its messages (``invalid type: string "…", expected …``,
/// ``invalid type: integer `918…`, expected a string``, ``unknown field `…` ``). That value may
/// be a password sent in the wrong field, so every quoted value before `expected` is dropped:
/// the message keeps what was wrong and where (line and column), never what was sent. What
/// follows `expected` is ours (the type or the accepted names) and stays, as do the field names
/// in `missing field` and `duplicate field`, which are our schema's.
fn without_echoed_values(e: &serde_json::Error) -> String {
    let message = e.to_string();
    if message.starts_with("missing field") || message.starts_with("duplicate field") {
        return message;
    }
    let (head, tail) = match message.find(", expected") {
        Some(i) => message.split_at(i),
        None => match message.find(" at line ") {
            Some(i) => message.split_at(i),
            None => (message.as_str(), ""),
        },
    };
    let mut out = String::with_capacity(message.len());
    let mut chars = head.chars();
    while let Some(c) = chars.next() {
        if c != '"' && c != '`' {
            out.push(c);
            continue;
        }
        // Skip to the closing quote; serde writes a string Debug-escaped, so `\"` is inside.
        let mut escaped = false;
        for inner in chars.by_ref() {
            match inner {
                '\\' if !escaped && c == '"' => escaped = true,
                q if q == c && !escaped => break,
                _ => escaped = false,
            }
        }
        if out.ends_with(' ') {
            out.pop();
        }
    }
    out.push_str(tail);
    out
}

/// Query parameters as ordered pairs, so repeated keys (`ids=a&ids=b`) survive.
#[derive(Debug, Default)]
pub(crate) struct QueryPairs(pub(crate) Vec<(String, String)>);

/// A list request's page, when it asks for one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Page {
    pub(crate) offset: usize,
    pub(crate) limit: usize,
}

/// Prisma's page size when a request gives an offset but no limit.
pub(crate) const DEFAULT_PAGE: usize = 50;

impl Page {
    /// The page's slice of a whole list.
    pub(crate) fn of<T>(self, all: Vec<T>) -> Vec<T> {
        all.into_iter().skip(self.offset).take(self.limit).collect()
    }
}

impl QueryPairs {
    /// The vendor's Python SDK appends `?limit=…&offset=…` to URLs that already hold a query
    /// (`/registry?filterBaseImage=true?limit=50&offset=0`), so a `?` inside the query separates
    /// parameters like `&`. No value we read can hold a literal `?` (image names and tags
    /// cannot); a client that means one encodes it as `%3F`.
    pub(crate) fn parse(query: &str) -> QueryPairs {
        let query = query.replace('?', "&");
        QueryPairs(
            form_urlencoded::parse(query.as_bytes())
                .into_owned()
                .collect(),
        )
    }

    /// The page a list request asks for, or `None` when it names neither `offset` nor `limit`:
    /// then the whole list, without `Total-Count`. The vendor SDK requests an unpaged URL again
    /// and again until 50 × requests ≥ `Total-Count`, so a count on a whole list would make it
    /// collect every item several times.
    pub(crate) fn page(&self) -> Result<Option<Page>, ApiError> {
        let offset = self.usize("offset")?;
        let limit = self.usize("limit")?;
        if offset.is_none() && limit.is_none() {
            return Ok(None);
        }
        Ok(Some(Page {
            offset: offset.unwrap_or(0),
            limit: limit.filter(|&l| l > 0).unwrap_or(DEFAULT_PAGE),
        }))
    }

    pub(crate) fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of a repeated key; comma-separated values are split too.
    pub(crate) fn all(&self, key: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == key)
            .flat_map(|(_, v)| {
                v.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(String::from)
                    .collect::<Vec<_>>()
            })
            .collect()
    }

    pub(crate) fn bool(&self, key: &str) -> Result<Option<bool>, ApiError> {
        match self.get(key) {
            None => Ok(None),
            Some("") | Some("true") | Some("1") => Ok(Some(true)),
            Some("false") | Some("0") => Ok(Some(false)),
            Some(_) => Err(ApiError::BadRequest(format!(
                "query parameter {key} must be true or false"
            ))),
        }
    }

    pub(crate) fn usize(&self, key: &str) -> Result<Option<usize>, ApiError> {
        self.get(key)
            .map(|v| {
                v.parse().map_err(|_| {
                    ApiError::BadRequest(format!(
                        "query parameter {key} must be a non-negative integer"
                    ))
                })
            })
            .transpose()
    }
}

impl<S: Send + Sync> FromRequestParts<S> for QueryPairs {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(QueryPairs::parse(parts.uri.query().unwrap_or("")))
    }
}

#[cfg(test)]
mod tests {
    use super::without_echoed_values;

    fn message(json: &str) -> String {
        #[derive(Debug, serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        #[allow(dead_code)]
        struct Login {
            username: String,
            kind: Kind,
            n: u8,
        }
        #[derive(Debug, serde::Deserialize)]
        #[serde(rename_all = "lowercase")]
        enum Kind {
            Basic,
        }
        without_echoed_values(&serde_json::from_str::<Login>(json).unwrap_err())
    }

    #[test]
    fn no_client_value_is_quoted_back() {
        for (json, secret, kept) in [
            (
                r#"{"username":918273645546372819}"#,
                "918273645546372819",
                "expected a string",
            ),
            (r#"{"username":1.25e7}"#, "12500000", "expected a string"),
            (r#"{"username":true}"#, "true", "expected a string"),
            (
                r#"{"username":"u","kind":"s3cr\"et"}"#,
                "s3cr",
                "expected `basic`",
            ),
            (
                r#"{"username":"u","kind":"basic","n":-31337}"#,
                "31337",
                "expected u8",
            ),
            (
                r#"{"username":"u","kind":"basic","n":70000}"#,
                "70000",
                "expected u8",
            ),
            (
                r#"{"hunter2secret":1}"#,
                "hunter2secret",
                "expected one of `username`",
            ),
        ] {
            let m = message(json);
            assert!(!m.contains(secret), "{json}: {m}");
            assert!(m.contains(kept), "{json}: {m}");
            assert!(m.contains("line 1 column"), "{json}: {m}");
        }
        assert!(message(r#"{"kind":"basic","n":1}"#).contains("missing field `username`"));
    }
}
