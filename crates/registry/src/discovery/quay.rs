//! Registry type `"coreos"`: Red Hat Quay and quay.io, discovered through Quay's API
//! (`/api/v1`, on the registry's own host) when the credential holds an OAuth application
//! token, else through the registry's v2 catalog.
//!
//! **Credentials.** Quay's `docker login` takes an OAuth application token with the user name
//! `$oauthtoken`; that same token, sent as `Authorization: Bearer`, reads the API (it needs
//! the "View all visible repositories" permission, scope `repo:read`). A robot account
//! (`namespace+name` and its token) logs in to the registry only: Quay's API does not take
//! robot credentials, so for robots discovery uses the v2 `_catalog` and tag lists, which Quay
//! serves for what the robot may read, and dates come from image configs as for type `2`.
//!
//! **Listing with a token.** Namespaces are the one an exact `repository` names, else the token
//! user's own namespace and organisations (`GET /api/v1/user/`); `repository` then filters. Repositories come from
//! `GET /api/v1/repository?namespace=X`, paged by the `next_page` token in the body (not the
//! `Link` header: NeuVector's bug). Tags come from
//! `GET /api/v1/repository/X/Y/tag/?onlyActiveTags=true&limit=&page=`, paged by
//! `has_additional`; without `onlyActiveTags` Quay returns the tag history, dead tags included.
//! Each tag's `start_ts` (its `last_modified`, when it was pushed or moved) is the date `cap`
//! orders by, so a date cap costs no extra call and no config.

use super::vendor_api::{TokenHeader, VendorApi, segment};
use super::{ImageFacts, ListedTag, Source, TagVisit, V2Source};
use crate::auth::{Credentials, RegistryAuth};
use crate::client::base_url;
use crate::{ClientOptions, RegistryClient, RegistryError, Visit};
use crowsnest_model::ScanTarget;
use crowsnest_model::pattern::Selection;
use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use jiff::Timestamp;
use reqwest::header::HeaderMap;
use serde::Deserialize;

/// Quay's largest tag page (`limit`).
const MAX_TAG_LIMIT: usize = 100;
/// Pages of one listing at most.
const MAX_PAGES: usize = 100_000;
/// The user name Quay's registry takes with an OAuth application token.
pub(crate) const OAUTH_USER: &str = "$oauthtoken";

const TOKEN_HINT: &str = "use an OAuth application token with the \"View all visible \
                          repositories\" permission (repo:read) and the user name $oauthtoken";

#[derive(Debug, Deserialize)]
struct RepoPage {
    #[serde(default)]
    repositories: Vec<Repo>,
    #[serde(default)]
    next_page: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Repo {
    namespace: String,
    name: String,
}

#[derive(Debug, Deserialize)]
struct TagPage {
    #[serde(default)]
    tags: Vec<Tag>,
    #[serde(default)]
    has_additional: bool,
}

#[derive(Debug, Deserialize)]
struct Tag {
    name: String,
    #[serde(default)]
    start_ts: Option<i64>,
    #[serde(default)]
    end_ts: Option<i64>,
}

#[derive(Debug, Deserialize)]
struct User {
    username: String,
    #[serde(default)]
    organizations: Vec<Org>,
}

#[derive(Debug, Deserialize)]
struct Org {
    name: String,
}

/// The type `"coreos"` discovery source.
pub(crate) struct QuaySource {
    /// `None` for robot and user logins: the registry's v2 API is used instead.
    api: Option<VendorApi>,
    registry: V2Source,
}

impl QuaySource {
    pub(crate) fn new(
        target: &ScanTarget,
        client: RegistryClient,
        creds: &Credentials,
        options: &ClientOptions,
    ) -> Result<QuaySource, RegistryError> {
        let oauth = matches!(&creds.auth, RegistryAuth::Basic { username, password }
            if (username == OAUTH_USER || username.is_empty()) && !password.is_empty());
        let api = if oauth {
            let base = base_url(client.registry())?;
            let root = format!("{}/api/v1", base.as_str().trim_end_matches('/'));
            Some(VendorApi::new(
                &root,
                creds.clone(),
                options,
                TokenHeader::Bearer,
                refusal,
                MAX_TAG_LIMIT,
            )?)
        } else {
            None
        };
        Ok(QuaySource {
            api,
            registry: V2Source::with_client(client, target.os())?,
        })
    }

    /// The namespaces to list: the one an exact `repository` names, else the token user's own
    /// and its organisations'.
    async fn namespaces(
        &self,
        api: &VendorApi,
        selection: &Selection,
    ) -> Result<Vec<String>, RegistryError> {
        if let Some((ns, _)) = selection.include().exact().and_then(|e| e.split_once('/')) {
            return Ok(vec![ns.to_string()]);
        }
        let user: User = api.get("/user/").await?;
        let mut all = vec![user.username];
        all.extend(user.organizations.into_iter().map(|o| o.name));
        Ok(all)
    }

