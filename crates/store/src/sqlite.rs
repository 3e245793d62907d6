//! The embedded store: one SQLite file in WAL mode, documents as JSON columns.
//!
//! Migrations are embedded SQL files applied in order inside one transaction each and recorded
//! in `schema_migrations`, so a binary always brings its schema with it.

mod scans;

use crate::records::{
    ImageQuery, ImageRecord, JobCounts, JobRecord, ScanRecord, ScanRequestRecord, ScanSpecRecord,
    UserRecord,
};
use crate::secrets::SecretBox;
use crate::{Result, Store, StoreError};
use crowsnest_model::credential::{Credential, Secret};
use crowsnest_model::spec::{RegistrySettings, RegistrySpecification};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Row, SqlitePool};
use std::collections::HashSet;
use std::str::FromStr;
use std::time::Duration;

/// Embedded migrations: (version, SQL).
const MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("../migrations/sqlite/0001_initial.sql")),
    (2, include_str!("../migrations/sqlite/0002_documents.sql")),
    (3, include_str!("../migrations/sqlite/0003_scans.sql")),
];

/// Keys in the `settings` table.
const WEBHOOK_SUFFIX: &str = "webhookUrlSuffix";
const HARBOR_SUFFIX: &str = "harborScannerUrlSuffix";

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
            let mut tx = self.pool.begin().await?;
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

    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Seals every plain secret; an empty incoming secret keeps the stored one.
    fn seal(&self, mut incoming: Credential, existing: Option<&Credential>) -> Credential {
        let mut kept: Vec<Secret> = existing
            .map(|e| {
                e.clone()
                    .secrets_mut()
                    .into_iter()
                    .map(|s| s.clone())
                    .collect()
            })
            .unwrap_or_default();
        for (i, secret) in incoming.secrets_mut().into_iter().enumerate() {
            if !secret.plain.is_empty() {
                secret.encrypted = self.secrets.seal(&secret.plain);
                // The plain value must not outlive this function in the document we store.
                secret.plain.clear();
            } else if secret.encrypted.is_empty()
                && let Some(old) = kept.get_mut(i)
            {
                secret.encrypted = std::mem::take(&mut old.encrypted);
            }
        }
        incoming
    }
}

fn spec_doc(spec: &RegistrySpecification) -> Result<String> {
    Ok(serde_json::to_string(spec)?)
}

