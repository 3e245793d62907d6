//! Registry type `"gitlab"`: the GitLab container registry (gitlab.com or self-managed),
//! discovered through GitLab's REST API because its registry has no `_catalog` for ordinary
//! users.
//!
//! Repositories come from the projects, groups or user the `gitlabRegistrySpec` names
//! ([`scope`] holds Prisma's precedence rules), tags from
//! `/projects/:id/registry/repositories/:repository_id/tags`, every listing paged through
//! `X-Next-Page` ([`api`]). That tag list carries names only; when a `cap` orders tags by date
//! (no `versionPattern`), each tag gets one detail call for its `created_at`, which is GitLab's
//! date for the tag and what `cap` orders by, so no config is read. Without a date cap no
//! detail call is made.
//!
//! Pulls go to the registry (`registry`) with the same token: the registry's challenge names
//! GitLab's `/jwt/auth`, which trades `user:token` (Basic) for a short-lived JWT; the pull
//! client's bearer flow does that and asks again when the JWT lapses.
//!
//! The API lives on the GitLab host, not the registry's: `apiDomainName` when given (a host,
//! or a URL with scheme for a self-managed instance on plain HTTP or a non-default port), else
//! derived from `registry` (`registry.gitlab.com` → `gitlab.com`, `registry.example.com` →
//! `example.com`, any other host as it is, without its port).

mod api;
mod scope;

use super::vendor_api::{VendorApi, segment};
use super::{ImageFacts, ListedTag, Source, TagVisit, V2Source};
use crate::auth::Credentials;
use crate::client::base_url;
use crate::{ClientOptions, RegistryClient, RegistryError, Visit};
use api::{Pager, gitlab_api, page, pages};
use crowsnest_model::ScanTarget;
use crowsnest_model::pattern::Selection;
use futures_util::future::BoxFuture;
use futures_util::{FutureExt, StreamExt, stream};
use scope::{Listing, Scope, within};
use serde::Deserialize;
use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

/// Tag detail calls in flight per repository page.
const DETAIL_CONCURRENCY: usize = 8;

/// A registry repository as GitLab lists it (other fields ignored).
#[derive(Debug, Deserialize)]
struct Repository {
    id: u64,
    project_id: u64,
    /// `group/sub/project` for a project's root repository, `…/project/name` for others.
    path: String,
}

#[derive(Debug, Deserialize)]
struct Project {
    id: u64,
}

#[derive(Debug, Deserialize)]
struct Group {
    full_path: String,
}

#[derive(Debug, Deserialize)]
struct Tag {
    name: String,
}

#[derive(Debug, Deserialize)]
struct TagDetail {
    #[serde(default)]
    created_at: Option<String>,
}

/// Where one listed repository lives in the API.
#[derive(Debug, Clone, Copy)]
struct RepoRef {
    project: u64,
    id: u64,
}

/// The type `"gitlab"` discovery source.
pub(crate) struct GitlabSource {
    api: VendorApi,
    /// Resolves tags through the registry (manifests, and configs only for undated tags).
    registry: V2Source,
    scope: Scope,
    /// A `cap` without `versionPattern`: tags need their dates.
    dated: bool,
    repos: Mutex<HashMap<String, RepoRef>>,
}

impl GitlabSource {
    /// The source of `target`: the API from `apiDomainName` (or the registry's name), pulls
    /// through `client`, both with `creds`.
    pub(crate) fn new(
        target: &ScanTarget,
        client: RegistryClient,
        creds: &Credentials,
        options: &ClientOptions,
    ) -> Result<GitlabSource, RegistryError> {
        let spec = target.gitlab().ok_or_else(|| {
            RegistryError::Spec("a gitlab specification needs gitlabRegistrySpec".into())
        })?;
        let origin = api_origin(&spec.api_domain_name, client.registry())?;
        Ok(GitlabSource {
            api: gitlab_api(&origin, creds.clone(), options)?,
            registry: V2Source::with_client(client, target.os())?,
            scope: Scope::of(spec),
            dated: target.cap() > 0 && target.version_pattern().is_empty(),
            repos: Mutex::new(HashMap::new()),
        })
    }

    /// The full paths of `groups` (one `GET /groups/:id` each).
    async fn group_paths(&self, groups: &[String]) -> Result<Vec<String>, RegistryError> {
        let mut paths = Vec::with_capacity(groups.len());
        for g in groups {
            let group: Group = self.api.get(&format!("/groups/{}", segment(g))).await?;
            paths.push(group.full_path);
        }
        Ok(paths)
    }

