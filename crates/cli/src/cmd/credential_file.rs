//! `--credential FILE.json`: the body a user would `POST /api/v1/credentials` to the Console
//! (`type`, `accountID`, `secret.plain`, `roleArn`, …), so `crowsnest discover` and
//! `crowsnest image` take every credential type the Console takes, through the same
//! [`crowsnest_registry::connect`] that maps it to registry auth (an `aws` credential becomes
//! an ECR login, signed with SigV4 and renewed before it lapses).
//!
//! The file's plain secrets are handed to `connect` as they are: the Console seals them at rest,
//! the CLI never stores them.

use anyhow::Context as _;
use crowsnest_model::credential::{Credential, Secret};
use crowsnest_model::{ScanTarget, spec::RegistrySpecification};
use crowsnest_registry::{Connection, DiscoveryOptions, RegistryError, connect};
use std::path::Path;

/// A credential read from `path`, validated as the Console validates one.
pub(crate) fn load(path: &Path) -> anyhow::Result<Credential> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read credential {}", path.display()))?;
    let mut cred: Credential = serde_json::from_str(&text)
        .with_context(|| format!("{} is not a credential", path.display()))?;
    if cred.id.is_empty() {
        cred.id = path.display().to_string();
    }
    cred.validate()
        .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    // `connect` unseals `encrypted`; here the "sealed" form is the plain text itself.
    for s in cred.secrets_mut() {
        if !s.plain.is_empty() {
            s.encrypted = std::mem::take(&mut s.plain);
        }
    }
    Ok(cred)
}

/// The registry type a credential implies when the user names none: ECR for `aws`, else `"2"`.
pub(crate) fn registry_type(cred: &Credential) -> &'static str {
    match cred.kind.as_str() {
        "aws" => "aws",
        _ => "2",
    }
}

/// Connects to `target` with `cred` as the Console would.
pub(crate) fn connect_with(
    target: &ScanTarget,
    cred: &Credential,
    options: &DiscoveryOptions,
) -> Result<Connection, RegistryError> {
    let reveal =
        |s: &Secret| -> Result<String, std::convert::Infallible> { Ok(s.encrypted.clone()) };
    connect(target, Some(cred), &reveal, options)
}

/// A one-repository target of `version` at `registry`, for pulling one image.
pub(crate) fn image_target(
    version: &str,
    registry: &str,
    repo: &str,
) -> Result<ScanTarget, String> {
    ScanTarget::from_spec(&RegistrySpecification {
        version: version.into(),
        registry: registry.into(),
        repository: repo.into(),
        os: "linux".into(),
        ..Default::default()
    })
    .map_err(|e| e.to_string())
}
