//! Scans, jobs with leases, the layer cache and image results in SQLite.

use super::SqliteStore;
use crate::records::{ImageQuery, ImageRecord, JobCounts, JobRecord, ScanRecord, ScanSpecRecord};
use crate::{Result, StoreError};
use sqlx::sqlite::SqliteRow;
use sqlx::{QueryBuilder, Row, Sqlite};

fn scan_from(r: &SqliteRow) -> ScanRecord {
    ScanRecord {
        id: r.get("id"),
        kind: r.get("kind"),
        state: r.get("state"),
        started: r.get("started"),
        finished: r.get("finished"),
        request: r.get("request"),
    }
}

fn job_from(r: &SqliteRow) -> JobRecord {
    JobRecord {
        id: r.get("id"),
        scan_id: r.get("scan_id"),
        spec_id: r.get("spec_id"),
        registry: r.get("registry"),
        repo: r.get("repo"),
        tag: r.get("tag"),
        digest: r.get("digest"),
        created: r.get("created"),
        state: r.get("state"),
        attempts: r.get("attempts"),
        error: r.get("error"),
    }
}

fn image_from(r: &SqliteRow) -> ImageRecord {
    ImageRecord {
        key: r.get("key"),
        registry: r.get("registry"),
        repo: r.get("repo"),
        tag: r.get("tag"),
        manifest_digest: r.get("manifest_digest"),
        image_id: r.get("image_id"),
        spec_id: r.get("spec_id"),
        scan_time: r.get("scan_time"),
        first_scan_time: r.get("first_scan_time"),
        last_seen: r.get("last_seen"),
        vulns: r.get("vulns"),
        db_version: r.get("db_version"),
        inventory: r.get("inventory"),
        result: r.get("result"),
    }
}

const JOB_COLUMNS: &str =
    "id, scan_id, spec_id, registry, repo, tag, digest, created, state, attempts, error";

/// The name an image is filtered and sorted by: `registry/repo:tag`, or `repo:tag` on Docker Hub.
const NAME_SQL: &str = "(CASE WHEN registry = '' THEN repo || ':' || tag ELSE registry || '/' || repo || ':' || tag END)";

impl SqliteStore {
    pub(super) async fn create_scan_impl(
        &self,
        kind: &str,
        request: &str,
        now: &str,
    ) -> Result<ScanRecord> {
        let mut tx = self.pool.begin().await?;
        if kind == "regular" {
            let running: Option<i64> = sqlx::query_scalar(
                "SELECT id FROM scans WHERE kind = 'regular' AND state = 'running' LIMIT 1",
            )
            .fetch_optional(&mut *tx)
            .await?;
            if let Some(id) = running {
                return Err(StoreError::Conflict(format!(
                    "a regular registry scan (id {id}) is already running; stop it with POST /registry/stop or wait for it to finish"
                )));
            }
        }
        let id = sqlx::query(
            "INSERT INTO scans (kind, state, started, request) VALUES (?, 'running', ?, ?)",
        )
        .bind(kind)
        .bind(now)
        .bind(request)
        .execute(&mut *tx)
        .await?
        .last_insert_rowid();
        tx.commit().await?;
        Ok(ScanRecord {
            id,
            kind: kind.to_string(),
            state: "running".into(),
            started: now.to_string(),
            finished: None,
            request: request.to_string(),
        })
    }

