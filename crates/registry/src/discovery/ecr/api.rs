//! ECR's control plane: JSON 1.1 calls (`POST /`, `X-Amz-Target:
//! AmazonEC2ContainerRegistry_V20150921.<Op>`, SigV4 service `ecr`) for the three operations a
//! scan needs, each paged with `nextToken`, and the login they give the v2 API
//! ([`EcrLogin`]: `GetAuthorizationToken` → Basic `AWS:<password>`, valid 12 hours and renewed
//! before it lapses by [`RefreshingToken`](crate::RefreshingToken)).
//!
//! Errors come back as `{"__type": "...Exception", "message": "..."}`; refusals are turned by
//! [`AwsSession::refusal`] into messages naming the IAM action (`ecr:DescribeImages`) or the
//! credential at fault.

use crate::auth::aws::AwsSession;
use crate::{ProvidedToken, RegistryError, TokenProvider};
use base64::Engine as _;
use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use jiff::Timestamp;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::{Duration, Instant};

const TARGET_PREFIX: &str = "AmazonEC2ContainerRegistry_V20150921.";
/// ECR's ceiling for `maxResults`.
pub(crate) const MAX_RESULTS: usize = 1000;

/// One image as `DescribeImages` lists it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ImageDetail {
    pub(crate) digest: String,
    pub(crate) tags: Vec<String>,
    pub(crate) pushed: Option<Timestamp>,
    pub(crate) manifest_media_type: Option<String>,
    pub(crate) artifact_media_type: Option<String>,
}

/// The control plane of one registry (account and region).
pub(crate) struct EcrApi {
    pub(crate) session: AwsSession,
    pub(crate) url: String,
    /// The account whose registry is listed; `None`: the caller's own.
    pub(crate) registry_id: Option<String>,
    pub(crate) page_size: usize,
}

impl EcrApi {
    /// One call of `op` (IAM action `ecr:<op>`); `registry_id` adds the account to the body.
    async fn call(
        &self,
        op: &str,
        mut body: Value,
        registry_id: bool,
    ) -> Result<Value, RegistryError> {
        if let (true, Some(id), Some(obj)) = (registry_id, &self.registry_id, body.as_object_mut())
        {
            obj.insert("registryId".into(), json!(id));
        }
        let headers = [("x-amz-target".to_string(), format!("{TARGET_PREFIX}{op}"))];
        let (answer, keys) = self
            .session
            .call(
                &self.url,
                "ecr",
                "application/x-amz-json-1.1",
                &headers,
                body.to_string().into_bytes(),
            )
            .await?;
        let value: Value = serde_json::from_slice(&answer.body).unwrap_or(Value::Null);
        if answer.status == 200 {
            return Ok(value);
        }
        // `__type` may carry a namespace prefix (`com.amazonaws.ecr#…`).
        let code = value["__type"].as_str().unwrap_or_default();
        let code = code.rsplit('#').next().unwrap_or(code);
        let message = value["message"]
            .as_str()
            .or(value["Message"].as_str())
            .unwrap_or_default();
        let action = format!("ecr:{op}");
        Err(self.session.refusal(
            &format!("{} ({op})", self.url),
            answer.status,
            code,
            message,
            &action,
            &keys,
        ))
    }

    /// `GetAuthorizationToken`: the v2 login and when it lapses.
    pub(crate) async fn authorization(&self) -> Result<ProvidedToken, RegistryError> {
        let body = match &self.registry_id {
            // The (deprecated but still honoured) `registryIds` names the account to log in to.
            Some(id) => json!({ "registryIds": [id] }),
            None => json!({}),
        };
        let v = self.call("GetAuthorizationToken", body, false).await?;
        let what = format!("{} GetAuthorizationToken answer", self.url);
        let data = &v["authorizationData"][0];
        let token = data["authorizationToken"]
            .as_str()
            .ok_or_else(|| RegistryError::malformed(&what, "no authorizationToken"))?;
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(token.trim())
            .map_err(|e| RegistryError::malformed(&what, e))?;
        let decoded = String::from_utf8(decoded).map_err(|e| RegistryError::malformed(&what, e))?;
        let (username, secret) = decoded
            .split_once(':')
            .ok_or_else(|| RegistryError::malformed(&what, "token is not user:password"))?;
        // `expiresAt` is epoch seconds; an answer without it is treated as ECR's 12 hours.
        let lifetime = match data["expiresAt"].as_f64() {
            Some(at) => {
                let now = Timestamp::now().as_millisecond() as f64 / 1000.0;
                Duration::from_secs_f64((at - now).max(0.0))
            }
            None => Duration::from_secs(12 * 3600),
        };
        Ok(ProvidedToken {
            username: username.to_string(),
            secret: secret.to_string(),
            expires_at: Instant::now() + lifetime,
        })
    }

    /// `DescribeRepositories`, every page (or just `name`), each repository name to `visit`.
    pub(crate) async fn repositories(
        &self,
        name: Option<&str>,
        visit: &mut (dyn FnMut(&str) -> Result<(), RegistryError> + Send),
    ) -> Result<(), RegistryError> {
        let mut next: Option<String> = None;
        loop {
            let mut body = match name {
                Some(n) => json!({ "repositoryNames": [n] }),
                None => json!({ "maxResults": self.page_size }),
            };
            if let Some(t) = &next {
                body["nextToken"] = json!(t);
            }
            let v = self.call("DescribeRepositories", body, true).await?;
            for r in v["repositories"].as_array().into_iter().flatten() {
                if let Some(n) = r["repositoryName"].as_str() {
                    visit(n)?;
                }
            }
            next = v["nextToken"].as_str().map(str::to_string);
            if next.is_none() {
                return Ok(());
            }
        }
    }

    /// `DescribeImages` of `repo`, tagged images only, every page, each image to `visit`.
    pub(crate) async fn images(
        &self,
        repo: &str,
        visit: &mut (dyn FnMut(ImageDetail) -> Result<(), RegistryError> + Send),
    ) -> Result<(), RegistryError> {
        let mut next: Option<String> = None;
        loop {
            let mut body = json!({
                "repositoryName": repo,
                "maxResults": self.page_size,
                "filter": { "tagStatus": "TAGGED" },
            });
            if let Some(t) = &next {
                body["nextToken"] = json!(t);
            }
            let v = self.call("DescribeImages", body, true).await?;
            for d in v["imageDetails"].as_array().into_iter().flatten() {
                let text = |k: &str| d[k].as_str().map(str::to_string);
                visit(ImageDetail {
                    digest: text("imageDigest").unwrap_or_default(),
                    tags: d["imageTags"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(|t| t.as_str().map(str::to_string))
                        .collect(),
                    pushed: d["imagePushedAt"].as_f64().and_then(|s| {
                        Timestamp::from_millisecond((s * 1000.0).round() as i64).ok()
                    }),
                    manifest_media_type: text("imageManifestMediaType"),
                    artifact_media_type: text("artifactMediaType"),
                })?;
            }
            next = v["nextToken"].as_str().map(str::to_string);
            if next.is_none() {
                return Ok(());
            }
        }
    }
}

/// The v2 login of an ECR registry, from `GetAuthorizationToken`.
pub(crate) struct EcrLogin(pub(crate) Arc<EcrApi>);

impl TokenProvider for EcrLogin {
    fn token(&self) -> BoxFuture<'_, Result<ProvidedToken, RegistryError>> {
        self.0.authorization().boxed()
    }
}
