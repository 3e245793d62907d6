//! Assessment: from an analysed image to the result the API shows. One path for every caller:
//! the engine (after a pull, and when a new database re-matches stored inventories), the
//! one-shot `crowsnest image`, and later the Harbor adapter.
//!
//! ```text
//! StoredImage ─match_findings(db, time)─▶ findings ─evaluate(policies)─▶ ImageScanResult
//! ```
//!
//! [`assess`] is both steps. `crowsnest image` runs them apart, because its ignore files and
//! VEX documents remove findings between matching and building the result.

use super::{Engine, db_version};
use crate::error::ScanError;
use crate::report::{
    ImageIdentity, StoredImage, build_result, group_findings, ruled_vulnerabilities,
    vulnerabilities,
};
use crowsnest_model::Finding;
use crowsnest_model::inventory::FileFlag;
use crowsnest_model::scan_result::ImageScanResult;
use crowsnest_model::spec::RegistrySpecification;
use crowsnest_policy::{
    COLLECTION_DOCUMENT_KIND, COMPLIANCE_POLICY_ID, ComplianceInput, FileFinding, FileKind,
    POLICY_DOCUMENT_KIND, PolicySet, VULNERABILITY_POLICY_ID, evaluate_image,
};
use crowsnest_store::{ImageRecord, JobLease, JobRecord, ScanRecord, StoreError};
use crowsnest_vulndb::{Database, MatchOptions, Matcher};

/// The findings of an image's inventory in `db` as of `at` (no database: none).
pub fn match_findings(
    stored: &StoredImage,
    db: Option<&Database>,
    at: jiff::Timestamp,
) -> Vec<Finding> {
    match db {
        Some(db) => Matcher::with_options(db, MatchOptions::at(at.as_second()))
            .match_inventory(&stored.inventory),
        None => Vec::new(),
    }
}

/// Builds an image's result from its findings. With `policies`, the vulnerability and
/// compliance policies decide what alerts and blocks, and compliance checks run; without
/// (the one-shot CLI), the result lists the findings alone.
pub fn evaluate(
    who: &ImageIdentity,
    stored: &StoredImage,
    findings: &[Finding],
    policies: Option<&PolicySet>,
) -> ImageScanResult {
    let discovered = who.scan_time.to_string();
    let Some(policies) = policies else {
        let vulns = vulnerabilities(findings, stored, &discovered);
        return build_result(who, stored, vulns, Vec::new());
    };
    let inv = &stored.inventory;
    let os = inv.os.clone().unwrap_or_default();
    let scope = crowsnest_policy::ImageScope::new(&who.registry, &who.repo, &who.tag)
        .with_config_labels(inv.config.labels.iter(), &os.id, &os.version_id);
    let files: Vec<FileFinding> = inv
        .flagged_files
        .iter()
        .map(|f| {
            let kind = match f.flag {
                FileFlag::Setuid => FileKind::Setuid,
                FileFlag::Setgid => FileKind::Setgid,
                FileFlag::PrivateKey => FileKind::PrivateKey,
                FileFlag::CloudCredential => FileKind::CloudCredential,
                FileFlag::SshDaemon => FileKind::SshDaemon,
            };
            FileFinding::new(&format!("/{}", f.path), f.mode, kind)
        })
        .collect();
    let mut compliance = ComplianceInput::new(&inv.config)
        .packages(&inv.packages)
        .files(&files);
    if let Some(created) = stored
        .created
        .as_deref()
        .and_then(|c| c.parse::<jiff::Timestamp>().ok())
    {
        compliance = compliance.created(created);
    }
    // The policy rules on one typed finding per reported vulnerability; the Prisma shapes are
    // built afterwards from what it reported.
    let groups = group_findings(findings);
    let reported: Vec<&Finding> = groups.iter().map(|g| g.finding).collect();
    let eval = evaluate_image(policies, &scope, &reported, &compliance, who.scan_time);
    let vulns = ruled_vulnerabilities(&groups, &eval.vulnerabilities, stored, &discovered);
    let mut result = build_result(who, stored, vulns, eval.compliance_issues);
    result.collections = eval.collections;
    result.policy = Some(eval.verdict);
    result
}

/// Matches and evaluates an image at `who.scan_time`.
pub fn assess(
    stored: &StoredImage,
    db: Option<&Database>,
    policies: Option<&PolicySet>,
    who: &ImageIdentity,
) -> ImageScanResult {
    let findings = match_findings(stored, db, who.scan_time);
    evaluate(who, stored, &findings, policies)
}

