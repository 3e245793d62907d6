//! [`DocumentStore`] in SQLite: one table keyed by kind and id, documents as JSON text.

use super::SqliteStore;
use crate::{DocumentStore, Result};
use sqlx::Row;

#[async_trait::async_trait]
impl DocumentStore for SqliteStore {
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
}
