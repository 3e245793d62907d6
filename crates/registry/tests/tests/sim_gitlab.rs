//! Type `gitlab` against the GitLab simulator (crowsnest-testkit `vendor::gitlab`) in front of a
//! real registry: groups nested three deep, a repository with more than 20 tags, personal
//! projects of two users; Prisma's precedence rules; paging with two items a page; `cap` by
//! GitLab's `created_at` without reading configs; the named NeuVector bugs; token errors.

use super::sims::{discovers_exactly, options};
use crate::support::quick;
use crowsnest_model::spec::RegistrySpecification;
use crowsnest_registry::{Connection, Credentials, DiscoveryReport, discover};
use crowsnest_testkit::vendor::gitlab::{
    self, GitlabSim, TOKEN, TOKEN_API_ONLY, TOKEN_EXPIRED, TOKEN_REGISTRY_ONLY,
};
use crowsnest_testkit::{ImageBuilder, RegistryBuilder, TestRegistry};
use serde_json::{Value, json};

/// Tags of `acme/platform/team/api`: more than GitLab's default page of 20.
const API_TAGS: usize = 25;

/// The content: `acme/platform/team/api` (25 tags, a day apart), `acme/platform/web`,
/// `acme/tools/cli`, `beta/worker`, the personal projects `crow/personal` and `jay/theirs`,
/// and `lonely`, which has no GitLab path and is not served.
async fn content() -> Option<TestRegistry> {
    let reg = RegistryBuilder::new().start_or_skip().await?;
    let p = reg.pusher();
    let mut images: Vec<(String, String, String)> = (1..=API_TAGS)
        .map(|i| {
            (
                "acme/platform/team/api".to_string(),
                format!("v{i:02}"),
                format!("2024-01-{i:02}T00:00:00Z"),
            )
        })
        .collect();
    for (repo, tag, created) in [
        ("acme/platform/web", "1.0", "2023-01-01T00:00:00Z"),
        ("acme/platform/web", "1.1", "2023-02-01T00:00:00Z"),
        ("acme/platform/web", "edge", "2023-03-01T00:00:00Z"),
        ("acme/tools/cli", "0.1", "2023-04-01T00:00:00Z"),
        ("acme/tools/cli", "0.2", "2023-05-01T00:00:00Z"),
        ("beta/worker", "latest", "2022-01-01T00:00:00Z"),
        ("beta/worker", "old", "2021-01-01T00:00:00Z"),
        ("crow/personal", "dev", "2022-06-01T00:00:00Z"),
        ("crow/personal", "prod", "2022-07-01T00:00:00Z"),
        ("jay/theirs", "x", "2022-08-01T00:00:00Z"),
        ("lonely", "1", "2022-09-01T00:00:00Z"),
    ] {
        images.push((repo.into(), tag.into(), created.into()));
    }
    for (repo, tag, created) in images {
        let img = ImageBuilder::oci()
            .created(&created)
            .label(&format!("{repo}:{tag}"));
        p.push_image(&repo, &tag, &img).await.unwrap();
    }
    Some(reg)
}

async fn sim(reg: &TestRegistry, page_size: usize) -> GitlabSim {
    gitlab::serve(&options(reg, page_size)).await.unwrap()
}

/// A specification over `sim` with this `gitlabRegistrySpec` (IDs given as full paths are
/// turned into the simulator's numeric IDs) and `cap`.
fn spec(sim: &GitlabSim, gitlab_spec: Value, cap: i64) -> RegistrySpecification {
    let (groups, projects) = sim.control.ids();
    let mut g = gitlab_spec;
    for (field, ids) in [
        ("groupIDs", &groups),
        ("excludedGroupIDs", &groups),
        ("projectIDs", &projects),
    ] {
        if let Some(list) = g.get_mut(field).and_then(Value::as_array_mut) {
            for v in list {
                let path = v.as_str().unwrap().to_string();
                *v = json!(ids[&path].to_string());
            }
        }
    }
    g["apiDomainName"] = json!(sim.sim.url);
    serde_json::from_value(json!({
        "version": "gitlab", "registry": sim.sim.url, "repository": "*", "tag": "*",
        "cap": cap, "gitlabRegistrySpec": g,
    }))
    .unwrap()
}

