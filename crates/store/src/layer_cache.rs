//! The layer cache: what a layer contributes, by compressed layer digest, analysed once ever.

use crate::Result;

#[async_trait::async_trait]
pub trait LayerCacheStore: Send + Sync + 'static {
    async fn layer_facts(&self, digest: &str) -> Result<Option<Vec<u8>>>;
    /// Creates or replaces the facts of a layer.
    async fn put_layer_facts(&self, digest: &str, facts: &[u8], now: &str) -> Result<()>;
}
