//! Building a policy set from stored documents, as the scan engine does.

use crowsnest_policy::{
    Collection, DEFAULT_COMPLIANCE_RULE, DEFAULT_VULNERABILITY_RULE, Policy, PolicyError,
    PolicyRule, PolicySet, THRESHOLD_HIGH, VULNERABILITY_POLICY_TYPE,
};
use serde_json::json;

#[test]
fn missing_documents_mean_the_built_in_defaults() {
    let set = PolicySet::from_documents(None, None, vec![]).unwrap();
    assert_eq!(set.vulnerability.rules[0].name, DEFAULT_VULNERABILITY_RULE);
    assert_eq!(set.compliance.rules[0].name, DEFAULT_COMPLIANCE_RULE);
    assert!(set.collections.is_empty());
    assert_eq!(set, PolicySet::default());
}

#[test]
fn stored_documents_round_trip() {
    let p = Policy::with_rules(
        VULNERABILITY_POLICY_TYPE,
        vec![
            PolicyRule::named("web")
                .scoped(vec![Collection::named("web")])
                .block_at(THRESHOLD_HIGH),
        ],
    );
    let web = Collection::named("web").with_images(&["nginx*", "-nginx:latest"]);
    let set = PolicySet::from_documents(
        Some(serde_json::to_value(&p).unwrap()),
        None,
        vec![("web".into(), serde_json::to_value(&web).unwrap())],
    )
    .unwrap();
    assert_eq!(set.vulnerability, p);
    assert_eq!(set.collections, vec![web]);
}

#[test]
fn corrupt_documents_are_typed_errors() {
    let err = PolicySet::from_documents(Some(json!({"rules": "nope"})), None, vec![]).unwrap_err();
    assert!(matches!(err, PolicyError::Document { .. }), "{err}");
    assert!(err.to_string().contains("vulnerability policy"));
    let err = PolicySet::from_documents(None, None, vec![("x".into(), json!([1, 2]))]).unwrap_err();
    assert!(err.to_string().contains("collection \"x\""), "{err}");
    let err = PolicySet::from_documents(
        None,
        Some(json!({"rules":[{"alertThreshold":{"value":"high"}}]})),
        vec![],
    )
    .unwrap_err();
    assert!(err.to_string().contains("compliance policy"), "{err}");
}
