//! The scan queue: scans, each registry specification's part of a scan, the jobs (one image
//! each) that nodes claim under leases, and the recent scan errors.
//!
//! Everything a scan's progress depends on is here rather than in one process's memory, so a
//! restart resumes where it stopped and several processes can share one queue: a stopped
//! specification stays stopped, a retry waits for its time in the job row, and an on-demand
//! scan's final progress is reported once.

use crate::{
    JobCounts, JobRecord, JobState, Result, ScanKind, ScanRecord, ScanSpecRecord, ScanState,
};

#[async_trait::async_trait]
pub trait ScanQueue: Send + Sync + 'static {
    /// Creates a running scan. Creating a regular scan while another regular scan runs is a
    /// [`StoreError::Conflict`](crate::StoreError::Conflict); on-demand scans run beside it.
    async fn create_scan(&self, kind: ScanKind, request: &str, now: &str) -> Result<ScanRecord>;
    async fn scan(&self, id: i64) -> Result<Option<ScanRecord>>;
    /// Scans in a state, oldest first.
    async fn scans_in_state(&self, state: ScanState) -> Result<Vec<ScanRecord>>;
    /// The newest scan of a kind.
    async fn latest_scan(&self, kind: ScanKind) -> Result<Option<ScanRecord>>;
    /// Moves a running scan to `state` (an end state); false if it was not running.
    async fn finish_scan(&self, id: i64, state: ScanState, now: &str) -> Result<bool>;
    /// Records that a scan's final progress was reported: true the first time only (an
    /// on-demand scan's finished progress is shown once, then `[]`). False for an unknown scan.
    async fn mark_progress_reported(&self, scan_id: i64) -> Result<bool>;

    /// Creates or updates one specification's record of a scan. A record that was stopped
    /// stays stopped whatever state is written (its other fields are updated); the result is
    /// false then, true when the record now has `record.state`.
    async fn put_scan_spec(&self, record: &ScanSpecRecord) -> Result<bool>;
    /// The specification records of a scan, in the order they were first written.
    async fn scan_specs(&self, scan_id: i64) -> Result<Vec<ScanSpecRecord>>;
    /// Stops one specification's part of a scan, atomically: its record becomes `stopped`
    /// (created with an empty `spec` and `started = now` if discovery had not begun) and its
    /// pending and running jobs are cancelled; how many jobs were cancelled.
    /// [`StoreError::NotFound`](crate::StoreError::NotFound) if the scan does not exist.
    async fn stop_scan_spec(&self, scan_id: i64, spec_id: &str, now: &str) -> Result<u64>;
    /// True if the specification's part of the scan was stopped.
    async fn scan_spec_stopped(&self, scan_id: i64, spec_id: &str) -> Result<bool>;

    /// Adds pending jobs, skipping any the scan already has for the same spec and image (their
    /// `id`, `state`, `attempts` and `error` are ignored); how many were new.
    async fn insert_jobs(&self, jobs: &[JobRecord]) -> Result<u64>;
    /// Takes up to `limit` pending jobs of one spec for `owner` until `lease_until`, lowest id
    /// first, skipping jobs whose retry time is after `now` (Unix seconds both). Each claim
    /// counts one attempt. Atomic: two owners never get the same job.
    async fn claim_jobs(
        &self,
        scan_id: i64,
        spec_id: &str,
        owner: &str,
        now: i64,
        lease_until: i64,
        limit: u64,
    ) -> Result<Vec<JobRecord>>;
    /// Ends a job's try. `Done`, `Failed` and `Cancelled` are final and always recorded.
    /// `Pending` returns a running job to the queue for a retry, claimable again from
    /// `not_before` (Unix seconds; `None`: at once); a job that is no longer running (cancelled
    /// by a stop meanwhile) is left as it is. `Running` is refused with
    /// [`StoreError::Conflict`](crate::StoreError::Conflict). True if the job changed.
    async fn finish_job(
        &self,
        job_id: i64,
        state: JobState,
        error: &str,
        not_before: Option<i64>,
    ) -> Result<bool>;
    /// Whether this store handle is (or has just become) the scheduler of everything the store
    /// holds: periodic scans, discovery, the end of scans. One process on a store nobody shares
    /// (SQLite) always is. On a shared store (PostgreSQL) one handle at a time is: it holds a
    /// session lock that the server releases the moment its connection ends, so when the
    /// leading Console dies another takes over at its next call.
    async fn try_lead(&self) -> Result<bool>;
    /// Extends the leases `owner` holds on running jobs to `lease_until` (a worker's
    /// heartbeat); the ids whose lease it still held and extended, ascending.
    async fn renew_leases(
        &self,
        owner: &str,
        job_ids: &[i64],
        lease_until: i64,
    ) -> Result<Vec<i64>>;
    /// Returns running jobs whose lease ended before `now` to pending; how many. The attempt
    /// their claim counted is given back: the job did not fail, its holder went away (a killed
    /// Console), and a restart must not use up an image's tries.
    async fn release_expired_leases(&self, now: i64) -> Result<u64>;
    /// Cancels the pending and running jobs of a scan (of one spec when given); how many.
    async fn cancel_jobs(&self, scan_id: i64, spec_id: Option<&str>) -> Result<u64>;
    async fn job_counts(&self, scan_id: i64, spec_id: Option<&str>) -> Result<JobCounts>;
    /// [`job_counts`](Self::job_counts) of every specification of a scan at once (one query,
    /// for progress views over thousands of specifications); a spec without jobs is absent.
    async fn job_counts_by_spec(
        &self,
        scan_id: i64,
    ) -> Result<std::collections::HashMap<String, JobCounts>>;
    /// Every job of a scan, by id.
    async fn jobs(&self, scan_id: i64) -> Result<Vec<JobRecord>>;

    /// Remembers a scan error, keeping the last `keep`.
    async fn push_scan_error(&self, now: &str, message: &str, keep: u64) -> Result<()>;
    /// The most recent errors, newest first.
    async fn scan_errors(&self, limit: u64) -> Result<Vec<String>>;
}
