//! Harbor (`version: "harbor"`) against the Harbor simulator of crowsnest-testkit, in front of a
//! real registry holding the showcase (`crowsnest_testkit::vendor::harbor::showcase`): an
//! artifact with three tags, its signature, a Helm chart, an untagged image, a nested
//! repository, and a repository of more than 100 artifacts.

use crate::sims::{discovers_exactly, options};
use crate::support::quick;
use crowsnest_model::spec::RegistrySpecification;
use crowsnest_registry::{Credentials, DiscoveryReport, discover};
use crowsnest_testkit::vendor::harbor::{ROBOT, ROBOT_SECRET, showcase};
use crowsnest_testkit::vendor::{RunningSim, start};
use crowsnest_testkit::{RegistryBuilder, TestRegistry};
use serde_json::Value;

async fn showcase_registry(many: usize) -> Option<(TestRegistry, showcase::Showcase)> {
    let reg = RegistryBuilder::new().start_or_skip().await?;
    let shown = showcase::push(&reg.pusher(), many).await.unwrap();
    Some((reg, shown))
}

fn robot() -> Credentials {
    Credentials::basic(ROBOT, ROBOT_SECRET)
}

fn spec_of(
    sim: &RunningSim,
    edit: impl FnOnce(&mut RegistrySpecification),
) -> RegistrySpecification {
    let mut s: RegistrySpecification = serde_json::from_value(sim.info.spec.clone()).unwrap();
    edit(&mut s);
    s
}

