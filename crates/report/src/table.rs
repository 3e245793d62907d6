//! The human-readable table: one section per target (the OS packages first, then each language
//! ecosystem), a total by severity, then one row per finding sorted by package, severity
//! (worst first) and id. Severity cells are coloured only when the caller says the output is a
//! terminal; otherwise the text is plain, so it can be diffed and grepped.

use crate::report::{Report, Target, fixed_version, status_word, target_of};
use crate::severity::severity_label;
use crowsnest_model::{Finding, Severity};
use std::collections::BTreeMap;
use std::io::{self, Write};

/// How to draw the table.
#[derive(Debug, Clone, Copy, Default)]
pub struct TableOptions {
    /// ANSI colours for severities.
    pub color: bool,
    /// List every package of each target after its findings.
    pub list_all_pkgs: bool,
}

const TITLE_WIDTH: usize = 60;
const HEADERS: [&str; 7] = [
    "PACKAGE",
    "VULNERABILITY",
    "SEVERITY",
    "STATUS",
    "INSTALLED",
    "FIXED",
    "TITLE",
];

fn colour(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "\x1b[1;31m",
        Severity::High => "\x1b[31m",
        Severity::Medium => "\x1b[33m",
        Severity::Low => "\x1b[34m",
        Severity::Unknown => "\x1b[2m",
    }
}

fn title(f: &Finding) -> String {
    let first = f.description.lines().next().unwrap_or("").trim();
    if first.chars().count() <= TITLE_WIDTH {
        return first.to_string();
    }
    let cut: String = first.chars().take(TITLE_WIDTH - 1).collect();
    format!("{}…", cut.trim_end())
}

/// Counts by severity, worst last as in `Total: N (UNKNOWN: …, CRITICAL: …)`.
pub fn totals(findings: &[&Finding]) -> String {
    let mut by: BTreeMap<Severity, usize> = BTreeMap::new();
    for f in findings {
        *by.entry(f.severity).or_default() += 1;
    }
    let parts: Vec<String> = [
        Severity::Unknown,
        Severity::Low,
        Severity::Medium,
        Severity::High,
        Severity::Critical,
    ]
    .into_iter()
    .map(|s| {
        format!(
            "{}: {}",
            severity_label(s),
            by.get(&s).copied().unwrap_or(0)
        )
    })
    .collect();
    format!("Total: {} ({})", findings.len(), parts.join(", "))
}

/// Writes the table.
pub fn write(report: &Report<'_>, opts: TableOptions, mut w: impl Write) -> io::Result<()> {
    let inv = report.inventory;
    let mut targets: BTreeMap<Target, Vec<&Finding>> = BTreeMap::new();
    for p in &inv.packages {
        targets.entry(target_of(p.kind)).or_default();
    }
    for f in report.findings {
        targets
            .entry(target_of(f.package_kind))
            .or_default()
            .push(f);
    }
    if targets.is_empty() {
        writeln!(w, "{}: no packages found", report.subject)?;
        return Ok(());
    }
    let mut first = true;
    for (target, mut findings) in targets {
        if !first {
            writeln!(w)?;
        }
        first = false;
        let heading = target.title(inv.os.as_ref());
        writeln!(w, "{heading}")?;
        writeln!(w, "{}", "=".repeat(heading.chars().count()))?;
        writeln!(w, "{}", totals(&findings))?;
        findings.sort_by(|a, b| {
            (&a.package_name, std::cmp::Reverse(a.severity), &a.id).cmp(&(
                &b.package_name,
                std::cmp::Reverse(b.severity),
                &b.id,
            ))
        });
        if !findings.is_empty() {
            writeln!(w)?;
            let rows: Vec<(Severity, [String; 7])> = findings
                .iter()
                .map(|f| {
                    let status = match report.note(f) {
                        Some(n) => format!("{} ({n})", status_word(f)),
                        None => status_word(f).to_string(),
                    };
                    (
                        f.severity,
                        [
                            f.package_name.clone(),
                            f.id.clone(),
                            severity_label(f.severity).to_string(),
                            status,
                            f.package_version.clone(),
                            fixed_version(f).unwrap_or("").to_string(),
                            title(f),
                        ],
                    )
                })
                .collect();
            let mut widths = HEADERS.map(|h| h.chars().count());
            for (_, cells) in &rows {
                for (i, c) in cells.iter().enumerate() {
                    widths[i] = widths[i].max(c.chars().count());
                }
            }
            let line = |cells: &[String; 7], sev: Option<Severity>| -> String {
                let mut out = String::new();
                for (i, c) in cells.iter().enumerate() {
                    let last = i + 1 == cells.len();
                    let pad = if last {
                        String::new()
                    } else {
                        " ".repeat(widths[i] - c.chars().count() + 2)
                    };
                    match sev {
                        Some(s) if opts.color && i == 2 => {
                            out.push_str(&format!("{}{c}\x1b[0m{pad}", colour(s)));
                        }
                        _ => out.push_str(&format!("{c}{pad}")),
                    }
                }
                out.trim_end().to_string()
            };
            writeln!(w, "{}", line(&HEADERS.map(str::to_string), None))?;
            for (sev, cells) in &rows {
                writeln!(w, "{}", line(cells, Some(*sev)))?;
            }
        }
        if opts.list_all_pkgs {
            let mut counts: BTreeMap<(&str, &str), usize> = BTreeMap::new();
            for f in &findings {
                *counts
                    .entry((f.package_name.as_str(), f.package_version.as_str()))
                    .or_default() += 1;
            }
            let mut pkgs: Vec<_> = inv
                .packages
                .iter()
                .filter(|p| target_of(p.kind) == target)
                .collect();
            pkgs.sort_by(|a, b| (&a.name, &a.version).cmp(&(&b.name, &b.version)));
            writeln!(w)?;
            writeln!(w, "Packages: {}", pkgs.len())?;
            let name_w = pkgs
                .iter()
                .map(|p| p.name.chars().count())
                .max()
                .unwrap_or(0)
                .max(7);
            let ver_w = pkgs
                .iter()
                .map(|p| p.version.chars().count())
                .max()
                .unwrap_or(0)
                .max(7);
            writeln!(
                w,
                "{:name_w$}  {:ver_w$}  VULNERABILITIES",
                "PACKAGE", "VERSION"
            )?;
            for p in pkgs {
                let n = counts
                    .get(&(p.name.as_str(), p.version.as_str()))
                    .copied()
                    .unwrap_or(0);
                writeln!(w, "{:name_w$}  {:ver_w$}  {n}", p.name, p.version)?;
            }
        }
    }
    Ok(())
}
