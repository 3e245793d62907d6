//! [`connect`]: from a validated [`ScanTarget`] and its stored credential to a [`Connection`]
//! holding the pull client and the discovery [`Source`] of the target's registry type, both
//! built once here with the same TLS material and login.
//!
//! This is the one place a stored credential becomes registry auth, and the one place its
//! secrets are unsealed (through the caller's `reveal`, so this crate still knows nothing of
//! how the store seals them). By credential type:
//!
//! | `type`                    | auth                                                        |
//! |---------------------------|-------------------------------------------------------------|
//! | `basic`, `dtr`            | Basic: `accountID` and `secret`                             |
//! | `apiToken`, `gitlabToken` | Basic: `accountID` and `apiToken`                           |
//! | `certificate`             | TLS client certificate: `secret` holds the PEM chain and key|
//! | `aws`                     | AWS identity: `accountID` + `secret` (access key pair; `tokens` for temporary keys), `roleArn` + `externalID` to assume, `stsEndpoints`, `useSTSRegionalEndpoint`; `useAWSRole` without keys: the environment's. Exchanged for an ECR login |
//! | anything else             | refused: "credential type … is not supported … yet"        |
//!
//! **Trust.** The credential's `skipVerify` applies. The CAs trusted beyond the system's are
//! the credential's `caCert` and then the specification's `caCert`, each once (the same PEM
//! given in both places is added once). Before, the engine let the specification's CA replace
//! the credential's for pulls while discovery appended it a second time.
//!
//! **Source.** Chosen by a `match` on [`RegistryKind`]: type `2` (which covers Docker Hub) is
//! [`V2Source`]; `aws` is ECR ([`discovery::ecr`]); `harbor` is Harbor's API
//! (`discovery/harbor.rs`), with the same credential as Basic; `jfrog` is Artifactory's
//! (`discovery/jfrog.rs`); `sonatype` is a Nexus Docker connector as a v2 root
//! (`discovery/sonatype.rs`); `gitlab` is the GitLab API source (`discovery/gitlab.rs`),
//! `coreos` Quay's (`discovery/quay.rs`), `dtr` DTR/MSR's (`discovery/dtr.rs`); every other
//! type connects (an on-demand scan of one image needs only the pull client) but has no
//! discovery yet, and [`Connection::source`] says so.

use crate::auth::{Credentials, RegistryAuth};
use crate::discovery::{
    self, DiscoveryLimits, DiscoveryOptions, DiscoveryReport, DtrSource, GitlabSource,
    HarborSource, JfrogSource, QuaySource, Source, V2Source, sonatype_connector,
};
use crate::{RegistryClient, RegistryError};
use crowsnest_model::credential::{Credential, Secret};
use crowsnest_model::{RegistryKind, ScanTarget};

/// One registry, ready: the pull client and, for types that have one, the discovery source
/// (which speaks through the same client, sharing its token cache and request count).
pub struct Connection {
    target: ScanTarget,
    client: RegistryClient,
    source: Option<Box<dyn Source>>,
    limits: DiscoveryLimits,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("registry", &self.target.address().display())
            .field("kind", &self.target.kind())
            .field("client", &self.client)
            .finish_non_exhaustive()
    }
}

/// Connects to `target`'s registry with `credential` (the specification's, when it names one;
/// the caller looks it up). `reveal` unseals one of the credential's secrets; it is called only
/// here, only for secrets the credential's type uses, and what it returns is never logged.
pub fn connect<E: std::fmt::Display>(
    target: &ScanTarget,
    credential: Option<&Credential>,
    reveal: &dyn Fn(&Secret) -> Result<String, E>,
    options: &DiscoveryOptions,
) -> Result<Connection, RegistryError> {
    let mut creds = match credential {
        Some(c) => credentials(c, reveal)?,
        None => Credentials::anonymous(),
    };
    creds.ca_cert_pem = combine_ca(creds.ca_cert_pem.as_deref(), target.ca_cert());
    Connection::with_credentials(target.clone(), creds, options)
}

