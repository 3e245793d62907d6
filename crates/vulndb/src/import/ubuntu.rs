//! Ubuntu CVE Tracker files (`active/`, `retired/`, `ignored/` `CVE-…`): RFC 822-like headers
//! (`Candidate`, `PublicDate`, `Priority`, a `CVSS:` block) then `<release>_<srcpkg>: <status>
//! (<version or note>)` lines. Entries go under `ubuntu:<release>` keyed by SOURCE package.
//!
//! Status mapping: `released (v)` → fixed in v; `not-affected` → not affected; `needed`,
//! `needs-triage`, `pending`, `active` → open; `deferred` → deferred; `ignored` → will not fix;
//! `DNE` (not in that release) → nothing. Files under `ignored/` are CVEs Ubuntu does not track
//! at all (rejected ids, issues in software Ubuntu does not ship, hardware design flaws): their
//! release lines are stale (`needs-triage` left from before the CVE was ignored), so they are
//! counted as withdrawn and give no rules, as Ubuntu's own OVAL and OSV exports leave them out.
//! A CVE whose description begins `** REJECT **` (in any folder) is withdrawn the same way and
//! marked rejected for every feed. ESM pockets (`trusty/esm`, `esm-infra/xenial`) and
//! FIPS pockets become their own namespaces; plain releases match plain images.

use super::Ctx;
use crate::record::{Advisory, Cvss, Entry, Rule, Status};

const SOURCE: &str = "ubuntu";

pub(super) fn is_tracker_file(path: &str) -> bool {
    let mut parts = path.rsplit('/');
    let name = parts.next().unwrap_or("");
    let dir = parts.next().unwrap_or("");
    matches!(dir, "active" | "retired" | "ignored")
        && name.starts_with("CVE-")
        && !name.contains('.')
}

/// Whether a tracker file lies in the `ignored/` folder.
fn is_ignored_file(path: &str) -> bool {
    path.rsplit('/').nth(1) == Some("ignored")
}

pub(super) fn import(ctx: &mut Ctx<'_>, path: &str, bytes: &[u8]) {
    if is_ignored_file(path) {
        ctx.withdrawn(SOURCE);
        return;
    }
    let text = String::from_utf8_lossy(bytes);
    let mut candidate = None;
    let mut public_date = None;
    let mut priority: Option<String> = None;
    let mut description = String::new();
    let mut cvss: Option<Cvss> = None;
    let mut entries: Vec<(String, String, Rule, Option<String>)> = Vec::new();
    let mut field = "";
    for line in text.lines() {
        if line.starts_with(' ') || line.starts_with('\t') {
            let t = line.trim();
            match field {
                "Description" => {
                    if !description.is_empty() {
                        description.push(' ');
                    }
                    description.push_str(t);
                }
                "CVSS" => {
                    // ` nvd: CVSS:3.1/AV:L/… [6.5 MEDIUM]`
                    if let Some((who, rest)) = t.split_once(": ") {
                        let vector = rest.split_whitespace().next().unwrap_or("").to_string();
                        let score = rest
                            .split_once('[')
                            .and_then(|(_, s)| s.split_whitespace().next())
                            .and_then(|s| s.parse::<f64>().ok());
                        if cvss.is_none() || who == "nvd" {
                            cvss = Some(Cvss {
                                score: score.or_else(|| crate::cvss::v3_base_score(&vector)),
                                vector: Some(vector),
                                source: if who == "nvd" {
                                    "nvd".into()
                                } else {
                                    format!("ubuntu:{who}")
                                },
                            });
                        }
                    }
                }
                _ => {}
            }
            continue;
        }
        let Some((key, value)) = line.split_once(':') else {
            field = "";
            continue;
        };
        let value = value.trim();
        field = key;
        match key {
            "Candidate" => candidate = Some(value.to_string()),
            "PublicDate" => public_date = crate::date::parse(value),
            "Priority" => {
                let p = value.split_whitespace().next().unwrap_or("");
                if !p.is_empty() {
                    priority = Some(p.to_string());
                }
            }
            "Description" => description.push_str(value),
            _ => {
                let Some((release, pkg)) = key.split_once('_') else {
                    continue;
                };
                // `Patches_`, `Tags_`, `Priority_` carry no release status; `upstream` and
                // `snap` are not Ubuntu releases.
                if !release.starts_with(|c: char| c.is_ascii_lowercase())
                    || matches!(release, "upstream" | "snap")
                {
                    continue;
                }
                if release.contains(' ') || pkg.is_empty() {
                    continue;
                }
                let (status, detail) = match value.split_once(' ') {
                    Some((s, d)) => (
                        s,
                        Some(d.trim().trim_start_matches('(').trim_end_matches(')')),
                    ),
                    None => (value, None),
                };
                let rule = match status {
                    "released" => match detail.filter(|d| !d.is_empty()) {
                        Some(v) if v.chars().next().is_some_and(|c| c.is_ascii_digit()) => {
                            Rule::FixedIn(v.to_string())
                        }
                        // `released` without a version: fixed, but the tracker does not say in
                        // which build; every version is treated as fixed rather than guessed.
                        _ => Rule::Status(Status::NotAffected),
                    },
                    "not-affected" => Rule::Status(Status::NotAffected),
                    "needed" | "needs-triage" | "pending" | "active" => Rule::Status(Status::Open),
                    "deferred" => Rule::Status(Status::Deferred),
                    "ignored" => Rule::Status(Status::WillNotFix),
                    "DNE" | "" => continue,
                    other => {
                        ctx.malformed(SOURCE, path, format!("{key}: unknown status {other:?}"));
                        continue;
                    }
                };
                let note = match &rule {
                    Rule::FixedIn(_) => None,
                    _ => detail.filter(|d| !d.is_empty()).map(str::to_string),
                };
                entries.push((format!("ubuntu:{release}"), pkg.to_string(), rule, note));
            }
        }
    }
    let Some(id) = candidate.filter(|c| c.starts_with("CVE-")) else {
        return ctx.malformed(SOURCE, path, "no `Candidate: CVE-…` line");
    };
    if description.starts_with("** REJECT **") {
        ctx.withdrawn(SOURCE);
        ctx.out.reject(&id);
        return;
    }
    ctx.record(SOURCE);
    ctx.date(SOURCE, public_date);
    let priority = priority.filter(|p| p != "untriaged");
    let adv = ctx.out.add_advisory(Advisory {
        id: id.clone(),
        aliases: Vec::new(),
        source: SOURCE.to_string(),
        severity: priority,
        cvss,
        published: public_date,
        fix_date: None,
        description: ctx.text(&description),
        link: format!("https://ubuntu.com/security/{id}"),
    });
    let n = entries.len() as u64;
    for (ns, pkg, rule, note) in entries {
        ctx.out.add_entry(
            &ns,
            &pkg,
            Entry {
                advisory: adv,
                rule,
                module: None,
                note,
            },
        );
    }
    ctx.entries(SOURCE, n);
}
