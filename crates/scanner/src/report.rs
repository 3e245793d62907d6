//! From what was found to what the API shows: [`StoredImage`] (the analysis, kept so a new
//! vulnerability database can re-match without pulling) plus findings become Prisma's
//! `ImageScanResult`.
//!
//! Findings for several binary packages of one source package (Debian's `openssl` and
//! `libssl3`, say) are one vulnerability of the source, with the binaries in `binaryPkgs`, as
//! Prisma reports them: [`group_findings`] forms those groups, the policy rules on the group's
//! typed finding, and [`ruled_vulnerabilities`] builds the Prisma shape of what it reported.
//! Package types map onto Prisma's `pkgsType` and ids through [`crowsnest_policy::package_type`].

use crowsnest_model::scan_result::{
    Binary, Distribution, ImageHistory, ImageInstance, ImageScanResult, ImageTag, ImageView,
    PackageView, PackagesGroup, RiskFactors, Vulnerability,
};
use crowsnest_model::{Finding, Inventory, Severity};
use crowsnest_policy::Ruling;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The analysis of one image as stored beside its result.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct StoredImage {
    pub manifest_digest: String,
    pub image_id: String,
    pub layers: Vec<String>,
    pub diff_ids: Vec<String>,
    pub created: Option<String>,
    pub os: String,
    pub architecture: String,
    pub inventory: Inventory,
}

/// Where the image lives and how it was scanned.
#[derive(Debug, Clone, Default)]
pub struct ImageIdentity {
    /// As the specification names it (empty for Docker Hub).
    pub registry: String,
    pub repo: String,
    pub tag: String,
    pub registry_type: String,
    pub collections: Vec<String>,
    pub scan_time: jiff::Timestamp,
    pub first_scan_time: Option<String>,
    pub scan_id: i64,
    pub scan_duration_ms: i64,
    pub pull_duration_ms: i64,
    pub hostname: String,
}

impl ImageIdentity {
    /// `registry/repo:tag`, or `repo:tag` on Docker Hub: the result's `_id` and its name filter.
    pub fn key(&self) -> String {
        image_key(&self.registry, &self.repo, &self.tag)
    }
}

pub fn image_key(registry: &str, repo: &str, tag: &str) -> String {
    if registry.is_empty() {
        format!("{repo}:{tag}")
    } else {
        format!("{registry}/{repo}:{tag}")
    }
}

pub use crowsnest_policy::package_type;

fn unix(ts: Option<&str>) -> i64 {
    ts.and_then(|t| t.parse::<jiff::Timestamp>().ok())
        .map_or(0, |t| t.as_second())
}

fn risk_set(names: &[String]) -> RiskFactors {
    names
        .iter()
        .map(|n| (n.clone(), serde_json::Map::new()))
        .collect()
}

/// Findings as results report them: one per advisory and reported package (the source package
/// when the feed matched on one), with the binary packages of that source package.
#[derive(Debug, Clone)]
pub struct FindingGroup<'f> {
    /// The group's first finding: its advisory, severity and fix speak for the group.
    pub finding: &'f Finding,
    pub binary_pkgs: Vec<String>,
}

/// Groups findings as Prisma reports them, in (id, package, version, type) order.
pub fn group_findings(findings: &[Finding]) -> Vec<FindingGroup<'_>> {
    let mut grouped: BTreeMap<(&str, &str, &str, &str), FindingGroup<'_>> = BTreeMap::new();
    for f in findings {
        let (pkgs_type, _) = package_type(f.package_kind);
        let key = (
            f.id.as_str(),
            f.reported_package(),
            f.package_version.as_str(),
            pkgs_type,
        );
        let entry = grouped.entry(key).or_insert_with(|| FindingGroup {
            finding: f,
            binary_pkgs: Vec::new(),
        });
        if f.source_name
            .as_deref()
            .is_some_and(|s| s != f.package_name)
            && !entry.binary_pkgs.contains(&f.package_name)
        {
            entry.binary_pkgs.push(f.package_name.clone());
        }
    }
    grouped.into_values().collect()
}

