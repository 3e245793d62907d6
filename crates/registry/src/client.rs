//! [`RegistryClient`]: one registry endpoint spoken to over the OCI distribution API.
//!
//! The client owns a reqwest client configured for the endpoint's TLS trust and client
//! certificate, the learned auth scheme with its token cache, a request counter, and a share of
//! the process-wide per-host concurrency limit. Public methods map one distribution operation
//! each (catalog, tags, manifest, config, blob, HEADs) onto [`transport`]'s attempt loop and
//! verify what comes back: manifests and configs against their digests before parsing, blobs
//! while they stream.

pub(crate) mod paging;
pub use paging::{Listing, Visit};
pub(crate) mod retry;
pub(crate) mod transport;

use crate::artifact::ArtifactKind;
use crate::auth::{Credentials, RegistryAuth, Scheme, TokenCache};
use crate::blob::BlobReader;
use crate::manifest::{MANIFEST_ACCEPT, Manifest, Platform, TargetPlatform, parse_manifest};
use crate::{Descriptor, Digest, ImageConfig, RegistryError};
use bytes::Bytes;
use jiff::Timestamp;
use reqwest::header::CONTENT_TYPE;
use reqwest::{Method, Url};
use std::collections::HashMap;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, LazyLock, Mutex};
use std::time::Duration;
use tokio::sync::Semaphore;
pub(crate) use transport::transport_error;
use transport::{Call, Want};

/// Manifests are at most 4 MiB in distribution; twice that leaves room for other registries.
const MANIFEST_LIMIT: u64 = 8 << 20;
const CONFIG_LIMIT: u64 = 16 << 20;
/// Pages in one listing. A registry that keeps answering "next" is broken, not big.
const MAX_PAGES: usize = 100_000;
/// Default of [`ClientOptions::max_page_bytes`]: room for about half a million typical tags in
/// one page, for registries that ignore paging.
pub const MAX_PAGE_BYTES: u64 = 16 << 20;
/// Default of [`ClientOptions::max_list_entries`].
pub const MAX_LIST_ENTRIES: u64 = 2_000_000;

/// Tunables for one client. The defaults suit a scan; tests shorten the timeouts.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// Time allowed for the response headers, for a whole small body, and between two chunks
    /// of a streamed blob.
    pub request_timeout: Duration,
    pub connect_timeout: Duration,
    /// Attempts per request for 408/429/5xx, timeouts and transport errors (1 = no retry).
    pub max_attempts: u32,
    pub initial_backoff: Duration,
    /// Upper bound for one wait, including a server's `Retry-After`.
    pub max_backoff: Duration,
    /// Requests in flight per registry host, shared by every client of that host in the process
    /// (the first client to name a host fixes its limit). A request holds its permit until the
    /// response headers (or a small body) arrive; a streamed blob body does not, so a consumer
    /// that opens several layers before reading them cannot starve itself.
    pub max_concurrency_per_host: usize,
    /// `n` for catalog and tags pages; `None` lets the registry choose.
    pub page_size: Option<usize>,
    /// Largest catalog or tags page body accepted ([`MAX_PAGE_BYTES`]); a larger one is
    /// [`RegistryError::TooLarge`].
    pub max_page_bytes: u64,
    /// Names read from one listing (a catalog, or one repository's tags) over all its pages
    /// ([`MAX_LIST_ENTRIES`]); one more is [`RegistryError::TooMany`].
    pub max_list_entries: u64,
    pub user_agent: String,
}

impl Default for ClientOptions {
    fn default() -> ClientOptions {
        ClientOptions {
            request_timeout: Duration::from_secs(60),
            connect_timeout: Duration::from_secs(10),
            max_attempts: 4,
            initial_backoff: Duration::from_millis(250),
            max_backoff: Duration::from_secs(30),
            max_concurrency_per_host: 8,
            page_size: None,
            max_page_bytes: MAX_PAGE_BYTES,
            max_list_entries: MAX_LIST_ENTRIES,
            user_agent: concat!("crowsnest/", env!("CARGO_PKG_VERSION")).to_string(),
        }
    }
}

/// A client for one registry endpoint. Cheap to clone; clones share state.
#[derive(Debug, Clone)]
pub struct RegistryClient {
    inner: Arc<Inner>,
}

#[derive(Debug)]
pub(crate) struct Inner {
    http: reqwest::Client,
    /// Scheme, host, port and optional path prefix (an Artifactory repo key), no trailing slash.
    base: Url,
    name: String,
    creds: Credentials,
    opts: ClientOptions,
    scheme: Mutex<Scheme>,
    tokens: Mutex<TokenCache>,
    token_fetch: tokio::sync::Mutex<()>,
    limit: Arc<Semaphore>,
    requests: AtomicU64,
}

