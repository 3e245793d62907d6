//! Read-only views for the web console that the Prisma API has no single call for: a slim row
//! per image with severity and fixable filters (`/ui/api/images`), one CVE across every stored
//! result (`/ui/api/vulnerability`, which takes `GET /registry`'s filters too) and the overview's totals (`/ui/api/summary`).
//!
//! Each reads the stored results through the same store query as `GET /registry`, a batch at a
//! time, taking one read turn per batch (as the CSV does) so that a page of the console never
//! holds up a running scan. Results are read with a narrow type that skips what it does not
//! need, so a row costs a scan of the stored text, not a full parse.

use crate::AppState;
use crate::body::QueryPairs;
use crate::error::{ApiError, ApiResult};
use crate::routes::registry::image_query;
use axum::Json;
use axum::extract::State;
use crowsnest_store::ImageQuery;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Stored results read per store call when a view walks through them.
const BATCH: u64 = 500;
/// Images one CVE view lists at most (the count goes on past it).
const MAX_CVE_IMAGES: usize = 1000;
/// Rows in each "top" list of the summary.
const TOP: usize = 8;

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct SlimTag {
    registry: String,
    repo: String,
    tag: String,
}

#[derive(Debug, Default, Deserialize, Serialize, Clone, Copy)]
#[serde(default)]
struct Counts {
    critical: u64,
    high: u64,
    medium: u64,
    low: u64,
    total: u64,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct SlimVuln {
    cve: String,
    severity: String,
    status: String,
    cvss: f64,
    package_name: String,
    package_version: String,
    link: String,
    description: String,
    risk_factors: BTreeMap<String, serde::de::IgnoredAny>,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct SlimResult {
    #[serde(rename = "_id")]
    id: String,
    repo_tag: SlimTag,
    distro: String,
    os_distro: String,
    scan_time: String,
    vulnerability_distribution: Counts,
    vulnerability_risk_score: f64,
    compliance_issues_count: u64,
    vulnerabilities: Option<Vec<SlimVuln>>,
    err: String,
}

impl SlimResult {
    fn fixable(&self) -> u64 {
        self.vulnerabilities
            .iter()
            .flatten()
            .filter(|v| v.status.starts_with("fixed"))
            .count() as u64
    }
}

/// One row of the Images table.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct ImageRow {
    key: String,
    id: String,
    registry: String,
    repo: String,
    tag: String,
    os: String,
    vulnerabilities: Counts,
    fixable: u64,
    risk_score: f64,
    compliance: u64,
    scan_time: String,
    err: String,
}

fn row(key: String, r: &SlimResult) -> ImageRow {
    ImageRow {
        key,
        id: r.id.clone(),
        registry: r.repo_tag.registry.clone(),
        repo: r.repo_tag.repo.clone(),
        tag: r.repo_tag.tag.clone(),
        os: if r.distro.is_empty() {
            r.os_distro.clone()
        } else {
            r.distro.clone()
        },
        vulnerabilities: r.vulnerability_distribution,
        fixable: r.fixable(),
        risk_score: r.vulnerability_risk_score,
        compliance: r.compliance_issues_count,
        scan_time: r.scan_time.clone(),
        err: r.err.clone(),
    }
}

/// A page of rows; `total` is exact when known (no severity or fixable filter, or the walk
/// reached the end), else `more` says whether there is a next page.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ImagePage {
    rows: Vec<ImageRow>,
    total: Option<u64>,
    more: bool,
}

/// The lowest severity an image must have a finding of.
fn min_severity(query: &QueryPairs) -> ApiResult<Option<u8>> {
    Ok(match query.get("severity").unwrap_or("") {
        "" => None,
        "critical" => Some(4),
        "high" => Some(3),
        "medium" => Some(2),
        "low" => Some(1),
        other => {
            return Err(ApiError::BadRequest(format!(
                "severity must be critical, high, medium or low, not {other:?}"
            )));
        }
    })
}

fn has_severity(c: &Counts, min: u8) -> bool {
    let at_least = [c.low, c.medium, c.high, c.critical];
    at_least[usize::from(min) - 1..].iter().any(|&n| n > 0)
}

fn parse(key: &str, text: &str) -> ApiResult<SlimResult> {
    serde_json::from_str(text).map_err(|e| ApiError::Internal(format!("stored result {key}: {e}")))
}

