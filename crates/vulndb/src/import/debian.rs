//! Debian security tracker data: the advisory lists (`data/DSA/list`, `DLA`, `DTSA`), the
//! per-CVE list (`data/CVE/list`) and the tracker's JSON export. Everything is keyed by SOURCE
//! package and release codename (`debian:bookworm`); version rules are dpkg versions.
//!
//! Tags map to statuses: `<not-affected>` → not affected, `<unfixed>` → open, `<no-dsa>`,
//! `<ignored>` and `<end-of-life>` → will not fix, `<postponed>` → deferred. `<removed>`,
//! `<undetermined>`, `<itp>` say nothing about an installed package and are skipped.

use super::{Ctx, str_of};
use crate::record::{Advisory, Entry, Rule, Status};
use serde_json::{Map, Value};

/// Releases the tracker has used, oldest first (`sid` is unstable).
const RELEASES: &[&str] = &[
    "woody", "sarge", "etch", "lenny", "squeeze", "wheezy", "jessie", "stretch", "buster",
    "bullseye", "bookworm", "trixie", "forky", "sid",
];

fn tag_status(tag: &str) -> Option<Status> {
    match tag {
        "not-affected" => Some(Status::NotAffected),
        "unfixed" => Some(Status::Open),
        "no-dsa" | "ignored" | "end-of-life" => Some(Status::WillNotFix),
        "postponed" => Some(Status::Deferred),
        _ => None,
    }
}

/// A `[release] - pkg version-or-<tag> (note)` line, or `- pkg …` (unstable).
struct PkgLine<'a> {
    release: Option<&'a str>,
    package: &'a str,
    rule: Option<Rule>,
    note: Option<&'a str>,
    urgency: Option<&'a str>,
}

fn parse_pkg_line(line: &str) -> Result<PkgLine<'_>, String> {
    let mut rest = line.trim();
    let mut release = None;
    if let Some(r) = rest.strip_prefix('[') {
        let (rel, after) = r
            .split_once(']')
            .ok_or_else(|| format!("unclosed release bracket: {line:?}"))?;
        release = Some(rel.trim());
        rest = after.trim();
    }
    let rest = rest
        .strip_prefix("- ")
        .ok_or_else(|| format!("expected `- package`: {line:?}"))?;
    let (body, note) = match rest.find(" (") {
        Some(i) => (&rest[..i], Some(rest[i + 2..].trim_end_matches(')'))),
        None => (rest, None),
    };
    let mut words = body.split_whitespace();
    let package = words
        .next()
        .ok_or_else(|| format!("no package name: {line:?}"))?;
    let rule = match words.next() {
        None => None,
        Some(tag) if tag.starts_with('<') => {
            let tag = tag.trim_start_matches('<').trim_end_matches('>');
            tag_status(tag).map(Rule::Status)
        }
        Some(version) => Some(Rule::FixedIn(version.to_string())),
    };
    // The urgency is the note when it is one of the tracker's urgency words.
    let urgency = note
        .map(|n| n.split([';', ',']).next().unwrap_or(n).trim())
        .filter(|u| {
            matches!(
                *u,
                "unimportant" | "low" | "medium" | "high" | "not yet assigned"
            )
        });
    Ok(PkgLine {
        release,
        package,
        rule,
        note,
        urgency,
    })
}

/// `data/DSA/list`, `data/DLA/list`, `data/DTSA/list`: one block per advisory.
pub(super) fn import_advisory_list(ctx: &mut Ctx<'_>, path: &str, bytes: &[u8], source: &str) {
    let text = String::from_utf8_lossy(bytes);
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        if line.trim().is_empty() {
            continue;
        }
        if !line.starts_with('[') {
            ctx.malformed(
                source,
                path,
                format!("line outside an advisory block: {line:?}"),
            );
            continue;
        }
        let mut body = Vec::new();
        while let Some(next) = lines.peek() {
            if next.starts_with('[') {
                break;
            }
            body.push(*next);
            lines.next();
        }
        import_advisory_block(ctx, path, source, line, &body);
    }
}

