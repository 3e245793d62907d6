//! SARIF 2.1.0 for code-scanning upload. One rule per vulnerability id (its description, link
//! and a `security-severity` score, which code-scanning services use to rank alerts), one
//! result per finding. A result's location is the file the package was found in (the package
//! database or manifest, relative to the image root), because code-scanning services require a
//! physical location and an image has no source line to point at.

use crate::report::{PackageIndex, Report, fixed_version, status_word};
use crate::severity::severity_label;
use crowsnest_model::{Finding, Severity};
use serde_json::{Value, json};
use std::collections::BTreeMap;

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Unknown => "note",
    }
}

/// The score code scanning ranks by: the CVSS score, else the middle of the severity's band.
fn security_severity(f: &Finding) -> String {
    let score = f.cvss.filter(|s| *s > 0.0).unwrap_or(match f.severity {
        Severity::Critical => 9.5,
        Severity::High => 8.0,
        Severity::Medium => 5.5,
        Severity::Low => 2.0,
        Severity::Unknown => 0.0,
    });
    format!("{score:.1}")
}

fn short(f: &Finding) -> String {
    let first = f.description.lines().next().unwrap_or("").trim();
    if first.is_empty() {
        format!("{} in {}", f.id, f.package_name)
    } else {
        first.to_string()
    }
}

/// Renders the report as a SARIF log.
pub fn render(report: &Report<'_>) -> Value {
    let index = PackageIndex::new(report.inventory);
    let mut rules: Vec<Value> = Vec::new();
    let mut rule_index: BTreeMap<&str, usize> = BTreeMap::new();
    let mut results = Vec::with_capacity(report.findings.len());
    for f in report.findings {
        let idx = *rule_index.entry(f.id.as_str()).or_insert_with(|| {
            let mut rule = json!({
                "id": f.id,
                "name": "ContainerImageVulnerability",
                "shortDescription": { "text": short(f) },
                "fullDescription": { "text": if f.description.is_empty() { short(f) } else { f.description.clone() } },
                "defaultConfiguration": { "level": level(f.severity) },
                "help": {
                    "text": format!("{}\nSeverity: {}\n{}", f.id, severity_label(f.severity), f.link),
                    "markdown": format!("**{}** ({})\n\n{}", f.id, severity_label(f.severity), if f.link.is_empty() { String::new() } else { format!("[{0}]({0})", f.link) }),
                },
                "properties": {
                    "precision": "very-high",
                    "security-severity": security_severity(f),
                    "tags": ["vulnerability", "security", severity_label(f.severity)],
                },
            });
            if f.link.starts_with("http") {
                rule["helpUri"] = json!(f.link);
            }
            rules.push(rule);
            rules.len() - 1
        });
        let path = index
            .get(f)
            .map(|p| p.path.clone())
            .filter(|p| !p.is_empty())
            .or_else(|| (!f.package_path.is_empty()).then(|| f.package_path.clone()))
            .unwrap_or_else(|| report.subject.to_string());
        let uri = path.trim_start_matches('/').to_string();
        let mut text = format!(
            "Package: {}\nInstalled version: {}\nVulnerability: {}\nSeverity: {}\nStatus: {}",
            f.package_name,
            f.package_version,
            f.id,
            severity_label(f.severity),
            status_word(f)
        );
        if let Some(v) = fixed_version(f) {
            text.push_str(&format!("\nFixed version: {v}"));
        }
        if let Some(n) = report.note(f) {
            text.push_str(&format!("\nNote: {n}"));
        }
        if !f.link.is_empty() {
            text.push_str(&format!("\nLink: {}", f.link));
        }
        results.push(json!({
            "ruleId": f.id,
            "ruleIndex": idx,
            "level": level(f.severity),
            "message": { "text": text },
            "locations": [{
                "physicalLocation": {
                    "artifactLocation": { "uri": uri, "uriBaseId": "ROOTPATH" },
                    "region": { "startLine": 1, "startColumn": 1, "endLine": 1, "endColumn": 1 },
                },
                "message": { "text": format!("{}: {}@{}", report.subject, f.package_name, f.package_version) },
            }],
        }));
    }
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "crowsnest",
                "fullName": "Crowsnest container image scanner",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            }},
            "results": results,
            "columnKind": "utf16CodeUnits",
            "originalUriBaseIds": { "ROOTPATH": { "uri": "file:///" } },
            "properties": { "imageName": report.subject },
        }],
    })
}
