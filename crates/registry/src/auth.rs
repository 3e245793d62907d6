//! Authentication material and the registry auth protocol: the caller's credentials
//! ([`Credentials`]), parsing `WWW-Authenticate` challenges, and the bearer-token cache.
//!
//! Flow: the client learns the registry's scheme from the first 401 (or the `/v2/` ping). With
//! Basic it sends the credentials on every later request to the registry's own origin. With
//! Bearer it asks the token realm for a token per scope (`repository:<name>:pull`,
//! `registry:catalog:*`), caches it until shortly before it expires, attaches it up front to
//! later requests of the same scope, and asks again when the registry still answers 401. A
//! [`RegistryAuth::Token`] login ([`token`]) is used exactly like Basic, refreshed before expiry.

pub(crate) mod aws;
pub(crate) mod sigv4;
mod token;

pub use aws::AwsIdentity;
pub use token::{ProvidedToken, RefreshingToken, TokenProvider};

use crate::RegistryError;
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// How to authenticate to a registry. [`connect`](crate::connect) builds it from a stored
/// credential; other callers (the CLI) build it from what they were given.
#[derive(Clone, Default, PartialEq, Eq)]
pub enum RegistryAuth {
    #[default]
    Anonymous,
    /// HTTP Basic to the registry, or to the token realm in the bearer flow.
    Basic { username: String, password: String },
    /// Mutual TLS: a PEM certificate chain and its PEM private key.
    ClientCert { cert_pem: String, key_pem: String },
    /// A login that expires, minted by a provider and refreshed before expiry; used like Basic.
    Token(RefreshingToken),
    /// An AWS identity, exchanged by [`connect`](crate::connect) for an ECR login
    /// (`GetAuthorizationToken`); only `"aws"` registries take it.
    Aws(AwsIdentity),
}

// Secrets never reach logs through Debug.
impl std::fmt::Debug for RegistryAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RegistryAuth::Anonymous => f.write_str("Anonymous"),
            RegistryAuth::Basic { username, .. } => f
                .debug_struct("Basic")
                .field("username", username)
                .finish_non_exhaustive(),
            RegistryAuth::ClientCert { .. } => f.write_str("ClientCert"),
            RegistryAuth::Token(_) => f.write_str("Token"),
            RegistryAuth::Aws(id) => id.fmt(f),
        }
    }
}

/// Everything needed to reach one registry: auth plus the TLS trust settings.
#[derive(Debug, Clone, Default)]
pub struct Credentials {
    pub auth: RegistryAuth,
    /// Accept any server certificate (the credential's "skip verify").
    pub skip_verify: bool,
    /// Extra trusted CA certificates (PEM, one or more), e.g. the specification's `caCert`.
    pub ca_cert_pem: Option<String>,
}

impl Credentials {
    pub fn anonymous() -> Credentials {
        Credentials::default()
    }

    pub fn basic(username: impl Into<String>, password: impl Into<String>) -> Credentials {
        Credentials {
            auth: RegistryAuth::Basic {
                username: username.into(),
                password: password.into(),
            },
            ..Credentials::default()
        }
    }

    pub fn with_ca_cert(mut self, pem: impl Into<String>) -> Credentials {
        self.ca_cert_pem = Some(pem.into());
        self
    }

    /// True when there is a username and secret to send (Basic or a provider's login).
    pub(crate) fn has_login(&self) -> bool {
        matches!(
            self.auth,
            RegistryAuth::Basic { .. } | RegistryAuth::Token(_)
        )
    }

    /// The username and secret to send, asking the provider for a new login when the cached
    /// one is about to expire.
    pub(crate) async fn login(&self) -> Result<Option<(String, String)>, RegistryError> {
        match &self.auth {
            RegistryAuth::Basic { username, password } => {
                Ok(Some((username.clone(), password.clone())))
            }
            RegistryAuth::Token(t) => t.login().await.map(Some),
            // An identity not exchanged for a login (only `connect` does that) sends nothing.
            RegistryAuth::Anonymous | RegistryAuth::ClientCert { .. } | RegistryAuth::Aws(_) => {
                Ok(None)
            }
        }
    }
}

/// One parsed `WWW-Authenticate` challenge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Challenge {
    Basic,
    Bearer {
        realm: String,
        service: Option<String>,
        scope: Option<String>,
    },
}

impl Challenge {
    /// Parses `Basic realm="x"` or `Bearer realm="…",service="…",scope="…"`. Parameters may be
    /// quoted or bare; quoted values may contain commas (scopes list actions with commas).
    pub(crate) fn parse(header: &str) -> Option<Challenge> {
        let header = header.trim();
        let (scheme, rest) = header.split_once(' ').unwrap_or((header, ""));
        if scheme.eq_ignore_ascii_case("basic") {
            return Some(Challenge::Basic);
        }
        if !scheme.eq_ignore_ascii_case("bearer") {
            return None;
        }
        let params = parse_params(rest);
        let realm = params.get("realm")?.clone();
        if realm.is_empty() {
            return None;
        }
        Some(Challenge::Bearer {
            realm,
            service: params.get("service").cloned(),
            scope: params.get("scope").cloned(),
        })
    }
}

