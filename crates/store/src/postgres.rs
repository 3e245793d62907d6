//! The shared store: PostgreSQL, for several processes (Consoles, workers) on one database.
//!
//! The schema means the same as SQLite's (`migrations/postgres`, applied in order and recorded
//! in `schema_migrations`); each focused store trait is implemented in the submodule of the
//! same name. What differs is how concurrent writers are kept apart, since here they may be
//! other machines:
//!
//! - Migrations run in one transaction under an advisory lock, so nodes starting together
//!   apply each migration once.
//! - Jobs are claimed with `FOR UPDATE SKIP LOCKED`: a claimer never waits for another's
//!   rows, and two never get the same job.
//! - Writes that check something before changing it (a credential's usages, the settings'
//!   credential references, the limit on specifications) take one advisory transaction lock,
//!   so they run one at a time as in SQLite; at most one running regular scan is a unique
//!   index.
//! - Every write is one statement or one transaction.
//!
//! Credential secrets are sealed with the master key exactly as in SQLite. A database that
//! several nodes share must be opened with the same key by all of them, so opening checks it:
//! a sealed check value written by the first node, and every stored secret, must open with the
//! given key, else [`StoreError::WrongMasterKey`].

mod credentials;
mod documents;
mod layer_cache;
mod results;
mod scan_queue;
mod users;

use crate::secrets::SecretBox;
use crate::{Result, StoreError};
use crowsnest_model::credential::Credential;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{PgPool, Postgres, Transaction};
use std::str::FromStr;
use std::time::Duration;

/// Embedded migrations: (version, SQL).
const MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("../migrations/postgres/0001_initial.sql")),
    (
        2,
        include_str!("../migrations/postgres/0002_retired_tokens.sql"),
    ),
    (
        3,
        include_str!("../migrations/postgres/0003_claim_order.sql"),
    ),
];

/// Advisory lock keys (one number space per database, shared with nothing else of ours).
const MIGRATION_LOCK: i64 = 0x6372_6f77_0001;
/// Serialises the writes that read the credentials and registry settings before changing them.
const SETTINGS_LOCK: i64 = 0x6372_6f77_0002;
/// The scheduler's session lock ([`ScanQueue::try_lead`](crate::ScanQueue::try_lead)).
const LEADER_LOCK: i64 = 0x6372_6f77_0003;

/// The `settings` key of the sealed value that proves which master key this database uses.
const KEY_CHECK: &str = "masterKeyCheck";
const KEY_CHECK_PLAIN: &str = "crowsnest master key check";

pub struct PostgresStore {
    pool: PgPool,
    secrets: SecretBox,
    /// The connection holding the leader lock, while this handle leads. Kept out of the pool:
    /// the lock lives exactly as long as this session.
    leader: tokio::sync::Mutex<Option<sqlx::pool::PoolConnection<Postgres>>>,
}

impl std::fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresStore").finish_non_exhaustive()
    }
}

impl PostgresStore {
    /// Connects to `url` (`postgres://user:password@host:port/database`), applies pending
    /// migrations and checks that `secrets` opens what the database holds.
    pub async fn open(url: &str, secrets: SecretBox) -> Result<PostgresStore> {
        let options = PgConnectOptions::from_str(url)?.application_name("crowsnest");
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(options)
            .await?;
        let store = PostgresStore {
            pool,
            secrets,
            leader: tokio::sync::Mutex::new(None),
        };
        store.migrate().await?;
        store.check_master_key().await?;
        Ok(store)
    }

    async fn migrate(&self) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(MIGRATION_LOCK)
            .execute(&mut *tx)
            .await?;
        // Checked rather than `IF NOT EXISTS`, which logs a notice on every start.
        let exists: bool =
            sqlx::query_scalar("SELECT to_regclass('schema_migrations') IS NOT NULL")
                .fetch_one(&mut *tx)
                .await?;
        if !exists {
            sqlx::query("CREATE TABLE schema_migrations (version BIGINT PRIMARY KEY NOT NULL)")
                .execute(&mut *tx)
                .await?;
        }
        let done: Vec<i64> = sqlx::query_scalar("SELECT version FROM schema_migrations")
            .fetch_all(&mut *tx)
            .await?;
        for (version, sql) in MIGRATIONS {
            if done.contains(version) {
                continue;
            }
            sqlx::raw_sql(*sql).execute(&mut *tx).await?;
            sqlx::query("INSERT INTO schema_migrations (version) VALUES ($1)")
                .bind(version)
                .execute(&mut *tx)
                .await?;
            tracing::info!(version, "applied store migration");
        }
        tx.commit().await?;
        Ok(())
    }

    /// Refuses a master key that cannot open what the database holds: every stored credential
    /// secret, and the check value the first node sealed (written now if there is none, so an
    /// empty database shared by nodes with different keys is refused too).
    async fn check_master_key(&self) -> Result<()> {
        let docs: Vec<(String, String)> = sqlx::query_as("SELECT id, doc FROM credentials")
            .fetch_all(&self.pool)
            .await?;
        for (id, doc) in docs {
            let mut credential: Credential = serde_json::from_str(&doc)?;
            for secret in credential.secrets_mut() {
                if !secret.encrypted.is_empty() && self.secrets.open(&secret.encrypted).is_err() {
                    return Err(StoreError::WrongMasterKey(format!(
                        "the secret of stored credential {id:?}"
                    )));
                }
            }
        }
        // Written only once the secrets opened, so a wrong key never becomes the reference.
        sqlx::query(
            "INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
        )
        .bind(KEY_CHECK)
        .bind(self.secrets.seal(KEY_CHECK_PLAIN))
        .execute(&self.pool)
        .await?;
        let sealed: String = sqlx::query_scalar("SELECT value FROM settings WHERE key = $1")
            .bind(KEY_CHECK)
            .fetch_one(&self.pool)
            .await?;
        if self.secrets.open(&sealed).ok().as_deref() != Some(KEY_CHECK_PLAIN) {
            return Err(StoreError::WrongMasterKey(
                "the key check sealed by the node that first opened this database".into(),
            ));
        }
        Ok(())
    }

    /// A transaction holding the settings lock (see the module docs) until it ends.
    async fn begin_settings_write(&self) -> Result<Transaction<'static, Postgres>> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(SETTINGS_LOCK)
            .execute(&mut *tx)
            .await?;
        Ok(tx)
    }

    pub async fn close(&self) {
        // The leader's session is outside the pool: end it first (which also gives up the
        // lead at once), or closing the pool would wait for it forever.
        if let Some(conn) = self.leader.lock().await.take() {
            let _ = conn.close().await;
        }
        self.pool.close().await;
    }
}

impl PostgresStore {
    /// Keeps (or takes) the leader lock on a session of its own. A session that broke (the
    /// server restarted, the network cut it) has lost the lock with it: it is dropped and the
    /// lock asked for again on a new one.
    async fn try_lead_inner(&self) -> Result<bool> {
        let mut held = self.leader.lock().await;
        if let Some(conn) = held.as_mut() {
            if sqlx::query("SELECT 1").execute(&mut **conn).await.is_ok() {
                return Ok(true);
            }
            if let Some(conn) = held.take() {
                // Not returned to the pool: a session that may still hold the lock must end.
                drop(conn.detach());
            }
        }
        let mut conn = self.pool.acquire().await?;
        let got: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
            .bind(LEADER_LOCK)
            .fetch_one(&mut *conn)
            .await?;
        if got {
            *held = Some(conn);
        }
        Ok(got)
    }
}
