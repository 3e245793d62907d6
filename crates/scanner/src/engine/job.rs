//! One image job: take the cheapest path to a current result (untouched, re-matched from the
//! stored inventory, or pulled with only the unseen layers analysed), and decide what the job's
//! end state is. A registry that is restarting or rate limiting gets the image back in the queue
//! after a doubling wait, a bounded number of times; every other failure fails the image alone.

use super::Engine;
use super::spec_run::SpecConnection;
use crate::error::ScanError;
use crate::image::analyze_registry_image;
use crate::report::{StoredImage, image_key};
use crowsnest_model::spec::RegistrySpecification;
use crowsnest_store::{JobRecord, JobState, ScanRecord, ScanState, StoreError};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

impl Engine {
    pub(super) async fn scan_job(
        &self,
        scan: &ScanRecord,
        spec: &RegistrySpecification,
        conn: &SpecConnection,
        job: JobRecord,
        token: &CancellationToken,
    ) {
        let store = &self.inner.store;
        let outcome = self
            .with_heartbeat(&job, self.scan_image(scan, spec, conn, &job, token))
            .await;
        if let Err(e @ ScanError::LeaseLost { .. }) = &outcome {
            // The job is another node's now: its end is theirs to record.
            tracing::warn!(error = %e, job = job.id, "lease lost");
            return;
        }
        // A registry that is restarting or rate limiting: the image goes back in the queue,
        // due again after a doubling wait, a bounded number of times. The wait is kept in the
        // store (the job's not-before time), not slept here: the worker goes on with other
        // images, a stop cancels the waiting job like any other, and a restart keeps the wait.
        let retry = matches!(&outcome, Err(e) if e.is_transient())
            && job.attempts < i64::from(self.inner.config.image_attempts);
        let mut not_before = None;
        if retry && let Err(e) = &outcome {
            let wait = retry_wait(self.inner.config.image_retry_backoff, job.attempts);
            tracing::warn!(
                error = %e,
                attempt = job.attempts,
                wait_secs = wait.as_secs_f64(),
                "registry unreachable or busy; retrying the image after a wait"
            );
            let due = self.now() + jiff::SignedDuration::try_from(wait).unwrap_or_default();
            // Rounded up: the store keeps whole seconds, and the wait must not be cut short.
            not_before = Some(due.as_second() + i64::from(due.subsec_nanosecond() > 0));
        }
        let (state, error) = match &outcome {
            Ok(()) => (JobState::Done, String::new()),
            Err(e) if retry && e.is_transient() => {
                if self.spec_stopped(scan.id, &spec.id).await {
                    (JobState::Cancelled, String::new())
                } else {
                    (JobState::Pending, e.to_string())
                }
            }
            // Stopped by a user: cancelled. Interrupted by a shutdown while the scan still runs:
            // back to pending, so the next start picks it up again.
            Err(ScanError::Cancelled { .. }) => {
                let still_running = matches!(store.scan(scan.id).await, Ok(Some(s)) if s.state == ScanState::Running);
                if still_running && !self.spec_stopped(scan.id, &spec.id).await {
                    (JobState::Pending, String::new())
                } else {
                    (JobState::Cancelled, String::new())
                }
            }
            Err(e) => (JobState::Failed, e.to_string()),
        };
        if state == JobState::Failed {
            tracing::warn!(error = %error, "image scan failed");
            self.record_error(&error).await;
        }
        if let Err(e) = store.finish_job(job.id, state, &error, not_before).await {
            tracing::error!(job = job.id, error = %e, "cannot record the job's end");
        }
    }

