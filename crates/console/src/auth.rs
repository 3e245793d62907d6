//! Who is calling: passwords (argon2), the Console's tokens, and login throttling.
//!
//! Tokens are HS256 JWTs signed with a key derived from the master key, valid for the configured
//! lifetime (30 minutes, as Prisma's). Renewing one issues a fresh token and retires the old one.
//! Failed logins (token requests and Basic) are counted per user and per client address; past the
//! limit the pair is refused with 429 until the window ends, so guessing passwords is slow.
//! Successful Basic checks are remembered briefly under a keyed hash, because argon2 is
//! deliberately slow and scripts send Basic credentials on every request.
//!
//! What an anonymous caller can make the Console spend is bounded: password checks are
//! [`PasswordChecks`](crate::password::PasswordChecks) (one per core, memory reused, 503 when
//! the queue is full). User names and passwords longer
//! than any real one are refused before lookup, hashing, counting or logging. The failure table
//! keeps at most [`MAX_TRACKED_PAIRS`] (user, address) pairs, forgetting the stalest first.
//! Retired tokens are kept in the store, so renewal holds across restarts and Consoles.

use crate::clock::Clock;
use crate::error::ApiError;
use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, SaltString};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use crowsnest_store::{Store, UserRecord};
use hmac::{Hmac, Mac};
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

type HmacSha256 = Hmac<Sha256>;

/// How many failures a (user, address) pair may have within [`FAILURE_WINDOW`].
const MAX_FAILURES: usize = 5;
const FAILURE_WINDOW: SignedDuration = SignedDuration::from_secs(300);
/// How long a verified Basic credential is trusted without re-running argon2.
const BASIC_CACHE_TTL: SignedDuration = SignedDuration::from_secs(300);
/// The longest user name a login accepts. Longer ones are refused before anything is looked
/// up, hashed, counted or logged; no user can have one (the first admin is held to it too).
pub(crate) const MAX_USERNAME_BYTES: usize = 256;
/// The longest password a login accepts, for the same reason.
pub(crate) const MAX_PASSWORD_BYTES: usize = 1024;
/// (user, address) pairs whose recent failures are remembered; past this, pairs whose window
/// has passed are dropped, then the one with the oldest last failure.
pub(crate) const MAX_TRACKED_PAIRS: usize = 10_000;

/// The authenticated caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub username: String,
    pub role: String,
}

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    sub: String,
    role: String,
    iat: i64,
    exp: i64,
    jti: String,
}

pub fn hash_password(password: &str) -> Result<String, ApiError> {
    let salt = SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| ApiError::Internal(format!("argon2: {e}")))
}

#[derive(Debug, Default)]
struct State {
    failures: HashMap<(String, Option<IpAddr>), Vec<Timestamp>>,
    basic_ok: HashMap<[u8; 32], (Caller, Timestamp)>,
}

pub struct Authenticator {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    signing_key: [u8; 32],
    token_ttl: SignedDuration,
    state: Mutex<State>,
    checks: crate::password::PasswordChecks,
}

impl std::fmt::Debug for Authenticator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authenticator")
            .field("token_ttl", &self.token_ttl)
            .finish_non_exhaustive()
    }
}

