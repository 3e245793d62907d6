//! The ecosystems' published test vectors, restated as tables: apk-tools' version test list,
//! Maven's ComparableVersion cases, the semver.org precedence examples, Go's semver and
//! module pseudo-version cases, RubyGems' Gem::Version cases, Composer's normalisation and
//! comparison cases, NuGet's version cases.

use crowsnest_version::{Ecosystem, compare, validate};
use std::cmp::Ordering::{self, *};

fn ord(eco: Ecosystem, a: &str, b: &str) -> Ordering {
    compare(eco, a, b).unwrap_or_else(|e| panic!("{eco}: {a:?} vs {b:?}: {e}"))
}

/// Every pair (i < j) of a strictly ascending list, both ways round.
fn ascending(eco: Ecosystem, list: &[&str]) {
    let mut bad = Vec::new();
    for i in 0..list.len() {
        for j in i + 1..list.len() {
            if ord(eco, list[i], list[j]) != Less || ord(eco, list[j], list[i]) != Greater {
                bad.push(format!("expected {} < {}", list[i], list[j]));
            }
        }
    }
    assert!(bad.is_empty(), "{eco}:\n{}", bad.join("\n"));
}

/// `a OP b` lines: OP is one of `<`, `=`, `>`.
fn table(eco: Ecosystem, rows: &[(&str, &str, &str)]) {
    let mut bad = Vec::new();
    for &(a, op, b) in rows {
        let want = match op {
            "<" => Less,
            "=" => Equal,
            ">" => Greater,
            _ => panic!("bad op {op}"),
        };
        let got = ord(eco, a, b);
        let back = ord(eco, b, a);
        if got != want || back != want.reverse() {
            bad.push(format!("{a} {op} {b}: got {got:?} (reverse {back:?})"));
        }
    }
    assert!(bad.is_empty(), "{eco}:\n{}", bad.join("\n"));
}

fn all_equal(eco: Ecosystem, list: &[&str]) {
    for a in list {
        for b in list {
            assert_eq!(ord(eco, a, b), Equal, "{eco}: {a} == {b}");
        }
    }
}

fn invalid(eco: Ecosystem, list: &[&str]) {
    for v in list {
        assert!(validate(eco, v).is_err(), "{eco}: {v:?} should be rejected");
    }
}

fn valid(eco: Ecosystem, list: &[&str]) {
    for v in list {
        assert!(
            validate(eco, v).is_ok(),
            "{eco}: {v:?} should be accepted: {:?}",
            validate(eco, v)
        );
    }
}

// ------------------------------------------------------------------------------------- apk

