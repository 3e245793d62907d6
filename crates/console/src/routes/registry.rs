//! Scan control and results: `POST /registry/scan`, `/registry/scan/select`, `/registry/stop`,
//! `/registry/stop/{id}`, `GET /registry/progress`, `/statuses/registry`, `GET /registry` and
//! `/registry/names`. The work itself is the scan engine's; these handlers translate.

use crate::AppState;
use crate::body::{JsonBody, QueryPairs};
use crate::error::{ApiError, ApiResult};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use crowsnest_model::address::without_scheme;
use crowsnest_model::scan_result::{
    ImageScanResult, RegistryScanProgress, RegistryScanRequest, ScanStatus,
};
use crowsnest_scanner::ScanError;
use crowsnest_store::ImageQuery;

/// Prisma's page size limits for self-hosted Consoles.
const DEFAULT_LIMIT: u64 = 50;
const MAX_LIMIT: u64 = 250;

impl From<ScanError> for ApiError {
    fn from(e: ScanError) -> ApiError {
        match e {
            ScanError::Request(m) => ApiError::BadRequest(m),
            ScanError::Store(s) => s.into(),
            other => ApiError::Internal(other.to_string()),
        }
    }
}

pub(crate) async fn scan(
    State(state): State<AppState>,
    JsonBody(body): JsonBody<RegistryScanRequest>,
) -> ApiResult<()> {
    state.engine.request_scan(body).await?;
    Ok(())
}

pub(crate) async fn scan_select(
    State(state): State<AppState>,
    JsonBody(body): JsonBody<Vec<RegistryScanRequest>>,
) -> ApiResult<()> {
    let requests = body.ok_or_else(|| {
        ApiError::BadRequest("expected a JSON array of registry scan requests".into())
    })?;
    state.engine.request_select(requests).await?;
    Ok(())
}

pub(crate) async fn stop(State(state): State<AppState>) -> ApiResult<()> {
    state.engine.stop_regular().await?;
    Ok(())
}

pub(crate) async fn stop_spec(
    State(state): State<AppState>,
    Path((_version, id)): Path<(String, String)>,
) -> ApiResult<()> {
    let known = state
        .store
        .registry_settings()
        .await?
        .specifications
        .iter()
        .any(|s| s.id == id);
    if !known {
        return Err(ApiError::NotFound(format!(
            "registry specification {id:?} not found"
        )));
    }
    state.engine.stop_spec(&id).await?;
    Ok(())
}

pub(crate) async fn progress(
    State(state): State<AppState>,
    query: QueryPairs,
) -> ApiResult<Json<Vec<RegistryScanProgress>>> {
    let on_demand = query.bool("onDemand")?.unwrap_or(false);
    let repo = query.get("repo").unwrap_or("");
    let tag = query.get("tag").unwrap_or("");
    let digest = query.get("digest").unwrap_or("");
    if !on_demand
        && ["registry", "repo", "tag", "digest"]
            .iter()
            .any(|k| query.get(k).is_some_and(|v| !v.is_empty()))
    {
        return Err(ApiError::BadRequest(
            "registry, repo, tag and digest are for on-demand progress: add onDemand=true".into(),
        ));
    }
    if on_demand && (repo.is_empty() || (tag.is_empty() && digest.is_empty())) {
        return Err(ApiError::BadRequest(
            "on-demand progress needs repo and tag (or digest)".into(),
        ));
    }
    Ok(Json(
        state.engine.progress(on_demand, repo, tag, digest).await?,
    ))
}

pub(crate) async fn status(State(state): State<AppState>) -> ApiResult<Json<ScanStatus>> {
    Ok(Json(state.engine.status().await?))
}