async fn stats(sim: &RunningSim) -> Value {
    reqwest::get(format!("{}/_sim/stats", sim.url))
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

fn tags_of(r: &DiscoveryReport, repo: &str) -> Vec<String> {
    let mut t: Vec<String> = r
        .images
        .iter()
        .filter(|i| i.repo == repo)
        .map(|i| i.tag.clone())
        .collect();
    t.sort();
    t
}

/// Page size 2 on every listing: everything the robot may see, the three tags of one artifact
/// with one digest, the signature and the chart skipped by type with a note, the untagged image
/// and the project-less repository left out.
#[tokio::test]
async fn harbor_discovers_exactly_with_page_size_2() {
    let Some((reg, shown)) = showcase_registry(5).await else {
        return;
    };
    let sim = start("harbor", &options(&reg, 2)).await.unwrap();
    assert_eq!(sim.info.images.len(), 3 + 1 + 2 + 5);
    let report = discovers_exactly(&sim.info, robot()).await;
    assert_eq!(
        tags_of(&report, "team/api"),
        ["1.0", "1.1", "latest", "stable"]
    );
    let three: Vec<String> = report
        .images
        .iter()
        .filter(|i| ["1.1", "latest", "stable"].contains(&i.tag.as_str()))
        .map(|i| i.digest.to_string())
        .collect();
    assert_eq!(three, vec![shown.three_tags.clone(); 3]);
    let skipped: Vec<(String, String)> = report
        .skipped
        .iter()
        .map(|s| (s.tag.clone(), s.kind.as_str().to_string()))
        .collect();
    assert_eq!(
        skipped,
        [
            ("chart-0.1.0".to_string(), "Helm chart".to_string()),
            (shown.signature_tag.clone(), "signature".to_string())
        ]
    );
    assert!(tags_of(&report, "web").is_empty());
    assert_eq!(tags_of(&report, "team/sub/worker"), ["v1", "v2"]);
    // Dated by `push_time` with no cap: no blob (config) was read.
    let s = stats(&sim).await;
    assert_eq!(s["blobs"], serde_json::json!({}), "no config read: {s}");
}

/// `cap` 2 orders by Harbor's `push_time`: the two newest per repository, with no config
/// blob read; the request count is what the listing pages and the manifests cost.
#[tokio::test]
async fn harbor_cap_by_push_time_reads_no_config() {
    let Some((reg, _)) = showcase_registry(7).await else {
        return;
    };
    let sim = start("harbor", &options(&reg, 3)).await.unwrap();
    let spec = spec_of(&sim, |s| s.cap = 2);
    let report = discover(&spec, robot(), &quick()).await.unwrap();
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    // 1.1, latest and stable share the newest push time: two of them are kept.
    let api_tags = tags_of(&report, "team/api");
    assert_eq!(api_tags.len(), 2);
    assert!(
        api_tags
            .iter()
            .all(|t| ["1.1", "latest", "stable"].contains(&t.as_str()))
    );
    assert_eq!(tags_of(&report, "team/sub/worker"), ["v1", "v2"]);
    assert_eq!(tags_of(&report, "big/many"), ["t005", "t006"]);
    let s = stats(&sim).await;
    assert_eq!(s["blobs"], serde_json::json!({}), "{s}");
    // Projects: 1 page of 2 (page size 3). Repositories: team 1 page, big 1. Artifacts: team/api
    // 5 artifacts = 2 pages, team/sub/worker 1, big/many 7 = 3. Then one manifest per kept tag
    // (6) with a token for each pulled repository (3) and the first challenge on each.
    let api = s["requests"]["api"].as_u64().unwrap();
    assert_eq!(api, 1 + 2 + 2 + 1 + 3, "{s}");
    assert!(report.requests >= api + 6, "{}", report.requests);
}

/// NeuVector read Harbor's artifacts without `page_size` and so saw ten per repository. With
/// 105 artifacts, Harbor's default page is 10 and its largest 100: discovery reads two pages of
/// 100 and finds all 105.
#[tokio::test]
async fn harbor_more_than_ten_and_more_than_100_artifacts() {
    let Some((reg, _)) = showcase_registry(105).await else {
        return;
    };
    let sim = start("harbor", &options(&reg, 1000)).await.unwrap();
    let url = format!(
        "{}/api/v2.0/projects/big/repositories/many/artifacts?with_tag=true",
        sim.url
    );
    let http = reqwest::Client::new();
    let naive = http
        .get(&url)
        .basic_auth(ROBOT, Some(ROBOT_SECRET))
        .send()
        .await
        .unwrap();
    assert_eq!(naive.headers()["x-total-count"], "105");
    let naive: Vec<Value> = naive.json().await.unwrap();
    assert_eq!(naive.len(), 10, "Harbor's default page size");
    let over = http
        .get(format!("{url}&page_size=101"))
        .basic_auth(ROBOT, Some(ROBOT_SECRET))
        .send()
        .await
        .unwrap();
    assert_eq!(over.status(), 422);

    let spec = spec_of(&sim, |s| s.repository = "big/*".into());
    let report = discover(&spec, robot(), &quick()).await.unwrap();
    assert_eq!(tags_of(&report, "big/many").len(), 105);
    let s = stats(&sim).await;
    // The two calls above, then: `big/*` names one project, so no project listing; one
    // repositories page and two artifact pages.
    assert_eq!(s["requests"]["api"], 2 + 3, "{s}");
}

/// The repository after the project is URL-encoded twice: the simulator, like Harbor, answers
/// 404 to a name encoded once; discovery reaches `team/sub/worker`.
#[tokio::test]
async fn harbor_nested_names_are_encoded_twice() {
    let Some((reg, _)) = showcase_registry(0).await else {
        return;
    };
    let sim = start("harbor", &options(&reg, 100)).await.unwrap();
    let get = |enc: &'static str| {
        let url = format!(
            "{}/api/v2.0/projects/team/repositories/{enc}/artifacts",
            sim.url
        );
        async move {
            reqwest::Client::new()
                .get(url)
                .basic_auth(ROBOT, Some(ROBOT_SECRET))
                .send()
                .await
                .unwrap()
        }
    };
    let once = get("sub%2Fworker").await;
    assert_eq!(once.status(), 404);
    assert_eq!(
        once.json::<Value>().await.unwrap()["errors"][0]["code"],
        "NOT_FOUND"
    );
    assert_eq!(get("sub%252Fworker").await.status(), 200);
    let spec = spec_of(&sim, |s| s.repository = "team/sub/*".into());
    let report = discover(&spec, robot(), &quick()).await.unwrap();
    assert_eq!(tags_of(&report, "team/sub/worker"), ["v1", "v2"]);
}

