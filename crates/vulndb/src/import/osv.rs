//! OSV records (JSON or YAML): Go vulndb, RustSec, PyPA, AlmaLinux, Rocky, the GitHub Advisory
//! Database (reviewed advisories of every ecosystem, as its repository files or as osv.dev serves
//! them). Each `affected[]` package becomes one [`Rule::Osv`] entry under its ecosystem;
//! AlmaLinux and Rocky entries go under `almalinux:<major>` / `rocky:<major>` with the module
//! stream taken from the advisory title. GHSA's severity word (`database_specific.severity`) and
//! its CVSS vector (v3 preferred over v4) are the advisory's.

use super::{Ctx, str_of, strs_of};
use crate::cvss;
use crate::names;
use crate::record::{Advisory, Cvss, Entry, OsvEvent, OsvRange, OsvRangeKind, Rule, primary_id};
use serde_json::Value;

/// The feed label for an OSV id (`GO-…` → `go-vulndb`).
fn source_of(id: &str, ecosystem: &str) -> String {
    let prefix = id.split('-').next().unwrap_or("");
    match prefix {
        "GO" => "go-vulndb".into(),
        "RUSTSEC" => "rustsec".into(),
        "PYSEC" => "pypa".into(),
        "ALSA" | "ALBA" | "ALEA" => "almalinux".into(),
        "RLSA" | "RLBA" | "RLEA" => "rocky".into(),
        "GHSA" => "ghsa".into(),
        _ => format!("osv:{}", ecosystem.split(':').next().unwrap_or(ecosystem)),
    }
}

/// Where an OSV ecosystem's entries live: the namespace and whether it is an rpm distribution.
fn namespace_of(ecosystem: &str) -> Option<String> {
    if let Some(release) = ecosystem.strip_prefix("Debian:") {
        return crate::distro::debian_codename(release).map(|c| format!("debian:{c}"));
    }
    // `Ubuntu:24.04:LTS`, `Ubuntu:25.10`; Pro (ESM) streams are not plain images' packages.
    if let Some(release) = ecosystem.strip_prefix("Ubuntu:") {
        let version = release.split(':').next().unwrap_or(release);
        return crate::distro::ubuntu_codename(version).map(|c| format!("ubuntu:{c}"));
    }
    if let Some(branch) = ecosystem.strip_prefix("Alpine:") {
        return branch.starts_with('v').then(|| format!("alpine:{branch}"));
    }
    if let Some(product) = ecosystem.strip_prefix("SUSE:") {
        return super::oval::platform_namespace(&format!("SUSE {product}"));
    }
    if let Some(product) = ecosystem.strip_prefix("openSUSE:") {
        return super::oval::platform_namespace(&format!("openSUSE {product}"));
    }
    if let Some(v) = ecosystem.strip_prefix("Photon OS:") {
        return super::oval::platform_namespace(&format!("Photon OS {v}"));
    }
    if let Some(v) = ecosystem.strip_prefix("Azure Linux:") {
        let v = if v.contains('.') {
            v.to_string()
        } else {
            format!("{v}.0")
        };
        return Some(format!("azurelinux:{v}"));
    }
    if ecosystem == "Wolfi" || ecosystem == "Chainguard" {
        return Some(ecosystem.to_ascii_lowercase());
    }
    if let Some(major) = ecosystem.strip_prefix("AlmaLinux:") {
        let major = major.split('.').next().unwrap_or(major);
        return Some(format!("almalinux:{major}"));
    }
    if let Some(major) = ecosystem.strip_prefix("Rocky Linux:") {
        let major = major.split('.').next().unwrap_or(major);
        return Some(format!("rocky:{major}"));
    }
    match ecosystem {
        "Go" | "crates.io" | "PyPI" | "npm" | "Maven" | "RubyGems" | "Packagist" | "NuGet" => {
            Some(ecosystem.to_string())
        }
        // Language ecosystems Crowsnest has no inventory kind for yet (Pub, Hex, SwiftURL,
        // Hackage…) are kept under their own name, so the database holds every ecosystem the
        // GitHub Advisory Database covers and `db explain` can answer for them. Distribution
        // ecosystems (`Debian:12`) and private registries (`Packagist:https://…`) carry a `:`
        // and have their own importers, or none.
        other if !other.is_empty() && !other.contains(':') && other != "Bitnami" => {
            Some(other.to_string())
        }
        _ => None,
    }
}