/// From apk-tools' test/version.data (a selection covering every rule) and its unit tests.
#[test]
fn apk_tools_version_list() {
    table(
        Ecosystem::Apk,
        &[
            ("2.34", ">", "0.1.0_alpha"),
            ("0.1.0_alpha", "=", "0.1.0_alpha"),
            ("0.1.0_alpha", "<", "0.1.3_alpha"),
            ("0.1.0_alpha2", ">", "0.1.0_alpha"),
            ("0.1.0_alpha", "<", "2.2.39-r1"),
            ("1.0.4-r3", "<", "1.0.4-r4"),
            ("1.1", ">", "1.1_alpha1"),
            ("1.2.1", ">", "1.2"),
            ("1.2", "<", "1.3_alpha"),
            ("1.3_alpha2", "<", "1.3_alpha3"),
            ("0.8_beta1", "<", "0.8_beta2"),
            ("3.10.18-r1", ">", "2.3.0b-r1"),
            ("2.3.0b-r1", "<", "2.3.0b-r2"),
            ("0.12.3", ">", "0.12"),
            ("0.12", "<", "0.13_beta1"),
            ("1.2.11", "<", "1.2.12.1"),
            ("0.2.0-r1", "<", "3.1_p16"),
            ("3.1_p16", "<", "3.1_p17"),
            ("1.06-r6", "<", "006"),
            ("006", ">", "1.0.0"),
            ("1.2.2-r1", ">", "1.2.2"),
            ("9.3.4-r2", ">", "9.3.4"),
            ("2.59", "<", "20050718-r1"),
            ("3.9.8-r5", ">", "2.01.01_alpha10"),
            ("1.0", ">", "0.99.3.20040818"),
            ("1.39", ">", "1.00_beta2"),
            ("4.2.52_p2-r1", "<", "4.2.52_p4-r2"),
            ("1.02.07", "<", "1.02.10-r1"),
            ("2.18.3-r10", ">", "1.05-r18"),
            ("1.05-r18", "<", "1.05-r19"),
            ("2.38", "<", "20050405"),
            ("20060720", ">", "3.0.20060720"),
            ("1.4.4-r1", "<", "2.1.9.200602141850"),
            ("2.5.1-r8", "<", "2.5.1a-r1"),
            ("2.5.1a-r1", ">", "1.19.2-r1"),
            ("1.3.5-r10", ">", "1.3.5-r8"),
            ("20040401", ">", "2.0.0_rc3-r1"),
            ("3.0.0-r2", "<", "021109-r3"),
            ("021109-r3", "<", "20060512"),
            ("0.9.16-r1", "<", "3.9_pre20060124"),
            ("3.9_pre20060124", ">", "0.01"),
            ("1.1.7", "<", "6b-r7"),
            ("0.10.0-r1", ">", "0.10.0"),
            ("0.10.0", "<", "0.10.1_rc1"),
            ("2.0.2", ">", "1.1a"),
            ("1.1a", "<", "1.3a"),
            ("1.0-r1", ">", "0.15.1b"),
            ("0.15.1b-r2", ">", "0.15.1b"),
            ("22.7-r1", "<", "22.7.3-r1"),
            ("22.7", ">", "2.1_pre20"),
            ("2.1_pre20", "<", "2.1_pre26"),
            ("2.10.1", ">", "02.08.01b"),
            ("3.81", ">", "1.6d"),
            ("1.6d", ">", "1.2.07.8"),
            ("1.2.07.8", "<", "1.2.12.04"),
            ("1.2.12.04", "<", "1.2.12.05"),
            ("1.07-r1", "<", "1.07.5"),
            ("1.07.5", ">", "1.07"),
            ("20061003", ">", "0.1_pre20060810"),
            ("0.1_pre20060810", "<", "0.1_pre20060817"),
            ("3.3.17", ">", "0.59s-r11"),
            ("4.20", ">", "0.20070118"),
            ("0.20070118", "<", "0.20070207_rc1"),
            ("2.3.30-r2", "<", "3.7_p1"),
            ("4.5_p1-r1", ">", "4.5_p1"),
            ("4.5_p1", ">", "0.9.8c-r1"),
            ("0.9.8c-r1", "<", "0.9.8d"),
            ("2.2.3-r2", "<", "013"),
            ("013", "<", "014-r1"),
            ("1.7", "<", "1.7b"),
            ("1.8.5", "<", "1.8.5_p2"),
            ("2.9.11_pre20051101-r3", ">", "2.9.11_pre20051101"),
            ("1.6.8_p12-r1", ">", "1.6.8_p9-r2"),
            ("0.9.28-r2", "<", "0.9.28.1"),
            ("0.9.28.1", "<", "087-r1"),
            ("104-r11", ">", "104-r9"),
            ("1.2.5_rc2", ">", "0.1"),
            ("2.12r-r4", "<", "2.12r-r5"),
            ("7.0.17", "<", "7.0.174"),
            ("1.3-r0", "<", "1.3.1-r0"),
            ("1.3_pre1-r1", "<", "1.3.2"),
            ("1.0_p10-r0", ">", "1.0_p9-r0"),
            ("0.1.0_alpha_pre2", "<", "0.1.0_alpha"),
            (
                "1.0.0_pre20191002222144-r0",
                "<",
                "1.0.0_pre20210530193627-r0",
            ),
            // Commit hashes sit between suffixes and the revision.
            ("1.0~a3f91c", ">", "1.0"),
            ("1.0~a3f91c", "<", "1.0_p1"),
            ("1.0~a3f91c", "<", "1.0~b"),
            ("1.0~a3f91c-r1", ">", "1.0~a3f91c"),
            ("1.0~a3f91c", ">", "1.0-r1"),
            // Every post suffix, in order, and all above the release.
            ("1.0", "<", "1.0_cvs"),
            ("1.0_cvs", "<", "1.0_svn"),
            ("1.0_svn", "<", "1.0_git"),
            ("1.0_git", "<", "1.0_hg"),
            ("1.0_hg", "<", "1.0_p"),
            ("1.0_alpha", "<", "1.0_beta"),
            ("1.0_beta", "<", "1.0_pre"),
            ("1.0_pre", "<", "1.0_rc"),
            ("1.0_rc", "<", "1.0"),
        ],
    );
    // The list's invalid entries ("do string sort" in apk-tools) are rejected here.
    invalid(
        Ecosystem::Apk,
        &[
            "1.0bc",
            "23_foo",
            "",
            "1.",
            "1..2",
            "a1",
            "1.0-r",
            "1.0-1",
            "1.0_",
            "1.0~",
            "1.0A",
            "1.0a1",
            "1.0_p1.2",
            "1.0-r1-r2",
            "1.0~XYZ",
        ],
    );
    valid(
        Ecosystem::Apk,
        &[
            "1",
            "1.0a",
            "1.0_alpha1_p2",
            "1.0~abc123-r5",
            "0.1_pre20060810",
            "1.0_p-r1",
        ],
    );
}