fn import_advisory_block(ctx: &mut Ctx<'_>, path: &str, source: &str, head: &str, body: &[&str]) {
    // `[29 Mar 2023] DSA-5380-1 xorg-server - security update`
    let Some((date, rest)) = head.strip_prefix('[').and_then(|h| h.split_once(']')) else {
        return ctx.malformed(source, path, format!("bad advisory header: {head:?}"));
    };
    let date = crate::date::parse(date);
    let mut words = rest.split_whitespace();
    let Some(adv_id) = words.next().filter(|w| w.contains('-')) else {
        return ctx.malformed(
            source,
            path,
            format!("advisory header without id: {head:?}"),
        );
    };
    let title = rest.split_once(" - ").map(|(_, t)| t.trim()).unwrap_or("");
    let mut cves: Vec<String> = Vec::new();
    let mut rules: Vec<(String, String, Rule, Option<String>)> = Vec::new();
    for line in body {
        let t = line.trim();
        if t.is_empty() || t.starts_with("NOTE:") || t.starts_with("TODO:") {
            continue;
        }
        if let Some(ids) = t.strip_prefix('{') {
            cves.extend(
                ids.trim_end_matches('}')
                    .split_whitespace()
                    .map(str::to_string),
            );
            continue;
        }
        match parse_pkg_line(t) {
            Ok(PkgLine {
                release: Some(rel),
                package,
                rule: Some(rule),
                note,
                ..
            }) => rules.push((
                format!("debian:{rel}"),
                package.to_string(),
                rule,
                note.map(str::to_string),
            )),
            Ok(_) => {}
            Err(e) => return ctx.malformed(source, path, format!("{adv_id}: {e}")),
        }
    }
    ctx.record(source);
    ctx.date(source, date);
    // Regression updates name no CVE: the advisory itself is the finding id then.
    if cves.is_empty() {
        cves.push(adv_id.to_string());
    }
    let link = format!("https://security-tracker.debian.org/tracker/{adv_id}");
    let mut n = 0;
    for cve in &cves {
        let aliases = if cve == adv_id {
            Vec::new()
        } else {
            vec![adv_id.to_string()]
        };
        let adv = ctx.out.add_advisory(Advisory {
            id: cve.clone(),
            aliases,
            source: source.to_string(),
            severity: None,
            cvss: None,
            published: date,
            fix_date: date,
            description: title.to_string(),
            link: link.clone(),
        });
        for (ns, pkg, rule, note) in &rules {
            ctx.out.add_entry(
                ns,
                pkg,
                Entry {
                    advisory: adv,
                    rule: rule.clone(),
                    module: None,
                    note: note.clone(),
                },
            );
            n += 1;
        }
    }
    ctx.entries(source, n);
}

/// `data/CVE/list`: `CVE-… (description)` then indented package lines; `- pkg ver` lines are
/// unstable's state and also apply to every release without a line of its own that the
/// tracker lists for the package (the tracker's own inheritance rule).
pub(super) fn import_cve_list(ctx: &mut Ctx<'_>, path: &str, bytes: &[u8]) {
    const SOURCE: &str = "debian-cve";
    let text = String::from_utf8_lossy(bytes);
    let mut current: Option<(String, String, Vec<String>)> = None;
    let flush = |ctx: &mut Ctx<'_>, cur: Option<(String, String, Vec<String>)>| {
        if let Some((id, desc, lines)) = cur {
            import_cve_block(ctx, path, &id, &desc, &lines);
        }
    };
    for line in text.lines() {
        if line.starts_with("CVE-") || line.starts_with("TEMP-") {
            flush(ctx, current.take());
            let (id, desc) = match line.split_once(' ') {
                Some((id, d)) => (id, d.trim().trim_start_matches('(').trim_end_matches(')')),
                None => (line.trim(), ""),
            };
            current = Some((id.to_string(), desc.to_string(), Vec::new()));
        } else if line.starts_with(char::is_whitespace) {
            match current.as_mut() {
                Some((_, _, lines)) => lines.push(line.trim().to_string()),
                None => ctx.malformed(
                    SOURCE,
                    path,
                    format!("indented line before any CVE: {line:?}"),
                ),
            }
        } else if !line.trim().is_empty() {
            ctx.malformed(SOURCE, path, format!("unexpected line: {line:?}"));
        }
    }
    flush(ctx, current.take());
}

