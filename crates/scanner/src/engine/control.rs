//! Scan requests and stops: what `POST /registry/scan`, `/registry/scan/select` and
//! `/registry/stop` ask of the engine. Each request becomes a persisted scan row whose plan
//! ([`ScanPlan`]) says which specifications, or which single image, it covers.

use super::{Engine, lock};
use crate::error::ScanError;
use crate::report::image_key;
use crowsnest_model::address::RegistryAddress;
use crowsnest_model::pattern::Selection;
use crowsnest_model::scan_result::{ImageTag, RegistryScanRequest};
use crowsnest_model::spec::RegistrySpecification;
use crowsnest_store::{ScanKind, ScanRecord, ScanSpecRecord, ScanState, SpecState, StoreError};
use serde::{Deserialize, Serialize};

/// What a scan row's `request` holds.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub(crate) struct ScanPlan {
    /// Only these specifications (`POST /registry/scan/select`, on-demand scans).
    pub(crate) spec_ids: Option<Vec<String>>,
    /// Only this image.
    pub(crate) image: Option<ImageTag>,
}

impl ScanPlan {
    /// The plan a scan row was created with. A plan that does not parse is an error: reading it
    /// as "every specification" would turn a one-image scan into a full one.
    pub(crate) fn of(scan: &ScanRecord) -> Result<ScanPlan, ScanError> {
        serde_json::from_str(&scan.request).map_err(|e| {
            ScanError::Request(format!("scan {} has an unreadable plan: {e}", scan.id))
        })
    }

    /// True for a plan limited to some specifications or one image.
    pub(crate) fn is_selective(&self) -> bool {
        self.spec_ids.is_some() || self.image.is_some()
    }

    /// The specifications of `all` this plan covers, in their configured order.
    pub(crate) fn specs(&self, all: Vec<RegistrySpecification>) -> Vec<RegistrySpecification> {
        all.into_iter()
            .filter(|s| self.spec_ids.as_ref().is_none_or(|ids| ids.contains(&s.id)))
            .collect()
    }
}

impl Engine {
    /// `POST /registry/scan`: no body is a regular scan of every specification; a `tag` alone is
    /// a regular rescan of that image; `onDemandScan` scans one image beside the regular scan,
    /// which must fall inside a configured specification.
    pub async fn request_scan(
        &self,
        request: Option<RegistryScanRequest>,
    ) -> Result<ScanRecord, ScanError> {
        let request = request.unwrap_or_default();
        let now = self.now().to_string();
        let (kind, plan) = match (&request.tag, request.on_demand_scan) {
            (None, true) => {
                return Err(ScanError::Request(
                    "an on-demand scan needs tag.repo and tag.tag (or tag.digest)".into(),
                ));
            }
            (None, false) => (ScanKind::Regular, ScanPlan::default()),
            (Some(tag), on_demand) => {
                if tag.repo.is_empty() || (tag.tag.is_empty() && tag.digest.is_empty()) {
                    return Err(ScanError::Request(
                        "tag.repo and tag.tag (or tag.digest) are required".into(),
                    ));
                }
                let spec = self.spec_for(tag).await?;
                let kind = if on_demand {
                    ScanKind::OnDemand
                } else {
                    ScanKind::Regular
                };
                (
                    kind,
                    ScanPlan {
                        spec_ids: Some(vec![spec.id]),
                        image: Some(tag.clone()),
                    },
                )
            }
        };
        self.create_scan(kind, &plan, &now).await
    }

    /// Persists a new scan and wakes the supervisor; a running regular scan is a 400-class error.
    pub(super) async fn create_scan(
        &self,
        kind: ScanKind,
        plan: &ScanPlan,
        now: &str,
    ) -> Result<ScanRecord, ScanError> {
        let body = serde_json::to_string(plan).map_err(StoreError::from)?;
        let scan = self
            .inner
            .store
            .create_scan(kind, &body, now)
            .await
            .map_err(|e| match e {
                StoreError::Conflict(m) => ScanError::Request(m),
                other => other.into(),
            })?;
        self.inner.wake.notify_one();
        Ok(scan)
    }

