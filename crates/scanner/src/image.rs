//! One image from a registry to an inventory: resolve the manifest for the platform, read the
//! config, then for each layer take its facts from the cache or stream the blob through the
//! analyzer on a blocking thread (never buffered whole), and merge.
//!
//! A layer whose stream fails its digest or size check, or ends early, fails the image: a
//! partial answer would silently miss packages.

use crate::cache::LayerCache;
use crate::error::ScanError;
use crowsnest_analyzer::{Analyzer, LayerFacts};
use crowsnest_model::Inventory;
use crowsnest_registry::{RegistryClient, TargetPlatform};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

/// What the pipeline learned about one image.
#[derive(Debug, Clone)]
pub struct AnalyzedImage {
    pub manifest_digest: String,
    /// The config digest: Prisma's image `id`.
    pub image_id: String,
    /// Layer blob digests, bottom first.
    pub layers: Vec<String>,
    /// The config's `rootfs.diff_ids`.
    pub diff_ids: Vec<String>,
    pub created: Option<jiff::Timestamp>,
    pub os: String,
    pub architecture: String,
    pub inventory: Inventory,
    /// Compressed bytes pulled (cached layers pull nothing).
    pub pulled_bytes: u64,
    pub layers_from_cache: usize,
    pub pull: Duration,
    pub analysis: Duration,
}

/// Pulls and analyses `repo` at `reference` (tag or digest).
pub async fn analyze_registry_image(
    client: &RegistryClient,
    repo: &str,
    reference: &str,
    platform: TargetPlatform,
    analyzer: &Analyzer,
    cache: &dyn LayerCache,
    cancel: &CancellationToken,
) -> Result<AnalyzedImage, ScanError> {
    let image = if reference.starts_with("sha256:") {
        format!("{}/{repo}@{reference}", client.registry())
    } else {
        format!("{}/{repo}:{reference}", client.registry())
    };
    let registry_err = |source| ScanError::Registry {
        image: image.clone(),
        source,
    };
    let started = Instant::now();
    let manifest = client
        .manifest(repo, reference, platform)
        .await
        .map_err(registry_err)?;
    let config_desc = manifest.config.clone().ok_or_else(|| ScanError::Analysis {
        image: image.clone(),
        message: format!(
            "manifest {} ({}) has no config blob; schema 1 images cannot be analysed",
            manifest.digest, manifest.media_type
        ),
    })?;
    let config = client
        .config(repo, &config_desc)
        .await
        .map_err(registry_err)?;
    let mut facts: Vec<LayerFacts> = Vec::with_capacity(manifest.layers.len());
    let mut pulled_bytes = 0;
    let mut from_cache = 0;
    let mut analysis = Duration::ZERO;
    for desc in &manifest.layers {
        if cancel.is_cancelled() {
            return Err(ScanError::Cancelled { image });
        }
        let digest = desc.digest.to_string();
        // Another image may be pulling this very layer: wait for it, then take its facts.
        let _flight = cache.claim(&digest).await;
        if let Some(cached) = cache.get(&digest).await {
            from_cache += 1;
            facts.push(cached);
            continue;
        }
        let blob = client.blob(repo, desc).await.map_err(registry_err)?;
        let broken = Arc::new(std::sync::Mutex::new(None));
        let reader = BrokenStreamWatch {
            inner: blob.into_blocking(),
            broken: broken.clone(),
        };
        let worker = analyzer.clone();
        let layer_digest = digest.clone();
        let t = Instant::now();
        let job = tokio::task::spawn_blocking(move || worker.analyze_layer(&layer_digest, reader));
        let layer = tokio::select! {
            r = job => r.map_err(|e| ScanError::Analysis { image: image.clone(), message: format!("layer {digest}: analysis task failed: {e}") })?,
            _ = cancel.cancelled() => return Err(ScanError::Cancelled { image }),
        };
        analysis += t.elapsed();
        if !layer.complete {
            // The connection broke (the registry went away mid-layer): a transient failure the
            // engine may retry, unlike a layer whose content is wrong.
            if let Some(message) = broken.lock().unwrap_or_else(|p| p.into_inner()).take() {
                return Err(registry_err(
                    crowsnest_registry::RegistryError::interrupted(
                        format!("{}/v2/{repo}/blobs/{digest}", client.registry()),
                        message,
                    ),
                ));
            }
            let why = layer
                .warnings
                .last()
                .cloned()
                .unwrap_or_else(|| "the stream ended early".into());
            return Err(ScanError::Analysis {
                image,
                message: format!("layer {digest}: {why}"),
            });
        }
        pulled_bytes += desc.size.unwrap_or(0);
        cache.put(&layer).await;
        facts.push(layer);
    }
    let pull = started.elapsed().saturating_sub(analysis);
    let t = Instant::now();
    let raw = Arc::new(config.raw.clone());
    let merger = analyzer.clone();
    let inventory = tokio::task::spawn_blocking(move || merger.inventory(&raw, &facts))
        .await
        .map_err(|e| ScanError::Analysis {
            image: image.clone(),
            message: format!("merge task failed: {e}"),
        })?
        .map_err(|e| ScanError::Analysis {
            image: image.clone(),
            message: e.to_string(),
        })?;
    analysis += t.elapsed();
    Ok(AnalyzedImage {
        manifest_digest: manifest.digest.to_string(),
        image_id: config_desc.digest.to_string(),
        layers: manifest
            .layers
            .iter()
            .map(|d| d.digest.to_string())
            .collect(),
        diff_ids: config.diff_ids.clone(),
        created: config.created.or(manifest.created),
        os: config.os.clone(),
        architecture: config.architecture.clone(),
        inventory,
        pulled_bytes,
        layers_from_cache: from_cache,
        pull,
        analysis,
    })
}

/// A blob reader that remembers the first read error not about the content. The blob stream
/// reports a size or digest mismatch as `InvalidData`; any other error means the transfer itself
/// failed (connection reset or closed mid-body), which the analyzer cannot tell apart from the
/// end of a short layer.
struct BrokenStreamWatch<R> {
    inner: R,
    broken: Arc<std::sync::Mutex<Option<String>>>,
}

impl<R: std::io::Read> std::io::Read for BrokenStreamWatch<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.inner.read(buf).inspect_err(|e| {
            if e.kind() != std::io::ErrorKind::InvalidData {
                self.broken
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .get_or_insert_with(|| e.to_string());
            }
        })
    }
}