/// The shared query parameters of `GET /registry`, `/registry/names` and `/registry/download`.
pub(crate) fn image_query(query: &QueryPairs, paged: bool) -> ApiResult<ImageQuery> {
    let limit = query.usize("limit")?.map(|l| l as u64);
    let limit = if paged {
        match limit {
            None | Some(0) => DEFAULT_LIMIT,
            Some(l) => l.min(MAX_LIMIT),
        }
    } else {
        limit.unwrap_or(0)
    };
    // Prisma's names may carry a scheme (`https://host/repo:tag`); ours never do.
    let names = query
        .all("name")
        .into_iter()
        .map(|n| without_scheme(&n).to_string())
        .collect();
    // Scripts pass an image id (`sha256:…`) in `id` too, where Prisma finds it.
    let (image_ids, keys): (Vec<String>, Vec<String>) = query
        .all("id")
        .into_iter()
        .partition(|id| id.starts_with("sha256:"));
    Ok(ImageQuery {
        keys,
        image_ids: [image_ids, query.all("imageID")].concat(),
        registries: query.all("registry"),
        repositories: query.all("repository"),
        names,
        search: query.get("search").map(str::to_string),
        sort: query.get("sort").unwrap_or("").to_string(),
        reverse: query.bool("reverse")?.unwrap_or(false),
        offset: query.usize("offset")?.unwrap_or(0) as u64,
        limit,
    })
}

/// Shapes one stored result as the query asks: `compact` keeps counts only; `layers` maps
/// vulnerabilities onto the history entries of the layers that introduced them.
pub(crate) fn shape(mut r: ImageScanResult, compact: bool, layers: bool) -> ImageScanResult {
    if layers && !compact {
        let vulns = r.vulnerabilities.clone().unwrap_or_default();
        for h in &mut r.history {
            h.vulnerabilities = Some(
                vulns
                    .iter()
                    .filter(|v| !h.empty_layer && v.function_layer == h.id)
                    .cloned()
                    .collect(),
            );
        }
    }
    if compact {
        r.vulnerabilities = None;
        r.compliance_issues = None;
        r.packages = Vec::new();
        r.history = Vec::new();
        r.image.history = Vec::new();
        r.image.env = Vec::new();
    }
    r
}

fn closed(_: tokio::sync::AcquireError) -> ApiError {
    ApiError::Internal("the Console is shutting down".into())
}

/// Whether a result is in scope of the `collections` query filter (empty: every result; a
/// result in `All` is in every collection).
fn in_collections(r: &ImageScanResult, collections: &[String]) -> bool {
    collections.is_empty()
        || r.collections
            .iter()
            .any(|c| c == "All" || collections.contains(c))
}

fn collections_filter(query: &QueryPairs) -> Vec<String> {
    query
        .all("collections")
        .into_iter()
        .filter(|c| c != "All")
        .collect()
}

pub(crate) async fn results(
    State(state): State<AppState>,
    query: QueryPairs,
) -> ApiResult<Response> {
    let q = image_query(&query, true)?;
    let compact = query.bool("compact")?.unwrap_or(false);
    let layers = query.bool("layers")?.unwrap_or(false);
    let collections = collections_filter(&query);
    let _turn = state.reads.acquire().await.map_err(closed)?;
    let (records, total) = state.store.images(&q).await?;
    let mut headers = HeaderMap::new();
    headers.insert("Total-Count", total.into());
    if !compact && !layers && collections.is_empty() {
        // The stored text is the serialized result, so the common full-result page is the
        // stored texts joined: parsing and re-serializing each one (tens of kilobytes with its
        // findings) would cost most of the request and, under load, CPU the scans need.
        let mut body =
            String::with_capacity(2 + records.iter().map(|r| r.result.len() + 1).sum::<usize>());
        body.push('[');
        for (i, rec) in records.iter().enumerate() {
            if i > 0 {
                body.push(',');
            }
            body.push_str(&rec.result);
        }
        body.push(']');
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        return Ok((headers, body).into_response());
    }
    let mut out = Vec::with_capacity(records.len());
    for rec in records {
        let r: ImageScanResult = serde_json::from_str(&rec.result)
            .map_err(|e| ApiError::Internal(format!("stored result {}: {e}", rec.key)))?;
        if !in_collections(&r, &collections) {
            continue;
        }
        out.push(shape(r, compact, layers));
    }
    Ok((headers, Json(out)).into_response())
}