/// `name:stream` tokens in a Red Hat style title (`Moderate: container-tools:4.0 security…`).
pub(crate) fn module_streams(summary: &str) -> Vec<String> {
    let body = summary.split_once(": ").map_or(summary, |(_, b)| b);
    body.split([' ', ','])
        .filter(|t| {
            let mut parts = t.split(':');
            matches!((parts.next(), parts.next(), parts.next()),
                (Some(n), Some(s), None) if !n.is_empty() && !s.is_empty()
                    && s.chars().next().is_some_and(|c| c.is_ascii_alphanumeric()))
        })
        .map(str::to_string)
        .collect()
}

pub(crate) fn is_module_build(version: &str) -> bool {
    version.contains(".module_el") || version.contains(".module+el")
}

pub(super) fn import(ctx: &mut Ctx<'_>, path: &str, v: &Value) {
    let Some(id) = str_of(v, "id") else {
        return ctx.malformed("osv", path, "OSV record without id");
    };
    let first_eco = v
        .get("affected")
        .and_then(|a| a.get(0))
        .and_then(|a| a.get("package"))
        .and_then(|p| str_of(p, "ecosystem"))
        .unwrap_or_default();
    let source = source_of(&id, &first_eco);
    if v.get("withdrawn").is_some_and(|w| !w.is_null()) {
        ctx.withdrawn(&source);
        return;
    }
    // Only advisories GitHub has reviewed are imported: unreviewed ones (`advisories/unreviewed/`,
    // `github_reviewed: false`) are NVD records copied without package or version review, and
    // most have no `affected` package at all.
    let reviewed = v
        .get("database_specific")
        .and_then(|d| d.get("github_reviewed"))
        .and_then(Value::as_bool);
    if source == "ghsa" && (reviewed == Some(false) || path.contains("/unreviewed/")) {
        ctx.report.ignored_files += 1;
        return;
    }
    let Some(affected) = v.get("affected").and_then(Value::as_array) else {
        return ctx.malformed(&source, path, format!("{id}: no `affected` list"));
    };
    let summary = str_of(v, "summary").unwrap_or_default();
    let details = str_of(v, "details").unwrap_or_default();
    let mut ids = vec![id.clone()];
    ids.extend(strs_of(v, "aliases"));
    // AlmaLinux puts the CVE ids it fixes in `related`.
    // osv.dev's Debian records name them in `upstream` (beside `DEBIAN-CVE-…`).
    let mut related: Vec<String> = strs_of(v, "related")
        .into_iter()
        .chain(strs_of(v, "upstream"))
        .filter(|r| r.starts_with("CVE-"))
        .collect();
    related.dedup();
    let is_distro = first_eco.contains(':');
    // One advisory per CVE for distribution errata (findings are per CVE); one per record
    // otherwise, under its CVE alias when it has one.
    let mut finding_ids: Vec<(String, Vec<String>)> = Vec::new();
    if is_distro && !related.is_empty() {
        for cve in &related {
            finding_ids.push((cve.clone(), vec![id.clone()]));
        }
    } else {
        ids.extend(related);
        finding_ids.push(primary_id(&ids));
    }
    let (severity, cvss) = severity_of(v, &source, &summary);
    let published = str_of(v, "published").and_then(|d| crate::date::parse(&d));
    let modified = str_of(v, "modified").and_then(|d| crate::date::parse(&d));
    // Go's repository files carry a placeholder `modified` of year 1.
    let modified = modified.filter(|m| *m > 0);
    ctx.date(&source, modified.or(published));
    let link = v
        .get("references")
        .and_then(Value::as_array)
        .and_then(|refs| {
            refs.iter()
                .find(|r| str_of(r, "type").as_deref() == Some("ADVISORY"))
                .or_else(|| refs.first())
        })
        .and_then(|r| str_of(r, "url"))
        .unwrap_or_default();
    let description = if summary.is_empty() || is_distro {
        if details.is_empty() {
            summary.clone()
        } else {
            details.clone()
        }
    } else {
        summary.clone()
    };
    let streams = if is_distro {
        module_streams(&summary)
    } else {
        Vec::new()
    };

    let mut parsed: Vec<(String, String, Rule, Option<String>)> = Vec::new();
    for a in affected {
        let Some(pkg) = a.get("package") else {
            return ctx.malformed(
                &source,
                path,
                format!("{id}: affected entry without package"),
            );
        };
        let (Some(eco), Some(name)) = (str_of(pkg, "ecosystem"), str_of(pkg, "name")) else {
            return ctx.malformed(
                &source,
                path,
                format!("{id}: package without ecosystem/name"),
            );
        };
        let Some(ns) = namespace_of(&eco) else {
            // Ecosystems Crowsnest has no inventory kind for (e.g. Hex, Pub) are not errors.
            continue;
        };
        let mut ranges = Vec::new();
        for r in a
            .get("ranges")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let kind = match str_of(r, "type").as_deref() {
                Some("SEMVER") => OsvRangeKind::Semver,
                Some("ECOSYSTEM") => OsvRangeKind::Ecosystem,
                Some("GIT") => OsvRangeKind::Git,
                other => {
                    return ctx.malformed(&source, path, format!("{id}: range type {other:?}"));
                }
            };
            let mut events = Vec::new();
            for e in r
                .get("events")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let ev = if let Some(x) = str_of(e, "introduced") {
                    OsvEvent::Introduced(x)
                } else if let Some(x) = str_of(e, "fixed") {
                    OsvEvent::Fixed(x)
                } else if let Some(x) = str_of(e, "last_affected") {
                    OsvEvent::LastAffected(x)
                } else if let Some(x) = str_of(e, "limit") {
                    OsvEvent::Limit(x)
                } else {
                    return ctx.malformed(&source, path, format!("{id}: unknown range event"));
                };
                events.push(ev);
            }
            ranges.push(OsvRange { kind, events });
        }
        let versions = strs_of(a, "versions");
        if ranges.is_empty() && versions.is_empty() {
            return ctx.malformed(
                &source,
                path,
                format!("{id}: {name} has no ranges or versions"),
            );
        }
        let module = if ns.starts_with("almalinux:") || ns.starts_with("rocky:") {
            let modular = ranges.iter().flat_map(|r| &r.events).any(|e| match e {
                OsvEvent::Fixed(x) | OsvEvent::LastAffected(x) => is_module_build(x),
                _ => false,
            });
            modular.then(|| streams.join(","))
        } else {
            None
        };
        let key = names::normalise(&ns, &name).into_owned();
        parsed.push((ns, key, Rule::Osv { ranges, versions }, module));
    }
    ctx.record(&source);
    let mut n = 0;
    for (fid, aliases) in finding_ids {
        let adv = ctx.out.add_advisory(Advisory {
            id: fid,
            aliases,
            source: source.clone(),
            severity: severity.clone(),
            cvss: cvss.clone(),
            published,
            fix_date: if is_distro { published } else { None },
            description: ctx.text(&description),
            link: link.clone(),
        });
        for (ns, key, rule, module) in &parsed {
            ctx.out.add_entry(
                ns,
                key,
                Entry {
                    advisory: adv,
                    rule: rule.clone(),
                    module: module.clone(),
                    note: None,
                },
            );
            n += 1;
        }
    }
    ctx.entries(&source, n);
}

