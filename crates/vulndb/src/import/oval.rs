//! RPM OVAL feeds (OVAL 5.x `rpminfo` definitions): Oracle Linux ELSA (plain, per-architecture
//! and Ksplice), SUSE (one definition per CVE), Photon OS (PHSA), Azure Linux and CBL-Mariner
//! (one definition per CVE × package).
//!
//! A definition's `criteria` tree is walked with the tests, objects and states it points at
//! resolved: a criterion whose test compares a package's `evr` (`less than`, `less than or
//! equal`, `greater than`…) is a package condition; one whose comment says `<product> is
//! installed` and whose state compares no `evr` names the release, for its sibling conditions and
//! everything below. Conditions on one package inside one `AND` form one interval; a lone
//! `less than` is a plain fix ([`Rule::FixedIn`], the distribution rule), anything else an
//! interval ([`Rule::Set`]; Azure Linux's `installed with version X or earlier` is open).
//! Signature-key and architecture conditions are not checked (an image carries the vendor's own
//! builds; per-architecture fixes of one package name combine to the newest, as several fixes of
//! one id always do). Ksplice fixes (`.ksplice` in the version) go to `<release>:ksplice`, a
//! namespace no image is placed in, so they never match plain packages.
//!
//! Releases: `Oracle Linux 8` → `oracle:8`; `Photon OS 3` → `photon:3.0`; SUSE products
//! `SUSE Linux Enterprise <Server|Desktop|Module for …|…> 15 SP3[-LTSS]` → `sles:15.3`
//! (`sles:15` for the GA release), `SUSE Linux Enterprise Micro 5.2` → `sle-micro:5.2`,
//! `openSUSE Leap 15.5` → `opensuse-leap:15.5`, `openSUSE Tumbleweed` → `opensuse-tumbleweed`.
//! Azure Linux and CBL-Mariner name no release inside the file: it comes from the file name
//! (`azurelinux-3.0-oval.xml` → `azurelinux:3.0`, `cbl-mariner-2.0-oval.xml` → `mariner:2.0`).
//! One advisory per CVE (findings are per CVE), with the vendor advisory id as alias.

use super::Ctx;
use crate::record::{Advisory, Cmp, Entry, Op, Rule, VersionSet};
use roxmltree::{Document, Node};
use std::collections::HashMap;

/// The feed label of an OVAL file, from its definition ids.
fn source_of(def_id: &str) -> Option<&'static str> {
    if def_id.contains("com.oracle.elsa") {
        Some("oracle")
    } else if def_id.contains("org.opensuse.security") {
        Some("suse")
    } else if def_id.contains("com.vmware.phsa") {
        Some("photon")
    } else if def_id.contains("cbl-mariner") || def_id.contains("azurelinux") {
        Some("azurelinux")
    } else {
        None
    }
}

/// One package comparison a test makes.
#[derive(Debug, Clone)]
struct PkgCond {
    name: String,
    cmp: Cmp,
}

/// What a test says: a package condition, or a release ("… is installed" without an evr).
#[derive(Debug, Clone)]
enum Test {
    Package(PkgCond),
    Other,
}

/// The first child element called `name`.
fn child<'a, 'i>(n: Node<'a, 'i>, name: &str) -> Option<Node<'a, 'i>> {
    n.children().find(|c| c.has_tag_name(name))
}

