//! A Docker-registry token service for tests: `GET /token?service=…&scope=…` with optional
//! Basic credentials answers an ES256 JWT whose header carries the signing certificate in
//! `x5c`, the form distribution's `auth: token` accepts when that certificate is also its
//! `rootcertbundle`. The configured user gets every action on every repository and the catalog;
//! anonymous callers get `pull` only when allowed; wrong credentials get 401. Counters let tests
//! check that clients cache tokens.

use crate::certs::pem_block;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use ring::rand::SystemRandom;
use ring::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

pub(crate) const ISSUER: &str = "crowsnest-test-issuer";
pub(crate) const SERVICE: &str = "crowsnest-test-registry";

/// Signs registry tokens.
pub(crate) struct Signer {
    key: EcdsaKeyPair,
    x5c: String,
    ttl: u64,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Signer")
    }
}

fn b64url(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

impl Signer {
    pub(crate) fn new(key_pem: &str, cert_pem: &str, ttl: u64) -> Result<Signer, String> {
        let pkcs8 = pem_block(key_pem, "PRIVATE KEY").ok_or("signing key is not PKCS#8 PEM")?;
        let key = EcdsaKeyPair::from_pkcs8(
            &ECDSA_P256_SHA256_FIXED_SIGNING,
            &pkcs8,
            &SystemRandom::new(),
        )
        .map_err(|e| format!("signing key rejected: {e}"))?;
        let der = pem_block(cert_pem, "CERTIFICATE").ok_or("signing cert is not PEM")?;
        Ok(Signer {
            key,
            x5c: base64::engine::general_purpose::STANDARD.encode(der),
            ttl,
        })
    }

    /// A token granting `access` (a JSON array of {type, name, actions}) to `subject`.
    pub(crate) fn sign(&self, subject: &str, access: serde_json::Value) -> Result<String, String> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_err(|e| e.to_string())?
            .as_secs();
        let header = serde_json::json!({"typ": "JWT", "alg": "ES256", "x5c": [self.x5c]});
        let mut jti = [0u8; 16];
        ring::rand::SecureRandom::fill(&SystemRandom::new(), &mut jti)
            .map_err(|e| e.to_string())?;
        let claims = serde_json::json!({
            "iss": ISSUER, "sub": subject, "aud": SERVICE,
            "exp": now + self.ttl, "nbf": now - 1, "iat": now,
            "jti": hex::encode(jti), "access": access,
        });
        let input = format!(
            "{}.{}",
            b64url(header.to_string().as_bytes()),
            b64url(claims.to_string().as_bytes())
        );
        let sig = self
            .key
            .sign(&SystemRandom::new(), input.as_bytes())
            .map_err(|e| format!("signing failed: {e}"))?;
        Ok(format!("{input}.{}", b64url(sig.as_ref())))
    }
}

/// Counters of a running token service.
#[derive(Debug, Default)]
pub struct TokenStats {
    pub requests: AtomicU64,
    pub issued: AtomicU64,
    pub denied: AtomicU64,
    /// The scopes of every issued token, in order.
    pub scopes: Mutex<Vec<Vec<String>>>,
}

#[derive(Debug)]
pub(crate) struct TokenState {
    pub(crate) signer: Signer,
    pub(crate) user: String,
    pub(crate) password: String,
    pub(crate) anonymous_pull: bool,
    pub(crate) stats: Arc<TokenStats>,
}

fn basic_user(headers: &HeaderMap) -> Option<(String, String)> {
    let v = headers.get("authorization")?.to_str().ok()?;
    let enc = v
        .strip_prefix("Basic ")
        .or_else(|| v.strip_prefix("basic "))?;
    let dec = base64::engine::general_purpose::STANDARD
        .decode(enc.trim())
        .ok()?;
    let s = String::from_utf8(dec).ok()?;
    let (u, p) = s.split_once(':')?;
    Some((u.to_string(), p.to_string()))
}

pub(crate) async fn token(
    State(st): State<Arc<TokenState>>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    st.stats.requests.fetch_add(1, Ordering::Relaxed);
    let query = uri.query().unwrap_or("");
    let pairs: Vec<(String, String)> = reqwest::Url::parse(&format!("http://x/?{query}"))
        .map(|u| u.query_pairs().into_owned().collect())
        .unwrap_or_default();
    if !pairs.iter().any(|(k, v)| k == "service" && v == SERVICE) {
        return (StatusCode::BAD_REQUEST, "unknown service").into_response();
    }
    let user = match basic_user(&headers) {
        Some((u, p)) if u == st.user && p == st.password => Some(u),
        Some(_) => {
            st.stats.denied.fetch_add(1, Ordering::Relaxed);
            return (
                StatusCode::UNAUTHORIZED,
                [("www-authenticate", "Basic realm=\"token\"")],
                r#"{"errors":[{"code":"UNAUTHORIZED","message":"bad credentials"}]}"#,
            )
                .into_response();
        }
        None => None,
    };
    let scopes: Vec<String> = pairs
        .iter()
        .filter(|(k, _)| k == "scope")
        .flat_map(|(_, v)| v.split(' ').map(str::to_string).collect::<Vec<_>>())
        .filter(|s| !s.is_empty())
        .collect();
    let mut access = Vec::new();
    for scope in &scopes {
        let Some((typ, rest)) = scope.split_once(':') else {
            continue;
        };
        let Some((name, actions)) = rest.rsplit_once(':') else {
            continue;
        };
        let wanted: Vec<&str> = actions.split(',').filter(|a| !a.is_empty()).collect();
        let granted: Vec<&str> = if user.is_some() {
            wanted
        } else if st.anonymous_pull && typ == "repository" {
            wanted.into_iter().filter(|a| *a == "pull").collect()
        } else {
            Vec::new()
        };
        if !granted.is_empty() {
            access.push(serde_json::json!({"type": typ, "name": name, "actions": granted}));
        }
    }
    let subject = user.clone().unwrap_or_default();
    match st.signer.sign(&subject, serde_json::Value::Array(access)) {
        Ok(t) => {
            st.stats.issued.fetch_add(1, Ordering::Relaxed);
            st.stats
                .scopes
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push(scopes);
            axum::Json(serde_json::json!({
                "token": t, "access_token": t, "expires_in": st.signer.ttl,
            }))
            .into_response()
        }
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e).into_response(),
    }
}