/// Untagged artifacts are offered under their digest when `tag` asks for digests.
#[tokio::test]
async fn harbor_untagged_artifacts_on_request() {
    let Some((reg, shown)) = showcase_registry(0).await else {
        return;
    };
    let sim = start("harbor", &options(&reg, 2)).await.unwrap();
    let spec = spec_of(&sim, |s| {
        s.repository = "team/api".into();
        s.tag = "sha256:*".into();
    });
    let report = discover(&spec, robot(), &quick()).await.unwrap();
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    let found: Vec<(String, String)> = report
        .images
        .iter()
        .map(|i| (i.tag.clone(), i.digest.to_string()))
        .collect();
    assert_eq!(found, [(shown.untagged.clone(), shown.untagged.clone())]);
    assert!(report.images[0].pushed.is_some());
}

/// A wrong secret, a robot without the list permissions, a project robot and no login at all:
/// each says what to fix or sees what its role allows.
#[tokio::test]
async fn harbor_errors_say_what_to_fix() {
    let Some((reg, _)) = showcase_registry(0).await else {
        return;
    };
    let sim = start("harbor", &options(&reg, 2)).await.unwrap();
    let spec = spec_of(&sim, |_| {});
    let e = discover(&spec, Credentials::basic(ROBOT, "wrong"), &quick())
        .await
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("refused the login of \"robot$crowsnest-scanner\"")
            && e.contains("UNAUTHORIZED unauthorized")
            && e.contains("robot$name"),
        "{e}"
    );
    let e = discover(
        &spec,
        Credentials::basic("robot$nolist", "nolist-secret"),
        &quick(),
    )
    .await
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("may not list repositories (FORBIDDEN forbidden)")
            && e.contains("Limited Guest role on project team"),
        "{e}"
    );
    let project_robot = Credentials::basic("robot$team+reader", "project-robot-secret");
    let r = discover(&spec, project_robot, &quick()).await.unwrap();
    assert!(
        r.images.iter().all(|i| i.repo.starts_with("team/")),
        "{:?}",
        r.images
    );
    assert_eq!(r.images.len(), 6);
    let r = discover(&spec, Credentials::anonymous(), &quick())
        .await
        .unwrap();
    assert!(r.images.is_empty() && r.errors.is_empty());
    let mut wrong_path = spec.clone();
    wrong_path.registry = format!("{}/harbor/projects", sim.url);
    let e = discover(&wrong_path, robot(), &quick())
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("no Harbor 2.x API at"), "{e}");
}

/// The Python of the shared vendor-client venv (scripts/test-deps.sh), or `None` (after saying
/// why) when it or `module` is missing; with CROWSNEST_REQUIRE_REGISTRY set that fails instead.
pub(crate) fn vendor_python(module: &str) -> Option<std::path::PathBuf> {
    let venv = std::env::var_os("CROWSNEST_VENDOR_VENV")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| "/var/tmp/crowsnest-vendor-venv".into());
    let python = venv.join("bin/python");
    let ok = std::process::Command::new(&python)
        .args(["-c", &format!("import {module}")])
        .output()
        .is_ok_and(|o| o.status.success());
    if ok {
        return Some(python);
    }
    let why = format!(
        "{module} is not installed in {} (run scripts/test-deps.sh)",
        venv.display()
    );
    assert!(
        std::env::var_os("CROWSNEST_REQUIRE_REGISTRY").is_none(),
        "{why}"
    );
    eprintln!("skipped: {why}");
    None
}

