//! [`ScanTarget`]: what scanning one registry specification means, validated once. The Console
//! builds it where it receives a specification, so an invalid one is refused at the boundary;
//! the registry layer connects to a target and discovers its images, and never re-reads the
//! specification's strings.

use crate::address::RegistryAddress;
use crate::pattern::Selection;
use crate::registry_kind::RegistryKind;
use crate::spec::{
    GitlabRegistrySpec, MAX_SCANNERS, REGISTRY_OS, RegistrySpecification, SCANNERS_LIMIT, SpecError,
};

/// One registry specification, typed and checked.
#[derive(Debug, Clone)]
pub struct ScanTarget {
    spec_id: String,
    kind: RegistryKind,
    address: RegistryAddress,
    repositories: Selection,
    tags: Selection,
    cap: usize,
    os: String,
    version_pattern: String,
    scanners: usize,
    collections: Vec<String>,
    credential_id: Option<String>,
    ca_cert: Option<String>,
    jfrog_repo_types: Vec<String>,
    /// Type `gitlab` only: which users, projects and groups to list (at least one is set).
    gitlab: Option<GitlabRegistrySpec>,
}

/// How many workers scan a specification's images: `requested` (its `scanners`) clamped to
/// `1..=`[`MAX_SCANNERS`], or `default` when it asks for none (0 or a negative value stored
/// before validation existed). The engine calls this for specifications already in the store,
/// which may predate the save-time limit.
pub fn worker_count(requested: i64, default: usize) -> usize {
    let n = usize::try_from(requested)
        .ok()
        .filter(|n| *n > 0)
        .unwrap_or(default);
    n.clamp(1, MAX_SCANNERS)
}

impl ScanTarget {
    /// Checks `spec` (the checks and messages of [`RegistrySpecification::validate`], which
    /// calls this) and builds the target. An empty `os` means `linux`, as Prisma's UI sends it.
    pub fn from_spec(spec: &RegistrySpecification) -> Result<ScanTarget, SpecError> {
        let kind: RegistryKind = spec.version.parse()?;
        let os = if spec.os.is_empty() {
            "linux"
        } else {
            spec.os.as_str()
        };
        if !REGISTRY_OS.contains(&os) {
            return Err(SpecError::UnknownOs(os.to_string()));
        }
        let cap = usize::try_from(spec.cap).map_err(|_| SpecError::Negative("cap"))?;
        let scanners =
            usize::try_from(spec.scanners).map_err(|_| SpecError::Negative("scanners"))?;
        if spec.scanners > SCANNERS_LIMIT {
            return Err(SpecError::TooManyScanners);
        }
        let address = RegistryAddress::parse(&spec.registry);
        if address.has_userinfo() {
            return Err(SpecError::CredentialsInAddress);
        }
        if let Some(t) = spec
            .jfrog_repo_types
            .iter()
            .find(|t| !matches!(t.as_str(), "local" | "remote" | "virtual"))
        {
            return Err(SpecError::BadJfrogRepoType(t.clone()));
        }
        let gitlab = match kind {
            RegistryKind::Gitlab => Some(gitlab_scope(spec.gitlab_registry_spec.as_ref())?),
            _ => None,
        };
        let non_empty = |s: &str| (!s.trim().is_empty()).then(|| s.to_string());
        Ok(ScanTarget {
            spec_id: spec.id.clone(),
            kind,
            address,
            repositories: Selection::new(&spec.repository, &spec.excluded_repositories),
            tags: Selection::new(&spec.tag, &spec.excluded_tags),
            cap,
            os: os.to_string(),
            version_pattern: spec.version_pattern.trim().to_string(),
            scanners,
            collections: spec.collections.clone(),
            credential_id: non_empty(&spec.credential_id),
            ca_cert: non_empty(&spec.ca_cert),
            jfrog_repo_types: spec.jfrog_repo_types.clone(),
            gitlab,
        })
    }

