//! OSV range evaluation (`crowsnest_version::osv::evaluate`) on arbitrary ranges.
//!
//! Input: the first byte picks the ecosystem. The rest is lines: the first is the installed
//! version; then `rS`, `rE` or `rG` opens a SEMVER, ECOSYSTEM or GIT range, and `i`, `f`, `l`,
//! `L` followed by a version add an introduced, fixed, last_affected or limit event to the
//! current range; `v` adds an entry to `versions`. Evaluation must never panic, and the verdict
//! must follow the rules that hold whatever the versions are.

#![no_main]

use crowsnest_version::Ecosystem;
use crowsnest_version::osv::{Event, Range, RangeKind, Verdict, evaluate};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let eco = Ecosystem::ALL[usize::from(selector) % Ecosystem::ALL.len()];
    let text = String::from_utf8_lossy(rest);
    let mut lines = text.split('\n');
    let installed = lines.next().unwrap_or_default();
    let mut ranges: Vec<Range> = Vec::new();
    let mut versions: Vec<String> = Vec::new();
    for line in lines {
        let (tag, value) = line.split_at(line.char_indices().nth(1).map_or(line.len(), |(i, _)| i));
        let value = value.to_string();
        let event = match tag {
            "r" => {
                let kind = match value.as_str() {
                    "S" => RangeKind::Semver,
                    "G" => RangeKind::Git,
                    _ => RangeKind::Ecosystem,
                };
                ranges.push(Range {
                    kind,
                    events: Vec::new(),
                });
                continue;
            }
            "v" => {
                versions.push(value);
                continue;
            }
            "i" => Event::Introduced(value),
            "f" => Event::Fixed(value),
            "l" => Event::LastAffected(value),
            "L" => Event::Limit(value),
            _ => continue,
        };
        if ranges.is_empty() {
            ranges.push(Range {
                kind: RangeKind::Ecosystem,
                events: Vec::new(),
            });
        }
        ranges.last_mut().expect("pushed above").events.push(event);
    }

    let verdict = evaluate(eco, installed, &ranges, &versions);
    let valid = crowsnest_version::validate(eco, installed).is_ok();
    match &verdict {
        Err(e) => assert_eq!(e.ecosystem(), eco),
        Ok(Verdict::Unknown { note }) => {
            assert!(!note.is_empty());
            // Unknown means nothing was evaluable: no versions list and only GIT ranges.
            assert!(
                versions.is_empty(),
                "{verdict:?} with versions {versions:?}"
            );
            assert!(
                ranges.iter().all(|r| r.kind == RangeKind::Git),
                "{verdict:?} {ranges:?}"
            );
        }
        Ok(Verdict::Affected { rule }) => assert!(!rule.is_empty()),
        Ok(Verdict::NotAffected) => {}
    }
    if !valid {
        assert!(
            verdict.is_err(),
            "an invalid installed version must be an error: {verdict:?}"
        );
    }

    // Listing the installed version makes it affected, whatever the ranges say.
    if valid {
        let mut listed = versions.clone();
        listed.push(installed.to_string());
        assert!(
            matches!(
                evaluate(eco, installed, &ranges, &listed),
                Ok(Verdict::Affected { .. })
            ),
            "{eco} {installed:?} listed in versions but not affected"
        );
        // A range open from the start with nothing closing it covers every version.
        let everything = [Range {
            kind: RangeKind::Ecosystem,
            events: vec![Event::Introduced("0".to_string())],
        }];
        assert!(
            matches!(
                evaluate(eco, installed, &everything, &[]),
                Ok(Verdict::Affected { .. })
            ),
            "{eco} {installed:?} not affected by introduced 0"
        );
    }
});
