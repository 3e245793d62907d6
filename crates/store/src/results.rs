//! The latest result of each image (`registry/repo:tag`), as `GET /registry` pages through it.

use crate::{ImageQuery, ImageRecord, ImageVersion, JobLease, Result};

#[async_trait::async_trait]
pub trait ResultStore: Send + Sync + 'static {
    async fn image(&self, key: &str) -> Result<Option<ImageRecord>>;
    /// The manifest digest and database build of an image's result, without reading the
    /// inventory and result themselves: a warm rescan asks this of every unchanged image.
    async fn image_version(&self, key: &str) -> Result<Option<ImageVersion>>;
    /// Creates or replaces the result of an image; `first_scan_time` of an existing one is kept.
    async fn put_image(&self, record: &ImageRecord) -> Result<()>;
    /// [`put_image`](Self::put_image), in the same statement as a check that `lease` still
    /// holds: the job is running, owned by `lease.owner`, at `lease.attempt`. False, and
    /// nothing written, when it does not (a worker paused past its lease finds its job taken
    /// over and cannot overwrite what the new holder stored).
    async fn put_image_leased(&self, record: &ImageRecord, lease: &JobLease) -> Result<bool>;
    /// Marks images as still present in their registry.
    async fn touch_images(&self, keys: &[String], now: &str) -> Result<()>;
    /// One page of images and the total count of the filter.
    async fn images(&self, query: &ImageQuery) -> Result<(Vec<ImageRecord>, u64)>;
    /// Every image key with its database build id (for re-matching), ordered by key.
    async fn image_db_versions(&self) -> Result<Vec<(String, String)>>;
    /// Deletes images not seen since `cutoff` (RFC 3339); how many.
    async fn purge_images_unseen_since(&self, cutoff: &str) -> Result<u64>;
}
