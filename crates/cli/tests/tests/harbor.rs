//! `crowsnest discover --spec` and `crowsnest image` with the credentials the artifact managers'
//! specifications use, against the simulators of crowsnest-testkit in front of a real registry:
//! a Harbor robot account `robot$name` and its secret (discovery through Harbor's API, the pull
//! through Harbor's token service), and an Artifactory access token as the password.

use crate::support::Run;
use crowsnest_testkit::RegistryBuilder;
use crowsnest_testkit::vendor::harbor::{ROBOT, ROBOT_SECRET, showcase};
use crowsnest_testkit::vendor::{SimOptions, start};

async fn run(r: Run) -> crate::support::Done {
    tokio::task::spawn_blocking(move || r.run()).await.unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn discover_and_image_take_a_harbor_robot_account() {
    let Some(reg) = RegistryBuilder::new().start_or_skip().await else {
        return;
    };
    let shown = showcase::push(&reg.pusher(), 3).await.unwrap();
    let options = SimOptions {
        listen: "127.0.0.1:0".parse().unwrap(),
        upstream: reg.url(),
        page_size: 2,
    };
    let sim = start("harbor", &options).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("harbor.json");
    std::fs::write(&spec, sim.info.spec.to_string()).unwrap();
    let spec = spec.to_str().unwrap().to_string();
    let secret = format!("{ROBOT_SECRET}\n");

    let discover = |password: &str| {
        Run::discover(&["--spec", &spec, "--username", ROBOT, "--password-stdin"])
            .stdin(password.as_bytes())
    };
    let report = run(discover(&secret)).await.expect(0).json();
    let mut found: Vec<(String, String)> = report["images"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["repo"].as_str().unwrap().to_string(),
                i["tag"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    found.sort();
    let want: Vec<(String, String)> = sim
        .info
        .images
        .iter()
        .map(|i| (i.repo.clone(), i.tag.clone()))
        .collect();
    assert_eq!(found, want);
    assert_eq!(report["skippedTotal"], 2, "{report}");
    let refused = run(discover("wrong\n")).await;
    assert_eq!(refused.code(), 1);
    assert!(
        refused
            .stderr()
            .contains("refused the login of \"robot$crowsnest-scanner\""),
        "{}",
        refused.stderr()
    );

    let host = sim.url.trim_start_matches("http://");
    let name = format!("{host}/team/api:stable");
    let doc = run(Run::image(&[
        &name,
        "--plain-http",
        "-f",
        "json",
        "--username",
        ROBOT,
        "--password-stdin",
    ])
    .stdin(secret.as_bytes()))
    .await
    .expect(0)
    .json();
    assert_eq!(doc["repoTag"]["digest"], shown.three_tags);
    assert_eq!(doc["osDistro"], "alpine");
    let anonymous = run(Run::image(&[&name, "--plain-http", "-f", "json"])).await;
    assert_eq!(anonymous.code(), 3, "{}", anonymous.stderr());
}

/// `crowsnest discover --spec` with an Artifactory access token as the password.
#[tokio::test(flavor = "multi_thread")]
async fn discover_takes_an_artifactory_access_token() {
    use crowsnest_testkit::vendor::jfrog::{TOKEN, USER};
    let Some(reg) = RegistryBuilder::new().start_or_skip().await else {
        return;
    };
    let p = reg.pusher();
    for (repo, tag) in [
        ("docker-local/app", "1.0"),
        ("docker-remote/library/alpine", "3.19"),
    ] {
        let img = crowsnest_testkit::ImageBuilder::oci().label(&format!("{repo}:{tag}"));
        p.push_image(repo, tag, &img).await.unwrap();
    }
    let options = SimOptions {
        listen: "127.0.0.1:0".parse().unwrap(),
        upstream: reg.url(),
        page_size: 2,
    };
    let sim = start("jfrog", &options).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("jfrog.json");
    std::fs::write(&spec, sim.info.spec.to_string()).unwrap();
    let run_discover = Run::discover(&[
        "--spec",
        spec.to_str().unwrap(),
        "--username",
        USER,
        "--password-stdin",
    ])
    .stdin(format!("{TOKEN}\n").as_bytes());
    let report = run(run_discover).await.expect(0).json();
    let mut found: Vec<String> = report["images"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            format!(
                "{}:{}",
                i["repo"].as_str().unwrap(),
                i["tag"].as_str().unwrap()
            )
        })
        .collect();
    found.sort();
    assert_eq!(
        found,
        ["docker-local/app:1.0", "docker-remote/library/alpine:3.19"]
    );
}
