//! Registry type `"jfrog"`: JFrog Artifactory and JFrog Container Registry, discovered the way
//! seed 002 spells out Prisma's calls, all with the credential as Basic up front (a user and
//! password, an API key, or an access token as the password):
//!
//! 1. `GET /artifactory/api/system/configuration/webServer`: the Docker access method
//!    (`dockerReverseProxyMethod`). `REPOPATHPREFIX` (repository path) and `SUBDOMAIN` are
//!    served; `PORTPERREPO` (one port per repository) is refused with what to do instead, as
//!    Prisma refuses it. An account that may not read it (the call needs an administrator) goes
//!    on with the repository path, which Artifactory 7's router serves in every mode.
//! 2. `GET /artifactory/api/repositories?packageType=docker`, kept by the specification's
//!    `jfrogRepoTypes` (`local`, `remote`, `virtual`; none given means all three).
//! 3. Per repository key, `/artifactory/api/docker/{key}/v2/_catalog` and
//!    `/artifactory/api/docker/{key}/v2/{image}/tags/list`; repositories are reported as
//!    `{key}/{image}`, the repository-path name an image is pulled by.
//!
//! **Paging.** Both lists page with `n` and `last`. Artifactory's `Link` for the next page is
//! broken (RTFACT-18971: the path loses the `/artifactory/api/docker/{key}` prefix, and some
//! versions put a count in `last`), so the next page is asked for with `last` set to the last
//! name of the page just read, as long as a `Link: rel="next"` says one follows.
//!
//! **Each image once.** A virtual repository aggregates others. When every repository it
//! aggregates is scanned too, the virtual one is left out; otherwise its tags that a scanned
//! member holds under the same image name are left out, so a local image and its virtual view
//! (or a remote repository's cache and the virtual over it) give one result, not two.
//!
//! **Dates.** The v2 listing has none: `cap` reads each candidate's config date as type `2`
//! does. Tags resolve through `/artifactory/api/docker/{key}/v2/` with the same credential.

use super::mgmt_api::{MAX_API_PAGES, MgmtApi, encode_segment};
use super::{ImageFacts, ListedTag, Source, TagVisit, V2Source};
use crate::{ClientOptions, Credentials, RegistryClient, RegistryError, Visit};
use crowsnest_model::ScanTarget;
use crowsnest_model::pattern::Selection;
use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use reqwest::Url;
use serde::Deserialize;
use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

/// `n` asked of Artifactory's Docker lists.
const JFROG_PAGE_SIZE: usize = 1000;

/// The type `"jfrog"` discovery source.
#[derive(Debug)]
pub(crate) struct JfrogSource {
    api: MgmtApi,
    name: String,
    os: String,
    creds: Credentials,
    opts: ClientOptions,
    types: Vec<String>,
    page_size: usize,
    /// Per repository key, the source that resolves its tags.
    keys: Mutex<HashMap<String, std::sync::Arc<V2Source>>>,
    /// Virtual repositories listed beside some of their members: the members scanned.
    virtual_members: Mutex<HashMap<String, Vec<String>>>,
}

#[derive(Deserialize)]
struct WebServer {
    #[serde(default, rename = "dockerReverseProxyMethod")]
    method: String,
}

#[derive(Deserialize)]
struct Repo {
    key: String,
    #[serde(default, rename = "type")]
    kind: String,
}

#[derive(Deserialize)]
struct VirtualConfig {
    #[serde(default)]
    repositories: Vec<String>,
}

#[derive(Deserialize)]
struct Names {
    #[serde(default, alias = "tags")]
    repositories: Option<Vec<String>>,
}

impl JfrogSource {
    pub(crate) fn new(
        target: &ScanTarget,
        creds: &Credentials,
        opts: &ClientOptions,
        endpoint: &str,
    ) -> Result<JfrogSource, RegistryError> {
        let base = crate::client::base_url(endpoint)?;
        let types = match target.jfrog_repo_types() {
            [] => vec!["local".into(), "remote".into(), "virtual".into()],
            t => t.to_vec(),
        };
        Ok(JfrogSource {
            api: MgmtApi::new(base, creds, opts)?,
            name: target.address().display().to_string(),
            os: target.os().to_string(),
            creds: creds.clone(),
            opts: opts.clone(),
            types,
            page_size: opts.page_size.unwrap_or(JFROG_PAGE_SIZE).max(1),
            keys: Mutex::new(HashMap::new()),
            virtual_members: Mutex::new(HashMap::new()),
        })
    }