/// What [`RegistryClient::manifest`] resolved a reference to.
#[derive(Debug, Clone)]
pub struct ResolvedManifest {
    /// Digest of the single-platform image manifest (the index entry when the tag is an index).
    pub digest: Digest,
    pub media_type: String,
    /// `None` only for Docker schema 1.
    pub config: Option<Descriptor>,
    /// Bottom layer first.
    pub layers: Vec<Descriptor>,
    /// Schema 1 carries its creation date in the manifest; for the others read the config.
    pub created: Option<Timestamp>,
    /// Set when the reference named an index or manifest list.
    pub index_digest: Option<Digest>,
    pub platform: Option<Platform>,
    /// The verified image manifest bytes.
    pub raw: Bytes,
    /// Set when the manifest holds a Helm chart, signature, SBOM or other non-image artifact.
    pub artifact: Option<ArtifactKind>,
}

/// What a HEAD on a manifest says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestHead {
    pub digest: Option<Digest>,
    pub media_type: Option<String>,
    pub size: Option<u64>,
}

static HOST_LIMITS: LazyLock<Mutex<HashMap<String, Arc<Semaphore>>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

fn host_limit(base: &Url, permits: usize) -> Arc<Semaphore> {
    let key = format!(
        "{}:{}",
        base.host_str().unwrap_or(""),
        base.port_or_known_default().unwrap_or(0)
    );
    HOST_LIMITS
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .entry(key)
        .or_insert_with(|| Arc::new(Semaphore::new(permits.max(1))))
        .clone()
}

