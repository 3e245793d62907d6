//! A registry product's management API (Harbor's `/api/v2.0`, Artifactory's `/artifactory/api`,
//! Nexus's `/service/rest`): JSON over HTTP beside the registry's v2 API, on the same host.
//!
//! The v2 client learns its auth scheme from a challenge; these APIs send none (a wrong or
//! missing login is a bare 401 with the product's JSON error body), so the login goes up front,
//! as the vendors' own clients send it. The TLS trust is the pull client's (the credential's
//! CA, `skipVerify`, client certificate), requests are counted for the discovery report, and
//! 408/429/5xx are retried with the same backoff as registry requests. Paging helpers follow
//! `Link: <…>; rel="next"` and stop at a bounded number of pages and items.

use crate::client::paging::next_link;
use crate::client::retry::{backoff, parse_retry_after, retryable_status};
use crate::client::transport::transport_error;
use crate::{ClientOptions, Credentials, RegistryError};
use base64::Engine as _;
use bytes::Bytes;
use reqwest::Url;
use reqwest::header::{AUTHORIZATION, HeaderMap, LINK, RETRY_AFTER};
use serde::de::DeserializeOwned;
use std::sync::atomic::{AtomicU64, Ordering};

/// Pages of one listing. A product that keeps answering "next" is broken, not big.
pub(crate) const MAX_API_PAGES: usize = 100_000;

/// One product's management API on one host.
#[derive(Debug)]
pub(crate) struct MgmtApi {
    http: reqwest::Client,
    base: Url,
    creds: Credentials,
    opts: ClientOptions,
    requests: AtomicU64,
}

/// A successful answer: its headers and body.
#[derive(Debug)]
pub(crate) struct ApiReply {
    pub(crate) url: Url,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
}

impl ApiReply {
    /// The body as `T`; a body that is not is [`RegistryError::Malformed`] naming the URL.
    pub(crate) fn json<T: DeserializeOwned>(&self) -> Result<T, RegistryError> {
        serde_json::from_slice(&self.body)
            .map_err(|e| RegistryError::malformed(self.url.as_str(), e))
    }

    /// The `rel="next"` target of the `Link` header, if any.
    pub(crate) fn next(&self) -> Option<Url> {
        let values = self
            .headers
            .get_all(LINK)
            .iter()
            .filter_map(|v| v.to_str().ok());
        next_link(values, &self.url)
    }

    /// A numeric header such as `X-Total-Count`.
    pub(crate) fn count(&self, name: &str) -> Option<u64> {
        self.headers.get(name)?.to_str().ok()?.trim().parse().ok()
    }
}

impl MgmtApi {
    /// The API at `base` (scheme, host, port and any path prefix; no trailing slash needed).
    pub(crate) fn new(
        base: Url,
        creds: &Credentials,
        opts: &ClientOptions,
    ) -> Result<MgmtApi, RegistryError> {
        Ok(MgmtApi {
            http: crate::client::build_http(creds, opts)?,
            base,
            creds: creds.clone(),
            opts: opts.clone(),
            requests: AtomicU64::new(0),
        })
    }

    /// `path_and_query` (starting with `/`) under the base.
    pub(crate) fn url(&self, path_and_query: &str) -> Url {
        let s = format!(
            "{}{path_and_query}",
            self.base.as_str().trim_end_matches('/')
        );
        Url::parse(&s).unwrap_or_else(|_| self.base.clone())
    }

    pub(crate) fn base(&self) -> &Url {
        &self.base
    }

    /// The username the API is called as, for messages ("anonymous" without one).
    pub(crate) async fn user(&self) -> String {
        match self.creds.login().await {
            Ok(Some((u, _))) => u,
            _ => "anonymous".into(),
        }
    }

    /// Requests sent so far, retries included.
    pub(crate) fn requests_sent(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// `GET url`, with the login up front, retried on 408/429/5xx and transport failures. A
    /// final failure status is [`RegistryError::Status`] carrying the product's error text.
    pub(crate) async fn get(&self, url: Url) -> Result<ApiReply, RegistryError> {
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            let (err, retry_after) = match self.attempt(&url).await {
                Ok(reply) => return Ok(reply),
                Err(e) => e,
            };
            let retryable =
                err.is_transient() || matches!(err.status(), Some(s) if retryable_status(s));
            if !retryable || attempt >= self.opts.max_attempts {
                return Err(err);
            }
            let wait = backoff(
                attempt + 1,
                self.opts.initial_backoff,
                self.opts.max_backoff,
                retry_after,
            );
            tracing::debug!(%url, attempt, ?wait, error = %err, "retrying a management API call");
            tokio::time::sleep(wait).await;
        }
    }