// ----------------------------------------------------------------------------------- Maven

/// From Maven's ComparableVersionTest.
#[test]
fn maven_comparable_version_tests() {
    let m = Ecosystem::Maven;
    ascending(
        m,
        &[
            "1-alpha2snapshot",
            "1-alpha2",
            "1-alpha-123",
            "1-beta-2",
            "1-beta123",
            "1-m2",
            "1-m11",
            "1-rc",
            "1-cr2",
            "1-rc123",
            "1-SNAPSHOT",
            "1",
            "1-sp",
            "1-sp2",
            "1-sp123",
            "1-abc",
            "1-def",
            "1-pom-1",
            "1-1-snapshot",
            "1-1",
            "1-2",
            "1-123",
        ],
    );
    ascending(
        m,
        &[
            "2.0", "2.0.a", "2-1", "2.0.2", "2.0.123", "2.1.0", "2.1-a", "2.1b", "2.1-c", "2.1-1",
            "2.1.0.1", "2.2", "2.123", "11.a2", "11.a11", "11.b2", "11.b11", "11.m2", "11.m11",
            "11", "11.a", "11b", "11c", "11m",
        ],
    );
    for (a, b) in [
        ("1", "1"),
        ("1", "1.0"),
        ("1", "1.0.0"),
        ("1.0", "1.0.0"),
        ("1", "1-0"),
        ("1", "1.0-0"),
        ("1.0", "1.0-0"),
        ("1a", "1-a"),
        ("1a", "1.0-a"),
        ("1a", "1.0.0-a"),
        ("1.0a", "1-a"),
        ("1.0.0a", "1-a"),
        ("1x", "1-x"),
        ("1x", "1.0-x"),
        ("1x", "1.0.0-x"),
        ("1.0x", "1-x"),
        ("1.0.0x", "1-x"),
        ("1cr", "1rc"),
        ("1a1", "1-alpha-1"),
        ("1b2", "1-beta-2"),
        ("1m3", "1-milestone-3"),
        ("1X", "1x"),
        ("1A", "1a"),
        ("1B", "1b"),
        ("1M", "1m"),
        ("1Cr", "1Rc"),
        ("1cR", "1rC"),
        ("1m3", "1Milestone3"),
        ("1m3", "1MileStone3"),
        ("1m3", "1MILESTONE3"),
        // Same order, though not `equals` in Java.
        ("1ga", "1"),
        ("1release", "1"),
        ("1final", "1"),
        ("1Ga", "1"),
        ("1GA", "1"),
        ("1RELEASE", "1"),
        ("1RELeaSE", "1"),
        ("1Final", "1"),
        ("1FinaL", "1"),
        ("1FINAL", "1"),
        ("1.0.0-alpha1", "1.0.0-ALPHA1"),
        ("1.a", "1.A"),
        ("1.é", "1.É"),
        (
            "1-abcdefghijklmnopqrstuvwxyz",
            "1-ABCDEFGHIJKLMNOPQRSTUVWXYZ",
        ),
    ] {
        assert_eq!(ord(m, a, b), Equal, "{a} == {b}");
        assert_eq!(ord(m, b, a), Equal, "{b} == {a}");
    }
    table(
        m,
        &[
            ("1", "<", "2"),
            ("1.5", "<", "2"),
            ("1", "<", "2.5"),
            ("1.0", "<", "1.1"),
            ("1.1", "<", "1.2"),
            ("1.0.0", "<", "1.1"),
            ("1.0.1", "<", "1.1"),
            ("1.1", "<", "1.2.0"),
            ("1.0-alpha-1", "<", "1.0"),
            ("1.0-alpha-1", "<", "1.0-alpha-2"),
            ("1.0-alpha-1", "<", "1.0-beta-1"),
            ("1.0-beta-1", "<", "1.0-SNAPSHOT"),
            ("1.0-SNAPSHOT", "<", "1.0"),
            ("1.0-alpha-1-SNAPSHOT", "<", "1.0-alpha-1"),
            ("1.0", "<", "1.0-1"),
            ("1.0-1", "<", "1.0-2"),
            ("1.0.0", "<", "1.0-1"),
            ("2.0-1", "<", "2.0.1"),
            ("2.0.1-klm", "<", "2.0.1-lmn"),
            ("2.0.1", "<", "2.0.1-xyz"),
            ("2.0.1", "<", "2.0.1-123"),
            ("2.0.1-xyz", "<", "2.0.1-123"),
            ("0.7", "<", "2"),
            ("0.2", "<", "1.0.7"),
            ("é", "<", "1"),
            ("J", "<", "7"),
            ("c", "<", "7"),
            ("aardvark", "<", "zebra"),
            ("zebra", "<", "ζέβρα"),
            // MNG-5568: transitivity.
            ("6.1.0rc3", "<", "6.1.0"),
            ("6.1.0rc3", "<", "6.1H.5-beta"),
            ("6.1.0", "<", "6.1H.5-beta"),
            // MNG-6572: long numbers.
            ("20190126.230843", "<", "1234567890.12345"),
            ("1234567890.12345", "<", "123456789012345.1H.5-beta"),
            (
                "123456789012345.1H.5-beta",
                "<",
                "12345678901234567890.1H.5-beta",
            ),
            // MNG-6964.
            ("1-0.alpha", "<", "1"),
            ("1-0.beta", "<", "1"),
            ("1-0.alpha", "<", "1-0.beta"),
            // MNG-7714.
            ("1.0.final-redhat", "<", "1.0-sp1-redhat"),
            ("1.0.final-redhat", "<", "1.0-sp-1-redhat"),
            ("1.0.final-redhat", "<", "1.0-sp.1-redhat"),
        ],
    );
    all_equal(
        m,
        &[
            "0000000000000000001",
            "000000000000001",
            "0000000001",
            "00001",
            "001",
            "01",
            "1",
        ],
    );
    all_equal(m, &["0000000000000000000", "00000000000", "000", "0"]);
    // MNG-7644: 1.0.0.X1 < 1.0.0-X2, and 2-X == 2.0.X == 2.0.0.X for any qualifier X.
    for x in [
        "abc",
        "alpha",
        "a",
        "beta",
        "b",
        "def",
        "milestone",
        "m",
        "RC",
    ] {
        table(m, &[(&format!("1.0.0.{x}1"), "<", &format!("1.0.0-{x}2"))]);
        all_equal(
            m,
            &[
                &format!("2-{x}"),
                &format!("2.0.{x}"),
                &format!("2.0.0.{x}"),
            ],
        );
    }
}

