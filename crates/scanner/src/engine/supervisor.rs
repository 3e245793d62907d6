//! The supervisor: what keeps scans moving. [`Engine::run`] is the service loop (periodic scans,
//! database reloads and re-matching, one task per running scan with its specifications and
//! workers in parallel). [`Engine::step`] does the same work one unit at a time and returns what
//! it did, so tests drive the engine deterministically with a manual clock instead of waiting.
//! Both call the same pieces: [`Engine::discover_spec`], [`Engine::scan_job`],
//! [`Engine::finish_spec`], [`Engine::complete_scan`].

use super::control::ScanPlan;
use super::{Engine, lock};
use crate::error::ScanError;
use crowsnest_store::{ScanKind, ScanRecord, ScanState, SpecState};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// What one [`Engine::step`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Nothing to do now: no running scan, or every open job waits for its retry time or
    /// belongs to another node.
    Idle,
    /// A new vulnerability database was picked up and this many stored results re-matched.
    Rematched(u64),
    /// A specification's images became jobs (or its discovery failed, which fails it).
    Discovered { scan: i64, spec: String },
    /// One image job ran to an end state, or back to pending for a retry.
    Scanned { scan: i64, job: i64 },
    /// A specification has no open job left.
    SpecFinished { scan: i64, spec: String },
    /// A scan ended (completed, or failed when its plan cannot be read).
    ScanFinished { scan: i64 },
}

/// What [`Engine::step`] found in one scan.
enum ScanWork {
    Did(Step),
    /// Open jobs remain, none of them claimable now (waiting for a retry, or another node's).
    Waiting,
    /// Every specification of the scan has ended.
    Ended,
}