fn import_cve_block(ctx: &mut Ctx<'_>, path: &str, id: &str, desc: &str, lines: &[String]) {
    const SOURCE: &str = "debian-cve";
    if lines.iter().any(|l| l == "REJECTED") {
        ctx.withdrawn(SOURCE);
        if id.starts_with("CVE-") {
            ctx.out.reject(id);
        }
        return;
    }
    let mut rules: Vec<(String, String, Rule, Option<String>)> = Vec::new();
    let mut urgency: Option<String> = None;
    for l in lines {
        if !(l.starts_with("- ") || l.starts_with('[')) {
            continue; // NOTE:, RESERVED, {DSA-…}, TODO:
        }
        let parsed = match parse_pkg_line(l) {
            Ok(p) => p,
            Err(e) => return ctx.malformed(SOURCE, path, format!("{id}: {e}")),
        };
        if urgency.is_none() {
            urgency = parsed.urgency.map(str::to_string);
        }
        let Some(rule) = parsed.rule else { continue };
        let release = parsed.release.unwrap_or("sid").to_string();
        rules.push((
            release,
            parsed.package.to_string(),
            rule,
            parsed.note.map(str::to_string),
        ));
    }
    ctx.record(SOURCE);
    let adv = ctx.out.add_advisory(Advisory {
        id: id.to_string(),
        aliases: Vec::new(),
        source: SOURCE.to_string(),
        severity: urgency,
        cvss: None,
        published: None,
        fix_date: None,
        description: ctx.text(desc),
        link: format!("https://security-tracker.debian.org/tracker/{id}"),
    });
    let mut n = 0;
    let explicit = |rel: &str, pkg: &str| rules.iter().any(|(r, p, _, _)| r == rel && p == pkg);
    let mut expanded = Vec::new();
    for (rel, pkg, rule, note) in &rules {
        expanded.push((rel.clone(), pkg.clone(), rule.clone(), note.clone()));
        if rel == "sid" {
            for r in RELEASES.iter().filter(|r| **r != "sid") {
                if !explicit(r, pkg) {
                    expanded.push((r.to_string(), pkg.clone(), rule.clone(), note.clone()));
                }
            }
        }
    }
    for (rel, pkg, rule, note) in expanded {
        ctx.out.add_entry(
            &format!("debian:{rel}"),
            &pkg,
            Entry {
                advisory: adv,
                rule,
                module: None,
                note,
            },
        );
        n += 1;
    }
    ctx.entries(SOURCE, n);
}

/// The tracker JSON: `{ "<srcpkg>": { "CVE-…": { "releases": { "<codename>": {…} } } } }`.
pub(super) fn looks_like_tracker_json(obj: &Map<String, Value>) -> bool {
    obj.values().take(3).any(|pkg| {
        pkg.as_object().is_some_and(|m| {
            m.iter().take(3).any(|(k, v)| {
                (k.starts_with("CVE-") || k.starts_with("TEMP-")) && v.get("releases").is_some()
            })
        })
    })
}

pub(super) fn import_tracker_json(ctx: &mut Ctx<'_>, path: &str, v: &Value) {
    const SOURCE: &str = "debian-json";
    let Some(pkgs) = v.as_object() else { return };
    for (pkg, cves) in pkgs {
        let Some(cves) = cves.as_object() else {
            ctx.malformed(SOURCE, path, format!("{pkg}: not an object"));
            continue;
        };
        for (id, rec) in cves {
            let Some(releases) = rec.get("releases").and_then(Value::as_object) else {
                ctx.malformed(SOURCE, path, format!("{pkg}/{id}: no releases"));
                continue;
            };
            let mut rules = Vec::new();
            let mut urgency = None;
            let mut bad = None;
            for (rel, r) in releases {
                let status = str_of(r, "status").unwrap_or_default();
                let fixed = str_of(r, "fixed_version");
                let nodsa = str_of(r, "nodsa_reason").unwrap_or_default();
                if urgency.is_none() {
                    urgency = str_of(r, "urgency").filter(|u| !u.ends_with('*') && !u.is_empty());
                }
                let rule = match (status.as_str(), fixed.as_deref()) {
                    ("resolved", Some("0")) => Rule::Status(Status::NotAffected),
                    ("resolved", Some(f)) => Rule::FixedIn(f.to_string()),
                    ("open", _) if nodsa == "postponed" => Rule::Status(Status::Deferred),
                    ("open", _) if nodsa == "ignored" || r.get("nodsa").is_some() => {
                        Rule::Status(Status::WillNotFix)
                    }
                    ("open", _) => Rule::Status(Status::Open),
                    ("undetermined", _) => continue,
                    (other, _) => {
                        bad = Some(format!("{pkg}/{id}/{rel}: status {other:?}"));
                        break;
                    }
                };
                rules.push((format!("debian:{rel}"), rule));
            }
            if let Some(b) = bad {
                ctx.malformed(SOURCE, path, b);
                continue;
            }
            ctx.record(SOURCE);
            let adv = ctx.out.add_advisory(Advisory {
                id: id.clone(),
                aliases: Vec::new(),
                source: SOURCE.to_string(),
                severity: urgency,
                cvss: None,
                published: None,
                fix_date: None,
                description: ctx.text(&str_of(rec, "description").unwrap_or_default()),
                link: format!("https://security-tracker.debian.org/tracker/{id}"),
            });
            let n = rules.len() as u64;
            for (ns, rule) in rules {
                ctx.out.add_entry(
                    &ns,
                    pkg,
                    Entry {
                        advisory: adv,
                        rule,
                        module: None,
                        note: None,
                    },
                );
            }
            ctx.entries(SOURCE, n);
        }
    }
}
