//! [`ScanQueue`] in SQLite: scans, per-specification records, leased jobs and scan errors.
//!
//! The rules that keep several processes consistent are written in the SQL itself, not checked
//! in Rust between two statements: a claim is one `UPDATE … RETURNING`, a stopped record is
//! kept stopped by the upsert, and a retry returns only a job that is still running.

use super::SqliteStore;
use crate::{
    JobCounts, JobRecord, JobState, Result, ScanKind, ScanQueue, ScanRecord, ScanSpecRecord,
    ScanState, StoreError,
};
use sqlx::Row;
use sqlx::sqlite::SqliteRow;

/// Reads a state column, refusing a spelling this version does not know.
fn state<T: std::str::FromStr<Err = StoreError>>(r: &SqliteRow, column: &str) -> Result<T> {
    r.try_get::<String, _>(column)?.parse()
}

fn scan_from(r: &SqliteRow) -> Result<ScanRecord> {
    Ok(ScanRecord {
        id: r.try_get("id")?,
        kind: state(r, "kind")?,
        state: state(r, "state")?,
        started: r.try_get("started")?,
        finished: r.try_get("finished")?,
        request: r.try_get("request")?,
    })
}

fn spec_from(r: &SqliteRow) -> Result<ScanSpecRecord> {
    Ok(ScanSpecRecord {
        scan_id: r.try_get("scan_id")?,
        spec_id: r.try_get("spec_id")?,
        spec: r.try_get("spec")?,
        state: state(r, "state")?,
        repos_total: r.try_get("repos_total")?,
        repos_done: r.try_get("repos_done")?,
        error: r.try_get("error")?,
        started: r.try_get("started")?,
    })
}

fn job_from(r: &SqliteRow) -> Result<JobRecord> {
    Ok(JobRecord {
        id: r.try_get("id")?,
        scan_id: r.try_get("scan_id")?,
        spec_id: r.try_get("spec_id")?,
        registry: r.try_get("registry")?,
        repo: r.try_get("repo")?,
        tag: r.try_get("tag")?,
        digest: r.try_get("digest")?,
        created: r.try_get("created")?,
        state: state(r, "state")?,
        attempts: r.try_get("attempts")?,
        error: r.try_get("error")?,
    })
}

const SCAN_COLUMNS: &str = "id, kind, state, started, finished, request";
const JOB_COLUMNS: &str =
    "id, scan_id, spec_id, registry, repo, tag, digest, created, state, attempts, error";

