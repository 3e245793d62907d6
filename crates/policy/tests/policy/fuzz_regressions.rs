//! Inputs that `scripts/fuzz` (target `api_bodies`) found to break a promise of the API types;
//! the fuzzer's own input is kept as a seed under `fuzz/seeds/api_bodies/`.

use crowsnest_policy::Collection;

/// Unknown fields of a collection are kept so a GET returns what a PUT sent. A large number in
/// one was parsed one unit in the last place off, so every store-and-read cycle changed it.
#[test]
fn large_numbers_in_unknown_fields_survive_store_and_read() {
    let body =
        r#"{"name": "shop team", "ce olor": 2222222222222222222222222222222222222222222222222}"#;
    let sent: Collection = serde_json::from_str(body).unwrap();
    let mut current = sent.clone();
    for _ in 0..3 {
        let stored = serde_json::to_string(&current).unwrap();
        current = serde_json::from_str(&stored).unwrap();
        assert_eq!(current, sent, "changed after storing as {stored}");
    }
    assert_eq!(
        current.extra["ce olor"].as_f64(),
        Some(2.2222222222222224e48)
    );
}
