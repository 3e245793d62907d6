//! [`ResultStore`] in PostgreSQL: one row per image, its inventory and result as JSON text.
//! Sorting compares names bytewise (the columns are `COLLATE "C"`), as SQLite does.

use super::PostgresStore;
use crate::{ImageQuery, ImageRecord, ImageVersion, JobLease, Result, ResultStore};
use sqlx::postgres::PgRow;
use sqlx::{Postgres, QueryBuilder, Row};

fn image_from(r: &PgRow) -> Result<ImageRecord> {
    Ok(ImageRecord {
        key: r.try_get("key")?,
        registry: r.try_get("registry")?,
        repo: r.try_get("repo")?,
        tag: r.try_get("tag")?,
        manifest_digest: r.try_get("manifest_digest")?,
        image_id: r.try_get("image_id")?,
        spec_id: r.try_get("spec_id")?,
        scan_time: r.try_get("scan_time")?,
        first_scan_time: r.try_get("first_scan_time")?,
        last_seen: r.try_get("last_seen")?,
        vulns: r.try_get("vulns")?,
        db_version: r.try_get("db_version")?,
        inventory: r.try_get("inventory")?,
        result: r.try_get("result")?,
    })
}

/// The name an image is filtered and sorted by: `registry/repo:tag`, or `repo:tag` on Docker Hub.
const NAME_SQL: &str = "(CASE WHEN registry = '' THEN repo || ':' || tag ELSE registry || '/' || repo || ':' || tag END)";

fn filters(b: &mut QueryBuilder<Postgres>, q: &ImageQuery) {
    b.push(" WHERE TRUE");
    let any_of = |b: &mut QueryBuilder<Postgres>, column: &str, values: &[String], lower: bool| {
        if values.is_empty() {
            return;
        }
        let (column, values): (String, Vec<String>) = if lower {
            (
                format!("lower({column})"),
                values.iter().map(|v| v.to_lowercase()).collect(),
            )
        } else {
            (column.to_string(), values.to_vec())
        };
        b.push(format!(" AND {column} = ANY("))
            .push_bind(values)
            .push(")");
    };
    any_of(b, "key", &q.keys, false);
    any_of(b, "image_id", &q.image_ids, false);
    any_of(b, "registry", &q.registries, true);
    any_of(b, "repo", &q.repositories, true);
    any_of(b, NAME_SQL, &q.names, true);
    if let Some(s) = q.search.as_deref().filter(|s| !s.is_empty()) {
        b.push(format!(" AND strpos(lower({NAME_SQL}), "));
        b.push_bind(s.to_lowercase());
        b.push(") > 0");
    }
}

#[async_trait::async_trait]
impl ResultStore for PostgresStore {
    async fn image(&self, key: &str) -> Result<Option<ImageRecord>> {
        let row = sqlx::query("SELECT * FROM images WHERE key = $1")
            .bind(key)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(image_from).transpose()
    }

    async fn image_version(&self, key: &str) -> Result<Option<ImageVersion>> {
        let row: Option<(String, String)> =
            sqlx::query_as("SELECT manifest_digest, db_version FROM images WHERE key = $1")
                .bind(key)
                .fetch_optional(&self.pool)
                .await?;
        Ok(row.map(|(manifest_digest, db_version)| ImageVersion {
            manifest_digest,
            db_version,
        }))
    }