    /// Runs `work` while renewing the job's lease every third of the lease period, when other
    /// nodes share the store (on a single node nobody takes leases over while it runs).
    async fn with_heartbeat<T>(
        &self,
        job: &JobRecord,
        work: impl std::future::Future<Output = T>,
    ) -> T {
        if self.inner.config.single_node {
            return work.await;
        }
        let lease = self.inner.config.lease;
        let period = (lease / 3).max(Duration::from_millis(100));
        tokio::pin!(work);
        loop {
            tokio::select! {
                out = &mut work => return out,
                _ = tokio::time::sleep(period) => {
                    let until = self.now()
                        + jiff::SignedDuration::try_from(lease).unwrap_or_default();
                    let renewed = self
                        .store()
                        .renew_leases(&self.inner.config.node, &[job.id], until.as_second())
                        .await;
                    match renewed {
                        Ok(ids) if ids.is_empty() => {
                            tracing::warn!(job = job.id, "lease not renewed: the job was taken over or ended")
                        }
                        Ok(_) => {}
                        Err(e) => tracing::warn!(job = job.id, error = %e, "cannot renew the job's lease"),
                    }
                }
            }
        }
    }

    async fn scan_image(
        &self,
        scan: &ScanRecord,
        spec: &RegistrySpecification,
        conn: &SpecConnection,
        job: &JobRecord,
        token: &CancellationToken,
    ) -> Result<(), ScanError> {
        let store = &self.inner.store;
        let key = image_key(spec.address().key(), &job.repo, &job.tag);
        // Most images of a rescan are unchanged: decide that from two short columns, and read
        // the stored inventory and result (tens of kilobytes each) only when they are needed.
        let version = store.image_version(&key).await?;
        let db = self.db();
        let db_version = self.db_version();
        let unchanged = version
            .as_ref()
            .is_some_and(|v| !job.digest.is_empty() && v.manifest_digest == job.digest);
        if unchanged && version.as_ref().is_some_and(|v| v.db_version == db_version) {
            store
                .touch_images(std::slice::from_ref(&key), &self.now().to_string())
                .await?;
            return Ok(());
        }
        let previous = match version {
            Some(_) => store.image(&key).await?,
            None => None,
        };
        if let Some(prev) = &previous
            && unchanged
        {
            let stored: StoredImage =
                serde_json::from_str(&prev.inventory).map_err(StoreError::from)?;
            return self
                .store_result(
                    scan,
                    spec,
                    job,
                    stored,
                    previous.as_ref(),
                    db.as_deref(),
                    0,
                    0,
                )
                .await;
        }
        let started = std::time::Instant::now();
        let reference = if job.digest.is_empty() {
            job.tag.as_str()
        } else {
            job.digest.as_str()
        };
        // Every network wait of the pull ends when the scan is stopped, not only the analysis.
        let analyzed = tokio::select! {
            r = analyze_registry_image(
                conn.client(),
                &job.repo,
                reference,
                conn.platform,
                &self.inner.analyzer,
                &self.inner.cache,
                token,
            ) => r?,
            _ = token.cancelled() => return Err(ScanError::Cancelled { image: key }),
        };
        if token.is_cancelled() {
            return Err(ScanError::Cancelled { image: key });
        }
        let pull_ms = analyzed.pull.as_millis() as i64;
        let stored = StoredImage {
            manifest_digest: analyzed.manifest_digest,
            image_id: analyzed.image_id,
            layers: analyzed.layers,
            diff_ids: analyzed.diff_ids,
            created: analyzed.created.map(|c| c.to_string()),
            os: analyzed.os,
            architecture: analyzed.architecture,
            inventory: analyzed.inventory,
        };
        self.store_result(
            scan,
            spec,
            job,
            stored,
            previous.as_ref(),
            db.as_deref(),
            started.elapsed().as_millis() as i64,
            pull_ms,
        )
        .await
    }
}

/// The wait after an image's `attempt`-th try failed transiently: the backoff doubled for each
/// earlier try, capped at a minute.
fn retry_wait(backoff: Duration, attempt: i64) -> Duration {
    let doublings = u32::try_from(attempt.saturating_sub(1))
        .unwrap_or(0)
        .min(16);
    backoff
        .saturating_mul(1u32 << doublings)
        .min(Duration::from_secs(60))
}
