//! Differential tests against the real tools on this machine, over thousands of generated
//! pairs: `dpkg --compare-versions` and apt's `apt_pkg.version_compare` for dpkg, rpm's own
//! `rpmverCmp` (python3-rpm) for EVR, PyPA `packaging.version` for PEP 440, Ruby's
//! `Gem::Version` for RubyGems and composer/semver's `VersionParser` + PHP's
//! `version_compare` for Composer, node-semver for npm (order, and validity where the tool
//! has a notion of it).
//! Zero disagreements tolerated.
//!
//! The generators (proptest strategies, run with a fixed seed so failures reproduce) build
//! realistic versions from small alphabets so that pairs share prefixes and often tie:
//! epochs, `~`, `^`, letters, leading zeros, pre/post/dev/local parts, odd separators.
//! The tools come from Debian's packages: `scripts/test-deps.sh` installs them.

use crowsnest_version::{Ecosystem, compare, validate};
use proptest::prelude::*;
use proptest::sample::select;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use std::fmt::Write as _;
use std::process::Command;

const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/reference/compare.py");

fn python() -> String {
    std::env::var("CROWSNEST_REFERENCE_PYTHON").unwrap_or_else(|_| "/usr/bin/python3".to_owned())
}

/// Draws `n` values from `strategy` with a fixed seed.
fn generate<S: Strategy>(strategy: S, n: usize, seed: u8) -> Vec<S::Value> {
    let rng = TestRng::from_seed(RngAlgorithm::ChaCha, &[seed; 32]);
    let mut runner = TestRunner::new_with_rng(Config::default(), rng);
    (0..n)
        .map(|_| strategy.new_tree(&mut runner).expect("strategy").current())
        .collect()
}

/// Runs the reference tool on `pairs`; one answer per pair: "-1", "0", "1" or "E[a][b]".
fn reference(tool: &str, pairs: &[(String, String)]) -> Vec<String> {
    let mut text = String::new();
    for (a, b) in pairs {
        let hex = |s: &str| {
            s.bytes().fold(String::from("x"), |mut h, b| {
                let _ = write!(h, "{b:02x}");
                h
            })
        };
        let _ = writeln!(text, "{} {}", hex(a), hex(b));
    }
    let file = tempfile::NamedTempFile::new().expect("temp file");
    std::fs::write(file.path(), text).expect("write pairs");
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/reference");
    let mut cmd = match tool {
        "rubygems" => {
            let mut c = Command::new("ruby");
            c.arg(format!("{dir}/rubygems.rb"));
            c
        }
        "npm" => {
            let mut c = Command::new("node");
            c.env("NODE_PATH", "/usr/share/nodejs")
                .arg(format!("{dir}/npm.js"));
            c
        }
        "composer" => {
            let mut c = Command::new("php");
            c.arg(format!("{dir}/composer.php"));
            c
        }
        _ => {
            let mut c = Command::new(python());
            c.arg(SCRIPT).arg(tool);
            c
        }
    };
    let out = cmd.arg(file.path()).output().unwrap_or_else(|e| {
        panic!("cannot run the reference for {tool} (run scripts/test-deps.sh): {e}")
    });
    assert!(
        out.status.success(),
        "reference tool {tool} failed (run scripts/test-deps.sh):\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<String> = String::from_utf8(out.stdout)
        .expect("utf-8")
        .lines()
        .map(str::to_owned)
        .collect();
    assert_eq!(lines.len(), pairs.len(), "one answer per pair from {tool}");
    lines
}

/// Our answer in the reference script's notation.
fn ours(eco: Ecosystem, a: &str, b: &str) -> String {
    let (va, vb) = (validate(eco, a).is_ok(), validate(eco, b).is_ok());
    if !va || !vb {
        return format!(
            "E{}{}",
            if va { "" } else { "a" },
            if vb { "" } else { "b" }
        );
    }
    match compare(eco, a, b).expect("both valid") {
        std::cmp::Ordering::Less => "-1".to_owned(),
        std::cmp::Ordering::Equal => "0".to_owned(),
        std::cmp::Ordering::Greater => "1".to_owned(),
    }
}

/// Compares every pair with the tool; panics listing the disagreements.
fn check(eco: Ecosystem, tool: &str, pairs: &[(String, String)]) -> (usize, usize) {
    let want = reference(tool, pairs);
    let mut bad = Vec::new();
    let (mut equal, mut invalid) = (0, 0);
    for ((a, b), w) in pairs.iter().zip(&want) {
        let got = ours(eco, a, b);
        if got == "0" {
            equal += 1;
        }
        if got.starts_with('E') {
            invalid += 1;
        }
        if &got != w {
            bad.push(format!("{a:?} vs {b:?}: {tool} says {w}, we say {got}"));
        }
    }
    assert!(
        bad.is_empty(),
        "{} disagreements with {tool} out of {}:\n{}",
        bad.len(),
        pairs.len(),
        bad.join("\n")
    );
    eprintln!(
        "{tool}: {} pairs agree ({equal} equal, {invalid} with an invalid side)",
        pairs.len()
    );
    (equal, invalid)
}

/// Near-miss strings (a plausible start, then up to four tokens of soup), each paired with
/// the valid version "1" so that the answer speaks about the near miss alone.
fn near_misses(
    starts: &'static [&'static str],
    soup: &'static [&'static str],
    n: usize,
    seed: u8,
) -> Vec<(String, String)> {
    generate((select(starts), tokens(soup, 0..5)), n, seed)
        .into_iter()
        .map(|(a, b)| (format!("{a}{b}"), "1".to_owned()))
        .collect()
}

