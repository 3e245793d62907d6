//! One registry specification's part of a scan: resolve its credential and connect, discover
//! its images into jobs (or take the one image an on-demand scan names), then let `scanners`
//! workers work the jobs off. Every state change is written to the store first, so a killed
//! process resumes where it stopped: a specification still `discovering` is discovered again
//! (jobs are deduplicated by image), one `scanning` goes on claiming jobs.

use super::control::ScanPlan;
use super::{Engine, KEPT_ERRORS};
use crate::error::ScanError;
use crate::report::image_key;
use crowsnest_model::spec::RegistrySpecification;
use crowsnest_model::target::ScanTarget;
use crowsnest_registry::{Connection, RegistryClient, RegistryError, TargetPlatform};
use crowsnest_store::{
    JobRecord, JobState, ScanKind, ScanRecord, ScanSpecRecord, ScanState, SpecState, StoreError,
};
use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;

/// What a specification's scan reaches the registry with: one connection (discovery source and
/// pull client sharing their token cache) and the platform picked out of multi-arch indexes.
pub(super) struct SpecConnection {
    pub(super) connection: Connection,
    pub(super) platform: TargetPlatform,
}

impl SpecConnection {
    pub(super) fn client(&self) -> &RegistryClient {
        self.connection.client()
    }
}

impl Engine {
    /// Runs every specification of a scan, `parallel_specs` at once, then ends the scan.
    pub(super) async fn run_scan(
        &self,
        scan: ScanRecord,
        token: CancellationToken,
    ) -> Result<(), ScanError> {
        let plan = ScanPlan::of(&scan)?;
        let specs = plan.specs(self.store().registry_settings().await?.specifications);
        let limit = Arc::new(Semaphore::new(self.inner.config.parallel_specs.max(1)));
        let mut tasks = tokio::task::JoinSet::new();
        for spec in specs {
            let engine = self.clone();
            let token = token.clone();
            let limit = limit.clone();
            let plan = plan.clone();
            let scan = scan.clone();
            tasks.spawn(async move {
                let Ok(_permit) = limit.acquire_owned().await else {
                    return;
                };
                let spec_id = spec.id.clone();
                if let Err(e) = engine.run_spec(&scan, spec, &plan, &token).await {
                    tracing::warn!(scan = scan.id, spec = %spec_id, error = %e, "registry specification failed");
                    engine.record_error(&e.to_string()).await;
                }
            });
        }
        while tasks.join_next().await.is_some() {}
        if token.is_cancelled() {
            return Ok(());
        }
        self.complete_scan(&scan, &plan).await
    }

    /// Marks a scan completed and, after a full regular scan, purges results of images that
    /// have been gone from their registries longer than the retention period.
    pub(super) async fn complete_scan(
        &self,
        scan: &ScanRecord,
        plan: &ScanPlan,
    ) -> Result<(), ScanError> {
        let finished = self
            .store()
            .finish_scan(scan.id, ScanState::Completed, &self.now().to_string())
            .await?;
        if finished && scan.kind == ScanKind::Regular && !plan.is_selective() {
            let cutoff = self.now()
                - jiff::SignedDuration::from_hours(24 * self.inner.config.retention_days.max(0));
            let purged = self
                .store()
                .purge_images_unseen_since(&cutoff.to_string())
                .await?;
            if purged > 0 {
                tracing::info!(
                    images = purged,
                    "purged results of images gone from their registries"
                );
            }
        }
        Ok(())
    }

    /// The specification's record in this scan, created when it has none yet; `None` when it
    /// already ended or was stopped.
    pub(super) async fn spec_record(
        &self,
        scan: &ScanRecord,
        spec: &RegistrySpecification,
    ) -> Result<Option<ScanSpecRecord>, ScanError> {
        let existing = self
            .store()
            .scan_specs(scan.id)
            .await?
            .into_iter()
            .find(|s| s.spec_id == spec.id);
        if existing.as_ref().is_some_and(|s| !s.state.is_active())
            || self.spec_stopped(scan.id, &spec.id).await
        {
            return Ok(None);
        }
        Ok(Some(match existing {
            Some(record) => record,
            None => ScanSpecRecord {
                scan_id: scan.id,
                spec_id: spec.id.clone(),
                spec: serde_json::to_string(spec).map_err(StoreError::from)?,
                state: SpecState::Discovering,
                repos_total: 0,
                repos_done: 0,
                error: String::new(),
                started: self.now().to_string(),
            },
        }))
    }

