//! SPDX 2.3 with vulnerabilities. SPDX 2.3 has no vulnerability section, so each finding
//! becomes an external reference of the package it affects: category `SECURITY`, type
//! `advisory`, the advisory link as locator and the id, severity and fix in the comment (an
//! `OTHER` reference with the id as locator when there is no link).

use crate::report::{Report, fixed_version};
use crate::severity::severity_label;
use crowsnest_analyzer::sbom::{self, Format};
use crowsnest_model::PackageKind;
use serde_json::{Value, json};
use std::collections::HashMap;

/// Renders the report as an SPDX 2.3 document.
pub fn render(report: &Report<'_>) -> Value {
    let inv = report.inventory;
    let mut doc = sbom::render(inv, report.subject, Format::Spdx);
    // The analyzer writes the image package, the OS package when known, then one package per
    // inventory package in order.
    let offset = 1 + usize::from(inv.os.is_some());
    let mut position: HashMap<(PackageKind, &str, &str), usize> = HashMap::new();
    for (i, p) in inv.packages.iter().enumerate() {
        position
            .entry((p.kind, p.name.as_str(), p.version.as_str()))
            .or_insert(i + offset);
    }
    let Some(packages) = doc.get_mut("packages").and_then(Value::as_array_mut) else {
        return doc;
    };
    for f in report.findings {
        let Some(pkg) = position
            .get(&(
                f.package_kind,
                f.package_name.as_str(),
                f.package_version.as_str(),
            ))
            .and_then(|i| packages.get_mut(*i))
        else {
            continue;
        };
        let mut comment = format!("{} severity {}", f.id, severity_label(f.severity));
        match fixed_version(f) {
            Some(v) => comment.push_str(&format!(", fixed in {v}")),
            None => comment.push_str(&format!(", {}", f.fix.prisma_status())),
        }
        let reference = if f.link.starts_with("http") {
            json!({ "referenceCategory": "SECURITY", "referenceType": "advisory", "referenceLocator": f.link, "comment": comment })
        } else {
            json!({ "referenceCategory": "OTHER", "referenceType": "vulnerability", "referenceLocator": f.id, "comment": comment })
        };
        match pkg.get_mut("externalRefs").and_then(Value::as_array_mut) {
            Some(refs) => refs.push(reference),
            None => pkg["externalRefs"] = json!([reference]),
        }
    }
    doc
}
