//! `crowsnest discover --credential` and `crowsnest image --credential` with a cloud credential
//! as the Console takes it, against the testkit's vendor simulators (the vendor's API in front
//! of a real `docker-registry`), the endpoints pointed at them the way the vendors' SDKs allow.

use crate::support::{Run, minimist_layer, ubuntu_layer, vulns};
use crowsnest_testkit::vendor::ecr::READER;
use crowsnest_testkit::vendor::{SimOptions, start};
use crowsnest_testkit::{ImageBuilder, RegistryBuilder};

/// Runs the command off the async runtime (the simulator lives on it).
async fn run(r: Run) -> crate::support::Done {
    tokio::task::spawn_blocking(move || r.run()).await.unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn aws_credential_discovers_and_scans_through_ecr() {
    let Some(reg) = RegistryBuilder::new().start_or_skip().await else {
        return;
    };
    let img = ImageBuilder::oci().layers(vec![ubuntu_layer().tar(), minimist_layer("1.2.5").tar()]);
    let pushed = reg
        .pusher()
        .push_image("team/app", "1.0", &img)
        .await
        .unwrap();
    let sim = start(
        "aws",
        &SimOptions {
            listen: "127.0.0.1:0".parse().unwrap(),
            upstream: reg.url(),
            page_size: 2,
        },
    )
    .await
    .unwrap();
    let with_env = |mut r: Run| {
        for (k, v) in &sim.info.env {
            r = r.env(k, v);
        }
        r
    };

    let discover = with_env(Run::discover(&[
        "--spec",
        "spec.json",
        "--credential",
        "cred.json",
    ]));
    std::fs::write(discover.home().join("spec.json"), sim.info.spec.to_string()).unwrap();
    let cred = sim.info.credential.clone().unwrap();
    std::fs::write(discover.home().join("cred.json"), cred.to_string()).unwrap();
    let report = run(discover).await.expect(0).json();
    assert_eq!(report["images"][0]["repo"], "team/app");
    assert_eq!(report["images"][0]["digest"], pushed.digest);
    assert!(report["images"][0]["pushed"].is_string(), "{report}");

    // The wrong secret: exit 1 and a message naming the credential and key.
    let wrong = with_env(Run::discover(&[
        "--spec",
        "spec.json",
        "--credential",
        "cred.json",
    ]));
    std::fs::write(wrong.home().join("spec.json"), sim.info.spec.to_string()).unwrap();
    let mut bad = cred.clone();
    bad["secret"]["plain"] = "nope".into();
    std::fs::write(wrong.home().join("cred.json"), bad.to_string()).unwrap();
    let done = run(wrong).await.expect(1);
    assert!(
        done.stderr().contains(&format!(
            "the secret access key of credential \"sim-aws\" is wrong for access key ID {}",
            READER.0
        )),
        "{}",
        done.stderr()
    );

    let host = sim.url.trim_start_matches("http://");
    let name = format!("{host}/team/app:1.0");
    let image = with_env(Run::image(&[
        &name,
        "--plain-http",
        "--credential",
        "cred.json",
        "-f",
        "json",
    ]));
    std::fs::write(image.home().join("cred.json"), cred.to_string()).unwrap();
    let doc = run(image).await.expect(0).json();
    assert_eq!(doc["repoTag"]["digest"], pushed.digest);
    assert!(
        vulns(&doc)
            .iter()
            .any(|v| v.0 == "CVE-2021-44906" && v.1 == "minimist")
    );
}