    /// Connects for a specification; a failure fails the specification's part of the scan.
    pub(super) async fn connect_spec(
        &self,
        spec: &RegistrySpecification,
        record: &mut ScanSpecRecord,
    ) -> Result<SpecConnection, ScanError> {
        match self.connect(spec).await {
            Ok(c) => Ok(c),
            Err(e) => {
                record.state = SpecState::Failed;
                record.error = e.to_string();
                self.store().put_scan_spec(record).await?;
                Err(e)
            }
        }
    }

    async fn run_spec(
        &self,
        scan: &ScanRecord,
        spec: RegistrySpecification,
        plan: &ScanPlan,
        token: &CancellationToken,
    ) -> Result<(), ScanError> {
        let Some(mut record) = self.spec_record(scan, &spec).await? else {
            return Ok(());
        };
        let conn = self.connect_spec(&spec, &mut record).await?;
        if record.state == SpecState::Discovering
            && !self
                .discover_spec(scan, &spec, plan, &conn, &mut record, token)
                .await?
        {
            return Ok(());
        }
        // Clamped: a specification stored before the save-time limit (or written to the store
        // directly) must not make the engine build a billion workers.
        // On a shared store the nodes' worker loops scan; the scheduler only waits for them.
        let scanners = if self.inner.config.local_workers && self.inner.config.single_node {
            crowsnest_model::target::worker_count(spec.scanners, self.inner.config.default_scanners)
        } else {
            0
        };
        // `scanners` workers, each taking one job at a time: a hanging image holds one worker,
        // not a whole batch. Stopping the specification cancels its open jobs in the store, so
        // the next claim finds none; no need to ask the store about the stop before each job.
        let worker = |_: usize| async {
            loop {
                if token.is_cancelled() {
                    return Ok::<bool, ScanError>(false);
                }
                let Some(job) = self.claim_job(scan, &spec).await? else {
                    let counts = self.store().job_counts(scan.id, Some(&spec.id)).await?;
                    if counts.pending == 0 {
                        // What is still running belongs to the other workers (or nodes).
                        return Ok(true);
                    }
                    tokio::select! {
                        _ = token.cancelled() => return Ok(false),
                        _ = tokio::time::sleep(Duration::from_millis(500)) => continue,
                    }
                };
                self.scan_job(scan, &spec, &conn, job, token).await;
            }
        };
        loop {
            let outcomes = futures_util::future::join_all((0..scanners).map(worker)).await;
            let mut finished = true;
            for o in outcomes {
                finished &= o?;
            }
            if !finished {
                return Ok(());
            }
            if self.inner.config.single_node {
                break;
            }
            // Other nodes may still hold jobs of this specification (or one may come back to
            // the queue when a lease expires): it ends when none is open anywhere.
            let counts = self.store().job_counts(scan.id, Some(&spec.id)).await?;
            if counts.pending == 0 && counts.running == 0 {
                break;
            }
            tokio::select! {
                _ = token.cancelled() => return Ok(()),
                _ = tokio::time::sleep(Duration::from_millis(500)) => {}
            }
        }
        self.finish_spec(record).await?;
        Ok(())
    }

    /// Takes the next pending job of a specification for this node, leased until the lease
    /// period from now.
    pub(super) async fn claim_job(
        &self,
        scan: &ScanRecord,
        spec: &RegistrySpecification,
    ) -> Result<Option<JobRecord>, ScanError> {
        let now = self.now();
        let lease_until = (now
            + jiff::SignedDuration::try_from(self.inner.config.lease).unwrap_or_default())
        .as_second();
        let mut jobs = self
            .store()
            .claim_jobs(
                scan.id,
                &spec.id,
                &self.inner.config.node,
                now.as_second(),
                lease_until,
                1,
            )
            .await?;
        Ok(jobs.pop())
    }

    /// Marks a specification's part of the scan done.
    pub(super) async fn finish_spec(&self, mut record: ScanSpecRecord) -> Result<(), ScanError> {
        record.state = SpecState::Done;
        self.store().put_scan_spec(&record).await?;
        Ok(())
    }