    /// `POST /registry/scan/select`: a regular scan of the specifications the requests name
    /// (by `settings.id`, or by registry and repository).
    pub async fn request_select(
        &self,
        requests: Vec<RegistryScanRequest>,
    ) -> Result<ScanRecord, ScanError> {
        let specs = self.inner.store.registry_settings().await?.specifications;
        let mut ids = Vec::new();
        for r in &requests {
            let found: Vec<&RegistrySpecification> = specs
                .iter()
                .filter(|s| match (&r.settings, &r.tag) {
                    (Some(want), _) if !want.id.is_empty() => s.id == want.id,
                    (Some(want), _) => {
                        same_registry(&s.registry, &want.registry)
                            && s.repository == want.repository
                    }
                    (None, Some(tag)) => {
                        same_registry(&s.registry, &tag.registry)
                            && Selection::new(&s.repository, &s.excluded_repositories)
                                .matches(&tag.repo)
                    }
                    (None, None) => false,
                })
                .collect();
            if found.is_empty() {
                return Err(ScanError::Request(
                    "a selected registry matches no configured registry specification".into(),
                ));
            }
            ids.extend(found.into_iter().map(|s| s.id.clone()));
        }
        if ids.is_empty() {
            return Err(ScanError::Request("select at least one registry".into()));
        }
        let plan = ScanPlan {
            spec_ids: Some(ids),
            image: None,
        };
        self.create_scan(ScanKind::Regular, &plan, &self.now().to_string())
            .await
    }

    pub(super) async fn spec_for(
        &self,
        tag: &ImageTag,
    ) -> Result<RegistrySpecification, ScanError> {
        let specs = self.inner.store.registry_settings().await?.specifications;
        specs
            .into_iter()
            .find(|s| {
                same_registry(&s.registry, &tag.registry)
                    && Selection::new(&s.repository, &s.excluded_repositories).matches(&tag.repo)
                    && (tag.tag.is_empty()
                        || Selection::new(&s.tag, &s.excluded_tags).matches(&tag.tag))
            })
            .ok_or_else(|| {
                ScanError::Request(format!(
                    "image {} is not in the scope of any configured registry specification",
                    image_key(
                        &tag.registry,
                        &tag.repo,
                        if tag.tag.is_empty() {
                            &tag.digest
                        } else {
                            &tag.tag
                        }
                    )
                ))
            })
    }

    /// `POST /registry/stop`: stops the running regular scan. True if there was one.
    pub async fn stop_regular(&self) -> Result<bool, ScanError> {
        let mut stopped = false;
        for scan in self.inner.store.scans_in_state(ScanState::Running).await? {
            if scan.kind != ScanKind::Regular {
                continue;
            }
            self.inner
                .store
                .finish_scan(scan.id, ScanState::Stopped, &self.now().to_string())
                .await?;
            self.inner.store.cancel_jobs(scan.id, None).await?;
            for spec in self.inner.store.scan_specs(scan.id).await? {
                if spec.state.is_active() {
                    self.inner
                        .store
                        .put_scan_spec(&ScanSpecRecord {
                            state: SpecState::Stopped,
                            ..spec
                        })
                        .await?;
                }
            }
            if let Some(token) = lock(&self.inner.running).get(&scan.id) {
                token.cancel();
            }
            stopped = true;
        }
        Ok(stopped)
    }

    /// `POST /registry/stop/{id}`: stops one specification's part of the running regular scan.
    pub async fn stop_spec(&self, spec_id: &str) -> Result<bool, ScanError> {
        let Some(scan) = self
            .inner
            .store
            .scans_in_state(ScanState::Running)
            .await?
            .into_iter()
            .find(|s| s.kind == ScanKind::Regular)
        else {
            return Ok(false);
        };
        // One store write marks the part stopped (creating its record if discovery had not
        // begun) and cancels its jobs, so every process sharing the store sees the stop.
        self.inner
            .store
            .stop_scan_spec(scan.id, spec_id, &self.now().to_string())
            .await?;
        Ok(true)
    }

    /// Whether a specification's part of a scan was stopped, as the store says. A store that
    /// cannot answer is logged and counts as not stopped: the stop also cancelled the jobs in
    /// the store, so no work is lost or redone either way.
    pub(super) async fn spec_stopped(&self, scan_id: i64, spec_id: &str) -> bool {
        match self.inner.store.scan_spec_stopped(scan_id, spec_id).await {
            Ok(stopped) => stopped,
            Err(e) => {
                tracing::warn!(error = %e, scan_id, spec_id, "cannot read whether a specification was stopped");
                false
            }
        }
    }
}

/// True when two spellings name one registry (`https://reg:5000/` and `reg:5000`; every Docker
/// Hub spelling).
fn same_registry(a: &str, b: &str) -> bool {
    RegistryAddress::parse(a).key() == RegistryAddress::parse(b).key()
}
