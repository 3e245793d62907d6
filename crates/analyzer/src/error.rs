//! The crate's typed errors: [`Error`] for whole-image failures (a missing manifest, an unreadable
//! source) and [`ParseError`] for one file or layer that could not be understood. A `ParseError`
//! never stops an analysis: it becomes a warning in the inventory and the rest goes on.

use std::io;

/// Why an image could not be analysed at all.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: io::Error,
    },
    #[error("invalid image reference {0:?}: expected oci:DIR[:tag] or docker-archive:FILE")]
    BadReference(String),
    #[error(
        "registry references are not yet supported by the analyzer ({0}); use oci:DIR or docker-archive:FILE"
    )]
    RegistryNotSupported(String),
    #[error("invalid image: {0}")]
    Image(String),
    #[error("no image matches {0}")]
    NotFound(String),
}

impl Error {
    pub(crate) fn io(path: impl Into<String>, source: io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}

/// Why one file or layer could not be read; reported as a warning, never fatal.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("malformed: {0}")]
    Malformed(String),
    #[error("not a {0}")]
    WrongFormat(&'static str),
    #[error("larger than the {limit}-byte cap ({what})")]
    TooLarge { what: &'static str, limit: u64 },
    #[error("unsupported: {0}")]
    Unsupported(String),
    #[error("read error: {0}")]
    Io(String),
}

impl ParseError {
    pub(crate) fn malformed(msg: impl Into<String>) -> Self {
        ParseError::Malformed(msg.into())
    }
}

impl From<io::Error> for ParseError {
    fn from(e: io::Error) -> Self {
        ParseError::Io(e.to_string())
    }
}

impl From<serde_json::Error> for ParseError {
    fn from(e: serde_json::Error) -> Self {
        ParseError::Malformed(format!("JSON: {e}"))
    }
}
