//! A vendor's REST API as discovery speaks it (GitLab's, Quay's, …): one HTTP client with the
//! registry's TLS trust, the credential's token in the vendor's header, retries on 408/429/5xx
//! and transport failures (honouring `Retry-After`), bodies read within a bound, a few calls in
//! flight at most, and every call counted. What differs per vendor (the header, how paging is
//! announced, how a refusal reads) stays in the vendor's module: the header is a
//! [`TokenHeader`], a refusal goes through the vendor's [`Refusal`] function.

use crate::auth::{Credentials, RegistryAuth};
use crate::client::{build_http, transport_error};
use crate::{ClientOptions, RegistryError};
use futures_util::StreamExt;
use reqwest::header::{HeaderMap, RETRY_AFTER};
use serde::de::DeserializeOwned;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::sync::Semaphore;

/// Bytes of an error body read for its message.
const ERROR_BODY_LIMIT: usize = 16 * 1024;

/// How the token travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TokenHeader {
    /// `PRIVATE-TOKEN: <token>` (GitLab).
    PrivateToken,
    /// `Authorization: Bearer <token>` (OAuth tokens: Quay, Kubernetes).
    Bearer,
    /// `Authorization: Basic` with the credential's user and secret (DTR).
    Basic,
}

/// Turns a non-2xx answer into an error that says what to fix: `(url, status, headers, body,
/// whether a token was sent)`.
pub(crate) type Refusal = fn(&str, u16, &HeaderMap, &[u8], bool) -> RegistryError;

/// One vendor API root, e.g. `https://gitlab.com/api/v4`.
pub(crate) struct VendorApi {
    http: reqwest::Client,
    root: String,
    creds: Credentials,
    opts: ClientOptions,
    token_header: TokenHeader,
    refusal: Refusal,
    /// Items per page to ask for: the client's page size, within the vendor's maximum.
    pub(crate) per_page: usize,
    requests: AtomicU64,
    /// Calls in flight: vendors rate-limit (GitLab.com allows 2,000 API calls a minute per
    /// user), so per-tag calls go a few at a time (`max_concurrency_per_host`).
    in_flight: Semaphore,
}

impl std::fmt::Debug for VendorApi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VendorApi")
            .field("root", &self.root)
            .finish_non_exhaustive()
    }
}

impl VendorApi {
    /// The API at `root` (no trailing slash), pages of at most `max_per_page`.
    pub(crate) fn new(
        root: &str,
        creds: Credentials,
        opts: &ClientOptions,
        token_header: TokenHeader,
        refusal: Refusal,
        max_per_page: usize,
    ) -> Result<VendorApi, RegistryError> {
        Ok(VendorApi {
            http: build_http(&creds, opts)?,
            root: root.trim_end_matches('/').to_string(),
            per_page: opts
                .page_size
                .unwrap_or(max_per_page)
                .clamp(1, max_per_page),
            creds,
            opts: opts.clone(),
            token_header,
            refusal,
            requests: AtomicU64::new(0),
            in_flight: Semaphore::new(opts.max_concurrency_per_host.max(1)),
        })
    }

    pub(crate) fn root(&self) -> &str {
        &self.root
    }

    pub(crate) fn requests_sent(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// The login to send: the credential's user and secret (a refreshing login's current one).
    async fn token(&self) -> Result<Option<(String, String)>, RegistryError> {
        Ok(match &self.creds.auth {
            RegistryAuth::Basic { username, password } if !password.is_empty() => {
                Some((username.clone(), password.clone()))
            }
            RegistryAuth::Token(t) => Some(t.login().await?),
            _ => None,
        })
    }

    /// One JSON document at `path` (under the root, query included).
    pub(crate) async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, RegistryError> {
        self.get_with_headers(path).await.map(|(v, _)| v)
    }

    /// [`get`](Self::get), with the response headers (paging announced there).
    pub(crate) async fn get_with_headers<T: DeserializeOwned>(
        &self,
        path: &str,
    ) -> Result<(T, HeaderMap), RegistryError> {
        let url = format!("{}{path}", self.root);
        let (body, headers) = self.fetch(&url).await?;
        let v = serde_json::from_slice(&body).map_err(|e| RegistryError::malformed(&url, e))?;
        Ok((v, headers))
    }

    /// GET with retries on 408/429/5xx and transport failures; the body and headers of a 2xx.
    async fn fetch(&self, url: &str) -> Result<(Vec<u8>, HeaderMap), RegistryError> {
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            let (err, retry_after) = match self.once(url).await {
                Ok(done) => return Ok(done),
                Err(Attempt::Fatal(e)) => return Err(e),
                Err(Attempt::Retry(e, after)) => (e, after),
            };
            if attempt >= self.opts.max_attempts.max(1) {
                return Err(err);
            }
            let exp = self
                .opts
                .initial_backoff
                .saturating_mul(1 << (attempt - 1).min(16));
            let wait = retry_after.unwrap_or(exp).min(self.opts.max_backoff);
            tracing::debug!(%url, attempt, ?wait, error = %err, "vendor API: retrying");
            tokio::time::sleep(wait).await;
        }
    }

