//! Every version parser and comparator of crowsnest-version, one ecosystem per input.
//!
//! Input: the first byte picks the ecosystem; the rest is up to three version strings separated
//! by newlines. Parsing must never panic, and on the strings that parse, each comparator must be
//! a total order: reflexive, antisymmetric and transitive, with `compare`, `validate` and
//! `Version` agreeing with each other.

#![no_main]

use crowsnest_version::{Ecosystem, Version, compare, validate};
use libfuzzer_sys::fuzz_target;
use std::cmp::Ordering;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let eco = Ecosystem::ALL[usize::from(selector) % Ecosystem::ALL.len()];
    let text = String::from_utf8_lossy(rest);
    let strings: Vec<&str> = text.splitn(3, '\n').collect();

    let parsed: Vec<Option<Version<'_>>> = strings
        .iter()
        .map(|s| {
            let _ = Ecosystem::from_osv(s);
            let version = Version::parse(eco, s);
            assert_eq!(validate(eco, s).is_ok(), version.is_ok(), "{eco} {s:?}");
            match version {
                Ok(v) => {
                    assert_eq!(v.ecosystem(), eco);
                    assert_eq!(v.as_str(), *s);
                    Some(v)
                }
                Err(e) => {
                    assert_eq!(e.ecosystem(), eco);
                    assert!(!e.reason().is_empty());
                    assert!(!e.to_string().is_empty());
                    None
                }
            }
        })
        .collect();

    for (i, a) in parsed.iter().enumerate() {
        let Some(a) = a else { continue };
        assert_eq!(
            a.compare(a),
            Some(Ordering::Equal),
            "reflexive: {eco} {a:?}"
        );
        for b in parsed[i + 1..].iter().flatten() {
            let ab = a.compare(b).expect("same ecosystem");
            let ba = b.compare(a).expect("same ecosystem");
            assert_eq!(ab, ba.reverse(), "antisymmetric: {eco} {a:?} {b:?}");
            assert_eq!(
                compare(eco, a.as_str(), b.as_str()),
                Ok(ab),
                "compare() and Version disagree: {eco} {a:?} {b:?}"
            );
        }
    }

    if let [Some(a), Some(b), Some(c)] = parsed.as_slice() {
        // Every ordering of the three must be consistent: checking each (x, y, z) permutation
        // covers transitivity of both < and ==.
        for (x, y, z) in [
            (a, b, c),
            (a, c, b),
            (b, a, c),
            (b, c, a),
            (c, a, b),
            (c, b, a),
        ] {
            let xy = x.compare(y).expect("same ecosystem");
            let yz = y.compare(z).expect("same ecosystem");
            let xz = x.compare(z).expect("same ecosystem");
            if xy != Ordering::Greater && yz != Ordering::Greater {
                assert_ne!(xz, Ordering::Greater, "transitive: {eco} {x:?} {y:?} {z:?}");
            }
            if xy == Ordering::Equal {
                assert_eq!(
                    xz, yz,
                    "equal versions order alike: {eco} {x:?} {y:?} {z:?}"
                );
            }
        }
    }
});