    pub(super) async fn scan_impl(&self, id: i64) -> Result<Option<ScanRecord>> {
        let row = sqlx::query("SELECT * FROM scans WHERE id = ?")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.as_ref().map(scan_from))
    }

    pub(super) async fn scans_in_state_impl(&self, state: &str) -> Result<Vec<ScanRecord>> {
        let rows = sqlx::query("SELECT * FROM scans WHERE state = ? ORDER BY id")
            .bind(state)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.iter().map(scan_from).collect())
    }

    pub(super) async fn latest_scan_impl(&self, kind: &str) -> Result<Option<ScanRecord>> {
        let row = sqlx::query("SELECT * FROM scans WHERE kind = ? ORDER BY id DESC LIMIT 1")
            .bind(kind)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.as_ref().map(scan_from))
    }

    pub(super) async fn finish_scan_impl(&self, id: i64, state: &str, now: &str) -> Result<bool> {
        let n = sqlx::query(
            "UPDATE scans SET state = ?, finished = ? WHERE id = ? AND state = 'running'",
        )
        .bind(state)
        .bind(now)
        .bind(id)
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(n > 0)
    }

    pub(super) async fn put_scan_spec_impl(&self, r: &ScanSpecRecord) -> Result<()> {
        sqlx::query(
            "INSERT INTO scan_specs (scan_id, spec_id, spec, state, repos_total, repos_done, error, started)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?)
             ON CONFLICT (scan_id, spec_id) DO UPDATE SET spec = excluded.spec, state = excluded.state,
               repos_total = excluded.repos_total, repos_done = excluded.repos_done, error = excluded.error",
        )
        .bind(r.scan_id)
        .bind(&r.spec_id)
        .bind(&r.spec)
        .bind(&r.state)
        .bind(r.repos_total)
        .bind(r.repos_done)
        .bind(&r.error)
        .bind(&r.started)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub(super) async fn scan_specs_impl(&self, scan_id: i64) -> Result<Vec<ScanSpecRecord>> {
        let rows = sqlx::query("SELECT * FROM scan_specs WHERE scan_id = ? ORDER BY rowid")
            .bind(scan_id)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows
            .iter()
            .map(|r| ScanSpecRecord {
                scan_id: r.get("scan_id"),
                spec_id: r.get("spec_id"),
                spec: r.get("spec"),
                state: r.get("state"),
                repos_total: r.get("repos_total"),
                repos_done: r.get("repos_done"),
                error: r.get("error"),
                started: r.get("started"),
            })
            .collect())
    }

    pub(super) async fn insert_jobs_impl(&self, jobs: &[JobRecord]) -> Result<u64> {
        let mut tx = self.pool.begin().await?;
        let mut added = 0;
        for j in jobs {
            added += sqlx::query(
                "INSERT INTO scan_jobs (scan_id, spec_id, registry, repo, tag, digest, created, state)
                 VALUES (?, ?, ?, ?, ?, ?, ?, 'pending') ON CONFLICT DO NOTHING",
            )
            .bind(j.scan_id)
            .bind(&j.spec_id)
            .bind(&j.registry)
            .bind(&j.repo)
            .bind(&j.tag)
            .bind(&j.digest)
            .bind(&j.created)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        }
        tx.commit().await?;
        Ok(added)
    }

    pub(super) async fn claim_jobs_impl(
        &self,
        scan_id: i64,
        spec_id: &str,
        owner: &str,
        lease_until: i64,
        limit: u64,
    ) -> Result<Vec<JobRecord>> {
        // One statement: the claim is atomic even with several nodes on one database.
        let rows = sqlx::query(
            "UPDATE scan_jobs SET state = 'running', lease_owner = ?, lease_until = ?, attempts = attempts + 1
             WHERE id IN (SELECT id FROM scan_jobs WHERE scan_id = ? AND spec_id = ? AND state = 'pending' ORDER BY id LIMIT ?)
             RETURNING id, scan_id, spec_id, registry, repo, tag, digest, created, state, attempts, error",
        )
        .bind(owner)
        .bind(lease_until)
        .bind(scan_id)
        .bind(spec_id)
        .bind(limit as i64)
        .fetch_all(&self.pool)
        .await?;
        let mut jobs: Vec<JobRecord> = rows.iter().map(job_from).collect();
        jobs.sort_by_key(|j| j.id);
        Ok(jobs)
    }

    pub(super) async fn finish_job_impl(
        &self,
        job_id: i64,
        state: &str,
        error: &str,
    ) -> Result<()> {
        sqlx::query("UPDATE scan_jobs SET state = ?, error = ?, lease_owner = NULL, lease_until = NULL WHERE id = ?")
            .bind(state)
            .bind(error)
            .bind(job_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub(super) async fn release_expired_leases_impl(&self, now: i64) -> Result<u64> {
        let n = sqlx::query(
            "UPDATE scan_jobs SET state = 'pending', lease_owner = NULL, lease_until = NULL
             WHERE state = 'running' AND (lease_until IS NULL OR lease_until < ?)",
        )
        .bind(now)
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(n)
    }

    pub(super) async fn cancel_jobs_impl(
        &self,
        scan_id: i64,
        spec_id: Option<&str>,
    ) -> Result<u64> {
        let n = sqlx::query(
            "UPDATE scan_jobs SET state = 'cancelled', lease_owner = NULL, lease_until = NULL
             WHERE scan_id = ? AND (? IS NULL OR spec_id = ?) AND state IN ('pending', 'running')",
        )
        .bind(scan_id)
        .bind(spec_id)
        .bind(spec_id)
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(n)
    }

    pub(super) async fn job_counts_impl(
        &self,
        scan_id: i64,
        spec_id: Option<&str>,
    ) -> Result<JobCounts> {
        let rows = sqlx::query("SELECT state, COUNT(*) AS n FROM scan_jobs WHERE scan_id = ? AND (? IS NULL OR spec_id = ?) GROUP BY state")
            .bind(scan_id)
            .bind(spec_id)
            .bind(spec_id)
            .fetch_all(&self.pool)
            .await?;
        let mut c = JobCounts::default();
        for r in rows {
            let n: i64 = r.get("n");
            let n = n as u64;
            c.total += n;
            match r.get::<String, _>("state").as_str() {
                "pending" => c.pending += n,
                "running" => c.running += n,
                "done" => c.done += n,
                "failed" => c.failed += n,
                _ => c.cancelled += n,
            }
        }
        Ok(c)
    }

    pub(super) async fn jobs_impl(&self, scan_id: i64) -> Result<Vec<JobRecord>> {
        let sql = format!("SELECT {JOB_COLUMNS} FROM scan_jobs WHERE scan_id = ? ORDER BY id");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(scan_id)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.iter().map(job_from).collect())
    }

    pub(super) async fn layer_facts_impl(&self, digest: &str) -> Result<Option<Vec<u8>>> {
        Ok(
            sqlx::query_scalar("SELECT facts FROM layer_facts WHERE digest = ?")
                .bind(digest)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    pub(super) async fn put_layer_facts_impl(
        &self,
        digest: &str,
        facts: &[u8],
        now: &str,
    ) -> Result<()> {
        sqlx::query("INSERT INTO layer_facts (digest, facts, created) VALUES (?, ?, ?) ON CONFLICT (digest) DO UPDATE SET facts = excluded.facts")
            .bind(digest)
            .bind(facts)
            .bind(now)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub(super) async fn image_impl(&self, key: &str) -> Result<Option<ImageRecord>> {
        let row = sqlx::query("SELECT * FROM images WHERE key = ?")
            .bind(key)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.as_ref().map(image_from))
    }

    pub(super) async fn put_image_impl(&self, r: &ImageRecord) -> Result<()> {
        sqlx::query(
            "INSERT INTO images (key, registry, repo, tag, manifest_digest, image_id, spec_id, scan_time, first_scan_time,
                                 last_seen, vulns, db_version, inventory, result)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
             ON CONFLICT (key) DO UPDATE SET manifest_digest = excluded.manifest_digest, image_id = excluded.image_id,
               spec_id = excluded.spec_id, scan_time = excluded.scan_time, last_seen = excluded.last_seen,
               vulns = excluded.vulns, db_version = excluded.db_version, inventory = excluded.inventory,
               result = excluded.result",
        )
        .bind(&r.key)
        .bind(&r.registry)
        .bind(&r.repo)
        .bind(&r.tag)
        .bind(&r.manifest_digest)
        .bind(&r.image_id)
        .bind(&r.spec_id)
        .bind(&r.scan_time)
        .bind(&r.first_scan_time)
        .bind(&r.last_seen)
        .bind(r.vulns)
        .bind(&r.db_version)
        .bind(&r.inventory)
        .bind(&r.result)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub(super) async fn touch_images_impl(&self, keys: &[String], now: &str) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        for k in keys {
            sqlx::query("UPDATE images SET last_seen = ? WHERE key = ?")
                .bind(now)
                .bind(k)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    pub(super) async fn images_impl(&self, q: &ImageQuery) -> Result<(Vec<ImageRecord>, u64)> {
        fn filters(b: &mut QueryBuilder<Sqlite>, q: &ImageQuery) {
            b.push(" WHERE 1 = 1");
            let any_of =
                |b: &mut QueryBuilder<Sqlite>, column: &str, values: &[String], lower: bool| {
                    if values.is_empty() {
                        return;
                    }
                    b.push(format!(
                        " AND {} IN (",
                        if lower {
                            format!("lower({column})")
                        } else {
                            column.to_string()
                        }
                    ));
                    let mut sep = b.separated(", ");
                    for v in values {
                        if lower {
                            sep.push_bind(v.to_lowercase());
                        } else {
                            sep.push_bind(v.clone());
                        }
                    }
                    b.push(")");
                };
            any_of(b, "key", &q.keys, false);
            any_of(b, "image_id", &q.image_ids, false);
            any_of(b, "registry", &q.registries, true);
            any_of(b, "repo", &q.repositories, true);
            any_of(b, NAME_SQL, &q.names, true);
            if let Some(s) = q.search.as_deref().filter(|s| !s.is_empty()) {
                b.push(format!(" AND instr(lower({NAME_SQL}), "));
                b.push_bind(s.to_lowercase());
                b.push(") > 0");
            }
        }
        let mut count = QueryBuilder::<Sqlite>::new("SELECT COUNT(*) FROM images");
        filters(&mut count, q);
        let total: i64 = count.build_query_scalar().fetch_one(&self.pool).await?;
        let order = match q.sort.as_str() {
            "scanTime" => "scan_time",
            "vulnerabilities" | "vulnerabilitiesCount" => "vulns",
            "repository" | "repo" | "repoTag.repo" => "repo",
            "registry" | "repoTag.registry" => "registry",
            "tag" | "repoTag.tag" => "tag",
            _ => NAME_SQL,
        };
        let direction = if q.reverse { "DESC" } else { "ASC" };
        // The page is chosen over the small leading columns only, then its rows are read whole.
        // Sorting `SELECT *` made SQLite read every matching row's inventory and result (tens
        // of kilobytes each, in overflow pages) for every page: the last of 40 pages of 2,000
        // images took 33 times as long as the first, and the CSV download, which walks every
        // page, grew with the square of the number of images.
        let mut page = QueryBuilder::<Sqlite>::new(format!(
            "SELECT images.* FROM images JOIN (SELECT key AS page_key, {order} AS page_order FROM images"
        ));
        filters(&mut page, q);
        page.push(format!(" ORDER BY {order} {direction}, key {direction}"));
        if q.limit > 0 {
            page.push(" LIMIT ")
                .push_bind(q.limit as i64)
                .push(" OFFSET ")
                .push_bind(q.offset as i64);
        } else if q.offset > 0 {
            page.push(" LIMIT -1 OFFSET ").push_bind(q.offset as i64);
        }
        page.push(format!(
            ") AS page ON images.key = page.page_key ORDER BY page.page_order {direction}, page.page_key {direction}"
        ));
        let rows = page.build().fetch_all(&self.pool).await?;
        Ok((rows.iter().map(image_from).collect(), total as u64))
    }

    pub(super) async fn image_db_versions_impl(&self) -> Result<Vec<(String, String)>> {
        let rows = sqlx::query("SELECT key, db_version FROM images ORDER BY key")
            .fetch_all(&self.pool)
            .await?;
        Ok(rows
            .iter()
            .map(|r| (r.get("key"), r.get("db_version")))
            .collect())
    }

    pub(super) async fn purge_images_unseen_since_impl(&self, cutoff: &str) -> Result<u64> {
        Ok(sqlx::query("DELETE FROM images WHERE last_seen < ?")
            .bind(cutoff)
            .execute(&self.pool)
            .await?
            .rows_affected())
    }

    pub(super) async fn push_scan_error_impl(
        &self,
        now: &str,
        message: &str,
        keep: u64,
    ) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("INSERT INTO scan_errors (time, message) VALUES (?, ?)")
            .bind(now)
            .bind(message)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM scan_errors WHERE id NOT IN (SELECT id FROM scan_errors ORDER BY id DESC LIMIT ?)")
            .bind(keep as i64)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    pub(super) async fn scan_errors_impl(&self, limit: u64) -> Result<Vec<String>> {
        Ok(
            sqlx::query_scalar("SELECT message FROM scan_errors ORDER BY id DESC LIMIT ?")
                .bind(limit as i64)
                .fetch_all(&self.pool)
                .await?,
        )
    }
}
