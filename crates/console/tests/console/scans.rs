//! Seed 003's workflow over HTTP against the real Console and a real `docker-registry`: add a
//! specification, start a scan, poll progress until done, read the status, the results (paged,
//! compact) and the CSV, then an on-demand scan. The images carry a real-format Debian
//! os-release and dpkg status and a pip-installed urllib3 1.24.1; the database is built at start
//! from one OSV record written here from the OSV schema (the id is ours, the CVE alias real).

use super::harness::{TestConsole, console};
use crowsnest_testkit::{ImageBuilder, RegistryBuilder, tar_layer};
use reqwest::Method;

const OSV_URLLIB3: &str = r#"{"id":"CROWSNEST-TEST-0001","modified":"2024-01-01T00:00:00Z","published":"2019-04-18T00:00:00Z",
 "aliases":["CVE-2019-11236"],"summary":"CRLF injection in urllib3",
 "affected":[{"package":{"ecosystem":"PyPI","name":"urllib3"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1.24.3"}]}]}]}"#;

/// A Console that has scanned seed 003's two images (`apps/python-vuln` with a real finding,
/// `apps/plain` without) from a real registry, with the spec's `reg` URL; `None` when
/// `docker-registry` is not installed (and CROWSNEST_REQUIRE_REGISTRY is unset). Keep the value
/// whole while the test runs: dropping it stops the registry.
pub(crate) struct Scanned {
    pub(crate) console: TestConsole,
    pub(crate) reg: String,
    _registry: crowsnest_testkit::TestRegistry,
    _feeds: tempfile::TempDir,
}

pub(crate) async fn scanned() -> Option<Scanned> {
    let registry = RegistryBuilder::new().start_or_skip().await?;
    let base = tar_layer(&[
        (
            "etc/os-release",
            "ID=debian\nVERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\nPRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n",
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
    for (repo, layers) in [
        ("apps/python-vuln", vec![base.clone(), app]),
        ("apps/plain", vec![base]),
    ] {
        pusher
            .push_image(
                repo,
                "latest",
                &ImageBuilder::oci().label(repo).layers(layers),
            )
            .await
            .unwrap();
    }
    let feeds = tempfile::tempdir().unwrap();
    std::fs::write(feeds.path().join("urllib3.json"), OSV_URLLIB3).unwrap();
    let c = console().feeds(feeds.path().to_path_buf()).start().await;
    let reg = registry.url();
    let a = "/api/v32.04";

    let spec = format!(
        r#"{{"version":"2","registry":"{reg}","repository":"apps/*","tag":"","os":"linux","cap":5,"hostname":"","scanners":2,"collections":["All"]}}"#
    );
    assert_eq!(
        c.admin(
            Method::POST,
            &format!("{a}/settings/registry?scanLater=true"),
            Some(&spec)
        )
        .await
        .status,
        200
    );
    let r = c
        .admin(Method::POST, &format!("{a}/registry/scan"), None)
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    c.wait_for_scan(2).await;
    Some(Scanned {
        console: c,
        reg,
        _registry: registry,
        _feeds: feeds,
    })
}

#[tokio::test]
async fn seed_003_workflow_scan_progress_status_results_csv() {
    let Some(scanned) = scanned().await else {
        return;
    };
    // Bound whole: the registry and the feeds stop and go when `scanned` drops.
    let (c, reg) = (&scanned.console, &scanned.reg);
    let host = reg.trim_start_matches("http://").to_string();
    let a = "/api/v32.04";
    let progress = c.get(&format!("{a}/registry/progress")).await.json();
    assert_eq!(progress[0]["imageScan"]["scanned"], 2);
    assert!(
        progress[0]["discovery"]["title"]
            .as_str()
            .unwrap()
            .starts_with("Step 1/2 discovering tags in registry")
    );
    let r = c.get(&format!("{a}/registry?limit=50")).await;
    assert_eq!(r.headers["total-count"], "2");
    let results = r.json();
    let vuln = results
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["repoTag"]["repo"] == "apps/python-vuln")
        .unwrap();
    assert_eq!(vuln["_id"], format!("{host}/apps/python-vuln:latest"));
    assert_eq!(vuln["osDistro"], "debian");
    let v = &vuln["vulnerabilities"][0];
    assert_eq!(
        (
            v["cve"].as_str(),
            v["packageName"].as_str(),
            v["id"].as_i64()
        ),
        (Some("CVE-2019-11236"), Some("urllib3"), Some(410))
    );
    assert_eq!(v["status"], "fixed in 1.24.3");
    assert!(
        vuln["policy"]["vulnerabilityRule"]
            .as_str()
            .is_some_and(|r| !r.is_empty()),
        "{}",
        vuln["policy"]
    );
    assert!(
        vuln["complianceIssuesCount"].as_u64().unwrap() > 0,
        "runs as root, no HEALTHCHECK"
    );
    let compact = c
        .get(&format!(
            "{a}/registry?compact=true&repository=apps/python-vuln"
        ))
        .await
        .json();
    assert!(compact[0]["vulnerabilities"].is_null() && compact[0]["vulnerabilitiesCount"] == 1);
    let names = c.get(&format!("{a}/registry/names")).await.json();
    assert_eq!(names.as_array().unwrap().len(), 2);

    let csv = c.get(&format!("{a}/registry/download")).await;
    assert!(
        csv.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let mut lines = csv.text.lines();
    assert!(
        lines
            .next()
            .unwrap()
            .starts_with("Registry,Repository,Tag,Id,Distro,Hosts,Layer,CVE ID")
    );
    let rows: Vec<&str> = lines.collect();
    assert!(
        rows.iter()
            .any(|r| r.contains("CVE-2019-11236") && r.contains("apps/python-vuln")),
        "{rows:?}"
    );

    // A second regular scan while idle is accepted; an on-demand scan of a scoped image runs.
    let od = format!(
        r#"{{"onDemandScan":true,"tag":{{"registry":"{reg}","repo":"apps/plain","tag":"latest"}}}}"#
    );
    assert_eq!(
        c.admin(Method::POST, &format!("{a}/registry/scan"), Some(&od))
            .await
            .status,
        200
    );
    let r = c
        .get(&format!(
            "{a}/registry/progress?onDemand=true&repo=apps/plain&tag=latest"
        ))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = c
        .get(&format!("{a}/registry/progress?repo=apps/plain&tag=latest"))
        .await;
    assert_eq!(r.status, 400, "registry/repo/tag without onDemand=true");
    let outside = format!(
        r#"{{"onDemandScan":true,"tag":{{"registry":"{reg}","repo":"other/x","tag":"1"}}}}"#
    );
    let r = c
        .admin(Method::POST, &format!("{a}/registry/scan"), Some(&outside))
        .await;
    assert_eq!(r.status, 400);
    assert!(r.err().contains("not in the scope"));
    assert_eq!(
        c.admin(Method::POST, &format!("{a}/registry/stop"), None)
            .await
            .status,
        200
    );
}
