//! yum `updateinfo.xml` (gzip'd in the repository's `repodata/`) of Amazon Linux 1, 2, 2022 and
//! 2023 (ALAS). Each `<update>` names the CVEs it fixes (`<reference type="cve">`) and the fixed
//! builds per architecture (`<package name epoch version release arch>`); the fixed version of a
//! binary package is `epoch:version-release` (epoch left out when 0). One advisory per CVE, the
//! ALAS id as alias; one [`Rule::FixedIn`] per (binary package, CVE) under the release's
//! namespace.
//!
//! The release comes from the update id, because the ids of different releases collide without
//! it: `ALAS-…` is Amazon Linux 1 (`amazon:1`), `ALAS2-…` (and `ALAS2KERNEL-5.10-…`,
//! `ALAS2EXTRAS…`) Amazon Linux 2, `ALAS2022-…` 2022, `ALAS2023-…` 2023. Severity words are
//! `critical/important/medium/low` (capitalised on 2023; kept lower case).

use super::Ctx;
use crate::record::{Advisory, Entry, Rule};
use roxmltree::{Document, Node};

const SOURCE: &str = "amazon";

/// The namespace of an ALAS id, or `None` when it is not one.
pub(crate) fn namespace_of(id: &str) -> Option<String> {
    let rest = id.strip_prefix("ALAS")?;
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    if digits.is_empty() {
        return rest.starts_with('-').then(|| "amazon:1".to_string());
    }
    Some(format!("amazon:{digits}"))
}

pub(super) fn import(ctx: &mut Ctx<'_>, path: &str, doc: &Document<'_>) {
    let mut n_entries = 0;
    let mut other = 0;
    for update in doc
        .root_element()
        .children()
        .filter(|c| c.has_tag_name("update"))
    {
        let text_of = |n: Node<'_, '_>, tag: &str| {
            n.children()
                .find(|c| c.has_tag_name(tag))
                .and_then(|c| c.text())
                .map(|t| t.trim().to_string())
        };
        let Some(id) = text_of(update, "id").filter(|i| !i.is_empty()) else {
            ctx.malformed(SOURCE, path, "update without <id>");
            continue;
        };
        let Some(ns) = namespace_of(&id) else {
            // Another vendor's updateinfo (Rocky, Bottlerocket): not read by this importer.
            other += 1;
            continue;
        };
        let date_of = |tag: &str| {
            update
                .children()
                .find(|c| c.has_tag_name(tag))
                .and_then(|c| c.attribute("date"))
                .and_then(crate::date::parse)
        };
        let issued = date_of("issued");
        let updated = date_of("updated");
        let severity = text_of(update, "severity")
            .map(|s| s.to_ascii_lowercase())
            .filter(|s| !s.is_empty());
        let title = text_of(update, "title").unwrap_or_default();
        let mut cves: Vec<String> = Vec::new();
        for r in update
            .descendants()
            .filter(|c| c.has_tag_name("reference") && c.attribute("type") == Some("cve"))
        {
            if let Some(cve) = r.attribute("id").filter(|c| c.starts_with("CVE-"))
                && !cves.iter().any(|c| c == cve)
            {
                cves.push(cve.to_string());
            }
        }
        if cves.is_empty() {
            // A bug-fix update names no CVE: its own id stands for it.
            cves.push(id.clone());
        }
        let mut fixes: Vec<(String, String)> = Vec::new();
        let mut bad = None;
        for p in update.descendants().filter(|c| c.has_tag_name("package")) {
            let (Some(name), Some(version), Some(release)) = (
                p.attribute("name"),
                p.attribute("version"),
                p.attribute("release"),
            ) else {
                bad = Some("package without name, version or release");
                break;
            };
            let evr = match p.attribute("epoch").filter(|e| !e.is_empty() && *e != "0") {
                Some(e) => format!("{e}:{version}-{release}"),
                None => format!("{version}-{release}"),
            };
            if !fixes.iter().any(|(n, v)| n == name && *v == evr) {
                fixes.push((name.to_string(), evr));
            }
        }
        if let Some(e) = bad {
            ctx.malformed(SOURCE, path, format!("{id}: {e}"));
            continue;
        }
        if fixes.is_empty() {
            ctx.malformed(SOURCE, path, format!("{id}: no fixed packages"));
            continue;
        }
        ctx.record(SOURCE);
        ctx.date(SOURCE, updated.or(issued));
        let link = format!(
            "https://alas.aws.amazon.com/{}{}.html",
            match ns.as_str() {
                "amazon:1" => String::new(),
                n => format!("AL{}/", n.trim_start_matches("amazon:")),
            },
            id
        );
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
                link: link.clone(),
            });
            for (name, evr) in &fixes {
                ctx.out.add_entry(
                    &ns,
                    name,
                    Entry {
                        advisory: adv,
                        rule: Rule::FixedIn(evr.clone()),
                        module: None,
                        note: None,
                    },
                );
                n_entries += 1;
            }
        }
    }
    if other > 0 && n_entries == 0 {
        ctx.report.ignored_files += 1;
    }
    ctx.entries(SOURCE, n_entries);
}

#[cfg(test)]
mod tests {
    use super::namespace_of;

    #[test]
    fn releases_from_ids() {
        assert_eq!(namespace_of("ALAS-2018-939").as_deref(), Some("amazon:1"));
        assert_eq!(namespace_of("ALAS2-2018-942").as_deref(), Some("amazon:2"));
        assert_eq!(
            namespace_of("ALAS2KERNEL-5.10-2022-001").as_deref(),
            Some("amazon:2")
        );
        assert_eq!(
            namespace_of("ALAS2022-2021-001").as_deref(),
            Some("amazon:2022")
        );
        assert_eq!(
            namespace_of("ALAS2023-2023-001").as_deref(),
            Some("amazon:2023")
        );
        assert_eq!(namespace_of("RLSA-2021:1234"), None);
    }
}