    /// Turns a specification into jobs: its discovered images, or the one image of an
    /// on-demand scan. False when the scan or the specification was stopped meanwhile.
    pub(super) async fn discover_spec(
        &self,
        scan: &ScanRecord,
        spec: &RegistrySpecification,
        plan: &ScanPlan,
        conn: &SpecConnection,
        record: &mut ScanSpecRecord,
        token: &CancellationToken,
    ) -> Result<bool, ScanError> {
        let store = self.store();
        store.put_scan_spec(record).await?;
        let address = spec.address();
        let registry = address.key().to_string();
        let job = |repo: &str, tag: &str, digest: &str, created: Option<String>| JobRecord {
            id: 0,
            scan_id: scan.id,
            spec_id: spec.id.clone(),
            registry: registry.clone(),
            repo: repo.to_string(),
            tag: tag.to_string(),
            digest: digest.to_string(),
            created,
            state: JobState::Pending,
            attempts: 0,
            error: String::new(),
        };
        let jobs = match &plan.image {
            Some(tag) => {
                record.repos_total = 1;
                record.repos_done = 1;
                let reference = if tag.tag.is_empty() {
                    &tag.digest
                } else {
                    &tag.tag
                };
                vec![job(&tag.repo, reference, &tag.digest, None)]
            }
            None => {
                let report = tokio::select! {
                    r = conn.connection.discover(self.inner.config.discovery.concurrency) => r,
                    _ = token.cancelled() => return Ok(false),
                };
                let report = match report {
                    Ok(r) => r,
                    Err(e) => {
                        let message = format!(
                            "Failed to retrieve repositories info from registry {}: {e}",
                            if address.is_docker_hub() {
                                "Docker Hub"
                            } else {
                                address.display()
                            }
                        );
                        record.state = SpecState::Failed;
                        record.error = message.clone();
                        store.put_scan_spec(record).await?;
                        return Err(ScanError::Request(message));
                    }
                };
                for e in &report.errors {
                    store
                        .push_scan_error(
                            &self.now().to_string(),
                            &format!("Failed to query image details: {e}"),
                            KEPT_ERRORS,
                        )
                        .await?;
                }
                // Not failures, but the status says why these tags were not scanned.
                let more = report.skipped_total - report.skipped.len() as u64;
                let notes = report.skipped.iter().map(|s| format!("Skipped {s}"));
                let notes = notes.chain((more > 0).then(|| {
                    format!(
                        "Skipped {more} more non-image artifacts in {}",
                        address.display()
                    )
                }));
                for note in notes {
                    store
                        .push_scan_error(&self.now().to_string(), &note, KEPT_ERRORS)
                        .await?;
                }
                let repos: HashSet<&str> = report
                    .images
                    .iter()
                    .map(|i| i.repo.as_str())
                    .chain(report.errors.iter().map(|e| e.repo.as_str()))
                    .collect();
                record.repos_total = repos.len() as i64;
                record.repos_done = repos.len() as i64;
                let keys: Vec<String> = report
                    .images
                    .iter()
                    .map(|i| image_key(&registry, &i.repo, &i.tag))
                    .collect();
                store.touch_images(&keys, &self.now().to_string()).await?;
                report
                    .images
                    .iter()
                    .map(|i| {
                        job(
                            &i.repo,
                            &i.tag,
                            &i.digest.to_string(),
                            i.created.map(|c| c.to_string()),
                        )
                    })
                    .collect()
            }
        };
        store.insert_jobs(&jobs).await?;
        if token.is_cancelled() || self.spec_stopped(scan.id, &spec.id).await {
            return Ok(false);
        }
        record.state = SpecState::Scanning;
        store.put_scan_spec(record).await?;
        Ok(true)
    }

    /// Resolves the specification's credential (unsealed here, only to build the connection)
    /// and connects: the registry crate maps the credential to its auth and combines the
    /// credential's and the specification's CA certificates.
    pub(super) async fn connect(
        &self,
        spec: &RegistrySpecification,
    ) -> Result<SpecConnection, ScanError> {
        let target = ScanTarget::from_spec(spec).map_err(|e| ScanError::Request(e.to_string()))?;
        let credential =
            match target.credential_id() {
                None => None,
                Some(id) => Some(self.store().credential(id).await?.ok_or_else(|| {
                    ScanError::Credential(id.to_string(), "does not exist".into())
                })?),
            };
        let store = self.store();
        let connection = crowsnest_registry::connect(
            &target,
            credential.as_ref(),
            &|secret| store.reveal(secret),
            &self.inner.config.discovery,
        )
        .map_err(|e| match e {
            RegistryError::Credential { id, message } => ScanError::Credential(id, message),
            source => ScanError::Registry {
                image: target.address().display().to_string(),
                source,
            },
        })?;
        let platform = TargetPlatform::from_spec_os(target.os())
            .map_err(|e| ScanError::Request(e.to_string()))?;
        Ok(SpecConnection {
            connection,
            platform,
        })
    }
}
