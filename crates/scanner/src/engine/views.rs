//! What the API shows of the engine: `GET /registry/progress` (per specification of the latest
//! regular scan, or one on-demand image) and `GET /statuses/registry`, plus the scan errors the
//! status lists. Views read the store only, so every node answers alike.

use super::control::ScanPlan;
use super::{Engine, KEPT_ERRORS, lock};
use crate::error::ScanError;
use crowsnest_model::scan_result::{Progress, RegistryScanProgress, ScanStatus};
use crowsnest_model::spec::RegistrySpecification;
use crowsnest_store::{ScanKind, ScanRecord, ScanState};

impl Engine {
    /// `GET /registry/progress`. Without `on_demand`, the regular scan: one entry per
    /// specification of the latest regular scan. With it, the on-demand scan of `repo` and
    /// `tag`/`digest`; a finished one is reported once, then `[]`.
    pub async fn progress(
        &self,
        on_demand: bool,
        repo: &str,
        tag: &str,
        digest: &str,
    ) -> Result<Vec<RegistryScanProgress>, ScanError> {
        let store = &self.inner.store;
        if !on_demand {
            let Some(scan) = store.latest_scan(ScanKind::Regular).await? else {
                return Ok(Vec::new());
            };
            let mut out = Vec::new();
            // One query for every spec's counts: a query per spec took seconds at thousands.
            let all_counts = store.job_counts_by_spec(scan.id).await?;
            for spec in store.scan_specs(scan.id).await? {
                let s: RegistrySpecification = serde_json::from_str(&spec.spec).unwrap_or_default();
                let address = s.address();
                let registry = address.display();
                let counts = all_counts.get(&spec.spec_id).copied().unwrap_or_default();
                let ongoing = scan.state == ScanState::Running && spec.state.is_active();
                out.push(RegistryScanProgress {
                    discovery: Progress {
                        id: spec.spec_id.clone(),
                        kind: "registry".into(),
                        discovery: true,
                        total: spec.repos_total as u64,
                        scanned: spec.repos_done as u64,
                        title: format!(
                            "Step 1/2 discovering tags in registry {registry}: Discovered tags in {}/{} repositories with 1 Defenders",
                            spec.repos_done, spec.repos_total
                        ),
                        scan_time: crowsnest_model::spec::UNSET_TIME.into(),
                        error: spec.error.clone(),
                        ..Default::default()
                    },
                    image_scan: Progress {
                        id: spec.spec_id.clone(),
                        kind: "registry".into(),
                        total: counts.total,
                        scanned: counts.finished(),
                        title: format!(
                            "Step 2/2 scanning images in registry {registry}: Scanned {}/{} images with 1 Defender",
                            counts.finished(),
                            counts.total
                        ),
                        scan_time: crowsnest_model::spec::UNSET_TIME.into(),
                        ..Default::default()
                    },
                    is_scan_ongoing: ongoing,
                    spec_scan_start_time: spec.started.clone(),
                });
            }
            return Ok(out);
        }
        // On-demand: the newest on-demand scan of this image.
        let mut candidates = store.scans_in_state(ScanState::Running).await?;
        if let Some(latest) = store.latest_scan(ScanKind::OnDemand).await? {
            candidates.push(latest);
        }
        let wanted = |s: &ScanRecord| {
            s.kind == ScanKind::OnDemand
                && ScanPlan::of(s).ok().and_then(|p| p.image).is_some_and(|i| {
                    i.repo == repo
                        && ((!tag.is_empty() && i.tag == tag)
                            || (!digest.is_empty() && i.digest == digest))
                })
        };
        let Some(scan) = candidates.into_iter().filter(wanted).max_by_key(|s| s.id) else {
            return Ok(Vec::new());
        };
        let ongoing = scan.state == ScanState::Running;
        // The flag is in the store, so a restart or another node does not report it again.
        if !ongoing && !store.mark_progress_reported(scan.id).await? {
            return Ok(Vec::new());
        }
        let counts = store.job_counts(scan.id, None).await?;
        let what = if tag.is_empty() { digest } else { tag };
        let discovered = if counts.total > 0 { 1 } else { 0 };
        Ok(vec![RegistryScanProgress {
            discovery: Progress {
                discovery: false,
                total: 1,
                scanned: discovered,
                title: format!("Step 1/2 discovering tags in repository: {repo}, tag: {what}"),
                scan_time: crowsnest_model::spec::UNSET_TIME.into(),
                on_demand: true,
                ..Default::default()
            },
            image_scan: Progress {
                total: counts.total.max(1),
                scanned: counts.finished(),
                title: format!("Step 2/2 scanning images in repository: {repo}, tag: {what}"),
                scan_time: crowsnest_model::spec::UNSET_TIME.into(),
                on_demand: true,
                error: store
                    .jobs(scan.id)
                    .await?
                    .into_iter()
                    .map(|j| j.error)
                    .find(|e| !e.is_empty())
                    .unwrap_or_default(),
                ..Default::default()
            },
            is_scan_ongoing: ongoing,
            spec_scan_start_time: scan.started.clone(),
        }])
    }

    /// Remembers a scan error for `GET /statuses/registry`. The failure being reported can be
    /// the store's own (a full disk fails every write), so an error the store refuses is kept in
    /// memory, shown from there, and written ahead of the next error the store accepts.
    pub(super) async fn record_error(&self, message: &str) {
        let mut pending: Vec<(String, String)> =
            lock(&self.inner.unsaved_errors).drain(..).collect();
        pending.push((self.now().to_string(), message.to_string()));
        for (i, (time, text)) in pending.iter().enumerate() {
            if let Err(e) = self
                .inner
                .store
                .push_scan_error(time, text, KEPT_ERRORS)
                .await
            {
                tracing::error!(error = %e, "cannot store a scan error; keeping it in memory");
                let mut unsaved = lock(&self.inner.unsaved_errors);
                for item in pending[i..].iter().rev() {
                    unsaved.push_front(item.clone());
                }
                while unsaved.len() > KEPT_ERRORS as usize {
                    unsaved.pop_front();
                }
                return;
            }
        }
    }

    /// `GET /statuses/registry`.
    pub async fn status(&self) -> Result<ScanStatus, ScanError> {
        let store = &self.inner.store;
        // Errors the store could not take are the newest; they come first.
        let mut errors: Vec<String> = lock(&self.inner.unsaved_errors)
            .iter()
            .rev()
            .map(|(_, text)| text.clone())
            .collect();
        errors.extend(store.scan_errors(KEPT_ERRORS).await?);
        errors.truncate(KEPT_ERRORS as usize);
        let latest = store.latest_scan(ScanKind::Regular).await?;
        let scanning = latest
            .as_ref()
            .is_some_and(|s| s.state == ScanState::Running);
        let selective = latest
            .as_ref()
            .is_some_and(|s| ScanPlan::of(s).is_ok_and(|p| p.is_selective()));
        Ok(ScanStatus {
            scan_time: latest
                .as_ref()
                .and_then(|s| s.finished.clone().or_else(|| Some(s.started.clone())))
                .unwrap_or_else(|| crowsnest_model::spec::UNSET_TIME.to_string()),
            completed: latest
                .as_ref()
                .is_some_and(|s| s.state != ScanState::Running),
            scanning,
            selective,
            hostname: self.inner.config.node.clone(),
            errors,
        })
    }
}
