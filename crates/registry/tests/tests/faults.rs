//! Faults injected by crowsnest-testkit's proxy in front of a real registry. Each broken image
//! must give one clear error naming registry, repository and tag, while every other image is
//! still discovered; transient faults (one 429, one 500) must be retried away.

use crate::support::{quick, spec};
use crowsnest_registry::{Credentials, discover};
use crowsnest_testkit::{Fault, FaultProxy, ImageBuilder, IndexBuilder, RegistryBuilder};

#[tokio::test]
async fn each_fault_is_one_clear_per_image_error_and_the_rest_is_discovered() {
    let Some(reg) = RegistryBuilder::new().start_or_skip().await else {
        return;
    };
    let p = reg.pusher();
    let repos = [
        "good/one",
        "good/two",
        "f/unauth",
        "f/forbidden",
        "f/missing",
        "f/limited",
        "f/flaky",
        "f/slow",
        "f/busy",
        "f/broken",
        "f/hang",
        "f/notjson",
        "f/truncated",
        "f/corrupt",
    ];
    let mut configs = std::collections::HashMap::new();
    for repo in repos {
        let pushed = p
            .push_image(repo, "1", &ImageBuilder::oci().label(repo))
            .await
            .unwrap();
        configs.insert(repo, pushed.config_digest);
    }
    p.push_index(
        "f/noplatform",
        "1",
        &IndexBuilder::oci(vec![
            ImageBuilder::oci()
                .platform("linux", "s390x", None)
                .label("s390x"),
        ]),
    )
    .await
    .unwrap();

    let proxy = FaultProxy::start(&reg.url()).await.unwrap();
    let m = |repo: &str| format!("/v2/{repo}/manifests/1");
    proxy.inject(&m("f/unauth"), Fault::Status(401));
    proxy.inject(&m("f/forbidden"), Fault::Status(403));
    proxy.inject(&m("f/missing"), Fault::Status(404));
    proxy.inject(
        &m("f/limited"),
        Fault::TooManyRequests {
            retry_after_secs: 1,
        },
    );
    proxy.inject_times(
        &m("f/slow"),
        Fault::TooManyRequests {
            retry_after_secs: 1,
        },
        1,
    );
    proxy.inject_times(&m("f/flaky"), Fault::Status(500), 1);
    proxy.inject(&m("f/broken"), Fault::Status(500));
    proxy.inject(&m("f/busy"), Fault::Status(503));
    proxy.inject(&m("f/hang"), Fault::Hang);
    proxy.inject(&m("f/notjson"), Fault::NotJson);
    proxy.inject(
        &format!("/blobs/{}", configs["f/truncated"]),
        Fault::Truncate,
    );
    proxy.inject(&format!("/blobs/{}", configs["f/corrupt"]), Fault::Corrupt);

    let report = discover(&spec(proxy.url()), Credentials::anonymous(), &quick())
        .await
        .unwrap();
    let found: Vec<&str> = report.images.iter().map(|i| i.repo.as_str()).collect();
    assert_eq!(found, ["f/flaky", "f/slow", "good/one", "good/two"]);
    // 429 was answered after its Retry-After, 500 retried: both needed a second request.
    assert_eq!(proxy.hits(&m("f/slow")), 2);
    assert_eq!(proxy.hits(&m("f/flaky")), 2);

    let expect = [
        ("f/broken", "HTTP 500"),
        ("f/busy", "HTTP 503"),
        ("f/corrupt", "digest mismatch"),
        ("f/forbidden", "HTTP 403: DENIED"),
        ("f/hang", "no answer within 1.5 s after 2 attempt(s)"),
        ("f/limited", "HTTP 429"),
        ("f/missing", "HTTP 404"),
        (
            "f/noplatform",
            "no manifest for linux/amd64 in the index (it has: linux/s390x)",
        ),
        ("f/notjson", "not a JSON manifest"),
        ("f/truncated", "size mismatch"),
        ("f/unauth", "HTTP 401 without a WWW-Authenticate challenge"),
    ];
    assert_eq!(report.errors.len(), expect.len(), "{:#?}", report.errors);
    for (e, (repo, text)) in report.errors.iter().zip(expect) {
        assert_eq!((e.repo.as_str(), e.tag.as_str()), (repo, "1"));
        assert_eq!(e.registry, proxy.url());
        assert!(e.message.contains(text), "{repo}: {}", e.message);
        let line = e.to_string();
        assert!(
            line.starts_with(&format!("{} {repo}:1: ", proxy.url())),
            "{line}"
        );
    }
    // Persistent faults were tried exactly max_attempts (2) times, never more.
    assert_eq!(proxy.hits(&m("f/broken")), 2);
    assert_eq!(proxy.hits(&m("f/limited")), 2);
    assert_eq!(proxy.hits(&m("f/forbidden")), 1);
}

#[tokio::test]
async fn a_failing_tag_list_is_a_repository_error() {
    let Some(reg) = RegistryBuilder::new().start_or_skip().await else {
        return;
    };
    let p = reg.pusher();
    p.push_image("ok/app", "1", &ImageBuilder::oci())
        .await
        .unwrap();
    p.push_image("bad/app", "1", &ImageBuilder::oci().label("b"))
        .await
        .unwrap();
    let proxy = FaultProxy::start(&reg.url()).await.unwrap();
    proxy.inject("/v2/bad/app/tags/list", Fault::Status(403));
    let report = discover(&spec(proxy.url()), Credentials::anonymous(), &quick())
        .await
        .unwrap();
    assert_eq!(report.images.len(), 1);
    assert_eq!(report.errors.len(), 1);
    let e = &report.errors[0];
    assert_eq!((e.repo.as_str(), e.tag.as_str()), ("bad/app", ""));
    assert!(
        e.to_string()
            .starts_with(&format!("{} bad/app: ", proxy.url())),
        "{e}"
    );
    // A catalog failure stops the registry as a whole.
    proxy.inject("/v2/_catalog", Fault::Status(500));
    let e = discover(&spec(proxy.url()), Credentials::anonymous(), &quick())
        .await
        .unwrap_err();
    assert!(e.to_string().contains("_catalog: HTTP 500"), "{e}");
}
