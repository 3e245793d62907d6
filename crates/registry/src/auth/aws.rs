//! AWS identities: who signs the ECR calls. An [`AwsIdentity`] is what a stored `aws`
//! credential says (an access key pair, temporary keys with a session token, a role to assume
//! with STS and its external ID) or, without keys, the process environment's keys.
//! [`AwsSession`] turns it into signing keys at call time, assuming the role with STS and
//! keeping the role's keys until five minutes before they expire, and sends signed calls.
//!
//! AWS's error codes become messages that say what to fix: a wrong secret, an unknown key, an
//! expired session token, a missing IAM action (named), each naming the credential.

mod ambient;

use super::sigv4::{self, AwsKeys, Unsigned};
use crate::{RegistryError, VendorEndpoints};
use jiff::Timestamp;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// How an `aws` registry is signed for.
#[derive(Clone, PartialEq, Eq)]
pub struct AwsIdentity {
    /// The stored credential's `_id`, for messages (empty for the environment's keys).
    pub(crate) credential_id: String,
    /// `None`: the environment's `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY`.
    pub(crate) keys: Option<AwsKeys>,
    pub(crate) role_arn: Option<String>,
    pub(crate) external_id: Option<String>,
    /// The credential's first `stsEndpoints` entry.
    pub(crate) sts_endpoint: Option<String>,
    /// `useSTSRegionalEndpoint`: STS of the registry's region rather than the global one.
    pub(crate) sts_regional: bool,
}

impl std::fmt::Debug for AwsIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AwsIdentity")
            .field("credential_id", &self.credential_id)
            .field("keys", &self.keys)
            .field("role_arn", &self.role_arn)
            .finish_non_exhaustive()
    }
}

impl AwsIdentity {
    /// An access key pair (`session_token` for temporary keys).
    pub fn access_key(
        credential_id: impl Into<String>,
        access_key_id: impl Into<String>,
        secret_access_key: impl Into<String>,
        session_token: Option<String>,
    ) -> AwsIdentity {
        AwsIdentity {
            credential_id: credential_id.into(),
            keys: Some(AwsKeys {
                access_key_id: access_key_id.into(),
                secret_access_key: secret_access_key.into(),
                session_token: session_token.filter(|t| !t.is_empty()),
            }),
            role_arn: None,
            external_id: None,
            sts_endpoint: None,
            sts_regional: false,
        }
    }

    /// The environment's keys (`AWS_ACCESS_KEY_ID`, …, as [`VendorEndpoints`] holds them).
    pub fn from_environment() -> AwsIdentity {
        AwsIdentity {
            credential_id: String::new(),
            keys: None,
            role_arn: None,
            external_id: None,
            sts_endpoint: None,
            sts_regional: false,
        }
    }

    /// The same keys, used to assume `role_arn` (with `external_id` when the role's trust
    /// policy asks for one).
    pub fn assuming(mut self, role_arn: &str, external_id: Option<&str>) -> AwsIdentity {
        self.role_arn = Some(role_arn.to_string()).filter(|r| !r.trim().is_empty());
        self.external_id = external_id.map(str::to_string).filter(|e| !e.is_empty());
        self
    }

    /// STS at `endpoint` (a credential's `stsEndpoints`), or the registry region's STS.
    pub fn with_sts(mut self, endpoint: Option<&str>, regional: bool) -> AwsIdentity {
        self.sts_endpoint = endpoint.map(str::to_string).filter(|e| !e.is_empty());
        self.sts_regional = regional;
        self
    }

    /// "credential "x"" or "the environment's AWS keys", for messages.
    pub(crate) fn who(&self) -> String {
        match (&self.credential_id, &self.role_arn) {
            (id, None) if id.is_empty() => "the environment's AWS keys".into(),
            (id, None) => format!("credential {id:?}"),
            (id, Some(role)) if id.is_empty() => {
                format!("role {role} (assumed with the environment's AWS keys)")
            }
            (id, Some(role)) => format!("role {role} (assumed with credential {id:?})"),
        }
    }
}

/// One signed-call answer: status and body.
pub(crate) struct AwsAnswer {
    pub(crate) status: u16,
    pub(crate) body: bytes::Bytes,
}

/// An identity in use for one region: signing keys on demand, signed calls, a request count.
pub(crate) struct AwsSession {
    http: reqwest::Client,
    identity: AwsIdentity,
    base_keys: Option<AwsKeys>,
    env: VendorEndpoints,
    /// The environment's temporary keys (web identity, instance role) and their expiry.
    ambient: tokio::sync::Mutex<Option<(AwsKeys, Timestamp)>>,
    region: String,
    sts_url: String,
    requests: AtomicU64,
    assumed: tokio::sync::Mutex<Option<(AwsKeys, Timestamp)>>,
}