#[test]
fn maven_documented_order() {
    // The POM reference's version order specification examples.
    let m = Ecosystem::Maven;
    table(
        m,
        &[
            ("1", "=", "1.0"),
            ("1-ga", "=", "1"),
            ("1-final", "=", "1"),
            ("1-release", "=", "1"),
            ("1-rc1", "=", "1-cr1"),
            ("1-a1", "=", "1-alpha-1"),
            ("1-alpha", "<", "1-beta"),
            ("1-beta", "<", "1-milestone"),
            ("1-milestone", "<", "1-rc"),
            ("1-rc", "<", "1-snapshot"),
            ("1-snapshot", "<", "1"),
            ("1", "<", "1-sp"),
            ("1-sp", "<", "1-foo"),
            ("1-foo2", "<", "1-foo10"),
            ("1.foo", "=", "1-foo"),
            ("1-foo", "<", "1-1"),
            ("1-1", "<", "1.1"),
            ("1.0.0-SNAPSHOT", "<", "1.0.0"),
            ("1.0.0", "<", "1.0.1-SNAPSHOT"),
            ("2.17.1", "<", "2.17.10"),
        ],
    );
    invalid(m, &["", &"1".repeat(257)]);
}

// ---------------------------------------------------------------------------------- SemVer

/// semver.org §11's precedence examples, and its validity rules.
#[test]
fn semver_org_precedence() {
    for eco in [
        Ecosystem::SemVer,
        Ecosystem::Cargo,
        Ecosystem::Npm,
        Ecosystem::Go,
        Ecosystem::NuGet,
    ] {
        ascending(eco, &["1.0.0", "2.0.0", "2.1.0", "2.1.1"]);
        ascending(
            eco,
            &[
                "1.0.0-alpha",
                "1.0.0-alpha.1",
                "1.0.0-alpha.beta",
                "1.0.0-beta",
                "1.0.0-beta.2",
                "1.0.0-beta.11",
                "1.0.0-rc.1",
                "1.0.0",
            ],
        );
        table(
            eco,
            &[
                ("1.0.0-alpha+001", "=", "1.0.0-alpha"),
                ("1.0.0+20130313144700", "=", "1.0.0"),
                ("1.0.0-beta+exp.sha.5114f85", "=", "1.0.0-beta"),
            ],
        );
    }
    let s = Ecosystem::SemVer;
    table(
        s,
        &[
            ("1.0.0-alpha.1", "<", "1.0.0-alpha.-1"),
            ("1.0.0-alpha.9", "<", "1.0.0-alpha.10"),
            ("1.0.0-alpha.a", ">", "1.0.0-alpha.Z"),
            ("1.0.0-x-y-z.--", "<", "1.0.0-x-y-z.0a"),
            (
                "99999999999999999999999.0.0",
                ">",
                "9999999999999999999999.0.0",
            ),
        ],
    );
    valid(
        s,
        &[
            "0.0.4",
            "1.2.3",
            "10.20.30",
            "1.1.2-prerelease+meta",
            "1.1.2+meta",
            "1.1.2+meta-valid",
            "1.0.0-alpha",
            "1.0.0-alpha.beta.1",
            "1.0.0-alpha0.valid",
            "1.0.0-alpha.0valid",
            "1.0.0-alpha-a.b-c-somethinglong+build.1-aef.1-its-okay",
            "1.0.0-rc.1+build.1",
            "2.0.0-rc.1+build.123",
            "1.2.3-beta",
            "10.2.3-DEV-SNAPSHOT",
            "1.2.3-SNAPSHOT-123",
            "2.0.0+build.1848",
            "2.0.1-alpha.1227",
            "1.0.0-alpha+beta",
            "1.2.3----RC-SNAPSHOT.12.9.1--.12+788",
            "1.2.3----R-S.12.9.1--.12+meta",
            "1.2.3----RC-SNAPSHOT.12.9.1--.12",
            "1.0.0+0.build.1-rc.10000aaa-kk-0.1",
            "1.0.0-0A.is.legal",
        ],
    );
    invalid(
        s,
        &[
            "1",
            "1.2",
            "1.2.3-0123",
            "1.2.3-0123.0123",
            "1.1.2+.123",
            "+invalid",
            "-invalid",
            "-invalid+invalid",
            "-invalid.01",
            "alpha",
            "alpha.beta",
            "alpha.beta.1",
            "alpha.1",
            "alpha+beta",
            "alpha_beta",
            "alpha.",
            "alpha..",
            "beta",
            "1.0.0-alpha_beta",
            "-alpha.",
            "1.0.0-alpha..",
            "1.0.0-alpha..1",
            "1.0.0-alpha...1",
            "1.0.0-alpha....1",
            "1.0.0-alpha.....1",
            "1.0.0-alpha......1",
            "1.0.0-alpha.......1",
            "01.1.1",
            "1.01.1",
            "1.1.01",
            "1.2.3.DEV",
            "1.2-SNAPSHOT",
            "1.2.31.2.3----RC-SNAPSHOT.12.09.1--..12+788",
            "1.2-RC-SNAPSHOT",
            "-1.0.3-gamma+b7718",
            "+justmeta",
            "9.8.7+meta+meta",
            "9.8.7-whatever+meta+meta",
            "",
            " 1.2.3",
            "v1.2.3",
        ],
    );
    // npm: a leading `v` or `=` and surrounding spaces are accepted.
    table(
        Ecosystem::Npm,
        &[
            ("v1.2.3", "=", "1.2.3"),
            ("=1.2.3", "=", "1.2.3"),
            (" =v1.2.3 ", "=", "1.2.3"),
            ("v1.2.3-beta.1", "<", "1.2.3"),
        ],
    );
    invalid(
        Ecosystem::Npm,
        &[
            "1.2",
            "01.2.3",
            "1.2.3-01",
            "V1.2.3",
            "v 1.2.3",
            "9007199254740992.0.0",
        ],
    );
    // node-semver's `clean` drops any run of leading `=` and `v` (but not `V`).
    table(
        Ecosystem::Npm,
        &[("vv1.2.3", "=", "1.2.3"), ("=v=1.2.3", "=", "1.2.3")],
    );
    valid(Ecosystem::Npm, &["9007199254740991.0.0"]);
    invalid(Ecosystem::Cargo, &["v1.2.3", "=1.2.3", "1.2"]);
}

