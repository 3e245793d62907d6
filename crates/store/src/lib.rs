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
pub use records::{ScanRequestRecord, UserRecord};
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

    async fn record_scan_request(&self, request: &ScanRequestRecord) -> Result<i64>;
    async fn scan_requests(&self) -> Result<Vec<ScanRequestRecord>>;
}
