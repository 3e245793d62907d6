//! Discovery semantics on a real registry: cap by config date, versionPattern without manifest
//! fetches, pattern exclusions, tag pages, platform selection, Docker Hub through a local
//! stand-in, and the schema 1 documents distribution serves to old clients.

use crate::support::{quick, spec};
use crowsnest_registry::{
    ClientOptions, Credentials, DOCKER_SCHEMA1_SIGNED, DiscoveryOptions, Manifest, RegistryClient,
    TargetPlatform, discover, parse_manifest,
};
use crowsnest_testkit::{Fault, FaultProxy, ImageBuilder, IndexBuilder, RegistryBuilder};

/// (tag, created): creation order differs from tag order and push order on purpose.
const DATED: [(&str, &str); 6] = [
    ("1.0", "2023-03-01T00:00:00Z"),
    ("1.1", "2023-01-01T00:00:00Z"),
    ("2.0", "2023-06-01T12:00:00Z"),
    ("latest", "2023-06-01T12:00:01Z"),
    ("0.9", "2022-12-31T23:59:59Z"),
    ("1.2", "2023-05-01T00:00:00Z"),
];

#[tokio::test]
async fn cap_keeps_the_most_recently_created() {
    let Some(reg) = RegistryBuilder::new().start_or_skip().await else {
        return;
    };
    let p = reg.pusher();
    for (tag, created) in DATED {
        let img = ImageBuilder::oci().created(created).label(tag);
        p.push_image("dated/app", tag, &img).await.unwrap();
    }
    let mut s = spec(&reg.url());
    s.cap = 3;
    let report = discover(&s, Credentials::anonymous(), &quick())
        .await
        .unwrap();
    let tags: Vec<&str> = report.images.iter().map(|i| i.tag.as_str()).collect();
    assert_eq!(tags, ["latest", "2.0", "1.2"]);
    s.cap = 1000;
    let report = discover(&s, Credentials::anonymous(), &quick())
        .await
        .unwrap();
    let tags: Vec<&str> = report.images.iter().map(|i| i.tag.as_str()).collect();
    assert_eq!(tags, ["latest", "2.0", "1.2", "1.0", "1.1", "0.9"]);
    // No cap: every tag, and no date is needed, so no config is read.
    s.cap = 0;
    let before = report.requests;
    let report = discover(&s, Credentials::anonymous(), &quick())
        .await
        .unwrap();
    let mut tags: Vec<&str> = report.images.iter().map(|i| i.tag.as_str()).collect();
    tags.sort();
    assert_eq!(tags, ["0.9", "1.0", "1.1", "1.2", "2.0", "latest"]);
    assert!(report.images.iter().all(|i| i.created.is_none()));
    assert!(
        report.requests < before,
        "{} requests vs {before} with dates",
        report.requests
    );
}

#[tokio::test]
async fn version_pattern_orders_without_fetching_every_manifest() {
    let Some(reg) = RegistryBuilder::new().start_or_skip().await else {
        return;
    };
    let p = reg.pusher();
    let tags = [
        "app-1.2.0",
        "app-1.10.0",
        "app-1.9.3",
        "app-2.0.0-rc1",
        "latest",
        "app-0.1.0",
        "nightly-20240102",
        "nightly-20231231",
        "nightly-20240101",
    ];
    for (i, tag) in tags.iter().enumerate() {
        // Dates run opposite to the versions, so a date-based cap would choose differently.
        let img = ImageBuilder::oci()
            .created(&format!("2024-01-{:02}T00:00:00Z", 20 - i))
            .label(tag);
        p.push_image("ver/app", tag, &img).await.unwrap();
    }
    let mut s = spec(&reg.url());
    s.cap = 2;
    s.version_pattern = "app-%d.%d.%d".into();
    let with = discover(&s, Credentials::anonymous(), &quick())
        .await
        .unwrap();
    let got: Vec<&str> = with.images.iter().map(|i| i.tag.as_str()).collect();
    assert_eq!(got, ["app-1.10.0", "app-1.9.3"]);

    s.version_pattern = "nightly-%Y%M%D".into();
    let dated = discover(&s, Credentials::anonymous(), &quick())
        .await
        .unwrap();
    let got: Vec<&str> = dated.images.iter().map(|i| i.tag.as_str()).collect();
    assert_eq!(got, ["nightly-20240102", "nightly-20240101"]);

    s.version_pattern.clear();
    let without = discover(&s, Credentials::anonymous(), &quick())
        .await
        .unwrap();
    assert_eq!(without.images.len(), 2);
    // With the pattern only the two kept tags are resolved (manifest + config each); without
    // it all nine are.
    assert!(
        with.requests + 14 <= without.requests,
        "with {} without {}",
        with.requests,
        without.requests
    );

    s.version_pattern = "%q".into();
    let e = discover(&s, Credentials::anonymous(), &quick())
        .await
        .unwrap_err();
    assert!(e.to_string().contains("invalid versionPattern"), "{e}");
}

