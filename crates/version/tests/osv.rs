//! OSV range evaluation: introduced/fixed, last_affected, limit, several ranges, the
//! `versions` list, GIT ranges, unsorted events, malformed input.

use crowsnest_version::Ecosystem;
use crowsnest_version::osv::{Event, Range, RangeKind, Verdict, evaluate};

fn intro(v: &str) -> Event {
    Event::Introduced(v.to_owned())
}
fn fixed(v: &str) -> Event {
    Event::Fixed(v.to_owned())
}
fn last(v: &str) -> Event {
    Event::LastAffected(v.to_owned())
}
fn limit(v: &str) -> Event {
    Event::Limit(v.to_owned())
}
fn range(kind: RangeKind, events: Vec<Event>) -> Range {
    Range { kind, events }
}
fn eco(events: Vec<Event>) -> Range {
    range(RangeKind::Ecosystem, events)
}

fn affected(e: Ecosystem, v: &str, ranges: &[Range], versions: &[&str]) -> bool {
    let versions: Vec<String> = versions.iter().map(|s| s.to_string()).collect();
    match evaluate(e, v, ranges, &versions).unwrap() {
        Verdict::Affected { .. } => true,
        Verdict::NotAffected => false,
        Verdict::Unknown { note } => panic!("unexpected Unknown for {v}: {note}"),
    }
}

#[test]
fn introduced_fixed() {
    let r = [eco(vec![intro("1.0"), fixed("1.5")])];
    for (v, want) in [
        ("0.9", false),
        ("1.0", true),
        ("1.2", true),
        ("1.4.9", true),
        ("1.5", false),
        ("2.0", false),
    ] {
        assert_eq!(affected(Ecosystem::Pep440, v, &r, &[]), want, "{v}");
    }
    // PEP 440 pre-releases of the fix are still affected, and 1.5.0 equals 1.5.
    assert!(affected(Ecosystem::Pep440, "1.5rc1", &r, &[]));
    assert!(!affected(Ecosystem::Pep440, "1.5.0", &r, &[]));
}

#[test]
fn introduced_zero_is_from_the_start() {
    let r = [eco(vec![intro("0"), fixed("2.4.1-1")])];
    assert!(affected(Ecosystem::Dpkg, "0:0~rc1", &r, &[]));
    assert!(affected(Ecosystem::Dpkg, "2.4.1-0+deb12u1", &r, &[]));
    assert!(!affected(Ecosystem::Dpkg, "2.4.1-1", &r, &[]));
    assert!(
        !affected(Ecosystem::Dpkg, "1:1.0-1", &r, &[]),
        "epoch 1 sorts after the fix"
    );
}

#[test]
fn last_affected_is_inclusive() {
    let r = [eco(vec![intro("0"), last("1.2.3")])];
    assert!(affected(Ecosystem::SemVer, "1.2.3", &r, &[]));
    assert!(affected(Ecosystem::SemVer, "1.2.3-rc.1", &r, &[]));
    assert!(!affected(Ecosystem::SemVer, "1.2.4-alpha", &r, &[]));
    assert!(!affected(Ecosystem::SemVer, "1.2.4", &r, &[]));
}

#[test]
fn limit_is_an_exclusive_upper_bound() {
    let r = [eco(vec![intro("1.0.0"), limit("2.0.0")])];
    assert!(affected(Ecosystem::Cargo, "1.9.9", &r, &[]));
    assert!(!affected(Ecosystem::Cargo, "2.0.0", &r, &[]));
    assert!(!affected(Ecosystem::Cargo, "3.0.0", &r, &[]));
    assert!(!affected(Ecosystem::Cargo, "0.9.0", &r, &[]));
    let star = [eco(vec![intro("1.0.0"), limit("*")])];
    assert!(affected(Ecosystem::Cargo, "9.0.0", &star, &[]));
}

#[test]
fn several_introduced_fixed_pairs_in_one_range() {
    let r = [eco(vec![
        intro("1.0.0"),
        fixed("1.0.5"),
        intro("1.1.0"),
        fixed("1.1.2"),
    ])];
    for (v, want) in [
        ("0.9.0", false),
        ("1.0.4", true),
        ("1.0.5", false),
        ("1.0.9", false),
        ("1.1.0", true),
        ("1.1.2", false),
    ] {
        assert_eq!(affected(Ecosystem::Npm, v, &r, &[]), want, "{v}");
    }
}

#[test]
fn unsorted_events_are_sorted_by_version() {
    // The same events as above, shuffled: the answers must not change.
    let r = [eco(vec![
        fixed("1.1.2"),
        intro("1.1.0"),
        fixed("1.0.5"),
        intro("1.0.0"),
    ])];
    for (v, want) in [
        ("0.9.0", false),
        ("1.0.4", true),
        ("1.0.5", false),
        ("1.0.9", false),
        ("1.1.0", true),
        ("1.1.2", false),
    ] {
        assert_eq!(affected(Ecosystem::Npm, v, &r, &[]), want, "{v}");
    }
    // Sorting uses the ecosystem's order, not string order ("1.10" > "1.9").
    let r = [eco(vec![fixed("1.10"), intro("1.9")])];
    assert!(affected(Ecosystem::Pep440, "1.9.5", &r, &[]));
    assert!(!affected(Ecosystem::Pep440, "1.10", &r, &[]));
}

