//! [`LayerCacheStore`] in SQLite: facts as a blob by layer digest.

use super::SqliteStore;
use crate::{LayerCacheStore, Result};

#[async_trait::async_trait]
impl LayerCacheStore for SqliteStore {
    async fn layer_facts(&self, digest: &str) -> Result<Option<Vec<u8>>> {
        Ok(
            sqlx::query_scalar("SELECT facts FROM layer_facts WHERE digest = ?")
                .bind(digest)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    async fn put_layer_facts(&self, digest: &str, facts: &[u8], now: &str) -> Result<()> {
        sqlx::query("INSERT INTO layer_facts (digest, facts, created) VALUES (?, ?, ?) ON CONFLICT (digest) DO UPDATE SET facts = excluded.facts")
            .bind(digest)
            .bind(facts)
            .bind(now)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
