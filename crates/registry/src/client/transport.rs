//! One logical registry request as a loop of HTTP attempts: per-host concurrency permit,
//! auth header, per-request timeout, retries with backoff on 408/429/5xx and transport errors,
//! answering auth challenges once, and following redirects by hand so that the Authorization
//! header only ever goes to the registry's own origin (blob storage behind a redirect gets none).

use super::retry::{backoff, parse_retry_after, retryable_status};
use super::{ClientOptions, Inner};
use crate::RegistryError;
use crate::auth::{Challenge, Scheme};
use base64::Engine as _;
use bytes::Bytes;
use reqwest::header::{ACCEPT, AUTHORIZATION, HeaderMap, LOCATION, RETRY_AFTER, WWW_AUTHENTICATE};
use reqwest::{Method, StatusCode, Url};
use std::sync::atomic::Ordering;
use std::time::Duration;

const MAX_REDIRECTS: u32 = 5;
const ERROR_BODY_LIMIT: u64 = 64 * 1024;

/// What the caller wants from a successful response.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Want {
    Head,
    /// The whole body, refused beyond this many bytes.
    Bytes(u64),
    /// The response itself, body unread, for streaming.
    Stream,
}

#[derive(Debug)]
pub(crate) struct Call<'a> {
    pub(crate) method: Method,
    pub(crate) url: Url,
    pub(crate) accept: Option<&'a str>,
    /// Token scope, e.g. `repository:a/b:pull`; `None` for `/v2/`.
    pub(crate) scope: Option<String>,
}

#[derive(Debug)]
pub(crate) struct Reply {
    pub(crate) headers: HeaderMap,
    pub(crate) url: Url,
    pub(crate) body: Bytes,
    pub(crate) response: Option<reqwest::Response>,
}

enum Outcome {
    Done(Box<Reply>),
    Redirect(Url),
    Challenge(Option<Challenge>, String),
}

enum Failure {
    Retry(RegistryError, Option<Duration>),
    Fatal(RegistryError),
}

impl Inner {
    pub(crate) async fn call(&self, call: Call<'_>, want: Want) -> Result<Reply, RegistryError> {
        let opts: &ClientOptions = &self.opts;
        let mut url = call.url.clone();
        let mut attempt = 0u32;
        let mut redirects = 0u32;
        let mut challenged = false;
        loop {
            attempt += 1;
            match self.attempt(&call, &url, want).await {
                Ok(Outcome::Done(reply)) => return Ok(*reply),
                Ok(Outcome::Redirect(next)) => {
                    redirects += 1;
                    if redirects > MAX_REDIRECTS {
                        return Err(RegistryError::Redirect {
                            url: call.url.to_string(),
                            message: format!("more than {MAX_REDIRECTS} redirects"),
                        });
                    }
                    url = next;
                    attempt -= 1;
                }
                Ok(Outcome::Challenge(challenge, message)) => {
                    if challenged {
                        return Err(self.rejected(&url, challenge.as_ref(), &message));
                    }
                    challenged = true;
                    self.answer_challenge(&url, challenge, &message, call.scope.as_deref())
                        .await?;
                    attempt -= 1;
                }
                Err(Failure::Retry(err, retry_after)) if attempt < opts.max_attempts => {
                    let wait = backoff(
                        attempt + 1,
                        opts.initial_backoff,
                        opts.max_backoff,
                        retry_after,
                    );
                    tracing::debug!(%url, attempt, ?wait, error = %err, "retrying");
                    tokio::time::sleep(wait).await;
                }
                Err(Failure::Retry(err, _)) | Err(Failure::Fatal(err)) => return Err(err),
            }
        }
    }

    fn same_origin(&self, url: &Url) -> bool {
        url.scheme() == self.base.scheme()
            && url.host_str() == self.base.host_str()
            && url.port_or_known_default() == self.base.port_or_known_default()
    }