#[tokio::test]
async fn repository_and_tag_patterns_with_exclusions() {
    let Some(reg) = RegistryBuilder::new().start_or_skip().await else {
        return;
    };
    let p = reg.pusher();
    for (repo, tag) in [
        ("team/web", "1"),
        ("team/web", "1-debug"),
        ("team/secret-db", "1"),
        ("Other/x", "1"),
        ("other/team", "1"),
    ] {
        let repo = repo.to_lowercase();
        let img = ImageBuilder::oci().label(&format!("{repo}{tag}"));
        p.push_image(&repo, tag, &img).await.unwrap();
    }
    let mut s = spec(&reg.url());
    s.repository = "TEAM*".into();
    s.excluded_repositories = vec!["*secret*".into()];
    s.excluded_tags = vec!["*-debug".into()];
    let report = discover(&s, Credentials::anonymous(), &quick())
        .await
        .unwrap();
    let got: Vec<String> = report
        .images
        .iter()
        .map(|i| format!("{}:{}", i.repo, i.tag))
        .collect();
    assert_eq!(got, ["team/web:1"]);
}

#[tokio::test]
async fn tag_lists_longer_than_a_page() {
    let Some(reg) = RegistryBuilder::new().start_or_skip().await else {
        return;
    };
    let p = reg.pusher();
    let img = ImageBuilder::oci();
    let mut want: Vec<String> = (0..23).map(|i| format!("t{i:02}")).collect();
    for t in &want {
        p.push_image("paged/app", t, &img).await.unwrap();
    }
    want.sort();
    for absolute in [false, true] {
        let proxy = FaultProxy::start(&reg.url()).await.unwrap();
        proxy.inject(
            "/tags/list",
            Fault::PaginateTags {
                page_size: 5,
                absolute,
            },
        );
        let client = RegistryClient::new(
            proxy.url(),
            Credentials::anonymous(),
            ClientOptions::default(),
        )
        .unwrap();
        let mut tags = client.tags("paged/app").await.unwrap();
        tags.sort();
        assert_eq!(tags, want, "absolute={absolute}");
        assert_eq!(proxy.hits("/tags/list"), 5, "absolute={absolute}");
    }
}

