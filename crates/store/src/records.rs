//! Rows that have no Prisma wire shape of their own.

use crate::state::{JobState, ScanKind, ScanState, SpecState};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRecord {
    pub username: String,
    /// argon2 PHC string; never the password.
    pub password_hash: String,
    pub role: String,
    pub created: String,
}

/// A scan run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScanRecord {
    pub id: i64,
    pub kind: ScanKind,
    pub state: ScanState,
    pub started: String,
    pub finished: Option<String>,
    /// The request as received (JSON).
    pub request: String,
}

/// One registry specification's part of a scan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScanSpecRecord {
    pub scan_id: i64,
    pub spec_id: String,
    /// The specification as it was when the scan started (JSON); empty when the part was
    /// stopped before its discovery began.
    pub spec: String,
    pub state: SpecState,
    pub repos_total: i64,
    pub repos_done: i64,
    pub error: String,
    pub started: String,
}

/// One image to scan within a scan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobRecord {
    pub id: i64,
    pub scan_id: i64,
    pub spec_id: String,
    pub registry: String,
    pub repo: String,
    pub tag: String,
    /// Manifest digest seen at discovery, empty when unknown.
    pub digest: String,
    pub created: Option<String>,
    pub state: JobState,
    /// Claims so far: each claim counts one, whether the try then ends or is retried.
    pub attempts: i64,
    pub error: String,
}

/// Counters of a scan's jobs, for progress.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct JobCounts {
    pub total: u64,
    pub pending: u64,
    pub running: u64,
    pub done: u64,
    pub failed: u64,
    pub cancelled: u64,
}

impl JobCounts {
    /// Counts `n` more jobs in `state` (one row of a `GROUP BY state` count, on any backend).
    pub fn add(&mut self, state: JobState, n: u64) {
        self.total += n;
        match state {
            JobState::Pending => self.pending += n,
            JobState::Running => self.running += n,
            JobState::Done => self.done += n,
            JobState::Failed => self.failed += n,
            JobState::Cancelled => self.cancelled += n,
        }
    }

    /// Jobs that reached an end state.
    pub fn finished(&self) -> u64 {
        self.done + self.failed + self.cancelled
    }
}

/// The stored result of one image (`registry/repo:tag`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageRecord {
    pub key: String,
    pub registry: String,
    pub repo: String,
    pub tag: String,
    pub manifest_digest: String,
    pub image_id: String,
    pub spec_id: String,
    pub scan_time: String,
    pub first_scan_time: String,
    /// Last time discovery saw the image in its registry.
    pub last_seen: String,
    pub vulns: i64,
    /// Build id of the vulnerability database the findings came from.
    pub db_version: String,
    /// The analyzer's inventory (JSON), kept so a new database re-matches without pulling.
    pub inventory: String,
    /// The `ImageScanResult` (JSON).
    pub result: String,
}

/// What decides whether a stored result is still current: the manifest it came from and the
/// database build its findings came from (read without the large inventory and result).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageVersion {
    pub manifest_digest: String,
    pub db_version: String,
}

/// A node's hold on a running job, as its claim gave it: the job, the holder, and the attempt
/// the claim counted. A lease that expired and was claimed again has a higher attempt (or
/// another owner), so an old holder's writes can be told apart and refused (fencing).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobLease {
    pub job_id: i64,
    pub owner: String,
    pub attempt: i64,
}

/// Filters and paging for stored images, as `GET /registry` takes them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImageQuery {
    pub keys: Vec<String>,
    pub image_ids: Vec<String>,
    pub registries: Vec<String>,
    pub repositories: Vec<String>,
    /// Full names `registry/repo:tag` (Docker Hub: `repo:tag`).
    pub names: Vec<String>,
    /// Substring of the name, case-insensitive.
    pub search: Option<String>,
    /// `name` (default), `scanTime`, `vulnerabilities`, `repository`, `registry`, `tag`.
    pub sort: String,
    pub reverse: bool,
    pub offset: u64,
    /// 0 = no limit.
    pub limit: u64,
}