/// `GET /registry/names`: every name, or one page of them with `Total-Count` (see
/// [`QueryPairs::page`]).
pub(crate) async fn names(
    State(state): State<AppState>,
    query: QueryPairs,
) -> ApiResult<(HeaderMap, Json<Vec<String>>)> {
    let mut q = image_query(&query, false)?;
    let page = query.page()?;
    if let Some(page) = page {
        q.offset = page.offset as u64;
        q.limit = page.limit as u64;
    }
    let _turn = state.reads.acquire().await.map_err(closed)?;
    let (records, total) = state.store.images(&q).await?;
    let mut headers = HeaderMap::new();
    if page.is_some() {
        headers.insert("Total-Count", total.into());
    }
    Ok((headers, Json(records.into_iter().map(|r| r.key).collect())))
}

/// A `Write` whose bytes the CSV task hands out chunk by chunk.
#[derive(Clone, Default)]
struct SharedBuffer(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for SharedBuffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl SharedBuffer {
    fn take(&self) -> Vec<u8> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(|p| p.into_inner()))
    }
}

/// Images read from the store per page while streaming the CSV.
const CSV_PAGE: u64 = 100;

/// `GET /registry/download`: the results as CSV, one row per vulnerability of one package of one
/// image. Streamed page by page: memory does not grow with the number of results.
pub(crate) async fn download(
    State(state): State<AppState>,
    query: QueryPairs,
) -> ApiResult<axum::response::Response> {
    use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
    use axum::response::IntoResponse;
    let mut q = image_query(&query, false)?;
    let collections = collections_filter(&query);
    let first_offset = q.offset;
    let overall_limit = q.limit;
    let buffer = SharedBuffer::default();
    let mut report = crowsnest_policy::CsvReport::new(buffer.clone())
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Vec<u8>, std::io::Error>>(4);
    let store = state.store.clone();
    let reads = state.reads.clone();
    tokio::spawn(async move {
        let _ = tx.send(Ok(buffer.take())).await;
        let mut sent: u64 = 0;
        q.offset = first_offset;
        loop {
            q.limit = if overall_limit > 0 {
                CSV_PAGE.min(overall_limit - sent)
            } else {
                CSV_PAGE
            };
            if q.limit == 0 {
                break;
            }
            // One turn per page, not per download, and the page's rows are handed over only
            // after the turn is given back: a slow client never holds a turn while it drains.
            let Ok(turn) = reads.acquire().await else {
                return;
            };
            let page = match store.images(&q).await {
                Ok((page, _)) => page,
                Err(e) => {
                    let _ = tx.send(Err(std::io::Error::other(e.to_string()))).await;
                    return;
                }
            };
            let n = page.len() as u64;
            for rec in page {
                let Ok(r) = serde_json::from_str::<ImageScanResult>(&rec.result) else {
                    continue;
                };
                if !in_collections(&r, &collections) {
                    continue;
                }
                if let Err(e) = report.write_image(&r).and_then(|_| report.flush()) {
                    let _ = tx.send(Err(std::io::Error::other(e.to_string()))).await;
                    return;
                }
            }
            drop(turn);
            // A client that went away ends the stream.
            if tx.send(Ok(buffer.take())).await.is_err() {
                return;
            }
            sent += n;
            if n < q.limit {
                break;
            }
            q.offset += n;
        }
    });
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    });
    Ok((
        [
            // Exactly `text/csv`: the vendor SDK compares the header whole and parses anything
            // else as JSON. The rows are UTF-8 (RFC 7111 makes the charset parameter optional).
            (CONTENT_TYPE, "text/csv"),
            (
                CONTENT_DISPOSITION,
                "attachment; filename=\"registry_report.csv\"",
            ),
        ],
        axum::body::Body::from_stream(stream),
    )
        .into_response())
}