#[tokio::test]
async fn platforms_from_oci_index_and_docker_list() {
    let Some(reg) = RegistryBuilder::new().start_or_skip().await else {
        return;
    };
    let p = reg.pusher();
    let amd = ImageBuilder::oci().label("amd64");
    let arm = ImageBuilder::oci()
        .platform("linux", "arm64", Some("v8"))
        .label("arm64");
    let oci = p
        .push_index(
            "multi/oci",
            "latest",
            &IndexBuilder::oci(vec![amd.clone(), arm.clone()]).with_attestation(),
        )
        .await
        .unwrap();
    let list = p
        .push_index(
            "multi/list",
            "latest",
            &IndexBuilder::docker(vec![amd, arm]),
        )
        .await
        .unwrap();
    let mut s = spec(&reg.url());
    s.repository = "multi*".into();
    let report = discover(&s, Credentials::anonymous(), &quick())
        .await
        .unwrap();
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    let find = |r: &crowsnest_registry::DiscoveryReport, repo: &str| {
        r.images.iter().find(|i| i.repo == repo).unwrap().clone()
    };
    let o = find(&report, "multi/oci");
    assert_eq!(o.digest.as_str(), oci.children[0].digest);
    assert_eq!(o.index_digest.as_ref().unwrap().as_str(), oci.digest);
    let l = find(&report, "multi/list");
    assert_eq!(l.digest.as_str(), list.children[0].digest);

    s.os = "linuxARM64".into();
    let report = discover(&s, Credentials::anonymous(), &quick())
        .await
        .unwrap();
    assert_eq!(
        find(&report, "multi/oci").digest.as_str(),
        oci.children[1].digest
    );
    assert_eq!(
        find(&report, "multi/list").digest.as_str(),
        list.children[1].digest
    );

    // No windows entry: a per-image error for each, naming the registry, repo and tag.
    s.os = "windows".into();
    let report = discover(&s, Credentials::anonymous(), &quick())
        .await
        .unwrap();
    assert!(report.images.is_empty());
    assert_eq!(report.errors.len(), 2);
    for e in &report.errors {
        assert_eq!(e.registry, reg.url());
        assert_eq!(e.tag, "latest");
        assert!(e.message.contains("no manifest for windows/amd64"), "{e}");
        assert!(e.to_string().contains(&format!("{}:latest", e.repo)), "{e}");
    }
    // The attestation entry is listed but never chosen.
    assert!(
        report.errors[1].message.contains("unknown/unknown"),
        "{}",
        report.errors[1]
    );
}

#[tokio::test]
async fn docker_hub_semantics_against_a_local_stand_in() {
    let Some(hub) = RegistryBuilder::new()
        .token("hubuser", "hubpw")
        .anonymous_pull()
        .start_or_skip()
        .await
    else {
        return;
    };
    let pushed = hub
        .pusher()
        .push_image("library/alpine", "3.19", &ImageBuilder::oci())
        .await
        .unwrap();
    let opts = DiscoveryOptions {
        docker_hub: hub.url(),
        ..quick()
    };
    let mut s = spec("");
    s.repository = "alpine".into();
    let report = discover(&s, Credentials::anonymous(), &opts).await.unwrap();
    assert_eq!(report.images.len(), 1, "{:?}", report.errors);
    let img = &report.images[0];
    assert_eq!(
        (img.registry.as_str(), img.repo.as_str()),
        ("docker.io", "library/alpine")
    );
    assert_eq!(img.digest.as_str(), pushed.digest);
    // Every spelling of Hub in the specification is the same registry.
    for spelled in [
        "docker.io",
        "https://index.docker.io/",
        "registry-1.docker.io",
    ] {
        let mut other = s.clone();
        other.registry = spelled.into();
        let again = discover(&other, Credentials::anonymous(), &opts)
            .await
            .unwrap();
        assert_eq!(again.images, report.images, "{spelled}");
    }
    // Hub has no catalog: a wildcard cannot be listed.
    s.repository = "alp*".into();
    let e = discover(&s, Credentials::anonymous(), &opts)
        .await
        .unwrap_err();
    assert!(e.to_string().contains("Docker Hub has no catalog"), "{e}");
}

#[tokio::test]
async fn schema1_as_served_to_old_clients() {
    let Some(reg) = RegistryBuilder::new().start_or_skip().await else {
        return;
    };
    let p = reg.pusher();
    let img = ImageBuilder::docker().created("2021-07-04T10:00:00Z");
    let pushed = p.push_image("old/client", "v1", &img).await.unwrap();
    // Without an Accept header distribution rewrites schema 2 into signed schema 1.
    let (body, ct, dcd) = p.raw_manifest("old/client", "v1", None).await.unwrap();
    assert_eq!(ct.as_deref(), Some(DOCKER_SCHEMA1_SIGNED));
    let (m, digest) = parse_manifest("schema1", &body, ct.as_deref()).unwrap();
    assert_eq!(Some(digest.as_str()), dcd.as_deref(), "payload digest");
    let Manifest::Image(m) = m else {
        panic!("schema 1 is an image")
    };
    assert_eq!(m.created.unwrap().to_string(), "2021-07-04T10:00:00Z");
    assert_eq!(m.layers.len(), 1);
    assert_eq!(m.layers[0].digest.as_str(), pushed.layers[0].0);
    // Our client, sending the full Accept list, gets the schema 2 original.
    let client = RegistryClient::new(
        &reg.url(),
        Credentials::anonymous(),
        ClientOptions::default(),
    )
    .unwrap();
    let r = client
        .manifest("old/client", "v1", TargetPlatform::LinuxAmd64)
        .await
        .unwrap();
    assert_eq!(r.digest.as_str(), pushed.digest);
    let head = client
        .head_manifest("old/client", "v1")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(head.digest.unwrap().as_str(), pushed.digest);
    assert!(
        client
            .head_manifest("old/client", "nope")
            .await
            .unwrap()
            .is_none()
    );
}