/// golang.org/x/mod/semver's test list (shorthands, +incompatible) and module pseudo-versions.
#[test]
fn go_semver_and_pseudo_versions() {
    let g = Ecosystem::Go;
    ascending(
        g,
        &[
            "v0.0.0-20191109021931-daa7c04131f5",
            "v0.0.0",
            "v0.1.0-0.20200101000000-abcdefabcdef",
            "v0.1.0-rc.1",
            "v0.1.0-rc.1.0.20200101000000-abcdefabcdef",
            "v0.1.0",
            "v0.1.1-0.20200101000000-abcdefabcdef",
            "v1.0.0-alpha",
            "v1.0.0-alpha.1",
            "v1.0.0-alpha.beta",
            "v1.0.0-beta",
            "v1.0.0-beta.2",
            "v1.0.0-beta.11",
            "v1.0.0-rc.1",
            "v1",
            "v1.2",
            "v1.2.3",
            "v1.2.4",
            "v2.0.0+incompatible",
            "v2.1.0+incompatible",
        ],
    );
    table(
        g,
        &[
            ("v1", "=", "v1.0.0"),
            ("v1.2", "=", "v1.2.0"),
            ("v1.2.3+incompatible", "=", "v1.2.3"),
            ("v1.2.3+meta", "=", "v1.2.3"),
            ("1.2.3", "=", "v1.2.3"),
            (
                "v0.0.0-20191109021931-daa7c04131f5",
                "<",
                "v0.0.0-20200101000000-000000000000",
            ),
        ],
    );
    invalid(
        g,
        &[
            "bad",
            "v1-alpha.beta.gamma",
            "v1-pre",
            "v1+meta",
            "v1-pre+meta",
            "v1.2-pre",
            "v1.2+meta",
            "v1.2-pre+meta",
            "v1.0.0-01",
            "v01.0.0",
            "v1.00.0",
            "v1.0.0-",
            "v1.0.0+",
            "vv1.0.0",
            "",
        ],
    );
}

