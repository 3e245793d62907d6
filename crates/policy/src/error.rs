//! The one error type of this crate: every way a policy, a collection or a CSV write can fail.

/// What went wrong, with a message fit for a `{"err"}` body.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    /// A policy, rule or collection that breaks a rule of the API (bad name, thresholds out of
    /// order, unknown policy type, unparsable date…).
    #[error("{0}")]
    Invalid(String),
    /// A stored document that is not the shape this crate writes.
    #[error("stored {what} is not valid: {source}")]
    Document {
        what: String,
        #[source]
        source: serde_json::Error,
    },
    /// The CSV sink failed (a closed socket, a full disk).
    #[error("cannot write the CSV report: {0}")]
    Csv(#[from] csv::Error),
}

impl PolicyError {
    pub(crate) fn invalid(message: impl Into<String>) -> PolicyError {
        PolicyError::Invalid(message.into())
    }
}