impl Connection {
    /// A connection with credentials the caller resolved itself (the CLI's flags, tests).
    /// `creds.ca_cert_pem` is used as given: combine the specification's CA in first.
    pub fn with_credentials(
        target: ScanTarget,
        mut creds: Credentials,
        options: &DiscoveryOptions,
    ) -> Result<Connection, RegistryError> {
        let endpoint = target.address().endpoint_with(&options.docker_hub);
        // Cloud identities become the registry's login here, before the client exists.
        let ecr = match target.kind() {
            RegistryKind::Aws => Some(discovery::ecr::prepare(
                &target,
                &mut creds,
                &options.vendor,
                options.client.page_size,
                options.client.request_timeout,
            )?),
            _ if matches!(creds.auth, RegistryAuth::Aws(_)) => {
                return Err(RegistryError::Spec(format!(
                    "an \"aws\" credential signs only for registries of type \"aws\", not {:?}",
                    target.kind().as_str()
                )));
            }
            _ => None,
        };
        let client = RegistryClient::new(endpoint, creds.clone(), options.client.clone())?;
        let source: Option<Box<dyn Source>> = match target.kind() {
            RegistryKind::DockerV2 => Some(Box::new(V2Source::new(&target, client.clone())?)),
            RegistryKind::Aws => match ecr {
                Some(api) => Some(Box::new(discovery::ecr::EcrSource::new(
                    &target,
                    client.clone(),
                    api,
                )?)),
                None => None,
            },
            RegistryKind::Harbor => Some(Box::new(HarborSource::new(
                &target,
                client.clone(),
                &creds,
                &options.client,
                endpoint,
            )?)),
            RegistryKind::Jfrog => Some(Box::new(JfrogSource::new(
                &target,
                &creds,
                &options.client,
                endpoint,
            )?)),
            RegistryKind::Sonatype => Some(Box::new(sonatype_connector(&target, client.clone())?)),
            RegistryKind::Gitlab => Some(Box::new(GitlabSource::new(
                &target,
                client.clone(),
                &creds,
                &options.client,
            )?)),
            RegistryKind::Dtr => Some(Box::new(DtrSource::new(
                &target,
                client.clone(),
                &creds,
                &options.client,
            )?)),
            RegistryKind::CoreOs => Some(Box::new(QuaySource::new(
                &target,
                client.clone(),
                &creds,
                &options.client,
            )?)),
            RegistryKind::Azure
            | RegistryKind::Gcr
            | RegistryKind::RedHat
            | RegistryKind::Bluemix => None,
        };
        Ok(Connection {
            target,
            client,
            source,
            limits: options.limits.clone(),
        })
    }

    pub fn target(&self) -> &ScanTarget {
        &self.target
    }

    /// The client that pulls the target's images.
    pub fn client(&self) -> &RegistryClient {
        &self.client
    }

    /// The discovery source of the target's registry type.
    pub fn source(&self) -> Result<&dyn Source, RegistryError> {
        self.source.as_deref().ok_or_else(|| {
            RegistryError::Spec(format!(
                "registry type {:?} has no discovery module yet (supported: \"2\", aws, coreos, dtr, gitlab, harbor, jfrog, sonatype)",
                self.target.kind().as_str()
            ))
        })
    }

    /// Discovers the images the target covers, `concurrency` look-ups at a time, within the
    /// [`DiscoveryLimits`] of the options the connection was made with.
    pub async fn discover(&self, concurrency: usize) -> Result<DiscoveryReport, RegistryError> {
        discovery::run_limited(self.source()?, &self.target, concurrency, &self.limits).await
    }
}

