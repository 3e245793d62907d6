//! The Console: Crowsnest's REST API, compatible with Prisma Cloud Compute's registry-scanning API.
//!
//! Every route lives under `/api/v1/` and `/api/vNN.NN/` (any release number, as Prisma accepts
//! its n-2 releases). A request passes the version check, then authentication (Bearer token or
//! HTTP Basic; `_ping` and `authenticate` are public), then its handler, which talks to the
//! [`Store`]. Errors become `{"err": "…"}` in [`error`] and nowhere else.

mod auth;
mod body;
mod clock;
mod config;
mod connections;
mod error;
mod password;
mod private;
mod routes;
mod server;
mod session;
pub mod tls;
mod ui;

pub use auth::{Authenticator, Caller, hash_password};
pub use clock::{Clock, ManualClock, SystemClock};
pub use config::{ConsoleConfig, ConsoleError};
pub use error::ApiError;
pub use server::{Bootstrap, node_name, open, serve, serve_tls, shutdown_signal};
pub use tls::Transport;

use crowsnest_store::{Store, UserRecord};
use std::sync::Arc;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub engine: crowsnest_scanner::Engine,
    pub auth: Arc<Authenticator>,
    pub clock: Arc<dyn Clock>,
    pub config: Arc<ConsoleConfig>,
    /// Admission for result reads; see [`ConsoleConfig::concurrent_reads`].
    pub reads: Arc<tokio::sync::Semaphore>,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl AppState {
    pub fn new(
        store: Arc<dyn Store>,
        engine: crowsnest_scanner::Engine,
        clock: Arc<dyn Clock>,
        signing_key: [u8; 32],
        config: ConsoleConfig,
    ) -> AppState {
        let auth = Arc::new(Authenticator::new(
            store.clone(),
            clock.clone(),
            signing_key,
            config.token_ttl,
        ));
        let reads = match config.concurrent_reads {
            0 => std::thread::available_parallelism().map_or(2, usize::from),
            n => n,
        };
        AppState {
            store,
            engine,
            auth,
            clock,
            config: Arc::new(config),
            reads: Arc::new(tokio::sync::Semaphore::new(reads)),
        }
    }
}

pub use routes::router;

/// Makes sure there is someone who can log in: creates the admin user from the bootstrap
/// credentials when the store has no users, and refuses to go on when it has none and none were
/// given.
pub async fn ensure_admin(
    store: &dyn Store,
    bootstrap: Option<(&str, &str)>,
    now: &str,
) -> Result<(), ConsoleError> {
    if store.count_users().await.map_err(ConsoleError::Store)? > 0 {
        return Ok(());
    }
    let Some((user, password)) = bootstrap else {
        return Err(ConsoleError::NoUsers);
    };
    if user.trim().is_empty() || password.is_empty() {
        return Err(ConsoleError::NoUsers);
    }
    if user.len() > auth::MAX_USERNAME_BYTES || password.len() > auth::MAX_PASSWORD_BYTES {
        return Err(ConsoleError::Config(format!(
            "the admin user name and password must be at most {} and {} bytes",
            auth::MAX_USERNAME_BYTES,
            auth::MAX_PASSWORD_BYTES
        )));
    }
    let password_hash = hash_password(password).map_err(|e| ConsoleError::Config(e.to_string()))?;
    store
        .create_user(&UserRecord {
            username: user.to_string(),
            password_hash,
            role: "admin".into(),
            created: now.to_string(),
        })
        .await
        .map_err(ConsoleError::Store)?;
    tracing::info!(user, "created the admin user");
    Ok(())
}