// -------------------------------------------------------------------------------- RubyGems

/// From RubyGems' test_gem_version.rb.
#[test]
fn rubygems_gem_version_cases() {
    let r = Ecosystem::RubyGems;
    table(
        r,
        &[
            ("1.0", "=", "1.0.0"),
            ("1.0", "=", "1"),
            ("1.8.2", ">", "0.0.0"),
            ("1.112", ">", "1.111"),
            ("0.0.0", "=", "0"),
            ("0.0.1", "<", "0.1"),
            ("1.0.0", "<", "1.0.1"),
            ("1.0.a.2", ">", "1.0.a.1"),
            ("1.a", "<", "1"),
            ("1.a", "<", "1.0"),
            ("1.0.a", "<", "1.0"),
            ("1.0.0.a", "<", "1.0"),
            ("1.b", ">", "1.a"),
            ("1.0.a10", ">", "1.0.a9"),
            ("1.0.b1", ">", "1.0.a2"),
            ("1.0.a", "<", "1.0.b"),
            ("1.0.a.2", "<", "1.0.b"),
            ("1.0.a", "<", "1.0.0"),
            ("1.0.a", "<", "1.0.a1"),
            ("1.0.a", "=", "1.0.a0"),
            ("1.0.rc1", ">", "1.0.beta1"),
            ("1.0.alpha.2", "<", "1.0.beta.1"),
            ("1.0-1", "<", "1.0"),
            ("1.0-1", "=", "1.0.pre.1"),
            ("5.3.0.a", "=", "5.3.a"),
            ("1.0.0-rc.1", "<", "1.0.0"),
            ("1.0.0-rc.1", "=", "1.0.0.pre.rc.1"),
            ("1.0.0-RC1", "<", "1.0.0-rc1"),
            ("2.9.b", "<", "2.9"),
            ("10.0.0", ">", "9.999.999"),
            (" 1.0 ", "=", "1.0"),
            ("9.8.7", "<", "10"),
            ("1.0.0.0.0.0.0.0.1", ">", "1"),
        ],
    );
    valid(
        r,
        &["5.1", "1.0\n", "1.0.a.1", "1.0-a-b", "1--", "1.0.0-pre.1"],
    );
    invalid(
        r,
        &[
            "",
            "  ",
            "junk",
            "1.0\n2.0",
            "1..2",
            "1.2\\ 3.4",
            "2.3422222.222.222222222.22222.ads0as.dasd0.ddd2222.2.qd3e.",
            "1.0-",
            ".1",
            "1.0_a",
            "1.a-b.",
            "a1",
        ],
    );
}

