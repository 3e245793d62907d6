//! Persistence for the Console.
//!
//! Callers talk to the [`Store`] trait only; [`SqliteStore`] is the embedded default and a
//! PostgreSQL implementation can follow behind the same trait. Every write is one transaction.
//! Credential secrets are sealed with the [`SecretBox`] before they reach the database, so no
//! plain value is ever written: the database file holds only `encrypted` values.

mod error;
mod records;
mod secrets;
mod sqlite;

pub use error::StoreError;
pub use records::{
    ImageQuery, ImageRecord, JobCounts, JobRecord, ScanRecord, ScanRequestRecord, ScanSpecRecord,
    UserRecord,
};
pub use secrets::{MasterKey, SecretBox};
pub use sqlite::SqliteStore;

use crowsnest_model::credential::{Credential, Secret};
use crowsnest_model::spec::{RegistrySettings, RegistrySpecification};

pub type Result<T> = std::result::Result<T, StoreError>;

/// What the Console persists. Implementations must make each method atomic.
#[async_trait::async_trait]
pub trait Store: Send + Sync + 'static {
    async fn count_users(&self) -> Result<u64>;
    /// Fails with [`StoreError::Conflict`] if the user exists.
    async fn create_user(&self, user: &UserRecord) -> Result<()>;
    async fn user(&self, username: &str) -> Result<Option<UserRecord>>;

    /// All credentials, secrets sealed, ordered by id.
    async fn credentials(&self) -> Result<Vec<Credential>>;
    async fn credential(&self, id: &str) -> Result<Option<Credential>>;
    /// Creates or replaces the credential with this `_id`. Plain secrets are sealed first; a
    /// secret left empty keeps the stored one, so a client can edit a description without
    /// resending the password.
    async fn upsert_credential(&self, credential: Credential) -> Result<()>;
    /// Deletes a credential no registry specification uses. [`StoreError::InUse`] otherwise,
    /// [`StoreError::NotFound`] when there is none.
    async fn delete_credential(&self, id: &str) -> Result<()>;
    /// Registry specifications that reference the credential.
    async fn credential_usages(&self, id: &str) -> Result<Vec<RegistrySpecification>>;
    /// The plain value of a sealed secret, for connecting to a registry. Never log it.
    fn reveal(&self, secret: &Secret) -> Result<String>;

    async fn registry_settings(&self) -> Result<RegistrySettings>;
    /// Replaces every specification. Fails with nothing changed if a `credentialID` names no
    /// credential or an id repeats.
    async fn replace_specifications(&self, specs: &[RegistrySpecification]) -> Result<()>;
    /// Appends one specification unless that would exceed `max`.
    async fn append_specification(&self, spec: &RegistrySpecification, max: usize) -> Result<()>;

    /// A named JSON document of one kind (`policy`, `collection`, …); features own their shapes.
    async fn document(&self, kind: &str, id: &str) -> Result<Option<serde_json::Value>>;
    /// Every document of a kind, ordered by id.
    async fn documents(&self, kind: &str) -> Result<Vec<(String, serde_json::Value)>>;
    /// Creates or replaces a document.
    async fn put_document(&self, kind: &str, id: &str, doc: &serde_json::Value) -> Result<()>;
    /// True if a document was deleted.
    async fn delete_document(&self, kind: &str, id: &str) -> Result<bool>;

    // Scans. Creating a regular scan while another runs is a [`StoreError::Conflict`].
    async fn create_scan(&self, kind: &str, request: &str, now: &str) -> Result<ScanRecord>;
    async fn scan(&self, id: i64) -> Result<Option<ScanRecord>>;
    /// Scans in a state, oldest first.
    async fn scans_in_state(&self, state: &str) -> Result<Vec<ScanRecord>>;
    /// The newest scan of a kind.
    async fn latest_scan(&self, kind: &str) -> Result<Option<ScanRecord>>;
    /// Moves a running scan to an end state; false if it was not running.
    async fn finish_scan(&self, id: i64, state: &str, now: &str) -> Result<bool>;
    async fn put_scan_spec(&self, record: &ScanSpecRecord) -> Result<()>;
    async fn scan_specs(&self, scan_id: i64) -> Result<Vec<ScanSpecRecord>>;
    /// Adds jobs, skipping any the scan already has for the same image; returns how many were new.
    async fn insert_jobs(&self, jobs: &[JobRecord]) -> Result<u64>;
    /// Takes up to `limit` pending jobs of one spec for `owner` until `lease_until` (Unix seconds).
    async fn claim_jobs(
        &self,
        scan_id: i64,
        spec_id: &str,
        owner: &str,
        lease_until: i64,
        limit: u64,
    ) -> Result<Vec<JobRecord>>;
    /// Ends a job (`done`, `failed`, `cancelled`).
    async fn finish_job(&self, job_id: i64, state: &str, error: &str) -> Result<()>;
    /// Returns running jobs whose lease ended before `now` to pending; how many.
    async fn release_expired_leases(&self, now: i64) -> Result<u64>;
    /// Cancels the pending and running jobs of a scan (of one spec when given).
    async fn cancel_jobs(&self, scan_id: i64, spec_id: Option<&str>) -> Result<u64>;
    async fn job_counts(&self, scan_id: i64, spec_id: Option<&str>) -> Result<JobCounts>;
    async fn jobs(&self, scan_id: i64) -> Result<Vec<JobRecord>>;

    // The layer cache: what a layer contributes, by digest.
    async fn layer_facts(&self, digest: &str) -> Result<Option<Vec<u8>>>;
    async fn put_layer_facts(&self, digest: &str, facts: &[u8], now: &str) -> Result<()>;

    // Image results.
    async fn image(&self, key: &str) -> Result<Option<ImageRecord>>;
    /// Creates or replaces the result of an image; `first_scan_time` of an existing one is kept.
    async fn put_image(&self, record: &ImageRecord) -> Result<()>;
    /// Marks images as still present in their registry.
    async fn touch_images(&self, keys: &[String], now: &str) -> Result<()>;
    /// One page of images and the total count of the filter.
    async fn images(&self, query: &ImageQuery) -> Result<(Vec<ImageRecord>, u64)>;
    /// Every image key with its database build id (for re-matching).
    async fn image_db_versions(&self) -> Result<Vec<(String, String)>>;
    /// Deletes images not seen since `cutoff` (RFC 3339); how many.
    async fn purge_images_unseen_since(&self, cutoff: &str) -> Result<u64>;

    /// Remembers a scan error, keeping the last `keep`.
    async fn push_scan_error(&self, now: &str, message: &str, keep: u64) -> Result<()>;
    /// The most recent errors, newest first.
    async fn scan_errors(&self, limit: u64) -> Result<Vec<String>>;

    async fn record_scan_request(&self, request: &ScanRequestRecord) -> Result<i64>;
    async fn scan_requests(&self) -> Result<Vec<ScanRequestRecord>>;
}