#[test]
fn multiple_ranges_any_match() {
    let r = [
        eco(vec![intro("0"), fixed("1.2")]),
        eco(vec![intro("2.0"), fixed("2.3")]),
    ];
    assert!(affected(Ecosystem::Pep440, "1.1", &r, &[]));
    assert!(!affected(Ecosystem::Pep440, "1.5", &r, &[]));
    assert!(affected(Ecosystem::Pep440, "2.2", &r, &[]));
    assert!(!affected(Ecosystem::Pep440, "2.3", &r, &[]));
    let versions: Vec<String> = vec![];
    match evaluate(Ecosystem::Pep440, "2.2", &r, &versions).unwrap() {
        Verdict::Affected { rule } => assert!(
            rule.contains("#2") && rule.contains("2.0") && rule.contains("2.3"),
            "{rule}"
        ),
        other => panic!("{other:?}"),
    }
}

#[test]
fn versions_list() {
    assert!(affected(Ecosystem::Pep440, "1.3", &[], &["1.1", "1.3"]));
    assert!(!affected(Ecosystem::Pep440, "1.2", &[], &["1.1", "1.3"]));
    // Equal under the ecosystem's rules counts too.
    assert!(affected(Ecosystem::Pep440, "1.3.0", &[], &["1.1", "1.3"]));
    // A list and a range: either matches.
    let r = [eco(vec![intro("2.0"), fixed("2.1")])];
    assert!(affected(Ecosystem::Pep440, "1.1", &r, &["1.1"]));
    assert!(affected(Ecosystem::Pep440, "2.0.5", &r, &["1.1"]));
}

#[test]
fn git_ranges_are_ignored_with_a_note() {
    let git = range(RangeKind::Git, vec![intro("0"), fixed("8a0a6f1c2b3d")]);
    match evaluate(Ecosystem::SemVer, "1.0.0", std::slice::from_ref(&git), &[]).unwrap() {
        Verdict::Unknown { note } => assert!(note.contains("GIT"), "{note}"),
        other => panic!("{other:?}"),
    }
    // With a versions list next to it, the list decides.
    let versions = vec!["1.0.0".to_owned()];
    assert!(matches!(
        evaluate(
            Ecosystem::SemVer,
            "1.0.0",
            std::slice::from_ref(&git),
            &versions
        )
        .unwrap(),
        Verdict::Affected { .. }
    ));
    assert_eq!(
        evaluate(
            Ecosystem::SemVer,
            "1.0.1",
            std::slice::from_ref(&git),
            &versions
        )
        .unwrap(),
        Verdict::NotAffected
    );
    // With an evaluable range next to it, the range decides and the GIT one is skipped.
    let both = [
        git,
        range(RangeKind::Semver, vec![intro("1.0.0"), fixed("1.0.2")]),
    ];
    assert!(affected(Ecosystem::SemVer, "1.0.1", &both, &[]));
    assert!(!affected(Ecosystem::SemVer, "1.0.2", &both, &[]));
    // Nothing at all.
    assert!(matches!(
        evaluate(Ecosystem::SemVer, "1.0.0", &[], &[]).unwrap(),
        Verdict::Unknown { .. }
    ));
}

#[test]
fn introduced_and_fixed_at_the_same_version_is_empty() {
    let r = [eco(vec![fixed("1.0"), intro("1.0")])];
    assert!(!affected(Ecosystem::Pep440, "1.0", &r, &[]));
    assert!(!affected(Ecosystem::Pep440, "0.5", &r, &[]));
}

#[test]
fn semver_ranges_in_go() {
    // OSV's Go records carry versions without the `v`.
    let r = [range(
        RangeKind::Semver,
        vec![intro("0"), fixed("0.0.0-20200101000000-abcdefabcdef")],
    )];
    assert!(affected(
        Ecosystem::Go,
        "v0.0.0-20191109021931-daa7c04131f5",
        &r,
        &[]
    ));
    assert!(!affected(Ecosystem::Go, "v0.1.0", &r, &[]));
}

#[test]
fn malformed_input_is_an_error() {
    let r = [eco(vec![intro("0"), fixed("1.0")])];
    assert!(evaluate(Ecosystem::Dpkg, "not a version", &r, &[]).is_err());
    let bad = [eco(vec![intro("0"), fixed("1..0 x")])];
    let e = evaluate(Ecosystem::SemVer, "1.0.0", &bad, &[]).unwrap_err();
    assert_eq!(e.ecosystem(), Ecosystem::SemVer);
    assert_eq!(e.input(), "1..0 x");
}