    async fn once(&self, url: &str) -> Result<(Vec<u8>, HeaderMap), Attempt> {
        let parsed = reqwest::Url::parse(url).map_err(|e| {
            Attempt::Fatal(RegistryError::InvalidAddress {
                address: url.to_string(),
                reason: e.to_string(),
            })
        })?;
        let mut req = self
            .http
            .get(parsed.clone())
            .timeout(self.opts.request_timeout);
        let token = self.token().await.map_err(Attempt::Fatal)?;
        if let Some((user, secret)) = &token {
            req = match self.token_header {
                TokenHeader::PrivateToken => req.header("PRIVATE-TOKEN", secret),
                TokenHeader::Bearer => req.bearer_auth(secret),
                TokenHeader::Basic => req.basic_auth(user, Some(secret)),
            };
        }
        let _permit = self
            .in_flight
            .acquire()
            .await
            .map_err(|e| Attempt::Fatal(RegistryError::Spec(format!("vendor API: {e}"))))?;
        self.requests.fetch_add(1, Ordering::Relaxed);
        let resp = req.send().await.map_err(|e| {
            if e.is_timeout() {
                Attempt::Retry(
                    RegistryError::Timeout {
                        url: url.to_string(),
                        seconds: self.opts.request_timeout.as_secs_f64(),
                        attempts: 1,
                    },
                    None,
                )
            } else {
                let e = transport_error(&parsed, &e);
                if e.is_transient() {
                    Attempt::Retry(e, None)
                } else {
                    Attempt::Fatal(e)
                }
            }
        })?;
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let limit = if (200..300).contains(&status) {
            usize::try_from(self.opts.max_page_bytes).unwrap_or(usize::MAX)
        } else {
            ERROR_BODY_LIMIT
        };
        let body = read_limited(resp, limit, url).await.map_err(|e| {
            if e.is_transient() {
                Attempt::Retry(e, None)
            } else {
                Attempt::Fatal(e)
            }
        })?;
        if (200..300).contains(&status) {
            return Ok((body, headers));
        }
        let e = (self.refusal)(url, status, &headers, &body, token.is_some());
        if matches!(status, 408 | 429 | 500 | 502 | 503 | 504) {
            let after = header(&headers, RETRY_AFTER.as_str())
                .and_then(|s| s.trim().parse::<u64>().ok())
                .map(Duration::from_secs);
            return Err(Attempt::Retry(e, after));
        }
        Err(Attempt::Fatal(e))
    }
}

enum Attempt {
    Retry(RegistryError, Option<Duration>),
    Fatal(RegistryError),
}

async fn read_limited(
    resp: reqwest::Response,
    limit: usize,
    url: &str,
) -> Result<Vec<u8>, RegistryError> {
    let mut body = Vec::new();
    let mut stream = resp.bytes_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| RegistryError::interrupted(url, e.to_string()))?;
        if body.len() + chunk.len() > limit {
            return Err(RegistryError::TooLarge {
                what: url.to_string(),
                limit: limit as u64,
            });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

pub(crate) fn header(h: &HeaderMap, name: &str) -> Option<String> {
    h.get(name)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().to_string())
}

/// `id` as a path segment: numeric IDs as they are, `group/project` paths URL-encoded, as
/// GitLab's API takes both.
pub(crate) fn segment(id: &str) -> String {
    let mut out = String::with_capacity(id.len());
    for b in id.bytes() {
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
    fn ids_and_paths_are_segments() {
        assert_eq!(segment("42"), "42");
        assert_eq!(segment("group/sub project"), "group%2Fsub%20project");
    }
}
