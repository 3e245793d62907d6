//! Applying the user's filters to the matcher's findings. Order: severity, fix state, ignore
//! file, VEX; the first rule that removes a finding is the reason recorded for it, so
//! `--quiet`-less runs can say how many findings each filter removed.

use crate::error::ReportError;
use crate::ignore::{IgnoreFile, IgnoreRule};
use crate::purl;
use crate::report::PackageIndex;
use crate::vex::{VexDocument, VexEffect};
use crowsnest_model::{Finding, FixStatus, Inventory, Severity};
use std::collections::{BTreeMap, BTreeSet};

/// A vendor fix state, as `--ignore-status` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum FixState {
    Fixed,
    Open,
    WillNotFix,
    Deferred,
}

impl FixState {
    /// Parses one word: `fixed`, `open` (or `affected`), `will_not_fix`, `deferred` (or
    /// `fix_deferred`); `-` and `_` are interchangeable.
    pub fn parse(word: &str) -> Result<FixState, ReportError> {
        match word.trim().to_ascii_lowercase().replace('-', "_").as_str() {
            "fixed" => Ok(FixState::Fixed),
            "open" | "affected" => Ok(FixState::Open),
            "will_not_fix" | "wont_fix" => Ok(FixState::WillNotFix),
            "deferred" | "fix_deferred" => Ok(FixState::Deferred),
            _ => Err(ReportError::Status(word.to_string())),
        }
    }

    fn of(f: &Finding) -> FixState {
        match f.fix {
            FixStatus::Fixed(_) => FixState::Fixed,
            FixStatus::Open => FixState::Open,
            FixStatus::WillNotFix => FixState::WillNotFix,
            FixStatus::Deferred => FixState::Deferred,
        }
    }
}

/// Everything that can remove or annotate a finding.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Keep only these severities (`None`: all).
    pub severities: Option<BTreeSet<Severity>>,
    /// Drop findings without a fixed version.
    pub ignore_unfixed: bool,
    pub ignore_status: BTreeSet<FixState>,
    pub ignore_file: Option<IgnoreFile>,
    pub vex: Vec<VexDocument>,
}

/// A finding that was removed, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suppressed {
    pub id: String,
    pub package: String,
    pub reason: String,
}

/// The outcome of [`Filter::apply`].
#[derive(Debug, Clone, Default)]
pub struct Filtered {
    pub kept: Vec<Finding>,
    pub suppressed: Vec<Suppressed>,
    /// Notes by (id, package name) for kept findings (VEX states that do not suppress).
    pub notes: BTreeMap<(String, String), String>,
    /// Ignore rules that were skipped because their date has passed.
    pub expired: Vec<IgnoreRule>,
}

