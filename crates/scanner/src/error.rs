//! Why an image or a scan failed. Every message names the registry, repository and tag, because
//! it ends up in `GET /statuses/registry` and in the image's `err` field.

#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    #[error("{image}: {source}")]
    Registry {
        image: String,
        #[source]
        source: crowsnest_registry::RegistryError,
    },
    #[error("{image}: {message}")]
    Analysis { image: String, message: String },
    #[error("{image}: the scan was stopped")]
    Cancelled { image: String },
    /// This node's lease on the image's job ended and another node holds the job now (a
    /// worker paused or cut off past its lease): the result was not stored, the job is the
    /// new holder's.
    #[error("{image}: the job's lease was lost to another node; its result was not stored")]
    LeaseLost { image: String },
    #[error("credential {0:?}: {1}")]
    Credential(String, String),
    #[error("store: {0}")]
    Store(#[from] crowsnest_store::StoreError),
    #[error("vulnerability database: {0}")]
    Database(String),
    #[error("{0}")]
    Request(String),
}

impl ScanError {
    /// True when the registry was unreachable, overloaded or cut the transfer: a registry
    /// restarting, a load balancer without a backend, rate limiting. Such an image is worth
    /// scanning again a little later; content, auth and TLS errors will not change by waiting.
    pub fn is_transient(&self) -> bool {
        matches!(self, ScanError::Registry { source, .. } if source.is_transient())
    }
}