fn creds(token: &str) -> Credentials {
    Credentials::basic("crow", token)
}

fn repos(r: &DiscoveryReport) -> Vec<String> {
    let mut v: Vec<String> = r.images.iter().map(|i| i.repo.clone()).collect();
    v.dedup();
    v
}

#[tokio::test]
async fn gitlab_discovers_exactly_what_the_simulator_serves_two_a_page() {
    let Some(reg) = content().await else {
        return;
    };
    let s = sim(&reg, 2).await;
    // One-segment `lonely` is not a GitLab path; everything else is.
    assert_eq!(s.sim.info.images.len(), API_TAGS + 10);
    assert_eq!(s.sim.info.to_json()["credential"]["type"], "gitlabToken");
    let report = discovers_exactly(&s.sim.info, creds(TOKEN)).await;
    // Without a cap no tag detail is read: the tag list and one manifest per tag suffice.
    let hits = s.control.hits();
    let details = "GET /api/v4/projects/:id/registry/repositories/:repository_id/tags/:tag_name";
    assert_eq!(hits.get(details), None, "{hits:?}");
    assert_eq!(s.control.hits_on("GET /v2 blobs"), 0);
    // 25 tags two a page: 13 pages for that repository alone.
    let tag_pages = "GET /api/v4/projects/:id/registry/repositories/:repository_id/tags";
    assert_eq!(hits[tag_pages], 13 + 2 + 1 + 1 + 1 + 1, "{hits:?}");
    assert!(report.requests > 0);
}

#[tokio::test]
async fn neuvector_stops_at_20_tags() {
    // neuvector#1797: the crawler read the first page of tags (GitLab's default 20) only.
    let Some(reg) = content().await else {
        return;
    };
    for page_size in [20, 2] {
        let s = sim(&reg, page_size).await;
        let spec = spec(&s, json!({"projectIDs": ["acme/platform/team/api"]}), 0);
        let r = discover(&spec, creds(TOKEN), &quick()).await.unwrap();
        assert_eq!(r.images.len(), API_TAGS, "page size {page_size}");
        assert!(r.errors.is_empty(), "{:?}", r.errors);
    }
}

#[tokio::test]
async fn neuvector_walks_every_user_on_gitlab_com() {
    // neuvector#1366: given a user, the crawler listed every user and every project it could
    // see. Only that user's own projects are read here; nobody else's, and no global lists.
    let Some(reg) = content().await else {
        return;
    };
    let s = sim(&reg, 2).await;
    let spec = spec(&s, json!({"userID": "crow"}), 0);
    let r = discover(&spec, creds(TOKEN), &quick()).await.unwrap();
    assert_eq!(repos(&r), ["crow/personal"]);
    let hits = s.control.hits();
    for global in [
        "GET /api/v4/users",
        "GET /api/v4/projects",
        "GET /api/v4/groups",
    ] {
        assert_eq!(hits.get(global), None, "{global}: {hits:?}");
    }
    assert_eq!(hits["GET /api/v4/users/:id/projects"], 1);
}

