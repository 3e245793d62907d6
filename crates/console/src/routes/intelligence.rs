//! `GET /statuses/intelligence`: the state of the vulnerability data, in the shape Prisma gives
//! its Intelligence Stream status. Public scripts read it first and stop when it is missing or
//! disconnected. Crowsnest's "stream" is the local vulnerability database: it is connected when
//! the database can be read, and its last update is the database's build time. Counts of what
//! the database holds ride along under `vulnerabilityDatabase`.

use crate::AppState;
use crate::clock::rfc3339;
use crate::error::{ApiError, ApiResult};
use axum::Json;
use axum::extract::State;
use crowsnest_vulndb::{Database, DbStatus};
use serde_json::{Value, json};
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::SystemTime;

/// The last status read, with the file's modification time: reading it means reading the
/// whole database file, so it is read again only when the file changed.
static CACHE: Mutex<Option<(PathBuf, SystemTime, Value)>> = Mutex::new(None);

pub(crate) async fn status(State(state): State<AppState>) -> ApiResult<Json<Value>> {
    let path = crowsnest_vulndb::default_path(&state.config.data_dir);
    let body = tokio::task::spawn_blocking(move || read(path))
        .await
        .map_err(|e| ApiError::Internal(format!("reading the database status: {e}")))?;
    Ok(Json(body))
}

fn read(path: PathBuf) -> Value {
    let mtime = std::fs::metadata(&path).and_then(|m| m.modified()).ok();
    let mut cache = CACHE.lock().unwrap_or_else(|p| p.into_inner());
    if let (Some(mtime), Some((p, t, body))) = (mtime, cache.as_ref())
        && *p == path
        && *t == mtime
    {
        return body.clone();
    }
    let body = match Database::read_status(&path) {
        Ok(status) => connected(&status),
        Err(e) => disconnected(&e.to_string()),
    };
    match mtime {
        Some(mtime) => *cache = Some((path, mtime, body.clone())),
        None => *cache = None,
    }
    body
}

fn time(unix: i64) -> String {
    jiff::Timestamp::from_second(unix)
        .map(rfc3339)
        .unwrap_or_else(|_| crowsnest_model::spec::UNSET_TIME.to_string())
}

fn connected(status: &DbStatus) -> Value {
    let built = time(status.built_at);
    let sources: serde_json::Map<String, Value> = status
        .sources
        .iter()
        .map(|(name, s)| {
            (
                name.clone(),
                json!({
                    "records": s.records,
                    "entries": s.entries,
                    "newest": s.newest.map(time),
                }),
            )
        })
        .collect();
    json!({
        "_id": "intelligence",
        "type": "intelligence",
        "lastModified": built,
        "intelligence": {
            "connected": true,
            "lastUpdate": built,
            "address": "local vulnerability database",
            "error": "",
        },
        "vulnerabilityDatabase": {
            "builtAt": built,
            "advisories": status.advisories,
            "entries": status.entries,
            "namespaces": status.namespaces.len(),
            "malformed": status.malformed,
            "sources": sources,
        },
    })
}

fn disconnected(error: &str) -> Value {
    let never = crowsnest_model::spec::UNSET_TIME;
    json!({
        "_id": "intelligence",
        "type": "intelligence",
        "lastModified": never,
        "intelligence": {
            "connected": false,
            "lastUpdate": never,
            "address": "local vulnerability database",
            "error": format!("no usable vulnerability database ({error}): start with --feeds DIR or run `crowsnest db import`"),
        },
    })
}