pub(super) fn import(ctx: &mut Ctx<'_>, path: &str, doc: &Document<'_>) {
    let root = doc.root_element();
    let Some(defs) = child(root, "definitions") else {
        return ctx.malformed(
            &super::hint_source(path),
            path,
            "OVAL file without <definitions>",
        );
    };
    let first_id = defs
        .children()
        .find(|d| d.has_tag_name("definition"))
        .and_then(|d| d.attribute("id"))
        .unwrap_or("");
    let Some(source) = source_of(first_id) else {
        // An OVAL stream of a vendor with no importer (Red Hat OVAL v2 is read as CSAF VEX).
        ctx.report.ignored_files += 1;
        return;
    };
    let file_ns = file_namespace(path);
    if source == "azurelinux" && file_ns.is_none() {
        return ctx.malformed(
            source,
            path,
            "Azure Linux OVAL file name names no release (`azurelinux-3.0-oval.xml`)",
        );
    }
    let tests = resolve_tests(root);
    let mut n_entries = 0;
    for def in defs.children().filter(|d| d.has_tag_name("definition")) {
        let id = def.attribute("id").unwrap_or("?");
        let Some(meta) = child(def, "metadata") else {
            ctx.malformed(source, path, format!("{id}: no metadata"));
            continue;
        };
        let title = child(meta, "title")
            .and_then(|t| t.text())
            .unwrap_or("")
            .trim()
            .to_string();
        let mut cves: Vec<String> = Vec::new();
        let mut advisory_id = None;
        let mut link = String::new();
        for r in meta.children().filter(|c| c.has_tag_name("reference")) {
            let ref_id = r.attribute("ref_id").unwrap_or("");
            let src = r.attribute("source").unwrap_or("");
            if src.eq_ignore_ascii_case("CVE") {
                cves.extend(cve_ids(ref_id));
            } else if advisory_id.is_none() && !src.contains("CVE") {
                advisory_id = Some(ref_id.to_string());
                link = r.attribute("ref_url").unwrap_or("").to_string();
            }
            if link.is_empty() {
                link = r.attribute("ref_url").unwrap_or("").to_string();
            }
        }
        let adv_node = child(meta, "advisory");
        for c in adv_node
            .into_iter()
            .flat_map(|a| a.children())
            .filter(|c| c.has_tag_name("cve"))
        {
            cves.extend(cve_ids(c.text().unwrap_or("")));
        }
        let mut seen = std::collections::HashSet::new();
        cves.retain(|c| seen.insert(c.clone()));
        // Oracle names the erratum in the title (`ELSA-2007-0057: …`), Photon in its reference.
        let own_id = advisory_id
            .clone()
            .filter(|a| !a.is_empty())
            .or_else(|| title.split(':').next().map(|s| s.trim().to_string()))
            .unwrap_or_else(|| id.to_string());
        if cves.is_empty() {
            cves.push(own_id.clone());
        }
        let severity = adv_node
            .and_then(|a| child(a, "severity"))
            .or_else(|| child(meta, "severity"))
            .and_then(|s| s.text())
            .map(|s| s.trim().to_ascii_lowercase())
            .filter(|s| !s.is_empty());
        let issued = adv_node
            .and_then(|a| child(a, "issued"))
            .and_then(|i| i.attribute("date"))
            .and_then(crate::date::parse);
        let description = child(meta, "description")
            .and_then(|d| d.text())
            .unwrap_or(&title)
            .to_string();
        let Some(criteria) = child(def, "criteria") else {
            ctx.malformed(source, path, format!("{id}: no criteria"));
            continue;
        };
        let mut rules: Vec<(String, String, Rule)> = Vec::new();
        if let Err(e) = walk(criteria, file_ns.as_deref(), &tests, &mut rules) {
            ctx.malformed(source, path, format!("{id}: {e}"));
            continue;
        }
        // A definition may give no rule: its products are ones no image is placed in (SUSE
        // Storage, SUSE Manager). It is still a record read.
        ctx.record(source);
        ctx.date(source, issued);
        // Oracle's module errata (`ELSA-2024-1234: nodejs:18 security update`) apply only to
        // builds of that stream, as AlmaLinux's and Rocky's do (`oracle:` is an rpm namespace
        // with module streams); other vendors here publish no modules.
        let streams = if source == "oracle" {
            super::osv::module_streams(&title).join(",")
        } else {
            String::new()
        };
        let module_of = |rule: &Rule| -> Option<String> {
            let modular = match rule {
                Rule::FixedIn(v) => super::osv::is_module_build(v),
                Rule::Set { fixed, .. } => fixed.iter().any(|v| super::osv::is_module_build(v)),
                _ => false,
            };
            (source == "oracle" && modular).then(|| streams.clone())
        };
        for cve in &cves {
            let aliases = if own_id != *cve {
                vec![own_id.clone()]
            } else {
                Vec::new()
            };
            let adv = ctx.out.add_advisory(Advisory {
                id: cve.clone(),
                aliases,
                source: source.to_string(),
                severity: severity.clone(),
                cvss: None,
                published: issued,
                fix_date: issued,
                description: ctx.text(&description),
                link: link.clone(),
            });
            for (ns, name, rule) in &rules {
                ctx.out.add_entry(
                    ns,
                    name,
                    Entry {
                        advisory: adv,
                        rule: rule.clone(),
                        module: module_of(rule),
                        note: None,
                    },
                );
                n_entries += 1;
            }
        }
    }
    ctx.entries(source, n_entries);
}