/// Two versions from the same parts generator: b takes each part from a or from a second
/// draw, so pairs share prefixes and often differ in one place only.
fn mixed<T: Clone + std::fmt::Debug>(
    parts: impl Strategy<Value = Vec<T>> + Clone,
    render: fn(&[T]) -> String,
) -> impl Strategy<Value = (String, String)> {
    (parts.clone(), parts, any::<u16>()).prop_map(move |(a, b, mask)| {
        let mixed: Vec<T> = b
            .iter()
            .enumerate()
            .map(|(i, x)| {
                if mask & (1 << (i % 16)) != 0 {
                    a[i].clone()
                } else {
                    x.clone()
                }
            })
            .collect();
        (render(&a), render(&mixed))
    })
}

fn tokens(
    pool: &'static [&'static str],
    len: std::ops::Range<usize>,
) -> impl Strategy<Value = String> + Clone {
    prop::collection::vec(select(pool), len).prop_map(|v| v.concat())
}

// ---------------------------------------------------------------- dpkg

const DPKG_UP: &[&str] = &[
    "0", "1", "2", "10", "01", "00", "a", "b", "z", "A", "Z", "rc", "~", "~~", "+", ".", "..",
    "~a", ".0", "dfsg",
];

/// [epoch, upstream head digit, upstream rest, revision] (empty strings when absent).
fn dpkg_parts() -> impl Strategy<Value = Vec<String>> + Clone {
    (
        select(&["", "", "", "0:", "1:", "2:", "01:", "10:"][..]),
        select(&["0", "1", "2", "10", "00"][..]),
        tokens(DPKG_UP, 0..6),
        select(&["", ":", "-", "-1", ":1"][..]),
        prop_oneof![
            Just(String::new()),
            tokens(
                &[
                    "0", "1", "2", "10", "a", "b", "Z", ".", "+", "~", "~~", "deb12u1", "ubuntu"
                ],
                1..5
            )
        ],
    )
        .prop_map(|(e, head, rest, extra, rev)| {
            vec![e.to_owned(), head.to_owned(), rest, extra.to_owned(), rev]
        })
}

fn dpkg_render(p: &[String]) -> String {
    let (epoch, head, rest, extra, rev) = (&p[0], &p[1], &p[2], &p[3], &p[4]);
    let mut s = format!("{epoch}{head}{rest}");
    // ':' in the upstream part needs an epoch; '-' in it needs a revision.
    if (extra.contains(':') && !epoch.is_empty()) || (extra.contains('-') && !rev.is_empty()) {
        s.push_str(extra);
    }
    if !rev.is_empty() {
        s.push('-');
        s.push_str(rev);
    }
    s
}

fn edge_pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .flat_map(|(a, b)| {
            [
                (a.to_string(), b.to_string()),
                (b.to_string(), a.to_string()),
            ]
        })
        .collect()
}

