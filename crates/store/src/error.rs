//! The store's error type. The console maps each kind onto an HTTP status in one place.

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{0} not found")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    /// A credential is referenced by registry specifications (their repositories listed).
    #[error("credential {id:?} is in use by registry scan settings: {usages}")]
    InUse { id: String, usages: String },
    #[error("credential {0:?} does not exist")]
    UnknownCredential(String),
    #[error("limit exceeded: {0}")]
    Limit(String),
    #[error("secret cannot be decrypted with this master key")]
    Decrypt,
    #[error("master key: {0}")]
    MasterKey(String),
    /// The store holds secrets sealed with another master key: opening it with this one would
    /// make every stored credential unusable, so the store refuses to open.
    #[error(
        "the master key cannot open {0}: every node sharing a database must start with the same \
         CROWSNEST_MASTER_KEY (the key of the node that first opened it)"
    )]
    WrongMasterKey(String),
    #[error(
        "unsupported database URL {0:?}: use sqlite://PATH or postgres://USER:PASSWORD@HOST:PORT/DATABASE"
    )]
    UnsupportedUrl(String),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    /// A row holds a state no variant knows (written by a newer version, or damaged).
    #[error("stored {what} {value:?} is not known to this version")]
    UnknownState { what: &'static str, value: String },
    #[error("stored document is corrupt: {0}")]
    Corrupt(#[from] serde_json::Error),
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
}