/// Walks the stored results of `q` (ignoring its paging) a batch at a time, calling `each`
/// until it returns false.
async fn walk(
    state: &AppState,
    mut q: ImageQuery,
    mut each: impl FnMut(String, SlimResult) -> bool,
) -> ApiResult<()> {
    q.offset = 0;
    q.limit = BATCH;
    loop {
        let turn = state
            .reads
            .acquire()
            .await
            .map_err(|_| ApiError::Internal("the Console is shutting down".into()))?;
        let (records, _) = state.store.images(&q).await?;
        drop(turn);
        let n = records.len() as u64;
        for rec in records {
            let r = parse(&rec.key, &rec.result)?;
            if !each(rec.key, r) {
                return Ok(());
            }
        }
        if n < q.limit {
            return Ok(());
        }
        q.offset += n;
    }
}

/// `GET /ui/api/images`: `GET /registry`'s filters, sort and paging, plus `severity` (has a
/// finding of at least this severity) and `fixable=true` (has a finding with a fix).
pub(crate) async fn images(
    State(state): State<AppState>,
    query: QueryPairs,
) -> ApiResult<Json<ImagePage>> {
    let q = image_query(&query, true)?;
    let min = min_severity(&query)?;
    let fixable = query.bool("fixable")?.unwrap_or(false);
    if min.is_none() && !fixable {
        let turn = state
            .reads
            .acquire()
            .await
            .map_err(|_| ApiError::Internal("the Console is shutting down".into()))?;
        let (records, total) = state.store.images(&q).await?;
        drop(turn);
        let mut rows = Vec::with_capacity(records.len());
        for rec in records {
            let r = parse(&rec.key, &rec.result)?;
            rows.push(row(rec.key, &r));
        }
        let more = q.offset + (rows.len() as u64) < total;
        return Ok(Json(ImagePage {
            rows,
            total: Some(total),
            more,
        }));
    }
    // Filtered: skip `offset` matches, keep `limit`, and look for one more to know whether a
    // next page exists. The store has no index on severities, so this walks in sort order.
    let (offset, limit) = (q.offset, q.limit as usize);
    let mut skipped = 0u64;
    let mut rows = vec![];
    let mut more = false;
    walk(&state, q, |key, r| {
        let keep = min.is_none_or(|m| has_severity(&r.vulnerability_distribution, m))
            && (!fixable || r.fixable() > 0);
        if !keep {
            return true;
        }
        if skipped < offset {
            skipped += 1;
            return true;
        }
        if rows.len() == limit {
            more = true;
            return false;
        }
        rows.push(row(key, &r));
        true
    })
    .await?;
    let total = (!more).then(|| offset + rows.len() as u64);
    Ok(Json(ImagePage { rows, total, more }))
}

/// One image carrying the CVE.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Carrier {
    key: String,
    registry: String,
    repo: String,
    tag: String,
    package: String,
    version: String,
    status: String,
    severity: String,
    cvss: f64,
}

#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CveView {
    cve: String,
    description: String,
    link: String,
    severity: String,
    cvss: f64,
    /// Images carrying it (all of them, though at most [`MAX_CVE_IMAGES`] are listed).
    image_count: u64,
    fixable_count: u64,
    images: Vec<Carrier>,
}

/// `GET /ui/api/vulnerability?cve=CVE-…`: which stored images carry this CVE, in which
/// package, and whether it is fixed there.
pub(crate) async fn vulnerability(
    State(state): State<AppState>,
    query: QueryPairs,
) -> ApiResult<Json<CveView>> {
    let id = query.get("cve").unwrap_or("").trim().to_string();
    if id.is_empty() || id.len() > 200 {
        return Err(ApiError::BadRequest(
            "cve must name a vulnerability (CVE-…, GHSA-…)".into(),
        ));
    }
    let mut view = CveView {
        cve: id.clone(),
        ..CveView::default()
    };
    let mut q = image_query(&query, false)?;
    q.sort = "name".into();
    walk(&state, q, |key, r| {
        let mut counted = false;
        for v in r.vulnerabilities.iter().flatten().filter(|v| v.cve == id) {
            if view.description.is_empty() {
                view.description = v.description.clone();
                view.link = v.link.clone();
                view.severity = v.severity.clone();
                view.cvss = v.cvss;
            }
            if !counted {
                counted = true;
                view.image_count += 1;
                if v.status.starts_with("fixed") {
                    view.fixable_count += 1;
                }
            }
            if view.images.len() < MAX_CVE_IMAGES {
                view.images.push(Carrier {
                    key: key.clone(),
                    registry: r.repo_tag.registry.clone(),
                    repo: r.repo_tag.repo.clone(),
                    tag: r.repo_tag.tag.clone(),
                    package: v.package_name.clone(),
                    version: v.package_version.clone(),
                    status: v.status.clone(),
                    severity: v.severity.clone(),
                    cvss: v.cvss,
                });
            }
        }
        true
    })
    .await?;
    if view.image_count == 0 {
        return Err(ApiError::NotFound(format!(
            "no stored image carries {id:?}"
        )));
    }
    Ok(Json(view))
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct CveCount {
    cve: String,
    severity: String,
    images: u64,
    kev: bool,
}

#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Summary {
    registries: u64,
    images: u64,
    scanned: u64,
    failed: u64,
    vulnerabilities: Counts,
    fixable: u64,
    top_images: Vec<ImageRow>,
    newest_images: Vec<ImageRow>,
    top_cves: Vec<CveCount>,
}

