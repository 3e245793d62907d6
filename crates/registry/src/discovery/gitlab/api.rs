//! The GitLab REST API (v4) as discovery speaks it: `PRIVATE-TOKEN` auth, offset paging through
//! the `X-Next-Page` header, bounded bodies, retries on 429/5xx, and GitLab's error bodies
//! turned into messages that say what to fix.
//!
//! The API is a different host from the registry (`gitlab.com` beside `registry.gitlab.com`),
//! so it has its own HTTP client, built with the same TLS trust as the registry's. The token is
//! the credential's secret (`apiToken` of a `gitlabToken` credential, or the CLI's password):
//! GitLab needs the `read_api` scope here and `read_registry` for the pulls, and every refusal
//! says which.
//!
//! Paging follows `X-Next-Page` rather than counting on a short page to mean the end: a page
//! holds `per_page` items at most (20 by default), and stopping after the first page is the
//! bug NeuVector shipped (neuvector#1797, "only 20 tags").

use crate::auth::{Credentials, RegistryAuth};
use crate::client::{build_http, transport_error};
use crate::{ClientOptions, RegistryError};
use futures_util::StreamExt;
use reqwest::header::{HeaderMap, RETRY_AFTER};
use serde::de::DeserializeOwned;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::sync::Semaphore;

/// GitLab's largest `per_page`.
pub(crate) const MAX_PER_PAGE: usize = 100;
/// Pages of one listing: a server that keeps saying "next" is broken, not big.
const MAX_PAGES: usize = 100_000;
/// Bytes of an error body read for its message.
const ERROR_BODY_LIMIT: usize = 16 * 1024;

/// What to tell a user whose token is refused or too weak.
const TOKEN_HINT: &str = "use a personal, group or project access token with the read_api and \
                          read_registry scopes";

/// One GitLab instance's API, e.g. `https://gitlab.com/api/v4`.
pub(crate) struct GitlabApi {
    http: reqwest::Client,
    root: String,
    creds: Credentials,
    opts: ClientOptions,
    per_page: usize,
    requests: AtomicU64,
    /// Calls in flight: GitLab.com allows 2,000 API calls a minute per user, so a scan's
    /// tag-detail calls go a few at a time (`max_concurrency_per_host`), not one per tag at once.
    in_flight: Semaphore,
}

impl std::fmt::Debug for GitlabApi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GitlabApi")
            .field("root", &self.root)
            .finish_non_exhaustive()
    }
}

impl GitlabApi {
    /// The API under `origin` (`https://gitlab.example.com`, no path): `origin/api/v4`.
    pub(crate) fn new(
        origin: &str,
        creds: Credentials,
        opts: &ClientOptions,
    ) -> Result<GitlabApi, RegistryError> {
        Ok(GitlabApi {
            http: build_http(&creds, opts)?,
            root: format!("{}/api/v4", origin.trim_end_matches('/')),
            per_page: opts
                .page_size
                .unwrap_or(MAX_PER_PAGE)
                .clamp(1, MAX_PER_PAGE),
            creds,
            opts: opts.clone(),
            requests: AtomicU64::new(0),
            in_flight: Semaphore::new(opts.max_concurrency_per_host.max(1)),
        })
    }

    /// `https://host/api/v4`.
    pub(crate) fn root(&self) -> &str {
        &self.root
    }

    pub(crate) fn requests_sent(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// The token to send: the credential's secret (a refreshing login's current one).
    async fn token(&self) -> Result<Option<String>, RegistryError> {
        Ok(match &self.creds.auth {
            RegistryAuth::Basic { password, .. } if !password.is_empty() => Some(password.clone()),
            RegistryAuth::Token(t) => Some(t.login().await?.1),
            _ => None,
        })
    }

    /// One JSON object or array at `path` (under the API root, query included).
    pub(crate) async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, RegistryError> {
        let url = format!("{}{path}", self.root);
        let (body, _) = self.fetch(&url).await?;
        serde_json::from_slice(&body).map_err(|e| RegistryError::malformed(url, e))
    }

    /// One page (`page`, from "1") of the array at `path`, and the next page's number when
    /// GitLab announces one in `X-Next-Page`.
    pub(crate) async fn page<T: DeserializeOwned>(
        &self,
        path: &str,
        page: &str,
    ) -> Result<(Vec<T>, Option<String>), RegistryError> {
        let sep = if path.contains('?') { '&' } else { '?' };
        let url = format!(
            "{}{path}{sep}per_page={}&page={page}",
            self.root, self.per_page
        );
        let (body, headers) = self.fetch(&url).await?;
        let items: Vec<T> =
            serde_json::from_slice(&body).map_err(|e| RegistryError::malformed(&url, e))?;
        let next = header(&headers, "x-next-page").filter(|p| !p.is_empty() && p != page);
        Ok((items, next))
    }

    /// Every page of the array at `path`, handed to `each` page by page; an `Err` from `each`
    /// stops the listing with it.
    pub(crate) async fn pages<T: DeserializeOwned>(
        &self,
        path: &str,
        mut each: impl FnMut(Vec<T>) -> Result<(), RegistryError>,
    ) -> Result<(), RegistryError> {
        let mut pager = Pager::default();
        while let Some(page) = pager.next(self.root(), path)? {
            let (items, next) = self.page(path, &page).await?;
            each(items)?;
            pager.then(next);
        }
        Ok(())
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
            tracing::debug!(%url, attempt, ?wait, error = %err, "GitLab API: retrying");
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
        let _permit = self
            .in_flight
            .acquire()
            .await
            .map_err(|e| Attempt::Fatal(RegistryError::Spec(format!("GitLab API: {e}"))))?;
        if let Some(t) = &token {
            req = req.header("PRIVATE-TOKEN", t);
        }
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
        let e = refusal(url, status, &headers, &body, token.is_some());
        if matches!(status, 408 | 429 | 500 | 502 | 503 | 504) {
            let after = header(&headers, RETRY_AFTER.as_str())
                .and_then(|s| s.trim().parse::<u64>().ok())
                .map(Duration::from_secs);
            return Err(Attempt::Retry(e, after));
        }
        Err(Attempt::Fatal(e))
    }
}

/// The page numbers of one listing: from "1" while GitLab announces a next one, at most
/// [`MAX_PAGES`].
#[derive(Debug, Default)]
pub(crate) struct Pager {
    next: Option<String>,
    read: usize,
    done: bool,
}

impl Pager {
    /// The page to read now, or `None` when the listing is over.
    pub(crate) fn next(&mut self, root: &str, path: &str) -> Result<Option<String>, RegistryError> {
        if self.done {
            return Ok(None);
        }
        if self.read >= MAX_PAGES {
            return Err(RegistryError::TooMany {
                what: format!("{root}{path}"),
                limit: MAX_PAGES as u64,
                items: "pages",
                hint: "the server keeps announcing a next page",
            });
        }
        self.read += 1;
        Ok(Some(self.next.take().unwrap_or_else(|| "1".into())))
    }