#[async_trait::async_trait]
impl Store for SqliteStore {
    async fn count_users(&self) -> Result<u64> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users")
            .fetch_one(&self.pool)
            .await?;
        Ok(n as u64)
    }

    async fn create_user(&self, user: &UserRecord) -> Result<()> {
        let r = sqlx::query(
            "INSERT INTO users (username, password_hash, role, created) VALUES (?, ?, ?, ?)",
        )
        .bind(&user.username)
        .bind(&user.password_hash)
        .bind(&user.role)
        .bind(&user.created)
        .execute(&self.pool)
        .await;
        match r {
            Ok(_) => Ok(()),
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => Err(StoreError::Conflict(
                format!("user {:?} already exists", user.username),
            )),
            Err(e) => Err(e.into()),
        }
    }

    async fn user(&self, username: &str) -> Result<Option<UserRecord>> {
        let row = sqlx::query(
            "SELECT username, password_hash, role, created FROM users WHERE username = ?",
        )
        .bind(username)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|r| UserRecord {
            username: r.get(0),
            password_hash: r.get(1),
            role: r.get(2),
            created: r.get(3),
        }))
    }

    async fn credentials(&self) -> Result<Vec<Credential>> {
        let docs: Vec<String> = sqlx::query_scalar("SELECT doc FROM credentials ORDER BY id")
            .fetch_all(&self.pool)
            .await?;
        docs.iter().map(|d| Ok(serde_json::from_str(d)?)).collect()
    }

    async fn credential(&self, id: &str) -> Result<Option<Credential>> {
        let doc: Option<String> = sqlx::query_scalar("SELECT doc FROM credentials WHERE id = ?")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        doc.map(|d| Ok(serde_json::from_str(&d)?)).transpose()
    }

    async fn upsert_credential(&self, credential: Credential) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        let old: Option<String> = sqlx::query_scalar("SELECT doc FROM credentials WHERE id = ?")
            .bind(&credential.id)
            .fetch_optional(&mut *tx)
            .await?;
        let old: Option<Credential> = old.map(|d| serde_json::from_str(&d)).transpose()?;
        let mut sealed = self.seal(credential, old.as_ref());
        if let Some(old) = &old {
            // Creation time is the first save's, whatever the client sends.
            sealed.created = old.created.clone().or(sealed.created);
        }
        let doc = serde_json::to_string(&sealed)?;
        sqlx::query("INSERT INTO credentials (id, doc) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET doc = excluded.doc")
            .bind(&sealed.id)
            .bind(doc)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn delete_credential(&self, id: &str) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        let users: Vec<String> = sqlx::query_scalar(
            "SELECT doc FROM registry_specs WHERE credential_id = ? ORDER BY position",
        )
        .bind(id)
        .fetch_all(&mut *tx)
        .await?;
        if !users.is_empty() {
            let names: Vec<String> = users
                .iter()
                .filter_map(|d| serde_json::from_str::<RegistrySpecification>(d).ok())
                .map(|s| describe_spec(&s))
                .collect();
            return Err(StoreError::InUse {
                id: id.to_string(),
                usages: names.join(", "),
            });
        }
        let n = sqlx::query("DELETE FROM credentials WHERE id = ?")
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if n == 0 {
            return Err(StoreError::NotFound(format!("credential {id:?}")));
        }
        tx.commit().await?;
        Ok(())
    }

    async fn credential_usages(&self, id: &str) -> Result<Vec<RegistrySpecification>> {
        let docs: Vec<String> = sqlx::query_scalar(
            "SELECT doc FROM registry_specs WHERE credential_id = ? ORDER BY position",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        docs.iter().map(|d| Ok(serde_json::from_str(d)?)).collect()
    }

    fn reveal(&self, secret: &Secret) -> Result<String> {
        self.secrets.open(&secret.encrypted)
    }

    async fn registry_settings(&self) -> Result<RegistrySettings> {
        let docs: Vec<String> =
            sqlx::query_scalar("SELECT doc FROM registry_specs ORDER BY position")
                .fetch_all(&self.pool)
                .await?;
        let specifications = docs
            .iter()
            .map(|d| serde_json::from_str(d))
            .collect::<std::result::Result<_, _>>()?;
        let rows = sqlx::query("SELECT key, value FROM settings")
            .fetch_all(&self.pool)
            .await?;
        let mut settings = RegistrySettings {
            specifications,
            ..Default::default()
        };
        for row in rows {
            let (key, value): (String, String) = (row.get(0), row.get(1));
            match key.as_str() {
                WEBHOOK_SUFFIX => settings.webhook_url_suffix = value,
                HARBOR_SUFFIX => settings.harbor_scanner_url_suffix = value,
                _ => {}
            }
        }
        Ok(settings)
    }

    async fn replace_specifications(&self, specs: &[RegistrySpecification]) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        let known: HashSet<String> = sqlx::query_scalar("SELECT id FROM credentials")
            .fetch_all(&mut *tx)
            .await?
            .into_iter()
            .collect();
        let mut ids = HashSet::with_capacity(specs.len());
        for spec in specs {
            if !spec.credential_id.is_empty() && !known.contains(&spec.credential_id) {
                return Err(StoreError::UnknownCredential(spec.credential_id.clone()));
            }
            if !ids.insert(spec.id.as_str()) {
                return Err(StoreError::Conflict(format!(
                    "registry specification id {:?} appears twice",
                    spec.id
                )));
            }
        }
        sqlx::query("DELETE FROM registry_specs")
            .execute(&mut *tx)
            .await?;
        for (position, spec) in specs.iter().enumerate() {
            sqlx::query(
                "INSERT INTO registry_specs (position, id, credential_id, doc) VALUES (?, ?, ?, ?)",
            )
            .bind(position as i64)
            .bind(&spec.id)
            .bind(&spec.credential_id)
            .bind(spec_doc(spec)?)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn append_specification(&self, spec: &RegistrySpecification, max: usize) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        let (count, last): (i64, Option<i64>) =
            sqlx::query_as("SELECT COUNT(*), MAX(position) FROM registry_specs")
                .fetch_one(&mut *tx)
                .await?;
        if count as usize >= max {
            return Err(StoreError::Limit(format!(
                "at most {max} registry specifications are allowed"
            )));
        }
        if !spec.credential_id.is_empty() {
            let found: Option<String> =
                sqlx::query_scalar("SELECT id FROM credentials WHERE id = ?")
                    .bind(&spec.credential_id)
                    .fetch_optional(&mut *tx)
                    .await?;
            if found.is_none() {
                return Err(StoreError::UnknownCredential(spec.credential_id.clone()));
            }
        }
        let r = sqlx::query(
            "INSERT INTO registry_specs (position, id, credential_id, doc) VALUES (?, ?, ?, ?)",
        )
        .bind(last.map_or(0, |p| p + 1))
        .bind(&spec.id)
        .bind(&spec.credential_id)
        .bind(spec_doc(spec)?)
        .execute(&mut *tx)
        .await;
        match r {
            Ok(_) => {}
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                return Err(StoreError::Conflict(format!(
                    "registry specification id {:?} exists",
                    spec.id
                )));
            }
            Err(e) => return Err(e.into()),
        }
        tx.commit().await?;
        Ok(())
    }

    async fn create_scan(&self, kind: &str, request: &str, now: &str) -> Result<ScanRecord> {
        self.create_scan_impl(kind, request, now).await
    }

    async fn scan(&self, id: i64) -> Result<Option<ScanRecord>> {
        self.scan_impl(id).await
    }

    async fn scans_in_state(&self, state: &str) -> Result<Vec<ScanRecord>> {
        self.scans_in_state_impl(state).await
    }

    async fn latest_scan(&self, kind: &str) -> Result<Option<ScanRecord>> {
        self.latest_scan_impl(kind).await
    }

    async fn finish_scan(&self, id: i64, state: &str, now: &str) -> Result<bool> {
        self.finish_scan_impl(id, state, now).await
    }

    async fn put_scan_spec(&self, record: &ScanSpecRecord) -> Result<()> {
        self.put_scan_spec_impl(record).await
    }

    async fn scan_specs(&self, scan_id: i64) -> Result<Vec<ScanSpecRecord>> {
        self.scan_specs_impl(scan_id).await
    }

    async fn insert_jobs(&self, jobs: &[JobRecord]) -> Result<u64> {
        self.insert_jobs_impl(jobs).await
    }

    async fn claim_jobs(
        &self,
        scan_id: i64,
        spec_id: &str,
        owner: &str,
        lease_until: i64,
        limit: u64,
    ) -> Result<Vec<JobRecord>> {
        self.claim_jobs_impl(scan_id, spec_id, owner, lease_until, limit)
            .await
    }

    async fn finish_job(&self, job_id: i64, state: &str, error: &str) -> Result<()> {
        self.finish_job_impl(job_id, state, error).await
    }

    async fn release_expired_leases(&self, now: i64) -> Result<u64> {
        self.release_expired_leases_impl(now).await
    }

    async fn cancel_jobs(&self, scan_id: i64, spec_id: Option<&str>) -> Result<u64> {
        self.cancel_jobs_impl(scan_id, spec_id).await
    }

    async fn job_counts(&self, scan_id: i64, spec_id: Option<&str>) -> Result<JobCounts> {
        self.job_counts_impl(scan_id, spec_id).await
    }

    async fn jobs(&self, scan_id: i64) -> Result<Vec<JobRecord>> {
        self.jobs_impl(scan_id).await
    }

    async fn layer_facts(&self, digest: &str) -> Result<Option<Vec<u8>>> {
        self.layer_facts_impl(digest).await
    }

    async fn put_layer_facts(&self, digest: &str, facts: &[u8], now: &str) -> Result<()> {
        self.put_layer_facts_impl(digest, facts, now).await
    }

    async fn image(&self, key: &str) -> Result<Option<ImageRecord>> {
        self.image_impl(key).await
    }

    async fn put_image(&self, record: &ImageRecord) -> Result<()> {
        self.put_image_impl(record).await
    }

    async fn touch_images(&self, keys: &[String], now: &str) -> Result<()> {
        self.touch_images_impl(keys, now).await
    }

    async fn images(&self, query: &ImageQuery) -> Result<(Vec<ImageRecord>, u64)> {
        self.images_impl(query).await
    }

    async fn image_db_versions(&self) -> Result<Vec<(String, String)>> {
        self.image_db_versions_impl().await
    }

    async fn purge_images_unseen_since(&self, cutoff: &str) -> Result<u64> {
        self.purge_images_unseen_since_impl(cutoff).await
    }

    async fn push_scan_error(&self, now: &str, message: &str, keep: u64) -> Result<()> {
        self.push_scan_error_impl(now, message, keep).await
    }

    async fn scan_errors(&self, limit: u64) -> Result<Vec<String>> {
        self.scan_errors_impl(limit).await
    }

    async fn record_scan_request(&self, request: &ScanRequestRecord) -> Result<i64> {
        let id = sqlx::query(
            "INSERT INTO scan_requests (kind, body, requested, state) VALUES (?, ?, ?, ?)",
        )
        .bind(&request.kind)
        .bind(&request.body)
        .bind(&request.requested)
        .bind(&request.state)
        .execute(&self.pool)
        .await?
        .last_insert_rowid();
        Ok(id)
    }

    async fn document(&self, kind: &str, id: &str) -> Result<Option<serde_json::Value>> {
        let doc: Option<String> =
            sqlx::query_scalar("SELECT doc FROM documents WHERE kind = ? AND id = ?")
                .bind(kind)
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
        doc.map(|d| Ok(serde_json::from_str(&d)?)).transpose()
    }

    async fn documents(&self, kind: &str) -> Result<Vec<(String, serde_json::Value)>> {
        let rows = sqlx::query("SELECT id, doc FROM documents WHERE kind = ? ORDER BY id")
            .bind(kind)
            .fetch_all(&self.pool)
            .await?;
        rows.into_iter()
            .map(|r| {
                let doc: String = r.get(1);
                Ok((r.get::<String, _>(0), serde_json::from_str(&doc)?))
            })
            .collect()
    }

    async fn put_document(&self, kind: &str, id: &str, doc: &serde_json::Value) -> Result<()> {
        sqlx::query("INSERT INTO documents (kind, id, doc) VALUES (?, ?, ?) ON CONFLICT (kind, id) DO UPDATE SET doc = excluded.doc")
            .bind(kind)
            .bind(id)
            .bind(doc.to_string())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn delete_document(&self, kind: &str, id: &str) -> Result<bool> {
        let n = sqlx::query("DELETE FROM documents WHERE kind = ? AND id = ?")
            .bind(kind)
            .bind(id)
            .execute(&self.pool)
            .await?
            .rows_affected();
        Ok(n > 0)
    }

    async fn scan_requests(&self) -> Result<Vec<ScanRequestRecord>> {
        let rows =
            sqlx::query("SELECT id, kind, body, requested, state FROM scan_requests ORDER BY id")
                .fetch_all(&self.pool)
                .await?;
        Ok(rows
            .into_iter()
            .map(|r| ScanRequestRecord {
                id: r.get(0),
                kind: r.get(1),
                body: r.get(2),
                requested: r.get(3),
                state: r.get(4),
            })
            .collect())
    }
}

/// How a registry specification is named in messages: registry and repository.
fn describe_spec(spec: &RegistrySpecification) -> String {
    let registry = if spec.registry.is_empty() {
        "Docker Hub"
    } else {
        spec.registry.as_str()
    };
    if spec.repository.is_empty() {
        registry.to_string()
    } else {
        format!("{registry}/{}", spec.repository)
    }
}
