//! AlmaLinux `errata.json` (the non-OSV feed behind errata.almalinux.org): a JSON array of
//! errata with `updateinfo_id` (`ALSA-2021:3253`), `severity`, `title`, `issued_date`
//! (`{"$date": ms}`), `references[]` (`type: cve`) and `pkglist.packages[]` (`name`, `epoch`,
//! `version`, `release`). The major release is read from each package's `.elN` release tag
//! (repository names such as `codeready-builder-for-rhel-8-…` do not always say AlmaLinux).
//! Entries go under `almalinux:<major>` like the AlmaLinux OSV records, with the same module
//! rule: builds of a module (`.module_el`) carry the stream named in the title.

use super::osv::module_streams;
use super::{Ctx, str_of};
use crate::record::{Advisory, Entry, Rule};
use serde_json::Value;

const SOURCE: &str = "almalinux";

/// Whether a JSON array is an AlmaLinux errata list.
pub(super) fn looks_like(v: &Value) -> bool {
    v.as_array()
        .and_then(|a| a.first())
        .is_some_and(|e| e.get("updateinfo_id").is_some() && e.get("pkglist").is_some())
}

/// `10.el8_4.1` → `8`; module builds say `12.module_el8.3.0+2048+e7a0a3ea`.
fn major_of(release: &str) -> Option<String> {
    let at = release.find(".el").or_else(|| release.find("_el"))?;
    let digits: String = release[at + 3..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    (!digits.is_empty()).then_some(digits)
}

pub(super) fn import(ctx: &mut Ctx<'_>, path: &str, v: &Value) {
    let mut n = 0;
    for e in v.as_array().into_iter().flatten() {
        let Some(id) = str_of(e, "updateinfo_id") else {
            ctx.malformed(SOURCE, path, "erratum without updateinfo_id");
            continue;
        };
        let title = str_of(e, "title").unwrap_or_default();
        let issued = e
            .get("issued_date")
            .and_then(|d| d.get("$date"))
            .and_then(Value::as_i64)
            .map(|ms| ms / 1000);
        let mut cves: Vec<String> = e
            .get("references")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter(|r| str_of(r, "type").as_deref() == Some("cve"))
            .filter_map(|r| str_of(r, "id"))
            .collect();
        cves.dedup();
        if cves.is_empty() {
            cves.push(id.clone());
        }
        let streams = module_streams(&title).join(",");
        let mut fixes: Vec<(String, String, String, Option<String>)> = Vec::new();
        let mut bad = false;
        for p in e
            .get("pkglist")
            .and_then(|l| l.get("packages"))
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let (Some(name), Some(version), Some(release)) = (
                str_of(p, "name"),
                str_of(p, "version"),
                str_of(p, "release"),
            ) else {
                bad = true;
                break;
            };
            let Some(major) = major_of(&release) else {
                bad = true;
                break;
            };
            let evr = match str_of(p, "epoch").filter(|e| !e.is_empty() && e != "0") {
                Some(ep) => format!("{ep}:{version}-{release}"),
                None => format!("{version}-{release}"),
            };
            let module = release.contains(".module").then(|| streams.clone());
            let ns = format!("almalinux:{major}");
            if !fixes.iter().any(|f| f.0 == ns && f.1 == name && f.2 == evr) {
                fixes.push((ns, name, evr, module));
            }
        }
        if bad || fixes.is_empty() {
            ctx.malformed(
                SOURCE,
                path,
                format!("{id}: packages without name, version or .elN release"),
            );
            continue;
        }
        ctx.record(SOURCE);
        ctx.date(SOURCE, issued);
        let severity = str_of(e, "severity")
            .map(|s| s.to_ascii_lowercase())
            .filter(|s| !s.is_empty());
        for cve in &cves {
            let adv = ctx.out.add_advisory(Advisory {
                id: cve.clone(),
                aliases: if *cve == id {
                    Vec::new()
                } else {
                    vec![id.clone()]
                },
                source: SOURCE.to_string(),
                severity: severity.clone(),
                cvss: None,
                published: issued,
                fix_date: issued,
                description: ctx.text(&title),
                link: format!("https://errata.almalinux.org/{}.html", id.replace(':', "-")),
            });
            for (ns, name, evr, module) in &fixes {
                ctx.out.add_entry(
                    ns,
                    name,
                    Entry {
                        advisory: adv,
                        rule: Rule::FixedIn(evr.clone()),
                        module: module.clone(),
                        note: None,
                    },
                );
                n += 1;
            }
        }
    }
    ctx.entries(SOURCE, n);
}
