//! Logins that expire: a [`TokenProvider`] mints a username and a short-lived secret (an ECR
//! authorization token, an ACR refresh token, a GCP access token, an IBM or GitLab token), and
//! [`RefreshingToken`] keeps the current one, asking the provider again shortly before it
//! expires so that no request starts with a login about to lapse.
//!
//! The login is then used like a Basic credential: sent to the registry itself, or to the token
//! realm in the bearer flow. Providers live with the credential types that need them; this
//! module only owns the caching rule.

use crate::RegistryError;
use futures_util::future::BoxFuture;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What a provider hands out: a login and when it stops working.
#[derive(Clone, PartialEq, Eq)]
pub struct ProvidedToken {
    pub username: String,
    pub secret: String,
    pub expires_at: Instant,
}

// The secret never reaches logs through Debug.
impl std::fmt::Debug for ProvidedToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProvidedToken")
            .field("username", &self.username)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// A source of expiring logins for one registry.
pub trait TokenProvider: Send + Sync {
    /// A fresh login. Called once at first use and again whenever the cached one is close to
    /// its expiry; calls are serialised, so a provider need not guard against a stampede.
    fn token(&self) -> BoxFuture<'_, Result<ProvidedToken, RegistryError>>;
}

/// Before expiry, the login is replaced this long ahead of time at most…
const MAX_MARGIN: Duration = Duration::from_secs(5 * 60);

/// A provider with its current login. Cheap to clone; clones share the login.
#[derive(Clone)]
pub struct RefreshingToken {
    provider: Arc<dyn TokenProvider>,
    /// The login, when to replace it, and when it was obtained.
    current: Arc<tokio::sync::Mutex<Option<(ProvidedToken, Instant, Instant)>>>,
}

impl std::fmt::Debug for RefreshingToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RefreshingToken")
    }
}

impl PartialEq for RefreshingToken {
    /// Two handles are equal when they share one provider and one cache.
    fn eq(&self, other: &RefreshingToken) -> bool {
        Arc::ptr_eq(&self.current, &other.current)
    }
}

impl Eq for RefreshingToken {}

impl RefreshingToken {
    pub fn new(provider: Arc<dyn TokenProvider>) -> RefreshingToken {
        RefreshingToken {
            provider,
            current: Arc::new(tokio::sync::Mutex::new(None)),
        }
    }

    /// The login to use now: the cached one while it is good, else a new one from the provider.
    pub async fn login(&self) -> Result<(String, String), RegistryError> {
        self.login_at(Instant::now()).await
    }

    /// [`login`](Self::login) as of `now` (tests move time without waiting).
    pub(crate) async fn login_at(&self, now: Instant) -> Result<(String, String), RegistryError> {
        let mut current = self.current.lock().await;
        if let Some((t, refresh_at, _)) = current.as_ref()
            && now < *refresh_at
        {
            return Ok((t.username.clone(), t.secret.clone()));
        }
        let fresh = self.provider.token().await?;
        let refresh_at = refresh_time(now, fresh.expires_at);
        let login = (fresh.username.clone(), fresh.secret.clone());
        *current = Some((fresh, refresh_at, Instant::now()));
        Ok(login)
    }

    /// The registry refused the login sent at `sent_at`: forget it, unless it was already
    /// replaced since (many requests refused at once ask the provider once).
    pub(crate) async fn refused(&self, sent_at: Instant) {
        let mut current = self.current.lock().await;
        if current
            .as_ref()
            .is_some_and(|(_, _, obtained)| *obtained <= sent_at)
        {
            *current = None;
        }
    }
}

/// When a login obtained at `now` and lapsing at `expires_at` is replaced: a tenth of its
/// lifetime before expiry, at most five minutes before (an ECR token lives 12 h, a GCP one 1 h;
/// a clock-skewed or slow request must not carry a lapsed login).
fn refresh_time(now: Instant, expires_at: Instant) -> Instant {
    let lifetime = expires_at.saturating_duration_since(now);
    let margin = (lifetime / 10).min(MAX_MARGIN);
    expires_at.checked_sub(margin).unwrap_or(now)
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::FutureExt;
    use std::sync::Mutex;

    /// Hands out `t1`, `t2`, … each valid for `lifetime` from a settable "now".
    struct Counting {
        now: Mutex<Instant>,
        lifetime: Duration,
        calls: Mutex<u32>,
    }

    impl TokenProvider for Counting {
        fn token(&self) -> BoxFuture<'_, Result<ProvidedToken, RegistryError>> {
            let mut calls = self.calls.lock().unwrap();
            *calls += 1;
            let t = ProvidedToken {
                username: "AWS".into(),
                secret: format!("t{calls}"),
                expires_at: *self.now.lock().unwrap() + self.lifetime,
            };
            async move { Ok(t) }.boxed()
        }
    }

    #[tokio::test]
    async fn asks_again_only_shortly_before_expiry() {
        let start = Instant::now();
        let provider = Arc::new(Counting {
            now: Mutex::new(start),
            lifetime: Duration::from_secs(3600),
            calls: Mutex::new(0),
        });
        let token = RefreshingToken::new(provider.clone());
        let at = |secs: u64| start + Duration::from_secs(secs);
        assert_eq!(token.login_at(at(0)).await.unwrap().1, "t1");
        // An hour's token is replaced 5 minutes (the cap) before it lapses, not earlier.
        assert_eq!(token.login_at(at(3600 - 301)).await.unwrap().1, "t1");
        *provider.now.lock().unwrap() = at(3600 - 300);
        assert_eq!(token.login_at(at(3600 - 300)).await.unwrap().1, "t2");
        assert_eq!(token.clone().login_at(at(3600)).await.unwrap().1, "t2");
        assert_eq!(*provider.calls.lock().unwrap(), 2);
    }

    #[tokio::test]
    async fn a_refused_login_is_replaced_once() {
        let start = Instant::now();
        let provider = Arc::new(Counting {
            now: Mutex::new(start),
            lifetime: Duration::from_secs(12 * 3600),
            calls: Mutex::new(0),
        });
        let token = RefreshingToken::new(provider.clone());
        assert_eq!(token.login().await.unwrap().1, "t1");
        let sent = Instant::now();
        token.refused(sent).await;
        assert_eq!(token.login().await.unwrap().1, "t2");
        // A second request refused with t1 (sent before t2 was obtained) keeps t2.
        token.refused(sent).await;
        assert_eq!(token.login().await.unwrap().1, "t2");
        assert_eq!(*provider.calls.lock().unwrap(), 2);
    }

    #[test]
    fn the_margin_is_a_tenth_of_the_lifetime_capped() {
        let now = Instant::now();
        let s = Duration::from_secs;
        assert_eq!(refresh_time(now, now + s(100)), now + s(90));
        assert_eq!(
            refresh_time(now, now + s(12 * 3600)),
            now + s(12 * 3600 - 300)
        );
        assert!(
            refresh_time(now + s(5), now) <= now + s(5),
            "already lapsed: ask now"
        );
    }

    #[test]
    fn debug_hides_the_secret() {
        let t = ProvidedToken {
            username: "u".into(),
            secret: "hunter2".into(),
            expires_at: Instant::now(),
        };
        assert!(!format!("{t:?}").contains("hunter2"));
    }
}