#[tokio::test]
async fn prisma_precedence_and_excluded_subgroups() {
    let Some(reg) = content().await else {
        return;
    };
    let s = sim(&reg, 2).await;
    let run = |g: Value| {
        let spec = spec(&s, g, 0);
        async move {
            let r = discover(&spec, creds(TOKEN), &quick()).await.unwrap();
            assert!(r.errors.is_empty(), "{:?}", r.errors);
            repos(&r)
        }
    };
    // A group covers its subgroups, three deep.
    assert_eq!(
        run(json!({"groupIDs": ["acme"]})).await,
        [
            "acme/platform/team/api",
            "acme/platform/web",
            "acme/tools/cli"
        ]
    );
    // User + group: the group; the user is ignored.
    assert_eq!(
        run(json!({"userID": "crow", "groupIDs": ["beta"]})).await,
        ["beta/worker"]
    );
    // User + project: the project.
    assert_eq!(
        run(json!({"userID": "crow", "projectIDs": ["jay/theirs"]})).await,
        ["jay/theirs"]
    );
    // Project + group (and user): the projects inside the groups (AND).
    assert_eq!(
        run(
            json!({"userID": "crow", "projectIDs": ["acme/platform/web", "beta/worker"],
            "groupIDs": ["acme"]})
        )
        .await,
        ["acme/platform/web"]
    );
    // An excluded group takes its subgroups with it.
    assert_eq!(
        run(json!({"groupIDs": ["acme", "beta"], "excludedGroupIDs": ["acme/platform"]})).await,
        ["acme/tools/cli", "beta/worker"]
    );
    // The repository pattern and exclusions still apply on top.
    let mut narrowed = spec(&s, json!({"groupIDs": ["acme"]}), 0);
    narrowed.repository = "acme/platform/*".into();
    narrowed.excluded_repositories = vec!["*/web".into()];
    let r = discover(&narrowed, creds(TOKEN), &quick()).await.unwrap();
    assert_eq!(repos(&r), ["acme/platform/team/api"]);
}

#[tokio::test]
async fn cap_orders_by_gitlab_created_at_without_reading_configs() {
    let Some(reg) = content().await else {
        return;
    };
    let s = sim(&reg, 2).await;
    let spec = spec(&s, json!({"groupIDs": ["acme"]}), 5);
    let r = discover(&spec, creds(TOKEN), &quick()).await.unwrap();
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    let api: Vec<&str> = (r.images.iter())
        .filter(|i| i.repo == "acme/platform/team/api")
        .map(|i| i.tag.as_str())
        .collect();
    assert_eq!(api, ["v25", "v24", "v23", "v22", "v21"]);
    assert!(r.images.iter().all(|i| i.pushed.is_some()));
    let hits = s.control.hits();
    // One detail call per tag (25 + 3 + 2), one manifest per kept image, no config blob.
    let details = "GET /api/v4/projects/:id/registry/repositories/:repository_id/tags/:tag_name";
    assert_eq!(hits[details], 30, "{hits:?}");
    assert_eq!(hits.get("GET /v2 blobs"), None, "{hits:?}");
    assert_eq!(r.images.len(), 5 + 3 + 2);
    let manifests = hits["GET /v2 manifests"];
    // Each kept image's manifest, some of them twice: requests sent before the first JWT
    // arrived are challenged once.
    assert!((10..=20).contains(&manifests), "{hits:?}");
}

#[tokio::test]
async fn token_errors_say_what_to_fix() {
    let Some(reg) = content().await else {
        return;
    };
    let s = sim(&reg, 2).await;
    let spec = spec(&s, json!({"groupIDs": ["beta"]}), 0);
    let fail = |token: &'static str| {
        let spec = spec.clone();
        async move {
            discover(&spec, creds(token), &quick())
                .await
                .unwrap_err()
                .to_string()
        }
    };
    let e = fail("glpat-wrong").await;
    assert!(
        e.contains("refused the API token") && e.contains("401 Unauthorized"),
        "{e}"
    );
    let e = fail(TOKEN_EXPIRED).await;
    assert!(
        e.contains("Token has expired") && e.contains("read_api"),
        "{e}"
    );
    let e = fail(TOKEN_REGISTRY_ONLY).await;
    assert!(e.contains("lacks the read_api scope"), "{e}");
    let e = discover(&spec, Credentials::anonymous(), &quick())
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("404 Group Not Found"), "{e}");
    // A token that lists but cannot pull: each image fails naming read_registry, the listing
    // goes on.
    let r = discover(&spec, creds(TOKEN_API_ONLY), &quick())
        .await
        .unwrap();
    assert_eq!(r.errors.len(), 2, "{:?}", r.errors);
    assert!(
        r.errors.iter().all(|e| e.message.contains("read_registry")),
        "{:?}",
        r.errors
    );
    // A group that does not exist says which ID to check.
    let mut missing = spec.clone();
    missing.gitlab_registry_spec.as_mut().unwrap().group_ids = vec!["424242".into()];
    let e = discover(&missing, creds(TOKEN), &quick())
        .await
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("404 Group Not Found") && e.contains("gitlabRegistrySpec"),
        "{e}"
    );
}