/// `CVE-YYYY-NNNN` ids inside a reference text (`Mitre CVE-2021-1`, `CVE:00001:CVE-2019-2`).
fn cve_ids(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find("CVE-") {
        let tail = &rest[i + 4..];
        let len = tail
            .find(|c: char| !(c.is_ascii_digit() || c == '-'))
            .unwrap_or(tail.len());
        let body = &tail[..len];
        if let Some((y, n)) = body.split_once('-')
            && y.len() == 4
            && !n.is_empty()
            && n.bytes().all(|b| b.is_ascii_digit())
        {
            out.push(format!("CVE-{y}-{n}"));
        }
        rest = &tail[len..];
    }
    out
}

/// The release of a file that names none inside (Azure Linux, CBL-Mariner).
fn file_namespace(path: &str) -> Option<String> {
    let name = path
        .rsplit(['/', '!'])
        .next()
        .unwrap_or(path)
        .to_ascii_lowercase();
    let family = if name.contains("azure") {
        "azurelinux"
    } else if name.contains("mariner") {
        "mariner"
    } else {
        return None;
    };
    // The first `N.M` in the name; `-preview` streams keep their own namespace.
    let version = name.split(['-', '_']).find(|t| {
        t.split_once('.').is_some_and(|(a, b)| {
            !a.is_empty()
                && a.bytes().all(|x| x.is_ascii_digit())
                && !b.is_empty()
                && b.bytes().all(|x| x.is_ascii_digit())
        })
    })?;
    let preview = if name.contains("-preview") {
        "-preview"
    } else {
        ""
    };
    Some(format!("{family}:{version}{preview}"))
}

/// The namespace of a product named in a `<product> is installed` criterion.
pub(crate) fn platform_namespace(product: &str) -> Option<String> {
    let p = product.trim();
    if let Some(v) = p.strip_prefix("Oracle Linux ") {
        let major = v.split_whitespace().next()?;
        return major
            .bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| format!("oracle:{major}"));
    }
    if let Some(v) = p.strip_prefix("Photon OS ") {
        let v = v.split_whitespace().next()?;
        return Some(if v.contains('.') {
            format!("photon:{v}")
        } else {
            format!("photon:{v}.0")
        });
    }
    if p == "openSUSE Tumbleweed" {
        return Some("opensuse-tumbleweed".into());
    }
    if let Some(v) = p.strip_prefix("openSUSE Leap ") {
        let v = v.split_whitespace().next()?;
        return v
            .starts_with(|c: char| c.is_ascii_digit())
            .then(|| format!("opensuse-leap:{v}"));
    }
    // SUSE Package Hub builds install on the SLES release of the same number.
    let rest = p
        .strip_prefix("SUSE Linux Enterprise ")
        .or_else(|| p.strip_prefix("SUSE Package Hub").map(|r| r.trim_start()))?;
    if let Some(v) = rest.strip_prefix("Micro ") {
        return Some(format!("sle-micro:{}", v.split_whitespace().next()?));
    }
    if rest.starts_with("Storage") {
        return None;
    }
    // `Server 15 SP1-LTSS`, `Module for Basesystem 15 SP6`, `Server for SAP Applications 15`.
    let tokens: Vec<&str> = rest.split_whitespace().collect();
    let pos = tokens
        .iter()
        .position(|t| t.starts_with(|c: char| c.is_ascii_digit()))?;
    let major = tokens[pos].split('-').next()?;
    if !major.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let sp = tokens
        .get(pos + 1)
        .and_then(|t| t.strip_prefix("SP"))
        .map(|t| t.split('-').next().unwrap_or(t));
    Some(match sp {
        Some(n) if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) => {
            format!("sles:{major}.{n}")
        }
        _ => format!("sles:{major}"),
    })
}

