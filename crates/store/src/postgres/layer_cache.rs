//! [`LayerCacheStore`] in PostgreSQL: facts as `BYTEA` by layer digest, shared by every node.

use super::PostgresStore;
use crate::{LayerCacheStore, Result};

#[async_trait::async_trait]
impl LayerCacheStore for PostgresStore {
    async fn layer_facts(&self, digest: &str) -> Result<Option<Vec<u8>>> {
        Ok(
            sqlx::query_scalar("SELECT facts FROM layer_facts WHERE digest = $1")
                .bind(digest)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    async fn put_layer_facts(&self, digest: &str, facts: &[u8], now: &str) -> Result<()> {
        sqlx::query(
            "INSERT INTO layer_facts (digest, facts, created) VALUES ($1, $2, $3)
             ON CONFLICT (digest) DO UPDATE SET facts = excluded.facts",
        )
        .bind(digest)
        .bind(facts)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}