#[test]
fn dpkg_agrees_with_apt_pkg_and_dpkg() {
    let mut pairs = edge_pairs(&[
        ("1.0~rc1", "1.0"),
        ("1.0~~", "1.0~"),
        ("1.0~", "1.0"),
        ("1.0", "1.0+"),
        ("1.0a", "1.0+"),
        ("1.0a", "1.0A"),
        ("1.0", "1.0-0"),
        ("1:1.0", "2.0"),
        ("0:1.0", "1.0"),
        ("1.0-1", "1.0-1~bpo11+1"),
        ("2.30-1", "2.4-1"),
        ("1.001", "1.1"),
        ("1.0.", "1.0"),
        ("1:2:3-4-5", "1:2:3-4"),
        ("99999999999999999999999", "100000000000000000000000"),
        ("7.4.052-1ubuntu3.1", "7.4.052-1ubuntu3"),
        ("2.4.57-2", "2.4.57-2+deb12u1"),
    ]);
    pairs.extend(generate(mixed(dpkg_parts(), dpkg_render), 5000, 1));
    let (equal, invalid) = check(Ecosystem::Dpkg, "apt_pkg", &pairs);
    assert_eq!(invalid, 0, "the generator only makes valid dpkg versions");
    assert!(equal > 100, "the generator should produce ties ({equal})");
    // The dpkg binary itself on a subset (two processes per pair).
    check(Ecosystem::Dpkg, "dpkg", &pairs[..1200]);
}

/// Validity on near misses, against `dpkg --validate-version` (which, unlike
/// `--compare-versions`, also rejects what dpkg only warns about).
#[test]
fn dpkg_validity_agrees_with_dpkg() {
    const SOUP: &[&str] = &[
        "1", "0", ":", "-", ".", "+", "~", "a", "Z", "_", " ", "\t", "+1", "-0", "é", "", "1:",
        "-1",
    ];
    let mut pairs = near_misses(
        &["1", "0", "1:1", "+1:2", "-0:1", " 1.0", "a", ":1", "1.0-1"],
        SOUP,
        1500,
        9,
    );
    pairs.extend(edge_pairs(&[
        ("+1:2", "1:2"),
        ("-0:1", "1"),
        ("-1:1", "1"),
        ("2147483648:1", "1"),
        ("2147483647:1", "1"),
        ("1.0 ", "1.0"),
    ]));
    // apt_pkg neither trims spaces nor reads signed epochs as dpkg does: the dpkg binary decides.
    let (_, invalid) = check(Ecosystem::Dpkg, "dpkg", &pairs);
    assert!(invalid > 100 && invalid < pairs.len() - 100, "{invalid}");
}

// ---------------------------------------------------------------- rpm

const RPM_TOK: &[&str] = &[
    "0", "1", "2", "10", "01", "00", "a", "b", "Z", "rc", "alpha", ".", "_", "+", "~", "^", "~~",
    "^^", "..", "~rc", "^post", "el9",
];

/// [epoch, version, release]; release "" is absent.
fn rpm_parts() -> impl Strategy<Value = Vec<String>> + Clone {
    (
        select(&["", "", "", "0:", "1:", "2:", "01:", "10:"][..]),
        select(&["0", "1", "2", "10", "a", "~", "^"][..]),
        tokens(RPM_TOK, 0..6),
        prop_oneof![1 => Just(String::new()), 3 => tokens(RPM_TOK, 1..5)],
    )
        .prop_map(|(e, head, rest, rel)| vec![e.to_owned(), format!("{head}{rest}"), rel])
}

fn rpm_render(p: &[String]) -> String {
    if p[2].is_empty() {
        format!("{}{}", p[0], p[1])
    } else {
        format!("{}{}-{}", p[0], p[1], p[2])
    }
}

#[test]
fn rpm_agrees_with_rpmvercmp() {
    let mut pairs = edge_pairs(&[
        ("1.0~rc1", "1.0"),
        ("1.0^", "1.0"),
        ("1.0^1", "1.0.1"),
        ("1.0^1", "1.0a"),
        ("1.0~rc1^1", "1.0~rc1"),
        ("1.0", "1.0-1"),
        ("1.0-0", "1.0"),
        ("1:1.0", "2.0"),
        ("1.0a", "1.0.1"),
        ("1.a", "1.1"),
        ("1.0_1", "1.0.1"),
        ("1.001", "1.1"),
        ("2.0.1-1.el9", "2.0.1-1.el9_2"),
        ("4.18.0-477.10.1.el8_8", "4.18.0-477.el8"),
        ("99999999999999999999999", "100000000000000000000000"),
        ("1.0.0", "1.0.0."),
        ("a", "b"),
    ]);
    pairs.extend(generate(mixed(rpm_parts(), rpm_render), 5000, 2));
    let (equal, invalid) = check(Ecosystem::Rpm, "rpm", &pairs);
    assert_eq!(invalid, 0);
    assert!(equal > 100, "{equal}");
}