    /// What the page just read announced.
    pub(crate) fn then(&mut self, next: Option<String>) {
        self.done = next.is_none();
        self.next = next;
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

fn header(h: &HeaderMap, name: &str) -> Option<String> {
    h.get(name)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().to_string())
}

/// GitLab's own words from an error body: `message` (`"404 Project Not Found"`, or an object
/// of field errors), else `error` with `error_description` (OAuth-style token errors).
pub(crate) fn gitlab_says(body: &[u8]) -> String {
    let Ok(v) = serde_json::from_slice::<serde_json::Value>(body) else {
        return String::from_utf8_lossy(body)
            .trim()
            .chars()
            .take(200)
            .collect();
    };
    match (
        &v["message"],
        v["error"].as_str(),
        v["error_description"].as_str(),
    ) {
        (serde_json::Value::String(m), _, _) => m.clone(),
        (m @ serde_json::Value::Object(_), _, _) => m.to_string(),
        (_, Some(e), Some(d)) => format!("{e}: {d}"),
        (_, Some(e), None) => e.to_string(),
        _ => v.to_string().chars().take(200).collect(),
    }
}

/// A non-2xx answer as an error that says what to fix.
fn refusal(
    url: &str,
    status: u16,
    headers: &HeaderMap,
    body: &[u8],
    sent_token: bool,
) -> RegistryError {
    let said = gitlab_says(body);
    let challenge = header(headers, "www-authenticate").unwrap_or_default();
    let auth = |message: String| RegistryError::Auth {
        url: url.to_string(),
        message,
    };
    match status {
        401 if !sent_token => auth(format!(
            "GitLab requires a token ({said}); set the credential's apiToken: {TOKEN_HINT}"
        )),
        401 => auth(format!(
            "GitLab refused the API token ({said}); it is wrong, expired or revoked: \
             {TOKEN_HINT}"
        )),
        403 if said.contains("insufficient_scope") || challenge.contains("insufficient_scope") => {
            auth(format!(
                "the API token lacks the read_api scope ({said}); {TOKEN_HINT}"
            ))
        }
        403 => auth(format!(
            "GitLab refused access ({said}); the token's user needs at least the Reporter role \
             on the project or group, and the token the read_api scope"
        )),
        404 => RegistryError::Status {
            url: url.to_string(),
            status,
            message: format!(
                "{said} (check the ID in gitlabRegistrySpec, and that the token's user can \
                 see it)"
            ),
        },
        _ => RegistryError::Status {
            url: url.to_string(),
            status,
            message: said,
        },
    }
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
    fn gitlab_error_bodies_become_messages() {
        assert_eq!(
            gitlab_says(br#"{"message":"404 Project Not Found"}"#),
            "404 Project Not Found"
        );
        assert_eq!(
            gitlab_says(br#"{"error":"invalid_token","error_description":"Token has expired."}"#),
            "invalid_token: Token has expired."
        );
        let h = HeaderMap::new();
        let scope = br#"{"error":"insufficient_scope","error_description":"The request requires higher privileges than provided by the access token.","scope":"api read_api"}"#;
        let e = refusal("u", 403, &h, scope, true).to_string();
        assert!(e.contains("lacks the read_api scope"), "{e}");
        let e = refusal("u", 401, &h, br#"{"message":"401 Unauthorized"}"#, true).to_string();
        assert!(
            e.contains("wrong, expired or revoked") && e.contains("read_api"),
            "{e}"
        );
        let e = refusal("u", 401, &h, b"", false).to_string();
        assert!(e.contains("set the credential's apiToken"), "{e}");
        let e = refusal("u", 404, &h, br#"{"message":"404 Group Not Found"}"#, true);
        assert_eq!(e.status(), Some(404));
        assert!(e.to_string().contains("check the ID in gitlabRegistrySpec"));
    }

    #[test]
    fn ids_and_paths_are_segments() {
        assert_eq!(segment("42"), "42");
        assert_eq!(segment("group/sub project"), "group%2Fsub%20project");
    }
}
