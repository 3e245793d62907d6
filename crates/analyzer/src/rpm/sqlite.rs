//! rpm's SQLite backend (`rpmdb.sqlite`, rpm ≥ 4.16: Fedora 33+, RHEL 9, Amazon Linux 2023):
//! table `Packages(hnum, blob)` with one header blob per row. SQLite opens files, so the bytes
//! are written to a temp file in a private temp dir first, opened read-only and immutable, and
//! read with sqlx on a small current-thread runtime (callers are on blocking threads).

use super::header::{RpmHeader, parse_header};
use crate::error::ParseError;
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, Row};
use std::io::Write;

/// Lists and parses the header blobs of an rpm SQLite database.
pub fn parse_sqlite(data: &[u8]) -> Result<Vec<RpmHeader>, ParseError> {
    if !data.starts_with(b"SQLite format 3\0") {
        return Err(ParseError::WrongFormat("SQLite database"));
    }
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("rpmdb.sqlite");
    std::fs::File::create(&path)?.write_all(data)?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .map_err(|e| ParseError::Io(e.to_string()))?;
    let blobs: Vec<Vec<u8>> = rt.block_on(async {
        let mut conn = SqliteConnectOptions::new()
            .filename(&path)
            .read_only(true)
            .immutable(true)
            .connect()
            .await
            .map_err(|e| ParseError::malformed(format!("SQLite: {e}")))?;
        let has_table =
            sqlx::query("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'Packages'")
                .fetch_optional(&mut conn)
                .await
                .map_err(|e| ParseError::malformed(format!("SQLite: {e}")))?;
        if has_table.is_none() {
            return Err(ParseError::WrongFormat(
                "rpm SQLite database (no Packages table)",
            ));
        }
        // sqlx panics (on its worker thread) when a column's declared type is not UTF-8, so
        // the schema text is checked as bytes first; the CAST keeps this query's own column an
        // expression, which has no declared type.
        let schema =
            sqlx::query("SELECT CAST(sql AS BLOB) FROM sqlite_master WHERE sql IS NOT NULL")
                .fetch_all(&mut conn)
                .await
                .map_err(|e| ParseError::malformed(format!("SQLite: {e}")))?;
        for row in &schema {
            let sql: Vec<u8> = row
                .try_get(0)
                .map_err(|e| ParseError::malformed(format!("SQLite schema: {e}")))?;
            if std::str::from_utf8(&sql).is_err() {
                return Err(ParseError::malformed("SQLite schema is not UTF-8"));
            }
        }
        let rows = sqlx::query("SELECT blob FROM Packages ORDER BY hnum")
            .fetch_all(&mut conn)
            .await
            .map_err(|e| ParseError::malformed(format!("SQLite Packages: {e}")))?;
        rows.iter()
            .map(|r| {
                r.try_get::<Vec<u8>, _>(0)
                    .map_err(|e| ParseError::malformed(format!("SQLite blob: {e}")))
            })
            .collect()
    })?;
    blobs.iter().map(|b| parse_header(b)).collect()
}
