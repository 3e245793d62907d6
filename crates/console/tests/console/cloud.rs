//! Cloud registry types end to end through the Console, each against its testkit simulator in
//! front of a real `docker-registry`: the credential stored sealed, the specification saved as
//! Prisma documents it, a scan, exactly the simulator's images (within `cap`, by the vendor's
//! push dates), results and CSV as for type `2`, and the vendor's refusals as clear errors in
//! the scan status while the other specifications still scan.

use super::harness::console;
use crowsnest_testkit::vendor::ecr::{EXPIRED, NO_DESCRIBE, READER};
use crowsnest_testkit::vendor::{SimOptions, start};
use crowsnest_testkit::{ImageBuilder, RegistryBuilder, tar_layer};
use reqwest::Method;
use serde_json::{Value, json};

const OSV_URLLIB3: &str = r#"{"id":"CROWSNEST-TEST-0002","modified":"2024-01-01T00:00:00Z","published":"2019-04-18T00:00:00Z",
 "aliases":["CVE-2019-11236"],"summary":"CRLF injection in urllib3",
 "affected":[{"package":{"ecosystem":"PyPI","name":"urllib3"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1.24.3"}]}]}]}"#;

#[tokio::test]
async fn aws_ecr_credential_spec_scan_results_and_refusals() {
    let Some(registry) = RegistryBuilder::new().start_or_skip().await else {
        return;
    };
    let base = tar_layer(&[
        (
            "etc/os-release",
            "ID=debian\nVERSION_ID=\"12\"\nPRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n",
        ),
        (
            "var/lib/dpkg/status",
            "Package: base-files\nStatus: install ok installed\nVersion: 12.4+deb12u5\nArchitecture: amd64\n\n",
        ),
    ]);
    let app = tar_layer(&[(
        "usr/lib/python3/dist-packages/urllib3-1.24.1.dist-info/METADATA",
        "Metadata-Version: 2.1\nName: urllib3\nVersion: 1.24.1\n",
    )]);
    let pusher = registry.pusher();
    // Three tags of apps/api pushed over three months; cap 2 keeps the two newest.
    for (repo, tag, created, layers) in [
        (
            "apps/api",
            "1.0",
            "2024-01-01T00:00:00Z",
            vec![base.clone()],
        ),
        (
            "apps/api",
            "1.1",
            "2024-02-01T00:00:00Z",
            vec![base.clone(), app.clone()],
        ),
        (
            "apps/api",
            "2.0",
            "2024-03-01T00:00:00Z",
            vec![base.clone(), app],
        ),
        ("apps/plain", "latest", "2024-01-15T00:00:00Z", vec![base]),
    ] {
        let img = ImageBuilder::oci()
            .created(created)
            .label(&format!("{repo}:{tag}"))
            .layers(layers);
        pusher.push_image(repo, tag, &img).await.unwrap();
    }
    let sim = start(
        "aws",
        &SimOptions {
            listen: "127.0.0.1:0".parse().unwrap(),
            upstream: registry.url(),
            page_size: 2,
        },
    )
    .await
    .unwrap();
    let info = sim.info.clone();
    let feeds = tempfile::tempdir().unwrap();
    std::fs::write(feeds.path().join("urllib3.json"), OSV_URLLIB3).unwrap();
    let env = info.env.clone();
    let c = console()
        .feeds(feeds.path().to_path_buf())
        .configure(move |config| config.vendor_env = env)
        .start()
        .await;
    let a = "/api/v32.04";

    // The credential as the simulator prints it, and two that AWS refuses.
    let good = info.credential.clone().unwrap();
    let wrong = json!({"_id": "aws-wrong", "type": "aws", "accountID": READER.0, "secret": {"plain": "not-it"}});
    let limited = json!({"_id": "aws-limited", "type": "aws", "accountID": NO_DESCRIBE.0, "secret": {"plain": NO_DESCRIBE.1}});
    // Temporary keys (Prisma's `tokens`) whose session token has expired.
    let expired = json!({"_id": "aws-expired", "type": "aws", "tokens": {
        "awsAccessKeyId": EXPIRED.0, "awsSecretAccessKey": {"plain": EXPIRED.1},
        "token": {"plain": EXPIRED.2}, "duration": 3600}});
    for cred in [&good, &wrong, &limited, &expired] {
        let r = c
            .admin(
                Method::POST,
                &format!("{a}/credentials"),
                Some(&cred.to_string()),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
    }
    let stored = c.get(&format!("{a}/credentials")).await.text;
    for secret in [READER.1, NO_DESCRIBE.1, EXPIRED.1, EXPIRED.2] {
        assert!(!stored.contains(secret), "{stored}");
    }
    assert!(stored.contains("\"encrypted\""));

    // The simulator's specification with cap 2, and one per refused credential.
    let mut spec = info.spec.clone();
    spec["cap"] = json!(2);
    spec["collections"] = json!(["All"]);
    let mut specs = vec![spec.clone()];
    for (id, repo) in [
        ("aws-wrong", "apps/api"),
        ("aws-limited", "apps/p*"),
        ("aws-expired", "apps/a*"),
    ] {
        let mut s = spec.clone();
        s["credentialID"] = json!(id);
        s["repository"] = json!(repo);
        specs.push(s);
    }
    for s in &specs {
        let r = c
            .admin(
                Method::POST,
                &format!("{a}/settings/registry?scanLater=true"),
                Some(&s.to_string()),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
    }
    let saved = c.get(&format!("{a}/settings/registry")).await.json();
    assert_eq!(saved["specifications"][0]["version"], "aws");
    assert_eq!(saved["specifications"][0]["credentialID"], "sim-aws");

    let r = c
        .admin(Method::POST, &format!("{a}/registry/scan"), None)
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let status = c
        .poll(&format!("{a}/statuses/registry"), |s| {
            s["completed"] == true && s["scanning"] == false
        })
        .await;

    // Exactly the newest two of apps/api by imagePushedAt, and apps/plain.
    let results = c.get(&format!("{a}/registry?limit=50")).await.json();
    let mut found: Vec<(String, String)> = results
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let s = |k: &str| r["repoTag"][k].as_str().unwrap_or_default().to_string();
            (s("repo"), s("tag"))
        })
        .collect();
    found.sort();
    let pair = |r: &str, t: &str| (r.to_string(), t.to_string());
    assert_eq!(
        found,
        [
            pair("apps/api", "1.1"),
            pair("apps/api", "2.0"),
            pair("apps/plain", "latest")
        ]
    );
    // Each result is the digest the simulator lists for its tag.
    for r in results.as_array().unwrap() {
        let listed = info
            .images
            .iter()
            .find(|i| {
                r["repoTag"]["repo"] == i.repo.as_str() && r["repoTag"]["tag"] == i.tag.as_str()
            })
            .unwrap();
        assert!(
            r["repoDigests"].to_string().contains(&listed.digest)
                || r["repoTag"]["digest"] == listed.digest.as_str(),
            "{} is not {}",
            r["repoTag"],
            listed.digest
        );
    }
    let api: &Value = results
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["repoTag"]["tag"] == "2.0")
        .unwrap();
    assert_eq!(api["vulnerabilities"][0]["cve"], "CVE-2019-11236");
    let csv = c.get(&format!("{a}/registry/download")).await;
    assert_eq!(csv.status, 200);
    assert!(csv.text.contains("CVE-2019-11236"), "{}", csv.text);

    // The refusals, each naming what to fix.
    let errors = status["errors"].to_string();
    assert!(
        errors.contains(&format!(
            "the secret access key of credential \\\"aws-wrong\\\" is wrong for access key ID {}",
            READER.0
        )),
        "{errors}"
    );
    assert!(
        errors
            .contains("credential \\\"aws-limited\\\" lacks the IAM permission ecr:DescribeImages"),
        "{errors}"
    );
    assert!(
        errors.contains("the session token of credential \\\"aws-expired\\\" has expired"),
        "{errors}"
    );
    assert!(!errors.contains(READER.1) && !errors.contains(NO_DESCRIBE.1));
}
