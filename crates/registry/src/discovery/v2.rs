//! Registry type `"2"`: any Docker Registry v2 / OCI distribution endpoint (also Nexus
//! connectors, Alibaba, single Artifactory repo keys), and Docker Hub when `registry` is empty
//! or any of Hub's names ([`RegistryAddress`](crowsnest_model::RegistryAddress) decides).
//!
//! Repositories come from `/v2/_catalog`, except when the `repository` pattern names exactly
//! one repository: then the catalog is skipped, which also serves registries that refuse it.
//! Docker Hub has no catalog at all, so there the repository must be named, and a one-part
//! name gets Hub's `library/` prefix. A tag resolves to the platform's image manifest and the
//! config's `created` date; configs are cached by digest because many tags share one.

use super::{ImageFacts, ListedTag, Source, TagVisit};
use crate::{Digest, RegistryClient, RegistryError, TargetPlatform, Visit};
use crowsnest_model::ScanTarget;
use crowsnest_model::address::{DOCKER_HUB_ENDPOINT, DOCKER_HUB_NAME as HUB_NAME};
use crowsnest_model::pattern::Selection;
use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use jiff::Timestamp;
use std::collections::HashMap;
use std::sync::Mutex;

/// Docker Hub's registry endpoint, used when a specification's `registry` is empty.
pub const DOCKER_HUB_REGISTRY: &str = DOCKER_HUB_ENDPOINT;
/// Docker Hub's token service. The client learns it from the registry's challenge; it is
/// named here for documentation and diagnostics.
pub const DOCKER_HUB_TOKEN_REALM: &str = "https://auth.docker.io/token";
/// The registry name reported for Docker Hub images.
pub const DOCKER_HUB_NAME: &str = HUB_NAME;

/// The type `"2"` discovery source.
#[derive(Debug)]
pub struct V2Source {
    client: RegistryClient,
    name: String,
    hub: bool,
    platform: TargetPlatform,
    created_by_config: Mutex<HashMap<Digest, Option<Timestamp>>>,
}

impl V2Source {
    /// The source of `target`, speaking through `client` (the connection's pull client).
    pub fn new(target: &ScanTarget, client: RegistryClient) -> Result<V2Source, RegistryError> {
        let address = target.address();
        Ok(V2Source {
            client,
            name: address.display().to_string(),
            hub: address.is_docker_hub(),
            platform: TargetPlatform::from_spec_os(target.os())?,
            created_by_config: Mutex::new(HashMap::new()),
        })
    }

    /// A source over an existing client (tests and callers that already hold one).
    pub fn with_client(client: RegistryClient, os: &str) -> Result<V2Source, RegistryError> {
        Ok(V2Source {
            name: client.registry().to_string(),
            client,
            hub: false,
            platform: TargetPlatform::from_spec_os(os)?,
            created_by_config: Mutex::new(HashMap::new()),
        })
    }

    pub fn client(&self) -> &RegistryClient {
        &self.client
    }

    async fn list(&self, selection: &Selection, visit: Visit<'_>) -> Result<(), RegistryError> {
        if self.hub {
            let Some(name) = selection.include().exact() else {
                return Err(RegistryError::Spec(
                    "Docker Hub has no catalog: set \"repository\" to a full name such as \
                     library/alpine or myorg/app"
                        .into(),
                ));
            };
            let full = if name.contains('/') {
                name.to_string()
            } else {
                format!("library/{name}")
            };
            let excluded = !selection.matches(name) && !selection.matches(&full);
            return if excluded { Ok(()) } else { visit(&full) };
        }
        // Checking reachability and credentials first turns "wrong password" into one clear
        // registry-level error instead of one error per repository.
        self.client.ping().await?;
        if let Some(name) = selection.include().exact() {
            return if selection.matches(name) {
                visit(name)
            } else {
                Ok(())
            };
        }
        // Filtered name by name as each page is parsed: only the selection's picks are kept.
        let mut listing = self.client.catalog_listing();
        let mut picked = |r: &str| {
            if selection.matches(r) {
                visit(r)
            } else {
                Ok(())
            }
        };
        while listing.next_page(&mut picked).await? {}
        Ok(())
    }

    async fn list_tags(&self, repo: &str, visit: TagVisit<'_>) -> Result<(), RegistryError> {
        let mut listing = self.client.tag_listing(repo)?;
        let mut named = |t: &str| visit(ListedTag::named(t));
        while listing.next_page(&mut named).await? {}
        Ok(())
    }

    async fn resolve(
        &self,
        repo: &str,
        tag: &str,
        need_created: bool,
    ) -> Result<ImageFacts, RegistryError> {
        let m = self.client.manifest(repo, tag, self.platform).await?;
        if let Some(kind) = m.artifact {
            return Err(RegistryError::NotAnImage {
                what: format!("{repo}:{tag}"),
                kind,
            });
        }
        let created = match (&m.created, &m.config) {
            (Some(c), _) => Some(*c),
            (None, Some(_)) if !need_created => None,
            (None, Some(config)) => {
                let cached = self
                    .created_by_config
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .get(&config.digest)
                    .copied();
                match cached {
                    Some(c) => c,
                    None => {
                        let c = self.client.config(repo, config).await?.created;
                        self.created_by_config
                            .lock()
                            .unwrap_or_else(|p| p.into_inner())
                            .insert(config.digest.clone(), c);
                        c
                    }
                }
            }
            (None, None) => None,
        };
        Ok(ImageFacts {
            digest: m.digest,
            index_digest: m.index_digest,
            created,
        })
    }
}

impl Source for V2Source {
    fn registry(&self) -> &str {
        &self.name
    }

    fn repositories<'a>(
        &'a self,
        selection: &'a Selection,
        visit: Visit<'a>,
    ) -> BoxFuture<'a, Result<(), RegistryError>> {
        self.list(selection, visit).boxed()
    }

    fn tags<'a>(
        &'a self,
        repo: &'a str,
        visit: TagVisit<'a>,
    ) -> BoxFuture<'a, Result<(), RegistryError>> {
        self.list_tags(repo, visit).boxed()
    }

    fn image<'a>(
        &'a self,
        repo: &'a str,
        tag: &'a str,
        need_created: bool,
    ) -> BoxFuture<'a, Result<ImageFacts, RegistryError>> {
        self.resolve(repo, tag, need_created).boxed()
    }

    fn requests_sent(&self) -> u64 {
        self.client.requests_sent()
    }
}
