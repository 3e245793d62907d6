//! Alpine secdb (`v3.X/main.yaml` legacy YAML, and the current JSON of the same shape):
//! `packages[].pkg.secfixes` maps a fixed apk version to the CVEs it fixes, per branch and keyed
//! by origin (source) package. A fixed version of `0` means the branch was never affected.
//!
//! Wolfi and Chainguard publish the same shape for their rolling distributions
//! (`security.json`), without `distroversion`: the file names its repository instead
//! (`urlprefix` `https://packages.wolfi.dev`, `reponame` `os`; Chainguard's
//! `https://packages.cgr.dev`, `reponame` `chainguard`). Their entries go to the `wolfi` and
//! `chainguard` namespaces, one each, and match apk origin packages the same way.

use super::{Ctx, str_of};
use crate::record::{Advisory, Entry, Rule, Status};
use serde_json::Value;
use std::collections::HashMap;

const SOURCE: &str = "alpine";

/// The rolling distribution a secdb without `distroversion` belongs to, from its repository.
pub(super) fn rolling_distribution(v: &Value) -> Option<&'static str> {
    let prefix = str_of(v, "urlprefix").unwrap_or_default();
    let repo = str_of(v, "reponame").unwrap_or_default();
    if prefix.contains("cgr.dev") || prefix.contains("chainguard") || repo == "chainguard" {
        Some("chainguard")
    } else if prefix.contains("wolfi") {
        Some("wolfi")
    } else {
        None
    }
}

pub(super) fn import(ctx: &mut Ctx<'_>, path: &str, v: &Value) {
    let (source, ns) = match (str_of(v, "distroversion"), rolling_distribution(v)) {
        (Some(branch), _) => (SOURCE, format!("alpine:{branch}")),
        (None, Some(distro)) => (distro, distro.to_string()),
        (None, None) => return ctx.malformed(SOURCE, path, "no distroversion"),
    };
    let link_base = match source {
        "wolfi" => "https://images.chainguard.dev/security/",
        "chainguard" => "https://images.chainguard.dev/security/",
        _ => "https://security.alpinelinux.org/vuln/",
    };
    // An empty `packages:` (YAML null) is a branch with nothing fixed yet.
    let packages = match v.get("packages") {
        Some(Value::Array(a)) => a.as_slice(),
        Some(Value::Null) => &[],
        _ => return ctx.malformed(source, path, "no packages list"),
    };
    // One advisory per CVE per file, shared by the packages fixing it.
    let mut advisories: HashMap<String, u32> = HashMap::new();
    for p in packages {
        let pkg = p.get("pkg").unwrap_or(p);
        let Some(name) = str_of(pkg, "name") else {
            ctx.malformed(source, path, "package without name");
            continue;
        };
        let Some(secfixes) = pkg.get("secfixes").and_then(Value::as_object) else {
            ctx.malformed(source, path, format!("{name}: no secfixes map"));
            continue;
        };
        ctx.record(source);
        let mut n = 0;
        for (version, ids) in secfixes {
            let rule = if version == "0" {
                Rule::Status(Status::NotAffected)
            } else {
                Rule::FixedIn(version.clone())
            };
            let ids: Vec<String> = match ids {
                Value::Array(a) => a
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect(),
                Value::Null => Vec::new(),
                _ => {
                    ctx.malformed(source, path, format!("{name} {version}: ids not a list"));
                    continue;
                }
            };
            for raw in ids {
                // Entries look like `CVE-2019-1 CVE-2019-2` or `XSA-123 (CVE-…)`: first word.
                let Some(id) = raw.split_whitespace().next() else {
                    continue;
                };
                let adv = match advisories.get(id) {
                    Some(a) => *a,
                    None => {
                        let a = ctx.out.add_advisory(Advisory {
                            id: id.to_string(),
                            aliases: Vec::new(),
                            source: source.to_string(),
                            severity: None,
                            cvss: None,
                            published: None,
                            fix_date: None,
                            description: String::new(),
                            link: format!("{link_base}{id}"),
                        });
                        advisories.insert(id.to_string(), a);
                        a
                    }
                };
                ctx.out.add_entry(
                    &ns,
                    &name,
                    Entry {
                        advisory: adv,
                        rule: rule.clone(),
                        module: None,
                        note: None,
                    },
                );
                n += 1;
            }
        }
        ctx.entries(source, n);
    }
}
