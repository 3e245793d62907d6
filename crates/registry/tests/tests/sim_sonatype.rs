//! Nexus (`version: "sonatype"`) through a Docker connector, which is a v2 root: a real
//! registry stands in for the connector port (Nexus's connector speaks plain distribution).

use crate::sims::upstream;
use crate::support::quick;
use crowsnest_model::spec::RegistrySpecification;
use crowsnest_registry::{Credentials, discover};

#[tokio::test]
async fn sonatype_connector_is_a_v2_root_and_the_content_path_is_refused() {
    let Some(reg) = upstream().await else {
        return;
    };
    let mut spec = RegistrySpecification {
        version: "sonatype".into(),
        registry: reg.url(),
        repository: "*".into(),
        os: "linux".into(),
        cap: 2,
        ..Default::default()
    };
    let r = discover(&spec, Credentials::anonymous(), &quick())
        .await
        .unwrap();
    let mut found: Vec<String> = r
        .images
        .iter()
        .map(|i| format!("{}:{}", i.repo, i.tag))
        .collect();
    found.sort();
    assert_eq!(
        found,
        ["team/api:1.1", "team/api:latest", "web:2.0", "web:edge"]
    );
    spec.registry = format!("{}/repository/docker-hosted/", reg.url());
    let e = discover(&spec, Credentials::anonymous(), &quick())
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("not a Docker connector"), "{e}");
}
