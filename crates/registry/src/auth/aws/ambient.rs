//! The identity of the place Crowsnest runs, for an `aws` registry without keys (`useAWSRole`,
//! or no credential): in the order AWS's SDKs try them after environment keys,
//!
//! 1. **web identity** (EKS IRSA): `AWS_WEB_IDENTITY_TOKEN_FILE` + `AWS_ROLE_ARN`
//!    (`AWS_ROLE_SESSION_NAME`), exchanged by the unsigned STS `AssumeRoleWithWebIdentity`;
//! 2. **the instance's role** through IMDSv2: `PUT /latest/api/token` (a session token, asked
//!    with its TTL), then `GET /latest/meta-data/iam/security-credentials/` for the role name and
//!    `…/<role>` for its keys, each with the token. `AWS_EC2_METADATA_SERVICE_ENDPOINT` moves
//!    it (default `http://169.254.169.254`), `AWS_EC2_METADATA_DISABLED=true` turns it off.
//!
//! Both give temporary keys with an expiry; [`AwsSession`](super::AwsSession) keeps them until
//! five minutes before it.

use super::{AwsKeys, xml_field};
use crate::{RegistryError, VendorEndpoints};
use jiff::Timestamp;

/// Where the instance metadata service answers unless told otherwise.
const IMDS_DEFAULT: &str = "http://169.254.169.254";

/// Temporary keys of the environment's identity, and when they expire.
pub(super) async fn ambient_keys(
    http: &reqwest::Client,
    env: &VendorEndpoints,
    sts_url: &str,
    count: &(dyn Fn() + Sync),
) -> Result<(AwsKeys, Timestamp), RegistryError> {
    if let (Some(file), Some(role)) = (
        env.get("AWS_WEB_IDENTITY_TOKEN_FILE"),
        env.get("AWS_ROLE_ARN"),
    ) {
        let session = env
            .get("AWS_ROLE_SESSION_NAME")
            .unwrap_or("crowsnest-registry-scan");
        return web_identity(http, sts_url, file, role, session, count).await;
    }
    if env
        .get("AWS_EC2_METADATA_DISABLED")
        .is_some_and(|v| v.eq_ignore_ascii_case("true"))
    {
        return Err(RegistryError::Auth {
            url: IMDS_DEFAULT.into(),
            message: "no AWS keys: the credential has none, AWS_ACCESS_KEY_ID is not set, and \
                      the instance metadata service is disabled (AWS_EC2_METADATA_DISABLED)"
                .into(),
        });
    }
    let base = env
        .get("AWS_EC2_METADATA_SERVICE_ENDPOINT")
        .unwrap_or(IMDS_DEFAULT)
        .trim_end_matches('/')
        .to_string();
    instance_role(http, &base, count).await
}

fn unreachable(url: &str, e: impl std::fmt::Display, what: &str) -> RegistryError {
    RegistryError::Unreachable {
        url: url.to_string(),
        message: format!("{e} ({what})"),
    }
}

