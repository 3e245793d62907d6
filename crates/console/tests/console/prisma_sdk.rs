//! The vendor's own client against the real Console over HTTPS: `prisma_sdk.py` (beside this
//! file) drives login, credentials, settings, scans, progress, statuses, every page of more than
//! a hundred results, names, the CSV, policies, collections, stop and an on-demand scan through
//! Palo Alto Networks' `prismacloud-api`, installed in a venv by `scripts/test-deps.sh`. The
//! images come from a real `docker-registry`, pushed here: small, sharing their base layer.

use super::harness::{ADMIN, ADMIN_PASSWORD, console};
use crowsnest_testkit::{ImageBuilder, REQUIRE_ENV, RegistryBuilder, make_tls, tar_layer};
use std::path::{Path, PathBuf};

/// More than two of the SDK's 50-item pages, with a partial last one.
const IMAGES: usize = 105;

const OSV: &str = r#"{"id":"CROWSNEST-TEST-SDK-1","modified":"2024-01-01T00:00:00Z","published":"2019-04-18T00:00:00Z",
 "aliases":["CVE-2019-11236"],"summary":"CRLF injection in urllib3",
 "affected":[{"package":{"ecosystem":"PyPI","name":"urllib3"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1.24.3"}]}]}]}"#;

/// The venv's Python with the SDK importable, or why there is none.
fn sdk_python() -> Result<PathBuf, String> {
    let venv = std::env::var_os("CROWSNEST_PRISMA_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/var/tmp/crowsnest-prisma-venv"));
    let python = venv.join("bin/python");
    let ok = std::process::Command::new(&python)
        .args(["-c", "import prismacloud.api"])
        .output()
        .is_ok_and(|o| o.status.success());
    if ok {
        Ok(python)
    } else {
        Err(format!(
            "no prismacloud-api in the venv {} (scripts/test-deps.sh installs it)",
            venv.display()
        ))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vendor_sdk_drives_the_console_over_https() {
    let python = match sdk_python() {
        Ok(p) => p,
        Err(why) if std::env::var_os(REQUIRE_ENV).is_some() => panic!("{why}"),
        Err(why) => {
            eprintln!("skipped: {why}");
            return;
        }
    };
    let Some(registry) = RegistryBuilder::new().start_or_skip().await else {
        return;
    };
    let pusher = registry.pusher();
    let base = tar_layer(&[(
        "etc/os-release",
        "ID=debian\nVERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\n",
    )]);
    let app = tar_layer(&[(
        "usr/lib/python3/dist-packages/urllib3-1.24.1.dist-info/METADATA",
        "Metadata-Version: 2.1\nName: urllib3\nVersion: 1.24.1\n",
    )]);
    for i in 0..IMAGES {
        let repo = format!("sdk/app-{}", i % 3);
        let own = tar_layer(&[("srv/id", format!("{i}\n"))]);
        pusher
            .push_image(
                &repo,
                &format!("t{i:03}"),
                &ImageBuilder::oci().layers(vec![base.clone(), app.clone(), own]),
            )
            .await
            .unwrap();
    }
    let tmp = tempfile::tempdir().unwrap();
    let pki = make_tls(&tmp.path().join("pki")).unwrap();
    let feeds = tmp.path().join("feeds");
    std::fs::create_dir_all(&feeds).unwrap();
    std::fs::write(feeds.join("urllib3.json"), OSV).unwrap();
    let c = console().tls(pki.clone()).feeds(feeds).start().await;

    // A plain-HTTP request to the HTTPS port gets no API answer.
    let plain = reqwest::get(c.base.replace("https://", "http://")).await;
    assert!(plain.is_err() || !plain.unwrap().status().is_success());
    // HSTS on every HTTPS answer.
    let ping = c.get("/api/v1/_ping").await;
    assert_eq!(
        ping.headers["strict-transport-security"],
        "max-age=31536000"
    );

    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/console/prisma_sdk.py");
    let args = [
        c.base.clone(),
        ADMIN.to_string(),
        ADMIN_PASSWORD.to_string(),
        pki.ca_cert.display().to_string(),
        registry.url(),
        IMAGES.to_string(),
    ];
    let cwd = tmp.path().to_path_buf();
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new(python)
            .arg(script)
            .args(args)
            .current_dir(cwd)
            .env("NO_PROXY", "127.0.0.1,localhost")
            .env_remove("HTTPS_PROXY")
            .env_remove("https_proxy")
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "the SDK run failed ({}):\n{stdout}\n{stderr}",
        out.status
    );
    let report: serde_json::Value = serde_json::from_str(stdout.lines().last().unwrap_or(""))
        .unwrap_or_else(|e| panic!("no report line ({e}):\n{stdout}\n{stderr}"));
    assert_eq!(report["results"], IMAGES, "{report}");
    assert_eq!(report["names"], IMAGES, "{report}");
    assert_eq!(report["progress_scanned"], IMAGES, "{report}");
    assert!(report["credentials"].as_u64().unwrap() >= 60, "{report}");
    assert!(
        report["csv_lines"].as_u64().unwrap() > IMAGES as u64,
        "{report}"
    );
}