// -------------------------------------------------------------------------------- Composer

/// From composer/semver's VersionParserTest (normalisation) and ComparatorTest / SemverTest.
#[test]
fn composer_normalisation_and_order() {
    let c = Ecosystem::Composer;
    // Pairs that normalise to the same version are equal.
    for (a, b) in [
        ("1.0.0", "1.0.0.0"),
        ("1.2.3.4", "1.2.3.4"),
        ("1.0.0RC1dev", "1.0.0.0-RC1-dev"),
        ("1.0.0-rC15-dev", "1.0.0.0-RC15-dev"),
        ("1.0.0.RC.15-dev", "1.0.0.0-RC15-dev"),
        ("1.0.0-rc1", "1.0.0.0-RC1"),
        ("1.0.0.pl3-dev", "1.0.0.0-patch3-dev"),
        ("1.0-dev", "1.0.0.0-dev"),
        ("0", "0.0.0.0"),
        ("10.4.13-beta", "10.4.13.0-beta"),
        ("10.4.13beta2", "10.4.13.0-beta2"),
        ("10.4.13beta.2", "10.4.13.0-beta2"),
        ("v1.13.11-beta.0", "1.13.11.0-beta0"),
        ("1.13.11.0-beta0", "1.13.11-beta.0"),
        ("10.4.13-b", "10.4.13.0-beta"),
        ("10.4.13-b5", "10.4.13.0-beta5"),
        ("v1.0.0", "1.0.0.0"),
        ("v20100102", "20100102"),
        ("2010.01", "2010.01"),
        ("2010.01.02", "2010.01.02"),
        ("2010-01-02.5", "2010.01.02.5"),
        ("20100102-203040", "20100102.203040"),
        ("20100102203040-10", "20100102203040.10"),
        ("20100102-203040-p1", "20100102.203040-patch1"),
        ("1.0.0-beta.5+foo", "1.0.0.0-beta5"),
        ("1.0.0+foo", "1.0.0.0"),
        ("1.0.0-alpha.3.1+foo", "1.0.0.0-alpha3.1"),
        ("1.0.0-alpha2.1+foo", "1.0.0.0-alpha2.1"),
        ("1.0.0-alpha-2.1-3+foo", "1.0.0.0-alpha2.1-3"),
        ("1.0.0+foo as 2.0", "1.0.0.0"),
        ("1.0.x-dev", "1.0.9999999.9999999-dev"),
        ("2.*-dev", "2.9999999.9999999.9999999-dev"),
        ("1.0.0@dev", "1.0.0.0"),
        ("1.0.0-stable", "1.0.0.0"),
        ("1.0-patch1", "1.0-pl1"),
        ("1.0-patch1", "1.0-p1"),
        ("1.0-a1", "1.0-alpha1"),
    ] {
        if a.contains(" as ") {
            assert!(validate(c, a).is_err(), "aliases are rejected: {a}");
            continue;
        }
        assert_eq!(ord(c, a, b), Equal, "{a} == {b}");
    }
    ascending(
        c,
        &[
            "1.0-dev",
            "1.0-alpha1",
            "1.0-alpha2",
            "1.0-beta",
            "1.0-beta2",
            "1.0-RC1",
            "1.0",
            "1.0-patch1",
            "1.0.1-dev",
            "1.0.1",
            "1.1",
            "2.0",
        ],
    );
    table(
        c,
        &[
            ("1.25.0", ">", "1.24.0"),
            ("1.25.0", "=", "1.25.0"),
            ("2010-01-02", "<", "2010-01-03"),
            ("2010-01-02", "<", "2010.01.02"),
            ("2010-01-02", "<", "2010-01-02.5"),
            ("1.25.0", "<", "1.26.0"),
            ("1.0.0", "<", "1.2-dev"),
            ("1.0.0-dev", "<", "1.0.0"),
            ("1.0.0-dev", "<", "1.0.0-alpha"),
            ("1.0.0-alpha", "<", "1.0.0-beta"),
            ("1.0.0-beta", "<", "1.0.0-RC1"),
            ("1.0.0-RC1", "<", "1.0.0"),
            ("1.0.0", "<", "1.0.0-patch1"),
            ("1.0.0-beta2", "<", "1.0.0-beta10"),
            ("v2.0.0", "=", "2.0"),
        ],
    );
    invalid(
        c,
        &[
            "",
            "a",
            "1.0.0-meh",
            "1.0.0.0.0",
            "feature-foo",
            "dev-master",
            "master",
            "1.0 as 2.0",
            "1.0.0+",
            "20100102.1.2.3.4.5.6",
            "1.0.0-SNAPSHOT",
            "1.0.0-x-dev",
        ],
    );
}

