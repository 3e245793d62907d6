//! The small stores: users, documents, the layer cache.

use super::Factory;
use crate::{StoreError, UserRecord};
use serde_json::json;

fn user(name: &str) -> UserRecord {
    UserRecord {
        username: name.into(),
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
        role: "admin".into(),
        created: "2026-01-01T00:00:00Z".into(),
    }
}

/// Users are created once, read back whole and counted.
pub async fn users_are_unique(factory: impl Factory) {
    let s = factory().await;
    assert_eq!(s.count_users().await.unwrap(), 0);
    assert_eq!(s.user("admin").await.unwrap(), None);
    s.create_user(&user("admin")).await.unwrap();
    let again = s.create_user(&user("admin")).await;
    assert!(matches!(again, Err(StoreError::Conflict(_))), "{again:?}");
    s.create_user(&user("second")).await.unwrap();
    assert_eq!(s.count_users().await.unwrap(), 2);
    assert_eq!(s.user("admin").await.unwrap(), Some(user("admin")));
}

/// A retired token id stays retired until its expiry, in every handle on the store; expired
/// ids are forgotten.
pub async fn retired_tokens_until_expiry(factory: impl Factory) {
    let s = factory().await;
    assert!(!s.token_retired("t1", 100).await.unwrap());
    s.retire_token("t1", 200, 100).await.unwrap();
    s.retire_token("t1", 200, 100).await.unwrap();
    s.retire_token("t2", 150, 100).await.unwrap();
    assert!(s.token_retired("t1", 100).await.unwrap());
    assert!(s.token_retired("t2", 149).await.unwrap());
    assert!(!s.token_retired("t2", 150).await.unwrap(), "expired");
    assert!(!s.token_retired("t3", 100).await.unwrap());
    // Retiring after t2's expiry forgets it; t1 is kept.
    s.retire_token("t4", 400, 160).await.unwrap();
    assert!(s.token_retired("t1", 160).await.unwrap());
    assert!(s.token_retired("t4", 399).await.unwrap());
}

/// Documents are kept per kind, listed by id, replaced whole and deleted once.
pub async fn documents_by_kind(factory: impl Factory) {
    let s = factory().await;
    s.put_document("policy", "b", &json!({"rules": [2]}))
        .await
        .unwrap();
    s.put_document("policy", "a", &json!({"rules": [1]}))
        .await
        .unwrap();
    s.put_document("collection", "a", &json!({"name": "c"}))
        .await
        .unwrap();
    s.put_document("policy", "b", &json!({"rules": [3]}))
        .await
        .unwrap();
    assert_eq!(
        s.documents("policy").await.unwrap(),
        vec![
            ("a".to_string(), json!({"rules": [1]})),
            ("b".to_string(), json!({"rules": [3]}))
        ]
    );
    assert_eq!(
        s.document("collection", "a").await.unwrap(),
        Some(json!({"name": "c"}))
    );
    assert_eq!(s.document("collection", "b").await.unwrap(), None);
    assert!(s.delete_document("policy", "a").await.unwrap());
    assert!(!s.delete_document("policy", "a").await.unwrap());
    assert_eq!(s.documents("policy").await.unwrap().len(), 1);
    assert_eq!(s.documents("collection").await.unwrap().len(), 1);
}

/// Layer facts are bytes by digest; a second put replaces them.
pub async fn layer_facts_by_digest(factory: impl Factory) {
    let s = factory().await;
    assert_eq!(s.layer_facts("sha256:a").await.unwrap(), None);
    s.put_layer_facts("sha256:a", &[0, 1, 255], "t0")
        .await
        .unwrap();
    s.put_layer_facts("sha256:b", b"other", "t0").await.unwrap();
    assert_eq!(
        s.layer_facts("sha256:a").await.unwrap(),
        Some(vec![0, 1, 255])
    );
    s.put_layer_facts("sha256:a", b"new", "t1").await.unwrap();
    assert_eq!(
        s.layer_facts("sha256:a").await.unwrap(),
        Some(b"new".to_vec())
    );
}
