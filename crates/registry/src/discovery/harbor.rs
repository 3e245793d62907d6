//! Registry type `"harbor"`: Harbor 2.x, listed through its own API rather than `/v2/_catalog`
//! (which Harbor serves to system administrators only).
//!
//! Calls, all with the credential as Basic up front (a user, or a robot account `robot$name`,
//! `robot$project+name` for a project robot):
//! 1. `GET /api/v2.0/projects?page=&page_size=`: the projects the account sees. A repository
//!    pattern that starts with a literal `project/` (`team/*`, `team/api`) skips this and
//!    lists that project alone.
//! 2. `GET /api/v2.0/projects/{p}/repositories?page=&page_size=`: full names `p/repo`, each
//!    checked against the pattern and the exclusions.
//! 3. `GET /api/v2.0/projects/{p}/repositories/{r}/artifacts?with_tag=true&page=&page_size=`,
//!    `{r}` (the name after the project) URL-encoded **twice** as Harbor requires (`a/b` is
//!    `a%252Fb`). One artifact is one digest with all its tags.
//!
//! Every listing pages with `page_size` 100 (Harbor's maximum; its default of 10 is the bug
//! that made NeuVector see ten artifacts per repository), following `Link: rel="next"` and,
//! when a server sends none, `X-Total-Count`.
//!
//! **Dates.** Each tag is dated by its own `push_time` (the artifact's when a tag has none), so
//! `cap` keeps the newest pushes and no config blob is read.
//!
//! **Not images.** An artifact whose `type` is not `IMAGE` (`CHART`, `CNAB`, …), whose
//! `artifact_type`/`media_type` names a Helm chart, signature, attestation or SBOM, or whose
//! tag follows cosign's `sha256-….sig|att|sbom` convention is handed over as such and skipped
//! with a note, before any manifest is read.
//!
//! **Untagged artifacts** are invisible to tag-driven crawlers. They are scanned when the
//! specification asks by its `tag` pattern: a pattern starting with `sha256:` (`sha256:*` for
//! every untagged artifact, or one digest) offers each untagged artifact under its digest.
//! Tagged images need a second specification (`tag` `*`), since `tag` is one pattern.
//!
//! Pulls go through the v2 API and Harbor's token service, like any registry ([`V2Source`]).

use super::mgmt_api::{ApiReply, MAX_API_PAGES, MgmtApi, encode_segment};
use super::{ImageFacts, ListedTag, Source, TagVisit, V2Source};
use crate::artifact::{ArtifactKind, classify_manifest};
use crate::{ClientOptions, Credentials, RegistryClient, RegistryError, Visit};
use crowsnest_model::ScanTarget;
use crowsnest_model::pattern::Selection;
use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use jiff::Timestamp;
use reqwest::Url;
use serde::Deserialize;
use serde::de::DeserializeOwned;

/// Harbor's largest `page_size`.
pub(crate) const HARBOR_MAX_PAGE_SIZE: usize = 100;

/// The type `"harbor"` discovery source.
#[derive(Debug)]
pub(crate) struct HarborSource {
    api: MgmtApi,
    pull: V2Source,
    page_size: usize,
    max_items: u64,
    untagged: bool,
}

#[derive(Deserialize)]
struct Project {
    name: String,
}

#[derive(Deserialize)]
struct Repository {
    name: String,
}

#[derive(Deserialize)]
struct Artifact {
    digest: String,
    #[serde(default, rename = "type")]
    kind: String,
    /// The config's media type.
    #[serde(default)]
    media_type: String,
    #[serde(default)]
    artifact_type: Option<String>,
    #[serde(default)]
    push_time: Option<String>,
    /// `null` for an untagged artifact.
    #[serde(default)]
    tags: Option<Vec<Tag>>,
}

#[derive(Deserialize)]
struct Tag {
    name: String,
    #[serde(default)]
    push_time: Option<String>,
}

