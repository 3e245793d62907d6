//! FriendsOfPHP security advisories (`<vendor>/<package>/<slug>.yaml`): each `branches.<b>.versions`
//! list is one affected interval of Composer constraints, under the `Packagist` namespace.

use super::{Ctx, str_of, strs_of};
use crate::constraint;
use crate::names;
use crate::record::{Advisory, Entry, Rule, VersionSet};
use serde_json::Value;

const SOURCE: &str = "friendsofphp";

pub(super) fn import(ctx: &mut Ctx<'_>, path: &str, v: &Value) {
    let reference = str_of(v, "reference").unwrap_or_default();
    let Some(package) = reference
        .strip_prefix("composer://")
        .filter(|p| p.contains('/'))
    else {
        return ctx.malformed(SOURCE, path, format!("bad reference {reference:?}"));
    };
    let Some(branches) = v.get("branches").and_then(Value::as_object) else {
        return ctx.malformed(SOURCE, path, "no branches");
    };
    let mut affected = VersionSet::default();
    let mut fixed = Vec::new();
    let mut newest = None;
    for (name, b) in branches {
        let versions = strs_of(b, "versions");
        match constraint::composer_clause(&versions) {
            Ok(clause) => {
                for c in &clause {
                    if c.op == crate::record::Op::Lt {
                        fixed.push(c.version.clone());
                    }
                }
                affected.clauses.push(clause);
            }
            Err(e) => return ctx.malformed(SOURCE, path, format!("branch {name}: {e}")),
        }
        let t = str_of(b, "time").and_then(|t| crate::date::parse(&t));
        if t > newest {
            newest = t;
        }
    }
    let slug = path
        .rsplit('/')
        .next()
        .unwrap_or(path)
        .trim_end_matches(".yaml");
    let cve = str_of(v, "cve").filter(|c| c.starts_with("CVE-"));
    let id = cve.unwrap_or_else(|| format!("{package}/{slug}"));
    ctx.record(SOURCE);
    ctx.date(SOURCE, newest);
    let adv = ctx.out.add_advisory(Advisory {
        id,
        aliases: Vec::new(),
        source: SOURCE.to_string(),
        severity: None,
        cvss: None,
        published: newest,
        fix_date: newest,
        description: ctx.text(&str_of(v, "title").unwrap_or_default()),
        link: str_of(v, "link").unwrap_or_default(),
    });
    ctx.out.add_entry(
        "Packagist",
        &names::normalise("Packagist", package),
        Entry {
            advisory: adv,
            rule: Rule::Set {
                affected,
                unaffected: VersionSet::default(),
                fixed,
            },
            module: None,
            note: None,
        },
    );
    ctx.entries(SOURCE, 1);
}