    async fn call(
        &self,
        url: Url,
        doing: &str,
    ) -> Result<super::mgmt_api::ApiReply, RegistryError> {
        match self.api.get(url).await {
            Ok(r) => Ok(r),
            Err(RegistryError::Status {
                url,
                status: 401,
                message,
            }) => Err(RegistryError::Auth {
                url,
                message: format!(
                    "Artifactory at {} refused the login of {:?} ({message}): check the \
                     credential's username and its password, API key or access token",
                    self.api.base(),
                    self.api.user().await
                ),
            }),
            Err(RegistryError::Status {
                url,
                status: 403,
                message,
            }) => Err(RegistryError::Auth {
                url,
                message: format!(
                    "{:?} may not {doing} ({message}): give it the Read permission on the \
                     Docker repositories to scan",
                    self.api.user().await
                ),
            }),
            Err(e) => Err(e),
        }
    }

    /// Every name of a Docker list under `path` (`…/v2/_catalog` or `…/tags/list`), paged by
    /// `last` = the last name read (see the module docs on Artifactory's `Link`).
    async fn names(
        &self,
        path: &str,
        doing: &str,
        each: &mut (dyn FnMut(&str) -> Result<(), RegistryError> + Send),
    ) -> Result<(), RegistryError> {
        let mut last: Option<String> = None;
        let mut seen = 0u64;
        for _ in 0..MAX_API_PAGES {
            let mut q = format!("{path}?n={}", self.page_size);
            if let Some(l) = &last {
                q.push_str("&last=");
                q.push_str(&encode_segment(l));
            }
            let reply = self.call(self.api.url(&q), doing).await?;
            let page: Names = reply.json()?;
            let names = page.repositories.unwrap_or_default();
            seen += names.len() as u64;
            if seen > self.opts.max_list_entries {
                return Err(RegistryError::TooMany {
                    what: path.to_string(),
                    limit: self.opts.max_list_entries,
                    items: "names listed",
                    hint: "narrow \"repository\" or jfrogRepoTypes",
                });
            }
            for n in &names {
                each(n)?;
            }
            match names.last() {
                Some(l) if reply.next().is_some() && last.as_deref() != Some(l) => {
                    last = Some(l.clone());
                }
                _ => return Ok(()),
            }
        }
        Ok(())
    }