impl Engine {
    /// Runs the supervisor until `shutdown` is cancelled.
    pub async fn run(self, shutdown: CancellationToken) {
        if let Err(e) = self.recover().await {
            tracing::error!(error = %e, "cannot release old leases");
        }
        // On a shared store, scanning is a worker loop on every node that scans at all (the
        // same one `crowsnest worker` runs), and scheduling is the leader's alone.
        let cluster = !self.inner.config.single_node;
        if cluster && self.inner.config.local_workers {
            let options = super::WorkerOptions {
                concurrency: self.inner.config.parallel_specs.max(1)
                    * self.inner.config.default_scanners.max(1),
                ..super::WorkerOptions::default()
            };
            tokio::spawn(self.clone().run_worker(options, shutdown.child_token()));
        }
        let mut leading = false;
        loop {
            let leads = match self.store().try_lead().await {
                Ok(l) => l,
                Err(e) => {
                    tracing::error!(error = %e, "cannot tell whether this node schedules");
                    false
                }
            };
            if leads != leading && cluster {
                tracing::info!(leader = leads, node = %self.inner.config.node, "scheduler role changed");
            }
            if !leads && leading {
                // Lost the lead (its session broke): the new leader takes the scans over.
                for token in lock(&self.inner.running).values() {
                    token.cancel();
                }
            }
            leading = leads;
            if leads {
                if let Err(e) = self.housekeeping().await {
                    tracing::error!(error = %e, "scan supervisor");
                }
                if let Err(e) = self.spawn_running_scans(&shutdown).await {
                    tracing::error!(error = %e, "scan supervisor");
                }
            }
            tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = self.inner.wake.notified() => {},
                _ = tokio::time::sleep(Duration::from_secs(1)) => {},
            }
        }
        // Leave running scans as they are: the next start resumes them.
        for token in lock(&self.inner.running).values() {
            token.cancel();
        }
    }

    /// Takes back what an earlier process left half-done. On a store no other node shares,
    /// every job still marked running is this node's leftover from before a kill: it goes back
    /// to pending at once instead of waiting for its lease. [`Engine::run`] calls it first;
    /// tests that drive [`Engine::step`] call it after a simulated kill. Returns how many jobs.
    pub async fn recover(&self) -> Result<u64, ScanError> {
        if !self.inner.config.single_node {
            return Ok(0);
        }
        let n = self.store().release_expired_leases(i64::MAX).await?;
        if n > 0 {
            tracing::info!(jobs = n, "resuming jobs an earlier run left unfinished");
        }
        Ok(n)
    }

    /// Work that does not belong to one scan: expired leases of other nodes, the periodic
    /// scan, a database replaced on disk, and re-matching after a database change. Returns how
    /// many results were re-matched.
    async fn housekeeping(&self) -> Result<u64, ScanError> {
        if !self.inner.config.single_node {
            self.store()
                .release_expired_leases(self.now().as_second())
                .await?;
        }
        if self.periodic_scan_due().await?
            && let Err(e) = self.request_scan(None).await
        {
            tracing::error!(error = %e, "cannot start the periodic scan");
        }
        self.reload_db_if_replaced();
        let version = self.db_version();
        if version.is_empty() || *lock(&self.inner.rematched) == version {
            return Ok(0);
        }
        let n = self.rematch_all().await?;
        if n > 0 {
            tracing::info!(
                images = n,
                "re-matched stored inventories against the new vulnerability database"
            );
        }
        *lock(&self.inner.rematched) = version;
        Ok(n)
    }

    /// True when the last regular scan ended at least one period ago. The first regular scan
    /// is the user's to start.
    async fn periodic_scan_due(&self) -> Result<bool, ScanError> {
        let Some(period) = self.inner.config.periodic else {
            return Ok(false);
        };
        Ok(match self.store().latest_scan(ScanKind::Regular).await? {
            None => false,
            Some(last) if last.state == ScanState::Running => false,
            Some(last) => last.started.parse::<jiff::Timestamp>().is_ok_and(|t| {
                self.now().duration_since(t)
                    >= jiff::SignedDuration::try_from(period).unwrap_or(jiff::SignedDuration::MAX)
            }),
        })
    }

    /// Starts a task for every running scan this node is not yet working on.
    async fn spawn_running_scans(&self, shutdown: &CancellationToken) -> Result<(), ScanError> {
        for scan in self.store().scans_in_state(ScanState::Running).await? {
            let token = {
                let mut running = lock(&self.inner.running);
                if running.contains_key(&scan.id) {
                    continue;
                }
                let token = shutdown.child_token();
                running.insert(scan.id, token.clone());
                token
            };
            let engine = self.clone();
            tokio::spawn(async move {
                let id = scan.id;
                if let Err(e) = engine.run_scan(scan, token).await {
                    engine.fail_scan(id, &e).await;
                }
                lock(&engine.inner.running).remove(&id);
            });
        }
        Ok(())
    }

    /// Ends a scan that cannot go on, and says why in the status.
    async fn fail_scan(&self, id: i64, error: &ScanError) {
        tracing::error!(scan = id, error = %error, "scan failed");
        self.record_error(&error.to_string()).await;
        if let Err(e) = self
            .store()
            .finish_scan(id, ScanState::Failed, &self.now().to_string())
            .await
        {
            tracing::error!(scan = id, error = %e, "cannot record that the scan failed");
        }
    }

    /// Does one unit of the supervisor's work and says what it was: re-matching after a
    /// database change, one specification's discovery, one image job, or the end of a
    /// specification or a scan. Specifications are taken in order, one at a time; scans this
    /// node's [`Engine::run`] loop is already working on are left to it.
    ///
    /// Drive it in a loop until [`Step::Idle`]; a job waiting for its retry becomes due when
    /// the clock passes its time.
    pub async fn step(&self) -> Result<Step, ScanError> {
        let rematched = self.housekeeping().await?;
        if rematched > 0 {
            return Ok(Step::Rematched(rematched));
        }
        // Nothing in a step is interrupted halfway; stops arrive through the store.
        let token = CancellationToken::new();
        for scan in self.store().scans_in_state(ScanState::Running).await? {
            if lock(&self.inner.running).contains_key(&scan.id) {
                continue;
            }
            let plan = match ScanPlan::of(&scan) {
                Ok(p) => p,
                Err(e) => {
                    self.fail_scan(scan.id, &e).await;
                    return Ok(Step::ScanFinished { scan: scan.id });
                }
            };
            match self.step_scan(&scan, &plan, &token).await? {
                ScanWork::Did(step) => return Ok(step),
                ScanWork::Waiting => continue,
                ScanWork::Ended => {
                    self.complete_scan(&scan, &plan).await?;
                    return Ok(Step::ScanFinished { scan: scan.id });
                }
            }
        }
        Ok(Step::Idle)
    }

    /// One unit of work in one scan.
    async fn step_scan(
        &self,
        scan: &ScanRecord,
        plan: &ScanPlan,
        token: &CancellationToken,
    ) -> Result<ScanWork, ScanError> {
        let mut waiting = false;
        for spec in plan.specs(self.store().registry_settings().await?.specifications) {
            let Some(mut record) = self.spec_record(scan, &spec).await? else {
                continue;
            };
            let spec_id = spec.id.clone();
            let conn = match self.connect_spec(&spec, &mut record).await {
                Ok(c) => c,
                Err(e) => {
                    self.record_error(&e.to_string()).await;
                    return Ok(ScanWork::Did(Step::Discovered {
                        scan: scan.id,
                        spec: spec_id,
                    }));
                }
            };
            if record.state == SpecState::Discovering {
                if let Err(e) = self
                    .discover_spec(scan, &spec, plan, &conn, &mut record, token)
                    .await
                {
                    self.record_error(&e.to_string()).await;
                }
                return Ok(ScanWork::Did(Step::Discovered {
                    scan: scan.id,
                    spec: spec_id,
                }));
            }
            if let Some(job) = self.claim_job(scan, &spec).await? {
                let job_id = job.id;
                self.scan_job(scan, &spec, &conn, job, token).await;
                return Ok(ScanWork::Did(Step::Scanned {
                    scan: scan.id,
                    job: job_id,
                }));
            }
            if self
                .store()
                .job_counts(scan.id, Some(&spec.id))
                .await?
                .pending
                == 0
            {
                self.finish_spec(record).await?;
                return Ok(ScanWork::Did(Step::SpecFinished {
                    scan: scan.id,
                    spec: spec_id,
                }));
            }
            waiting = true;
        }
        Ok(if waiting {
            ScanWork::Waiting
        } else {
            ScanWork::Ended
        })
    }
}
