//! Why a user-supplied filter input (VEX document, ignore file, severity or status list) was
//! rejected. Every variant names the file or the word, so the CLI can print it as is.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("{path}: {message}")]
    Vex { path: PathBuf, message: String },
    #[error("{path}, line {line}: {message}")]
    Ignore {
        path: PathBuf,
        line: usize,
        message: String,
    },
    #[error("unknown severity {0:?} (UNKNOWN, LOW, MEDIUM, HIGH, CRITICAL)")]
    Severity(String),
    #[error("unknown status {0:?} (fixed, open, will_not_fix, deferred)")]
    Status(String),
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}
