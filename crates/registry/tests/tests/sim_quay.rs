//! Type `coreos` against the Quay simulator (crowsnest-testkit `vendor::quay`) in front of a real
//! registry. The simulator follows Quay's published API description: the swagger at
//! docs.quay.io/api/swagger and the handlers of quay/quay it is generated from,
//! `endpoints/api/repository.py` (`RepositoryList.get`: `namespace`, `starred` or `public`
//! required; `page_support` puts the `next_page` token in the body) and `endpoints/api/tag.py`
//! (`ListRepositoryTags.get`: the full tag history "alive *and dead*", `onlyActiveTags`, `limit`
//! default 50 and at most 100, `page`, `has_additional`; `_tag_dict`'s fields `name`,
//! `reversion`, `start_ts`, `end_ts`, `manifest_digest`, `is_manifest_list`, `size`,
//! `last_modified`, `expiration`), with `endpoints/exception.py`'s error bodies. The tests here
//! check those shapes where our client depends on them.

use super::sims::{discovers_exactly, options};
use crate::support::quick;
use crowsnest_model::spec::RegistrySpecification;
use crowsnest_registry::{Credentials, discover};
use crowsnest_testkit::vendor::quay::{self, QuaySim, ROBOT, ROBOT_TOKEN, TOKEN, TOKEN_NO_READ};
use crowsnest_testkit::{ImageBuilder, RegistryBuilder, TestRegistry};
use serde_json::{Value, json};

async fn content() -> Option<TestRegistry> {
    let reg = RegistryBuilder::new().start_or_skip().await?;
    let p = reg.pusher();
    for (repo, tag, created) in [
        ("acme/api", "1.0", "2024-01-01T00:00:00Z"),
        ("acme/api", "1.1", "2024-02-01T00:00:00Z"),
        ("acme/api", "1.2", "2024-03-01T00:00:00Z"),
        ("acme/api", "edge", "2024-04-01T00:00:00Z"),
        ("acme/api", "old", "2023-01-01T00:00:00Z"),
        ("acme/web", "1.0", "2024-01-05T00:00:00Z"),
        ("acme/db", "15", "2024-01-06T00:00:00Z"),
        ("beta/worker", "latest", "2024-01-07T00:00:00Z"),
        ("crow/own", "dev", "2024-01-08T00:00:00Z"),
        ("lonely", "1", "2024-01-09T00:00:00Z"),
    ] {
        let img = ImageBuilder::oci()
            .created(created)
            .label(&format!("{repo}:{tag}"));
        p.push_image(repo, tag, &img).await.unwrap();
    }
    Some(reg)
}

async fn sim(reg: &TestRegistry) -> QuaySim {
    sim_paged(reg, 2).await
}

async fn sim_paged(reg: &TestRegistry, page_size: usize) -> QuaySim {
    quay::serve(&options(reg, page_size)).await.unwrap()
}

fn oauth(token: &str) -> Credentials {
    Credentials::basic("$oauthtoken", token)
}

fn spec(s: &QuaySim, repository: &str, cap: i64) -> RegistrySpecification {
    serde_json::from_value(json!({"version": "coreos", "registry": s.sim.url,
        "repository": repository, "cap": cap}))
    .unwrap()
}

