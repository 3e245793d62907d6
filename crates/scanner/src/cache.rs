//! The layer cache: what each layer contributes, by layer digest, so a layer shared by many
//! images is read once. Only complete analyses are cached: a truncated or failed layer must be
//! read again next time.

use crowsnest_analyzer::LayerFacts;
use crowsnest_store::Store;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

#[async_trait::async_trait]
pub trait LayerCache: Send + Sync {
    async fn get(&self, digest: &str) -> Option<LayerFacts>;
    async fn put(&self, facts: &LayerFacts);
    /// Held while one task pulls a layer, so that images sharing it and scanned at the same
    /// moment wait for that one pull instead of each pulling it. `None`: no coordination.
    async fn claim(&self, _digest: &str) -> Option<tokio::sync::OwnedMutexGuard<()>> {
        None
    }
}

/// One lock per layer digest being pulled.
#[derive(Default)]
pub(crate) struct SingleFlight {
    locks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

impl SingleFlight {
    pub(crate) async fn claim(&self, digest: &str) -> tokio::sync::OwnedMutexGuard<()> {
        let lock = {
            let mut locks = self.locks.lock().unwrap_or_else(|p| p.into_inner());
            // Forget locks nobody holds any more, so the map stays small.
            locks.retain(|_, l| Arc::strong_count(l) > 1);
            locks.entry(digest.to_string()).or_default().clone()
        };
        lock.lock_owned().await
    }
}

/// Facts persisted in the store (zstd-compressed JSON: dpkg status files compress ~10×).
pub struct StoreLayerCache {
    store: Arc<dyn Store>,
    flights: SingleFlight,
}

impl StoreLayerCache {
    pub fn new(store: Arc<dyn Store>) -> StoreLayerCache {
        StoreLayerCache {
            store,
            flights: SingleFlight::default(),
        }
    }
}

#[async_trait::async_trait]
impl LayerCache for StoreLayerCache {
    async fn get(&self, digest: &str) -> Option<LayerFacts> {
        let bytes = self.store.layer_facts(digest).await.ok()??;
        let json = zstd::decode_all(bytes.as_slice()).ok()?;
        // A row that no longer parses (an older format) is a cache miss, not an error.
        serde_json::from_slice::<LayerFacts>(&json)
            .ok()
            .filter(|f| f.complete)
    }

    async fn put(&self, facts: &LayerFacts) {
        if !facts.complete {
            return;
        }
        let Ok(json) = serde_json::to_vec(facts) else {
            return;
        };
        let Ok(packed) = zstd::encode_all(json.as_slice(), 3) else {
            return;
        };
        let now = jiff::Timestamp::now().to_string();
        if let Err(e) = self
            .store
            .put_layer_facts(&facts.digest, &packed, &now)
            .await
        {
            tracing::warn!(digest = %facts.digest, error = %e, "could not cache layer facts");
        }
    }

    async fn claim(&self, digest: &str) -> Option<tokio::sync::OwnedMutexGuard<()>> {
        Some(self.flights.claim(digest).await)
    }
}
/// A process-local cache, for one-shot scans.
#[derive(Default)]
pub struct MemoryLayerCache {
    facts: Mutex<HashMap<String, LayerFacts>>,
    flights: SingleFlight,
}

#[async_trait::async_trait]
impl LayerCache for MemoryLayerCache {
    async fn get(&self, digest: &str) -> Option<LayerFacts> {
        self.facts
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(digest)
            .cloned()
    }

    async fn put(&self, facts: &LayerFacts) {
        if facts.complete {
            self.facts
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .insert(facts.digest.clone(), facts.clone());
        }
    }

    async fn claim(&self, digest: &str) -> Option<tokio::sync::OwnedMutexGuard<()>> {
        Some(self.flights.claim(digest).await)
    }
}