/// Every rpminfo test of the file, resolved to what it checks.
fn resolve_tests<'a>(root: Node<'a, 'a>) -> HashMap<&'a str, Test> {
    let section = |name: &str| root.children().find(|c| c.has_tag_name(name));
    let mut objects: HashMap<&str, String> = HashMap::new();
    for o in section("objects").into_iter().flat_map(|s| s.children()) {
        if let (Some(id), Some(name)) = (
            o.attribute("id"),
            o.children()
                .find(|c| c.has_tag_name("name"))
                .and_then(|n| n.text()),
        ) {
            objects.insert(id, name.trim().to_string());
        }
    }
    let mut states: HashMap<&str, Option<Cmp>> = HashMap::new();
    // `<states>` per the schema; vunnel's shortened SUSE fixture writes `<state>`.
    let state_sections = root
        .children()
        .filter(|c| c.has_tag_name("states") || c.has_tag_name("state"));
    for s in state_sections.flat_map(|s| s.children()) {
        let Some(id) = s.attribute("id") else {
            continue;
        };
        let evr = s.children().find(|c| c.has_tag_name("evr")).and_then(|e| {
            let op = match e.attribute("operation").unwrap_or("equals") {
                "less than" => Op::Lt,
                "less than or equal" => Op::Le,
                "greater than" => Op::Gt,
                "greater than or equal" => Op::Ge,
                "equals" => Op::Eq,
                _ => return None,
            };
            let v = e.text()?.trim();
            let v = v.strip_prefix("0:").unwrap_or(v);
            Some(Cmp {
                op,
                version: v.to_string(),
            })
        });
        states.insert(id, evr);
    }
    let mut tests = HashMap::new();
    for t in section("tests").into_iter().flat_map(|s| s.children()) {
        let Some(id) = t.attribute("id") else {
            continue;
        };
        if !t.has_tag_name("rpminfo_test") {
            tests.insert(id, Test::Other);
            continue;
        }
        let attr_of = |tag: &str, attr: &str| {
            t.children()
                .find(|c| c.has_tag_name(tag))
                .and_then(|c| c.attribute(attr))
        };
        let name = attr_of("object", "object_ref").and_then(|o| objects.get(o));
        let cmp = attr_of("state", "state_ref")
            .and_then(|s| states.get(s))
            .cloned()
            .flatten();
        let test = match (name, cmp) {
            (Some(name), Some(cmp)) => Test::Package(PkgCond {
                name: name.clone(),
                cmp,
            }),
            _ => Test::Other,
        };
        tests.insert(id, test);
    }
    tests
}