/// The Prisma vulnerability of one group, before any policy ruling.
fn to_vulnerability(
    group: &FindingGroup<'_>,
    layer_time: &BTreeMap<&str, i64>,
    discovered: &str,
) -> Vulnerability {
    let f = group.finding;
    let (pkgs_type, type_id) = package_type(f.package_kind);
    Vulnerability {
        id: type_id,
        cve: f.id.clone(),
        cvss: f.cvss.unwrap_or(0.0),
        vec_str: f.cvss_vector.clone().unwrap_or_default(),
        severity: f.severity_word().to_string(),
        status: f.fix.prisma_status(),
        package_name: f.reported_package().to_string(),
        package_version: f.package_version.clone(),
        package_type: pkgs_type.to_string(),
        published: f.published.unwrap_or(0),
        fix_date: f.fix_date.unwrap_or(0),
        discovered: discovered.to_string(),
        layer_time: f
            .layer_digest
            .as_deref()
            .and_then(|d| layer_time.get(d).copied())
            .unwrap_or(0),
        function_layer: f.layer_digest.clone().unwrap_or_default(),
        link: f.link.clone(),
        description: f.description.clone(),
        kind: "image".into(),
        applicable_rules: f.applicable_rules.clone(),
        risk_factors: risk_set(&f.risk_factors),
        exploit: if f.kev {
            "cisa-kev".into()
        } else {
            String::new()
        },
        twistlock: false,
        binary_pkgs: group.binary_pkgs.clone(),
        ..Default::default()
    }
}

/// Groups findings into Prisma vulnerabilities (one per advisory and source package), all of
/// them, with no policy applied (the one-shot CLI).
pub fn vulnerabilities(
    findings: &[Finding],
    stored: &StoredImage,
    discovered: &str,
) -> Vec<Vulnerability> {
    let layer_time = layer_times(stored);
    group_findings(findings)
        .iter()
        .map(|g| to_vulnerability(g, &layer_time, discovered))
        .collect()
}

