//! The results side of Prisma's registry API, as wire shapes: `shared.ImageScanResult` with its
//! `vuln.Vulnerability` entries, scan progress (`shared.RegistryScanProgress`), the scan status
//! (`defender.ScanStatus`) and scan requests (`shared.RegistryScanRequest`). Times inside
//! vulnerabilities and history are Unix seconds; the others are RFC 3339, as Prisma writes them.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub mod vendor;

/// Prisma's `riskFactors`: an object used as a set, every value `{}`.
pub type RiskFactors = BTreeMap<String, serde_json::Map<String, serde_json::Value>>;

/// `shared.ImageTag`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ImageTag {
    pub registry: String,
    pub repo: String,
    pub tag: String,
    pub digest: String,
    pub id: String,
    /// Fields of the vendor's schema that Crowsnest has nothing for, present with their
    /// type's empty value (see [`vendor`]).
    #[serde(flatten)]
    pub vendor: serde_json::Map<String, serde_json::Value>,
}

/// `vuln.Distribution`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Distribution {
    pub critical: u64,
    pub high: u64,
    pub medium: u64,
    pub low: u64,
    pub total: u64,
}

/// `vuln.Vulnerability`, for CVEs and compliance issues alike.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Vulnerability {
    /// Package-type id for CVEs (46 OS, 47 jar, 48 gem, 49 nodejs, 410 python, 411 binary, 415
    /// nuget, 416 go); the check id for compliance issues.
    pub id: i64,
    pub cve: String,
    pub cvss: f64,
    pub vec_str: String,
    pub severity: String,
    pub status: String,
    pub package_name: String,
    pub package_version: String,
    pub package_type: String,
    pub binary_pkgs: Vec<String>,
    pub rpm_module: String,
    pub function_layer: String,
    pub published: i64,
    pub fix_date: i64,
    pub discovered: String,
    pub layer_time: i64,
    pub link: String,
    pub fix_link: String,
    pub description: String,
    pub cause: String,
    pub title: String,
    pub text: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub applicable_rules: Vec<String>,
    pub risk_factors: RiskFactors,
    pub exploit: String,
    pub templates: Vec<String>,
    pub twistlock: bool,
    pub cri: bool,
    pub custom: bool,
    pub block: bool,
    /// Null when no block rule applies.
    pub grace_period_days: Option<i64>,
    /// Fields of the vendor's schema that Crowsnest has nothing for, present with their
    /// type's empty value (see [`vendor`]).
    #[serde(flatten)]
    pub vendor: serde_json::Map<String, serde_json::Value>,
}

/// One package of `shared.Packages.pkgs`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PackageView {
    pub name: String,
    pub version: String,
    pub license: String,
    pub cve_count: u64,
    pub layer_time: i64,
    pub binary_pkgs: Vec<String>,
    pub path: String,
    pub purl: String,
    pub files: Vec<String>,
    /// The layer (diff id) that brought the package.
    pub function_layer: String,
    pub os_package: bool,
    /// The source package (Debian source, RPM source RPM), or the name itself.
    pub origin_package_name: String,
    pub jar_identifier: String,
    pub md5: String,
    pub author: String,
    /// Fields of the vendor's schema that Crowsnest has nothing for, present with their
    /// type's empty value (see [`vendor`]).
    #[serde(flatten)]
    pub vendor: serde_json::Map<String, serde_json::Value>,
}

/// `shared.Packages`: packages grouped by type.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PackagesGroup {
    pub pkgs_type: String,
    pub pkgs: Vec<PackageView>,
    /// Fields of the vendor's schema that Crowsnest has nothing for, present with their
    /// type's empty value (see [`vendor`]).
    #[serde(flatten)]
    pub vendor: serde_json::Map<String, serde_json::Value>,
}

/// `shared.ImageHistory`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ImageHistory {
    pub created: i64,
    pub instruction: String,
    pub size_bytes: i64,
    pub id: String,
    pub tags: Vec<String>,
    pub empty_layer: bool,
    pub base_layer: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vulnerabilities: Option<Vec<Vulnerability>>,
    /// Fields of the vendor's schema that Crowsnest has nothing for, present with their
    /// type's empty value (see [`vendor`]).
    #[serde(flatten)]
    pub vendor: serde_json::Map<String, serde_json::Value>,
}

/// `shared.Image`: the image config as Prisma summarises it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ImageView {
    pub created: String,
    pub entrypoint: Vec<String>,
    pub env: Vec<String>,
    pub healthcheck: bool,
    pub history: Vec<ImageHistory>,
    pub id: String,
    pub labels: BTreeMap<String, String>,
    pub layers: Vec<String>,
    pub os: String,
    pub repo_digest: Vec<String>,
    pub repo_tags: Vec<String>,
    pub user: String,
    pub working_dir: String,
    /// Fields of the vendor's schema that Crowsnest has nothing for, present with their
    /// type's empty value (see [`vendor`]).
    #[serde(flatten)]
    pub vendor: serde_json::Map<String, serde_json::Value>,
}