impl Artifact {
    /// What the listing says this artifact is, when it is not a container image.
    fn not_an_image(&self) -> Option<ArtifactKind> {
        let by_media = classify_manifest(self.artifact_type.as_deref(), Some(&self.media_type), []);
        match self.kind.to_ascii_uppercase().as_str() {
            "IMAGE" | "" => by_media,
            "CHART" => Some(ArtifactKind::HelmChart),
            _ => by_media.or(Some(ArtifactKind::Other)),
        }
    }
}

fn timestamp(s: Option<&str>) -> Option<Timestamp> {
    s.and_then(|s| s.parse().ok())
}

impl HarborSource {
    pub(crate) fn new(
        target: &ScanTarget,
        client: RegistryClient,
        creds: &Credentials,
        opts: &ClientOptions,
        endpoint: &str,
    ) -> Result<HarborSource, RegistryError> {
        let base = crate::client::base_url(endpoint)?;
        let untagged = target
            .tags()
            .include()
            .literal_prefix()
            .is_some_and(|p| p.starts_with("sha256:"));
        Ok(HarborSource {
            api: MgmtApi::new(base, creds, opts)?,
            pull: V2Source::new(target, client)?,
            page_size: opts
                .page_size
                .unwrap_or(HARBOR_MAX_PAGE_SIZE)
                .clamp(1, HARBOR_MAX_PAGE_SIZE),
            max_items: opts.max_list_entries,
            untagged,
        })
    }

    /// Every item of a paged Harbor listing starting at `first`, handed to `each`.
    async fn pages<T: DeserializeOwned>(
        &self,
        first: Url,
        doing: &str,
        project: Option<&str>,
        each: &mut (dyn FnMut(T) -> Result<(), RegistryError> + Send),
    ) -> Result<(), RegistryError> {
        let mut url = first;
        let mut page = 1u64;
        let mut seen = 0u64;
        for _ in 0..MAX_API_PAGES {
            let reply = match self.api.get(url.clone()).await {
                Ok(r) => r,
                Err(e) => return Err(self.explain(e, doing, project).await),
            };
            let items: Vec<T> = reply.json()?;
            let n = items.len() as u64;
            seen += n;
            if seen > self.max_items {
                return Err(RegistryError::TooMany {
                    what: url.to_string(),
                    limit: self.max_items,
                    items: "items listed",
                    hint: "narrow \"repository\" or add exclusions",
                });
            }
            for item in items {
                each(item)?;
            }
            page += 1;
            match next_page(&reply, page, seen, n) {
                Some(next) if next != url => url = next,
                _ => return Ok(()),
            }
        }
        Ok(())
    }

    /// Says what to fix for a refused call.
    async fn explain(&self, e: RegistryError, doing: &str, project: Option<&str>) -> RegistryError {
        let RegistryError::Status {
            url,
            status,
            message,
        } = &e
        else {
            return e;
        };
        let user = self.api.user().await;
        let base = self.api.base();
        match status {
            401 => RegistryError::Auth {
                url: url.clone(),
                message: format!(
                    "Harbor at {base} refused the login of {user:?} ({message}): check the \
                     credential's username and password; a robot account is written \
                     robot$name (robot$project+name for a project robot) with its secret as \
                     the password"
                ),
            },
            403 => RegistryError::Auth {
                url: url.clone(),
                message: format!(
                    "{user:?} may not {doing} ({message}): give it at least the Limited Guest \
                     role on project {} (a robot account needs the \"list repository\", \"list \
                     artifact\" and \"pull repository\" permissions)",
                    project.unwrap_or("(each project to scan)")
                ),
            },
            404 if project.is_none() => RegistryError::Status {
                url: url.clone(),
                status: *status,
                message: format!(
                    "{message}: no Harbor 2.x API at {base}; set \"registry\" to Harbor's own \
                     address (https://harbor.example.com), not a project or repository path"
                ),
            },
            _ => e,
        }
    }

