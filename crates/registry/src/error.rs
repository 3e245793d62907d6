//! The one error type of this crate. Every variant names what failed (a URL or an object such as
//! `manifest repo:tag`) so that a message is useful on its own in a discovery report or a log line.
//!
//! Whether waiting helps is a property of the variant ([`RegistryError::is_transient`]): a
//! transport failure is sorted once, where the HTTP stack's error is turned into ours, into
//! [`Unreachable`](RegistryError::Unreachable) (the registry went away),
//! [`Interrupted`](RegistryError::Interrupted) (a body stopped mid-transfer) or plain
//! [`Transport`](RegistryError::Transport) (DNS, TLS and the rest, which waiting does not fix).

/// Why a registry operation failed.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    /// The `registry` field could not be turned into a base URL.
    #[error("invalid registry address {address:?}: {reason}")]
    InvalidAddress { address: String, reason: String },
    /// The CA bundle, client certificate or TLS stack could not be set up.
    #[error("TLS setup failed: {0}")]
    Tls(String),
    /// A transport failure that waiting does not fix: DNS, TLS handshake or certificate, and
    /// whatever else the HTTP stack reports that is not one of the two below.
    #[error("{url}: {message}")]
    Transport { url: String, message: String },
    /// The registry could not be reached or dropped the connection: refused, reset, closed,
    /// aborted, broken pipe (a registry restarting, a load balancer without a backend).
    #[error("{url}: {message}")]
    Unreachable { url: String, message: String },
    /// A response body that stopped before its end (the stream was cut short).
    #[error("{url}: {message}")]
    Interrupted { url: String, message: String },
    /// No response (or no further body bytes) within the per-request timeout, on every attempt.
    #[error("{url}: no answer within {seconds:.1} s after {attempts} attempt(s)")]
    Timeout {
        url: String,
        seconds: f64,
        attempts: u32,
    },
    /// A final non-success status; `message` carries the registry's own error code and text.
    #[error("{url}: HTTP {status}{}", if message.is_empty() { String::new() } else { format!(": {message}") })]
    Status {
        url: String,
        status: u16,
        message: String,
    },
    /// 401 without any `WWW-Authenticate` header: there is no way to know how to log in.
    #[error("{url}: HTTP 401 without a WWW-Authenticate challenge")]
    UnauthorizedNoChallenge { url: String },
    /// Credentials missing or refused, or the token service failed.
    #[error("{url}: authentication failed: {message}")]
    Auth { url: String, message: String },
    /// Content whose sha256 differs from the digest it was asked for or announced with.
    #[error("{what}: digest mismatch: expected {expected}, got {actual}")]
    DigestMismatch {
        what: String,
        expected: String,
        actual: String,
    },
    /// Content whose length differs from its descriptor's size.
    #[error("{what}: size mismatch: expected {expected} bytes, got {actual}")]
    SizeMismatch {
        what: String,
        expected: u64,
        actual: u64,
    },
    /// A body too large to be what it claims to be (a manifest, a config, a JSON page).
    #[error("{what}: larger than the {limit} bytes allowed")]
    TooLarge { what: String, limit: u64 },
    /// A listing longer than a documented discovery limit allows (see
    /// [`DiscoveryLimits`](crate::DiscoveryLimits)); `what` names the registry or repository.
    #[error("{what}: more than {limit} {items}; {hint}")]
    TooMany {
        what: String,
        limit: u64,
        items: &'static str,
        hint: &'static str,
    },
    /// A digest string that is not `sha256:` followed by 64 lower-case hex digits.
    #[error("invalid digest {0:?}: expected sha256:<64 hex digits>")]
    InvalidDigest(String),
    /// JSON that does not parse or lacks what its media type requires.
    #[error("{what}: malformed: {message}")]
    Malformed { what: String, message: String },
    /// The tag holds a Helm chart, signature, attestation, SBOM or other artifact, not an
    /// image: discovery skips it with a note.
    #[error("{what}: {}, not a container image", kind.with_article())]
    NotAnImage {
        what: String,
        kind: crate::ArtifactKind,
    },
    /// A manifest media type this client does not handle.
    #[error("{what}: unsupported media type {media_type:?}")]
    UnsupportedMediaType { what: String, media_type: String },
    /// A multi-platform index without an entry for the requested platform.
    #[error("{what}: no manifest for {wanted} in the index (it has: {available})")]
    NoMatchingPlatform {
        what: String,
        wanted: String,
        available: String,
    },
    /// More redirects than any registry needs, or a redirect without a usable `Location`.
    #[error("{url}: {message}")]
    Redirect { url: String, message: String },
    /// A specification that cannot be discovered as given (bad `versionPattern`, Hub without a
    /// repository, a registry type that has no discovery module yet).
    #[error("{0}")]
    Spec(String),
    /// The specification's credential cannot be used: its secret cannot be unsealed, it does
    /// not hold what its type needs, or its type is not supported for registry scanning yet.
    #[error("credential {id:?}: {message}")]
    Credential { id: String, message: String },
}

impl RegistryError {
    /// The HTTP status of a [`RegistryError::Status`], for callers that treat 404 specially.
    pub fn status(&self) -> Option<u16> {
        match self {
            RegistryError::Status { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// True when the registry was unreachable, overloaded or cut the transfer: a timeout, a
    /// connection that could not be made or was dropped, a body cut short, or HTTP 408, 429,
    /// 502, 503 or 504. Such a request is worth trying again a little later; content, auth and
    /// TLS errors will not change by waiting. 500 is left out: a registry that fails one object
    /// persistently answers it.
    pub fn is_transient(&self) -> bool {
        match self {
            RegistryError::Timeout { .. }
            | RegistryError::Unreachable { .. }
            | RegistryError::Interrupted { .. } => true,
            RegistryError::Status { status, .. } => matches!(status, 408 | 429 | 502 | 503 | 504),
            _ => false,
        }
    }

    /// A blob stream that ended early, for a consumer that reads the blob itself and sees the
    /// failure as an I/O error (`url` names the blob).
    pub fn interrupted(url: impl Into<String>, message: impl Into<String>) -> RegistryError {
        RegistryError::Interrupted {
            url: url.into(),
            message: message.into(),
        }
    }

    pub(crate) fn malformed(what: impl Into<String>, message: impl ToString) -> RegistryError {
        RegistryError::Malformed {
            what: what.into(),
            message: message.to_string(),
        }
    }
}
