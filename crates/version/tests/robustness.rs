//! Malformed input gives an error, never a panic; and every comparator is a consistent order
//! (reflexive, antisymmetric, transitive) on version-like strings.

use crowsnest_version::osv::{Event, Range, RangeKind, evaluate};
use crowsnest_version::{Ecosystem, Version, compare, validate};
use proptest::prelude::*;
use std::cmp::Ordering;

/// Strings that look like versions of any ecosystem, with the characters that matter.
fn versionish() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop::sample::select(vec![
            "0",
            "1",
            "2",
            "10",
            "01",
            "99999999999999999999",
            ".",
            "-",
            "_",
            "+",
            "~",
            "^",
            ":",
            "!",
            "a",
            "b",
            "rc",
            "alpha",
            "beta",
            "pre",
            "post",
            "dev",
            "p",
            "r",
            "sp",
            "ga",
            "final",
            "SNAPSHOT",
            "v",
            "x",
            "*",
            "@",
            " ",
            "é",
            "ſ",
            "İ",
        ]),
        0..10,
    )
    .prop_map(|v| v.concat())
}

proptest! {
    // A fixed seed keeps CI deterministic; change it locally to explore further.
    #![proptest_config(ProptestConfig {
        cases: 3000,
        rng_seed: proptest::test_runner::RngSeed::Fixed(0x0c70_5e57),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    /// Any string at all: validate and compare return, and agree with each other.
    #[test]
    fn arbitrary_strings_never_panic(a in any::<String>(), b in any::<String>()) {
        for eco in Ecosystem::ALL {
            let va = validate(eco, &a);
            let vb = validate(eco, &b);
            let c = compare(eco, &a, &b);
            prop_assert_eq!(c.is_ok(), va.is_ok() && vb.is_ok(), "{} {:?} {:?}", eco, a, b);
            if let Err(e) = &va {
                prop_assert_eq!(e.ecosystem(), eco);
                prop_assert!(!e.reason().is_empty());
                prop_assert!(!e.to_string().is_empty());
            }
        }
    }

    /// Version-like strings: the same, plus OSV evaluation with them as event versions.
    #[test]
    fn versionish_strings_never_panic(a in versionish(), b in versionish(), c in versionish()) {
        for eco in Ecosystem::ALL {
            let _ = compare(eco, &a, &b);
            let ranges = [
                Range { kind: RangeKind::Ecosystem, events: vec![Event::Introduced(b.clone()), Event::Fixed(c.clone()), Event::Limit(a.clone())] },
                Range { kind: RangeKind::Semver, events: vec![Event::Introduced("0".into()), Event::LastAffected(c.clone())] },
            ];
            let r = evaluate(eco, &a, &ranges, std::slice::from_ref(&b));
            if validate(eco, &a).is_err() {
                prop_assert!(r.is_err());
            }
        }
    }

    /// A consistent order wherever both sides are valid.
    #[test]
    fn orders_are_consistent(a in versionish(), b in versionish(), c in versionish()) {
        for eco in Ecosystem::ALL {
            let (Ok(x), Ok(y), Ok(z)) = (Version::parse(eco, &a), Version::parse(eco, &b), Version::parse(eco, &c)) else {
                continue;
            };
            let xy = x.compare(&y).unwrap();
            prop_assert_eq!(x.compare(&x), Some(Ordering::Equal), "{} reflexive {:?}", eco, a);
            prop_assert_eq!(y.compare(&x), Some(xy.reverse()), "{} antisymmetric {:?} {:?}", eco, a, b);
            prop_assert_eq!(compare(eco, &a, &b).unwrap(), xy);
            let yz = y.compare(&z).unwrap();
            // node-semver is itself not transitive past 2^53 (see semver::cmp_npm).
            if eco != Ecosystem::Npm && xy != Ordering::Greater && yz != Ordering::Greater {
                let xz = x.compare(&z).unwrap();
                prop_assert!(xz != Ordering::Greater, "{} transitive: {:?} <= {:?} <= {:?} but {:?}", eco, a, b, c, xz);
            }
        }
    }
}

#[test]
fn malformed_examples_are_errors() {
    let cases: &[(Ecosystem, &str)] = &[
        (Ecosystem::Dpkg, ""),
        (Ecosystem::Dpkg, "abc"),
        (Ecosystem::Dpkg, "1.0 2"),
        (Ecosystem::Rpm, ""),
        (Ecosystem::Rpm, "1.0-"),
        (Ecosystem::Rpm, "1.0 beta"),
        (Ecosystem::Apk, "1.0-beta"),
        (Ecosystem::Pep440, "1.0-beta-gamma"),
        (Ecosystem::Pep440, "latest"),
        (Ecosystem::SemVer, "1.0"),
        (Ecosystem::Npm, "^1.2.3"),
        (Ecosystem::Cargo, ">=1.0.0"),
        (Ecosystem::Go, "master"),
        (Ecosystem::Maven, ""),
        (Ecosystem::RubyGems, "1.0.0 beta"),
        (Ecosystem::Composer, "dev-main"),
        (Ecosystem::NuGet, "1.0.0.0.0"),
    ];
    for &(eco, v) in cases {
        let e = validate(eco, v).expect_err(v);
        assert_eq!(e.ecosystem(), eco);
        assert_eq!(e.input(), v);
        assert!(e.to_string().contains(eco.name()), "{e}");
        assert!(compare(eco, v, v).is_err());
    }
    // Long inputs are cut in the error, at a character boundary.
    let long = "é".repeat(300);
    let e = validate(Ecosystem::Dpkg, &long).unwrap_err();
    assert!(e.input().len() <= 204, "{}", e.input().len());
}

#[test]
fn parsed_versions() {
    let a = Version::parse(Ecosystem::Pep440, "1.0").unwrap();
    let b = Version::parse(Ecosystem::Pep440, "1.0.0").unwrap();
    let c = Version::parse(Ecosystem::Pep440, "1.0.post1").unwrap();
    assert_eq!(a, b);
    assert!(a < c);
    assert_eq!(a.as_str(), "1.0");
    assert_eq!(a.to_string(), "1.0");
    assert_eq!(a.ecosystem(), Ecosystem::Pep440);
    // Across ecosystems there is no order.
    let d = Version::parse(Ecosystem::SemVer, "1.0.0").unwrap();
    assert_eq!(a.compare(&d), None);
    assert!(a != d);
    let npm = Version::parse(Ecosystem::Npm, "1.0.0").unwrap();
    assert_eq!(d.compare(&npm), None);
}
