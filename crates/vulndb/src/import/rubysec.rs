//! rubysec `gems/<gem>/<id>.yml` (and `rubies/<engine>/…`, the interpreters): vulnerable means
//! matching neither `patched_versions` nor `unaffected_versions` (RubyGems requirement lists).
//! Interpreter advisories go under the `ruby-engine` namespace, which no inventory kind matches
//! yet.

use super::{Ctx, f64_of, str_of, strs_of};
use crate::constraint;
use crate::record::{Advisory, Cvss, Entry, Op, Rule, VersionSet, primary_id};
use serde_json::Value;

const SOURCE: &str = "rubysec";

pub(super) fn import(ctx: &mut Ctx<'_>, path: &str, v: &Value) {
    let (ns, name) = match (str_of(v, "gem"), str_of(v, "engine")) {
        (Some(g), _) => ("RubyGems", g),
        (None, Some(e)) => ("ruby-engine", e),
        _ => return ctx.malformed(SOURCE, path, "neither gem nor engine"),
    };
    let patched = strs_of(v, "patched_versions");
    let unaffected_list = strs_of(v, "unaffected_versions");
    let (patched_set, unaffected_set) = match (
        constraint::rubygems_set(&patched),
        constraint::rubygems_set(&unaffected_list),
    ) {
        (Ok(p), Ok(u)) => (p, u),
        (Err(e), _) | (_, Err(e)) => return ctx.malformed(SOURCE, path, e),
    };
    let mut ids = Vec::new();
    if let Some(cve) = str_of(v, "cve") {
        ids.push(if cve.starts_with("CVE-") {
            cve
        } else {
            format!("CVE-{cve}")
        });
    }
    if let Some(ghsa) = str_of(v, "ghsa") {
        ids.push(if ghsa.starts_with("GHSA-") {
            ghsa
        } else {
            format!("GHSA-{ghsa}")
        });
    }
    if let Some(osvdb) = str_of(v, "osvdb") {
        ids.push(format!("OSVDB-{osvdb}"));
    }
    if ids.is_empty() {
        // The file name is the advisory id when no CVE/GHSA is given.
        let stem = path
            .rsplit('/')
            .next()
            .unwrap_or(path)
            .trim_end_matches(".yml");
        ids.push(stem.to_string());
    }
    let (id, aliases) = primary_id(&ids);
    let date = str_of(v, "date").and_then(|d| crate::date::parse(&d));
    let cvss = f64_of(v, "cvss_v3")
        .or_else(|| f64_of(v, "cvss_v4"))
        .or_else(|| f64_of(v, "cvss_v2"))
        .map(|score| Cvss {
            score: Some(score),
            vector: None,
            source: SOURCE.to_string(),
        });
    // The lowest version of each patched clause (`~> 6.1.7, >= 6.1.7.1` → 6.1.7.1).
    let fixed: Vec<String> = patched_set
        .clauses
        .iter()
        .filter_map(|c| {
            c.iter()
                .rfind(|m| matches!(m.op, Op::Ge | Op::Eq | Op::Gt))
                .map(|m| m.version.clone())
        })
        .collect();
    // Everything outside the patched and unaffected sets is vulnerable.
    let mut unaffected = patched_set;
    unaffected.clauses.extend(unaffected_set.clauses);
    ctx.record(SOURCE);
    ctx.date(SOURCE, date);
    let title = str_of(v, "title").unwrap_or_default();
    let adv = ctx.out.add_advisory(Advisory {
        id,
        aliases,
        source: SOURCE.to_string(),
        severity: None,
        cvss,
        published: date,
        fix_date: None,
        description: ctx.text(&title),
        link: str_of(v, "url").unwrap_or_default(),
    });
    ctx.out.add_entry(
        ns,
        &name,
        Entry {
            advisory: adv,
            rule: Rule::Set {
                affected: VersionSet {
                    clauses: vec![Vec::new()],
                },
                unaffected,
                fixed,
            },
            module: None,
            note: None,
        },
    );
    ctx.entries(SOURCE, 1);
}