    async fn attempt(
        &self,
        url: &Url,
    ) -> Result<ApiReply, (RegistryError, Option<std::time::Duration>)> {
        let mut req = self
            .http
            .get(url.clone())
            .header(reqwest::header::ACCEPT, "application/json");
        if let Some((u, p)) = self.creds.login().await.map_err(|e| (e, None))? {
            let pair = base64::engine::general_purpose::STANDARD.encode(format!("{u}:{p}"));
            req = req.header(AUTHORIZATION, format!("Basic {pair}"));
        }
        self.requests.fetch_add(1, Ordering::Relaxed);
        let resp = match tokio::time::timeout(self.opts.request_timeout, req.send()).await {
            Err(_) => return Err((self.timeout(url), None)),
            Ok(Err(e)) if e.is_timeout() => return Err((self.timeout(url), None)),
            Ok(Err(e)) => return Err((transport_error(url, &e), None)),
            Ok(Ok(r)) => r,
        };
        let status = resp.status();
        let headers = resp.headers().clone();
        let body = match tokio::time::timeout(
            self.opts.request_timeout,
            read_limited(resp, self.opts.max_page_bytes, url),
        )
        .await
        {
            Err(_) => return Err((self.timeout(url), None)),
            Ok(r) => r.map_err(|e| (e, None))?,
        };
        if status.is_success() {
            return Ok(ApiReply {
                url: url.clone(),
                headers,
                body,
            });
        }
        let retry_after = headers
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| parse_retry_after(v, jiff::Timestamp::now()));
        Err((
            RegistryError::Status {
                url: url.to_string(),
                status: status.as_u16(),
                message: error_text(&body),
            },
            retry_after,
        ))
    }

    fn timeout(&self, url: &Url) -> RegistryError {
        RegistryError::Timeout {
            url: url.to_string(),
            seconds: self.opts.request_timeout.as_secs_f64(),
            attempts: self.opts.max_attempts,
        }
    }
}

async fn read_limited(
    mut resp: reqwest::Response,
    limit: u64,
    url: &Url,
) -> Result<Bytes, RegistryError> {
    let mut buf = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(|e| transport_error(url, &e))? {
        if (buf.len() + chunk.len()) as u64 > limit {
            return Err(RegistryError::TooLarge {
                what: url.to_string(),
                limit,
            });
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(Bytes::from(buf))
}

/// The product's own error text: Harbor's and Artifactory's `{"errors":[{code|status, message}]}`,
/// else the start of the body.
pub(crate) fn error_text(body: &[u8]) -> String {
    #[derive(serde::Deserialize)]
    struct Errors {
        errors: Vec<Item>,
    }
    #[derive(serde::Deserialize)]
    struct Item {
        #[serde(default)]
        code: Option<serde_json::Value>,
        #[serde(default)]
        status: Option<serde_json::Value>,
        #[serde(default)]
        message: String,
    }
    if let Ok(e) = serde_json::from_slice::<Errors>(body) {
        return e
            .errors
            .iter()
            .map(|i| {
                let code = i.code.as_ref().or(i.status.as_ref());
                let code = match code {
                    Some(serde_json::Value::String(s)) => s.clone(),
                    Some(v) => v.to_string(),
                    None => String::new(),
                };
                format!("{code} {}", i.message).trim().to_string()
            })
            .collect::<Vec<_>>()
            .join("; ");
    }
    String::from_utf8_lossy(body)
        .trim()
        .chars()
        .take(200)
        .collect()
}

/// Percent-encodes everything but RFC 3986's unreserved characters (so `/` becomes `%2F`).
pub(crate) fn encode_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_bodies_of_harbor_and_artifactory() {
        assert_eq!(
            error_text(br#"{"errors":[{"code":"UNAUTHORIZED","message":"unauthorized"}]}"#),
            "UNAUTHORIZED unauthorized"
        );
        assert_eq!(
            error_text(br#"{"errors":[{"status":401,"message":"Bad credentials"}]}"#),
            "401 Bad credentials"
        );
        assert_eq!(error_text(b"  plain text  "), "plain text");
    }

    #[test]
    fn segments_are_encoded_and_twice_for_harbor() {
        assert_eq!(encode_segment("a/b c"), "a%2Fb%20c");
        assert_eq!(encode_segment(&encode_segment("team/sub")), "team%252Fsub");
    }
}
