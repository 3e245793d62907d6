//! Red Hat CSAF VEX documents (one CVE each) and CSAF advisories (RHSA). Products are resolved
//! through `product_tree.relationships` to a RHEL major release (from the product's CPE), giving
//! entries under `redhat:<major>` keyed by rpm name: `fixed` → fixed in that EVR,
//! `known_not_affected` → not affected, `known_affected` → open / will not fix / deferred from
//! the `remediations` of the product.

use super::{Ctx, str_of};
use crate::record::{Advisory, Cvss, Entry, Rule, Status};
use serde_json::Value;
use std::collections::{HashMap, HashSet};

const SOURCE: &str = "redhat-csaf";

/// product id → RHEL major, from every `product_name` branch's CPE.
fn rhel_products(tree: &Value, out: &mut HashMap<String, String>) {
    if let Some(p) = tree.get("product") {
        let cpe = p
            .get("product_identification_helper")
            .and_then(|h| str_of(h, "cpe"))
            .unwrap_or_default();
        if let (Some(id), Some(rest)) = (
            str_of(p, "product_id"),
            cpe.strip_prefix("cpe:/o:redhat:enterprise_linux:")
                .or_else(|| cpe.strip_prefix("cpe:/a:redhat:enterprise_linux:")),
        ) {
            let major: String = rest.chars().take_while(char::is_ascii_digit).collect();
            if !major.is_empty() {
                out.insert(id, major);
            }
        }
    }
    for b in tree
        .get("branches")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        rhel_products(b, out);
    }
}

/// `name-[E:]V-R[.arch]` → (name, EVR). Components without a version give (name, None).
pub(super) fn split_nevra(component: &str) -> (String, Option<String>) {
    let mut s = component;
    for arch in [
        ".x86_64", ".noarch", ".src", ".i686", ".aarch64", ".ppc64le", ".s390x", ".ppc64", ".s390",
        ".i386",
    ] {
        if let Some(stripped) = s.strip_suffix(arch) {
            s = stripped;
            break;
        }
    }
    if let Some((rest, release)) = s.rsplit_once('-')
        && let Some((name, version)) = rest.rsplit_once('-')
        && version.chars().next().is_some_and(|c| c.is_ascii_digit())
        && !name.is_empty()
    {
        let version = version.strip_prefix("0:").unwrap_or(version);
        return (name.to_string(), Some(format!("{version}-{release}")));
    }
    (component.to_string(), None)
}