fn parse_params(s: &str) -> HashMap<String, String> {
    let mut out = HashMap::new();
    let mut chars = s.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| *c == ',' || c.is_whitespace()) {
            chars.next();
        }
        let key: String = chars
            .by_ref()
            .take_while(|c| *c != '=')
            .collect::<String>()
            .trim()
            .to_ascii_lowercase();
        if key.is_empty() {
            return out;
        }
        let mut value = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => value.extend(chars.next()),
                    '"' => break,
                    c => value.push(c),
                }
            }
        } else {
            while let Some(c) = chars.peek().copied() {
                if c == ',' {
                    break;
                }
                value.push(c);
                chars.next();
            }
            value = value.trim().to_string();
        }
        out.insert(key, value);
    }
}

/// What the client knows about a registry's auth scheme.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) enum Scheme {
    #[default]
    Unknown,
    Basic,
    Bearer {
        realm: String,
        service: Option<String>,
    },
}

/// Tokens by scope, each with the instant it stops being used.
#[derive(Debug, Default)]
pub(crate) struct TokenCache {
    tokens: HashMap<String, (String, Instant)>,
}

impl TokenCache {
    pub(crate) fn get(&self, scope: &str) -> Option<String> {
        self.tokens
            .get(scope)
            .filter(|(_, until)| Instant::now() < *until)
            .map(|(t, _)| t.clone())
    }

    /// Tokens are dropped 10 % (at most 30 s) before their stated expiry so a request never
    /// starts with a token about to lapse.
    pub(crate) fn put(&mut self, scope: &str, token: String, expires_in: Duration) {
        let margin = (expires_in / 10).min(Duration::from_secs(30));
        self.tokens.insert(
            scope.to_string(),
            (token, Instant::now() + expires_in - margin),
        );
    }

    pub(crate) fn forget(&mut self, scope: &str) {
        self.tokens.remove(scope);
    }
}

/// The token endpoint's answer. Docker's service sends `token`, OAuth2-style services
/// `access_token`; some send both.
#[derive(Debug, serde::Deserialize)]
pub(crate) struct TokenResponse {
    pub(crate) token: Option<String>,
    pub(crate) access_token: Option<String>,
    pub(crate) expires_in: Option<u64>,
}

impl TokenResponse {
    /// The token and its lifetime; the distribution spec says to assume 60 s when unstated.
    pub(crate) fn into_parts(self) -> Option<(String, Duration)> {
        let token = self
            .token
            .filter(|t| !t.is_empty())
            .or(self.access_token.filter(|t| !t.is_empty()))?;
        let secs = self.expires_in.unwrap_or(60).max(1);
        Some((token, Duration::from_secs(secs)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn challenges() {
        assert_eq!(
            Challenge::parse(r#"Basic realm="fixture-registry""#),
            Some(Challenge::Basic)
        );
        assert_eq!(
            Challenge::parse(
                r#"Bearer realm="http://127.0.0.1:5001/token",service="svc",scope="repository:a/b:pull,push""#
            ),
            Some(Challenge::Bearer {
                realm: "http://127.0.0.1:5001/token".into(),
                service: Some("svc".into()),
                scope: Some("repository:a/b:pull,push".into()),
            })
        );
        assert_eq!(
            Challenge::parse("bearer realm=https://auth.example/token, service=reg"),
            Some(Challenge::Bearer {
                realm: "https://auth.example/token".into(),
                service: Some("reg".into()),
                scope: None,
            })
        );
        assert_eq!(Challenge::parse("Bearer service=\"x\""), None);
        assert_eq!(Challenge::parse("Negotiate abc"), None);
        assert_eq!(Challenge::parse(""), None);
        assert_eq!(Challenge::parse("Bearer realm=\"unterminated"), {
            Some(Challenge::Bearer {
                realm: "unterminated".into(),
                service: None,
                scope: None,
            })
        });
    }

    #[test]
    fn token_response_shapes() {
        let r: TokenResponse = serde_json::from_str(r#"{"access_token":"a"}"#).unwrap();
        assert_eq!(r.into_parts(), Some(("a".into(), Duration::from_secs(60))));
        let r: TokenResponse =
            serde_json::from_str(r#"{"token":"t","access_token":"a","expires_in":300}"#).unwrap();
        assert_eq!(r.into_parts(), Some(("t".into(), Duration::from_secs(300))));
        let r: TokenResponse = serde_json::from_str(r#"{"token":""}"#).unwrap();
        assert_eq!(r.into_parts(), None);
    }

    #[test]
    fn cache_expires() {
        let mut c = TokenCache::default();
        c.put("s", "t".into(), Duration::from_secs(300));
        assert_eq!(c.get("s").as_deref(), Some("t"));
        c.put("s", "t".into(), Duration::from_secs(0));
        assert_eq!(c.get("s"), None);
        c.forget("s");
        assert_eq!(c.get("s"), None);
    }

    #[test]
    fn debug_hides_secrets() {
        let s = format!("{:?}", Credentials::basic("u", "hunter2"));
        assert!(!s.contains("hunter2"), "{s}");
    }
}
