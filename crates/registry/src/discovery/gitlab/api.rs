//! The GitLab REST API (v4) as discovery speaks it, on the shared [`VendorApi`]:
//! `PRIVATE-TOKEN` auth, offset paging through the `X-Next-Page` header, and GitLab's error
//! bodies turned into messages that say what to fix.
//!
//! The API is a different host from the registry (`gitlab.com` beside `registry.gitlab.com`),
//! so it has its own HTTP client, built with the same TLS trust as the registry's. The token is
//! the credential's secret (`apiToken` of a `gitlabToken` credential, or the CLI's password):
//! GitLab needs the `read_api` scope here and `read_registry` for the pulls, and every refusal
//! says which.
//!
//! Paging follows `X-Next-Page` rather than counting on a short page to mean the end: a page
//! holds `per_page` items at most (20 by default), and stopping after the first page is the
//! bug NeuVector shipped (neuvector#1797, "only 20 tags").

use super::super::vendor_api::{TokenHeader, VendorApi, header};
use crate::auth::Credentials;
use crate::{ClientOptions, RegistryError};
use reqwest::header::HeaderMap;
use serde::de::DeserializeOwned;

/// GitLab's largest `per_page`.
pub(crate) const MAX_PER_PAGE: usize = 100;
/// Pages of one listing: a server that keeps saying "next" is broken, not big.
const MAX_PAGES: usize = 100_000;

/// What to tell a user whose token is refused or too weak.
const TOKEN_HINT: &str = "use a personal, group or project access token with the read_api and \
                          read_registry scopes";

/// The API under `origin` (`https://gitlab.example.com`, no path): `origin/api/v4`.
pub(crate) fn gitlab_api(
    origin: &str,
    creds: Credentials,
    opts: &ClientOptions,
) -> Result<VendorApi, RegistryError> {
    VendorApi::new(
        &format!("{}/api/v4", origin.trim_end_matches('/')),
        creds,
        opts,
        TokenHeader::PrivateToken,
        refusal,
        MAX_PER_PAGE,
    )
}

/// One page (`page`, from "1") of the array at `path`, and the next page's number when GitLab
/// announces one in `X-Next-Page`.
pub(crate) async fn page<T: DeserializeOwned>(
    api: &VendorApi,
    path: &str,
    page: &str,
) -> Result<(Vec<T>, Option<String>), RegistryError> {
    let sep = if path.contains('?') { '&' } else { '?' };
    let query = format!("{path}{sep}per_page={}&page={page}", api.per_page);
    let (items, headers): (Vec<T>, HeaderMap) = api.get_with_headers(&query).await?;
    let next = header(&headers, "x-next-page").filter(|p| !p.is_empty() && p != page);
    Ok((items, next))
}

/// Every page of the array at `path`, handed to `each` page by page; an `Err` from `each`
/// stops the listing with it.
pub(crate) async fn pages<T: DeserializeOwned>(
    api: &VendorApi,
    path: &str,
    mut each: impl FnMut(Vec<T>) -> Result<(), RegistryError>,
) -> Result<(), RegistryError> {
    let mut pager = Pager::default();
    while let Some(p) = pager.next(api.root(), path)? {
        let (items, next) = page(api, path, &p).await?;
        each(items)?;
        pager.then(next);
    }
    Ok(())
}

/// The page numbers of one listing: from "1" while GitLab announces a next one, at most
/// [`MAX_PAGES`].
#[derive(Debug, Default)]
pub(crate) struct Pager {
    next: Option<String>,
    read: usize,
    done: bool,
}

impl Pager {
    /// The page to read now, or `None` when the listing is over.
    pub(crate) fn next(&mut self, root: &str, path: &str) -> Result<Option<String>, RegistryError> {
        if self.done {
            return Ok(None);
        }
        if self.read >= MAX_PAGES {
            return Err(RegistryError::TooMany {
                what: format!("{root}{path}"),
                limit: MAX_PAGES as u64,
                items: "pages",
                hint: "the server keeps announcing a next page",
            });
        }
        self.read += 1;
        Ok(Some(self.next.take().unwrap_or_else(|| "1".into())))
    }

