//! Credentials and registry specifications: sealing, kept secrets, references between them.

use super::Factory;
use crate::StoreError;
use crowsnest_model::credential::{Credential, Secret};
use crowsnest_model::spec::RegistrySpecification;

pub(super) fn credential(id: &str, password: &str) -> Credential {
    Credential {
        id: id.into(),
        kind: "basic".into(),
        account_id: "user".into(),
        secret: Secret {
            plain: password.into(),
            encrypted: String::new(),
        },
        ..Default::default()
    }
}

pub(super) fn spec(id: &str, credential_id: &str) -> RegistrySpecification {
    RegistrySpecification {
        id: id.into(),
        version: "2".into(),
        registry: "registry.example:5000".into(),
        repository: format!("team/{id}"),
        credential_id: credential_id.into(),
        ..Default::default()
    }
}

fn ids(specs: &[RegistrySpecification]) -> Vec<&str> {
    specs.iter().map(|s| s.id.as_str()).collect()
}

/// No plain secret is stored or read back; `reveal` opens it; a secret sent empty keeps the
/// stored one; the creation time is the first save's.
pub async fn credentials_are_sealed_and_keep_secrets_on_empty(factory: impl Factory) {
    let s = factory().await;
    let mut first = credential("c1", "hunter2");
    first.created = Some("2026-01-01T00:00:00Z".into());
    s.upsert_credential(first).await.unwrap();
    s.upsert_credential(credential("c0", "other"))
        .await
        .unwrap();
    let stored = s.credential("c1").await.unwrap().unwrap();
    assert!(stored.secret.plain.is_empty(), "no plain value is stored");
    assert!(!stored.secret.encrypted.is_empty());
    assert!(!stored.secret.encrypted.contains("hunter2"));
    assert_eq!(s.reveal(&stored.secret).unwrap(), "hunter2");

    // An edit without the password keeps it, and keeps the creation time.
    let mut edit = credential("c1", "");
    edit.description = "edited".into();
    edit.created = Some("2030-01-01T00:00:00Z".into());
    s.upsert_credential(edit).await.unwrap();
    let stored = s.credential("c1").await.unwrap().unwrap();
    assert_eq!(stored.description, "edited");
    assert_eq!(s.reveal(&stored.secret).unwrap(), "hunter2");
    assert_eq!(stored.created.as_deref(), Some("2026-01-01T00:00:00Z"));

    // A new password replaces it.
    s.upsert_credential(credential("c1", "correct horse"))
        .await
        .unwrap();
    let stored = s.credential("c1").await.unwrap().unwrap();
    assert_eq!(s.reveal(&stored.secret).unwrap(), "correct horse");

    let all = s.credentials().await.unwrap();
    assert_eq!(
        all.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(),
        ["c0", "c1"]
    );
    assert!(all.iter().all(|c| c.secret.plain.is_empty()));
    assert_eq!(s.credential("nope").await.unwrap(), None);
}

/// A credential a specification names cannot be deleted; one nothing names can, once.
pub async fn credential_in_use_cannot_be_deleted(factory: impl Factory) {
    let s = factory().await;
    s.upsert_credential(credential("c1", "pw")).await.unwrap();
    s.replace_specifications(&[spec("a", "c1"), spec("b", "")])
        .await
        .unwrap();
    assert_eq!(ids(&s.credential_usages("c1").await.unwrap()), ["a"]);
    let refused = s.delete_credential("c1").await;
    assert!(
        matches!(&refused, Err(StoreError::InUse { id, usages }) if id == "c1" && usages.contains("team/a")),
        "{refused:?}"
    );
    assert!(s.credential("c1").await.unwrap().is_some());
    s.replace_specifications(&[spec("b", "")]).await.unwrap();
    assert!(s.credential_usages("c1").await.unwrap().is_empty());
    s.delete_credential("c1").await.unwrap();
    let again = s.delete_credential("c1").await;
    assert!(matches!(again, Err(StoreError::NotFound(_))), "{again:?}");
}

/// Replacing specifications keeps the client's order, and changes nothing when one names an
/// unknown credential or an id repeats.
pub async fn specifications_replace_whole_or_not_at_all(factory: impl Factory) {
    let s = factory().await;
    s.upsert_credential(credential("c1", "pw")).await.unwrap();
    s.replace_specifications(&[spec("z", "c1"), spec("a", ""), spec("m", "")])
        .await
        .unwrap();
    assert_eq!(
        ids(&s.registry_settings().await.unwrap().specifications),
        ["z", "a", "m"]
    );
    let unknown = s
        .replace_specifications(&[spec("x", ""), spec("y", "missing")])
        .await;
    assert!(
        matches!(&unknown, Err(StoreError::UnknownCredential(c)) if c == "missing"),
        "{unknown:?}"
    );
    let twice = s
        .replace_specifications(&[spec("x", ""), spec("x", "")])
        .await;
    assert!(matches!(twice, Err(StoreError::Conflict(_))), "{twice:?}");
    let settings = s.registry_settings().await.unwrap();
    assert_eq!(ids(&settings.specifications), ["z", "a", "m"]);
    assert_eq!(settings.specifications[0], spec("z", "c1"));
    s.replace_specifications(&[]).await.unwrap();
    assert!(
        s.registry_settings()
            .await
            .unwrap()
            .specifications
            .is_empty()
    );
}

/// Appending adds at the end, up to `max`, with a known credential and a new id only.
pub async fn specifications_append_up_to_max(factory: impl Factory) {
    let s = factory().await;
    s.upsert_credential(credential("c1", "pw")).await.unwrap();
    s.append_specification(&spec("a", ""), 3).await.unwrap();
    s.append_specification(&spec("b", "c1"), 3).await.unwrap();
    let unknown = s.append_specification(&spec("c", "missing"), 3).await;
    assert!(
        matches!(unknown, Err(StoreError::UnknownCredential(_))),
        "{unknown:?}"
    );
    let twice = s.append_specification(&spec("a", ""), 3).await;
    assert!(matches!(twice, Err(StoreError::Conflict(_))), "{twice:?}");
    s.append_specification(&spec("c", ""), 3).await.unwrap();
    let full = s.append_specification(&spec("d", ""), 3).await;
    assert!(matches!(full, Err(StoreError::Limit(_))), "{full:?}");
    assert_eq!(
        ids(&s.registry_settings().await.unwrap().specifications),
        ["a", "b", "c"]
    );
}