/// Walks one criteria node with the release in force, adding (namespace, package, rule).
fn walk(
    node: Node<'_, '_>,
    release: Option<&str>,
    tests: &HashMap<&str, Test>,
    out: &mut Vec<(String, String, Rule)>,
) -> Result<(), String> {
    let and = node.attribute("operator").unwrap_or("AND") == "AND";
    let criteria: Vec<Node<'_, '_>> = node
        .children()
        .filter(|c| c.has_tag_name("criterion"))
        .collect();
    // A release named among this node's criteria applies to the whole node.
    let mut release: Option<String> = release.map(str::to_string);
    for c in &criteria {
        let comment = c.attribute("comment").unwrap_or("");
        let test = c.attribute("test_ref").and_then(|t| tests.get(t));
        if matches!(test, Some(Test::Other) | None)
            && let Some(product) = comment.strip_suffix(" is installed")
            && let Some(ns) = platform_namespace(product)
        {
            release = Some(ns);
        }
    }
    // Package conditions: one interval per package name in an AND node, one each in an OR.
    let mut groups: Vec<(String, Vec<Cmp>)> = Vec::new();
    for c in &criteria {
        let Some(test_ref) = c.attribute("test_ref") else {
            return Err("criterion without test_ref".into());
        };
        let (name, cmp) = match tests.get(test_ref) {
            Some(Test::Package(p)) => (p.name.clone(), p.cmp.clone()),
            Some(Test::Other) => continue,
            // A test the file does not hold (vunnel's per-architecture Oracle fixture was cut
            // down to definitions only): Oracle's comment says the same, `<name> is earlier
            // than <evr>`.
            None => match c
                .attribute("comment")
                .and_then(|t| t.split_once(" is earlier than "))
            {
                Some((name, evr)) if !name.contains(' ') && !evr.trim().is_empty() => {
                    let evr = evr.trim();
                    let evr = evr.strip_prefix("0:").unwrap_or(evr);
                    let cmp = Cmp {
                        op: Op::Lt,
                        version: evr.to_string(),
                    };
                    (name.to_string(), cmp)
                }
                _ => continue,
            },
        };
        if cmp.op == Op::Eq {
            // `kernel-default-4.12.14 is installed` style: a condition on another package's
            // exact build (SUSE live patches), not a vulnerable range of this one.
            continue;
        }
        match groups.iter_mut().find(|(n, _)| and && *n == name) {
            Some((_, cmps)) => cmps.push(cmp),
            None => groups.push((name, vec![cmp])),
        }
    }
    if let Some(ns) = &release {
        for (name, cmps) in groups {
            let ksplice = cmps.iter().any(|c| c.version.contains(".ksplice"));
            let ns = if ksplice {
                format!("{ns}:ksplice")
            } else {
                ns.clone()
            };
            out.push((ns, name, rule_of(cmps)));
        }
    }
    for sub in node.children().filter(|c| c.has_tag_name("criteria")) {
        walk(sub, release.as_deref(), tests, out)?;
    }
    Ok(())
}

/// A lone `< v` is a distribution fix; anything else an interval whose `<` bounds are its fixes.
fn rule_of(cmps: Vec<Cmp>) -> Rule {
    if let [
        Cmp {
            op: Op::Lt,
            version,
        },
    ] = cmps.as_slice()
    {
        return Rule::FixedIn(version.clone());
    }
    let fixed = cmps
        .iter()
        .filter(|c| c.op == Op::Lt)
        .map(|c| c.version.clone())
        .collect();
    Rule::Set {
        affected: VersionSet {
            clauses: vec![cmps],
        },
        unaffected: VersionSet::default(),
        fixed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn products_to_namespaces() {
        for (product, ns) in [
            ("Oracle Linux 8", Some("oracle:8")),
            ("Photon OS 3", Some("photon:3.0")),
            (
                "SUSE Linux Enterprise Server 15 SP1-LTSS",
                Some("sles:15.1"),
            ),
            ("SUSE Linux Enterprise Server 15-LTSS", Some("sles:15")),
            (
                "SUSE Linux Enterprise Module for Basesystem 15 SP6",
                Some("sles:15.6"),
            ),
            (
                "SUSE Linux Enterprise Server for SAP Applications 15",
                Some("sles:15"),
            ),
            ("SUSE Linux Enterprise Micro 5.2", Some("sle-micro:5.2")),
            ("SUSE Linux Enterprise Storage 7", None),
            ("SUSE Package Hub 15 SP1", Some("sles:15.1")),
            ("openSUSE Leap 15.5", Some("opensuse-leap:15.5")),
            ("openSUSE Tumbleweed", Some("opensuse-tumbleweed")),
            ("Windows 11", None),
        ] {
            assert_eq!(platform_namespace(product).as_deref(), ns, "{product}");
        }
        assert_eq!(
            file_namespace("x/azurelinux-3.0-oval.xml").as_deref(),
            Some("azurelinux:3.0")
        );
        assert_eq!(
            file_namespace("x/mariner-truncated-2.0-oval.xml").as_deref(),
            Some("mariner:2.0")
        );
        assert_eq!(
            file_namespace("x/cbl-mariner-2.0-preview-oval.xml").as_deref(),
            Some("mariner:2.0-preview")
        );
        assert_eq!(
            cve_ids("CVE:00001:CVE-2019-16168 and Mitre CVE-2021-29154"),
            vec!["CVE-2019-16168", "CVE-2021-29154"]
        );
    }
}