#[tokio::test]
async fn a_lapsed_registry_jwt_is_fetched_again() {
    let Some(reg) = content().await else {
        return;
    };
    let s = sim(&reg, 2).await;
    let spec = spec(&s, json!({"groupIDs": ["beta"]}), 0);
    let target = crowsnest_model::ScanTarget::from_spec(&spec).unwrap();
    let conn = Connection::with_credentials(target, creds(TOKEN), &quick()).unwrap();
    assert_eq!(conn.discover(2).await.unwrap().images.len(), 2);
    let logins = s.control.hits_on("GET /jwt/auth");
    assert!(logins >= 1);
    s.control.expire_jwts();
    let again = conn.discover(2).await.unwrap();
    assert!(again.errors.is_empty(), "{:?}", again.errors);
    assert_eq!(again.images.len(), 2);
    assert!(s.control.hits_on("GET /jwt/auth") > logins);
}

#[tokio::test]
async fn registry_sim_serves_gitlab() {
    let Some(reg) = content().await else {
        return;
    };
    let running = crowsnest_testkit::vendor::start("gitlab", &options(&reg, 3))
        .await
        .unwrap();
    let info = running.info.to_json();
    assert_eq!(info["kind"], "gitlab");
    assert_eq!(
        info["spec"]["gitlabRegistrySpec"]["apiDomainName"],
        running.url
    );
    // Personal projects exist, so the covering spec names every project.
    assert_eq!(
        info["spec"]["gitlabRegistrySpec"]["projectIDs"]
            .as_array()
            .unwrap()
            .len(),
        6
    );
    discovers_exactly(&running.info, creds(TOKEN)).await;
}

/// The shared venv of vendor client libraries (scripts/test-deps.sh), when it has `module`.
fn vendor_python(module: &str) -> Option<std::path::PathBuf> {
    let venv = std::env::var("CROWSNEST_VENDOR_VENV")
        .unwrap_or_else(|_| "/var/tmp/crowsnest-vendor-venv".into());
    let python = std::path::Path::new(&venv).join("bin/python");
    let has = std::process::Command::new(&python)
        .args(["-c", &format!("import {module}")])
        .output()
        .is_ok_and(|o| o.status.success());
    if has {
        return Some(python);
    }
    let why = format!(
        "{} cannot import {module}: run scripts/test-deps.sh",
        python.display()
    );
    assert!(
        std::env::var_os("CROWSNEST_REQUIRE_REGISTRY").is_none(),
        "{why}"
    );
    eprintln!("skipped: {why}");
    None
}

#[tokio::test]
async fn python_gitlab_reads_the_simulator() {
    let Some(python) = vendor_python("gitlab") else {
        return;
    };
    let Some(reg) = content().await else {
        return;
    };
    let s = sim(&reg, 2).await;
    let (groups, projects) = s.control.ids();
    let api: Vec<&str> = (s.sim.info.images.iter())
        .filter(|i| i.repo == "acme/platform/team/api")
        .map(|i| i.tag.as_str())
        .collect();
    let v25 = (s.sim.info.images.iter())
        .find(|i| i.repo == "acme/platform/team/api" && i.tag == "v25")
        .unwrap();
    let args = json!({
        "url": s.sim.url, "token": TOKEN, "wrong": "glpat-wrong", "expired": TOKEN_EXPIRED,
        "registry_only": TOKEN_REGISTRY_ONLY, "acme_group": groups["acme"],
        "api_project": projects["acme/platform/team/api"], "api_tags": api,
        "v25_digest": v25.digest,
        "acme_repos": ["acme/platform/team/api", "acme/platform/web", "acme/tools/cli"],
    });
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vendor/gitlab_client.py");
    // The simulator serves on this runtime while the script runs on a blocking thread.
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new(python)
            .arg(script)
            .arg(args.to_string())
            .output()
    })
    .await
    .unwrap()
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("17 checks passed"), "{stdout}");
}
