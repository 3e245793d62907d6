//! The Console API's request bodies, decoded as the Console decodes them (serde_json into the
//! wire types of crowsnest-model and crowsnest-policy) and then validated and used as the
//! handlers do: registry specifications (`POST` and `PUT /settings/registry`), credentials,
//! collections, vulnerability and compliance policies, and scan requests.
//!
//! Input: the first byte picks the body type; the rest is the body. Nothing may panic, a value
//! that validates must survive a JSON round trip unchanged, and patterns must match as Prisma's
//! rules say (case-insensitively, whatever the characters).

#![no_main]

use crowsnest_model::credential::Credential;
use crowsnest_model::pattern::Selection;
use crowsnest_model::scan_result::RegistryScanRequest;
use crowsnest_model::spec::{MAX_SPECIFICATIONS, RegistrySettings, RegistrySpecification};
use crowsnest_policy::{
    COMPLIANCE_POLICY_TYPE, Collection, ImageScope, Policy, VULNERABILITY_POLICY_TYPE,
    collection_matches,
};
use libfuzzer_sys::fuzz_target;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::fmt::Debug;

fn decode<T: DeserializeOwned>(body: &[u8]) -> Option<T> {
    serde_json::from_slice(body).ok()
}

/// What the Console stores is what it serialises; reading it back must give the same value.
fn round_trips<T: Serialize + DeserializeOwned + PartialEq + Debug>(value: &T) {
    let json = serde_json::to_vec(value).expect("wire types serialise");
    let back: T = serde_json::from_slice(&json).expect("what we wrote reads back");
    assert_eq!(&back, value);
}

fn spec(mut s: RegistrySpecification) {
    if s.validate().is_err() {
        return;
    }
    round_trips(&s);
    // Discovery selects repositories with the spec's pattern and exclusions.
    let selection = Selection::new(&s.repository, &s.excluded_repositories);
    let exact = selection.include().exact().map(str::to_string);
    if let Some(name) = exact
        && s.excluded_repositories.is_empty()
    {
        assert!(
            selection.matches(&name),
            "{:?} does not match itself",
            s.repository
        );
    }
    let _ = selection.matches(&s.tag);
}

fn collection(mut c: Collection) {
    c.normalise();
    if c.validate().is_err() {
        return;
    }
    round_trips(&c);
    let image = ImageScope::new("registry.example:5000", "apps/api", "1.4.2")
        .with_label("team", "shop")
        .with_host("host-1");
    let _ = collection_matches(&c, &image);
    for policy_type in [VULNERABILITY_POLICY_TYPE, COMPLIANCE_POLICY_TYPE] {
        let mut p = Policy::with_rules(policy_type, Vec::new());
        p.normalise(policy_type, std::slice::from_ref(&c));
    }
}

fn policy(p: Policy, policy_type: &str, catalogue: &[Collection]) {
    if p.validate(policy_type).is_err() {
        return;
    }
    let mut normalised = p.clone();
    normalised.normalise(policy_type, catalogue);
    assert_eq!(normalised.rules.len(), p.rules.len());
    round_trips(&normalised);
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    match selector % 8 {
        0 => {
            if let Some(s) = decode::<RegistrySpecification>(body) {
                spec(s);
            }
        }
        1 => {
            if let Some(settings) = decode::<RegistrySettings>(body)
                && settings.specifications.len() <= MAX_SPECIFICATIONS
            {
                settings.specifications.into_iter().for_each(spec);
            }
        }
        2 => {
            if let Some(c) = decode::<Credential>(body)
                && c.validate().is_ok()
            {
                assert!(!c.id.trim().is_empty());
            }
        }
        3 => {
            if let Some(c) = decode::<Collection>(body) {
                collection(c);
            }
        }
        4 => {
            if let Some(p) = decode::<Policy>(body) {
                policy(p, VULNERABILITY_POLICY_TYPE, &[]);
            }
        }
        5 => {
            if let Some(p) = decode::<Policy>(body) {
                let catalogue = [Collection::named("shop").with_images(&["apps/*"])];
                policy(p, COMPLIANCE_POLICY_TYPE, &catalogue);
            }
        }
        6 => {
            if let Some(r) = decode::<RegistryScanRequest>(body) {
                round_trips(&r);
                if let Some(s) = r.settings {
                    spec(s);
                }
            }
        }
        _ => {
            if let Some(list) = decode::<Vec<RegistryScanRequest>>(body) {
                for r in list {
                    if let (Some(s), Some(tag)) = (&r.settings, &r.tag) {
                        let _ = Selection::new(&s.repository, &s.excluded_repositories)
                            .matches(&tag.repo);
                    }
                }
            }
        }
    }
});
