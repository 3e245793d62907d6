//! The embedded store: one SQLite file in WAL mode, documents as JSON columns.
//!
//! Migrations are embedded SQL files applied in order inside one transaction each and recorded
//! in `schema_migrations`, so a binary always brings its schema with it. Each focused store
//! trait is implemented in the submodule of the same name.
//!
//! Every transaction that writes starts with `BEGIN IMMEDIATE` ([`SqliteStore::begin_write`]):
//! it takes the write lock before its first read. A deferred transaction that read first and
//! then writes is refused the upgrade with `SQLITE_BUSY_SNAPSHOT` when another writer committed
//! meanwhile, and `busy_timeout` does not retry that, so parallel writers failed at random.
//! Taking the lock up front makes writers queue on `busy_timeout` instead. Single statements
//! outside a transaction need nothing: SQLite takes the write lock as the statement starts.

mod credentials;
mod documents;
mod layer_cache;
mod results;
mod scan_queue;
mod users;

use crate::Result;
use crate::secrets::SecretBox;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Sqlite, SqlitePool, Transaction};
use std::str::FromStr;
use std::time::Duration;

/// Embedded migrations: (version, SQL).
const MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("../migrations/sqlite/0001_initial.sql")),
    (2, include_str!("../migrations/sqlite/0002_documents.sql")),
    (3, include_str!("../migrations/sqlite/0003_scans.sql")),
    (
        4,
        include_str!("../migrations/sqlite/0004_engine_state.sql"),
    ),
    (
        5,
        include_str!("../migrations/sqlite/0005_drop_scan_requests.sql"),
    ),
    (
        6,
        include_str!("../migrations/sqlite/0006_retired_tokens.sql"),
    ),
    (7, include_str!("../migrations/sqlite/0007_claim_order.sql")),
];

pub struct SqliteStore {
    pool: SqlitePool,
    secrets: SecretBox,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore").finish_non_exhaustive()
    }
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `url` (`sqlite://path` or a plain path) and
    /// applies pending migrations.
    pub async fn open(url: &str, secrets: SecretBox) -> Result<SqliteStore> {
        let url = if url.starts_with("sqlite:") {
            url.to_string()
        } else {
            format!("sqlite://{url}")
        };
        let options = SqliteConnectOptions::from_str(&url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // NORMAL in WAL mode survives a killed process; only a power cut can lose the last commit.
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            // When a write fails for lack of space (or an I/O error), SQLite may roll the whole
            // transaction back on its own; the ROLLBACK sqlx then sends fails, and sqlx keeps
            // counting the transaction as open. Its next "transaction" on that connection is a
            // SAVEPOINT whose rollback leaves a real transaction open, and every later statement
            // there runs inside it: stale reads, "database is locked" on writes, lost writes.
            // Such a connection is closed when it comes back to the pool. The ping first lets a
            // rollback queued by a dropped transaction run, so only a real leak is counted.
            .after_release(|conn, _| {
                Box::pin(async move {
                    sqlx::Connection::ping(&mut *conn).await?;
                    Ok(!sqlx::Connection::is_in_transaction(&*conn))
                })
            })
            .connect_with(options)
            .await?;
        let store = SqliteStore { pool, secrets };
        store.migrate().await?;
        Ok(store)
    }

    async fn migrate(&self) -> Result<()> {
        sqlx::query(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY NOT NULL)",
        )
        .execute(&self.pool)
        .await?;
        for (version, sql) in MIGRATIONS {
            let mut tx = self.begin_write().await?;
            let done: Option<i64> =
                sqlx::query_scalar("SELECT version FROM schema_migrations WHERE version = ?")
                    .bind(version)
                    .fetch_optional(&mut *tx)
                    .await?;
            if done.is_some() {
                continue;
            }
            sqlx::raw_sql(*sql).execute(&mut *tx).await?;
            sqlx::query("INSERT INTO schema_migrations (version) VALUES (?)")
                .bind(version)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            tracing::info!(version, "applied store migration");
        }
        Ok(())
    }

    /// A write transaction holding the database's write lock from its first statement.
    async fn begin_write(&self) -> Result<Transaction<'static, Sqlite>> {
        Ok(self.pool.begin_with("BEGIN IMMEDIATE").await?)
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}
