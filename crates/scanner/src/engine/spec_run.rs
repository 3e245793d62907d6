//! One registry specification's part of a scan: resolve its credential and connect, discover
//! its images into jobs (or take the one image an on-demand scan names), then let `scanners`
//! workers work the jobs off. Every state change is written to the store first, so a killed
//! process resumes where it stopped: a specification still `discovering` is discovered again
//! (jobs are deduplicated by image), one `scanning` goes on claiming jobs.

use super::control::ScanPlan;
use super::{Engine, KEPT_ERRORS};
use crate::error::ScanError;
use crate::registry_name;
use crate::report::image_key;
use crowsnest_model::spec::RegistrySpecification;
use crowsnest_registry::{Credentials, RegistryAuth, RegistryClient, TargetPlatform};
use crowsnest_store::{JobRecord, ScanRecord, ScanSpecRecord, StoreError};
use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;

/// What a specification's scan reaches the registry with.
pub(super) struct SpecConnection {
    pub(super) creds: Credentials,
    pub(super) client: RegistryClient,
    pub(super) platform: TargetPlatform,
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
            .finish_scan(scan.id, "completed", &self.now().to_string())
            .await?;
        if finished && scan.kind == "regular" && !plan.is_selective() {
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
        if existing
            .as_ref()
            .is_some_and(|s| matches!(s.state.as_str(), "done" | "stopped" | "failed"))
            || self.spec_stopped(scan.id, &spec.id)
        {
            return Ok(None);
        }
        Ok(Some(match existing {
            Some(record) => record,
            None => ScanSpecRecord {
                scan_id: scan.id,
                spec_id: spec.id.clone(),
                spec: serde_json::to_string(spec).map_err(StoreError::from)?,
                state: "discovering".into(),
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
                record.state = "failed".into();
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
        if record.state == "discovering"
            && !self
                .discover_spec(scan, &spec, plan, &conn, &mut record, token)
                .await?
        {
            return Ok(());
        }
        let scanners = usize::try_from(spec.scanners)
            .ok()
            .filter(|n| *n > 0)
            .unwrap_or(self.inner.config.default_scanners);
        // `scanners` workers, each taking one job at a time: a hanging image holds one worker,
        // not a whole batch.
        let worker = |_: usize| async {
            loop {
                if token.is_cancelled() || self.spec_stopped(scan.id, &spec.id) {
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
        let outcomes = futures_util::future::join_all((0..scanners).map(worker)).await;
        let mut finished = true;
        for o in outcomes {
            finished &= o?;
        }
        if finished {
            self.finish_spec(record).await?;
        }
        Ok(())
    }

    /// Takes the next pending job of a specification for this node, leased until the lease
    /// period from now.
    pub(super) async fn claim_job(
        &self,
        scan: &ScanRecord,
        spec: &RegistrySpecification,
    ) -> Result<Option<JobRecord>, ScanError> {
        let lease_until = (self.now()
            + jiff::SignedDuration::try_from(self.inner.config.lease).unwrap_or_default())
        .as_second();
        let mut jobs = self
            .store()
            .claim_jobs(scan.id, &spec.id, &self.inner.config.node, lease_until, 1)
            .await?;
        Ok(jobs.pop())
    }

    /// Marks a specification's part of the scan done.
    pub(super) async fn finish_spec(&self, mut record: ScanSpecRecord) -> Result<(), ScanError> {
        record.state = "done".into();
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
        let registry = registry_name(&spec.registry);
        let job = |repo: &str, tag: &str, digest: &str, created: Option<String>| JobRecord {
            id: 0,
            scan_id: scan.id,
            spec_id: spec.id.clone(),
            registry: registry.clone(),
            repo: repo.to_string(),
            tag: tag.to_string(),
            digest: digest.to_string(),
            created,
            state: "pending".into(),
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
                    r = crowsnest_registry::discover(spec, conn.creds.clone(), &self.inner.config.discovery) => r,
                    _ = token.cancelled() => return Ok(false),
                };
                let report = match report {
                    Ok(r) => r,
                    Err(e) => {
                        let message = format!(
                            "Failed to retrieve repositories info from registry {}: {e}",
                            if spec.registry.is_empty() {
                                "Docker Hub"
                            } else {
                                spec.registry.as_str()
                            }
                        );
                        record.state = "failed".into();
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
        if token.is_cancelled() || self.spec_stopped(scan.id, &spec.id) {
            return Ok(false);
        }
        record.state = "scanning".into();
        store.put_scan_spec(record).await?;
        Ok(true)
    }

    /// Resolves the specification's credential and builds the pull client.
    async fn connect(&self, spec: &RegistrySpecification) -> Result<SpecConnection, ScanError> {
        let creds = self.credentials(spec).await?;
        let address = if spec.is_docker_hub() {
            self.inner.config.discovery.docker_hub.clone()
        } else {
            spec.registry.clone()
        };
        let client = RegistryClient::new(
            &address,
            creds.clone(),
            self.inner.config.discovery.client.clone(),
        )
        .map_err(|e| ScanError::Registry {
            image: address.clone(),
            source: e,
        })?;
        let platform = TargetPlatform::from_spec_os(&spec.os)
            .map_err(|e| ScanError::Request(e.to_string()))?;
        Ok(SpecConnection {
            creds,
            client,
            platform,
        })
    }

    async fn credentials(&self, spec: &RegistrySpecification) -> Result<Credentials, ScanError> {
        let mut creds = Credentials::anonymous();
        if !spec.credential_id.is_empty() {
            let cred = self
                .inner
                .store
                .credential(&spec.credential_id)
                .await?
                .ok_or_else(|| {
                    ScanError::Credential(spec.credential_id.clone(), "does not exist".into())
                })?;
            let reveal = |s: &crowsnest_model::credential::Secret| -> Result<String, ScanError> {
                if s.encrypted.is_empty() {
                    return Ok(String::new());
                }
                self.inner
                    .store
                    .reveal(s)
                    .map_err(|e| ScanError::Credential(cred.id.clone(), e.to_string()))
            };
            creds.auth = match cred.kind.as_str() {
                "basic" | "dtr" => RegistryAuth::Basic {
                    username: cred.account_id.clone(),
                    password: reveal(&cred.secret)?,
                },
                "apiToken" | "gitlabToken" => RegistryAuth::Basic {
                    username: cred.account_id.clone(),
                    password: reveal(&cred.api_token)?,
                },
                "certificate" => {
                    let pem = reveal(&cred.secret)?;
                    let (cert, key) = split_pem(&pem).ok_or_else(|| {
                        ScanError::Credential(
                            cred.id.clone(),
                            "the secret must hold a PEM certificate and its private key".into(),
                        )
                    })?;
                    RegistryAuth::ClientCert {
                        cert_pem: cert,
                        key_pem: key,
                    }
                }
                other => {
                    return Err(ScanError::Credential(
                        cred.id.clone(),
                        format!(
                            "credential type {other:?} is not supported for registry scanning yet"
                        ),
                    ));
                }
            };
            creds.skip_verify = cred.skip_verify;
            if !cred.ca_cert.is_empty() {
                creds.ca_cert_pem = Some(cred.ca_cert.clone());
            }
        }
        if !spec.ca_cert.is_empty() {
            creds.ca_cert_pem = Some(spec.ca_cert.clone());
        }
        Ok(creds)
    }
}

/// Splits a PEM bundle into its certificate blocks and its private key block.
fn split_pem(pem: &str) -> Option<(String, String)> {
    let mut certs = String::new();
    let mut key = String::new();
    let mut current: Option<&mut String> = None;
    for line in pem.lines() {
        if line.starts_with("-----BEGIN ") {
            current = Some(if line.contains("PRIVATE KEY") {
                &mut key
            } else {
                &mut certs
            });
        }
        if let Some(buf) = current.as_deref_mut() {
            buf.push_str(line);
            buf.push('\n');
        }
        if line.starts_with("-----END ") {
            current = None;
        }
    }
    (!certs.is_empty() && !key.is_empty()).then_some((certs, key))
}
