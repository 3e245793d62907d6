//! Artifactory (`version: "jfrog"`) against the Artifactory simulator of crowsnest-testkit in
//! front of a real registry: seed 002's call sequence, `jfrogRepoTypes`, the three Docker
//! access methods, a virtual repository over a local one and a remote cache scanned once, and
//! Artifactory's broken tag-list `Link` (RTFACT-18971, renovatebot/renovate#15080, #20745).
//!
//! The simulator's JSON is checked against JFrog's published REST API descriptions (JFrog
//! Artifactory REST API, jfrog.com/help "Artifactory REST APIs"): "Get Repositories" returns
//! `[{key, type, description, url, packageType}]`; "Get Reverse Proxy Configuration" carries
//! `dockerReverseProxyMethod` (`REPOPATHPREFIX`, `SUBDOMAIN`, `PORTPERREPO`) among its fields
//! and needs an administrator; "List Docker Repositories" returns `{"repositories": […]}` and
//! takes `n` and `last`; "List Docker Tags" returns `{"name", "tags": […]}` and takes `n` and
//! `last`; errors are `{"errors":[{"status", "message"}]}`.

use crate::sims::{discovers_exactly, options};
use crate::support::quick;
use crowsnest_model::spec::RegistrySpecification;
use crowsnest_registry::{Credentials, DiscoveryReport, discover};
use crowsnest_testkit::vendor::jfrog::{TOKEN, USER, start_with_method};
use crowsnest_testkit::vendor::{RunningSim, start};
use crowsnest_testkit::{ImageBuilder, RegistryBuilder, TestRegistry};
use serde_json::Value;

/// A local repository (`docker-local`: `app` with four tags, `tools/cli`) and a remote one's
/// cache (`docker-remote`: `library/alpine`).
async fn content() -> Option<TestRegistry> {
    let reg = RegistryBuilder::new().start_or_skip().await?;
    let p = reg.pusher();
    for (repo, tag, created) in [
        ("docker-local/app", "1.0", "2024-01-01T00:00:00Z"),
        ("docker-local/app", "1.1", "2024-02-01T00:00:00Z"),
        ("docker-local/app", "2.0", "2024-03-01T00:00:00Z"),
        ("docker-local/app", "2.1", "2024-04-01T00:00:00Z"),
        ("docker-local/app", "2.2", "2024-05-01T00:00:00Z"),
        ("docker-local/tools/cli", "v1", "2024-01-15T00:00:00Z"),
        (
            "docker-remote/library/alpine",
            "3.19",
            "2023-12-01T00:00:00Z",
        ),
        (
            "docker-remote/library/alpine",
            "3.20",
            "2024-05-22T00:00:00Z",
        ),
    ] {
        let img = ImageBuilder::oci()
            .created(created)
            .label(&format!("{repo}:{tag}"));
        p.push_image(repo, tag, &img).await.unwrap();
    }
    Some(reg)
}

fn admin() -> Credentials {
    Credentials::basic("admin", "password")
}

fn token() -> Credentials {
    Credentials::basic(USER, TOKEN)
}

fn spec_of(sim: &RunningSim, types: &[&str]) -> RegistrySpecification {
    let mut s: RegistrySpecification = serde_json::from_value(sim.info.spec.clone()).unwrap();
    s.jfrog_repo_types = types.iter().map(|t| t.to_string()).collect();
    s
}

fn names(r: &DiscoveryReport) -> Vec<String> {
    let mut v: Vec<String> = r
        .images
        .iter()
        .map(|i| format!("{}:{}", i.repo, i.tag))
        .collect();
    v.sort();
    v
}

/// Page size 2, the access token of a user who may not read the web server configuration (so
/// repository paths are used): everything exactly once, the virtual repository left out since
/// both its members are scanned.
#[tokio::test]
async fn jfrog_discovers_exactly_with_page_size_2() {
    let Some(reg) = content().await else {
        return;
    };
    let sim = start("jfrog", &options(&reg, 2)).await.unwrap();
    assert_eq!(sim.info.images.len(), 8);
    let report = discovers_exactly(&sim.info, token()).await;
    assert!(
        report
            .images
            .iter()
            .all(|i| !i.repo.starts_with("docker-virtual/"))
    );
}

/// `jfrogRepoTypes`: local alone, remote alone, virtual alone (the union of its members, each
/// image once), and local with virtual (the virtual repository gives only what the local one
/// does not hold: the remote cache's images, not the local ones a second time).
#[tokio::test]
async fn jfrog_repo_types_and_a_virtual_repository_scanned_once() {
    let Some(reg) = content().await else {
        return;
    };
    let sim = start("jfrog", &options(&reg, 2)).await.unwrap();
    let run = |types: &'static [&'static str]| {
        let spec = spec_of(&sim, types);
        async move { discover(&spec, token(), &quick()).await.unwrap() }
    };
    let local = run(&["local"]).await;
    assert_eq!(local.images.len(), 6);
    assert!(
        local
            .images
            .iter()
            .all(|i| i.repo.starts_with("docker-local/"))
    );
    let remote = run(&["remote"]).await;
    assert_eq!(
        names(&remote),
        [
            "docker-remote/library/alpine:3.19",
            "docker-remote/library/alpine:3.20"
        ]
    );
    let virt = run(&["virtual"]).await;
    assert_eq!(virt.images.len(), 8);
    assert!(
        virt.images
            .iter()
            .all(|i| i.repo.starts_with("docker-virtual/"))
    );
    let both = run(&["local", "virtual"]).await;
    let virtual_part: Vec<String> = names(&both)
        .into_iter()
        .filter(|n| n.starts_with("docker-virtual/"))
        .collect();
    assert_eq!(
        virtual_part,
        [
            "docker-virtual/library/alpine:3.19",
            "docker-virtual/library/alpine:3.20"
        ]
    );
    assert_eq!(both.images.len(), 8);
    // Same digests as the members: the virtual view adds names, not images.
    let all = run(&["local", "remote", "virtual"]).await;
    let mut digests: Vec<String> = all.images.iter().map(|i| i.digest.to_string()).collect();
    digests.sort();
    digests.dedup();
    assert_eq!(digests.len(), all.images.len());
}

