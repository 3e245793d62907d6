//! Enrichment feeds, keyed by CVE: NVD CVE API 2.0 pages (CVSS score and vector: the NVD's own
//! "Primary" v3.x metric, else a CNA's v3.x, else v2, else v4), CISA KEV (in-the-wild
//! exploitation) and FIRST EPSS CSV (exploit probability). They add facts to findings; they
//! never create one.

use super::{Ctx, f64_of, str_of};
use crate::record::Cvss;
use serde_json::Value;

pub(super) fn import_nvd(ctx: &mut Ctx<'_>, path: &str, v: &Value) {
    const SOURCE: &str = "nvd";
    let Some(list) = v.get("vulnerabilities").and_then(Value::as_array) else {
        return ctx.malformed(SOURCE, path, "no vulnerabilities array");
    };
    for item in list {
        let Some(cve) = item.get("cve") else {
            ctx.malformed(SOURCE, path, "item without cve");
            continue;
        };
        let Some(id) = str_of(cve, "id") else {
            ctx.malformed(SOURCE, path, "cve without id");
            continue;
        };
        if str_of(cve, "vulnStatus").as_deref() == Some("Rejected") {
            ctx.withdrawn(SOURCE);
            ctx.out.reject(&id);
            continue;
        }
        // NVD's own ("Primary") v3.x metric first, then a CNA's v3.x, then v2, then v4.
        let metric = |key: &str, primary: bool| -> Option<Cvss> {
            let metrics = cve.get("metrics")?.get(key)?.as_array()?;
            let m = if primary {
                metrics
                    .iter()
                    .find(|m| str_of(m, "type").as_deref() == Some("Primary"))?
            } else {
                metrics.first()?
            };
            let data = m.get("cvssData")?;
            Some(Cvss {
                score: f64_of(data, "baseScore"),
                vector: str_of(data, "vectorString"),
                source: SOURCE.to_string(),
            })
        };
        let best = metric("cvssMetricV31", true)
            .or_else(|| metric("cvssMetricV30", true))
            .or_else(|| metric("cvssMetricV31", false))
            .or_else(|| metric("cvssMetricV30", false))
            .or_else(|| metric("cvssMetricV2", true))
            .or_else(|| metric("cvssMetricV2", false))
            .or_else(|| metric("cvssMetricV40", false));
        let published = str_of(cve, "published").and_then(|d| crate::date::parse(&d));
        let modified = str_of(cve, "lastModified").and_then(|d| crate::date::parse(&d));
        ctx.record(SOURCE);
        ctx.date(SOURCE, modified.or(published));
        let e = ctx.out.enrich(&id);
        e.nvd = best;
        e.nvd_published = published;
        ctx.entries(SOURCE, 1);
    }
}

pub(super) fn import_kev(ctx: &mut Ctx<'_>, path: &str, v: &Value) {
    const SOURCE: &str = "cisa-kev";
    let released = str_of(v, "dateReleased").and_then(|d| crate::date::parse(&d));
    ctx.date(SOURCE, released);
    for item in v
        .get("vulnerabilities")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let Some(id) = str_of(item, "cveID").filter(|c| c.starts_with("CVE-")) else {
            ctx.malformed(SOURCE, path, "entry without cveID");
            continue;
        };
        let added = str_of(item, "dateAdded").and_then(|d| crate::date::parse(&d));
        ctx.record(SOURCE);
        ctx.out.enrich(&id).kev_added = Some(added.unwrap_or(0));
        ctx.entries(SOURCE, 1);
    }
}

pub(super) fn import_epss(ctx: &mut Ctx<'_>, path: &str, bytes: &[u8]) {
    const SOURCE: &str = "epss";
    let text = String::from_utf8_lossy(bytes);
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if let Some(meta) = line.strip_prefix('#') {
            // `#model_version:v2023.03.01,score_date:2024-10-25T00:00:00+0000`
            if let Some(d) = meta.split(',').find_map(|p| p.strip_prefix("score_date:")) {
                ctx.date(SOURCE, crate::date::parse(d));
            }
            continue;
        }
        if line.is_empty() || line.starts_with("cve,") {
            continue;
        }
        let mut cols = line.split(',');
        let (Some(cve), Some(score), pct) = (cols.next(), cols.next(), cols.next()) else {
            ctx.malformed(SOURCE, path, format!("line {}: too few columns", n + 1));
            continue;
        };
        let Ok(score) = score.trim().parse::<f64>() else {
            ctx.malformed(SOURCE, path, format!("line {}: bad score {score:?}", n + 1));
            continue;
        };
        if !cve.starts_with("CVE-") || !(0.0..=1.0).contains(&score) {
            ctx.malformed(SOURCE, path, format!("line {}: bad row", n + 1));
            continue;
        }
        ctx.record(SOURCE);
        let e = ctx.out.enrich(cve);
        e.epss = Some(score);
        e.epss_percentile = pct.and_then(|p| p.trim().parse().ok());
        ctx.entries(SOURCE, 1);
    }
}