    async fn put_image(&self, r: &ImageRecord) -> Result<()> {
        let sql = "INSERT INTO images (key, registry, repo, tag, manifest_digest, image_id, spec_id, scan_time, first_scan_time,
                                 last_seen, vulns, db_version, inventory, result)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
             ON CONFLICT (key) DO UPDATE SET manifest_digest = excluded.manifest_digest, image_id = excluded.image_id,
               spec_id = excluded.spec_id, scan_time = excluded.scan_time, last_seen = excluded.last_seen,
               vulns = excluded.vulns, db_version = excluded.db_version, inventory = excluded.inventory,
               result = excluded.result";
        bind_image(sqlx::query(sql), r).execute(&self.pool).await?;
        Ok(())
    }

    async fn put_image_leased(&self, r: &ImageRecord, lease: &JobLease) -> Result<bool> {
        let sql = "INSERT INTO images (key, registry, repo, tag, manifest_digest, image_id, spec_id, scan_time,
                                 first_scan_time, last_seen, vulns, db_version, inventory, result)
             SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14
             WHERE EXISTS (SELECT 1 FROM scan_jobs WHERE id = $15 AND state = 'running'
                             AND lease_owner = $16 AND attempts = $17)
             ON CONFLICT (key) DO UPDATE SET manifest_digest = excluded.manifest_digest, image_id = excluded.image_id,
               spec_id = excluded.spec_id, scan_time = excluded.scan_time, last_seen = excluded.last_seen,
               vulns = excluded.vulns, db_version = excluded.db_version, inventory = excluded.inventory,
               result = excluded.result";
        let n = bind_image(sqlx::query(sql), r)
            .bind(lease.job_id)
            .bind(&lease.owner)
            .bind(lease.attempt)
            .execute(&self.pool)
            .await?
            .rows_affected();
        Ok(n > 0)
    }

    async fn touch_images(&self, keys: &[String], now: &str) -> Result<()> {
        // Rows locked in key order, as the purge does, so the two never deadlock.
        sqlx::query(
            "UPDATE images SET last_seen = $1
             WHERE key IN (SELECT key FROM images WHERE key = ANY($2) ORDER BY key FOR UPDATE)",
        )
        .bind(now)
        .bind(keys)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn images(&self, q: &ImageQuery) -> Result<(Vec<ImageRecord>, u64)> {
        // The count and the page from one snapshot, so a page never disagrees with its total.
        let mut tx = self
            .pool
            .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            .await?;
        let mut count = QueryBuilder::<Postgres>::new("SELECT COUNT(*) FROM images");
        filters(&mut count, q);
        let total: i64 = count.build_query_scalar().fetch_one(&mut *tx).await?;
        let order = match q.sort.as_str() {
            "scanTime" => "scan_time",
            "vulnerabilities" | "vulnerabilitiesCount" => "vulns",
            "repository" | "repo" | "repoTag.repo" => "repo",
            "registry" | "repoTag.registry" => "registry",
            "tag" | "repoTag.tag" => "tag",
            _ => NAME_SQL,
        };
        let direction = if q.reverse { "DESC" } else { "ASC" };
        // As in SQLite: the page is chosen over the small columns, then its rows are read whole.
        let mut page = QueryBuilder::<Postgres>::new(format!(
            "SELECT images.* FROM images JOIN (SELECT key AS page_key, {order} AS page_order FROM images"
        ));
        filters(&mut page, q);
        page.push(format!(" ORDER BY {order} {direction}, key {direction}"));
        if q.limit > 0 {
            page.push(" LIMIT ").push_bind(q.limit as i64);
        }
        if q.offset > 0 {
            page.push(" OFFSET ").push_bind(q.offset as i64);
        }
        page.push(format!(
            ") AS page ON images.key = page.page_key ORDER BY page.page_order {direction}, page.page_key {direction}"
        ));
        let rows = page.build().fetch_all(&mut *tx).await?;
        tx.commit().await?;
        Ok((
            rows.iter().map(image_from).collect::<Result<_>>()?,
            total as u64,
        ))
    }

    async fn image_db_versions(&self) -> Result<Vec<(String, String)>> {
        Ok(
            sqlx::query_as("SELECT key, db_version FROM images ORDER BY key")
                .fetch_all(&self.pool)
                .await?,
        )
    }

    async fn purge_images_unseen_since(&self, cutoff: &str) -> Result<u64> {
        Ok(sqlx::query(
            "DELETE FROM images
             WHERE key IN (SELECT key FROM images WHERE last_seen < $1 ORDER BY key FOR UPDATE)",
        )
        .bind(cutoff)
        .execute(&self.pool)
        .await?
        .rows_affected())
    }
}

/// Binds an image record's fourteen columns, in the order of `INSERT INTO images (…)`.
fn bind_image<'q>(
    q: sqlx::query::Query<'q, Postgres, sqlx::postgres::PgArguments>,
    r: &'q ImageRecord,
) -> sqlx::query::Query<'q, Postgres, sqlx::postgres::PgArguments> {
    q.bind(&r.key)
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
}