async fn get(s: &QuaySim, path: &str) -> (u16, Value) {
    let r = reqwest::Client::new()
        .get(format!("{}{path}", s.sim.url))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

#[tokio::test]
async fn quay_discovers_exactly_the_active_tags_two_a_page() {
    let Some(reg) = content().await else {
        return;
    };
    let s = sim(&reg).await;
    assert_eq!(s.sim.info.images.len(), 9, "lonely has no namespace");
    let report = discovers_exactly(&s.sim.info, oauth(TOKEN)).await;
    assert!(report.images.iter().all(|i| !i.tag.starts_with("gone-")));
    let hits = s.control.hits();
    // Namespaces crow, acme (3 repositories: two pages by next_page) and beta.
    assert_eq!(hits["GET /api/v1/user/"], 1);
    assert_eq!(hits["GET /api/v1/repository"], 4, "{hits:?}");
    // acme/api's 5 active tags two a page: 3 pages; 4 more repositories of one page each.
    assert_eq!(
        hits["GET /api/v1/repository/{repository}/tag/"],
        3 + 4,
        "{hits:?}"
    );
}

#[tokio::test]
async fn neuvector_misses_quay_next_page_in_the_body() {
    // NeuVector followed a Link header that Quay's repository list does not send: it read the
    // first page only. The body's next_page is what pages here.
    let Some(reg) = content().await else {
        return;
    };
    let s = sim(&reg).await;
    let (status, first) = get(&s, "/api/v1/repository?namespace=acme").await;
    assert_eq!(status, 200);
    assert_eq!(first["repositories"].as_array().unwrap().len(), 2);
    assert!(first["next_page"].is_string(), "{first}");
    let r = discover(&spec(&s, "acme/*", 0), oauth(TOKEN), &quick())
        .await
        .unwrap();
    let mut repos: Vec<&str> = r.images.iter().map(|i| i.repo.as_str()).collect();
    repos.dedup();
    assert_eq!(repos, ["acme/api", "acme/db", "acme/web"]);
    // Quay refuses an unscoped listing, as its API description says.
    let (status, body) = get(&s, "/api/v1/repository").await;
    assert_eq!(
        (status, body["error_type"].as_str()),
        (400, Some("invalid_request"))
    );
}

#[tokio::test]
async fn dead_tags_in_history_are_not_scanned_and_cap_uses_last_modified() {
    let Some(reg) = content().await else {
        return;
    };
    let s = sim_paged(&reg, 100).await;
    // The history holds dead revisions and a deleted tag; onlyActiveTags drops them.
    let (_, history) = get(&s, "/api/v1/repository/acme/api/tag/?limit=100").await;
    let tags = history["tags"].as_array().unwrap();
    assert_eq!(tags.len(), 5 + 5 + 1);
    assert!(
        tags.iter()
            .any(|t| t["end_ts"].is_i64() && t["name"] == "1.0")
    );
    assert!(
        tags[0]["last_modified"]
            .as_str()
            .unwrap()
            .ends_with("-0000")
    );
    let (_, active) = get(
        &s,
        "/api/v1/repository/acme/api/tag/?onlyActiveTags=true&limit=100",
    )
    .await;
    assert_eq!(active["tags"].as_array().unwrap().len(), 5);
    assert_eq!(active["has_additional"], false);

    let r = discover(&spec(&s, "acme/api", 2), oauth(TOKEN), &quick())
        .await
        .unwrap();
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    let kept: Vec<&str> = r.images.iter().map(|i| i.tag.as_str()).collect();
    assert_eq!(kept, ["edge", "1.2"]);
    assert_eq!(
        r.images[0].pushed.unwrap().to_string(),
        "2024-04-01T00:00:00Z"
    );
}

#[tokio::test]
async fn quay_token_errors_say_what_to_fix() {
    let Some(reg) = content().await else {
        return;
    };
    let s = sim(&reg).await;
    let e = discover(&spec(&s, "*", 0), oauth("wrong"), &quick())
        .await
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("refused the OAuth token") && e.contains("invalid_token"),
        "{e}"
    );
    let e = discover(&spec(&s, "*", 0), oauth(TOKEN_NO_READ), &quick())
        .await
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("repo:read") && e.contains("insufficient_scope"),
        "{e}"
    );
}

#[tokio::test]
async fn a_robot_account_lists_through_the_registry() {
    // Quay's API takes OAuth tokens only; a robot reads the v2 catalog and tag lists.
    let Some(reg) = content().await else {
        return;
    };
    let s = sim(&reg).await;
    let r = discover(
        &spec(&s, "acme/*", 0),
        Credentials::basic(ROBOT, ROBOT_TOKEN),
        &quick(),
    )
    .await
    .unwrap();
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    assert_eq!(r.images.len(), 7);
    let hits = s.control.hits();
    assert!(hits.keys().all(|k| !k.starts_with("GET /api/")), "{hits:?}");
}