/// A Helm chart, a cosign signature (an image config with a simple-signing layer) and an SBOM
/// pushed beside an image: discovery lists the image and skips the three with their kind.
#[tokio::test]
async fn non_image_artifacts_are_skipped_with_a_note() {
    let Some(reg) = RegistryBuilder::new().start_or_skip().await else {
        return;
    };
    let p = reg.pusher();
    let image = p
        .push_image("art/app", "1.0", &ImageBuilder::oci().label("app"))
        .await
        .unwrap();
    let artifact = |config_type: &str, config: &[u8], layer_type: &str, layer: &[u8]| {
        let (config, layer) = (config.to_vec(), layer.to_vec());
        let (config_type, layer_type) = (config_type.to_string(), layer_type.to_string());
        let p = &p;
        async move {
            let c = p.push_blob("art/app", &config).await.unwrap();
            let l = p.push_blob("art/app", &layer).await.unwrap();
            serde_json::to_vec(&serde_json::json!({
                "schemaVersion": 2,
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "config": {"mediaType": config_type, "digest": c, "size": config.len()},
                "layers": [{"mediaType": layer_type, "digest": l, "size": layer.len()}],
            }))
            .unwrap()
        }
    };
    let oci = "application/vnd.oci.image.manifest.v1+json";
    let chart = artifact(
        "application/vnd.cncf.helm.config.v1+json",
        br#"{"name":"app","version":"0.1.0"}"#,
        "application/vnd.cncf.helm.chart.content.v1.tar+gzip",
        b"not really a chart",
    )
    .await;
    p.push_manifest("art/app", "0.1.0-chart", oci, &chart)
        .await
        .unwrap();
    let signature = artifact(
        "application/vnd.oci.image.config.v1+json",
        br#"{"architecture":"","os":"","rootfs":{"type":"layers","diff_ids":[]}}"#,
        "application/vnd.dev.cosign.simplesigning.v1+json",
        br#"{"critical":{}}"#,
    )
    .await;
    let sig_tag = format!("{}.sig", image.digest.replace(':', "-"));
    p.push_manifest("art/app", &sig_tag, oci, &signature)
        .await
        .unwrap();
    let sbom = artifact(
        "application/vnd.oci.empty.v1+json",
        b"{}",
        "application/spdx+json",
        br#"{"spdxVersion":"SPDX-2.3"}"#,
    )
    .await;
    p.push_manifest("art/app", "sbom", oci, &sbom)
        .await
        .unwrap();

    let mut s = spec(&reg.url());
    for cap in [0, 5] {
        s.cap = cap;
        let report = discover(&s, Credentials::anonymous(), &quick())
            .await
            .unwrap();
        let tags: Vec<&str> = report.images.iter().map(|i| i.tag.as_str()).collect();
        assert_eq!(tags, ["1.0"], "cap {cap}");
        assert!(report.errors.is_empty(), "{:?}", report.errors);
        let skipped: Vec<String> = report.skipped.iter().map(|s| s.to_string()).collect();
        let host = reg.url();
        // The signature is known by its tag name and never fetched; the others by media type.
        assert_eq!(
            skipped,
            [
                format!("{host} art/app:0.1.0-chart: a Helm chart, not a container image; skipped"),
                format!("{host} art/app:sbom: an SBOM, not a container image; skipped"),
                format!("{host} art/app:{sig_tag}: a signature, not a container image; skipped"),
            ]
        );
        assert_eq!(report.skipped_total, 3);
    }
}
