//! Registry type `"aws"`: Amazon ECR. The account and region come from the registry host as
//! users write it (`<account>.dkr.ecr[-fips].<region>.amazonaws.com[.cn]`); a host that does
//! not say them (a proxy, our simulators) uses the caller's own account and `AWS_REGION`.
//!
//! - **Login.** The identity ([`AwsIdentity`]: access key, STS role with external ID, the
//!   environment's keys) signs ECR's API ([`api`]); `GetAuthorizationToken` gives the v2 login
//!   `AWS:<password>`, used as Basic and renewed before its 12 hours run out.
//! - **Repositories** from `DescribeRepositories`, **tags and push dates** from
//!   `DescribeImages` (both paged with `nextToken`): `cap` keeps the newest by `imagePushedAt`,
//!   so no config is read for ordering. Helm charts and other artifacts are recognised by
//!   `artifactMediaType` and skipped.
//! - **Digests** come from the listing too: a single-platform image's `imageDigest` is what a
//!   scanner pulls, so it resolves without a request; a multi-platform index goes through the v2
//!   API for its platform's manifest.
//! - **Endpoints**: `AWS_ENDPOINT_URL_ECR` (then `AWS_ENDPOINT_URL`), `AWS_ENDPOINT_URL_STS`,
//!   `AWS_REGION` ([`VendorEndpoints`]).

pub(crate) mod api;

use super::{ImageFacts, ListedTag, Source, TagVisit, V2Source};
use crate::auth::aws::{AwsIdentity, AwsSession, dns_suffix, with_scheme};
use crate::{
    Credentials, Digest, RefreshingToken, RegistryAuth, RegistryClient, RegistryError,
    VendorEndpoints, Visit, classify_manifest,
};
use api::{EcrApi, EcrLogin, ImageDetail, MAX_RESULTS};
use crowsnest_model::ScanTarget;
use crowsnest_model::pattern::Selection;
use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Tag → digest pairs remembered from listings, at most (beyond, tags resolve through v2).
const MAX_REMEMBERED: usize = 200_000;

/// What an ECR registry host says.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct EcrHost {
    pub(crate) account: Option<String>,
    pub(crate) region: Option<String>,
    pub(crate) fips: bool,
}

/// Reads account and region from `<account>.dkr.ecr[-fips].<region>.amazonaws.com[.cn]`
/// (scheme, port and path ignored); anything else says neither.
pub(crate) fn parse_host(address: &str) -> EcrHost {
    let rest = address.split_once("://").map_or(address, |(_, r)| r);
    let host = rest.split(['/', ':']).next().unwrap_or_default();
    let labels: Vec<&str> = host.split('.').collect();
    match labels.as_slice() {
        [
            account,
            "dkr",
            ecr @ ("ecr" | "ecr-fips"),
            region,
            "amazonaws",
            "com",
            ..,
        ] if account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit()) => EcrHost {
            account: Some(account.to_string()),
            region: Some(region.to_string()),
            fips: *ecr == "ecr-fips",
        },
        _ => EcrHost::default(),
    }
}

/// Turns `creds` into an ECR login for `target` (its auth must be [`RegistryAuth::Aws`], or
/// anonymous for the environment's keys) and returns the control plane it uses.
pub(crate) fn prepare(
    target: &ScanTarget,
    creds: &mut Credentials,
    env: &VendorEndpoints,
    page_size: Option<usize>,
    timeout: std::time::Duration,
) -> Result<Arc<EcrApi>, RegistryError> {
    let identity = match std::mem::take(&mut creds.auth) {
        RegistryAuth::Aws(id) => id,
        RegistryAuth::Anonymous => AwsIdentity::from_environment(),
        other => {
            creds.auth = other;
            return Err(RegistryError::Spec(
                "an \"aws\" registry needs a credential of type \"aws\" (access key ID and \
                 secret, or a role to assume)"
                    .into(),
            ));
        }
    };
    let host = parse_host(target.address().display());
    let region = host
        .region
        .clone()
        .or_else(|| env.get("AWS_REGION").map(str::to_string))
        .or_else(|| env.get("AWS_DEFAULT_REGION").map(str::to_string))
        .ok_or_else(|| {
            RegistryError::Spec(format!(
                "registry {:?} does not name an AWS region: write it as \
                 <account>.dkr.ecr.<region>.amazonaws.com, or set AWS_REGION",
                target.address().display()
            ))
        })?;
    let url = env
        .get("AWS_ENDPOINT_URL_ECR")
        .or_else(|| env.get("AWS_ENDPOINT_URL"))
        .map(with_scheme)
        .unwrap_or_else(|| {
            let service = if host.fips { "ecr-fips" } else { "api.ecr" };
            format!("https://{service}.{region}.{}", dns_suffix(&region))
        });
    let api = Arc::new(EcrApi {
        session: AwsSession::new(identity, &region, env, timeout)?,
        url,
        registry_id: host.account,
        page_size: page_size.unwrap_or(MAX_RESULTS).clamp(1, MAX_RESULTS),
    });
    creds.auth = RegistryAuth::Token(RefreshingToken::new(Arc::new(EcrLogin(api.clone()))));
    Ok(api)
}