impl Authenticator {
    pub fn new(
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
        signing_key: [u8; 32],
        token_ttl: SignedDuration,
    ) -> Self {
        Authenticator {
            store,
            clock,
            signing_key,
            token_ttl,
            state: Mutex::new(State::default()),
            checks: crate::password::PasswordChecks::new(),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Refuses the attempt if this pair has failed too often recently.
    fn check_throttle(&self, username: &str, addr: Option<IpAddr>) -> Result<(), ApiError> {
        let now = self.clock.now();
        let mut st = self.state();
        let key = (username.to_string(), addr);
        if let Some(times) = st.failures.get_mut(&key) {
            times.retain(|t| now.duration_since(*t) < FAILURE_WINDOW);
            if times.len() >= MAX_FAILURES {
                let oldest = times[0];
                let wait = FAILURE_WINDOW - now.duration_since(oldest);
                return Err(ApiError::TooManyRequests {
                    message: format!(
                        "too many failed login attempts for user {username:?}; try again in {} seconds",
                        wait.as_secs().max(1)
                    ),
                    retry_after_secs: wait.as_secs().max(1) as u64,
                });
            }
        }
        Ok(())
    }

    fn record_failure(&self, username: &str, addr: Option<IpAddr>) {
        let now = self.clock.now();
        let mut st = self.state();
        let key = (username.to_string(), addr);
        if !st.failures.contains_key(&key) && st.failures.len() >= MAX_TRACKED_PAIRS {
            let recent = |t: &Timestamp| now.duration_since(*t) < FAILURE_WINDOW;
            st.failures
                .retain(|_, times| times.last().is_some_and(recent));
            if st.failures.len() >= MAX_TRACKED_PAIRS
                && let Some(stalest) = st
                    .failures
                    .iter()
                    .min_by_key(|(_, times)| times.last().copied())
                    .map(|(k, _)| k.clone())
            {
                st.failures.remove(&stalest);
            }
        }
        let times = st.failures.entry(key).or_default();
        times.retain(|t| now.duration_since(*t) < FAILURE_WINDOW);
        times.push(now);
        tracing::warn!(user = username, addr = ?addr, "failed login");
    }

    /// How many (user, address) pairs the failure table holds.
    pub fn tracked_failures(&self) -> usize {
        self.state().failures.len()
    }

    /// Checks a username and password; counts failures for throttling.
    pub async fn login(
        &self,
        username: &str,
        password: &str,
        addr: Option<IpAddr>,
    ) -> Result<Caller, ApiError> {
        if username.len() > MAX_USERNAME_BYTES || password.len() > MAX_PASSWORD_BYTES {
            // No user has such a name or password; nothing is kept or logged of it.
            return Err(ApiError::Unauthorized("invalid credentials".into()));
        }
        self.check_throttle(username, addr)?;
        let user: Option<UserRecord> = self.store.user(username).await?;
        let ok = self
            .checks
            .check(password, user.as_ref().map(|u| u.password_hash.clone()))
            .await?;
        match (ok, user) {
            (true, Some(u)) => {
                self.state().failures.remove(&(username.to_string(), addr));
                Ok(Caller {
                    username: u.username,
                    role: u.role,
                })
            }
            _ => {
                self.record_failure(username, addr);
                Err(ApiError::Unauthorized("invalid credentials".into()))
            }
        }
    }

    /// HTTP Basic: the same check as a login, remembered for a few minutes when it succeeds.
    pub async fn basic(
        &self,
        username: &str,
        password: &str,
        addr: Option<IpAddr>,
    ) -> Result<Caller, ApiError> {
        let key = self.cache_key(username, password);
        let now = self.clock.now();
        if let Some((caller, until)) = self.state().basic_ok.get(&key)
            && *until > now
        {
            return Ok(caller.clone());
        }
        let caller = self.login(username, password, addr).await?;
        let mut st = self.state();
        st.basic_ok.retain(|_, (_, until)| *until > now);
        st.basic_ok
            .insert(key, (caller.clone(), now + BASIC_CACHE_TTL));
        Ok(caller)
    }

    fn cache_key(&self, username: &str, password: &str) -> [u8; 32] {
        let mut mac =
            <HmacSha256 as Mac>::new_from_slice(&self.signing_key).expect("any key length");
        mac.update(b"basic-cache\0");
        mac.update(username.as_bytes());
        mac.update(b"\0");
        mac.update(password.as_bytes());
        mac.finalize().into_bytes().into()
    }

    fn sign(&self, data: &[u8]) -> Vec<u8> {
        let mut mac =
            <HmacSha256 as Mac>::new_from_slice(&self.signing_key).expect("any key length");
        mac.update(data);
        mac.finalize().into_bytes().to_vec()
    }

    pub fn issue_token(&self, caller: &Caller) -> String {
        let now = self.clock.now();
        let claims = Claims {
            sub: caller.username.clone(),
            role: caller.role.clone(),
            iat: now.as_second(),
            exp: (now + self.token_ttl).as_second(),
            jti: uuid::Uuid::new_v4().simple().to_string(),
        };
        let header = B64URL.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
        let payload = B64URL.encode(serde_json::to_vec(&claims).unwrap_or_default());
        let signing_input = format!("{header}.{payload}");
        let sig = B64URL.encode(self.sign(signing_input.as_bytes()));
        format!("{signing_input}.{sig}")
    }

    async fn verify_claims(&self, token: &str) -> Result<Claims, ApiError> {
        let invalid = || ApiError::Unauthorized("invalid or expired token".into());
        let mut parts = token.split('.');
        let (Some(h), Some(p), Some(s), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(invalid());
        };
        let header: serde_json::Value =
            serde_json::from_slice(&B64URL.decode(h).map_err(|_| invalid())?)
                .map_err(|_| invalid())?;
        if header.get("alg").and_then(|a| a.as_str()) != Some("HS256") {
            return Err(invalid());
        }
        let sig = B64URL.decode(s).map_err(|_| invalid())?;
        let mut mac =
            <HmacSha256 as Mac>::new_from_slice(&self.signing_key).expect("any key length");
        mac.update(format!("{h}.{p}").as_bytes());
        mac.verify_slice(&sig).map_err(|_| invalid())?;
        let claims: Claims = serde_json::from_slice(&B64URL.decode(p).map_err(|_| invalid())?)
            .map_err(|_| invalid())?;
        let now = self.clock.now().as_second();
        if claims.exp <= now {
            return Err(invalid());
        }
        if self.store.token_retired(&claims.jti, now).await? {
            return Err(invalid());
        }
        Ok(claims)
    }

    pub async fn bearer(&self, token: &str) -> Result<Caller, ApiError> {
        let claims = self.verify_claims(token).await?;
        Ok(Caller {
            username: claims.sub,
            role: claims.role,
        })
    }

    /// A fresh token for an unexpired one; the old one stops working.
    pub async fn renew(&self, token: &str) -> Result<String, ApiError> {
        let claims = self.verify_claims(token).await?;
        let now = self.clock.now().as_second();
        self.store
            .retire_token(&claims.jti, claims.exp, now)
            .await?;
        Ok(self.issue_token(&Caller {
            username: claims.sub,
            role: claims.role,
        }))
    }

    /// A keyed hash of `data` under `label` with the token-signing key: values derived from a
    /// token that only the Console can compute (the web console's CSRF token, `session.rs`).
    pub(crate) fn derive(&self, label: &str, data: &[u8]) -> [u8; 32] {
        let mut mac =
            <HmacSha256 as Mac>::new_from_slice(&self.signing_key).expect("any key length");
        mac.update(label.as_bytes());
        mac.update(b"\0");
        mac.update(data);
        mac.finalize().into_bytes().into()
    }

    /// Retires an unexpired token at once (the web console's logout).
    pub(crate) async fn revoke(&self, token: &str) -> Result<(), ApiError> {
        let claims = self.verify_claims(token).await?;
        let now = self.clock.now().as_second();
        self.store
            .retire_token(&claims.jti, claims.exp, now)
            .await?;
        Ok(())
    }

    /// How long a token (and so a web console session) lives.
    pub(crate) fn token_ttl(&self) -> SignedDuration {
        self.token_ttl
    }

    /// Resolves an `Authorization` header value to a caller.
    pub async fn authorize(
        &self,
        header: Option<&str>,
        addr: Option<IpAddr>,
    ) -> Result<Caller, ApiError> {
        let header = header.ok_or_else(ApiError::unauthorized)?.trim();
        let (scheme, rest) = header.split_once(' ').ok_or_else(ApiError::unauthorized)?;
        let rest = rest.trim();
        if scheme.eq_ignore_ascii_case("bearer") {
            self.bearer(rest).await
        } else if scheme.eq_ignore_ascii_case("basic") {
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(rest)
                .map_err(|_| ApiError::unauthorized())?;
            let text = String::from_utf8(decoded).map_err(|_| ApiError::unauthorized())?;
            let (user, pass) = text.split_once(':').ok_or_else(ApiError::unauthorized)?;
            self.basic(user, pass, addr).await
        } else {
            Err(ApiError::unauthorized())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;

    #[tokio::test]
    async fn the_failure_table_keeps_at_most_its_cap_and_forgets_the_stalest() {
        let dir = tempfile::tempdir().unwrap();
        let key = crowsnest_store::MasterKey::load_or_create(dir.path(), None).unwrap();
        let url = format!("sqlite://{}", dir.path().join("s.sqlite").display());
        let store = crowsnest_store::SqliteStore::open(&url, crowsnest_store::SecretBox::new(&key))
            .await
            .unwrap();
        let clock = Arc::new(ManualClock::new("2026-11-01T10:00:00Z".parse().unwrap()));
        let auth = Authenticator::new(
            Arc::new(store),
            clock.clone(),
            [7; 32],
            SignedDuration::from_mins(30),
        );
        auth.record_failure("first", None);
        clock.advance(SignedDuration::from_secs(1));
        for i in 0..MAX_TRACKED_PAIRS + 500 {
            auth.record_failure(&format!("user-{i}"), None);
        }
        assert_eq!(auth.tracked_failures(), MAX_TRACKED_PAIRS);
        assert!(
            !auth
                .state()
                .failures
                .contains_key(&("first".to_string(), None)),
            "the stalest pair goes first"
        );
        // Once their window has passed, old pairs make room all at once.
        clock.advance(FAILURE_WINDOW);
        auth.record_failure("late", None);
        assert_eq!(auth.tracked_failures(), 1);
    }
}