    async fn list(&self, selection: &Selection, visit: Visit<'_>) -> Result<(), RegistryError> {
        let Some(api) = &self.api else {
            return self.registry.repositories(selection, visit).await;
        };
        for ns in self.namespaces(api, selection).await? {
            let mut token: Option<String> = None;
            for _ in 0..MAX_PAGES {
                let mut path = format!("/repository?namespace={}", segment(&ns));
                if let Some(t) = &token {
                    path.push_str(&format!("&next_page={}", segment(t)));
                }
                let page: RepoPage = api.get(&path).await?;
                for r in page.repositories {
                    let full = format!("{}/{}", r.namespace, r.name);
                    if selection.matches(&full) {
                        visit(&full)?;
                    }
                }
                token = page.next_page.filter(|t| !t.is_empty());
                if token.is_none() {
                    break;
                }
            }
        }
        Ok(())
    }

    async fn list_tags(&self, repo: &str, visit: TagVisit<'_>) -> Result<(), RegistryError> {
        let Some(api) = &self.api else {
            return self.registry.tags(repo, visit).await;
        };
        let now = Timestamp::now().as_second();
        for page in 1..=MAX_PAGES {
            let path = format!(
                "/repository/{repo}/tag/?onlyActiveTags=true&limit={}&page={page}",
                api.per_page
            );
            let tags: TagPage = api.get(&path).await?;
            for t in &tags.tags {
                // Active tags only; an expiry in the past means the tag is gone.
                if t.end_ts.is_some_and(|end| end <= now) {
                    continue;
                }
                let pushed = t.start_ts.and_then(|s| Timestamp::from_second(s).ok());
                visit(ListedTag::pushed(&t.name, pushed))?;
            }
            if !tags.has_additional {
                break;
            }
        }
        Ok(())
    }
}

/// Quay's error body (`endpoints/exception.py`): `error_message` or `detail`, `error_type`.
fn quay_says(body: &[u8]) -> String {
    let Ok(v) = serde_json::from_slice::<serde_json::Value>(body) else {
        return String::from_utf8_lossy(body)
            .trim()
            .chars()
            .take(200)
            .collect();
    };
    let message = v["error_message"]
        .as_str()
        .or(v["detail"].as_str())
        .or(v["message"].as_str())
        .unwrap_or_default();
    match v["error_type"].as_str() {
        Some(t) if !message.is_empty() => format!("{t}: {message}"),
        Some(t) => t.to_string(),
        None => message.to_string(),
    }
}

fn refusal(url: &str, status: u16, _: &HeaderMap, body: &[u8], sent_token: bool) -> RegistryError {
    let said = quay_says(body);
    let auth = |message: String| RegistryError::Auth {
        url: url.to_string(),
        message,
    };
    match status {
        401 if !sent_token => auth(format!("Quay requires a token ({said}); {TOKEN_HINT}")),
        401 => auth(format!(
            "Quay refused the OAuth token ({said}); it is wrong, expired or revoked: {TOKEN_HINT}"
        )),
        403 => auth(format!(
            "Quay refused access ({said}); the token needs the repo:read scope (\"View all \
             visible repositories\") and read access to the namespace"
        )),
        404 => RegistryError::Status {
            url: url.to_string(),
            status,
            message: format!("{said} (check the namespace and that the token can see it)"),
        },
        _ => RegistryError::Status {
            url: url.to_string(),
            status,
            message: said,
        },
    }
}

impl Source for QuaySource {
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
        self.api.as_ref().map_or(0, VendorApi::requests_sent) + self.registry.requests_sent()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quay_error_bodies_become_messages() {
        let body = br#"{"detail":"namespace, starred or public are required for this API call","error_message":"namespace, starred or public are required for this API call","error_type":"invalid_request","title":"invalid_request","type":"https://quay.io/api/v1/error/invalid_request","status":400}"#;
        assert_eq!(
            quay_says(body),
            "invalid_request: namespace, starred or public are required for this API call"
        );
        let h = HeaderMap::new();
        let e = refusal(
            "u",
            401,
            &h,
            br#"{"error_type":"invalid_token","error_message":"Invalid token"}"#,
            true,
        );
        assert!(e.to_string().contains("$oauthtoken"), "{e}");
        let e = refusal(
            "u",
            403,
            &h,
            br#"{"error_type":"insufficient_scope"}"#,
            true,
        );
        assert!(e.to_string().contains("repo:read"), "{e}");
    }
}
