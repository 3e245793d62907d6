//! Registry type `"dtr"`: Mirantis Secure Registry (formerly Docker Trusted Registry),
//! discovered through its API (`/api/v0`, on the registry's host) with Basic auth (a `dtr` or
//! `basic` credential: user and password or access token).
//!
//! Repositories come from `GET /api/v0/repositories?pageSize=N`, every repository the user can
//! see across namespaces; tags from `GET /api/v0/repositories/{ns}/{repo}/tags?pageSize=N`.
//! Both page the same way: the response header `X-Next-Page-Start` names the next page's start,
//! sent back as `pageStart=`; no header (or an empty one) ends the listing. Each tag's
//! `createdAt` is the date `cap` orders by, so a date cap costs no extra call and no config.
//! Pulls go to the registry with the same login (its token service at `/auth/token`).

use super::vendor_api::{TokenHeader, VendorApi, header, segment};
use super::{ImageFacts, ListedTag, Source, TagVisit, V2Source};
use crate::auth::Credentials;
use crate::client::base_url;
use crate::{ClientOptions, RegistryClient, RegistryError, Visit};
use crowsnest_model::ScanTarget;
use crowsnest_model::pattern::Selection;
use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use reqwest::header::HeaderMap;
use serde::Deserialize;
use serde::de::DeserializeOwned;

/// DTR's largest `pageSize`.
const MAX_PAGE_SIZE: usize = 100;
/// Pages of one listing at most.
const MAX_PAGES: usize = 100_000;

#[derive(Debug, Deserialize)]
struct RepoPage {
    #[serde(default)]
    repositories: Vec<Repo>,
}

#[derive(Debug, Deserialize)]
struct Repo {
    namespace: String,
    name: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Tag {
    name: String,
    #[serde(default)]
    created_at: Option<String>,
}

/// The type `"dtr"` discovery source.
pub(crate) struct DtrSource {
    api: VendorApi,
    registry: V2Source,
}

impl DtrSource {
    pub(crate) fn new(
        target: &ScanTarget,
        client: RegistryClient,
        creds: &Credentials,
        options: &ClientOptions,
    ) -> Result<DtrSource, RegistryError> {
        let base = base_url(client.registry())?;
        let root = format!("{}/api/v0", base.as_str().trim_end_matches('/'));
        Ok(DtrSource {
            api: VendorApi::new(
                &root,
                creds.clone(),
                options,
                TokenHeader::Basic,
                refusal,
                MAX_PAGE_SIZE,
            )?,
            registry: V2Source::with_client(client, target.os())?,
        })
    }

    /// Every page of `path`, following `X-Next-Page-Start`.
    async fn pages<T: DeserializeOwned>(
        &self,
        path: &str,
        mut each: impl FnMut(T) -> Result<(), RegistryError>,
    ) -> Result<(), RegistryError> {
        let mut start: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let mut query = format!("{path}?pageSize={}", self.api.per_page);
            if let Some(s) = &start {
                query.push_str(&format!("&pageStart={}", segment(s)));
            }
            let (page, headers): (T, HeaderMap) = self.api.get_with_headers(&query).await?;
            each(page)?;
            match header(&headers, "x-next-page-start").filter(|s| !s.is_empty()) {
                Some(next) if start.as_ref() != Some(&next) => start = Some(next),
                _ => return Ok(()),
            }
        }
        Err(RegistryError::TooMany {
            what: format!("{}{path}", self.api.root()),
            limit: MAX_PAGES as u64,
            items: "pages",
            hint: "the server keeps announcing a next page",
        })
    }

    async fn list(&self, selection: &Selection, visit: Visit<'_>) -> Result<(), RegistryError> {
        self.pages("/repositories", |page: RepoPage| {
            for r in page.repositories {
                let full = format!("{}/{}", r.namespace, r.name);
                if selection.matches(&full) {
                    visit(&full)?;
                }
            }
            Ok(())
        })
        .await
    }

    async fn list_tags(&self, repo: &str, visit: TagVisit<'_>) -> Result<(), RegistryError> {
        let (ns, name) = repo.split_once('/').unwrap_or(("", repo));
        let path = format!("/repositories/{}/{}/tags", segment(ns), segment(name));
        self.pages(&path, |tags: Vec<Tag>| {
            for t in tags {
                let pushed = t.created_at.as_deref().and_then(|c| c.parse().ok());
                visit(ListedTag::pushed(&t.name, pushed))?;
            }
            Ok(())
        })
        .await
    }
}

/// DTR's error body: `{"errors":[{"code","message","detail"}]}`.
fn dtr_says(body: &[u8]) -> String {
    let Ok(v) = serde_json::from_slice::<serde_json::Value>(body) else {
        return String::from_utf8_lossy(body)
            .trim()
            .chars()
            .take(200)
            .collect();
    };
    let e = &v["errors"][0];
    match (e["code"].as_str(), e["message"].as_str()) {
        (Some(c), Some(m)) => format!("{c}: {m}"),
        (Some(c), None) => c.to_string(),
        _ => v.to_string().chars().take(200).collect(),
    }
}

fn refusal(url: &str, status: u16, _: &HeaderMap, body: &[u8], sent: bool) -> RegistryError {
    let said = dtr_says(body);
    let auth = |message: String| RegistryError::Auth {
        url: url.to_string(),
        message,
    };
    match status {
        401 if !sent => auth(format!(
            "DTR requires a login ({said}); set a dtr credential"
        )),
        401 => auth(format!(
            "DTR refused the user name and password or access token ({said}); check the dtr \
             credential"
        )),
        403 => auth(format!(
            "DTR refused access ({said}); the user needs read access to the repositories"
        )),
        _ => RegistryError::Status {
            url: url.to_string(),
            status,
            message: said,
        },
    }
}

impl Source for DtrSource {
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
        self.registry.image(repo, tag, need_created)
    }

    fn requests_sent(&self) -> u64 {
        self.api.requests_sent() + self.registry.requests_sent()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dtr_error_bodies_become_messages() {
        let body = br#"{"errors":[{"code":"NOT_AUTHENTICATED","message":"The client is not authenticated.","detail":null}]}"#;
        assert_eq!(
            dtr_says(body),
            "NOT_AUTHENTICATED: The client is not authenticated."
        );
        let e = refusal("u", 401, &HeaderMap::new(), body, true).to_string();
        assert!(e.contains("check the dtr credential"), "{e}");
    }
}