/// The auth, `skipVerify` and CA of a stored credential (see the module docs for the table).
fn credentials<E: std::fmt::Display>(
    cred: &Credential,
    reveal: &dyn Fn(&Secret) -> Result<String, E>,
) -> Result<Credentials, RegistryError> {
    let refused = |message: String| RegistryError::Credential {
        id: cred.id.clone(),
        message,
    };
    // A secret the credential does not have is empty, not something to unseal.
    let unseal = |s: &Secret| -> Result<String, RegistryError> {
        if s.encrypted.is_empty() {
            return Ok(String::new());
        }
        reveal(s).map_err(|e| refused(e.to_string()))
    };
    let auth = match cred.kind.as_str() {
        "basic" | "dtr" => RegistryAuth::Basic {
            username: cred.account_id.clone(),
            password: unseal(&cred.secret)?,
        },
        "apiToken" | "gitlabToken" => RegistryAuth::Basic {
            username: cred.account_id.clone(),
            password: unseal(&cred.api_token)?,
        },
        "aws" => RegistryAuth::Aws(aws_identity(cred, &unseal)?),
        "certificate" => {
            let (cert_pem, key_pem) = split_pem(&unseal(&cred.secret)?).ok_or_else(|| {
                refused("the secret must hold a PEM certificate and its private key".into())
            })?;
            RegistryAuth::ClientCert { cert_pem, key_pem }
        }
        other => {
            return Err(refused(format!(
                "credential type {other:?} is not supported for registry scanning yet"
            )));
        }
    };
    Ok(Credentials {
        auth,
        skip_verify: cred.skip_verify,
        ca_cert_pem: combine_ca(Some(&cred.ca_cert), None),
    })
}

/// The AWS identity of an `aws` credential: its key pair (the `tokens` temporary keys when
/// they are set), else the environment's keys (`useAWSRole`), then the role to assume.
fn aws_identity(
    cred: &Credential,
    unseal: &dyn Fn(&Secret) -> Result<String, RegistryError>,
) -> Result<crate::AwsIdentity, RegistryError> {
    let temporary = cred
        .tokens
        .as_ref()
        .filter(|t| !t.aws_access_key_id.is_empty());
    let identity = match temporary {
        Some(t) => crate::AwsIdentity::access_key(
            &cred.id,
            &t.aws_access_key_id,
            unseal(&t.aws_secret_access_key)?,
            Some(unseal(&t.token)?),
        ),
        None if cred.account_id.is_empty() && cred.use_aws_role => {
            crate::AwsIdentity::from_environment()
        }
        None => {
            let secret = unseal(&cred.secret)?;
            if cred.account_id.is_empty() || secret.is_empty() {
                return Err(RegistryError::Credential {
                    id: cred.id.clone(),
                    message: "an aws credential needs accountID (the access key ID) and secret \
                              (the secret access key), or useAWSRole"
                        .into(),
                });
            }
            crate::AwsIdentity::access_key(&cred.id, &cred.account_id, secret, None)
        }
    };
    Ok(identity
        .assuming(&cred.role_arn, Some(&cred.external_id))
        .with_sts(
            cred.sts_endpoints.first().map(String::as_str),
            cred.use_sts_regional_endpoint,
        ))
}

/// The CA bundle to trust: `first` then `second`, blank ones left out, the same PEM once.
pub(crate) fn combine_ca(first: Option<&str>, second: Option<&str>) -> Option<String> {
    let mut parts: Vec<&str> = Vec::new();
    for pem in [first, second].into_iter().flatten() {
        let pem = pem.trim();
        if !pem.is_empty() && !parts.contains(&pem) {
            parts.push(pem);
        }
    }
    (!parts.is_empty()).then(|| parts.join("\n"))
}

/// Splits a PEM bundle into its certificate blocks and its private key block.
fn split_pem(pem: &str) -> Option<(String, String)> {
    let mut certs = String::new();
    let mut key = String::new();
    let mut current: Option<&mut String> = None;
    for line in pem.lines() {
        if line.starts_with("-----BEGIN ") {
            current = Some(if line.contains("PRIVATE KEY") {
                &mut key
            } else {
                &mut certs
            });
        }
        if let Some(buf) = current.as_deref_mut() {
            buf.push_str(line);
            buf.push('\n');
        }
        if line.starts_with("-----END ") {
            current = None;
        }
    }
    (!certs.is_empty() && !key.is_empty()).then_some((certs, key))
}

#[cfg(test)]
#[path = "connect/tests.rs"]
mod tests;