/// Turns a specification's `registry` into a base URL: https unless `http://` is written, any
/// path kept as a prefix (Artifactory's `/artifactory/api/docker/<repo-key>`), a trailing `/v2`
/// dropped since every request adds it.
pub(crate) fn base_url(address: &str) -> Result<Url, RegistryError> {
    let bad = |reason: &str| RegistryError::InvalidAddress {
        address: address.to_string(),
        reason: reason.to_string(),
    };
    let a = address.trim();
    if a.is_empty() {
        return Err(bad("empty"));
    }
    let with_scheme = if a.contains("://") {
        a.to_string()
    } else {
        format!("https://{a}")
    };
    let mut url = Url::parse(&with_scheme).map_err(|e| bad(&e.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(bad("scheme must be http or https"));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(bad("no host"));
    }
    if url.query().is_some() || url.fragment().is_some() || !url.username().is_empty() {
        return Err(bad("no query, fragment or user info allowed"));
    }
    let path = url.path().trim_end_matches('/');
    let path = path.strip_suffix("/v2").unwrap_or(path).to_string();
    url.set_path(&path);
    Ok(url)
}

pub(crate) fn build_http(
    creds: &Credentials,
    opts: &ClientOptions,
) -> Result<reqwest::Client, RegistryError> {
    // reqwest is built without a crypto provider so that aws-lc is never compiled; ring is
    // installed process-wide here. A second install fails harmlessly.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut b = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(opts.connect_timeout)
        .read_timeout(opts.request_timeout)
        .user_agent(opts.user_agent.clone());
    if let Some(pem) = creds
        .ca_cert_pem
        .as_deref()
        .filter(|p| !p.trim().is_empty())
    {
        let certs = reqwest::Certificate::from_pem_bundle(pem.as_bytes())
            .map_err(|e| RegistryError::Tls(format!("CA certificate: {e}")))?;
        if certs.is_empty() {
            return Err(RegistryError::Tls(
                "CA certificate: no PEM certificate found".into(),
            ));
        }
        b = b.tls_certs_merge(certs);
    }
    if creds.skip_verify {
        b = b.tls_danger_accept_invalid_certs(true);
    }
    if let RegistryAuth::ClientCert { cert_pem, key_pem } = &creds.auth {
        let id = reqwest::Identity::from_pem(format!("{cert_pem}\n{key_pem}").as_bytes())
            .map_err(|e| RegistryError::Tls(format!("client certificate: {e}")))?;
        b = b.identity(id);
    }
    b.build().map_err(|e| RegistryError::Tls(e.to_string()))
}

impl RegistryClient {
    /// A client for `address` (`host:port`, `https://host`, `http://host:port/prefix`).
    pub fn new(
        address: &str,
        creds: Credentials,
        opts: ClientOptions,
    ) -> Result<RegistryClient, RegistryError> {
        let base = base_url(address)?;
        let http = build_http(&creds, &opts)?;
        let limit = host_limit(&base, opts.max_concurrency_per_host);
        Ok(RegistryClient {
            inner: Arc::new(Inner {
                http,
                name: address.trim().to_string(),
                base,
                creds,
                opts,
                scheme: Mutex::new(Scheme::Unknown),
                tokens: Mutex::new(TokenCache::default()),
                token_fetch: tokio::sync::Mutex::new(()),
                limit,
                requests: AtomicU64::new(0),
            }),
        })
    }

    /// The registry as it was named when the client was made (used in reports).
    pub fn registry(&self) -> &str {
        &self.inner.name
    }

    /// HTTP requests sent so far, token requests and retries included.
    pub fn requests_sent(&self) -> u64 {
        self.inner
            .requests
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    fn url(&self, path_and_query: &str) -> Url {
        let mut s = self.inner.base.as_str().trim_end_matches('/').to_string();
        s.push_str(path_and_query);
        // The base and our paths are valid, so this only fails for a hostile repository name,
        // which then falls back to the bare base and gets a 404.
        Url::parse(&s).unwrap_or_else(|_| self.inner.base.clone())
    }

    /// `GET /v2/`: checks reachability and credentials, and learns the auth scheme.
    pub async fn ping(&self) -> Result<(), RegistryError> {
        let call = Call {
            method: Method::GET,
            url: self.url("/v2/"),
            accept: None,
            scope: None,
        };
        self.inner
            .call(call, Want::Bytes(1 << 16))
            .await
            .map(|_| ())
    }

    /// Every repository in `/v2/_catalog`, following pagination (bounded: see [`Listing`]).
    pub async fn catalog(&self) -> Result<Vec<String>, RegistryError> {
        self.catalog_listing().collect().await
    }

    /// Every tag of `repo`, following pagination (bounded: see [`Listing`]). A repository
    /// without tags gives an empty list.
    pub async fn tags(&self, repo: &str) -> Result<Vec<String>, RegistryError> {
        self.tag_listing(repo)?.collect().await
    }

    /// `/v2/_catalog`, to be read one page at a time.
    pub fn catalog_listing(&self) -> Listing {
        let first = self.url(&self.paged("/v2/_catalog"));
        Listing::new(
            self.clone(),
            format!("catalog of {}", self.registry()),
            "repository names listed",
            "repositories",
            "registry:catalog:*".into(),
            first,
        )
    }

    /// `repo`'s tag list, to be read one page at a time.
    pub fn tag_listing(&self, repo: &str) -> Result<Listing, RegistryError> {
        check_repo(repo)?;
        let first = self.url(&self.paged(&format!("/v2/{repo}/tags/list")));
        Ok(Listing::new(
            self.clone(),
            format!("tags of {repo} at {}", self.registry()),
            "tags listed",
            "tags",
            pull_scope(repo),
            first,
        ))
    }

    fn paged(&self, path: &str) -> String {
        match self.inner.opts.page_size {
            Some(n) => format!("{path}?n={n}"),
            None => path.to_string(),
        }
    }

    /// Fetches `repo:reference` (a tag or a digest) and, if it is an index or manifest list,
    /// the entry for `platform`. Both documents are checked against their digests: the one in
    /// the reference, else the registry's `Docker-Content-Digest`.
    pub async fn manifest(
        &self,
        repo: &str,
        reference: &str,
        platform: TargetPlatform,
    ) -> Result<ResolvedManifest, RegistryError> {
        let what = object_name("manifest", repo, reference);
        let (m, digest, raw) = self.fetch_manifest(repo, reference, &what).await?;
        match m {
            Manifest::Image(img) => Ok(ResolvedManifest {
                digest,
                media_type: img.media_type,
                config: img.config,
                layers: img.layers,
                created: img.created,
                artifact: img.artifact,
                index_digest: None,
                platform: None,
                raw,
            }),
            Manifest::Index(idx) => {
                let entry = idx
                    .select(platform)
                    .ok_or_else(|| RegistryError::NoMatchingPlatform {
                        what: what.clone(),
                        wanted: platform.to_string(),
                        available: idx.platforms(),
                    })?
                    .clone();
                let child_what = format!("{what} ({platform})");
                let (child, child_digest, child_raw) = self
                    .fetch_manifest(repo, entry.digest.as_str(), &child_what)
                    .await?;
                if let Some(size) = entry.size
                    && size != child_raw.len() as u64
                {
                    return Err(RegistryError::SizeMismatch {
                        what: child_what,
                        expected: size,
                        actual: child_raw.len() as u64,
                    });
                }
                match child {
                    Manifest::Image(img) => Ok(ResolvedManifest {
                        digest: child_digest,
                        media_type: img.media_type,
                        config: img.config,
                        layers: img.layers,
                        created: img.created,
                        index_digest: Some(digest),
                        platform: entry.platform,
                        raw: child_raw,
                        artifact: img.artifact,
                    }),
                    Manifest::Index(_) => Err(RegistryError::malformed(
                        child_what,
                        "an index entry is itself an index",
                    )),
                }
            }
        }
    }

    async fn fetch_manifest(
        &self,
        repo: &str,
        reference: &str,
        what: &str,
    ) -> Result<(Manifest, Digest, Bytes), RegistryError> {
        check_repo(repo)?;
        check_reference(reference)?;
        let reply = self
            .inner
            .call(
                Call {
                    method: Method::GET,
                    url: self.url(&format!("/v2/{repo}/manifests/{reference}")),
                    accept: Some(MANIFEST_ACCEPT),
                    scope: Some(pull_scope(repo)),
                },
                Want::Bytes(MANIFEST_LIMIT),
            )
            .await?;
        let content_type = reply
            .headers
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok());
        let (m, digest) = parse_manifest(what, &reply.body, content_type)?;
        let expected = Digest::parse(reference).ok().or_else(|| {
            reply
                .headers
                .get("docker-content-digest")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| Digest::parse(v).ok())
        });
        if let Some(expected) = expected
            && expected != digest
        {
            return Err(RegistryError::DigestMismatch {
                what: what.to_string(),
                expected: expected.to_string(),
                actual: digest.to_string(),
            });
        }
        Ok((m, digest, reply.body))
    }

    /// `HEAD` on a manifest: its digest and type without the body. `None` when it does not exist.
    pub async fn head_manifest(
        &self,
        repo: &str,
        reference: &str,
    ) -> Result<Option<ManifestHead>, RegistryError> {
        check_repo(repo)?;
        check_reference(reference)?;
        let call = Call {
            method: Method::HEAD,
            url: self.url(&format!("/v2/{repo}/manifests/{reference}")),
            accept: Some(MANIFEST_ACCEPT),
            scope: Some(pull_scope(repo)),
        };
        match self.inner.call(call, Want::Head).await {
            Ok(r) => Ok(Some(ManifestHead {
                digest: r
                    .headers
                    .get("docker-content-digest")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| Digest::parse(v).ok()),
                media_type: r
                    .headers
                    .get(CONTENT_TYPE)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_string),
                size: r
                    .headers
                    .get(reqwest::header::CONTENT_LENGTH)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.parse().ok()),
            })),
            Err(e) if e.status() == Some(404) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// `HEAD` on a blob: its size if the registry has it.
    pub async fn head_blob(
        &self,
        repo: &str,
        digest: &Digest,
    ) -> Result<Option<u64>, RegistryError> {
        check_repo(repo)?;
        let call = Call {
            method: Method::HEAD,
            url: self.url(&format!("/v2/{repo}/blobs/{digest}")),
            accept: None,
            scope: Some(pull_scope(repo)),
        };
        match self.inner.call(call, Want::Head).await {
            Ok(r) => Ok(r
                .headers
                .get(reqwest::header::CONTENT_LENGTH)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse().ok())
                .or(Some(0))),
            Err(e) if e.status() == Some(404) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The image config named by `desc`, checked against its size and digest, then parsed.
    pub async fn config(
        &self,
        repo: &str,
        desc: &Descriptor,
    ) -> Result<ImageConfig, RegistryError> {
        check_repo(repo)?;
        let what = object_name("config", repo, desc.digest.as_str());
        let reply = self
            .inner
            .call(
                Call {
                    method: Method::GET,
                    url: self.url(&format!("/v2/{repo}/blobs/{}", desc.digest)),
                    accept: None,
                    scope: Some(pull_scope(repo)),
                },
                Want::Bytes(CONFIG_LIMIT),
            )
            .await?;
        if let Some(size) = desc.size
            && size != reply.body.len() as u64
        {
            return Err(RegistryError::SizeMismatch {
                what,
                expected: size,
                actual: reply.body.len() as u64,
            });
        }
        desc.digest.verify(&what, &reply.body)?;
        ImageConfig::parse(&what, &reply.body)
    }

    /// Opens the blob named by `desc` as a verifying stream. The body is never buffered whole;
    /// the digest (and size, when the descriptor has one) is checked as bytes pass and a
    /// mismatch or short body fails the read that reaches the end.
    pub async fn blob(&self, repo: &str, desc: &Descriptor) -> Result<BlobReader, RegistryError> {
        check_repo(repo)?;
        let what = object_name("blob", repo, desc.digest.as_str());
        let reply = self
            .inner
            .call(
                Call {
                    method: Method::GET,
                    url: self.url(&format!("/v2/{repo}/blobs/{}", desc.digest)),
                    accept: None,
                    scope: Some(pull_scope(repo)),
                },
                Want::Stream,
            )
            .await?;
        let response = reply
            .response
            .ok_or_else(|| RegistryError::malformed(&what, "no response body to stream"))?;
        if let (Some(size), Some(len)) = (desc.size, response.content_length())
            && size != len
        {
            return Err(RegistryError::SizeMismatch {
                what,
                expected: size,
                actual: len,
            });
        }
        Ok(BlobReader::new(
            what,
            desc.digest.clone(),
            desc.size,
            response,
        ))
    }
}