impl Engine {
    /// Assesses an image a job analysed (or found unchanged) and stores its result.
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn store_result(
        &self,
        scan: &ScanRecord,
        spec: &RegistrySpecification,
        job: &JobRecord,
        stored: StoredImage,
        previous: Option<&ImageRecord>,
        db: Option<&Database>,
        scan_ms: i64,
        pull_ms: i64,
    ) -> Result<(), ScanError> {
        let who = ImageIdentity {
            registry: spec.address().key().to_string(),
            repo: job.repo.clone(),
            tag: job.tag.clone(),
            registry_type: spec.version.clone(),
            collections: spec.collections.clone(),
            scan_time: self.now(),
            first_scan_time: previous.map(|p| p.first_scan_time.clone()),
            scan_id: scan.id,
            scan_duration_ms: scan_ms,
            pull_duration_ms: pull_ms,
            hostname: self.inner.config.node.clone(),
        };
        let policies = self.policies().await?;
        let record = self.build_record(&who, &spec.id, stored, db, &policies)?;
        if self.inner.config.single_node {
            self.store().put_image(&record).await?;
        } else {
            let lease = JobLease {
                job_id: job.id,
                owner: self.inner.config.node.clone(),
                attempt: job.attempts,
            };
            if !self.store().put_image_leased(&record, &lease).await? {
                return Err(ScanError::LeaseLost { image: record.key });
            }
        }
        Ok(())
    }

    /// The current policies and collections, as the Console stored them (built-ins otherwise).
    async fn policies(&self) -> Result<PolicySet, ScanError> {
        let store = self.store();
        let vuln = store
            .document(POLICY_DOCUMENT_KIND, VULNERABILITY_POLICY_ID)
            .await?;
        let compliance = store
            .document(POLICY_DOCUMENT_KIND, COMPLIANCE_POLICY_ID)
            .await?;
        let collections = store.documents(COLLECTION_DOCUMENT_KIND).await?;
        PolicySet::from_documents(vuln, compliance, collections)
            .map_err(|e| ScanError::Request(format!("stored policies: {e}")))
    }

    fn build_record(
        &self,
        who: &ImageIdentity,
        spec_id: &str,
        stored: StoredImage,
        db: Option<&Database>,
        policies: &PolicySet,
    ) -> Result<ImageRecord, ScanError> {
        let result = assess(&stored, db, Some(policies), who);
        let now = who.scan_time.to_string();
        Ok(ImageRecord {
            key: who.key(),
            registry: who.registry.clone(),
            repo: who.repo.clone(),
            tag: who.tag.clone(),
            manifest_digest: stored.manifest_digest.clone(),
            image_id: stored.image_id.clone(),
            spec_id: spec_id.to_string(),
            scan_time: now.clone(),
            first_scan_time: who.first_scan_time.clone().unwrap_or_else(|| now.clone()),
            last_seen: now,
            vulns: result.vulnerabilities_count as i64,
            db_version: db.map(db_version).unwrap_or_default(),
            inventory: serde_json::to_string(&stored).map_err(StoreError::from)?,
            result: serde_json::to_string(&result).map_err(StoreError::from)?,
        })
    }

    /// Re-matches every stored image whose findings came from another database build; nothing
    /// is pulled. Returns how many were updated.
    pub async fn rematch_all(&self) -> Result<u64, ScanError> {
        let Some(db) = self.db() else { return Ok(0) };
        let version = db_version(&db);
        let policies = self.policies().await?;
        let mut updated = 0;
        for (key, v) in self.store().image_db_versions().await? {
            if v == version {
                continue;
            }
            let Some(prev) = self.store().image(&key).await? else {
                continue;
            };
            let stored: StoredImage =
                serde_json::from_str(&prev.inventory).map_err(StoreError::from)?;
            // The old result only lends the fields the inventory does not hold (type,
            // collections, scan id); its shape is ours, so a parse failure is a store error.
            let old: ImageScanResult =
                serde_json::from_str(&prev.result).map_err(StoreError::from)?;
            let who = ImageIdentity {
                registry: prev.registry.clone(),
                repo: prev.repo.clone(),
                tag: prev.tag.clone(),
                registry_type: old.registry_type.clone(),
                collections: old.collections.clone(),
                scan_time: self.now(),
                first_scan_time: Some(prev.first_scan_time.clone()),
                scan_id: old.scan_id,
                scan_duration_ms: 0,
                pull_duration_ms: 0,
                hostname: self.inner.config.node.clone(),
            };
            let mut record =
                self.build_record(&who, &prev.spec_id, stored, Some(&db), &policies)?;
            record.last_seen = prev.last_seen.clone();
            self.store().put_image(&record).await?;
            updated += 1;
        }
        Ok(updated)
    }
}
