//! Photon OS CVE metadata (`photon_cve_metadata/cve_data_photon<X.Y>.json`): a JSON array of
//! rows `{cve_id, pkg, cve_score, aff_ver, res_ver, status}` for one branch, named by the file.
//! `res_ver` is the first fixed build of binary package `pkg` (`7.88.1-4.ph4`); `status`
//! `Not Affected` says the package never was; `Fixed` with `res_ver: NA` names no build and gives
//! no rule (the PHSA OVAL of the same branch carries the fix); any other status is open. Older
//! files have no `status`: a `res_ver` is then a fix. Rows go under `photon:<X.Y>`, one advisory
//! per row, with `cve_score` as its CVSS score (no vector is published).

use super::{Ctx, f64_of, str_of};
use crate::record::{Advisory, Cvss, Entry, Rule, Status};
use serde_json::Value;

const SOURCE: &str = "photon";

/// The branch of a `cve_data_photon<X.Y>.json` path.
pub(super) fn branch_of(path: &str) -> Option<&str> {
    let name = path.rsplit(['/', '!']).next().unwrap_or(path);
    let v = name
        .strip_prefix("cve_data_photon")?
        .strip_suffix(".json")?;
    (!v.is_empty() && v.bytes().all(|b| b.is_ascii_digit() || b == b'.')).then_some(v)
}

pub(super) fn import(ctx: &mut Ctx<'_>, path: &str, rows: &Value) {
    let Some(branch) = branch_of(path) else {
        return ctx.malformed(SOURCE, path, "file name names no Photon branch");
    };
    let Some(rows) = rows.as_array() else {
        return ctx.malformed(SOURCE, path, "not a JSON array of CVE rows");
    };
    let ns = format!("photon:{branch}");
    let mut n = 0;
    for row in rows {
        let (Some(id), Some(pkg)) = (str_of(row, "cve_id"), str_of(row, "pkg")) else {
            ctx.malformed(SOURCE, path, "row without cve_id or pkg");
            continue;
        };
        let res = str_of(row, "res_ver").filter(|r| !r.is_empty() && r != "NA");
        let status = str_of(row, "status");
        let rule = match (status.as_deref(), res) {
            (Some("Not Affected"), _) => Some(Rule::Status(Status::NotAffected)),
            (None | Some("Fixed"), Some(v)) => Some(Rule::FixedIn(v)),
            (Some("Fixed"), None) => None,
            (None, None) => {
                ctx.malformed(
                    SOURCE,
                    path,
                    format!("{id} {pkg}: no res_ver and no status"),
                );
                continue;
            }
            (Some(_), _) => Some(Rule::Status(Status::Open)),
        };
        ctx.record(SOURCE);
        let adv = ctx.out.add_advisory(Advisory {
            id: id.clone(),
            aliases: Vec::new(),
            source: SOURCE.to_string(),
            severity: None,
            cvss: f64_of(row, "cve_score").map(|score| Cvss {
                score: Some(score),
                vector: None,
                source: SOURCE.to_string(),
            }),
            published: None,
            fix_date: None,
            description: String::new(),
            link: format!("https://github.com/vmware/photon/wiki/Security-Advisories-{branch}"),
        });
        if let Some(rule) = rule {
            ctx.out.add_entry(
                &ns,
                &pkg,
                Entry {
                    advisory: adv,
                    rule,
                    module: None,
                    note: None,
                },
            );
            n += 1;
        }
    }
    ctx.entries(SOURCE, n);
}