    async fn attempt(&self, call: &Call<'_>, url: &Url, want: Want) -> Result<Outcome, Failure> {
        let timeout = self.opts.request_timeout;
        let _permit = self
            .limit
            .acquire()
            .await
            .map_err(|e| Failure::Fatal(RegistryError::Spec(e.to_string())))?;
        let mut req = self.http.request(call.method.clone(), url.clone());
        if let Some(accept) = call.accept {
            req = req.header(ACCEPT, accept);
        }
        if self.same_origin(url)
            && let Some(value) = self
                .auth_header(call.scope.as_deref())
                .await
                .map_err(Failure::Fatal)?
        {
            req = req.header(AUTHORIZATION, value);
        }
        self.requests.fetch_add(1, Ordering::Relaxed);
        let resp = match tokio::time::timeout(timeout, req.send()).await {
            Err(_) => return Err(Failure::Retry(self.timeout_error(url), None)),
            // reqwest's own read timeout can fire first; it is the same condition.
            Ok(Err(e)) if e.is_timeout() => {
                return Err(Failure::Retry(self.timeout_error(url), None));
            }
            Ok(Err(e)) => return Err(Failure::Retry(transport_error(url, &e), None)),
            Ok(Ok(r)) => r,
        };
        let status = resp.status();
        if status.is_redirection()
            && let Some(loc) = resp.headers().get(LOCATION)
        {
            let next = loc
                .to_str()
                .ok()
                .and_then(|l| url.join(l).ok())
                .ok_or_else(|| {
                    Failure::Fatal(RegistryError::Redirect {
                        url: url.to_string(),
                        message: "redirect with an unusable Location".into(),
                    })
                })?;
            return Ok(Outcome::Redirect(next));
        }
        if status == StatusCode::UNAUTHORIZED && self.same_origin(url) {
            let challenges: Vec<String> = resp
                .headers()
                .get_all(WWW_AUTHENTICATE)
                .iter()
                .filter_map(|v| v.to_str().ok().map(str::to_string))
                .collect();
            let message = self.error_message(resp, timeout).await;
            if challenges.is_empty() {
                return Err(Failure::Fatal(RegistryError::UnauthorizedNoChallenge {
                    url: url.to_string(),
                }));
            }
            let parsed = challenges.iter().find_map(|c| Challenge::parse(c));
            if parsed.is_none() {
                return Err(Failure::Fatal(RegistryError::Auth {
                    url: url.to_string(),
                    message: format!("unsupported challenge {:?}", challenges.join(", ")),
                }));
            }
            return Ok(Outcome::Challenge(parsed, message));
        }
        if !status.is_success() {
            let retry_after = resp
                .headers()
                .get(RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| parse_retry_after(v, jiff::Timestamp::now()));
            let message = self.error_message(resp, timeout).await;
            let err = RegistryError::Status {
                url: url.to_string(),
                status: status.as_u16(),
                message,
            };
            return Err(if retryable_status(status.as_u16()) {
                Failure::Retry(err, retry_after)
            } else {
                Failure::Fatal(err)
            });
        }
        let headers = resp.headers().clone();
        let (body, response) = match want {
            Want::Head => (Bytes::new(), None),
            Want::Stream => (Bytes::new(), Some(resp)),
            Want::Bytes(limit) => {
                match tokio::time::timeout(timeout, self.read_limited(resp, limit, url)).await {
                    Err(_) => return Err(Failure::Retry(self.timeout_error(url), None)),
                    Ok(Err(f)) => return Err(f),
                    Ok(Ok(b)) => (b, None),
                }
            }
        };
        Ok(Outcome::Done(Box::new(Reply {
            headers,
            url: url.clone(),
            body,
            response,
        })))
    }

    fn timeout_error(&self, url: &Url) -> RegistryError {
        RegistryError::Timeout {
            url: url.to_string(),
            seconds: self.opts.request_timeout.as_secs_f64(),
            attempts: self.opts.max_attempts,
        }
    }

    /// The registry's own `{"errors":[{"code","message"}]}` as one line, or the start of the body.
    async fn error_message(&self, resp: reqwest::Response, timeout: Duration) -> String {
        let url = resp.url().clone();
        let Ok(Ok(body)) =
            tokio::time::timeout(timeout, self.read_limited(resp, ERROR_BODY_LIMIT, &url)).await
        else {
            return String::new();
        };
        #[derive(serde::Deserialize)]
        struct Errors {
            errors: Vec<ErrorItem>,
        }
        #[derive(serde::Deserialize)]
        struct ErrorItem {
            #[serde(default)]
            code: String,
            #[serde(default)]
            message: String,
        }
        if let Ok(e) = serde_json::from_slice::<Errors>(&body) {
            return e
                .errors
                .iter()
                .map(|i| format!("{} {}", i.code, i.message).trim().to_string())
                .collect::<Vec<_>>()
                .join("; ");
        }
        let text = String::from_utf8_lossy(&body);
        text.trim().chars().take(200).collect()
    }

    async fn auth_header(&self, scope: Option<&str>) -> Result<Option<String>, RegistryError> {
        let scheme = self
            .scheme
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        match scheme {
            Scheme::Unknown => Ok(None),
            Scheme::Basic => Ok(self.creds.login().await?.map(|(u, p)| basic(&u, &p))),
            Scheme::Bearer { realm, service } => {
                let token = self
                    .bearer_token(&realm, service.as_deref(), scope, None)
                    .await?;
                Ok(Some(format!("Bearer {token}")))
            }
        }
    }