    /// The specification's `id`.
    pub fn spec_id(&self) -> &str {
        &self.spec_id
    }

    pub fn kind(&self) -> RegistryKind {
        self.kind
    }

    pub fn address(&self) -> &RegistryAddress {
        &self.address
    }

    /// `repository` with `excludedRepositories`.
    pub fn repositories(&self) -> &Selection {
        &self.repositories
    }

    /// `tag` with `excludedTags`.
    pub fn tags(&self) -> &Selection {
        &self.tags
    }

    /// Images kept per repository; 0 keeps all.
    pub fn cap(&self) -> usize {
        self.cap
    }

    /// `linux`, `linuxARM64` or `windows`.
    pub fn os(&self) -> &str {
        &self.os
    }

    /// The `versionPattern`, trimmed; empty when tags are ordered by date.
    pub fn version_pattern(&self) -> &str {
        &self.version_pattern
    }

    /// Images scanned at once, at most [`MAX_SCANNERS`]; 0 leaves it to the scanner's default.
    pub fn scanners(&self) -> usize {
        self.scanners.min(MAX_SCANNERS)
    }

    pub fn collections(&self) -> &[String] {
        &self.collections
    }

    /// The credential to authenticate with, when the specification names one.
    pub fn credential_id(&self) -> Option<&str> {
        self.credential_id.as_deref()
    }

    /// `jfrogRepoTypes` (`local`, `remote`, `virtual`), checked; empty when not given.
    pub fn jfrog_repo_types(&self) -> &[String] {
        &self.jfrog_repo_types
    }

    /// The specification's own `caCert` (PEM), when it has one.
    pub fn ca_cert(&self) -> Option<&str> {
        self.ca_cert.as_deref()
    }

    /// Type `gitlab`: the `gitlabRegistrySpec`, IDs trimmed, blank ones dropped; at least one
    /// of `userID`, `projectIDs` and `groupIDs` is set.
    pub fn gitlab(&self) -> Option<&GitlabRegistrySpec> {
        self.gitlab.as_ref()
    }
}