fn severity_rank(s: &str) -> u8 {
    match s {
        "critical" => 4,
        "high" => 3,
        "medium" | "moderate" => 2,
        "low" => 1,
        _ => 0,
    }
}

/// `GET /ui/api/summary`: the overview's totals, the images with the most critical findings,
/// the newest scans and the CVEs found in the most images (KEV-listed ones marked).
pub(crate) async fn summary(State(state): State<AppState>) -> ApiResult<Json<Summary>> {
    let mut s = Summary {
        registries: state.store.registry_settings().await?.specifications.len() as u64,
        ..Summary::default()
    };
    let mut top: Vec<(Counts, String, SlimResult)> = vec![];
    let mut newest: Vec<(String, String, SlimResult)> = vec![];
    let mut cves: std::collections::HashMap<String, (String, u64, bool)> = Default::default();
    walk(&state, ImageQuery::default(), |key, r| {
        s.images += 1;
        if r.err.is_empty() {
            s.scanned += 1;
        } else {
            s.failed += 1;
        }
        let d = r.vulnerability_distribution;
        s.vulnerabilities.critical += d.critical;
        s.vulnerabilities.high += d.high;
        s.vulnerabilities.medium += d.medium;
        s.vulnerabilities.low += d.low;
        s.vulnerabilities.total += d.total;
        s.fixable += r.fixable();
        let mut seen = std::collections::HashSet::new();
        for v in r.vulnerabilities.iter().flatten() {
            if seen.insert(v.cve.as_str()) {
                let e = cves
                    .entry(v.cve.clone())
                    .or_insert_with(|| (v.severity.clone(), 0, false));
                e.1 += 1;
                e.2 |= v.risk_factors.keys().any(|k| k.contains("exploit"));
            }
        }
        // Keep the lists short as we go (the walk may cover 100,000 results), without findings.
        let r = SlimResult {
            vulnerabilities: None,
            ..r
        };
        if d.critical + d.high > 0 {
            top.push((d, key.clone(), r.clone()));
            top.sort_by_key(|t| std::cmp::Reverse((t.0.critical, t.0.high)));
            top.truncate(TOP);
        }
        newest.push((r.scan_time.clone(), key, r));
        newest.sort_by(|a, b| b.0.cmp(&a.0));
        newest.truncate(TOP);
        true
    })
    .await?;
    s.top_images = top.iter().map(|(_, k, r)| row(k.clone(), r)).collect();
    s.newest_images = newest.iter().map(|(_, k, r)| row(k.clone(), r)).collect();
    let mut cves: Vec<CveCount> = cves
        .into_iter()
        .map(|(cve, (severity, images, kev))| CveCount {
            cve,
            severity,
            images,
            kev,
        })
        .collect();
    cves.sort_by(|a, b| {
        (b.kev, severity_rank(&b.severity), b.images)
            .cmp(&(a.kev, severity_rank(&a.severity), a.images))
            .then_with(|| a.cve.cmp(&b.cve))
    });
    cves.truncate(TOP);
    s.top_cves = cves;
    Ok(Json(s))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn severity_filter_counts_that_severity_and_above() {
        let c = Counts {
            high: 1,
            ..Counts::default()
        };
        assert!(has_severity(&c, 3));
        assert!(has_severity(&c, 1));
        assert!(!has_severity(&c, 4));
        assert!(!has_severity(&Counts::default(), 1));
    }
}
