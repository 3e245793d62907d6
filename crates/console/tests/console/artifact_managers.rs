//! Issue 14 end to end: a Harbor registry configured through the Console exactly as Prisma
//! documents it (a `basic` credential holding a robot account, a specification with
//! `version: "harbor"`), scanned, with the exact image set in the results. The Harbor
//! simulator of crowsnest-testkit stands in front of a real `docker-registry` holding the
//! showcase: an artifact with three tags plus its signature and a Helm chart, an untagged image,
//! a nested repository and a repository of 101 artifacts (more than one page of 100).

use super::harness::console;
use crowsnest_testkit::RegistryBuilder;
use crowsnest_testkit::vendor::harbor::showcase;
use crowsnest_testkit::vendor::{SimOptions, start};
use reqwest::Method;
use serde_json::Value;
use std::collections::BTreeSet;

#[tokio::test]
async fn harbor_through_the_console() {
    let Some(registry) = RegistryBuilder::new().start_or_skip().await else {
        return;
    };
    let shown = showcase::push(&registry.pusher(), 101).await.unwrap();
    let options = SimOptions {
        listen: "127.0.0.1:0".parse().unwrap(),
        upstream: registry.url(),
        page_size: 100,
    };
    let sim = start("harbor", &options).await.unwrap();
    let c = console().start().await;
    let a = "/api/v32.04";

    let credential = sim.info.credential.as_ref().unwrap().to_string();
    let r = c
        .admin(Method::POST, &format!("{a}/credentials"), Some(&credential))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = c
        .admin(
            Method::POST,
            &format!("{a}/settings/registry?scanLater=true"),
            Some(&sim.info.spec.to_string()),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = c
        .admin(Method::POST, &format!("{a}/registry/scan"), None)
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let want: BTreeSet<(String, String)> = sim
        .info
        .images
        .iter()
        .map(|i| (i.repo.clone(), i.tag.clone()))
        .collect();
    assert_eq!(want.len(), 4 + 2 + 101);
    c.wait_for_scan(want.len() as u64).await;

    let mut got = BTreeSet::new();
    let mut digests = BTreeSet::new();
    let mut offset = 0;
    loop {
        let r = c
            .get(&format!("{a}/registry?limit=50&offset={offset}"))
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        let page = r.json();
        let page = page.as_array().unwrap();
        for img in page {
            got.insert((
                img["repoTag"]["repo"].as_str().unwrap().to_string(),
                img["repoTag"]["tag"].as_str().unwrap().to_string(),
            ));
            if ["1.1", "latest", "stable"].contains(&img["repoTag"]["tag"].as_str().unwrap()) {
                digests.insert(img["repoDigests"].to_string());
            }
        }
        if page.len() < 50 {
            break;
        }
        offset += 50;
    }
    let status = c.get("/api/v1/statuses/registry").await.json();
    assert_eq!(got, want, "{status}");
    assert_eq!(
        digests.len(),
        1,
        "the three tags are one artifact: {digests:?}"
    );
    assert!(
        digests.iter().next().unwrap().contains(&shown.three_tags),
        "{digests:?}"
    );

    // The chart and the signature are notes in the status, not failures.
    let status = c.get("/api/v1/statuses/registry").await.json();
    let notes: Vec<String> = status["errors"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["msg"].as_str().or(e.as_str()).map(str::to_string))
        .collect();
    let joined = notes.join("\n");
    assert!(
        joined.contains("team/api:chart-0.1.0: a Helm chart, not a container image; skipped")
            && joined.contains(&format!(
                "team/api:{}: a signature, not a container image; skipped",
                shown.signature_tag
            )),
        "{status}"
    );
    assert!(!joined.contains("Failed"), "{status}");

    // The shared layer is pulled once for all 107 images. Each tag is its own result (as
    // Prisma lists them), so the three tags of one artifact are three jobs: each reads the
    // small config again and finds the layer in the cache. Every other blob is read once.
    let stats: Value = reqwest::get(format!("{}/_sim/stats", sim.url))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let blobs = stats["blobs"].as_object().unwrap();
    assert_eq!(blobs[&shown.layer], 1, "{stats}");
    assert_eq!(blobs[&shown.three_tags_config], 3, "{stats}");
    let more_than_once: Vec<&String> = blobs
        .iter()
        .filter(|(_, n)| n.as_u64() != Some(1))
        .map(|(d, _)| d)
        .collect();
    assert_eq!(more_than_once, [&shown.three_tags_config], "{stats}");
}

/// Artifactory through the Console: a `basic` credential holding an access token, a
/// `version: "jfrog"` specification with all three `jfrogRepoTypes`, scanned; the results are
/// each image once (the virtual repository over the local one and the remote cache adds none),
/// pulled by repository path.
#[tokio::test]
async fn jfrog_through_the_console() {
    let Some(registry) = RegistryBuilder::new().start_or_skip().await else {
        return;
    };
    let layer =
        crowsnest_testkit::tar_layer(&[("etc/os-release", "ID=alpine\nVERSION_ID=3.19.1\n")]);
    let p = registry.pusher();
    for (repo, tag) in [
        ("docker-local/app", "1.0"),
        ("docker-local/app", "2.0"),
        ("docker-local/tools/cli", "v1"),
        ("docker-remote/library/alpine", "3.19"),
    ] {
        let img = crowsnest_testkit::ImageBuilder::oci()
            .label(&format!("{repo}:{tag}"))
            .layers(vec![layer.clone()]);
        p.push_image(repo, tag, &img).await.unwrap();
    }
    let options = SimOptions {
        listen: "127.0.0.1:0".parse().unwrap(),
        upstream: registry.url(),
        page_size: 2,
    };
    let sim = start("jfrog", &options).await.unwrap();
    let c = console().start().await;
    let a = "/api/v32.04";
    let credential = sim.info.credential.as_ref().unwrap().to_string();
    let r = c
        .admin(Method::POST, &format!("{a}/credentials"), Some(&credential))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = c
        .admin(
            Method::POST,
            &format!("{a}/settings/registry?scanLater=true"),
            Some(&sim.info.spec.to_string()),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = c
        .admin(Method::POST, &format!("{a}/registry/scan"), None)
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    c.wait_for_scan(4).await;
    let results = c.get(&format!("{a}/registry?limit=50")).await.json();
    let mut got: Vec<String> = results
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            format!(
                "{}:{}",
                i["repoTag"]["repo"].as_str().unwrap(),
                i["repoTag"]["tag"].as_str().unwrap()
            )
        })
        .collect();
    got.sort();
    let mut want: Vec<String> = sim
        .info
        .images
        .iter()
        .map(|i| format!("{}:{}", i.repo, i.tag))
        .collect();
    want.sort();
    let status = c.get("/api/v1/statuses/registry").await.json();
    assert_eq!(got, want, "{status}");
    assert!(
        results
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["osDistro"] == "alpine"),
        "{results}"
    );
}
