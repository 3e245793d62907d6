//! Comparisons per second, for BENCHMARKS.md.
//!
//! `cargo run --release -p crowsnest-version --example bench [-- SECONDS_PER_CASE]`
//!
//! For each ecosystem, every ordered pair of a list of realistic versions (taken from the
//! shapes real feeds carry) is compared over and over: once through `compare` (both strings
//! parsed on every call, the simple API) and once through pre-parsed `Version`s (the
//! matcher's path: parse the installed version once, compare against many fixed versions).

use crowsnest_version::{Ecosystem, Version, compare};
use std::hint::black_box;
use std::time::{Duration, Instant};

const DPKG: &[&str] = &[
    "2.36-9+deb12u4",
    "2.36-9+deb12u7",
    "1:2.38.1-5+deb12u1",
    "7.88.1-10+deb12u5",
    "3.0.11-1~deb12u2",
    "1.2.13.dfsg-1",
    "1:1.2.13.dfsg-1",
    "252.22-1~deb12u1",
    "2.4.57-2",
    "0.0~git20230101.abcdef-1",
    "5.2.15-2+b2",
    "1.0~rc1-1",
    "1.0-1",
    "9.2p1-2+deb12u2",
    "2.9.14+dfsg-1.3~deb12u1",
    "4:11.0.22+7-1~deb12u1",
];
const RPM: &[&str] = &[
    "4.18.0-477.10.1.el8_8",
    "4.18.0-477.el8",
    "0:2.28-225.el8",
    "2.28-225.el8_8.6",
    "1:1.1.1k-9.el8_7",
    "3.6.8-51.el8_8.1",
    "7.61.1-30.el8_8.3",
    "1.0~rc1-1.fc38",
    "1.0^20230101git1234-1",
    "239-74.el8_8.2",
    "5.2.4-4.el8",
    "2:8.0.1763-19.el8_6.4",
    "1.12.8-26.el8",
    "0.9.6-9.el8",
    "2.02-148.el8.alma",
    "6.1-7.20180224.el8",
];
const PEP440: &[&str] = &[
    "1.26.18",
    "2.31.0",
    "2.0.0a1",
    "2.0.0rc2",
    "1.0.post1",
    "1.0.dev3",
    "3.1.4",
    "0.9.9",
    "1!1.0",
    "42.0.5",
    "1.0.0+ubuntu1",
    "23.2.1",
    "2024.1",
    "1.21.6",
    "0.104.1",
    "4.0.0b3",
];
const SEMVER: &[&str] = &[
    "1.2.3",
    "1.2.4",
    "1.10.0",
    "2.0.0-alpha.1",
    "2.0.0-beta.2",
    "2.0.0-rc.1",
    "2.0.0",
    "0.9.7+build.5",
    "4.17.21",
    "5.0.0-next.10",
    "0.0.0-20191109021931-daa7c04131f5",
    "3.4.5",
    "1.0.0-0.3.7",
    "10.1.0",
    "0.1.0",
    "6.3.1",
];
const MAVEN: &[&str] = &[
    "2.17.1",
    "2.15.0",
    "5.3.27",
    "6.0.0-M3",
    "1.0-SNAPSHOT",
    "2.12.7.1",
    "31.1-jre",
    "1.2.3.RELEASE",
    "4.1.94.Final",
    "9.4.51.v20230217",
    "1.0-alpha-1",
    "3.0.0-rc1",
    "1.70",
    "2.0.206",
    "1.1.10.5",
    "8.0.33",
];

fn run(name: &str, eco: Ecosystem, list: &[&str], budget: Duration) {
    for v in list {
        if let Err(e) = compare(eco, v, v) {
            panic!("{e}");
        }
    }
    let pairs: Vec<(&str, &str)> = list
        .iter()
        .flat_map(|a| list.iter().map(move |b| (*a, *b)))
        .collect();
    // Strings, parsed on every call.
    let (mut n, start) = (0u64, Instant::now());
    while start.elapsed() < budget {
        for (a, b) in &pairs {
            black_box(compare(eco, black_box(a), black_box(b)).ok());
        }
        n += pairs.len() as u64;
    }
    let strings = n as f64 / start.elapsed().as_secs_f64();
    // Pre-parsed.
    let parsed: Vec<Version<'_>> = list
        .iter()
        .map(|v| Version::parse(eco, v).expect("valid"))
        .collect();
    let (mut n, start) = (0u64, Instant::now());
    while start.elapsed() < budget {
        for a in &parsed {
            for b in &parsed {
                black_box(black_box(a).compare(black_box(b)));
            }
        }
        n += (parsed.len() * parsed.len()) as u64;
    }
    let pre = n as f64 / start.elapsed().as_secs_f64();
    // Parsing alone.
    let (mut n, start) = (0u64, Instant::now());
    while start.elapsed() < budget {
        for v in list {
            black_box(Version::parse(eco, black_box(v)).ok());
        }
        n += list.len() as u64;
    }
    let parses = n as f64 / start.elapsed().as_secs_f64();
    println!(
        "| {name:<8} | {:>12.1} M/s | {:>12.1} M/s | {:>10.1} M/s |",
        strings / 1e6,
        pre / 1e6,
        parses / 1e6
    );
}

fn main() {
    let secs: f64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(1.0);
    let budget = Duration::from_secs_f64(secs);
    println!(
        "| comparator | compare(&str, &str) | Version::compare (pre-parsed) | Version::parse |"
    );
    println!("|---|---:|---:|---:|");
    run("dpkg", Ecosystem::Dpkg, DPKG, budget);
    run("rpm", Ecosystem::Rpm, RPM, budget);
    run("pep440", Ecosystem::Pep440, PEP440, budget);
    run("semver", Ecosystem::SemVer, SEMVER, budget);
    run("maven", Ecosystem::Maven, MAVEN, budget);
}