/// `harborapi`, whose models come from Harbor's swagger, reads the simulator: projects,
/// repositories and artifacts parse and validate, its `Link` paging (page size 2) and its own
/// double encoding reach every artifact, and its exceptions read the error bodies.
#[tokio::test]
async fn harborapi_reads_the_simulator() {
    let Some(python) = vendor_python("harborapi") else {
        return;
    };
    let Some((reg, shown)) = showcase_registry(3).await else {
        return;
    };
    let sim = start("harbor", &options(&reg, 100)).await.unwrap();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vendor/harbor_client.py");
    let url = sim.url.clone();
    // Off the runtime's thread, which serves the simulator meanwhile.
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new(python)
            .args([script, &url, ROBOT, ROBOT_SECRET])
            .output()
    })
    .await
    .unwrap()
    .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["projects"], serde_json::json!(["big", "team"]));
    let api = v["artifacts"]["team/api"].as_array().unwrap();
    assert_eq!(api.len(), 5, "{api:?}");
    let three = api
        .iter()
        .find(|a| a["digest"] == shown.three_tags.as_str())
        .unwrap();
    assert_eq!(
        three["tags"],
        serde_json::json!(["1.1", "latest", "stable"])
    );
    assert_eq!(three["push_time"], "2024-02-01T00:00:00+00:00");
    assert!(api.iter().any(|a| a["type"] == "CHART"));
    let untagged = api
        .iter()
        .find(|a| a["digest"] == shown.untagged.as_str())
        .unwrap();
    assert_eq!(untagged["tags"], serde_json::json!([]));
    assert_eq!(
        v["artifacts"]["team/sub/worker"].as_array().unwrap().len(),
        2
    );
    assert_eq!(v["artifacts"]["big/many"].as_array().unwrap().len(), 3);
    assert_eq!(v["wrong_secret"], serde_json::json!(["UNAUTHORIZED"]));
    assert_eq!(v["nolist"], serde_json::json!(["FORBIDDEN"]));
}

/// BENCHMARKS.md (issue 14): 200 repositories × 50 tags, `cap` 5, discovered through the Harbor
/// and Artifactory simulators and, as the baseline in the same run, as type `2` straight from the same content
/// (a testkit `SimRegistry`). Prints requests and wall time; asserts only the image count.
/// `cargo nextest run -p crowsnest-registry --run-ignored only --no-capture bench_harbor`
#[tokio::test(flavor = "multi_thread")]
#[ignore = "benchmark: run by hand (BENCHMARKS.md)"]
async fn bench_harbor_200x50_cap5() {
    // reqwest is built without a crypto provider; the registry tests' other paths install it.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut b = crowsnest_testkit::SimRegistryBuilder::new().page_size(100);
    for r in 0..200 {
        b = b.repository(&format!("bench/r{r:03}"), 50);
    }
    let upstream = b.start().await.unwrap();
    let opts = crowsnest_testkit::vendor::SimOptions {
        listen: "127.0.0.1:0".parse().unwrap(),
        upstream: upstream.url().to_string(),
        page_size: 100,
    };
    let sim = start("harbor", &opts).await.unwrap();
    let mut v2 = spec_of(&sim, |s| s.cap = 5);
    v2.version = "2".into();
    v2.registry = upstream.url().to_string();
    let harbor = spec_of(&sim, |s| s.cap = 5);
    // The same content as Artifactory: repository key `bench`, images `r000`….
    let jfrog_sim = start("jfrog", &opts).await.unwrap();
    let mut jfrog: RegistrySpecification =
        serde_json::from_value(jfrog_sim.info.spec.clone()).unwrap();
    jfrog.cap = 5;
    let jfrog_creds = Credentials::basic(
        crowsnest_testkit::vendor::jfrog::USER,
        crowsnest_testkit::vendor::jfrog::TOKEN,
    );
    for round in 0..2 {
        for (name, spec, creds) in [
            ("type 2", &v2, Credentials::anonymous()),
            ("harbor", &harbor, robot()),
            ("jfrog", &jfrog, jfrog_creds.clone()),
        ] {
            let t = std::time::Instant::now();
            let r = discover(
                spec,
                creds,
                &crowsnest_registry::DiscoveryOptions::default(),
            )
            .await
            .unwrap();
            let ms = t.elapsed().as_millis();
            assert_eq!(r.images.len(), 1000, "{name}: {:?}", r.errors.first());
            println!(
                "round {round} {name}: {} images, {} requests, {ms} ms",
                r.images.len(),
                r.requests
            );
        }
    }
}
