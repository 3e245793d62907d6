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
        use crowsnest_registry::RegistryError as R;
        let ScanError::Registry { source, .. } = self else {
            return false;
        };
        match source {
            R::Timeout { .. } => true,
            // 500 is left out: a registry that fails one object persistently answers it.
            R::Status { status, .. } => matches!(status, 408 | 429 | 502 | 503 | 504),
            // Certificate and handshake failures also arrive as transport errors; only the
            // symptoms of a registry that went away count.
            R::Transport { message, .. } => {
                let m = message.to_ascii_lowercase();
                [
                    "connection refused",
                    "connection reset",
                    "connection closed",
                    "connection aborted",
                    "broken pipe",
                    "body cut short",
                    "unexpected eof",
                    "incomplete message",
                ]
                .iter()
                .any(|symptom| m.contains(symptom))
            }
            _ => false,
        }
    }
}
