//! `crowsnest discover --spec` and `crowsnest image` with a GitLab token, against the GitLab
//! simulator (crowsnest-testkit `vendor::gitlab`) in front of `docker-registry`: the Console's
//! `gitlabToken` credential is `accountID` + `apiToken`, here `--username` + `--password-stdin`.
//! Discovery sends the token to GitLab's API; the pull trades it for a registry JWT at
//! `/jwt/auth`.

use crate::support::{Run, minimist_layer, ubuntu_layer, vulns};
use crowsnest_testkit::vendor::SimOptions;
use crowsnest_testkit::vendor::gitlab::{self, TOKEN};
use crowsnest_testkit::{ImageBuilder, RegistryBuilder};
use serde_json::json;

async fn run(r: Run) -> crate::support::Done {
    tokio::task::spawn_blocking(move || r.run()).await.unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn discover_and_image_take_a_gitlab_token() {
    let Some(reg) = RegistryBuilder::new().start_or_skip().await else {
        return;
    };
    let image =
        ImageBuilder::oci().layers(vec![ubuntu_layer().tar(), minimist_layer("1.2.5").tar()]);
    for (tag, created) in [
        ("1.0", "2024-01-01T00:00:00Z"),
        ("2.0", "2024-02-01T00:00:00Z"),
    ] {
        let img = image.clone().created(created);
        reg.pusher()
            .push_image("acme/tools/app", tag, &img)
            .await
            .unwrap();
    }
    let sim = gitlab::serve(&SimOptions {
        listen: "127.0.0.1:0".parse().unwrap(),
        upstream: reg.url(),
        page_size: 2,
    })
    .await
    .unwrap();
    let (groups, _) = sim.control.ids();
    let url = sim.sim.url.clone();
    let spec = json!({"version": "gitlab", "registry": url, "repository": "*", "cap": 1,
        "gitlabRegistrySpec": {"groupIDs": [groups["acme"].to_string()], "apiDomainName": url}});
    let discover = |token: &str| {
        let r = Run::discover(&[
            "--spec",
            "spec.json",
            "--username",
            "crow",
            "--password-stdin",
        ])
        .stdin(format!("{token}\n").as_bytes());
        std::fs::write(r.home().join("spec.json"), spec.to_string()).unwrap();
        run(r)
    };
    let report = discover(TOKEN).await.expect(0).json();
    let images = report["images"].as_array().unwrap();
    assert_eq!(images.len(), 1, "{report}");
    assert_eq!(
        (images[0]["repo"].as_str(), images[0]["tag"].as_str()),
        (Some("acme/tools/app"), Some("2.0"))
    );
    assert_eq!(images[0]["pushed"], "2024-02-01T00:00:00Z");
    let failed = discover("glpat-wrong").await;
    assert_eq!(failed.code(), 1, "{}", failed.stderr());
    assert!(
        failed.stderr().contains("refused the API token"),
        "{}",
        failed.stderr()
    );

    let name = format!("{}/acme/tools/app:2.0", url.trim_start_matches("http://"));
    let pulled = run(Run::image(&[
        &name,
        "--plain-http",
        "--username",
        "crow",
        "--password-stdin",
        "-f",
        "json",
    ])
    .stdin(format!("{TOKEN}\n").as_bytes()))
    .await
    .expect(0)
    .json();
    assert!(vulns(&pulled).iter().any(|v| v.0 == "CVE-2021-44906"));
    assert!(sim.control.hits_on("GET /jwt/auth") >= 1);
}