/// Role sessions are asked for this long (STS's default is one hour too).
const ROLE_SESSION_SECONDS: u64 = 3600;

impl AwsSession {
    pub(crate) fn new(
        identity: AwsIdentity,
        region: &str,
        env: &VendorEndpoints,
        timeout: Duration,
    ) -> Result<AwsSession, RegistryError> {
        let base_keys = match &identity.keys {
            Some(k) => Some(k.clone()),
            None => match (
                env.get("AWS_ACCESS_KEY_ID"),
                env.get("AWS_SECRET_ACCESS_KEY"),
            ) {
                (Some(id), Some(secret)) => Some(AwsKeys {
                    access_key_id: id.to_string(),
                    secret_access_key: secret.to_string(),
                    session_token: env.get("AWS_SESSION_TOKEN").map(str::to_string),
                }),
                _ => None,
            },
        };
        let regional =
            identity.sts_regional || env.get("AWS_STS_REGIONAL_ENDPOINTS") == Some("regional");
        let sts_url = identity
            .sts_endpoint
            .clone()
            .or_else(|| env.get("AWS_ENDPOINT_URL_STS").map(str::to_string))
            .or_else(|| env.get("AWS_ENDPOINT_URL").map(str::to_string))
            .unwrap_or_else(|| {
                if regional {
                    format!("https://sts.{region}.{}", dns_suffix(region))
                } else {
                    "https://sts.amazonaws.com".into()
                }
            });
        // The same process-wide ring provider as the registry client (reqwest has none).
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .user_agent(concat!("crowsnest/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| RegistryError::Tls(e.to_string()))?;
        Ok(AwsSession {
            http,
            identity,
            base_keys,
            env: env.clone(),
            ambient: tokio::sync::Mutex::new(None),
            region: region.to_string(),
            sts_url: with_scheme(&sts_url),
            requests: AtomicU64::new(0),
            assumed: tokio::sync::Mutex::new(None),
        })
    }

    pub(crate) fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// The keys to sign with now: the identity's own, or the assumed role's (assumed again
    /// five minutes before they expire).
    pub(crate) async fn keys(&self) -> Result<AwsKeys, RegistryError> {
        let base = match &self.base_keys {
            Some(k) => k.clone(),
            None => self.ambient_keys().await?,
        };
        let Some(role) = &self.identity.role_arn else {
            return Ok(base);
        };
        let mut assumed = self.assumed.lock().await;
        if let Some((keys, expires)) = assumed.as_ref()
            && Timestamp::now() + Duration::from_secs(300) < *expires
        {
            return Ok(keys.clone());
        }
        let (keys, expires) = self.assume_role(&base, role).await?;
        *assumed = Some((keys.clone(), expires));
        Ok(keys)
    }

    /// The keys of where Crowsnest runs (web identity, then the instance's role), cached until
    /// five minutes before they expire.
    async fn ambient_keys(&self) -> Result<AwsKeys, RegistryError> {
        let mut cached = self.ambient.lock().await;
        if let Some((keys, expires)) = cached.as_ref()
            && Timestamp::now() + Duration::from_secs(300) < *expires
        {
            return Ok(keys.clone());
        }
        let count = || {
            self.requests.fetch_add(1, Ordering::Relaxed);
        };
        let (keys, expires) =
            ambient::ambient_keys(&self.http, &self.env, &self.sts_url, &count).await?;
        *cached = Some((keys.clone(), expires));
        Ok(keys)
    }

    async fn assume_role(
        &self,
        base: &AwsKeys,
        role: &str,
    ) -> Result<(AwsKeys, Timestamp), RegistryError> {
        let mut form = vec![
            ("Action", "AssumeRole".to_string()),
            ("Version", "2011-06-15".into()),
            ("RoleArn", role.to_string()),
            ("RoleSessionName", "crowsnest-registry-scan".into()),
            ("DurationSeconds", ROLE_SESSION_SECONDS.to_string()),
        ];
        if let Some(ext) = &self.identity.external_id {
            form.push(("ExternalId", ext.clone()));
        }
        let body = form
            .iter()
            .map(|(k, v)| format!("{k}={}", sigv4::uri_encode(v)))
            .collect::<Vec<_>>()
            .join("&");
        let sts_region = if self.sts_url == "https://sts.amazonaws.com" {
            "us-east-1"
        } else {
            &self.region
        };
        let answer = self
            .send(
                &self.sts_url,
                base,
                "sts",
                sts_region,
                "application/x-www-form-urlencoded; charset=utf-8",
                &[],
                body.into_bytes(),
            )
            .await?;
        let text = String::from_utf8_lossy(&answer.body);
        if answer.status != 200 {
            let code = xml_field(&text, "Code").unwrap_or_default();
            let message = xml_field(&text, "Message").unwrap_or_default();
            return Err(self.refusal(
                &self.sts_url,
                answer.status,
                &code,
                &message,
                "sts:AssumeRole",
                base,
            ));
        }
        let field = |name: &str| {
            xml_field(&text, name).ok_or_else(|| {
                RegistryError::malformed(
                    format!("STS AssumeRole answer from {}", self.sts_url),
                    format!("no <{name}>"),
                )
            })
        };
        let keys = AwsKeys {
            access_key_id: field("AccessKeyId")?,
            secret_access_key: field("SecretAccessKey")?,
            session_token: Some(field("SessionToken")?),
        };
        let expires: Timestamp = field("Expiration")?.parse().map_err(|e| {
            RegistryError::malformed(format!("STS AssumeRole answer from {}", self.sts_url), e)
        })?;
        Ok((keys, expires))
    }

    /// A signed POST of `body` to `url` for `service`, with the current keys; retried on
    /// throttling and 5xx (three attempts).
    pub(crate) async fn call(
        &self,
        url: &str,
        service: &str,
        content_type: &str,
        headers: &[(String, String)],
        body: Vec<u8>,
    ) -> Result<(AwsAnswer, AwsKeys), RegistryError> {
        let keys = self.keys().await?;
        let answer = self
            .send(
                url,
                &keys,
                service,
                &self.region,
                content_type,
                headers,
                body,
            )
            .await?;
        Ok((answer, keys))
    }

    #[allow(clippy::too_many_arguments)]
    async fn send(
        &self,
        url: &str,
        keys: &AwsKeys,
        service: &str,
        region: &str,
        content_type: &str,
        headers: &[(String, String)],
        body: Vec<u8>,
    ) -> Result<AwsAnswer, RegistryError> {
        let parsed = reqwest::Url::parse(url).map_err(|e| RegistryError::InvalidAddress {
            address: url.to_string(),
            reason: e.to_string(),
        })?;
        let host = match parsed.port() {
            Some(p) => format!("{}:{p}", parsed.host_str().unwrap_or_default()),
            None => parsed.host_str().unwrap_or_default().to_string(),
        };
        let mut all: Vec<(String, String)> = headers.to_vec();
        all.push(("content-type".into(), content_type.into()));
        let mut attempt = 0;
        loop {
            attempt += 1;
            let added = sigv4::sign(
                &Unsigned {
                    method: "POST",
                    host: &host,
                    path: parsed.path(),
                    query: &[],
                    headers: &all,
                    body: &body,
                },
                keys,
                region,
                service,
                Timestamp::now(),
            );
            let mut req = self.http.post(parsed.clone()).body(body.clone());
            for (k, v) in all.iter().chain(added.iter()) {
                req = req.header(k.as_str(), v.as_str());
            }
            self.requests.fetch_add(1, Ordering::Relaxed);
            let result = req.send().await;
            let retry = match &result {
                Ok(r) => r.status().is_server_error() || r.status().as_u16() == 429,
                Err(e) => e.is_timeout() || e.is_connect(),
            };
            if retry && attempt < 3 {
                tokio::time::sleep(Duration::from_millis(200 * attempt)).await;
                continue;
            }
            let resp = result.map_err(|e| RegistryError::Unreachable {
                url: url.to_string(),
                message: e.to_string(),
            })?;
            let status = resp.status().as_u16();
            let body = resp.bytes().await.map_err(|e| RegistryError::Interrupted {
                url: url.to_string(),
                message: e.to_string(),
            })?;
            return Ok(AwsAnswer { status, body });
        }
    }

    /// AWS's refusal `code` turned into what to fix. `action` is the IAM action the call needs.
    pub(crate) fn refusal(
        &self,
        url: &str,
        status: u16,
        code: &str,
        message: &str,
        action: &str,
        keys: &AwsKeys,
    ) -> RegistryError {
        let who = self.identity.who();
        let key = &keys.access_key_id;
        let aws = if message.is_empty() {
            code.to_string()
        } else {
            format!("{code}: {message}")
        };
        let auth = |message: String| RegistryError::Auth {
            url: url.to_string(),
            message: format!("{message} (AWS said {aws})"),
        };
        match code {
            "InvalidSignatureException" | "SignatureDoesNotMatch" => auth(format!(
                "the secret access key of {who} is wrong for access key ID {key}"
            )),
            "UnrecognizedClientException" | "InvalidClientTokenId" => auth(format!(
                "AWS does not know access key ID {key} of {who} (deleted, or from another partition)"
            )),
            "ExpiredTokenException" | "ExpiredToken" => {
                auth(format!("the session token of {who} has expired"))
            }
            "AccessDeniedException" | "AccessDenied" => auth(format!(
                "{who} lacks the IAM permission {action}; grant it (AmazonEC2ContainerRegistryReadOnly has every ECR action a scan needs)"
            )),
            _ => RegistryError::Status {
                url: url.to_string(),
                status,
                message: aws,
            },
        }
    }
}

/// `https://` unless the URL names its scheme.
pub(crate) fn with_scheme(url: &str) -> String {
    let url = url.trim().trim_end_matches('/');
    if url.contains("://") {
        url.to_string()
    } else {
        format!("https://{url}")
    }
}

/// AWS's DNS suffix of a region's partition.
pub(crate) fn dns_suffix(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "amazonaws.com.cn"
    } else {
        "amazonaws.com"
    }
}

/// The text of the first `<name>…</name>` in `xml` (STS answers are flat enough for this).
fn xml_field(xml: &str, name: &str) -> Option<String> {
    let start = xml.find(&format!("<{name}>"))? + name.len() + 2;
    let end = start + xml[start..].find(&format!("</{name}>"))?;
    Some(
        xml[start..end]
            .trim()
            .replace("&amp;", "&")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&#39;", "'"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_fields_are_read_and_unescaped() {
        let xml = "<AssumeRoleResponse><AssumeRoleResult><Credentials><AccessKeyId>ASIA1</AccessKeyId>\
                   <Expiration>2026-01-01T00:00:00Z</Expiration></Credentials></AssumeRoleResult>\
                   <Message>a &amp; b</Message></AssumeRoleResponse>";
        assert_eq!(xml_field(xml, "AccessKeyId").as_deref(), Some("ASIA1"));
        assert_eq!(xml_field(xml, "Message").as_deref(), Some("a & b"));
        assert_eq!(xml_field(xml, "SessionToken"), None);
    }

    #[test]
    fn who_names_the_credential_and_role() {
        let id = AwsIdentity::access_key("prod", "AKIA1", "s", None);
        assert_eq!(id.who(), "credential \"prod\"");
        assert_eq!(
            id.assuming("arn:aws:iam::1:role/r", Some("ext")).who(),
            "role arn:aws:iam::1:role/r (assumed with credential \"prod\")"
        );
        assert_eq!(
            AwsIdentity::from_environment().who(),
            "the environment's AWS keys"
        );
        assert!(
            !format!(
                "{:?}",
                AwsIdentity::access_key("p", "AKIA1", "hunter2", None)
            )
            .contains("hunter2")
        );
    }

    #[tokio::test]
    async fn sts_endpoints_follow_the_sdk_conventions() {
        let t = Duration::from_secs(5);
        let none = VendorEndpoints::default();
        let id = || AwsIdentity::access_key("c", "AKIA1", "s", None);
        let s = AwsSession::new(id(), "eu-west-1", &none, t).unwrap();
        assert_eq!(s.sts_url, "https://sts.amazonaws.com");
        let s = AwsSession::new(id().with_sts(None, true), "cn-north-1", &none, t).unwrap();
        assert_eq!(s.sts_url, "https://sts.cn-north-1.amazonaws.com.cn");
        let env = VendorEndpoints::from_pairs([("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:9/")]);
        let s = AwsSession::new(id(), "eu-west-1", &env, t).unwrap();
        assert_eq!(s.sts_url, "http://127.0.0.1:9");
        let s = AwsSession::new(id().with_sts(Some("sts.example"), false), "x", &env, t).unwrap();
        assert_eq!(s.sts_url, "https://sts.example");
        let off = VendorEndpoints::from_pairs([("AWS_EC2_METADATA_DISABLED", "true")]);
        let e = AwsSession::new(AwsIdentity::from_environment(), "x", &off, t)
            .unwrap()
            .keys()
            .await
            .unwrap_err();
        assert!(
            e.to_string()
                .contains("the instance metadata service is disabled"),
            "{e}"
        );
    }
}