fn pull_scope(repo: &str) -> String {
    format!("repository:{repo}:pull")
}

fn object_name(kind: &str, repo: &str, reference: &str) -> String {
    if reference.contains(':') {
        format!("{kind} {repo}@{reference}")
    } else {
        format!("{kind} {repo}:{reference}")
    }
}

/// Repository names per the distribution spec: lower-case path components of `[a-z0-9._-]`,
/// separated by `/`. Checked so a name can never change the request path.
fn check_repo(repo: &str) -> Result<(), RegistryError> {
    let ok = !repo.is_empty()
        && repo.len() <= 255
        && repo.split('/').all(|c| {
            !c.is_empty()
                && c != "."
                && c != ".."
                && c.bytes()
                    .all(|b| matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'.' | b'_' | b'-'))
        });
    if ok {
        Ok(())
    } else {
        Err(RegistryError::Spec(format!(
            "invalid repository name {repo:?}"
        )))
    }
}

/// A tag (`[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`) or a digest.
fn check_reference(reference: &str) -> Result<(), RegistryError> {
    if reference.contains(':') {
        return Digest::parse(reference).map(|_| ());
    }
    let ok = !reference.is_empty()
        && reference.len() <= 128
        && !reference.starts_with(['.', '-'])
        && reference
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'));
    if ok {
        Ok(())
    } else {
        Err(RegistryError::Spec(format!("invalid tag {reference:?}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls() {
        let u = |a: &str| base_url(a).map(|u| u.to_string());
        assert_eq!(u("127.0.0.1:5000").unwrap(), "https://127.0.0.1:5000/");
        assert_eq!(
            u("http://127.0.0.1:5000/").unwrap(),
            "http://127.0.0.1:5000/"
        );
        assert_eq!(u("https://h/v2/").unwrap(), "https://h/");
        assert_eq!(
            u("https://h/artifactory/api/docker/key").unwrap(),
            "https://h/artifactory/api/docker/key"
        );
        for bad in ["", "ftp://h", "http://", "https://h/?x=1", "https://u:p@h"] {
            assert!(base_url(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn names_and_references() {
        check_repo("a/b/c").unwrap();
        check_repo("library/alpine").unwrap();
        for bad in ["", "A", "a//b", "a/../b", "a?b", "a b", "/a"] {
            assert!(check_repo(bad).is_err(), "{bad:?}");
        }
        check_reference("1.0.0-rc_1").unwrap();
        check_reference(Digest::of(b"").as_str()).unwrap();
        for bad in ["", "-x", "a/b", "sha256:zz", "a?b"] {
            assert!(check_reference(bad).is_err(), "{bad:?}");
        }
    }

    #[tokio::test]
    async fn bad_tls_material_is_an_error() {
        let creds = Credentials::anonymous().with_ca_cert("not a pem");
        let e = RegistryClient::new("h:1", creds, ClientOptions::default()).unwrap_err();
        assert!(matches!(e, RegistryError::Tls(_)), "{e}");
        let creds = Credentials {
            auth: RegistryAuth::ClientCert {
                cert_pem: "x".into(),
                key_pem: "y".into(),
            },
            ..Credentials::default()
        };
        let e = RegistryClient::new("h:1", creds, ClientOptions::default()).unwrap_err();
        assert!(matches!(e, RegistryError::Tls(_)), "{e}");
    }
}