/// The vendor word and CVSS of a record: OSV `severity[]` vectors, `database_specific`
/// severity words (GHSA) or CVSS (RustSec), and the Red Hat title prefix (AlmaLinux).
fn severity_of(v: &Value, source: &str, summary: &str) -> (Option<String>, Option<Cvss>) {
    let mut word = v
        .get("database_specific")
        .and_then(|d| str_of(d, "severity"))
        .map(|s| s.to_ascii_lowercase());
    if (source == "almalinux" || source == "rocky")
        && let Some((prefix, _)) = summary.split_once(':')
        && crowsnest_model::Severity::from_vendor(prefix).is_some()
    {
        word = Some(prefix.to_ascii_lowercase());
    }
    let mut vector = None;
    for s in v
        .get("severity")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let kind = str_of(s, "type").unwrap_or_default();
        let score = str_of(s, "score").unwrap_or_default();
        if kind == "CVSS_V3" || (vector.is_none() && kind.starts_with("CVSS")) {
            vector = Some(score);
        }
    }
    if vector.is_none() {
        vector = v
            .get("affected")
            .and_then(|a| a.get(0))
            .and_then(|a| a.get("database_specific"))
            .and_then(|d| str_of(d, "cvss"));
    }
    let cvss = vector.map(|vec| Cvss {
        score: cvss::v3_base_score(&vec),
        vector: Some(vec),
        source: source.to_string(),
    });
    (word, cvss)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_from_titles() {
        assert_eq!(
            module_streams("Moderate: container-tools:4.0 security and bug fix update"),
            vec!["container-tools:4.0"]
        );
        assert_eq!(
            module_streams("Important: ruby:2.7, ruby:3.0 security update"),
            vec!["ruby:2.7", "ruby:3.0"]
        );
        assert!(module_streams("Important: pcs security update").is_empty());
    }
}
