//! [`ResultStore`] in SQLite: one row per image, its inventory and result as JSON text.

use super::SqliteStore;
use crate::{ImageQuery, ImageRecord, ImageVersion, JobLease, Result, ResultStore};
use sqlx::sqlite::SqliteRow;
use sqlx::{QueryBuilder, Row, Sqlite};

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

/// The name an image is filtered and sorted by: `registry/repo:tag`, or `repo:tag` on Docker Hub.
const NAME_SQL: &str = "(CASE WHEN registry = '' THEN repo || ':' || tag ELSE registry || '/' || repo || ':' || tag END)";

#[async_trait::async_trait]
impl ResultStore for SqliteStore {
    async fn image(&self, key: &str) -> Result<Option<ImageRecord>> {
        let row = sqlx::query("SELECT * FROM images WHERE key = ?")
            .bind(key)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.as_ref().map(image_from))
    }

    async fn image_version(&self, key: &str) -> Result<Option<ImageVersion>> {
        let row: Option<(String, String)> =
            sqlx::query_as("SELECT manifest_digest, db_version FROM images WHERE key = ?")
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
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
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
             SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?
             WHERE EXISTS (SELECT 1 FROM scan_jobs WHERE id = ? AND state = 'running'
                             AND lease_owner = ? AND attempts = ?)
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
        let mut tx = self.begin_write().await?;
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

    async fn images(&self, q: &ImageQuery) -> Result<(Vec<ImageRecord>, u64)> {
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

    async fn image_db_versions(&self) -> Result<Vec<(String, String)>> {
        let rows = sqlx::query("SELECT key, db_version FROM images ORDER BY key")
            .fetch_all(&self.pool)
            .await?;
        Ok(rows
            .iter()
            .map(|r| (r.get("key"), r.get("db_version")))
            .collect())
    }

    async fn purge_images_unseen_since(&self, cutoff: &str) -> Result<u64> {
        Ok(sqlx::query("DELETE FROM images WHERE last_seen < ?")
            .bind(cutoff)
            .execute(&self.pool)
            .await?
            .rows_affected())
    }
}

/// Binds an image record's fourteen columns, in the order of `INSERT INTO images (…)`.
fn bind_image<'q>(
    q: sqlx::query::Query<'q, Sqlite, sqlx::sqlite::SqliteArguments>,
    r: &'q ImageRecord,
) -> sqlx::query::Query<'q, Sqlite, sqlx::sqlite::SqliteArguments> {
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
