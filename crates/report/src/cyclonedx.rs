//! CycloneDX 1.5 with vulnerabilities: the analyzer's SBOM (every component with its purl) plus
//! a `vulnerabilities` section, one entry per vulnerability id whose `affects` lists the
//! components (by `bom-ref`) it was found in. Ratings carry the CVSS score and vector when the
//! database has them, else the vendor's severity; VEX notes become `analysis.state`.

use crate::report::{Report, fixed_version};
use crowsnest_analyzer::sbom::{self, Format};
use crowsnest_model::{Finding, PackageKind};
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};

fn method(vector: &str) -> &'static str {
    if vector.starts_with("CVSS:3.1/") {
        "CVSSv31"
    } else if vector.starts_with("CVSS:3.0/") {
        "CVSSv3"
    } else if vector.starts_with("CVSS:4.0/") {
        "CVSSv4"
    } else if vector.starts_with("AV:") || vector.starts_with("(AV:") {
        "CVSSv2"
    } else {
        "other"
    }
}

fn iso(unix: i64) -> Option<String> {
    jiff::Timestamp::from_second(unix)
        .ok()
        .filter(|_| unix > 0)
        .map(|t| t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string())
}

/// A VEX note's state in CycloneDX's words.
fn state(note: &str) -> Option<&'static str> {
    match note.trim_start_matches("VEX: ") {
        "under_investigation" | "in_triage" => Some("in_triage"),
        "affected" | "exploitable" => Some("exploitable"),
        _ => None,
    }
}

fn ratings(f: &Finding) -> Vec<Value> {
    let source = f
        .cvss_source
        .clone()
        .or_else(|| f.sources.first().cloned())
        .unwrap_or_else(|| "crowsnest".into());
    match (f.cvss, &f.cvss_vector) {
        (Some(score), vector) if score > 0.0 => {
            let mut r = json!({
                "source": { "name": source },
                "score": score,
                "severity": f.severity.as_str(),
                "method": vector.as_deref().map_or("other", method),
            });
            if let Some(v) = vector {
                r["vector"] = json!(v);
            }
            vec![r]
        }
        _ => vec![json!({
            "source": { "name": source },
            "severity": f.severity.as_str(),
            "method": "other",
        })],
    }
}

/// Renders the report as a CycloneDX 1.5 document.
pub fn render(report: &Report<'_>) -> Value {
    let inv = report.inventory;
    let mut doc = sbom::render(inv, report.subject, Format::CycloneDx);
    // The analyzer writes the OS component first, then one component per package in
    // inventory order; that order is how a finding finds its component's bom-ref.
    let offset = usize::from(inv.os.is_some());
    let mut position: HashMap<(PackageKind, &str, &str), usize> = HashMap::new();
    for (i, p) in inv.packages.iter().enumerate() {
        position
            .entry((p.kind, p.name.as_str(), p.version.as_str()))
            .or_insert(i + offset);
    }
    let bom_ref = |f: &Finding| -> Option<String> {
        let i = position.get(&(
            f.package_kind,
            f.package_name.as_str(),
            f.package_version.as_str(),
        ))?;
        doc.get("components")?
            .get(*i)?
            .get("bom-ref")?
            .as_str()
            .map(str::to_string)
    };
    let mut grouped: BTreeMap<&str, Vec<&Finding>> = BTreeMap::new();
    for f in report.findings {
        grouped.entry(f.id.as_str()).or_default().push(f);
    }
    let mut vulns = Vec::with_capacity(grouped.len());
    for (n, (id, findings)) in grouped.into_iter().enumerate() {
        let f = findings[0];
        let mut affects: Vec<Value> = Vec::new();
        let mut upgrades: Vec<String> = Vec::new();
        for g in &findings {
            if let Some(r) = bom_ref(g) {
                affects.push(json!({
                    "ref": r,
                    "versions": [{ "version": g.package_version, "status": "affected" }],
                }));
            }
            if let Some(v) = fixed_version(g) {
                upgrades.push(format!("{} to {v}", g.package_name));
            }
        }
        let mut v = json!({
            "bom-ref": format!("vuln-{}-{id}", n + 1),
            "id": id,
            "source": { "name": f.sources.first().cloned().unwrap_or_else(|| "crowsnest".into()) },
            "ratings": ratings(f),
            "affects": affects,
        });
        if f.link.starts_with("http") {
            v["source"]["url"] = json!(f.link);
            v["advisories"] = json!([{ "url": f.link }]);
        }
        if !f.description.is_empty() {
            v["description"] = json!(f.description);
        }
        if let Some(p) = f.published.and_then(iso) {
            v["published"] = json!(p);
        }
        if !upgrades.is_empty() {
            v["recommendation"] = json!(format!("Upgrade {}", upgrades.join(", ")));
        }
        if let Some(s) = findings.iter().find_map(|g| report.note(g)).and_then(state) {
            v["analysis"] = json!({ "state": s });
        }
        let refs: Vec<Value> = f
            .aliases
            .iter()
            .filter(|a| *a != id)
            .map(|a| json!({ "id": a, "source": { "name": "alias" } }))
            .collect();
        if !refs.is_empty() {
            v["references"] = Value::Array(refs);
        }
        vulns.push(v);
    }
    doc["vulnerabilities"] = Value::Array(vulns);
    doc
}
