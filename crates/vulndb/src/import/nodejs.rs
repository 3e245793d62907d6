//! Node.js security-wg records: `vuln/npm/<n>.json` (npm packages, node-semver ranges) under the
//! `npm` namespace, and `vuln/core/<n>.json` (the Node.js runtime) under `nodejs`.

use super::{Ctx, f64_of, str_of, strs_of};
use crate::constraint;
use crate::record::{Advisory, Cvss, Entry, Rule, VersionSet, primary_id};
use serde_json::Value;

const SOURCE: &str = "nodejs-security-wg";

pub(super) fn import_npm(ctx: &mut Ctx<'_>, path: &str, v: &Value) {
    let Some(name) = str_of(v, "module_name") else {
        return ctx.malformed(SOURCE, path, "no module_name");
    };
    let num = str_of(v, "id").unwrap_or_default();
    let vulnerable = str_of(v, "vulnerable_versions").unwrap_or_default();
    let patched = str_of(v, "patched_versions").unwrap_or_default();
    import_one(
        ctx,
        path,
        "npm",
        &name,
        &format!("NSWG-ECO-{num}"),
        strs_of(v, "cves"),
        &vulnerable,
        &patched,
        v,
    );
}

pub(super) fn import_core(ctx: &mut Ctx<'_>, path: &str, v: &Value) {
    let num = path
        .rsplit('/')
        .next()
        .unwrap_or("")
        .trim_end_matches(".json");
    let vulnerable = str_of(v, "vulnerable").unwrap_or_default();
    let patched = str_of(v, "patched").unwrap_or_default();
    import_one(
        ctx,
        path,
        "nodejs",
        "node",
        &format!("NSWG-CORE-{num}"),
        strs_of(v, "cve"),
        &vulnerable,
        &patched,
        v,
    );
}

#[allow(clippy::too_many_arguments)]
fn import_one(
    ctx: &mut Ctx<'_>,
    path: &str,
    ns: &str,
    name: &str,
    own_id: &str,
    cves: Vec<String>,
    vulnerable: &str,
    patched: &str,
    v: &Value,
) {
    let affected = match constraint::node_semver(if vulnerable.trim().is_empty() {
        "*"
    } else {
        vulnerable
    }) {
        Ok(s) => s,
        Err(e) => return ctx.malformed(SOURCE, path, e),
    };
    let unaffected = if patched.trim().is_empty() {
        VersionSet::default()
    } else {
        match constraint::node_semver(patched) {
            Ok(s) => s,
            Err(e) => return ctx.malformed(SOURCE, path, e),
        }
    };
    let fixed: Vec<String> = unaffected
        .clauses
        .iter()
        .filter_map(|c| c.first())
        .filter(|c| {
            matches!(
                c.op,
                crate::record::Op::Ge | crate::record::Op::Gt | crate::record::Op::Eq
            )
        })
        .map(|c| c.version.clone())
        .collect();
    let mut ids = cves;
    ids.push(own_id.to_string());
    let (id, aliases) = primary_id(&ids);
    let published = str_of(v, "publish_date")
        .or_else(|| str_of(v, "created_at"))
        .and_then(|d| crate::date::parse(&d));
    let updated = str_of(v, "updated_at").and_then(|d| crate::date::parse(&d));
    let vector = str_of(v, "cvss_vector").filter(|s| !s.is_empty());
    let score =
        f64_of(v, "cvss_score").or_else(|| vector.as_deref().and_then(crate::cvss::v3_base_score));
    let cvss = (vector.is_some() || score.is_some()).then(|| Cvss {
        score,
        vector: vector.clone(),
        source: SOURCE.to_string(),
    });
    let description = str_of(v, "title")
        .or_else(|| str_of(v, "description"))
        .unwrap_or_default();
    ctx.record(SOURCE);
    ctx.date(SOURCE, updated.or(published));
    let adv = ctx.out.add_advisory(Advisory {
        id,
        aliases,
        source: SOURCE.to_string(),
        severity: str_of(v, "severity"),
        cvss,
        published,
        fix_date: None,
        description: ctx.text(&description),
        link: str_of(v, "ref").unwrap_or_default(),
    });
    ctx.out.add_entry(
        ns,
        name,
        Entry {
            advisory: adv,
            rule: Rule::Set {
                affected,
                unaffected,
                fixed,
            },
            module: None,
            note: None,
        },
    );
    ctx.entries(SOURCE, 1);
}