// ---------------------------------------------------------------- PEP 440

const SEP: &[&str] = &["", "", ".", "-", "_"];
const NUM: &[&str] = &["", "0", "1", "2", "10", "01"];

fn pep_parts() -> impl Strategy<Value = Vec<String>> + Clone {
    let labelled = |labels: &'static [&'static str], chance: u32| {
        prop_oneof![
            chance => Just(String::new()),
            1 => (select(SEP), select(labels), select(SEP), select(NUM)).prop_map(|(a, l, b, n)| format!("{a}{l}{b}{n}")),
        ]
    };
    (
        select(&["", "", "", "", " ", "\t", "\n"][..]),
        select(&["", "", "", "v", "V"][..]),
        select(&["", "", "", "", "0!", "1!", "2!", "01!"][..]),
        prop::collection::vec(select(&["0", "1", "2", "10", "00", "01"][..]), 1..5).prop_map(|v| v.join(".")),
        labelled(&["a", "alpha", "b", "beta", "c", "rc", "pre", "preview", "A", "RC", "Beta", "PREVIEW"], 2),
        prop_oneof![
            3 => Just(String::new()),
            1 => select(&["-0", "-1", "-10"][..]).prop_map(str::to_owned),
            2 => (select(SEP), select(&["post", "rev", "r", "POST", "Rev"][..]), select(SEP), select(NUM))
                .prop_map(|(a, l, b, n)| format!("{a}{l}{b}{n}")),
        ],
        labelled(&["dev", "DEV"], 2),
        prop_oneof![
            3 => Just(String::new()),
            1 => prop::collection::vec(
                (select(&["abc", "1", "01", "0", "a1", "ubuntu", "Z", "10"][..]), select(&[".", "-", "_"][..])),
                1..4
            )
            .prop_map(|v| {
                let mut s = String::from("+");
                for (i, (seg, sep)) in v.iter().enumerate() {
                    if i > 0 {
                        s.push_str(sep);
                    }
                    s.push_str(seg);
                }
                s
            }),
        ],
    )
        .prop_map(|(ws, v, e, rel, pre, post, dev, local)| vec![ws.to_owned(), v.to_owned(), e.to_owned(), rel, pre, post, dev, local])
}

fn pep_render(p: &[String]) -> String {
    format!(
        "{}{}{}{}{}{}{}{}{}",
        p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[0]
    )
}

#[test]
fn pep440_agrees_with_packaging() {
    let mut pairs = edge_pairs(&[
        ("1.0a1", "1.0.0a1"),
        ("1.0-post1", "1.0.post1"),
        ("1.0-1", "1.0.post1"),
        ("1.0.dev0", "1.0a0"),
        ("1.0a1.dev0", "1.0a1"),
        ("1.0.post1.dev0", "1.0.post1"),
        ("1.0.post1.dev0", "1.0"),
        ("1.0+local", "1.0"),
        ("1.0+1", "1.0+abc"),
        ("1.0+a.1", "1.0+a"),
        ("1.0+ABC", "1.0+abc"),
        ("1!0.1", "2.0"),
        ("1.0c1", "1.0rc1"),
        ("1.0preview1", "1.0rc1"),
        ("1.0a-1", "1.0a1"),
        ("1.0a--1", "1.0a0.post1"),
        ("1.0a.", "1.0a0"),
        ("1.0.post.", "1.0.post0"),
        ("v1.0", "1.0"),
        (" 1.0\n", "1.0"),
        ("1.0poſt1", "1.0.post1"),
        ("1.0prevİew1", "1.0rc1"),
        ("1.0+İK", "1.0+ik"),
        ("1.0+ı", "1.0+z"),
        ("1.0+ſ", "1.0+s"),
        ("1.0\u{2003}", "1.0"),
        ("1.0\u{1c}", "1.0"),
        ("99999999999999999999999", "100000000000000000000000"),
    ]);
    pairs.extend(generate(mixed(pep_parts(), pep_render), 6000, 3));
    let (equal, invalid) = check(Ecosystem::Pep440, "pep440", &pairs);
    assert!(equal > 100, "{equal}");
    assert!(invalid < pairs.len() / 2, "{invalid}");
}