    /// A cached token for `scope`, or a new one from the realm. Fetches are serialised so that
    /// concurrent requests for one scope ask the token service once.
    async fn bearer_token(
        &self,
        realm: &str,
        service: Option<&str>,
        scope: Option<&str>,
        challenge_scope: Option<&str>,
    ) -> Result<String, RegistryError> {
        let key = scope.unwrap_or("");
        if let Some(t) = self
            .tokens
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(key)
        {
            return Ok(t);
        }
        let _guard = self.token_fetch.lock().await;
        if let Some(t) = self
            .tokens
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(key)
        {
            return Ok(t);
        }
        let mut url = Url::parse(realm).map_err(|e| RegistryError::Auth {
            url: realm.to_string(),
            message: format!("token realm is not a URL: {e}"),
        })?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(RegistryError::Auth {
                url: realm.to_string(),
                message: "token realm must be http or https".into(),
            });
        }
        {
            let mut q = url.query_pairs_mut();
            if let Some(s) = service {
                q.append_pair("service", s);
            }
            let mut scopes: Vec<&str> = scope.into_iter().collect();
            if let Some(c) = challenge_scope
                && !scopes.contains(&c)
            {
                scopes.push(c);
            }
            for s in scopes {
                q.append_pair("scope", s);
            }
        }
        let mut req = self.http.get(url.clone());
        if let Some((u, p)) = self.creds.login().await? {
            req = req.header(AUTHORIZATION, basic(&u, &p));
        }
        self.requests.fetch_add(1, Ordering::Relaxed);
        let timeout = self.opts.request_timeout;
        let resp = match tokio::time::timeout(timeout, req.send()).await {
            Err(_) => return Err(self.timeout_error(&url)),
            Ok(Err(e)) => return Err(transport_error(&url, &e)),
            Ok(Ok(r)) => r,
        };
        let status = resp.status();
        if !status.is_success() {
            let message = self.error_message(resp, timeout).await;
            return Err(RegistryError::Auth {
                url: realm.to_string(),
                message: format!("token service answered HTTP {}: {message}", status.as_u16()),
            });
        }
        let body = match tokio::time::timeout(timeout, self.read_limited(resp, 1 << 20, &url)).await
        {
            Ok(Ok(b)) => b,
            _ => return Err(self.timeout_error(&url)),
        };
        let (token, ttl) = serde_json::from_slice::<crate::auth::TokenResponse>(&body)
            .ok()
            .and_then(|r| r.into_parts())
            .ok_or_else(|| RegistryError::Auth {
                url: realm.to_string(),
                message: "token service answered without a token".into(),
            })?;
        self.tokens
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .put(key, token.clone(), ttl);
        Ok(token)
    }

    /// Learns the scheme from a 401 so that the retry carries credentials.
    async fn answer_challenge(
        &self,
        url: &Url,
        challenge: Option<Challenge>,
        message: &str,
        scope: Option<&str>,
    ) -> Result<(), RegistryError> {
        match challenge {
            Some(Challenge::Basic) => {
                if !self.creds.has_login() {
                    return Err(RegistryError::Auth {
                        url: url.to_string(),
                        message: format!(
                            "the registry requires a username and password (Basic){}",
                            suffix(message)
                        ),
                    });
                }
                *self.scheme.lock().unwrap_or_else(|p| p.into_inner()) = Scheme::Basic;
                Ok(())
            }
            Some(Challenge::Bearer {
                realm,
                service,
                scope: challenge_scope,
            }) => {
                *self.scheme.lock().unwrap_or_else(|p| p.into_inner()) = Scheme::Bearer {
                    realm: realm.clone(),
                    service: service.clone(),
                };
                // The token we sent (if any) was not good enough: get a fresh one that also
                // covers whatever scope the registry named.
                self.tokens
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .forget(scope.unwrap_or(""));
                self.bearer_token(
                    &realm,
                    service.as_deref(),
                    scope,
                    challenge_scope.as_deref(),
                )
                .await
                .map(|_| ())
            }
            None => Err(RegistryError::UnauthorizedNoChallenge {
                url: url.to_string(),
            }),
        }
    }

    fn rejected(&self, url: &Url, challenge: Option<&Challenge>, message: &str) -> RegistryError {
        let what = match challenge {
            Some(Challenge::Basic) => "the registry refused the username and password",
            Some(Challenge::Bearer { .. }) if !self.creds.has_login() => {
                "the registry refused anonymous access (give a username and password)"
            }
            Some(Challenge::Bearer { .. }) => {
                "the registry refused the token (wrong credentials or no pull access)"
            }
            None => "unauthorized",
        };
        RegistryError::Auth {
            url: url.to_string(),
            message: format!("{what}{}", suffix(message)),
        }
    }
}

