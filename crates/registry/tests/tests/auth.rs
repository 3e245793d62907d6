//! The four registry modes (anonymous, htpasswd Basic, bearer token, TLS with a custom CA, plus
//! client certificates), each with a real push and a real discovery, and the failures a user
//! meets when credentials or trust are wrong.

use crate::support::{quick, spec};
use crowsnest_registry::{
    ClientOptions, Credentials, RegistryAuth, RegistryClient, RegistryError, discover,
};
use crowsnest_testkit::{ImageBuilder, RegistryBuilder};

#[tokio::test]
async fn anonymous_registry_with_nested_names_and_catalog_pages() {
    let Some(reg) = RegistryBuilder::new()
        .catalog_max_entries(2)
        .start_or_skip()
        .await
    else {
        return;
    };
    let p = reg.pusher();
    let names = ["a/b/c", "a/b", "solo", "deep/x/y/z", "docker/img"];
    let mut pushed = Vec::new();
    for (i, name) in names.iter().enumerate() {
        let img = if *name == "docker/img" {
            ImageBuilder::docker()
        } else {
            ImageBuilder::oci()
        }
        .created(&format!("2024-0{}-01T00:00:00Z", i + 1))
        .label(name);
        pushed.push(p.push_image(name, "1.0", &img).await.unwrap());
    }
    // Five repositories over pages of two: the client must follow the Link header.
    let client = RegistryClient::new(
        &reg.url(),
        Credentials::anonymous(),
        ClientOptions::default(),
    )
    .unwrap();
    let mut catalog = client.catalog().await.unwrap();
    catalog.sort();
    assert_eq!(
        catalog,
        ["a/b", "a/b/c", "deep/x/y/z", "docker/img", "solo"]
    );
    // The same with the client asking for pages of one (`n=1`, then `last=` from the Link).
    let one_by_one = RegistryClient::new(
        &reg.url(),
        Credentials::anonymous(),
        ClientOptions {
            page_size: Some(1),
            ..ClientOptions::default()
        },
    )
    .unwrap();
    let mut paged = one_by_one.catalog().await.unwrap();
    paged.sort();
    assert_eq!(paged, catalog);
    assert_eq!(one_by_one.requests_sent(), 5);

    let report = discover(&spec(&reg.url()), Credentials::anonymous(), &quick())
        .await
        .unwrap();
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert_eq!(report.images.len(), 5);
    for (name, pushed) in names.iter().zip(&pushed) {
        let img = report.images.iter().find(|i| i.repo == *name).unwrap();
        assert_eq!(img.digest.as_str(), pushed.digest, "{name}");
        assert_eq!(img.tag, "1.0");
        assert_eq!(img.registry, reg.url());
        assert!(img.created.is_some());
    }
    let docker = report
        .images
        .iter()
        .find(|i| i.repo == "docker/img")
        .unwrap();
    assert_eq!(docker.created.unwrap().to_string(), "2024-05-01T00:00:00Z");
}

#[tokio::test]
async fn htpasswd_basic_auth() {
    let Some(reg) = RegistryBuilder::new()
        .htpasswd("alice", "wonder-land")
        .start_or_skip()
        .await
    else {
        return;
    };
    let pushed = reg
        .pusher()
        .push_image("team/app", "v1", &ImageBuilder::oci())
        .await
        .unwrap();
    let report = discover(
        &spec(&reg.url()),
        Credentials::basic("alice", "wonder-land"),
        &quick(),
    )
    .await
    .unwrap();
    assert_eq!(report.images.len(), 1, "{:?}", report.errors);
    assert_eq!(report.images[0].digest.as_str(), pushed.digest);

    let wrong = discover(
        &spec(&reg.url()),
        Credentials::basic("alice", "nope"),
        &quick(),
    )
    .await
    .unwrap_err();
    assert!(matches!(wrong, RegistryError::Auth { .. }), "{wrong}");
    assert!(
        wrong
            .to_string()
            .contains("refused the username and password"),
        "{wrong}"
    );
    let none = discover(&spec(&reg.url()), Credentials::anonymous(), &quick())
        .await
        .unwrap_err();
    assert!(
        none.to_string()
            .contains("requires a username and password"),
        "{none}"
    );
}