/// The `gitlabRegistrySpec` of a type `gitlab` specification, cleaned; Prisma requires one of
/// user, projects or groups (api-reference §2.1).
fn gitlab_scope(spec: Option<&GitlabRegistrySpec>) -> Result<GitlabRegistrySpec, SpecError> {
    let ids = |v: &[String]| -> Vec<String> {
        v.iter()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect()
    };
    let spec = spec.cloned().unwrap_or_default();
    let clean = GitlabRegistrySpec {
        user_id: spec.user_id.trim().to_string(),
        project_ids: ids(&spec.project_ids),
        group_ids: ids(&spec.group_ids),
        excluded_group_ids: ids(&spec.excluded_group_ids),
        api_domain_name: spec.api_domain_name.trim().to_string(),
    };
    if clean.user_id.is_empty() && clean.project_ids.is_empty() && clean.group_ids.is_empty() {
        return Err(SpecError::GitlabScopeMissing);
    }
    Ok(clean)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scanners_are_clamped_to_the_maximum() {
        let mut s = spec("2");
        s.scanners = 1_000;
        let t = ScanTarget::from_spec(&s).unwrap();
        assert_eq!(t.scanners(), MAX_SCANNERS);
        s.scanners = 3;
        assert_eq!(ScanTarget::from_spec(&s).unwrap().scanners(), 3);
        assert_eq!(worker_count(1_000_000_000, 2), MAX_SCANNERS);
        assert_eq!(worker_count(i64::MAX, 2), MAX_SCANNERS);
        assert_eq!(worker_count(0, 2), 2);
        assert_eq!(worker_count(-5, 2), 2);
        assert_eq!(worker_count(0, 0), 1);
        assert_eq!(worker_count(5, 2), 5);
    }

    fn spec(version: &str) -> RegistrySpecification {
        RegistrySpecification {
            id: "s1".into(),
            version: version.into(),
            registry: "https://reg.example:5000/".into(),
            repository: "team/*".into(),
            excluded_repositories: vec!["team/old".into()],
            tag: "v*".into(),
            excluded_tags: vec!["*-rc".into()],
            cap: 5,
            version_pattern: " v%d ".into(),
            credential_id: "cred".into(),
            ca_cert: "   ".into(),
            ..Default::default()
        }
    }

    #[test]
    fn a_valid_spec_becomes_a_typed_target() {
        let t = ScanTarget::from_spec(&spec("2")).unwrap();
        assert_eq!(t.spec_id(), "s1");
        assert_eq!(t.kind(), RegistryKind::DockerV2);
        assert_eq!(t.address().key(), "reg.example:5000");
        assert!(t.repositories().matches("team/app") && !t.repositories().matches("team/old"));
        assert!(t.tags().matches("v1") && !t.tags().matches("v1-rc"));
        assert_eq!((t.cap(), t.scanners(), t.os()), (5, 0, "linux"));
        assert_eq!(t.version_pattern(), "v%d");
        assert_eq!(t.credential_id(), Some("cred"));
        assert_eq!(t.ca_cert(), None, "a blank caCert is no CA");
    }

    #[test]
    fn invalid_specs_are_refused_with_the_settings_messages() {
        let refused = |f: &dyn Fn(&mut RegistrySpecification)| {
            let mut s = spec("2");
            f(&mut s);
            ScanTarget::from_spec(&s).unwrap_err().to_string()
        };
        assert!(refused(&|s| s.version = "3".into()).starts_with("unknown registry version \"3\""));
        assert!(refused(&|s| s.os = "solaris".into()).starts_with("unknown os \"solaris\""));
        assert_eq!(refused(&|s| s.cap = -1), "cap must not be negative");
        assert_eq!(
            refused(&|s| s.scanners = -2),
            "scanners must not be negative"
        );
        assert!(refused(&|s| s.jfrog_repo_types = vec!["x".into()]).contains("jfrogRepoTypes"));
        assert!(refused(&|s| s.scanners = 1_000_000_000).starts_with("scanners must be at most"));
        for registry in [
            "https://bob:pw@reg.example",
            "bob@reg.example:5000",
            "http://u:p@127.0.0.1:5000/",
        ] {
            let message = refused(&|s| s.registry = registry.into());
            assert!(message.contains("credential"), "{registry}: {message}");
            assert!(
                !message.contains("pw") && !message.contains("bob"),
                "{message}"
            );
        }
        assert_eq!(
            ScanTarget::from_spec(&spec("harbor")).unwrap().kind(),
            RegistryKind::Harbor
        );
    }

    #[test]
    fn gitlab_needs_a_user_projects_or_groups() {
        let mut s = spec("gitlab");
        let e = ScanTarget::from_spec(&s).unwrap_err();
        assert!(e.to_string().contains("gitlabRegistrySpec"), "{e}");
        s.gitlab_registry_spec = Some(GitlabRegistrySpec {
            user_id: "  ".into(),
            project_ids: vec![" ".into()],
            excluded_group_ids: vec!["7".into()],
            ..Default::default()
        });
        assert_eq!(
            ScanTarget::from_spec(&s).unwrap_err(),
            SpecError::GitlabScopeMissing
        );
        s.gitlab_registry_spec.as_mut().unwrap().group_ids = vec![" 12 ".into(), String::new()];
        let t = ScanTarget::from_spec(&s).unwrap();
        let g = t.gitlab().unwrap();
        assert_eq!(
            (g.group_ids.clone(), g.project_ids.len()),
            (vec!["12".into()], 0)
        );
        assert!(
            ScanTarget::from_spec(&spec("2"))
                .unwrap()
                .gitlab()
                .is_none()
        );
    }
}