impl Filter {
    /// Filters `findings` of an image whose inventory is `inv`; `today` decides rule expiry.
    pub fn apply(
        &self,
        findings: Vec<Finding>,
        inv: &Inventory,
        today: jiff::civil::Date,
    ) -> Filtered {
        let index = PackageIndex::new(inv);
        let mut out = Filtered::default();
        let live_rules: Vec<&IgnoreRule> = match &self.ignore_file {
            Some(file) => {
                for r in file.rules.iter().filter(|r| r.expired(today)) {
                    out.expired.push(r.clone());
                }
                file.rules.iter().filter(|r| !r.expired(today)).collect()
            }
            None => Vec::new(),
        };
        for f in findings {
            let pkg = index.get(&f);
            let pkg_purl = pkg.and_then(|p| p.purl.as_deref()).and_then(purl::parse);
            let ids: Vec<&str> = std::iter::once(f.id.as_str())
                .chain(f.aliases.iter().map(String::as_str))
                .collect();
            let mut names = vec![f.package_name.as_str()];
            if let Some(s) = &f.source_name {
                names.push(s);
            }
            let reason = if self
                .severities
                .as_ref()
                .is_some_and(|s| !s.contains(&f.severity))
            {
                Some(format!("severity {}", crate::severity_label(f.severity)))
            } else if self.ignore_unfixed && !matches!(f.fix, FixStatus::Fixed(_)) {
                Some("no fix (--ignore-unfixed)".to_string())
            } else if self.ignore_status.contains(&FixState::of(&f)) {
                Some(format!(
                    "status {} (--ignore-status)",
                    f.fix.prisma_status()
                ))
            } else if let Some(rule) = live_rules
                .iter()
                .find(|r| r.covers(&ids, &names, pkg_purl.as_ref()))
            {
                let file = self
                    .ignore_file
                    .as_ref()
                    .map(|f| f.path.display().to_string())
                    .unwrap_or_default();
                Some(format!("ignore file {file}, line {}", rule.line))
            } else {
                let mut why = None;
                for doc in &self.vex {
                    for s in &doc.statements {
                        if !s.covers(&ids, pkg_purl.as_ref()) {
                            continue;
                        }
                        match s.effect {
                            VexEffect::Suppress => {
                                why = Some(format!(
                                    "VEX {}: {}{}",
                                    doc.path.display(),
                                    s.status,
                                    s.justification
                                        .as_deref()
                                        .map(|j| format!(" ({j})"))
                                        .unwrap_or_default()
                                ));
                            }
                            VexEffect::Annotate => {
                                out.notes.insert(
                                    (f.id.clone(), f.package_name.clone()),
                                    format!("VEX: {}", s.status),
                                );
                            }
                        }
                        if why.is_some() {
                            break;
                        }
                    }
                    if why.is_some() {
                        break;
                    }
                }
                why
            };
            match reason {
                Some(reason) => {
                    out.notes.remove(&(f.id.clone(), f.package_name.clone()));
                    out.suppressed.push(Suppressed {
                        id: f.id,
                        package: f.package_name,
                        reason,
                    });
                }
                None => out.kept.push(f),
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crowsnest_model::{Package, PackageKind};
    use std::path::Path;

    fn finding(id: &str, pkg: &str, sev: Severity, fix: FixStatus) -> Finding {
        Finding {
            id: id.into(),
            aliases: vec![],
            package_name: pkg.into(),
            package_version: "1.0".into(),
            package_kind: PackageKind::Apk,
            source_name: None,
            fix,
            fixed_versions: vec![],
            vendor_severity: None,
            severity: sev,
            cvss: None,
            cvss_vector: None,
            cvss_source: None,
            sources: vec![],
            published: None,
            fix_date: None,
            description: String::new(),
            link: String::new(),
            kev: false,
            epss: None,
            risk_factors: vec![],
            applicable_rules: vec![],
            layer_digest: None,
            package_path: String::new(),
        }
    }

    fn inventory() -> Inventory {
        let pkg = |name: &str| Package {
            kind: PackageKind::Apk,
            name: name.into(),
            version: "1.0".into(),
            source_name: None,
            source_version: None,
            arch: None,
            module: None,
            path: "lib/apk/db/installed".into(),
            purl: Some(format!("pkg:apk/alpine/{name}@1.0?arch=x86_64")),
            license: None,
            layer_digest: None,
        };
        Inventory {
            packages: vec![pkg("a"), pkg("b")],
            ..Inventory::default()
        }
    }

    fn today() -> jiff::civil::Date {
        "2026-01-15".parse().unwrap()
    }

    #[test]
    fn severity_and_fix_filters() {
        let all = vec![
            finding(
                "CVE-1",
                "a",
                Severity::Critical,
                FixStatus::Fixed("2".into()),
            ),
            finding("CVE-2", "a", Severity::Low, FixStatus::Open),
            finding("CVE-3", "b", Severity::High, FixStatus::WillNotFix),
        ];
        let f = Filter {
            severities: Some([Severity::Critical, Severity::High].into()),
            ..Filter::default()
        };
        let out = f.apply(all.clone(), &inventory(), today());
        assert_eq!(
            out.kept.iter().map(|f| f.id.as_str()).collect::<Vec<_>>(),
            ["CVE-1", "CVE-3"]
        );
        assert_eq!(out.suppressed[0].reason, "severity LOW");
        let f = Filter {
            ignore_unfixed: true,
            ..Filter::default()
        };
        assert_eq!(f.apply(all.clone(), &inventory(), today()).kept.len(), 1);
        let f = Filter {
            ignore_status: [FixState::WillNotFix].into(),
            ..Filter::default()
        };
        assert_eq!(f.apply(all, &inventory(), today()).kept.len(), 2);
        assert!(FixState::parse("won't").is_err());
        assert_eq!(
            FixState::parse("will-not-fix").unwrap(),
            FixState::WillNotFix
        );
    }

    #[test]
    fn ignore_rules_expire_and_vex_suppresses_or_annotates() {
        let all = vec![
            finding("CVE-1", "a", Severity::High, FixStatus::Open),
            finding("CVE-1", "b", Severity::High, FixStatus::Open),
            finding("CVE-2", "a", Severity::High, FixStatus::Open),
            finding("CVE-3", "b", Severity::High, FixStatus::Open),
        ];
        let ignore = IgnoreFile::parse(
            Path::new("ig"),
            "CVE-2 exp:2026-01-14\nCVE-3 exp:2026-01-15\n",
        )
        .unwrap();
        let vex = VexDocument::parse(
            Path::new("v.json"),
            br#"{"@context":"https://openvex.dev/ns/v0.2.0","statements":[
              {"vulnerability":{"name":"CVE-1"},"products":[{"@id":"pkg:apk/alpine/a"}],"status":"not_affected"},
              {"vulnerability":{"name":"CVE-2"},"status":"under_investigation"}]}"#,
        )
        .unwrap();
        let f = Filter {
            ignore_file: Some(ignore),
            vex: vec![vex],
            ..Filter::default()
        };
        let out = f.apply(all, &inventory(), today());
        let kept: Vec<_> = out
            .kept
            .iter()
            .map(|f| (f.id.as_str(), f.package_name.as_str()))
            .collect();
        assert_eq!(kept, [("CVE-1", "b"), ("CVE-2", "a")]);
        assert_eq!(out.expired.len(), 1);
        assert_eq!(
            out.notes
                .get(&("CVE-2".to_string(), "a".to_string()))
                .map(String::as_str),
            Some("VEX: under_investigation")
        );
        assert!(
            out.suppressed
                .iter()
                .any(|s| s.reason == "ignore file ig, line 2")
        );
    }
}
