//! Named JSON documents by kind (`policy`, `collection`, …) whose shapes belong to their feature.

use crate::Result;

#[async_trait::async_trait]
pub trait DocumentStore: Send + Sync + 'static {
    async fn document(&self, kind: &str, id: &str) -> Result<Option<serde_json::Value>>;
    /// Every document of a kind, ordered by id.
    async fn documents(&self, kind: &str) -> Result<Vec<(String, serde_json::Value)>>;
    /// Creates or replaces a document.
    async fn put_document(&self, kind: &str, id: &str, doc: &serde_json::Value) -> Result<()>;
    /// True if a document was deleted.
    async fn delete_document(&self, kind: &str, id: &str) -> Result<bool>;
}
