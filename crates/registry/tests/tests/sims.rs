//! Discovery through the vendor API simulators of crowsnest-testkit (`registry-sim`), each in
//! front of a real registry: the specification a simulator prints must discover exactly the
//! images it lists. One function per registry type; the shared check is [`discovers_exactly`].

use crate::support::quick;
use crowsnest_model::spec::RegistrySpecification;
use crowsnest_registry::{Credentials, DiscoveryReport, discover};
use crowsnest_testkit::vendor::{SimInfo, SimOptions, start};
use crowsnest_testkit::{ImageBuilder, RegistryBuilder, TestRegistry};

/// A real registry with two repositories of three and two tags.
pub(crate) async fn upstream() -> Option<TestRegistry> {
    let reg = RegistryBuilder::new().start_or_skip().await?;
    let p = reg.pusher();
    for (repo, tag, created) in [
        ("team/api", "1.0", "2024-01-01T00:00:00Z"),
        ("team/api", "1.1", "2024-02-01T00:00:00Z"),
        ("team/api", "latest", "2024-03-01T00:00:00Z"),
        ("web", "2.0", "2023-06-01T00:00:00Z"),
        ("web", "edge", "2023-07-01T00:00:00Z"),
    ] {
        let img = ImageBuilder::oci()
            .created(created)
            .label(&format!("{repo}:{tag}"));
        p.push_image(repo, tag, &img).await.unwrap();
    }
    Some(reg)
}

pub(crate) fn options(upstream: &TestRegistry, page_size: usize) -> SimOptions {
    SimOptions {
        listen: "127.0.0.1:0".parse().unwrap(),
        upstream: upstream.url(),
        page_size,
    }
}

/// Discovers with the simulator's own specification and checks the result is exactly its
/// `images` (repository, tag and digest).
pub(crate) async fn discovers_exactly(info: &SimInfo, creds: Credentials) -> DiscoveryReport {
    let spec: RegistrySpecification = serde_json::from_value(info.spec.clone()).unwrap();
    let report = discover(&spec, creds, &quick()).await.unwrap();
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    let mut found: Vec<(String, String, String)> = report
        .images
        .iter()
        .map(|i| (i.repo.clone(), i.tag.clone(), i.digest.to_string()))
        .collect();
    found.sort();
    let want: Vec<(String, String, String)> = info
        .images
        .iter()
        .map(|i| (i.repo.clone(), i.tag.clone(), i.digest.clone()))
        .collect();
    assert_eq!(found, want);
    report
}

#[tokio::test]
async fn v2_baseline() {
    let Some(reg) = upstream().await else {
        return;
    };
    let sim = start("2", &options(&reg, 2)).await.unwrap();
    assert_eq!(sim.info.images.len(), 5);
    assert_eq!(sim.info.to_json()["kind"], "2");
    discovers_exactly(&sim.info, Credentials::anonymous()).await;
    let e = start("nope", &options(&reg, 2)).await.unwrap_err();
    assert!(
        e.to_string()
            .contains("no simulator for registry type \"nope\""),
        "{e}"
    );
}
