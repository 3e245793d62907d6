//! [`RegistryKind`]: a specification's `version` as a type, so that code choosing per registry
//! type matches on an enum (and the compiler lists the types a new `match` must handle) instead
//! of comparing strings.

use crate::spec::SpecError;

/// The registry types Prisma's API accepts, by their `version` string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RegistryKind {
    /// `"2"`: any Docker Registry v2 / OCI distribution endpoint, and Docker Hub.
    DockerV2,
    /// `"aws"`: Amazon ECR.
    Aws,
    /// `"azure"`: Azure Container Registry.
    Azure,
    /// `"gcr"`: Google Container / Artifact Registry.
    Gcr,
    /// `"jfrog"`: JFrog Artifactory.
    Jfrog,
    /// `"sonatype"`: Sonatype Nexus.
    Sonatype,
    /// `"coreos"`: Quay.
    CoreOs,
    /// `"redhat"`: Red Hat OpenShift registry.
    RedHat,
    /// `"bluemix"`: IBM Cloud Container Registry.
    Bluemix,
    /// `"gitlab"`: GitLab Container Registry.
    Gitlab,
    /// `"harbor"`: Harbor.
    Harbor,
    /// `"dtr"`: Docker Trusted Registry / Mirantis Secure Registry.
    Dtr,
}

impl RegistryKind {
    /// Every kind, in the order the API documents the `version` values.
    pub const ALL: [RegistryKind; 12] = [
        RegistryKind::Aws,
        RegistryKind::Azure,
        RegistryKind::DockerV2,
        RegistryKind::Dtr,
        RegistryKind::Gcr,
        RegistryKind::Jfrog,
        RegistryKind::Sonatype,
        RegistryKind::CoreOs,
        RegistryKind::RedHat,
        RegistryKind::Bluemix,
        RegistryKind::Gitlab,
        RegistryKind::Harbor,
    ];

    /// The `version` string of this kind.
    pub fn as_str(self) -> &'static str {
        match self {
            RegistryKind::DockerV2 => "2",
            RegistryKind::Aws => "aws",
            RegistryKind::Azure => "azure",
            RegistryKind::Gcr => "gcr",
            RegistryKind::Jfrog => "jfrog",
            RegistryKind::Sonatype => "sonatype",
            RegistryKind::CoreOs => "coreos",
            RegistryKind::RedHat => "redhat",
            RegistryKind::Bluemix => "bluemix",
            RegistryKind::Gitlab => "gitlab",
            RegistryKind::Harbor => "harbor",
            RegistryKind::Dtr => "dtr",
        }
    }
}

impl std::str::FromStr for RegistryKind {
    type Err = SpecError;

    /// Exact match on the `version` string, as the API compares it.
    fn from_str(version: &str) -> Result<RegistryKind, SpecError> {
        RegistryKind::ALL
            .into_iter()
            .find(|k| k.as_str() == version)
            .ok_or_else(|| SpecError::UnknownVersion(version.to_string()))
    }
}

impl std::fmt::Display for RegistryKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::REGISTRY_VERSIONS;

    #[test]
    fn every_version_round_trips_and_others_are_refused() {
        for v in REGISTRY_VERSIONS {
            let k: RegistryKind = v.parse().unwrap();
            assert_eq!(k.as_str(), *v);
        }
        assert_eq!(RegistryKind::ALL.len(), REGISTRY_VERSIONS.len());
        assert_eq!("2".parse::<RegistryKind>(), Ok(RegistryKind::DockerV2));
        assert!(matches!(
            "AWS".parse::<RegistryKind>(),
            Err(SpecError::UnknownVersion(v)) if v == "AWS"
        ));
    }
}