/// Validity on near-miss strings: token soup that is sometimes a version, sometimes not.
#[test]
fn pep440_validity_agrees_with_packaging() {
    const SOUP: &[&str] = &[
        "1", "0", "10", ".", ".", "-", "_", "+", "!", "a", "alpha", "b", "c", "rc", "pre",
        "preview", "post", "r", "rev", "dev", "v", " ", "x", "ſ", "..", "-1", "local",
    ];
    let mut pairs = near_misses(
        &["1", "0", "10", "v1", "1!1", "1.0", " 1", "1.2.3"],
        SOUP,
        6000,
        4,
    );
    pairs.extend(edge_pairs(&[
        ("", "1"),
        ("v", "1"),
        ("1.", "1"),
        ("1!", "1"),
        ("1.0+", "1"),
        ("1.0+a..b", "1"),
        ("1.0+a_", "1"),
    ]));
    let (_, invalid) = check(Ecosystem::Pep440, "pep440", &pairs);
    assert!(invalid > 200 && invalid < pairs.len() - 200, "{invalid}");
}

// ---------------------------------------------------------------- RubyGems

fn gem_parts() -> impl Strategy<Value = Vec<String>> + Clone {
    (
        select(&["", "", "", " ", "\n"][..]),
        select(&["0", "1", "2", "10", "00", "01", "9", "123456789012345678901"][..]),
        prop::collection::vec(
            select(&["0", "1", "2", "10", "00", "a", "b", "pre", "rc", "A", "beta1", "0a", "z", "rc10"][..]),
            0..5,
        )
        .prop_map(|v| v.iter().map(|x| format!(".{x}")).collect::<String>()),
        prop_oneof![
            3 => Just(String::new()),
            1 => prop::collection::vec(select(&["1", "a", "pre", "rc", "0", "--", "x-y", "B2"][..]), 1..3)
                .prop_map(|v| format!("-{}", v.join("."))),
        ],
    )
        .prop_map(|(ws, head, dots, pre)| vec![ws.to_owned(), head.to_owned(), dots, pre])
}

fn gem_render(p: &[String]) -> String {
    format!("{}{}{}{}{}", p[0], p[1], p[2], p[3], p[0])
}

#[test]
fn rubygems_agrees_with_gem_version() {
    let mut pairs = edge_pairs(&[
        ("1.0", "1.0.0"),
        ("1.0.a", "1.0"),
        ("1.0-1", "1.0.pre.1"),
        ("1.0.0-rc.1", "1.0.0"),
        ("1.A", "1.a"),
        ("1.0.a.0", "1.0.a"),
        ("0.0.0", "0"),
        ("1.0\n", "1.0"),
        ("", "0"),
    ]);
    pairs.extend(generate(mixed(gem_parts(), gem_render), 5000, 5));
    let (equal, _) = check(Ecosystem::RubyGems, "rubygems", &pairs);
    assert!(equal > 100, "{equal}");
    // Validity on near misses.
    const SOUP: &[&str] = &[
        "1", "0", ".", "-", "a", "B", "..", "-", " ", "_", "pre", "1a", "+",
    ];
    let soup = near_misses(&["1", "0", "10", "1.0", " 1", "1.a", "2-"], SOUP, 4000, 6);
    let (_, invalid) = check(Ecosystem::RubyGems, "rubygems", &soup);
    assert!(invalid > 200 && invalid < soup.len() - 200, "{invalid}");
}

// ---------------------------------------------------------------- Composer

