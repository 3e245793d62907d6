//! Crowsnest's scanner: from registry specifications to stored, matched image results.
//!
//! [`Engine`] owns scan jobs (persisted in the store, resumable, stoppable, shareable through
//! leases); [`analyze_registry_image`] is the single-image pipeline the engine and the one-shot
//! CLI share (manifest → config → each layer from the [`LayerCache`] or streamed through the
//! analyzer → inventory); [`report`] turns an inventory and its findings into Prisma's
//! `ImageScanResult`.

mod cache;
mod engine;
mod error;
mod image;
pub mod report;

pub use cache::{LayerCache, MemoryLayerCache, StoreLayerCache};
pub use engine::{Engine, EngineConfig, Step, WorkerOptions, assess, evaluate, match_findings};
pub use error::ScanError;
pub use image::{AnalyzedImage, analyze_registry_image};
