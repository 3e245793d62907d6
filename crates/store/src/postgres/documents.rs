//! [`DocumentStore`] in PostgreSQL: one table keyed by kind and id, documents as JSON text.

use super::PostgresStore;
use crate::{DocumentStore, Result};

#[async_trait::async_trait]
impl DocumentStore for PostgresStore {
    async fn document(&self, kind: &str, id: &str) -> Result<Option<serde_json::Value>> {
        let doc: Option<String> =
            sqlx::query_scalar("SELECT doc FROM documents WHERE kind = $1 AND id = $2")
                .bind(kind)
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
        doc.map(|d| Ok(serde_json::from_str(&d)?)).transpose()
    }

    async fn documents(&self, kind: &str) -> Result<Vec<(String, serde_json::Value)>> {
        let rows: Vec<(String, String)> =
            sqlx::query_as("SELECT id, doc FROM documents WHERE kind = $1 ORDER BY id")
                .bind(kind)
                .fetch_all(&self.pool)
                .await?;
        rows.into_iter()
            .map(|(id, doc)| Ok((id, serde_json::from_str(&doc)?)))
            .collect()
    }

    async fn put_document(&self, kind: &str, id: &str, doc: &serde_json::Value) -> Result<()> {
        sqlx::query(
            "INSERT INTO documents (kind, id, doc) VALUES ($1, $2, $3)
             ON CONFLICT (kind, id) DO UPDATE SET doc = excluded.doc",
        )
        .bind(kind)
        .bind(id)
        .bind(doc.to_string())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn delete_document(&self, kind: &str, id: &str) -> Result<bool> {
        let n = sqlx::query("DELETE FROM documents WHERE kind = $1 AND id = $2")
            .bind(kind)
            .bind(id)
            .execute(&self.pool)
            .await?
            .rows_affected();
        Ok(n > 0)
    }
}