/// `shared.ImageInstance`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ImageInstance {
    pub image: String,
    pub host: String,
    pub modified: String,
    pub tag: String,
    pub repo: String,
    pub registry: String,
    /// Fields of the vendor's schema that Crowsnest has nothing for, present with their
    /// type's empty value (see [`vendor`]).
    #[serde(flatten)]
    pub vendor: serde_json::Map<String, serde_json::Value>,
}

/// `shared.ImageScanResult`, the body of `GET /registry`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ImageScanResult {
    #[serde(rename = "_id")]
    pub key: String,
    pub id: String,
    pub hostname: String,
    pub repo_tag: ImageTag,
    pub tags: Vec<ImageTag>,
    pub repo_digests: Vec<String>,
    pub registry_type: String,
    pub registry_namespace: String,
    pub registry_tags: Vec<String>,
    #[serde(rename = "type")]
    pub kind: String,
    pub scan_time: String,
    pub first_scan_time: String,
    pub creation_time: String,
    pub push_time: String,
    pub scan_duration: i64,
    pub pull_duration: i64,
    #[serde(rename = "scanID")]
    pub scan_id: i64,
    pub scan_version: String,
    pub scan_build_date: String,
    pub os_distro: String,
    pub os_distro_version: String,
    pub os_distro_release: String,
    pub distro: String,
    pub underlying_distro: String,
    pub underlying_distro_release: String,
    #[serde(rename = "isARM64")]
    pub is_arm64: bool,
    pub package_manager: bool,
    pub missing_distro_vuln_coverage: bool,
    pub vulnerabilities: Option<Vec<Vulnerability>>,
    pub vulnerabilities_count: u64,
    pub vulnerability_distribution: Distribution,
    pub vulnerability_risk_score: f64,
    pub compliance_issues: Option<Vec<Vulnerability>>,
    pub compliance_issues_count: u64,
    pub compliance_distribution: Distribution,
    pub compliance_risk_score: f64,
    pub risk_factors: RiskFactors,
    pub packages: Vec<PackagesGroup>,
    pub layers: Vec<String>,
    pub top_layer: String,
    pub history: Vec<ImageHistory>,
    pub image: ImageView,
    pub instances: Vec<ImageInstance>,
    pub collections: Vec<String>,
    pub labels: Vec<String>,
    pub err: String,
    pub err_code: i64,
    pub twistlock_image: bool,
    pub app_embedded: bool,
    pub agentless: bool,
    pub csa: bool,
    pub compressed: bool,
    pub stopped: bool,
    /// Go and Rust executables, with the modules built into them.
    pub binaries: Vec<Binary>,
    pub startup_binaries: Vec<Binary>,
    pub applications: Vec<Application>,
    /// Crowsnest extension: which policy rules applied and whether the image would be blocked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy: Option<PolicyVerdict>,
    /// Fields of the vendor's schema that Crowsnest has nothing for, present with their
    /// type's empty value (see [`vendor`]).
    #[serde(flatten)]
    pub vendor: serde_json::Map<String, serde_json::Value>,
}

/// `shared.Binary`: an executable found in the image.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Binary {
    pub name: String,
    pub path: String,
    pub md5: String,
    pub cve_count: u64,
    /// Modules built into it (`name@version`).
    pub deps: Vec<String>,
    pub file_mode: u32,
    pub function_layer: String,
    pub missing_pkg: bool,
    pub altered: bool,
    pub pkg_root_dir: String,
    pub services: Vec<String>,
    pub version: String,
}

/// `vuln.Application`: a well-known application (web server, runtime) found in the image.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Application {
    pub name: String,
    pub version: String,
    pub path: String,
    pub md5: String,
    pub layer_time: i64,
    pub known_vulnerabilities: u64,
    pub installed_from_package: bool,
    pub origin_package_name: String,
    pub rpm_module: String,
    pub service: bool,
}

/// Crowsnest's account of the policy evaluation for one image.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PolicyVerdict {
    pub vulnerability_rule: String,
    pub compliance_rule: String,
    pub blocked: bool,
    pub block_reasons: Vec<String>,
}

/// `shared.Progress`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Progress {
    pub hostname: String,
    pub id: String,
    pub scan_time: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub discovery: bool,
    pub total: u64,
    pub scanned: u64,
    pub title: String,
    pub error: String,
    pub on_demand: bool,
    pub ais_initial_scan_in_progress: bool,
    pub ais_on_demand_scan_in_progress: bool,
}

/// `shared.RegistryScanProgress`: one element of `GET /registry/progress`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct RegistryScanProgress {
    pub discovery: Progress,
    pub image_scan: Progress,
    pub is_scan_ongoing: bool,
    pub spec_scan_start_time: String,
}

/// `defender.ScanStatus`: `GET /statuses/registry`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ScanStatus {
    pub scan_time: String,
    pub completed: bool,
    pub scanning: bool,
    pub selective: bool,
    pub hostname: String,
    pub errors: Vec<String>,
}

/// `shared.RegistryScanRequest`: the body of `POST /registry/scan`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct RegistryScanRequest {
    pub on_demand_scan: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tag: Option<ImageTag>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub settings: Option<crate::spec::RegistrySpecification>,
    #[serde(rename = "scanID")]
    pub scan_id: i64,
    #[serde(rename = "type")]
    pub kind: i64,
}