/// Repository path and subdomain are read from the web server configuration and served; the
/// port method is refused saying what to do.
#[tokio::test]
async fn jfrog_access_methods() {
    let Some(reg) = content().await else {
        return;
    };
    for method in ["REPOPATHPREFIX", "SUBDOMAIN"] {
        let sim = start_with_method(&options(&reg, 3), method).await.unwrap();
        let r = discover(&spec_of(&sim, &["local", "remote"]), admin(), &quick())
            .await
            .unwrap();
        assert_eq!(r.images.len(), 8, "{method}: {:?}", r.errors);
    }
    let sim = start_with_method(&options(&reg, 3), "PORTPERREPO")
        .await
        .unwrap();
    let e = discover(&spec_of(&sim, &["local"]), admin(), &quick())
        .await
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("gives Docker access by port") && e.contains("Repository Path or Subdomain"),
        "{e}"
    );
    let e = discover(
        &spec_of(&sim, &["local"]),
        Credentials::basic(USER, "wrong"),
        &quick(),
    )
    .await
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("refused the login of \"scanner\"") && e.contains("401 Bad credentials"),
        "{e}"
    );
}

/// Artifactory's tag list `Link` loses the `/artifactory/api/docker/{key}` prefix and puts a
/// count in `last`: a client that follows it gets a 404 after the first page. Discovery asks
/// for the next page with `last` = the last tag read and finds all five tags with `n` = 2.
#[tokio::test]
async fn jfrog_tag_paging_quirk() {
    let Some(reg) = content().await else {
        return;
    };
    let sim = start("jfrog", &options(&reg, 2)).await.unwrap();
    let http = reqwest::Client::new();
    let first = http
        .get(format!(
            "{}/artifactory/api/docker/docker-local/v2/app/tags/list?n=2",
            sim.url
        ))
        .basic_auth(USER, Some(TOKEN))
        .send()
        .await
        .unwrap();
    let link = first.headers()["link"].to_str().unwrap().to_string();
    assert_eq!(link, "</v2/app/tags/list?last=2&n=2>; rel=\"next\"");
    let body: Value = first.json().await.unwrap();
    assert_eq!(
        body,
        serde_json::json!({"name": "app", "tags": ["1.0", "1.1"]})
    );
    let followed = http
        .get(format!("{}/v2/app/tags/list?last=2&n=2", sim.url))
        .basic_auth(USER, Some(TOKEN))
        .send()
        .await
        .unwrap();
    assert_eq!(followed.status(), 404);
    let mut spec = spec_of(&sim, &["local"]);
    spec.repository = "docker-local/app".into();
    let r = discover(&spec, token(), &quick()).await.unwrap();
    assert_eq!(
        names(&r),
        ["1.0", "1.1", "2.0", "2.1", "2.2"].map(|t| format!("docker-local/app:{t}"))
    );
}

/// The simulator's answers have exactly the fields JFrog's REST API descriptions give (module
/// docs), and the web server configuration is for administrators only.
#[tokio::test]
async fn jfrog_simulator_matches_the_published_api() {
    let Some(reg) = content().await else {
        return;
    };
    let sim = start("jfrog", &options(&reg, 100)).await.unwrap();
    let get = |path: &'static str, user: &'static str, pw: &'static str| {
        let url = format!("{}{path}", sim.url);
        async move {
            let r = reqwest::Client::new()
                .get(url)
                .basic_auth(user, Some(pw))
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap())
        }
    };
    let keys = |v: &Value| {
        let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
        k.sort();
        k
    };
    let (s, repos) = get(
        "/artifactory/api/repositories?packageType=docker",
        USER,
        TOKEN,
    )
    .await;
    assert_eq!(s, 200);
    for r in repos.as_array().unwrap() {
        assert_eq!(
            keys(r),
            ["description", "key", "packageType", "type", "url"]
        );
    }
    let types: Vec<&str> = repos
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["type"].as_str().unwrap())
        .collect();
    assert_eq!(types, ["LOCAL", "REMOTE", "VIRTUAL"]);
    let (s, ws) = get(
        "/artifactory/api/system/configuration/webServer",
        "admin",
        "password",
    )
    .await;
    assert_eq!(
        (s, ws["dockerReverseProxyMethod"].as_str()),
        (200, Some("REPOPATHPREFIX"))
    );
    let (s, e) = get(
        "/artifactory/api/system/configuration/webServer",
        USER,
        TOKEN,
    )
    .await;
    assert_eq!((s, e["errors"][0]["status"].as_u64()), (403, Some(403)));
    let (s, cat) = get(
        "/artifactory/api/docker/docker-local/v2/_catalog",
        USER,
        TOKEN,
    )
    .await;
    assert_eq!(
        (s, cat),
        (
            200,
            serde_json::json!({"repositories": ["app", "tools/cli"]})
        )
    );
    let (s, e) = get("/artifactory/api/repositories", USER, "nope").await;
    assert_eq!(s, 401);
    assert_eq!(
        e,
        serde_json::json!({"errors": [{"status": 401, "message": "Bad credentials"}]})
    );
}
