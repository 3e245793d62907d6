//! Persistence for the Console.
//!
//! What is stored is split by concern into focused traits: [`UserStore`], [`CredentialStore`]
//! (credentials and the registry settings that reference them), [`DocumentStore`],
//! [`ScanQueue`] (scans, their per-specification records, leased jobs and scan errors),
//! [`LayerCacheStore`] and [`ResultStore`]. A caller takes only the part it needs; [`Store`] is
//! all of them, implemented for any type that implements each, so `Arc<dyn Store>` is what the
//! Console passes around. [`SqliteStore`] is the embedded backend (the default);
//! [`PostgresStore`] is the shared one, for several processes on one database. Both pass the
//! same [`contract`] suite (feature `contract`); [`open`] picks one by the URL's scheme.
//!
//! Every method is atomic, and every state that must survive a restart or be shared between
//! processes (a stopped specification, a retry time, a reported progress) lives here, not in
//! the memory of one process. Credential secrets are sealed with the [`SecretBox`] before they
//! reach the database, so no plain value is ever written: the database holds only `encrypted`.

mod credentials;
mod documents;
mod error;
mod layer_cache;
mod postgres;
mod records;
mod results;
mod scan_queue;
mod secrets;
mod sqlite;
mod state;
mod users;

#[cfg(feature = "contract")]
pub mod contract;

pub use credentials::CredentialStore;
pub use documents::DocumentStore;
pub use error::StoreError;
pub use layer_cache::LayerCacheStore;
pub use postgres::PostgresStore;
pub use records::{
    ImageQuery, ImageRecord, ImageVersion, JobCounts, JobLease, JobRecord, ScanRecord,
    ScanSpecRecord, UserRecord,
};
pub use results::ResultStore;
pub use scan_queue::ScanQueue;
pub use secrets::{MasterKey, SecretBox};
pub use sqlite::SqliteStore;
pub use state::{JobState, ScanKind, ScanState, SpecState};
pub use users::UserStore;

/// Opens the store a URL names: `sqlite://PATH` (or `sqlite:PATH`), or `postgres://…` /
/// `postgresql://…`. Any other scheme is [`StoreError::UnsupportedUrl`].
pub async fn open(url: &str, secrets: SecretBox) -> Result<std::sync::Arc<dyn Store>> {
    if url.starts_with("sqlite:") {
        Ok(std::sync::Arc::new(SqliteStore::open(url, secrets).await?))
    } else if is_shared_url(url) {
        Ok(std::sync::Arc::new(
            PostgresStore::open(url, secrets).await?,
        ))
    } else {
        Err(StoreError::UnsupportedUrl(redact_url(url)))
    }
}

/// True for a store URL other processes can share (PostgreSQL): nodes on it lease their jobs
/// and fence their results. A SQLite file belongs to one process.
pub fn is_shared_url(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

/// A database URL without its password, for messages.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => format!("{}://***@{}", &url[..s], &url[at + 1..]),
        _ => url.to_string(),
    }
}

pub type Result<T> = std::result::Result<T, StoreError>;

/// Everything the Console persists: every focused store trait at once.
pub trait Store:
    UserStore + CredentialStore + DocumentStore + ScanQueue + LayerCacheStore + ResultStore
{
}

impl<T> Store for T where
    T: UserStore + CredentialStore + DocumentStore + ScanQueue + LayerCacheStore + ResultStore
{
}

#[cfg(test)]
mod tests {
    #[test]
    fn redacts_passwords() {
        assert_eq!(
            super::redact_url("postgres://u:pw@h/db"),
            "postgres://***@h/db"
        );
        assert_eq!(super::redact_url("sqlite:///data/x"), "sqlite:///data/x");
    }
}