    /// What the page just read announced.
    pub(crate) fn then(&mut self, next: Option<String>) {
        self.done = next.is_none();
        self.next = next;
    }
}

/// GitLab's own words from an error body: `message` (`"404 Project Not Found"`, or an object
/// of field errors), else `error` with `error_description` (OAuth-style token errors).
pub(crate) fn gitlab_says(body: &[u8]) -> String {
    let Ok(v) = serde_json::from_slice::<serde_json::Value>(body) else {
        return String::from_utf8_lossy(body)
            .trim()
            .chars()
            .take(200)
            .collect();
    };
    match (
        &v["message"],
        v["error"].as_str(),
        v["error_description"].as_str(),
    ) {
        (serde_json::Value::String(m), _, _) => m.clone(),
        (m @ serde_json::Value::Object(_), _, _) => m.to_string(),
        (_, Some(e), Some(d)) => format!("{e}: {d}"),
        (_, Some(e), None) => e.to_string(),
        _ => v.to_string().chars().take(200).collect(),
    }
}

/// A non-2xx answer as an error that says what to fix.
fn refusal(
    url: &str,
    status: u16,
    headers: &HeaderMap,
    body: &[u8],
    sent_token: bool,
) -> RegistryError {
    let said = gitlab_says(body);
    let challenge = header(headers, "www-authenticate").unwrap_or_default();
    let auth = |message: String| RegistryError::Auth {
        url: url.to_string(),
        message,
    };
    match status {
        401 if !sent_token => auth(format!(
            "GitLab requires a token ({said}); set the credential's apiToken: {TOKEN_HINT}"
        )),
        401 => auth(format!(
            "GitLab refused the API token ({said}); it is wrong, expired or revoked: \
             {TOKEN_HINT}"
        )),
        403 if said.contains("insufficient_scope") || challenge.contains("insufficient_scope") => {
            auth(format!(
                "the API token lacks the read_api scope ({said}); {TOKEN_HINT}"
            ))
        }
        403 => auth(format!(
            "GitLab refused access ({said}); the token's user needs at least the Reporter role \
             on the project or group, and the token the read_api scope"
        )),
        404 => RegistryError::Status {
            url: url.to_string(),
            status,
            message: format!(
                "{said} (check the ID in gitlabRegistrySpec, and that the token's user can \
                 see it)"
            ),
        },
        _ => RegistryError::Status {
            url: url.to_string(),
            status,
            message: said,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gitlab_error_bodies_become_messages() {
        assert_eq!(
            gitlab_says(br#"{"message":"404 Project Not Found"}"#),
            "404 Project Not Found"
        );
        assert_eq!(
            gitlab_says(br#"{"error":"invalid_token","error_description":"Token has expired."}"#),
            "invalid_token: Token has expired."
        );
        let h = HeaderMap::new();
        let scope = br#"{"error":"insufficient_scope","error_description":"The request requires higher privileges than provided by the access token.","scope":"api read_api"}"#;
        let e = refusal("u", 403, &h, scope, true).to_string();
        assert!(e.contains("lacks the read_api scope"), "{e}");
        let e = refusal("u", 401, &h, br#"{"message":"401 Unauthorized"}"#, true).to_string();
        assert!(
            e.contains("wrong, expired or revoked") && e.contains("read_api"),
            "{e}"
        );
        let e = refusal("u", 401, &h, b"", false).to_string();
        assert!(e.contains("set the credential's apiToken"), "{e}");
        let e = refusal("u", 404, &h, br#"{"message":"404 Group Not Found"}"#, true);
        assert_eq!(e.status(), Some(404));
        assert!(e.to_string().contains("check the ID in gitlabRegistrySpec"));
    }
}
