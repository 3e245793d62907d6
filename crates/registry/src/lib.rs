//! Crowsnest's registry layer: an OCI distribution client and registry discovery.
//!
//! **Client.** [`RegistryClient`] speaks to one registry endpoint (`host:port`, `https://…`,
//! `http://…`, optionally with a path prefix). It authenticates anonymously, with HTTP Basic,
//! with the bearer-token flow (challenge → token realm with or without Basic → `token` or
//! `access_token`, cached per scope until expiry, asked again on 401), or with a TLS client
//! certificate, trusting an extra CA or none ([`Credentials`]). Every request runs through one
//! loop: a per-host concurrency permit, a per-request timeout, bounded retries with backoff on
//! 408/429/5xx/timeouts honouring `Retry-After`, and redirects followed by hand so that the
//! `Authorization` header never leaves the registry's origin.
//!
//! ```text
//! catalog()                      -> Vec<String>          (/v2/_catalog, paginated via Link)
//! tags(repo)                     -> Vec<String>          (/v2/<repo>/tags/list, paginated)
//! catalog_listing / tag_listing  -> Listing              (the same, one page at a time)
//! manifest(repo, ref, platform)  -> ResolvedManifest     (index → platform entry; digest checked)
//! head_manifest / head_blob      -> Option<…>            (digest / size checks without bodies)
//! config(repo, &desc)            -> ImageConfig          (size + digest checked, then parsed)
//! blob(repo, &desc)              -> BlobReader           (AsyncRead, sha256 verified at EOF)
//! ```
//!
//! Blocking consumers read a layer with [`BlobReader::into_blocking`] (tokio-util's
//! `SyncIoBridge`): create it inside the runtime, read it in `spawn_blocking`; a digest or size
//! mismatch or a short body surfaces as an `io::Error` of kind `InvalidData` at the end.
//!
//! **Connection.** [`connect`] turns a validated [`ScanTarget`](crowsnest_model::ScanTarget) and
//! its stored credential into a [`Connection`]: the pull client and the discovery [`Source`] of
//! the registry type, built once with one set of TLS material. It is the only place a stored
//! credential becomes [`RegistryAuth`] and its secrets are unsealed (by the caller's `reveal`).
//! A [`TokenProvider`] gives logins that expire; [`RefreshingToken`] asks again before they do.
//!
//! **Discovery.** [`Connection::discover`] (or [`discover`] with resolved credentials) turns a
//! target into a [`DiscoveryReport`]: repositories by pattern and exclusions, tags by pattern and
//! exclusions, then `cap` by config `created` date or `versionPattern` ordering without manifest
//! fetches. Per-image failures are reported with registry, repository and tag while the rest
//! continue. Listings are read page by page and everything kept is bounded ([`DiscoveryLimits`],
//! [`ClientOptions::max_page_bytes`], [`ClientOptions::max_list_entries`]); a date cap on a
//! repository of more than [`DATE_CAP_CANDIDATES`] selected tags resolves only that many
//! candidates, chosen by natural version order of their names. Registry types plug in as one [`Source`] module each; type `"2"` (and Docker Hub for
//! an empty `registry`) is implemented.
//!
//! This crate knows nothing of the credential store beyond the `reveal` callback it is handed.
//!
//! **Errors.** [`RegistryError::is_transient`] says whether waiting may help, by variant.

mod artifact;
mod auth;
mod blob;
mod client;
mod config;
mod connect;
mod digest;
mod discovery;
mod endpoints;
mod error;
mod manifest;

pub use artifact::{ArtifactKind, classify_manifest, classify_tag};
pub use auth::{
    AwsIdentity, Credentials, ProvidedToken, RefreshingToken, RegistryAuth, TokenProvider,
};
pub use blob::BlobReader;
pub use client::{
    ClientOptions, Listing, MAX_LIST_ENTRIES, MAX_PAGE_BYTES, ManifestHead, RegistryClient,
    ResolvedManifest, Visit,
};
pub use config::{HistoryEntry, ImageConfig};
pub use connect::{Connection, connect};
pub use digest::Digest;
pub use discovery::{
    DATE_CAP_CANDIDATES, DOCKER_HUB_NAME, DOCKER_HUB_REGISTRY, DOCKER_HUB_TOKEN_REALM,
    DiscoveredImage, DiscoveryError, DiscoveryLimits, DiscoveryOptions, DiscoveryReport,
    ImageFacts, ListedTag, MAX_IMAGES, MAX_REPOSITORIES, MAX_SKIPPED_NOTED,
    MAX_TAGS_PER_REPOSITORY, SkippedArtifact, Source, TagKey, TagVisit, V2Source, VersionPattern,
    discover, run as run_discovery, run_limited as run_discovery_limited,
};
pub use endpoints::{VENDOR_VARIABLES, VendorEndpoints};
pub use error::RegistryError;
pub use manifest::{
    DOCKER_LIST, DOCKER_MANIFEST, DOCKER_SCHEMA1, DOCKER_SCHEMA1_SIGNED, Descriptor, ImageManifest,
    Index, Manifest, OCI_INDEX, OCI_MANIFEST, Platform, TargetPlatform, parse_manifest,
};
