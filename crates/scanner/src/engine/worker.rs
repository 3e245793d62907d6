//! A worker node (`crowsnest worker`): claims image jobs of every running scan from the shared
//! store and scans them, up to its concurrency, with its own copy of the vulnerability database.
//! It schedules nothing: discovery, the end of specifications and scans, periodic scans and
//! re-matching after a database change are the Consoles' work.
//!
//! Jobs are claimed with a lease that [`Engine::scan_job`] renews while the image is scanned;
//! results are stored only while the lease holds. On shutdown the worker claims nothing more,
//! lets the images in hand finish for a grace period, and then cancels them: a cancelled job of
//! a scan still running goes back to the queue for another node.

use super::Engine;
use super::spec_run::SpecConnection;
use crate::error::ScanError;
use crowsnest_model::spec::RegistrySpecification;
use crowsnest_store::{ScanState, SpecState};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;

/// How a worker node runs.
#[derive(Debug, Clone)]
pub struct WorkerOptions {
    /// Images scanned at once.
    pub concurrency: usize,
    /// After a shutdown request, how long images in hand may take before they are cancelled
    /// (and returned to the queue).
    pub grace: Duration,
    /// How often the store is asked for new jobs when there were none.
    pub poll: Duration,
}

impl Default for WorkerOptions {
    fn default() -> WorkerOptions {
        WorkerOptions {
            concurrency: 4,
            grace: Duration::from_secs(30),
            poll: Duration::from_secs(1),
        }
    }
}

/// What a worker knows of one specification of one running scan.
struct Assignment {
    scan: crowsnest_store::ScanRecord,
    spec: RegistrySpecification,
    conn: SpecConnection,
}

impl Engine {
    /// Runs as a worker node until `shutdown` is cancelled, then drains (see the module docs).
    /// Returns how many jobs this node ran.
    pub async fn run_worker(self, options: WorkerOptions, shutdown: CancellationToken) -> u64 {
        let slots = Arc::new(Semaphore::new(options.concurrency.max(1)));
        // Cancels the images in hand once the grace period after shutdown is over.
        let jobs_token = CancellationToken::new();
        let mut tasks = tokio::task::JoinSet::new();
        let mut assignments: HashMap<(i64, String), Arc<Assignment>> = HashMap::new();
        let mut ran = 0u64;
        while !shutdown.is_cancelled() {
            self.reload_db_if_replaced();
            let claimed = match self
                .claim_round(&slots, &mut assignments, &mut tasks, &jobs_token)
                .await
            {
                Ok(n) => n,
                Err(e) => {
                    tracing::error!(error = %e, "worker: cannot claim jobs");
                    0
                }
            };
            ran += claimed;
            while tasks.try_join_next().is_some() {}
            if claimed > 0 && slots.available_permits() > 0 {
                continue;
            }
            // Wait for a free slot, new work, or the end.
            tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = tasks.join_next(), if !tasks.is_empty() => {}
                _ = tokio::time::sleep(options.poll) => {}
            }
        }
        tracing::info!(
            jobs = tasks.len(),
            "worker stopping: finishing the images in hand"
        );
        let drained = tokio::time::timeout(options.grace, async {
            while tasks.join_next().await.is_some() {}
        })
        .await;
        if drained.is_err() {
            tracing::warn!("grace period over: returning the unfinished images to the queue");
            jobs_token.cancel();
            while tasks.join_next().await.is_some() {}
        }
        ran
    }

    /// Claims jobs for every free slot across the running scans' scanning specifications and
    /// starts them; how many.
    async fn claim_round(
        &self,
        slots: &Arc<Semaphore>,
        assignments: &mut HashMap<(i64, String), Arc<Assignment>>,
        tasks: &mut tokio::task::JoinSet<()>,
        jobs_token: &CancellationToken,
    ) -> Result<u64, ScanError> {
        let mut claimed = 0;
        let scans = self.store().scans_in_state(ScanState::Running).await?;
        assignments.retain(|(scan, _), _| scans.iter().any(|s| s.id == *scan));
        for scan in scans {
            for record in self.store().scan_specs(scan.id).await? {
                if record.state != SpecState::Scanning || slots.available_permits() == 0 {
                    continue;
                }
                let key = (scan.id, record.spec_id.clone());
                let assignment = match assignments.get(&key) {
                    Some(a) => a.clone(),
                    None => {
                        let spec: RegistrySpecification = serde_json::from_str(&record.spec)
                            .map_err(|e| {
                                ScanError::Request(format!(
                                    "stored specification {}: {e}",
                                    record.spec_id
                                ))
                            })?;
                        let conn = match self.connect(&spec).await {
                            Ok(c) => c,
                            Err(e) => {
                                // The scheduling Console connects too and fails the
                                // specification; a worker only says why it cannot help.
                                tracing::warn!(spec = %spec.id, error = %e, "worker cannot connect");
                                continue;
                            }
                        };
                        let a = Arc::new(Assignment {
                            scan: scan.clone(),
                            spec,
                            conn,
                        });
                        assignments.insert(key, a.clone());
                        a
                    }
                };
                while let Ok(permit) = slots.clone().try_acquire_owned() {
                    let Some(job) = self.claim_job(&assignment.scan, &assignment.spec).await?
                    else {
                        break;
                    };
                    claimed += 1;
                    let engine = self.clone();
                    let assignment = assignment.clone();
                    let token = jobs_token.clone();
                    tasks.spawn(async move {
                        let a = &assignment;
                        engine
                            .scan_job(&a.scan, &a.spec, &a.conn, job, &token)
                            .await;
                        drop(permit);
                    });
                }
            }
        }
        Ok(claimed)
    }
}