fn composer_parts() -> impl Strategy<Value = Vec<String>> + Clone {
    let release = prop_oneof![
        4 => (
            select(&["", "", "v", "V"][..]),
            prop::collection::vec(select(&["0", "1", "2", "10", "00", "01", "99999"][..]), 1..5),
        )
            .prop_map(|(v, parts)| format!("{v}{}", parts.join("."))),
        1 => select(&["2010-01-02", "20100102", "2010.01.02.03", "20100102-203040", "2010-01-02.5", "201001021"][..])
            .prop_map(str::to_owned),
        1 => select(&["1.0.x", "2.*", "1.x", "3.1.X", "v1.2.3.x"][..]).prop_map(|b| format!("{b}-dev")),
    ];
    (
        release,
        select(&["", "", "-", ".", "_"][..]),
        select(
            &[
                "", "", "", "stable", "beta", "b", "RC", "rc", "alpha", "a", "patch", "pl", "p",
                "Beta", "STABLE",
            ][..],
        ),
        select(&["", "", "1", "2", ".1", "-2", "10", ".1.2", "01"][..]),
        select(&["", "", "", "-dev", ".dev", "dev", "-DEV"][..]),
        select(&["", "", "", "+foo", "+1.2"][..]),
        select(&["", "", "", "@dev", "@beta", "@stable"][..]),
    )
        .prop_map(|(r, sep, st, n, dev, build, flag)| {
            vec![
                r,
                sep.to_owned(),
                st.to_owned(),
                n.to_owned(),
                dev.to_owned(),
                build.to_owned(),
                flag.to_owned(),
            ]
        })
}

fn composer_render(p: &[String]) -> String {
    p.concat()
}

#[test]
fn composer_agrees_with_composer_semver() {
    let mut pairs = edge_pairs(&[
        ("1.0.0-dev", "1.0.0-alpha"),
        ("1.0.0-RC1", "1.0.0"),
        ("1.0.0", "1.0.0-patch1"),
        ("2010.01.02", "2010-01-02"),
        ("1.0-STABLE", "1.0"),
        ("dev-master", "1.0"),
        ("1.0 as 2.0", "1.0"),
    ]);
    pairs.extend(generate(mixed(composer_parts(), composer_render), 5000, 7));
    let (equal, invalid) = check(Ecosystem::Composer, "composer", &pairs);
    assert!(equal > 100, "{equal}");
    assert!(invalid < pairs.len() / 2, "{invalid}");
    const SOUP: &[&str] = &[
        "1", "0", "2010", "01", ".", "-", "_", "+", "@", "v", "beta", "b", "RC", "alpha", "patch",
        "p", "dev", "stable", "x", "*", ":",
    ];
    let soup = near_misses(
        &["1", "0", "1.0", "v1.2", "2010", "1.0-", "20100102"],
        SOUP,
        4000,
        8,
    );
    let (_, invalid) = check(Ecosystem::Composer, "composer", &soup);
    assert!(invalid > 200 && invalid < soup.len() - 200, "{invalid}");
}

// ---------------------------------------------------------------- npm (node-semver)

fn npm_parts() -> impl Strategy<Value = Vec<String>> + Clone {
    let num = || select(&["0", "1", "2", "10", "0", "1", "9007199254740991", "01"][..]);
    (
        select(&["", "", "", "", "", "v", "=", "=v", " ", "V", "vv"][..]),
        (num(), num(), num()).prop_map(|(a, b, c)| format!("{a}.{b}.{c}")),
        prop_oneof![
            2 => Just(String::new()),
            1 => prop::collection::vec(
                select(&["alpha", "beta", "rc", "0", "1", "2", "10", "x-y", "-", "9007199254740993", "9007199254740992", "A", "01"][..]),
                1..4
            )
            .prop_map(|v| format!("-{}", v.join("."))),
        ],
        select(&["", "", "", "", "+build.1", "+001", "+"][..]),
    )
        .prop_map(|(p, core, pre, build)| vec![p.to_owned(), core, pre, build.to_owned()])
}

fn npm_render(p: &[String]) -> String {
    p.concat()
}

#[test]
fn npm_agrees_with_node_semver() {
    let mut pairs = edge_pairs(&[
        ("1.0.0-alpha", "1.0.0"),
        ("1.0.0-alpha.1", "1.0.0-alpha.beta"),
        ("1.0.0-9007199254740993", "1.0.0-9007199254740992"),
        ("=v1.2.3", "1.2.3"),
        ("\u{feff}1.2.3", "1.2.3"),
        ("\u{85}1.2.3", "1.2.3"),
    ]);
    pairs.extend(generate(mixed(npm_parts(), npm_render), 4000, 10));
    let (equal, invalid) = check(Ecosystem::Npm, "npm", &pairs);
    assert!(equal > 100, "{equal}");
    assert!(invalid > 100 && invalid < pairs.len() * 3 / 4, "{invalid}");
}