/// The Prisma vulnerabilities the policy reported, in its order, with its rulings (`block`,
/// `gracePeriodDays`) applied; `rulings` index into `groups`.
pub fn ruled_vulnerabilities(
    groups: &[FindingGroup<'_>],
    rulings: &[Ruling],
    stored: &StoredImage,
    discovered: &str,
) -> Vec<Vulnerability> {
    let layer_time = layer_times(stored);
    rulings
        .iter()
        .map(|r| {
            let mut v = to_vulnerability(&groups[r.index], &layer_time, discovered);
            r.apply_to(&mut v);
            v
        })
        .collect()
}

/// The history `created` time of the entry that produced each layer (Unix seconds).
fn layer_times(stored: &StoredImage) -> BTreeMap<&str, i64> {
    let mut out = BTreeMap::new();
    for h in &stored.inventory.config.history {
        if let Some(d) = &h.layer_digest {
            out.insert(d.as_str(), unix(h.created.as_deref()));
        }
    }
    out
}

/// The normalised severity a Prisma vulnerability (or compliance issue) counts under: the
/// model's one rule applied to its severity word and CVSS score.
pub fn normalised(v: &Vulnerability) -> Severity {
    Severity::rate(Some(&v.severity), Some(v.cvss))
}

pub fn distribution(vulns: &[Vulnerability]) -> Distribution {
    let mut d = Distribution::default();
    for v in vulns {
        match normalised(v) {
            Severity::Critical => d.critical += 1,
            Severity::High => d.high += 1,
            Severity::Medium => d.medium += 1,
            Severity::Low | Severity::Unknown => d.low += 1,
        }
        d.total += 1;
    }
    d
}

/// A sortable score: any critical outweighs all highs, and so on down.
fn risk_score(d: &Distribution) -> f64 {
    (d.critical * 1_000_000 + d.high * 10_000 + d.medium * 100 + d.low) as f64
}

/// Builds the whole result.
pub fn build_result(
    who: &ImageIdentity,
    stored: &StoredImage,
    vulns: Vec<Vulnerability>,
    compliance: Vec<Vulnerability>,
) -> ImageScanResult {
    let inv = &stored.inventory;
    let scan_time = who.scan_time.to_string();
    let mut cve_count: BTreeMap<(String, String), u64> = BTreeMap::new();
    for v in &vulns {
        for name in std::iter::once(&v.package_name).chain(v.binary_pkgs.iter()) {
            *cve_count
                .entry((name.clone(), v.package_version.clone()))
                .or_default() += 1;
        }
    }
    let mut groups: BTreeMap<&'static str, Vec<PackageView>> = BTreeMap::new();
    let times = layer_times(stored);
    for p in &inv.packages {
        let (t, _) = package_type(p.kind);
        groups.entry(t).or_default().push(PackageView {
            name: p.name.clone(),
            version: p.version.clone(),
            license: p.license.clone().unwrap_or_default(),
            cve_count: cve_count
                .get(&(p.name.clone(), p.version.clone()))
                .copied()
                .unwrap_or(0),
            layer_time: p
                .layer_digest
                .as_deref()
                .and_then(|d| times.get(d).copied())
                .unwrap_or(0),
            binary_pkgs: Vec::new(),
            path: p.path.clone(),
            purl: p.purl.clone().unwrap_or_default(),
            files: Vec::new(),
            function_layer: p.layer_digest.clone().unwrap_or_default(),
            os_package: p.kind.is_os(),
            origin_package_name: p.source_name.clone().unwrap_or_else(|| p.name.clone()),
            ..Default::default()
        });
    }
    let binaries = binaries(inv, &cve_count);
    let mut risk_factors = RiskFactors::new();
    for v in &vulns {
        risk_factors.extend(v.risk_factors.clone());
    }
    let dist = distribution(&vulns);
    let cdist = distribution(&compliance);
    let history: Vec<ImageHistory> = inv
        .config
        .history
        .iter()
        .map(|h| ImageHistory {
            vendor: Default::default(),
            created: unix(h.created.as_deref()),
            instruction: h.created_by.clone(),
            size_bytes: 0,
            id: h.layer_digest.clone().unwrap_or_else(|| "<missing>".into()),
            tags: Vec::new(),
            empty_layer: h.empty_layer,
            base_layer: false,
            vulnerabilities: None,
        })
        .collect();
    let os = inv.os.clone().unwrap_or_default();
    let repo_tag = ImageTag {
        vendor: Default::default(),
        registry: who.registry.clone(),
        repo: who.repo.clone(),
        tag: who.tag.clone(),
        digest: stored.manifest_digest.clone(),
        id: stored.image_id.clone(),
    };
    let name_for_digest = if who.registry.is_empty() {
        who.repo.clone()
    } else {
        format!("{}/{}", who.registry, who.repo)
    };
    let mut result = ImageScanResult {
        key: who.key(),
        id: stored.image_id.clone(),
        hostname: who.hostname.clone(),
        tags: vec![repo_tag.clone()],
        repo_tag,
        repo_digests: vec![format!("{name_for_digest}@{}", stored.manifest_digest)],
        registry_type: who.registry_type.clone(),
        kind: "registry".into(),
        scan_time: scan_time.clone(),
        first_scan_time: who.first_scan_time.clone().unwrap_or(scan_time),
        creation_time: stored
            .created
            .clone()
            .unwrap_or_else(|| crowsnest_model::spec::UNSET_TIME.to_string()),
        push_time: crowsnest_model::spec::UNSET_TIME.to_string(),
        scan_duration: who.scan_duration_ms,
        pull_duration: who.pull_duration_ms,
        scan_id: who.scan_id,
        scan_version: env!("CARGO_PKG_VERSION").to_string(),
        os_distro: os.id.clone(),
        os_distro_version: os.version_id.clone(),
        os_distro_release: os.codename.clone().unwrap_or_else(|| os.version_id.clone()),
        distro: os.pretty_name.clone().unwrap_or_default(),
        is_arm64: stored.architecture == "arm64",
        package_manager: inv.packages.iter().any(|p| p.kind.is_os()),
        vulnerabilities_count: vulns.len() as u64,
        vulnerability_distribution: dist,
        vulnerability_risk_score: risk_score(&dist),
        vulnerabilities: Some(vulns),
        compliance_issues_count: compliance.len() as u64,
        compliance_distribution: cdist,
        compliance_risk_score: risk_score(&cdist),
        compliance_issues: Some(compliance),
        risk_factors,
        packages: groups
            .into_iter()
            .map(|(t, pkgs)| PackagesGroup {
                vendor: Default::default(),
                pkgs_type: t.to_string(),
                pkgs,
            })
            .collect(),
        layers: stored.diff_ids.clone(),
        top_layer: stored.diff_ids.last().cloned().unwrap_or_default(),
        image: ImageView {
            vendor: Default::default(),
            created: stored.created.clone().unwrap_or_default(),
            entrypoint: inv.config.entrypoint.clone(),
            env: inv.config.env.clone(),
            healthcheck: inv.config.healthcheck,
            history: history.clone(),
            id: stored.image_id.clone(),
            labels: inv.config.labels.clone(),
            layers: stored.diff_ids.clone(),
            os: stored.os.clone(),
            repo_digest: Vec::new(),
            repo_tags: vec![who.key()],
            user: inv.config.user.clone(),
            working_dir: inv.config.working_dir.clone(),
        },
        history,
        instances: vec![ImageInstance {
            vendor: Default::default(),
            image: who.key(),
            host: who.hostname.clone(),
            modified: who.scan_time.to_string(),
            tag: who.tag.clone(),
            repo: who.repo.clone(),
            registry: who.registry.clone(),
        }],
        collections: who.collections.clone(),
        labels: inv
            .config
            .labels
            .iter()
            .map(|(k, v)| format!("{k}:{v}"))
            .collect(),
        binaries,
        ..Default::default()
    };
    crowsnest_model::scan_result::vendor::complete(&mut result);
    result
}

/// Go and Rust executables as Prisma lists them in `binaries`: one entry per executable, its
/// built-in modules as `deps`, its CVE count the sum over them. Modules read from manifests
/// (`go.mod`, `Cargo.lock`) are not executables and stay out.
fn binaries(
    inv: &crowsnest_model::inventory::Inventory,
    cve_count: &BTreeMap<(String, String), u64>,
) -> Vec<Binary> {
    use crowsnest_model::inventory::PackageKind;
    let mut by_path: BTreeMap<&str, Binary> = BTreeMap::new();
    for p in &inv.packages {
        let manifest = [".mod", ".sum", ".lock", ".toml"]
            .iter()
            .any(|ext| p.path.ends_with(ext));
        if !matches!(p.kind, PackageKind::Go | PackageKind::Cargo) || manifest || p.path.is_empty()
        {
            continue;
        }
        let b = by_path.entry(p.path.as_str()).or_insert_with(|| Binary {
            name: p.path.rsplit('/').next().unwrap_or(&p.path).to_string(),
            path: format!("/{}", p.path.trim_start_matches('/')),
            function_layer: p.layer_digest.clone().unwrap_or_default(),
            ..Default::default()
        });
        b.deps.push(format!("{}@{}", p.name, p.version));
        b.cve_count += cve_count
            .get(&(p.name.clone(), p.version.clone()))
            .copied()
            .unwrap_or(0);
    }
    by_path.into_values().collect()
}
