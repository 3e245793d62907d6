//! Type `dtr` against the DTR simulator (crowsnest-testkit `vendor::dtr`) in front of a real
//! registry. The simulator follows DTR's published API description (the swagger DTR serves at
//! `/api/v0/docs`: `GET /api/v0/repositories` and
//! `GET /api/v0/repositories/{namespace}/{reponame}/tags`, `pageSize`, `pageStart` and the
//! `X-Next-Page-Start` header) and the shapes Harbor's DTR adapter decodes
//! (`src/pkg/reg/adapter/dtr/types.go`: `repositories[].{namespace,name}`, tags
//! `{name, digest, createdAt, …}`); these tests check the parts our client relies on.

use super::sims::{discovers_exactly, options};
use crate::support::quick;
use crowsnest_model::spec::RegistrySpecification;
use crowsnest_registry::{Credentials, discover};
use crowsnest_testkit::vendor::dtr::{self, PASSWORD, USER};
use crowsnest_testkit::{ImageBuilder, RegistryBuilder};
use serde_json::json;

#[tokio::test]
async fn dtr_pages_by_next_page_start_and_caps_by_created_at() {
    let Some(reg) = RegistryBuilder::new().start_or_skip().await else {
        return;
    };
    let p = reg.pusher();
    let mut pushed = 0;
    for repo in ["eng/api", "eng/web", "ops/agent", "ops/proxy", "qa/runner"] {
        for month in 1..=5 {
            let img = ImageBuilder::oci()
                .created(&format!("2024-{month:02}-01T00:00:00Z"))
                .label(&format!("{repo}:{month}"));
            p.push_image(repo, &format!("v{month}"), &img)
                .await
                .unwrap();
            pushed += 1;
        }
    }
    let s = dtr::serve(&options(&reg, 2)).await.unwrap();
    assert_eq!(s.sim.info.images.len(), pushed);
    let creds = Credentials::basic(USER, PASSWORD);
    discovers_exactly(&s.sim.info, creds.clone()).await;
    let hits = s.control.hits();
    // 5 repositories two a page: 3 pages; 5 tags two a page: 3 pages per repository.
    assert_eq!(hits["GET /api/v0/repositories"], 3, "{hits:?}");
    assert_eq!(
        hits["GET /api/v0/repositories/{ns}/{repo}/tags"], 15,
        "{hits:?}"
    );

    // A page start the client echoed wrongly would repeat the first page: the raw API shows
    // the header and what it leads to.
    let http = reqwest::Client::new();
    let first = http
        .get(format!("{}/api/v0/repositories?pageSize=2", s.sim.url))
        .basic_auth(USER, Some(PASSWORD))
        .send()
        .await
        .unwrap();
    let start = first.headers()["x-next-page-start"]
        .to_str()
        .unwrap()
        .to_string();
    let body: serde_json::Value = first.json().await.unwrap();
    assert_eq!(body["repositories"][0]["name"], "api");

    let spec: RegistrySpecification = serde_json::from_value(json!({"version": "dtr",
        "registry": s.sim.url, "repository": "ops/*", "cap": 2}))
    .unwrap();
    let r = discover(&spec, creds, &quick()).await.unwrap();
    let got: Vec<String> = r
        .images
        .iter()
        .map(|i| format!("{}:{}", i.repo, i.tag))
        .collect();
    assert_eq!(
        got,
        [
            "ops/agent:v5",
            "ops/agent:v4",
            "ops/proxy:v5",
            "ops/proxy:v4"
        ]
    );
    assert!(r.images.iter().all(|i| i.pushed.is_some()));
    assert!(!start.is_empty());

    let e = discover(&spec, Credentials::basic(USER, "wrong"), &quick())
        .await
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("NOT_AUTHENTICATED") && e.contains("dtr credential"),
        "{e}"
    );
}