#[async_trait::async_trait]
impl ScanQueue for SqliteStore {
    async fn create_scan(&self, kind: ScanKind, request: &str, now: &str) -> Result<ScanRecord> {
        let mut tx = self.begin_write().await?;
        if kind == ScanKind::Regular {
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
        .bind(kind.as_str())
        .bind(now)
        .bind(request)
        .execute(&mut *tx)
        .await?
        .last_insert_rowid();
        tx.commit().await?;
        Ok(ScanRecord {
            id,
            kind,
            state: ScanState::Running,
            started: now.to_string(),
            finished: None,
            request: request.to_string(),
        })
    }

    async fn scan(&self, id: i64) -> Result<Option<ScanRecord>> {
        let sql = format!("SELECT {SCAN_COLUMNS} FROM scans WHERE id = ?");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(scan_from).transpose()
    }

    async fn scans_in_state(&self, state: ScanState) -> Result<Vec<ScanRecord>> {
        let sql = format!("SELECT {SCAN_COLUMNS} FROM scans WHERE state = ? ORDER BY id");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(state.as_str())
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(scan_from).collect()
    }

    async fn latest_scan(&self, kind: ScanKind) -> Result<Option<ScanRecord>> {
        let sql =
            format!("SELECT {SCAN_COLUMNS} FROM scans WHERE kind = ? ORDER BY id DESC LIMIT 1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(kind.as_str())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(scan_from).transpose()
    }

    async fn finish_scan(&self, id: i64, state: ScanState, now: &str) -> Result<bool> {
        let n = sqlx::query(
            "UPDATE scans SET state = ?, finished = ? WHERE id = ? AND state = 'running'",
        )
        .bind(state.as_str())
        .bind(now)
        .bind(id)
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(n > 0)
    }

    async fn mark_progress_reported(&self, scan_id: i64) -> Result<bool> {
        let n = sqlx::query(
            "UPDATE scans SET progress_reported = 1 WHERE id = ? AND progress_reported = 0",
        )
        .bind(scan_id)
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(n > 0)
    }

    async fn put_scan_spec(&self, r: &ScanSpecRecord) -> Result<bool> {
        // A stop may come from another process at any moment; the upsert keeps it in the same
        // statement, so a runner that had not seen it yet cannot undo it.
        let stored: String = sqlx::query_scalar(
            "INSERT INTO scan_specs (scan_id, spec_id, spec, state, repos_total, repos_done, error, started)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?)
             ON CONFLICT (scan_id, spec_id) DO UPDATE SET spec = excluded.spec,
               state = CASE WHEN scan_specs.state = 'stopped' THEN 'stopped' ELSE excluded.state END,
               repos_total = excluded.repos_total, repos_done = excluded.repos_done, error = excluded.error
             RETURNING state",
        )
        .bind(r.scan_id)
        .bind(&r.spec_id)
        .bind(&r.spec)
        .bind(r.state.as_str())
        .bind(r.repos_total)
        .bind(r.repos_done)
        .bind(&r.error)
        .bind(&r.started)
        .fetch_one(&self.pool)
        .await?;
        Ok(stored == r.state.as_str())
    }

    async fn scan_specs(&self, scan_id: i64) -> Result<Vec<ScanSpecRecord>> {
        let rows = sqlx::query(
            "SELECT scan_id, spec_id, spec, state, repos_total, repos_done, error, started
             FROM scan_specs WHERE scan_id = ? ORDER BY rowid",
        )
        .bind(scan_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(spec_from).collect()
    }

    async fn stop_scan_spec(&self, scan_id: i64, spec_id: &str, now: &str) -> Result<u64> {
        let mut tx = self.begin_write().await?;
        let exists: Option<i64> = sqlx::query_scalar("SELECT id FROM scans WHERE id = ?")
            .bind(scan_id)
            .fetch_optional(&mut *tx)
            .await?;
        if exists.is_none() {
            return Err(StoreError::NotFound(format!("scan {scan_id}")));
        }
        sqlx::query(
            "INSERT INTO scan_specs (scan_id, spec_id, spec, state, started) VALUES (?, ?, '', 'stopped', ?)
             ON CONFLICT (scan_id, spec_id) DO UPDATE SET state = 'stopped'",
        )
        .bind(scan_id)
        .bind(spec_id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        let cancelled = sqlx::query(
            "UPDATE scan_jobs SET state = 'cancelled', lease_owner = NULL, lease_until = NULL
             WHERE scan_id = ? AND spec_id = ? AND state IN ('pending', 'running')",
        )
        .bind(scan_id)
        .bind(spec_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        tx.commit().await?;
        Ok(cancelled)
    }

    async fn scan_spec_stopped(&self, scan_id: i64, spec_id: &str) -> Result<bool> {
        let stopped: Option<i64> = sqlx::query_scalar(
            "SELECT 1 FROM scan_specs WHERE scan_id = ? AND spec_id = ? AND state = 'stopped'",
        )
        .bind(scan_id)
        .bind(spec_id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(stopped.is_some())
    }

    async fn insert_jobs(&self, jobs: &[JobRecord]) -> Result<u64> {
        let mut tx = self.begin_write().await?;
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

    async fn claim_jobs(
        &self,
        scan_id: i64,
        spec_id: &str,
        owner: &str,
        now: i64,
        lease_until: i64,
        limit: u64,
    ) -> Result<Vec<JobRecord>> {
        // One statement: the claim is atomic even with several nodes on one database.
        let sql = format!(
            "UPDATE scan_jobs SET state = 'running', lease_owner = ?, lease_until = ?, not_before = NULL,
               attempts = attempts + 1
             WHERE id IN (SELECT id FROM scan_jobs WHERE scan_id = ? AND spec_id = ? AND state = 'pending'
                            AND (not_before IS NULL OR not_before <= ?) ORDER BY id LIMIT ?)
             RETURNING {JOB_COLUMNS}"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(owner)
            .bind(lease_until)
            .bind(scan_id)
            .bind(spec_id)
            .bind(now)
            .bind(limit as i64)
            .fetch_all(&self.pool)
            .await?;
        let mut jobs = rows.iter().map(job_from).collect::<Result<Vec<_>>>()?;
        jobs.sort_by_key(|j| j.id);
        Ok(jobs)
    }

    async fn finish_job(
        &self,
        job_id: i64,
        state: JobState,
        error: &str,
        not_before: Option<i64>,
    ) -> Result<bool> {
        let sql = match state {
            JobState::Running => {
                return Err(StoreError::Conflict(format!(
                    "job {job_id} cannot be finished as running; claim it instead"
                )));
            }
            // A retry returns only a job still running: one cancelled by a stop meanwhile stays
            // cancelled, whichever process stopped it.
            JobState::Pending => {
                "UPDATE scan_jobs SET state = ?, error = ?, not_before = ?, lease_owner = NULL, lease_until = NULL
                 WHERE id = ? AND state = 'running'"
            }
            JobState::Done | JobState::Failed | JobState::Cancelled => {
                "UPDATE scan_jobs SET state = ?, error = ?, not_before = ?, lease_owner = NULL, lease_until = NULL
                 WHERE id = ?"
            }
        };
        let not_before = not_before.filter(|_| state == JobState::Pending);
        let n = sqlx::query(sql)
            .bind(state.as_str())
            .bind(error)
            .bind(not_before)
            .bind(job_id)
            .execute(&self.pool)
            .await?
            .rows_affected();
        Ok(n > 0)
    }

    async fn try_lead(&self) -> Result<bool> {
        Ok(true)
    }

    async fn renew_leases(
        &self,
        owner: &str,
        job_ids: &[i64],
        lease_until: i64,
    ) -> Result<Vec<i64>> {
        if job_ids.is_empty() {
            return Ok(Vec::new());
        }
        // The ids as a JSON array: one statement for any number of jobs.
        let ids = serde_json::to_string(job_ids)?;
        let mut renewed: Vec<i64> = sqlx::query_scalar(
            "UPDATE scan_jobs SET lease_until = ?
             WHERE state = 'running' AND lease_owner = ? AND id IN (SELECT value FROM json_each(?))
             RETURNING id",
        )
        .bind(lease_until)
        .bind(owner)
        .bind(ids)
        .fetch_all(&self.pool)
        .await?;
        renewed.sort_unstable();
        Ok(renewed)
    }

    async fn release_expired_leases(&self, now: i64) -> Result<u64> {
        let n = sqlx::query(
            "UPDATE scan_jobs SET state = 'pending', lease_owner = NULL, lease_until = NULL,
               attempts = MAX(attempts - 1, 0)
             WHERE state = 'running' AND (lease_until IS NULL OR lease_until < ?)",
        )
        .bind(now)
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(n)
    }

    async fn cancel_jobs(&self, scan_id: i64, spec_id: Option<&str>) -> Result<u64> {
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

    async fn job_counts(&self, scan_id: i64, spec_id: Option<&str>) -> Result<JobCounts> {
        let rows = sqlx::query("SELECT state, COUNT(*) AS n FROM scan_jobs WHERE scan_id = ? AND (? IS NULL OR spec_id = ?) GROUP BY state")
            .bind(scan_id)
            .bind(spec_id)
            .bind(spec_id)
            .fetch_all(&self.pool)
            .await?;
        let mut c = JobCounts::default();
        for r in rows {
            let n = r.try_get::<i64, _>("n")? as u64;
            c.add(state(&r, "state")?, n);
        }
        Ok(c)
    }

    async fn job_counts_by_spec(
        &self,
        scan_id: i64,
    ) -> Result<std::collections::HashMap<String, JobCounts>> {
        let rows = sqlx::query(
            "SELECT spec_id, state, COUNT(*) AS n FROM scan_jobs WHERE scan_id = ? GROUP BY spec_id, state",
        )
        .bind(scan_id)
        .fetch_all(&self.pool)
        .await?;
        let mut all = std::collections::HashMap::<String, JobCounts>::new();
        for r in rows {
            let n = r.try_get::<i64, _>("n")? as u64;
            let c = all.entry(r.try_get("spec_id")?).or_default();
            c.add(state(&r, "state")?, n);
        }
        Ok(all)
    }

    async fn jobs(&self, scan_id: i64) -> Result<Vec<JobRecord>> {
        let sql = format!("SELECT {JOB_COLUMNS} FROM scan_jobs WHERE scan_id = ? ORDER BY id");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(scan_id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(job_from).collect()
    }

    async fn push_scan_error(&self, now: &str, message: &str, keep: u64) -> Result<()> {
        let mut tx = self.begin_write().await?;
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

    async fn scan_errors(&self, limit: u64) -> Result<Vec<String>> {
        Ok(
            sqlx::query_scalar("SELECT message FROM scan_errors ORDER BY id DESC LIMIT ?")
                .bind(limit as i64)
                .fetch_all(&self.pool)
                .await?,
        )
    }
}
