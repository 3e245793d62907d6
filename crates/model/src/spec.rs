//! The registry scan specification (`shared.RegistrySpecification`) and the settings document
//! (`shared.RegistrySettings`) exactly as Prisma's API spells them, with validation.

use crate::address::RegistryAddress;
use crate::target::ScanTarget;
use serde::{Deserialize, Serialize};

/// Prisma's documented maximum number of registry specifications (since 22.11).
pub const MAX_SPECIFICATIONS: usize = 19_999;

/// The most images one specification scans at once. A larger `scanners` is accepted (and kept
/// as written, so a GET returns what was saved) but run as this many workers: each worker is a
/// task with its own pull buffers, and Prisma's UI offers small numbers only.
pub const MAX_SCANNERS: usize = 64;

/// A `scanners` above this is refused at save time: no deployment means a thousand parallel
/// pulls per specification, so such a value is a mistake (or an attack on memory).
pub const SCANNERS_LIMIT: i64 = 1_000;

/// Prisma's "no time" value.
pub const UNSET_TIME: &str = "0001-01-01T00:00:00Z";

fn unset_time() -> String {
    UNSET_TIME.to_string()
}

/// Registry types (`version`) that the API accepts.
pub const REGISTRY_VERSIONS: &[&str] = &[
    "aws", "azure", "2", "dtr", "gcr", "jfrog", "sonatype", "coreos", "redhat", "bluemix",
    "gitlab", "harbor",
];

/// Base OS of a registry's images; picks the platform out of a multi-arch index.
pub const REGISTRY_OS: &[&str] = &["linux", "linuxARM64", "windows"];

/// One registry to scan. Unknown input fields (`hostname` in the docs' examples) are ignored.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct RegistrySpecification {
    pub id: String,
    pub version: String,
    pub registry: String,
    pub repository: String,
    pub tag: String,
    pub excluded_repositories: Vec<String>,
    pub excluded_tags: Vec<String>,
    /// Prisma spells it `credentialID`; one of its own scripts sends `credentialId`.
    #[serde(rename = "credentialID", alias = "credentialId")]
    pub credential_id: String,
    pub os: String,
    pub cap: i64,
    pub scanners: i64,
    pub collections: Vec<String>,
    pub version_pattern: String,
    pub namespace: String,
    pub jfrog_repo_types: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gitlab_registry_spec: Option<GitlabRegistrySpec>,
    pub harbor_deployment_security: bool,
    pub ca_cert: String,
    /// Kept as given: a cloud metadata object Crowsnest stores and returns but does not interpret.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub azure_cloud_metadata: Option<serde_json::Value>,
    // Read-only status fields, maintained by the scanner.
    pub scan_status: String,
    pub last_scan_status: String,
    pub scan_error: String,
    /// RFC 3339; Prisma writes `0001-01-01T00:00:00Z` for "never".
    #[serde(default = "unset_time")]
    pub scan_time: String,
    #[serde(default = "unset_time")]
    pub last_scan_time: String,
    pub scanned_images_success_total: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct GitlabRegistrySpec {
    #[serde(rename = "userID")]
    pub user_id: String,
    #[serde(rename = "projectIDs")]
    pub project_ids: Vec<String>,
    #[serde(rename = "groupIDs")]
    pub group_ids: Vec<String>,
    #[serde(rename = "excludedGroupIDs")]
    pub excluded_group_ids: Vec<String>,
    pub api_domain_name: String,
}

/// `GET /settings/registry` body; also the `PUT` body.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct RegistrySettings {
    pub specifications: Vec<RegistrySpecification>,
    pub webhook_url_suffix: String,
    pub harbor_scanner_url_suffix: String,
}

/// Why a specification was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SpecError {
    UnknownVersion(String),
    UnknownOs(String),
    Negative(&'static str),
    TooManyScanners,
    BadJfrogRepoType(String),
    /// `registry` carries `user:password@`: secrets belong in a credential, not in an address
    /// that is stored, logged and returned in plain.
    CredentialsInAddress,
    /// Type `gitlab` without a `gitlabRegistrySpec` naming a user, projects or groups.
    GitlabScopeMissing,
}

impl std::fmt::Display for SpecError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SpecError::UnknownVersion(v) => write!(
                f,
                "unknown registry version {v:?}; expected one of {}",
                REGISTRY_VERSIONS.join(", ")
            ),
            SpecError::UnknownOs(v) => {
                write!(
                    f,
                    "unknown os {v:?}; expected one of {}",
                    REGISTRY_OS.join(", ")
                )
            }
            SpecError::Negative(field) => write!(f, "{field} must not be negative"),
            SpecError::TooManyScanners => write!(
                f,
                "scanners must be at most {SCANNERS_LIMIT} (values above {MAX_SCANNERS} run as {MAX_SCANNERS})"
            ),
            SpecError::CredentialsInAddress => write!(
                f,
                "registry must not contain a user name or password (user:password@host); \
                 store them as a credential (POST /credentials) and name it in credentialID"
            ),
            SpecError::GitlabScopeMissing => write!(
                f,
                "a gitlab specification needs gitlabRegistrySpec with userID, projectIDs or \
                 groupIDs (the GitLab user, projects or groups whose registries to scan)"
            ),
            SpecError::BadJfrogRepoType(v) => {
                write!(
                    f,
                    "unknown jfrogRepoTypes value {v:?}; expected local, remote or virtual"
                )
            }
        }
    }
}

impl std::error::Error for SpecError {}

impl RegistrySpecification {
    /// Checks the fields a client supplies. Defaults an empty `os` to `linux`, as Prisma's UI does.
    pub fn validate(&mut self) -> Result<(), SpecError> {
        self.checked().map(|_| ())
    }

    /// [`validate`](Self::validate), returning the [`ScanTarget`] the checks produced: the
    /// form the Console builds where it receives a specification.
    pub fn checked(&mut self) -> Result<ScanTarget, SpecError> {
        let target = ScanTarget::from_spec(self)?;
        self.os = target.os().to_string();
        for t in [&mut self.scan_time, &mut self.last_scan_time] {
            if t.is_empty() {
                *t = UNSET_TIME.to_string();
            }
        }
        Ok(target)
    }

    /// The `registry` parsed; the one way to ask what registry a specification names.
    pub fn address(&self) -> RegistryAddress {
        RegistryAddress::parse(&self.registry)
    }

    /// True when this spec means Docker Hub (any of Hub's spellings, or an empty `registry`).
    pub fn is_docker_hub(&self) -> bool {
        self.address().is_docker_hub()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_credential_id_spellings_and_unknown_fields() {
        let a: RegistrySpecification =
            serde_json::from_str(r#"{"version":"2","credentialId":"c1","hostname":""}"#).unwrap();
        assert_eq!(a.credential_id, "c1");
        let b: RegistrySpecification =
            serde_json::from_str(r#"{"version":"2","credentialID":"c2"}"#).unwrap();
        assert_eq!(b.credential_id, "c2");
        assert!(
            serde_json::to_string(&b)
                .unwrap()
                .contains(r#""credentialID":"c2""#)
        );
    }

    #[test]
    fn validation() {
        let mut s = RegistrySpecification {
            version: "nonsense".into(),
            ..Default::default()
        };
        assert!(matches!(s.validate(), Err(SpecError::UnknownVersion(_))));
        s.version = "2".into();
        s.validate().unwrap();
        assert_eq!(s.os, "linux");
        s.os = "solaris".into();
        assert!(s.validate().is_err());
    }
}