    async fn list(&self, selection: &Selection, visit: Visit<'_>) -> Result<(), RegistryError> {
        let excluded = self.group_paths(&self.scope.excluded_groups).await?;
        let required = match &self.scope.listing {
            Listing::Projects { within, .. } => self.group_paths(within).await?,
            _ => Vec::new(),
        };
        let mut seen = HashSet::new();
        let mut offer = |page: Vec<Repository>| -> Result<(), RegistryError> {
            for r in page {
                let wanted = !excluded.iter().any(|g| within(&r.path, g))
                    && (required.is_empty() || required.iter().any(|g| within(&r.path, g)))
                    && selection.matches(&r.path);
                if !wanted {
                    continue;
                }
                self.repos.lock().unwrap_or_else(|p| p.into_inner()).insert(
                    r.path.clone(),
                    RepoRef {
                        project: r.project_id,
                        id: r.id,
                    },
                );
                // Nested groups can list one repository twice: visit it once per run.
                let new = seen.insert(r.path.clone());
                if new {
                    visit(&r.path)?;
                }
            }
            Ok(())
        };
        let project_repos =
            |id: String| format!("/projects/{}/registry/repositories", segment(&id));
        match &self.scope.listing {
            Listing::Projects { ids, .. } => {
                for id in ids {
                    pages(&self.api, &project_repos(id.clone()), &mut offer).await?;
                }
            }
            Listing::Groups(ids) => {
                for id in ids {
                    let path = format!("/groups/{}/registry/repositories", segment(id));
                    pages(&self.api, &path, &mut offer).await?;
                }
            }
            Listing::User(user) => {
                // The user's own projects only, never every user or project the token sees.
                let mut projects = Vec::new();
                let path = format!("/users/{}/projects?simple=true", segment(user));
                pages(&self.api, &path, |page: Vec<Project>| {
                    projects.extend(page.into_iter().map(|p| p.id));
                    Ok(())
                })
                .await?;
                for id in projects {
                    pages(&self.api, &project_repos(id.to_string()), &mut offer).await?;
                }
            }
        }
        Ok(())
    }

    async fn list_tags(&self, repo: &str, visit: TagVisit<'_>) -> Result<(), RegistryError> {
        let at = self
            .repos
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(repo)
            .copied()
            .ok_or_else(|| {
                RegistryError::Spec(format!("{repo}: not a repository GitLab listed"))
            })?;
        let path = format!(
            "/projects/{}/registry/repositories/{}/tags",
            at.project, at.id
        );
        let mut pager = Pager::default();
        while let Some(p) = pager.next(self.api.root(), &path)? {
            let (tags, next): (Vec<Tag>, _) = page(&self.api, &path, &p).await?;
            if self.dated {
                // One detail call per tag: the list has names only.
                let details: Vec<(String, Result<TagDetail, RegistryError>)> = stream::iter(tags)
                    .map(|t| {
                        let url = format!("{path}/{}", segment(&t.name));
                        async move {
                            let d = self.api.get(&url).await;
                            (t.name, d)
                        }
                    })
                    .buffered(DETAIL_CONCURRENCY)
                    .collect()
                    .await;
                for (name, detail) in details {
                    match detail {
                        Ok(d) => {
                            let pushed = d.created_at.as_deref().and_then(|c| c.parse().ok());
                            visit(ListedTag::pushed(&name, pushed))?;
                        }
                        // Deleted between the list and the detail call: gone, not an error.
                        Err(e) if e.status() == Some(404) => {}
                        Err(e) => return Err(e),
                    }
                }
            } else {
                for t in &tags {
                    visit(ListedTag::named(&t.name))?;
                }
            }
            pager.then(next);
        }
        Ok(())
    }

    async fn resolve(
        &self,
        repo: &str,
        tag: &str,
        need_created: bool,
    ) -> Result<ImageFacts, RegistryError> {
        self.registry
            .image(repo, tag, need_created)
            .await
            .map_err(|e| match e {
                RegistryError::Auth { url, message } => RegistryError::Auth {
                    url,
                    message: format!(
                        "{message}; GitLab registry pulls need a token with the read_registry \
                         scope"
                    ),
                },
                e => e,
            })
    }
}

/// The GitLab origin (`scheme://host[:port]`) whose `/api/v4` lists `registry`'s repositories.
pub(crate) fn api_origin(api_domain: &str, registry: &str) -> Result<String, RegistryError> {
    let domain = api_domain.trim().trim_end_matches('/');
    if domain.contains("://") {
        return Ok(domain.to_string());
    }
    if !domain.is_empty() {
        return Ok(format!("https://{domain}"));
    }
    let url = base_url(registry)?;
    let host = url.host_str().unwrap_or_default();
    let host = match host {
        "registry.gitlab.com" => "gitlab.com",
        h => h.strip_prefix("registry.").unwrap_or(h),
    };
    Ok(format!("{}://{host}", url.scheme()))
}

impl Source for GitlabSource {
    fn registry(&self) -> &str {
        self.registry.registry()
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
        self.api.requests_sent() + self.registry.requests_sent()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_api_lives_beside_the_registry() {
        let o = |d: &str, r: &str| api_origin(d, r).unwrap();
        assert_eq!(o("", "registry.gitlab.com"), "https://gitlab.com");
        assert_eq!(
            o("", "https://registry.example.com:5050"),
            "https://example.com"
        );
        assert_eq!(
            o("", "gitlab.example.com:5050"),
            "https://gitlab.example.com"
        );
        assert_eq!(
            o("gitlab.example.com", "r.example"),
            "https://gitlab.example.com"
        );
        assert_eq!(
            o("http://127.0.0.1:8080/", "r.example"),
            "http://127.0.0.1:8080"
        );
    }
}