#[tokio::test]
async fn bearer_tokens_are_fetched_once_per_scope_and_cached() {
    let Some(reg) = RegistryBuilder::new()
        .token("bob", "builder-pw")
        .start_or_skip()
        .await
    else {
        return;
    };
    let p = reg.pusher();
    for repo in ["one/app", "two/app"] {
        for (i, tag) in ["a", "b", "c"].iter().enumerate() {
            let img = ImageBuilder::oci()
                .created(&format!("2023-0{}-01T00:00:00Z", i + 1))
                .label(&format!("{repo}{tag}"));
            p.push_image(repo, tag, &img).await.unwrap();
        }
    }
    let stats = reg.token_stats().unwrap();
    let report = discover(
        &spec(&reg.url()),
        Credentials::basic("bob", "builder-pw"),
        &quick(),
    )
    .await
    .unwrap();
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert_eq!(report.images.len(), 6);
    // /v2/ (no scope), the catalog, and one per repository: six manifests and six configs
    // reuse the two repository tokens.
    let issued = stats.issued.load(std::sync::atomic::Ordering::Relaxed);
    assert_eq!(issued, 4, "scopes: {:?}", stats.scopes.lock().unwrap());
    assert!(report.requests > 12 + issued);

    let wrong = discover(&spec(&reg.url()), Credentials::basic("bob", "x"), &quick())
        .await
        .unwrap_err();
    assert!(
        wrong
            .to_string()
            .contains("token service answered HTTP 401"),
        "{wrong}"
    );
}

#[tokio::test]
async fn bearer_anonymous_pull_without_catalog() {
    let Some(reg) = RegistryBuilder::new()
        .token("bob", "builder-pw")
        .anonymous_pull()
        .start_or_skip()
        .await
    else {
        return;
    };
    reg.pusher()
        .push_image("public/app", "1", &ImageBuilder::oci())
        .await
        .unwrap();
    // An exact repository needs no catalog, which anonymous callers may not read.
    let mut s = spec(&reg.url());
    s.repository = "public/app".into();
    let report = discover(&s, Credentials::anonymous(), &quick())
        .await
        .unwrap();
    assert_eq!(report.images.len(), 1, "{:?}", report.errors);
    // The whole catalog is refused: the token carries no catalog access.
    let e = discover(&spec(&reg.url()), Credentials::anonymous(), &quick())
        .await
        .unwrap_err();
    assert!(e.to_string().contains("refused anonymous access"), "{e}");
}

#[tokio::test]
async fn tls_with_custom_ca_skip_verify_and_https_by_default() {
    let Some(reg) = RegistryBuilder::new().tls().start_or_skip().await else {
        return;
    };
    let pushed = reg
        .pusher()
        .push_image("secure/app", "1", &ImageBuilder::oci())
        .await
        .unwrap();
    let ca = reg.ca_pem().unwrap();
    // `127.0.0.1:PORT` without a scheme means https.
    let mut s = spec(&reg.host_port());
    let report = discover(&s, Credentials::anonymous().with_ca_cert(&ca), &quick())
        .await
        .unwrap();
    assert_eq!(report.images[0].digest.as_str(), pushed.digest);
    // The specification's own caCert works the same way.
    s.ca_cert = ca.clone();
    assert_eq!(
        discover(&s, Credentials::anonymous(), &quick())
            .await
            .unwrap()
            .images
            .len(),
        1
    );
    s.ca_cert.clear();
    let untrusted = discover(&s, Credentials::anonymous(), &quick())
        .await
        .unwrap_err();
    assert!(
        matches!(untrusted, RegistryError::Transport { .. }),
        "{untrusted}"
    );
    assert!(
        untrusted.to_string().to_lowercase().contains("certificate"),
        "{untrusted}"
    );
    let skip = Credentials {
        skip_verify: true,
        ..Credentials::anonymous()
    };
    assert_eq!(discover(&s, skip, &quick()).await.unwrap().images.len(), 1);
}

#[tokio::test]
async fn tls_client_certificates() {
    let Some(reg) = RegistryBuilder::new().client_certs().start_or_skip().await else {
        return;
    };
    reg.pusher()
        .push_image("mtls/app", "1", &ImageBuilder::oci())
        .await
        .unwrap();
    let (cert_pem, key_pem) = reg.client_identity().unwrap();
    let ca = reg.ca_pem().unwrap();
    let with_cert = Credentials {
        auth: RegistryAuth::ClientCert { cert_pem, key_pem },
        ca_cert_pem: Some(ca.clone()),
        skip_verify: false,
    };
    let report = discover(&spec(&reg.url()), with_cert, &quick())
        .await
        .unwrap();
    assert_eq!(report.images.len(), 1, "{:?}", report.errors);
    let without = discover(
        &spec(&reg.url()),
        Credentials::anonymous().with_ca_cert(&ca),
        &quick(),
    )
    .await
    .unwrap_err();
    // The server refuses the handshake with an alert, or (depending on timing) just closes the
    // connection, which looks the same as a registry going away.
    assert!(
        matches!(
            without,
            RegistryError::Transport { .. } | RegistryError::Unreachable { .. }
        ),
        "{without}"
    );
}