async fn web_identity(
    http: &reqwest::Client,
    sts_url: &str,
    file: &str,
    role: &str,
    session: &str,
    count: &(dyn Fn() + Sync),
) -> Result<(AwsKeys, Timestamp), RegistryError> {
    let token = std::fs::read_to_string(file).map_err(|e| RegistryError::Auth {
        url: sts_url.to_string(),
        message: format!("cannot read AWS_WEB_IDENTITY_TOKEN_FILE {file}: {e}"),
    })?;
    let enc = super::sigv4::uri_encode;
    let body = format!(
        "Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn={}&RoleSessionName={}&WebIdentityToken={}",
        enc(role),
        enc(session),
        enc(token.trim())
    );
    count();
    let resp = http
        .post(sts_url)
        .header(
            "content-type",
            "application/x-www-form-urlencoded; charset=utf-8",
        )
        .body(body)
        .send()
        .await
        .map_err(|e| unreachable(sts_url, e, "STS AssumeRoleWithWebIdentity"))?;
    let status = resp.status().as_u16();
    let text = resp
        .text()
        .await
        .map_err(|e| unreachable(sts_url, e, "STS AssumeRoleWithWebIdentity"))?;
    if status != 200 {
        return Err(RegistryError::Auth {
            url: sts_url.to_string(),
            message: format!(
                "the web identity (AWS_WEB_IDENTITY_TOKEN_FILE) may not assume {role} (AWS said {}: {})",
                xml_field(&text, "Code").unwrap_or_default(),
                xml_field(&text, "Message").unwrap_or_default()
            ),
        });
    }
    let field = |name: &str| {
        xml_field(&text, name).ok_or_else(|| {
            RegistryError::malformed(
                "STS AssumeRoleWithWebIdentity answer",
                format!("no <{name}>"),
            )
        })
    };
    let expires = field("Expiration")?
        .parse()
        .map_err(|e| RegistryError::malformed("STS AssumeRoleWithWebIdentity answer", e))?;
    Ok((
        AwsKeys {
            access_key_id: field("AccessKeyId")?,
            secret_access_key: field("SecretAccessKey")?,
            session_token: Some(field("SessionToken")?),
        },
        expires,
    ))
}

async fn instance_role(
    http: &reqwest::Client,
    base: &str,
    count: &(dyn Fn() + Sync),
) -> Result<(AwsKeys, Timestamp), RegistryError> {
    let what = "IMDSv2: the instance's role";
    let url = format!("{base}/latest/api/token");
    count();
    let resp = http
        .put(&url)
        .header("x-aws-ec2-metadata-token-ttl-seconds", "21600")
        .timeout(std::time::Duration::from_secs(2))
        .send()
        .await
        .map_err(|e| {
            unreachable(
                &url,
                e,
                "no AWS keys, and no instance metadata service answered",
            )
        })?;
    if !resp.status().is_success() {
        return Err(RegistryError::Auth {
            url,
            message: format!("{what}: session token refused with HTTP {}", resp.status()),
        });
    }
    let token = resp.text().await.map_err(|e| unreachable(&url, e, what))?;
    let get = |path: String| {
        count();
        let url = format!("{base}/latest/meta-data/iam/security-credentials/{path}");
        let req = http
            .get(&url)
            .header("x-aws-ec2-metadata-token", token.trim());
        async move {
            let resp = req.send().await.map_err(|e| unreachable(&url, e, what))?;
            let status = resp.status();
            let text = resp.text().await.map_err(|e| unreachable(&url, e, what))?;
            if !status.is_success() {
                return Err(RegistryError::Auth {
                    url,
                    message: format!(
                        "{what}: HTTP {status} (is an IAM role attached to the instance?)"
                    ),
                });
            }
            Ok(text)
        }
    };
    let roles = get(String::new()).await?;
    let role = roles.lines().next().unwrap_or_default().trim().to_string();
    if role.is_empty() {
        return Err(RegistryError::Auth {
            url: base.to_string(),
            message: format!("{what}: no IAM role is attached to the instance"),
        });
    }
    let text = get(role.clone()).await?;
    let v: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| RegistryError::malformed(format!("{what} {role}"), e))?;
    let s = |k: &str| {
        v[k].as_str()
            .map(str::to_string)
            .ok_or_else(|| RegistryError::malformed(format!("{what} {role}"), format!("no {k}")))
    };
    if v["Code"].as_str().is_some_and(|c| c != "Success") {
        return Err(RegistryError::Auth {
            url: base.to_string(),
            message: format!(
                "{what} {role}: {}",
                v["Message"].as_str().unwrap_or("refused")
            ),
        });
    }
    let expires = s("Expiration")?
        .parse()
        .map_err(|e| RegistryError::malformed(format!("{what} {role}"), e))?;
    Ok((
        AwsKeys {
            access_key_id: s("AccessKeyId")?,
            secret_access_key: s("SecretAccessKey")?,
            session_token: Some(s("Token")?),
        },
        expires,
    ))
}