    async fn list(&self, selection: &Selection, visit: Visit<'_>) -> Result<(), RegistryError> {
        let reply = self
            .call(
                self.api
                    .url("/artifactory/api/system/configuration/webServer"),
                "read the web server configuration",
            )
            .await;
        match reply {
            Ok(r) => {
                let ws: WebServer = r.json()?;
                if ws.method.eq_ignore_ascii_case("PORTPERREPO") {
                    return Err(RegistryError::Spec(format!(
                        "Artifactory at {} gives Docker access by port (one port per \
                         repository), which registry type \"jfrog\" does not support (as in \
                         Prisma): set Docker access to Repository Path or Subdomain, or add each \
                         repository's port as a type \"2\" registry",
                        self.api.base()
                    )));
                }
                tracing::debug!(method = %ws.method, "Artifactory Docker access method");
            }
            // Reading it needs an administrator; the repository path works regardless.
            Err(RegistryError::Auth { .. }) | Err(RegistryError::Status { status: 404, .. }) => {
                tracing::info!(
                    registry = %self.name,
                    "cannot read Artifactory's web server configuration; using repository paths"
                );
            }
            Err(e) => return Err(e),
        }
        let reply = self
            .call(
                self.api
                    .url("/artifactory/api/repositories?packageType=docker"),
                "list repositories",
            )
            .await?;
        let repos: Vec<Repo> = reply.json()?;
        let wanted = |r: &Repo| self.types.iter().any(|t| t.eq_ignore_ascii_case(&r.kind));
        let selected: Vec<&Repo> = repos.iter().filter(|r| wanted(r)).collect();
        let keys: HashSet<&str> = selected.iter().map(|r| r.key.as_str()).collect();
        for repo in &selected {
            if repo.kind.eq_ignore_ascii_case("virtual") {
                let path = format!(
                    "/artifactory/api/repositories/{}",
                    encode_segment(&repo.key)
                );
                let config: VirtualConfig = self
                    .call(self.api.url(&path), "read a virtual repository")
                    .await?
                    .json()?;
                let scanned: Vec<String> = config
                    .repositories
                    .iter()
                    .filter(|m| keys.contains(m.as_str()))
                    .cloned()
                    .collect();
                if !config.repositories.is_empty() && scanned.len() == config.repositories.len() {
                    tracing::info!(key = %repo.key, "virtual repository: its members are scanned");
                    continue;
                }
                self.virtual_members
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .insert(repo.key.clone(), scanned);
            }
            let path = format!(
                "/artifactory/api/docker/{}/v2/_catalog",
                encode_segment(&repo.key)
            );
            let key = repo.key.as_str();
            let mut picked = |image: &str| {
                let full = format!("{key}/{image}");
                if selection.matches(&full) {
                    visit(&full)
                } else {
                    Ok(())
                }
            };
            self.names(&path, "list images", &mut picked).await?;
        }
        Ok(())
    }

    async fn list_tags(&self, repo: &str, visit: TagVisit<'_>) -> Result<(), RegistryError> {
        let (key, image) = split(repo)?;
        let members = self
            .virtual_members
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(key)
            .cloned()
            .unwrap_or_default();
        let mut held: HashSet<String> = HashSet::new();
        for m in &members {
            let path = format!(
                "/artifactory/api/docker/{}/v2/{image}/tags/list",
                encode_segment(m)
            );
            let mut keep = |t: &str| {
                held.insert(t.to_string());
                Ok(())
            };
            match self.names(&path, "list tags", &mut keep).await {
                Ok(()) | Err(RegistryError::Status { status: 404, .. }) => {}
                Err(e) => return Err(e),
            }
        }
        let path = format!(
            "/artifactory/api/docker/{}/v2/{image}/tags/list",
            encode_segment(key)
        );
        let mut each = |t: &str| {
            if held.contains(t) {
                Ok(())
            } else {
                visit(ListedTag::named(t))
            }
        };
        self.names(&path, "list tags", &mut each).await
    }

    /// The source that resolves tags of repository `key`, made on first use.
    fn key_source(&self, key: &str) -> Result<std::sync::Arc<V2Source>, RegistryError> {
        let mut keys = self.keys.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(s) = keys.get(key) {
            return Ok(s.clone());
        }
        let base = format!(
            "{}/artifactory/api/docker/{}",
            self.api.base().as_str().trim_end_matches('/'),
            encode_segment(key)
        );
        let client = RegistryClient::new(&base, self.creds.clone(), self.opts.clone())?;
        let source = std::sync::Arc::new(V2Source::with_client(client, &self.os)?);
        keys.insert(key.to_string(), source.clone());
        Ok(source)
    }

    async fn resolve(
        &self,
        repo: &str,
        tag: &str,
        need: bool,
    ) -> Result<ImageFacts, RegistryError> {
        let (key, image) = split(repo)?;
        let source = self.key_source(key)?;
        source.image(image, tag, need).await
    }
}

fn split(repo: &str) -> Result<(&str, &str), RegistryError> {
    repo.split_once('/').ok_or_else(|| {
        RegistryError::Spec(format!(
            "{repo}: an Artifactory repository is named key/image"
        ))
    })
}

impl Source for JfrogSource {
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
        let keys = self.keys.lock().unwrap_or_else(|p| p.into_inner());
        self.api.requests_sent() + keys.values().map(|s| s.requests_sent()).sum::<u64>()
    }
}