    async fn list(&self, selection: &Selection, visit: Visit<'_>) -> Result<(), RegistryError> {
        let projects: Vec<String> = match selection
            .include()
            .literal_prefix()
            .and_then(|p| p.split_once('/'))
        {
            Some((project, _)) => vec![project.to_string()],
            None => {
                let mut names = Vec::new();
                let first = self.api.url(&format!(
                    "/api/v2.0/projects?page=1&page_size={}",
                    self.page_size
                ));
                self.pages(first, "list projects", None, &mut |p: Project| {
                    names.push(p.name);
                    Ok(())
                })
                .await?;
                names
            }
        };
        for project in projects {
            let first = self.api.url(&format!(
                "/api/v2.0/projects/{}/repositories?page=1&page_size={}",
                encode_segment(&project),
                self.page_size
            ));
            let mut picked = |r: Repository| {
                if selection.matches(&r.name) {
                    visit(&r.name)
                } else {
                    Ok(())
                }
            };
            self.pages(first, "list repositories", Some(&project), &mut picked)
                .await?;
        }
        Ok(())
    }

    async fn list_tags(&self, repo: &str, visit: TagVisit<'_>) -> Result<(), RegistryError> {
        let (project, name) = repo.split_once('/').ok_or_else(|| {
            RegistryError::Spec(format!(
                "{repo}: a Harbor repository is named project/repository"
            ))
        })?;
        let first = self.api.url(&format!(
            "/api/v2.0/projects/{}/repositories/{}/artifacts?with_tag=true&with_scan_overview=false\
             &with_label=false&with_accessory=false&page=1&page_size={}",
            encode_segment(project),
            encode_segment(&encode_segment(name)),
            self.page_size
        ));
        let untagged = self.untagged;
        let mut each = |a: Artifact| {
            let kind = a.not_an_image();
            let pushed = timestamp(a.push_time.as_deref());
            let tags = a.tags.as_deref().unwrap_or_default();
            if tags.is_empty() && untagged {
                return visit(ListedTag {
                    name: &a.digest,
                    pushed,
                    artifact: kind,
                });
            }
            for t in tags {
                visit(ListedTag {
                    name: &t.name,
                    pushed: timestamp(t.push_time.as_deref()).or(pushed),
                    artifact: kind,
                })?;
            }
            Ok(())
        };
        self.pages(first, "list artifacts", Some(project), &mut each)
            .await
    }
}

/// The page after the one `reply` answered: its `Link: rel="next"`, else (for servers that only
/// count) the same URL with `page` set, while `X-Total-Count` says more items remain.
fn next_page(reply: &ApiReply, page: u64, seen: u64, on_page: u64) -> Option<Url> {
    if let Some(next) = reply.next() {
        return Some(next);
    }
    let total = reply.count("x-total-count")?;
    if seen >= total || on_page == 0 {
        return None;
    }
    let mut url = reply.url.clone();
    let pairs: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(k, _)| k != "page")
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    url.query_pairs_mut()
        .clear()
        .extend_pairs(pairs)
        .append_pair("page", &page.to_string());
    Some(url)
}

impl Source for HarborSource {
    fn registry(&self) -> &str {
        self.pull.registry()
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
        self.pull.image(repo, tag, need_created)
    }

    fn requests_sent(&self) -> u64 {
        self.api.requests_sent() + self.pull.requests_sent()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn artifact(json: &str) -> Artifact {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn artifact_kinds_from_the_listing() {
        let image = artifact(
            r#"{"digest":"sha256:1","type":"IMAGE","media_type":"application/vnd.oci.image.config.v1+json","tags":null}"#,
        );
        assert_eq!(image.not_an_image(), None);
        let chart = artifact(
            r#"{"digest":"sha256:2","type":"CHART","media_type":"application/vnd.cncf.helm.config.v1+json"}"#,
        );
        assert_eq!(chart.not_an_image(), Some(ArtifactKind::HelmChart));
        let sbom = artifact(
            r#"{"digest":"sha256:3","type":"IMAGE","artifact_type":"application/vnd.goharbor.harbor.sbom.v1","media_type":"application/vnd.oci.empty.v1+json"}"#,
        );
        assert_eq!(sbom.not_an_image(), Some(ArtifactKind::Sbom));
        let cnab = artifact(
            r#"{"digest":"sha256:4","type":"CNAB","media_type":"application/vnd.cnab.config.v1+json"}"#,
        );
        assert_eq!(cnab.not_an_image(), Some(ArtifactKind::Other));
    }
}