/// The `"aws"` discovery source.
pub(crate) struct EcrSource {
    api: Arc<EcrApi>,
    v2: V2Source,
    /// (repo, tag) → the listed single-platform digest, so `image` needs no request.
    digests: Mutex<HashMap<(String, String), Digest>>,
}

impl EcrSource {
    pub(crate) fn new(
        target: &ScanTarget,
        client: RegistryClient,
        api: Arc<EcrApi>,
    ) -> Result<EcrSource, RegistryError> {
        Ok(EcrSource {
            api,
            v2: V2Source::new(target, client)?,
            digests: Mutex::new(HashMap::new()),
        })
    }

    async fn list(&self, selection: &Selection, visit: Visit<'_>) -> Result<(), RegistryError> {
        let exact = selection.include().exact();
        let mut picked = |r: &str| {
            if selection.matches(r) {
                visit(r)
            } else {
                Ok(())
            }
        };
        self.api.repositories(exact, &mut picked).await
    }

    async fn list_tags(&self, repo: &str, visit: TagVisit<'_>) -> Result<(), RegistryError> {
        let mut remember = |d: ImageDetail| {
            let artifact = d.artifact_media_type.as_deref().and_then(|config| {
                classify_manifest(None, Some(config), std::iter::empty::<&str>())
            });
            let single = d
                .manifest_media_type
                .as_deref()
                .is_some_and(is_single_manifest);
            if single
                && artifact.is_none()
                && let Ok(digest) = Digest::parse(&d.digest)
            {
                let mut map = self.digests.lock().unwrap_or_else(|p| p.into_inner());
                for t in &d.tags {
                    if map.len() < MAX_REMEMBERED {
                        map.insert((repo.to_string(), t.clone()), digest.clone());
                    }
                }
            }
            for t in &d.tags {
                visit(ListedTag {
                    name: t,
                    pushed: d.pushed,
                    artifact: artifact.or(crate::classify_tag(t)),
                })?;
            }
            Ok(())
        };
        self.api.images(repo, &mut remember).await
    }

    async fn resolve(
        &self,
        repo: &str,
        tag: &str,
        need_created: bool,
    ) -> Result<ImageFacts, RegistryError> {
        let listed = self
            .digests
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&(repo.to_string(), tag.to_string()))
            .cloned();
        match listed {
            // The listing dated it; the pipeline reads `created` from the push date.
            Some(digest) if !need_created => Ok(ImageFacts {
                digest,
                index_digest: None,
                created: None,
            }),
            _ => self.v2.image(repo, tag, need_created).await,
        }
    }
}

/// Single-platform manifest media types: their `imageDigest` is what a scanner pulls.
fn is_single_manifest(media_type: &str) -> bool {
    matches!(
        media_type,
        crate::DOCKER_MANIFEST
            | crate::OCI_MANIFEST
            | crate::DOCKER_SCHEMA1
            | crate::DOCKER_SCHEMA1_SIGNED
    )
}

impl Source for EcrSource {
    fn registry(&self) -> &str {
        self.v2.registry()
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
        self.v2.requests_sent() + self.api.session.requests()
    }
}

/// The kinds of artifact ECR's `artifactMediaType` can name (for tests).
#[cfg(test)]
fn kind_of(config: &str) -> Option<crate::ArtifactKind> {
    classify_manifest(None, Some(config), std::iter::empty::<&str>())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ArtifactKind;

    #[test]
    fn account_and_region_come_from_the_host() {
        let h = parse_host("123456789012.dkr.ecr.eu-west-1.amazonaws.com");
        assert_eq!(h.account.as_deref(), Some("123456789012"));
        assert_eq!(h.region.as_deref(), Some("eu-west-1"));
        assert!(!h.fips);
        let h = parse_host("https://123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com:443/x");
        assert_eq!(h.region.as_deref(), Some("us-gov-west-1"));
        assert!(h.fips);
        let h = parse_host("123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn");
        assert_eq!(h.region.as_deref(), Some("cn-north-1"));
        assert_eq!(parse_host("http://127.0.0.1:5000"), EcrHost::default());
        assert_eq!(
            parse_host("12345.dkr.ecr.us-east-1.amazonaws.com"),
            EcrHost::default()
        );
    }

    #[test]
    fn helm_charts_are_known_by_artifact_media_type() {
        assert_eq!(
            kind_of("application/vnd.cncf.helm.config.v1+json"),
            Some(ArtifactKind::HelmChart)
        );
        assert_eq!(
            kind_of("application/vnd.docker.container.image.v1+json"),
            None
        );
        assert!(is_single_manifest(crate::OCI_MANIFEST));
        assert!(!is_single_manifest(crate::OCI_INDEX));
    }
}