fn suffix(message: &str) -> String {
    if message.is_empty() {
        String::new()
    } else {
        format!(" ({message})")
    }
}

fn basic(user: &str, password: &str) -> String {
    let enc = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
    format!("Basic {enc}")
}

pub(crate) fn transport_error(url: &Url, e: &reqwest::Error) -> RegistryError {
    // reqwest's Display stops at the outermost layer ("error sending request for url (…)"),
    // which repeats the URL; the cause chain says what happened (refused, reset, certificate).
    let mut causes = Vec::new();
    let mut io_kinds = Vec::new();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        causes.push(s.to_string());
        if let Some(io) = s.downcast_ref::<std::io::Error>() {
            io_kinds.push(io.kind());
        }
        source = s.source();
    }
    let message = if causes.is_empty() {
        e.to_string()
    } else {
        causes.join(": ")
    };
    let url = url.to_string();
    match transport_kind(&io_kinds, &message) {
        TransportKind::Unreachable => RegistryError::Unreachable { url, message },
        TransportKind::Interrupted => RegistryError::Interrupted { url, message },
        TransportKind::Other => RegistryError::Transport { url, message },
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TransportKind {
    Unreachable,
    Interrupted,
    Other,
}

/// Sorts a transport failure once, here. The I/O error kinds in the cause chain decide where
/// there is one; hyper's own "connection closed before message completed" and "incomplete
/// message" carry no I/O error (hyper is not a dependency to downcast to), so for those the
/// text of the chain is what there is. Certificate and handshake failures stay `Other`.
fn transport_kind(io_kinds: &[std::io::ErrorKind], message: &str) -> TransportKind {
    use std::io::ErrorKind as K;
    if io_kinds.iter().any(|k| {
        matches!(
            k,
            K::ConnectionRefused | K::ConnectionReset | K::ConnectionAborted | K::BrokenPipe
        )
    }) {
        return TransportKind::Unreachable;
    }
    if io_kinds.contains(&K::UnexpectedEof) {
        return TransportKind::Interrupted;
    }
    let m = message.to_ascii_lowercase();
    let has = |symptoms: &[&str]| symptoms.iter().any(|s| m.contains(s));
    if has(&[
        "connection refused",
        "connection reset",
        "connection closed",
        "connection aborted",
        "broken pipe",
    ]) {
        TransportKind::Unreachable
    } else if has(&["body cut short", "unexpected eof", "incomplete message"]) {
        TransportKind::Interrupted
    } else {
        TransportKind::Other
    }
}

impl Inner {
    async fn read_limited(
        &self,
        mut resp: reqwest::Response,
        limit: u64,
        url: &Url,
    ) -> Result<Bytes, Failure> {
        if resp.content_length().is_some_and(|n| n > limit) {
            return Err(Failure::Fatal(RegistryError::TooLarge {
                what: url.to_string(),
                limit,
            }));
        }
        let mut buf = Vec::new();
        loop {
            match resp.chunk().await {
                Ok(Some(chunk)) => {
                    if buf.len() as u64 + chunk.len() as u64 > limit {
                        return Err(Failure::Fatal(RegistryError::TooLarge {
                            what: url.to_string(),
                            limit,
                        }));
                    }
                    buf.extend_from_slice(&chunk);
                }
                Ok(None) => return Ok(Bytes::from(buf)),
                Err(e) if e.is_timeout() => {
                    return Err(Failure::Retry(self.timeout_error(url), None));
                }
                Err(e) => return Err(Failure::Retry(transport_error(url, &e), None)),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::ErrorKind as K;

    #[test]
    fn transport_failures_are_sorted_by_what_waiting_can_fix() {
        assert_eq!(
            transport_kind(&[K::ConnectionRefused], "x"),
            TransportKind::Unreachable
        );
        assert_eq!(
            transport_kind(&[K::UnexpectedEof], "x"),
            TransportKind::Interrupted
        );
        assert_eq!(
            transport_kind(&[], "connection closed before message completed"),
            TransportKind::Unreachable
        );
        assert_eq!(
            transport_kind(
                &[],
                "error reading a body from connection: Incomplete message"
            ),
            TransportKind::Interrupted
        );
        assert_eq!(
            transport_kind(&[K::Other], "invalid peer certificate: UnknownIssuer"),
            TransportKind::Other
        );
        assert_eq!(
            transport_kind(&[], "dns error: failed to lookup"),
            TransportKind::Other
        );
    }
}
