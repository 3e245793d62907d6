//! Credentials and the registry settings that reference them.
//!
//! They share a trait because they share an invariant: a registry specification may only name
//! a credential that exists, and a credential in use cannot be deleted. Secrets are sealed on
//! the way in and revealed only on request.

use crate::Result;
use crate::secrets::SecretBox;
use crowsnest_model::credential::{Credential, Secret};
use crowsnest_model::spec::{RegistrySettings, RegistrySpecification};

#[async_trait::async_trait]
pub trait CredentialStore: Send + Sync + 'static {
    /// All credentials, secrets sealed, ordered by id.
    async fn credentials(&self) -> Result<Vec<Credential>>;
    async fn credential(&self, id: &str) -> Result<Option<Credential>>;
    /// Creates or replaces the credential with this `_id`. Plain secrets are sealed first; a
    /// secret left empty keeps the stored one, so a client can edit a description without
    /// resending the password. The creation time is the first save's.
    async fn upsert_credential(&self, credential: Credential) -> Result<()>;
    /// Deletes a credential no registry specification uses.
    /// [`StoreError::InUse`](crate::StoreError::InUse) otherwise,
    /// [`StoreError::NotFound`](crate::StoreError::NotFound) when there is none.
    async fn delete_credential(&self, id: &str) -> Result<()>;
    /// Registry specifications that reference the credential.
    async fn credential_usages(&self, id: &str) -> Result<Vec<RegistrySpecification>>;
    /// The plain value of a sealed secret, for connecting to a registry. Never log it.
    fn reveal(&self, secret: &Secret) -> Result<String>;

    async fn registry_settings(&self) -> Result<RegistrySettings>;
    /// Replaces every specification. Fails with nothing changed if a `credentialID` names no
    /// credential or an id repeats.
    async fn replace_specifications(&self, specs: &[RegistrySpecification]) -> Result<()>;
    /// Appends one specification unless that would exceed `max`.
    async fn append_specification(&self, spec: &RegistrySpecification, max: usize) -> Result<()>;
}

/// Keys of the registry settings in the `settings` table.
pub(crate) const WEBHOOK_SUFFIX: &str = "webhookUrlSuffix";
pub(crate) const HARBOR_SUFFIX: &str = "harborScannerUrlSuffix";

/// Seals every plain secret of `incoming` (every backend stores only this); an empty incoming
/// secret keeps the stored one from `existing`.
pub(crate) fn seal_credential(
    secrets: &SecretBox,
    mut incoming: Credential,
    existing: Option<&Credential>,
) -> Credential {
    let mut kept: Vec<Secret> = existing
        .map(|e| {
            e.clone()
                .secrets_mut()
                .into_iter()
                .map(|s| s.clone())
                .collect()
        })
        .unwrap_or_default();
    for (i, secret) in incoming.secrets_mut().into_iter().enumerate() {
        if !secret.plain.is_empty() {
            secret.encrypted = secrets.seal(&secret.plain);
            // The plain value must not outlive this function in the document we store.
            secret.plain.clear();
        } else if secret.encrypted.is_empty()
            && let Some(old) = kept.get_mut(i)
        {
            secret.encrypted = std::mem::take(&mut old.encrypted);
        }
    }
    incoming
}

pub(crate) fn spec_doc(spec: &RegistrySpecification) -> Result<String> {
    Ok(serde_json::to_string(spec)?)
}

/// How a registry specification is named in messages: registry and repository.
pub(crate) fn describe_spec(spec: &RegistrySpecification) -> String {
    let registry = if spec.registry.is_empty() {
        "Docker Hub"
    } else {
        spec.registry.as_str()
    };
    if spec.repository.is_empty() {
        registry.to_string()
    } else {
        format!("{registry}/{}", spec.repository)
    }
}