pub(super) fn import(ctx: &mut Ctx<'_>, path: &str, doc: &Value) {
    let Some(vulns) = doc.get("vulnerabilities").and_then(Value::as_array) else {
        return ctx.malformed(SOURCE, path, "no vulnerabilities");
    };
    let tree = doc.get("product_tree").cloned().unwrap_or(Value::Null);
    let mut majors = HashMap::new();
    rhel_products(&tree, &mut majors);
    // product id → (component reference, RHEL major)
    let mut components: HashMap<String, (String, String)> = HashMap::new();
    for r in tree
        .get("relationships")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let (Some(id), Some(component), Some(product)) = (
            r.get("full_product_name")
                .and_then(|f| str_of(f, "product_id")),
            str_of(r, "product_reference"),
            str_of(r, "relates_to_product_reference"),
        ) else {
            continue;
        };
        if let Some(major) = majors.get(&product) {
            components.insert(id, (component, major.clone()));
        }
    }
    let severity = doc
        .get("document")
        .and_then(|d| d.get("aggregate_severity"))
        .and_then(|s| str_of(s, "text"))
        .map(|s| s.to_ascii_lowercase());
    let doc_id = doc
        .get("document")
        .and_then(|d| d.get("tracking"))
        .and_then(|t| str_of(t, "id"))
        .unwrap_or_default();
    for v in vulns {
        let Some(cve) = str_of(v, "cve") else {
            ctx.malformed(SOURCE, path, "vulnerability without cve");
            continue;
        };
        let published = str_of(v, "release_date").and_then(|d| crate::date::parse(&d));
        let cvss = v
            .get("scores")
            .and_then(|s| s.get(0))
            .and_then(|s| s.get("cvss_v3"))
            .map(|c| Cvss {
                score: super::f64_of(c, "baseScore"),
                vector: str_of(c, "vectorString"),
                source: SOURCE.to_string(),
            });
        // Remediation category per product id, for known_affected.
        let mut remediation: HashMap<String, (String, String)> = HashMap::new();
        let mut fix_date = None;
        for r in v
            .get("remediations")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let cat = str_of(r, "category").unwrap_or_default();
            let details = str_of(r, "details").unwrap_or_default();
            if cat == "vendor_fix" {
                fix_date =
                    fix_date.or_else(|| str_of(r, "date").and_then(|d| crate::date::parse(&d)));
            }
            for p in super::strs_of(r, "product_ids") {
                remediation.insert(p, (cat.clone(), details.clone()));
            }
        }
        let status = v.get("product_status");
        let mut rules: Vec<(String, String, Rule, Option<String>)> = Vec::new();
        let mut seen = HashSet::new();
        for (key, list) in status.and_then(Value::as_object).into_iter().flatten() {
            for pid in list
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
            {
                let Some((component, major)) = components.get(pid) else {
                    continue;
                };
                // Modular components are `module:stream:version:context:nevra`.
                let parts: Vec<&str> = component.splitn(5, ':').collect();
                let (module, nevra) = if parts.len() == 5
                    && !parts[4].is_empty()
                    && parts[2].chars().all(|c| c.is_ascii_digit())
                {
                    (
                        Some(format!("{}:{}", parts[0], parts[1])),
                        parts[4].to_string(),
                    )
                } else {
                    (None, component.clone())
                };
                let (name, evr) = split_nevra(&nevra);
                let rule = match (key.as_str(), evr) {
                    ("fixed", Some(evr)) => Rule::FixedIn(evr),
                    ("known_not_affected", _) => Rule::Status(Status::NotAffected),
                    ("known_affected", _) => {
                        let (cat, details) = remediation.get(pid).cloned().unwrap_or_default();
                        let d = details.to_ascii_lowercase();
                        match cat.as_str() {
                            "no_fix_planned" => Rule::Status(Status::WillNotFix),
                            "none_available" if d.contains("deferred") => {
                                Rule::Status(Status::Deferred)
                            }
                            "none_available"
                                if d.contains("out of support") || d.contains("will not fix") =>
                            {
                                Rule::Status(Status::WillNotFix)
                            }
                            _ => Rule::Status(Status::Open),
                        }
                    }
                    _ => continue,
                };
                let ns = format!("redhat:{major}");
                if seen.insert((
                    ns.clone(),
                    name.clone(),
                    format!("{rule:?}"),
                    module.clone(),
                )) {
                    rules.push((ns, name, rule, module));
                }
            }
        }
        ctx.record(SOURCE);
        ctx.date(SOURCE, fix_date.or(published));
        let aliases = if doc_id.is_empty() || doc_id == cve {
            Vec::new()
        } else {
            vec![doc_id.clone()]
        };
        let adv = ctx.out.add_advisory(Advisory {
            id: cve.clone(),
            aliases,
            source: SOURCE.to_string(),
            severity: severity.clone(),
            cvss,
            published,
            fix_date,
            description: ctx.text(&str_of(v, "title").unwrap_or_default()),
            link: format!("https://access.redhat.com/security/cve/{cve}"),
        });
        let n = rules.len() as u64;
        for (ns, name, rule, module) in rules {
            // rpm namespaces: `None` = non-modular builds only, `Some(stream)` = that stream.
            ctx.out.add_entry(
                &ns,
                &name,
                Entry {
                    advisory: adv,
                    rule,
                    module,
                    note: None,
                },
            );
        }
        ctx.entries(SOURCE, n);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nevra() {
        assert_eq!(
            split_nevra("puppet-agent-0:7.27.0-1.el6sat.x86_64"),
            ("puppet-agent".into(), Some("7.27.0-1.el6sat".into()))
        );
        assert_eq!(
            split_nevra("curl-1:7.61.1-34.el8.src"),
            ("curl".into(), Some("1:7.61.1-34.el8".into()))
        );
        assert_eq!(split_nevra("kernel-rt"), ("kernel-rt".into(), None));
    }
}
