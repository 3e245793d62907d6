//! Type `gitlab` end to end over the Console's API, as Prisma documents it: a `gitlabToken`
//! credential, a `gitlab` specification with `gitlabRegistrySpec`, a scan through the GitLab
//! simulator (crowsnest-testkit `vendor::gitlab`) in front of a real registry, and exactly the
//! images the specification covers in the results; then a wrong token, reported in the scan
//! status with what to fix. Types `coreos` (Quay) and `dtr` are shown the same way at the end.

use super::harness::console;
use crowsnest_testkit::vendor::SimOptions;
use crowsnest_testkit::vendor::gitlab::{self, TOKEN};
use crowsnest_testkit::{ImageBuilder, RegistryBuilder, tar_layer};
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn gitlab_credential_spec_scan_exact_results() {
    let Some(registry) = RegistryBuilder::new().start_or_skip().await else {
        return;
    };
    let p = registry.pusher();
    let layer = tar_layer(&[(
        "etc/os-release",
        "ID=alpine\nVERSION_ID=3.19.1\nPRETTY_NAME=\"Alpine Linux v3.19\"\n",
    )]);
    for (repo, tag, created) in [
        ("acme/platform/team/api", "1.0", "2024-01-01T00:00:00Z"),
        ("acme/platform/team/api", "1.1", "2024-02-01T00:00:00Z"),
        ("acme/platform/team/api", "1.2", "2024-03-01T00:00:00Z"),
        ("acme/platform/web", "edge", "2024-01-15T00:00:00Z"),
        ("acme/tools/cli", "0.1", "2024-01-20T00:00:00Z"),
        ("beta/worker", "latest", "2024-01-25T00:00:00Z"),
    ] {
        let img = ImageBuilder::oci()
            .created(created)
            .label(&format!("{repo}:{tag}"))
            .layers(vec![layer.clone()]);
        p.push_image(repo, tag, &img).await.unwrap();
    }
    let sim = gitlab::serve(&SimOptions {
        listen: "127.0.0.1:0".parse().unwrap(),
        upstream: registry.url(),
        page_size: 2,
    })
    .await
    .unwrap();
    let (groups, _) = sim.control.ids();
    let url = &sim.sim.url;
    let host = url.trim_start_matches("http://");
    let c = console().start().await;
    let a = "/api/v32.04";

    let cred = json!({"_id": "gitlab", "type": "gitlabToken", "accountID": "crow",
        "apiToken": {"plain": TOKEN}});
    let r = c
        .admin(
            Method::POST,
            &format!("{a}/credentials"),
            Some(&cred.to_string()),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    // Group `acme` (subgroups three deep), without subgroup acme/tools; the two newest tags per
    // repository by GitLab's created_at.
    let spec = json!({"version": "gitlab", "registry": url, "credentialID": "gitlab",
        "repository": "*", "tag": "", "os": "linux", "cap": 2, "scanners": 2,
        "collections": ["All"],
        "gitlabRegistrySpec": {"userID": "", "projectIDs": [],
            "groupIDs": [groups["acme"].to_string()],
            "excludedGroupIDs": [groups["acme/tools"].to_string()], "apiDomainName": url}});
    let r = c
        .admin(
            Method::POST,
            &format!("{a}/settings/registry?scanLater=true"),
            Some(&spec.to_string()),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    // A gitlab specification without IDs is refused when saved, as Prisma's UI refuses it.
    let mut bare = spec.clone();
    bare["gitlabRegistrySpec"]["groupIDs"] = json!([]);
    let r = c
        .admin(
            Method::POST,
            &format!("{a}/settings/registry?scanLater=true"),
            Some(&bare.to_string()),
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert!(r.text.contains("gitlabRegistrySpec"), "{}", r.text);

    let r = c
        .admin(Method::POST, &format!("{a}/registry/scan"), None)
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    c.wait_for_scan(3).await;
    let results = c.get(&format!("{a}/registry?limit=50")).await.json();
    let mut found: Vec<(String, String, String)> = results
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            (
                x["repoTag"]["repo"].as_str().unwrap().to_string(),
                x["repoTag"]["tag"].as_str().unwrap().to_string(),
                x["_id"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    found.sort();
    let want: Vec<(String, String, String)> = [
        ("acme/platform/team/api", "1.1"),
        ("acme/platform/team/api", "1.2"),
        ("acme/platform/web", "edge"),
    ]
    .iter()
    .map(|(r, t)| (r.to_string(), t.to_string(), format!("{host}/{r}:{t}")))
    .collect();
    assert_eq!(found, want);
    assert!(
        results
            .as_array()
            .unwrap()
            .iter()
            .all(|x| x["osDistro"] == "alpine"),
        "{results}"
    );
    let status = c.get("/api/v1/statuses/registry").await.json();
    assert_eq!(status["errors"], json!([]), "{status}");
    // Dates came from one tag-detail call per tag of the repositories kept (3 + 1).
    assert!(
        sim.control.hits_on("GET /v2 blobs") > 0,
        "layers are pulled to scan"
    );
    let details = "GET /api/v4/projects/:id/registry/repositories/:repository_id/tags/:tag_name";
    assert_eq!(sim.control.hits_on(details), 4);

    // The token replaced by a wrong one: the next scan reports what to fix.
    let cred = json!({"_id": "gitlab", "type": "gitlabToken", "accountID": "crow",
        "apiToken": {"plain": "glpat-wrong"}});
    let r = c
        .admin(
            Method::POST,
            &format!("{a}/credentials"),
            Some(&cred.to_string()),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = c
        .admin(Method::POST, &format!("{a}/registry/scan"), None)
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let status = c
        .poll("/api/v1/statuses/registry", |s| {
            s["completed"] == true && s["errors"].as_array().is_some_and(|e| !e.is_empty())
        })
        .await;
    let errors = status["errors"].to_string();
    assert!(
        errors.contains("refused the API token") && errors.contains("read_api"),
        "{errors}"
    );
}

/// Type `coreos` (Quay) the same way: a `basic` credential with user `$oauthtoken` and an OAuth
/// application token, a `coreos` specification, exact results from the active tags only.
#[tokio::test]
async fn quay_credential_spec_scan_exact_results() {
    let Some(registry) = RegistryBuilder::new().start_or_skip().await else {
        return;
    };
    let p = registry.pusher();
    let layer = tar_layer(&[(
        "etc/os-release",
        "ID=alpine\nVERSION_ID=3.19.1\nPRETTY_NAME=\"Alpine Linux v3.19\"\n",
    )]);
    for (repo, tag, created) in [
        ("acme/api", "1.0", "2024-01-01T00:00:00Z"),
        ("acme/api", "1.1", "2024-02-01T00:00:00Z"),
        ("acme/api", "1.2", "2024-03-01T00:00:00Z"),
        ("beta/worker", "latest", "2024-01-25T00:00:00Z"),
    ] {
        let img = ImageBuilder::oci()
            .created(created)
            .label(&format!("{repo}:{tag}"))
            .layers(vec![layer.clone()]);
        p.push_image(repo, tag, &img).await.unwrap();
    }
    let sim = crowsnest_testkit::vendor::quay::serve(&SimOptions {
        listen: "127.0.0.1:0".parse().unwrap(),
        upstream: registry.url(),
        page_size: 2,
    })
    .await
    .unwrap();
    let url = &sim.sim.url;
    let host = url.trim_start_matches("http://");
    let c = console().start().await;
    let a = "/api/v32.04";
    let cred = json!({"_id": "quay", "type": "basic", "accountID": "$oauthtoken",
        "secret": {"plain": crowsnest_testkit::vendor::quay::TOKEN}});
    let r = c
        .admin(
            Method::POST,
            &format!("{a}/credentials"),
            Some(&cred.to_string()),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let spec = json!({"version": "coreos", "registry": url, "credentialID": "quay",
        "repository": "*", "tag": "", "os": "linux", "cap": 2, "scanners": 2,
        "collections": ["All"]});
    let r = c
        .admin(
            Method::POST,
            &format!("{a}/settings/registry?scanLater=true"),
            Some(&spec.to_string()),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = c
        .admin(Method::POST, &format!("{a}/registry/scan"), None)
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    c.wait_for_scan(3).await;
    let results = c.get(&format!("{a}/registry?limit=50")).await.json();
    let mut found: Vec<String> = results
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["_id"].as_str().unwrap().to_string())
        .collect();
    found.sort();
    assert_eq!(
        found,
        [
            format!("{host}/acme/api:1.1"),
            format!("{host}/acme/api:1.2"),
            format!("{host}/beta/worker:latest"),
        ]
    );
    let status = c.get("/api/v1/statuses/registry").await.json();
    assert_eq!(status["errors"], json!([]), "{status}");
}

/// Type `dtr` the same way: a `dtr` credential (user and password), a `dtr` specification,
/// exact results over pages of two.
#[tokio::test]
async fn dtr_credential_spec_scan_exact_results() {
    use crowsnest_testkit::vendor::dtr;
    let Some(registry) = RegistryBuilder::new().start_or_skip().await else {
        return;
    };
    let p = registry.pusher();
    let layer = tar_layer(&[(
        "etc/os-release",
        "ID=alpine\nVERSION_ID=3.19.1\nPRETTY_NAME=\"Alpine Linux v3.19\"\n",
    )]);
    for (repo, tag) in [
        ("eng/api", "1"),
        ("eng/api", "2"),
        ("eng/web", "1"),
        ("ops/agent", "1"),
    ] {
        let img = ImageBuilder::oci()
            .label(&format!("{repo}:{tag}"))
            .layers(vec![layer.clone()]);
        p.push_image(repo, tag, &img).await.unwrap();
    }
    let sim = dtr::serve(&SimOptions {
        listen: "127.0.0.1:0".parse().unwrap(),
        upstream: registry.url(),
        page_size: 2,
    })
    .await
    .unwrap();
    let url = &sim.sim.url;
    let host = url.trim_start_matches("http://");
    let c = console().start().await;
    let a = "/api/v32.04";
    let cred = json!({"_id": "dtr", "type": "dtr", "accountID": dtr::USER,
        "secret": {"plain": dtr::PASSWORD}});
    let r = c
        .admin(
            Method::POST,
            &format!("{a}/credentials"),
            Some(&cred.to_string()),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let spec = json!({"version": "dtr", "registry": url, "credentialID": "dtr",
        "repository": "eng/*", "tag": "", "os": "linux", "cap": 0, "scanners": 2,
        "collections": ["All"]});
    let r = c
        .admin(
            Method::POST,
            &format!("{a}/settings/registry?scanLater=true"),
            Some(&spec.to_string()),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = c
        .admin(Method::POST, &format!("{a}/registry/scan"), None)
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    c.wait_for_scan(3).await;
    let results = c.get(&format!("{a}/registry?limit=50")).await.json();
    let mut found: Vec<String> = results
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["_id"].as_str().unwrap().to_string())
        .collect();
    found.sort();
    assert_eq!(
        found,
        [
            format!("{host}/eng/api:1"),
            format!("{host}/eng/api:2"),
            format!("{host}/eng/web:1"),
        ]
    );
    let status = c.get("/api/v1/statuses/registry").await.json();
    assert_eq!(status["errors"], json!([]), "{status}");
}
