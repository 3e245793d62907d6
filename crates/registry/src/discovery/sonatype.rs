//! Registry type `"sonatype"`: Sonatype Nexus Repository 3, through a Docker repository's
//! connector (an HTTP(S) port, or a subdomain on Nexus Pro 3.40+), which is a v2 root: the
//! catalog and tag lists there are type `2`'s, as Prisma documents for Nexus (§10: `_catalog`
//! on the connector port, Basic auth; a user token's name and passcode work as the login).
//!
//! A `registry` naming Nexus's content path (`https://nexus:8081/repository/docker-hosted/`) is
//! refused up front: Nexus serves the Docker API only on connectors, and that path answers every
//! v2 call with a 404 that would otherwise read as an empty registry.
//!
//! Not done yet: the REST API (`/service/rest/v1/search?format=docker` with
//! `continuationToken`) for `lastModified` dates and for Nexus without a catalog-capable
//! connector.

use super::V2Source;
use crate::{RegistryClient, RegistryError};
use crowsnest_model::ScanTarget;

/// The source of a Nexus connector, or why `registry` cannot be one.
pub(crate) fn connector(
    target: &ScanTarget,
    client: RegistryClient,
) -> Result<V2Source, RegistryError> {
    let written = target.address().endpoint();
    let path = crate::client::base_url(written)?.path().to_string();
    if let Some(rest) = path.split("/repository/").nth(1) {
        let name = rest.split('/').next().unwrap_or_default();
        return Err(RegistryError::Spec(format!(
            "{written} is Nexus's content path of repository {name:?}, not a Docker connector: \
             set \"registry\" to the repository's connector (its HTTP or HTTPS port, e.g. \
             https://nexus.example.com:8443, or its subdomain), configured under the \
             repository's \"Repository Connectors\""
        )));
    }
    V2Source::new(target, client)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ClientOptions, Credentials};
    use crowsnest_model::spec::RegistrySpecification;

    fn target(registry: &str) -> ScanTarget {
        ScanTarget::from_spec(&RegistrySpecification {
            version: "sonatype".into(),
            registry: registry.into(),
            ..Default::default()
        })
        .unwrap()
    }

    fn client(registry: &str) -> RegistryClient {
        RegistryClient::new(registry, Credentials::anonymous(), ClientOptions::default()).unwrap()
    }

    #[test]
    fn a_content_path_is_refused_a_connector_is_taken() {
        let r = "https://nexus.example.com:8081/repository/docker-hosted/";
        let e = connector(&target(r), client(r)).unwrap_err().to_string();
        assert!(
            e.contains("content path of repository \"docker-hosted\", not a Docker connector"),
            "{e}"
        );
        let c = "https://nexus.example.com:8443";
        assert!(connector(&target(c), client(c)).is_ok());
    }
}
