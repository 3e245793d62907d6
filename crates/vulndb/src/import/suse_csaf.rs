//! SUSE CSAF 2.0 advisories (`suse-su-*.json`, `opensuse-su-*.json`). Products are
//! `<product name>:<nevra>` (from `product_tree.relationships`: the package
//! `product_reference` as component of the `relates_to_product_reference` product); the fix is
//! `product_status.recommended` (SUSE writes no `fixed` list; `fixed` is read too, should it
//! appear), `known_not_affected` is not affected and `known_affected` open. The product name
//! gives the namespace as in SUSE OVAL (`SUSE Linux Enterprise Module for Containers 15 SP1` →
//! `sles:15.1`, `openSUSE Leap 15.0` → `opensuse-leap:15.0`). Entries are keyed by binary rpm
//! name; the severity word is the CVE's `impact` threat, the CVSS its `cvss_v3` score.

use super::csaf::split_nevra;
use super::oval::platform_namespace;
use super::{Ctx, f64_of, str_of};
use crate::record::{Advisory, Cvss, Entry, Rule, Status};
use serde_json::Value;
use std::collections::HashMap;

const SOURCE: &str = "suse";

/// Whether a CSAF document is SUSE's.
pub(super) fn is_suse(doc: &Value) -> bool {
    let d = doc.get("document");
    let publisher = d
        .and_then(|d| d.get("publisher"))
        .and_then(|p| str_of(p, "name"))
        .unwrap_or_default();
    let id = d
        .and_then(|d| d.get("tracking"))
        .and_then(|t| str_of(t, "id"))
        .unwrap_or_default();
    publisher.starts_with("SUSE") || id.starts_with("SUSE-") || id.starts_with("openSUSE-")
}

pub(super) fn import(ctx: &mut Ctx<'_>, path: &str, doc: &Value) {
    let Some(vulns) = doc.get("vulnerabilities").and_then(Value::as_array) else {
        return ctx.malformed(SOURCE, path, "no vulnerabilities");
    };
    let tracking = doc.get("document").and_then(|d| d.get("tracking"));
    let advisory_id = tracking.and_then(|t| str_of(t, "id")).unwrap_or_default();
    let released = tracking
        .and_then(|t| str_of(t, "initial_release_date"))
        .and_then(|d| crate::date::parse(&d));
    let aggregate = doc
        .get("document")
        .and_then(|d| d.get("aggregate_severity"))
        .and_then(|a| str_of(a, "text"))
        .map(|s| s.to_ascii_lowercase());
    // product id → (package nevra, product name)
    let mut products: HashMap<String, (String, String)> = HashMap::new();
    for r in doc
        .get("product_tree")
        .and_then(|t| t.get("relationships"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if let (Some(id), Some(pkg), Some(product)) = (
            r.get("full_product_name")
                .and_then(|f| str_of(f, "product_id")),
            str_of(r, "product_reference"),
            str_of(r, "relates_to_product_reference"),
        ) {
            products.insert(id, (pkg, product));
        }
    }
    let mut n_entries = 0;
    for v in vulns {
        let Some(cve) = str_of(v, "cve") else {
            ctx.malformed(
                SOURCE,
                path,
                format!("{advisory_id}: vulnerability without cve"),
            );
            continue;
        };
        let status = v.get("product_status");
        let list = |k: &str| -> Vec<String> {
            status
                .and_then(|s| s.get(k))
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect()
        };
        let mut rules: Vec<(String, String, Rule)> = Vec::new();
        let mut bad = None;
        for (key, fixed) in [
            ("recommended", true),
            ("fixed", true),
            ("known_not_affected", false),
            ("known_affected", false),
        ] {
            for pid in list(key) {
                let (pkg, product) = match products.get(&pid) {
                    Some((p, prod)) => (p.clone(), prod.clone()),
                    // Without a relationship the id itself is `<product>:<nevra>`.
                    None => match pid.rsplit_once(':') {
                        Some((prod, p)) => (p.to_string(), prod.to_string()),
                        None => {
                            bad = Some(format!("{cve}: product {pid:?} has no package"));
                            continue;
                        }
                    },
                };
                let Some(ns) = platform_namespace(&product) else {
                    continue;
                };
                let (name, evr) = split_nevra(&pkg);
                let rule = match (key, evr) {
                    (_, Some(evr)) if fixed => Rule::FixedIn(evr),
                    ("known_not_affected", _) => Rule::Status(Status::NotAffected),
                    ("known_affected", _) => Rule::Status(Status::Open),
                    _ => {
                        bad = Some(format!("{cve}: fixed product {pid:?} has no version"));
                        continue;
                    }
                };
                if !rules
                    .iter()
                    .any(|(n, p, r)| *n == ns && *p == name && *r == rule)
                {
                    rules.push((ns, name, rule));
                }
            }
        }
        if let Some(e) = bad {
            ctx.malformed(SOURCE, path, e);
        }
        let severity = v
            .get("threats")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .find(|t| str_of(t, "category").as_deref() == Some("impact"))
            .and_then(|t| str_of(t, "details"))
            .map(|s| s.to_ascii_lowercase())
            .or_else(|| aggregate.clone());
        let cvss = v
            .get("scores")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .find_map(|s| s.get("cvss_v3"))
            .map(|c| Cvss {
                score: f64_of(c, "baseScore"),
                vector: str_of(c, "vectorString"),
                source: SOURCE.to_string(),
            });
        let description = v
            .get("notes")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .find(|n| str_of(n, "category").as_deref() == Some("description"))
            .and_then(|n| str_of(n, "text"))
            .unwrap_or_default();
        ctx.record(SOURCE);
        ctx.date(SOURCE, released);
        let adv = ctx.out.add_advisory(Advisory {
            id: cve.clone(),
            aliases: if advisory_id.is_empty() {
                Vec::new()
            } else {
                vec![advisory_id.clone()]
            },
            source: SOURCE.to_string(),
            severity,
            cvss,
            published: released,
            fix_date: released,
            description: ctx.text(&description),
            link: format!("https://www.suse.com/security/cve/{cve}.html"),
        });
        for (ns, name, rule) in rules {
            ctx.out.add_entry(
                &ns,
                &name,
                Entry {
                    advisory: adv,
                    rule,
                    module: None,
                    note: None,
                },
            );
            n_entries += 1;
        }
    }
    ctx.entries(SOURCE, n_entries);
}