// ----------------------------------------------------------------------------------- NuGet

/// From NuGet.Versioning's tests (parsing, four-part versions, case-insensitive labels).
#[test]
fn nuget_versions() {
    let n = Ecosystem::NuGet;
    table(
        n,
        &[
            ("1.0", "=", "1.0.0"),
            ("1", "=", "1.0.0.0"),
            ("1.0.0.0", "=", "1.0.0"),
            ("1.0.0.1", ">", "1.0.0"),
            ("1.0.0.1", "<", "1.0.1"),
            ("01.02.03", "=", "1.2.3"),
            ("1.0.0-BETA", "=", "1.0.0-beta"),
            ("1.0.0-alpha", "<", "1.0.0-Beta"),
            ("1.0.0-beta.2", "<", "1.0.0-beta.10"),
            ("1.0.0-beta.x", ">", "1.0.0-beta.9"),
            ("1.0.0-beta", "<", "1.0.0"),
            ("1.0.0-beta+meta", "=", "1.0.0-beta+other"),
            ("1.0.0+meta", "=", "1.0.0"),
            ("1.0.0.0-rc.1", "<", "1.0.0.0"),
            (" 1.0.0 ", "=", "1.0.0"),
            ("2.0.0-beta.2147483648", ">", "2.0.0-beta.2147483647"),
            // Past Int32 a numeric label is text, so it sorts after numbers and among words.
            ("2.0.0-beta.2147483648", "<", "2.0.0-beta.zzz"),
        ],
    );
    valid(
        n,
        &[
            "1.0.0-beta.1+build.5",
            "1.0.0.0-beta",
            "2147483647.0.0",
            "1.0.0-a-b",
        ],
    );
    invalid(
        n,
        &[
            "",
            "1.0.0.0.0",
            "a.b.c",
            "1.0.0-",
            "1.0.0-beta.01",
            "1.0.0-beta..1",
            "1.0.0+",
            "2147483648.0.0",
            "1.0.0-be_ta",
            "-1.0.0",
        ],
    );
}
