//! Registry images (and `crowsnest sbom` of one): pulled from Debian's `docker-registry` on 127.0.0.1 (started by
//! crowsnest-testkit), by tag, by digest and by platform from an index, anonymously and through
//! Basic auth with credentials from the command line, a Docker config `auths` entry and a
//! credential helper program.

use crate::support::{Images, Run, minimist_layer, ubuntu_layer, vulns};
use crowsnest_testkit::{ImageBuilder, IndexBuilder, RegistryBuilder};
use std::os::unix::fs::PermissionsExt as _;

fn vulnerable_image() -> ImageBuilder {
    ImageBuilder::oci().layers(vec![ubuntu_layer().tar(), minimist_layer("1.2.5").tar()])
}

/// Runs the command off the async runtime (the registry's token service, when any, lives on it).
async fn run(r: Run) -> crate::support::Done {
    tokio::task::spawn_blocking(move || r.run()).await.unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn scans_a_registry_image_by_tag_and_by_digest() {
    let Some(reg) = RegistryBuilder::new().start_or_skip().await else {
        return;
    };
    let pushed = reg
        .pusher()
        .push_image("team/app", "1.0", &vulnerable_image())
        .await
        .unwrap();
    let name = format!("{}/team/app:1.0", reg.host_port());
    let done = run(Run::image(&[&name, "--plain-http", "-f", "json"]))
        .await
        .expect(0);
    let doc = done.json();
    assert_eq!(doc["_id"], name);
    assert_eq!(doc["repoTag"]["registry"], reg.host_port());
    assert_eq!(doc["repoTag"]["digest"], pushed.digest);
    assert_eq!(doc["id"], pushed.config_digest);
    assert!(
        vulns(&doc)
            .iter()
            .any(|v| v.0 == "CVE-2021-44906" && v.1 == "minimist")
    );
    assert!(
        vulns(&doc)
            .iter()
            .any(|v| v.0 == "CVE-2019-3462" && v.1 == "apt")
    );

    let by_digest = format!("{}/team/app@{}", reg.host_port(), pushed.digest);
    let again = run(Run::image(&[&by_digest, "--plain-http", "-f", "json"]))
        .await
        .expect(0);
    assert_eq!(vulns(&again.json()), vulns(&doc));

    // `crowsnest sbom` reads registry references through the same pipeline.
    let sbom = run(Run::sbom(&[&name, "--plain-http", "--format", "cyclonedx"]))
        .await
        .expect(0)
        .json();
    assert!(sbom["components"].as_array().unwrap().iter().any(|c| {
        c["purl"]
            .as_str()
            .is_some_and(|p| p.starts_with("pkg:npm/minimist@1.2.5"))
    }));

    let gate = run(Run::image(&[
        &name,
        "--plain-http",
        "--exit-code",
        "1",
        "--severity",
        "CRITICAL",
        "-q",
    ]))
    .await;
    assert_eq!(gate.code(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn platform_picks_the_index_entry() {
    let Some(reg) = RegistryBuilder::new().start_or_skip().await else {
        return;
    };
    let index = IndexBuilder::oci(vec![
        vulnerable_image(),
        ImageBuilder::oci()
            .platform("linux", "arm64", Some("v8"))
            .layers(vec![minimist_layer("1.2.6").tar()]),
    ]);
    reg.pusher()
        .push_index("multi", "latest", &index)
        .await
        .unwrap();
    let name = format!("{}/multi", reg.host_port());
    let amd = run(Run::image(&[&name, "--plain-http", "-f", "json"]))
        .await
        .expect(0);
    assert!(!vulns(&amd.json()).is_empty());
    let arm = run(Run::image(&[
        &name,
        "--plain-http",
        "-f",
        "json",
        "--platform",
        "linux/arm64",
    ]))
    .await
    .expect(0);
    let doc = arm.json();
    assert_eq!(vulns(&doc), vec![], "minimist 1.2.6 is fixed");
    assert_eq!(doc["isARM64"], true);
}

const USER: &str = "scanner";
const PASSWORD: &str = "s3cret-pass";

#[tokio::test(flavor = "multi_thread")]
async fn basic_auth_from_flags_config_file_and_credential_helper() {
    let Some(reg) = RegistryBuilder::new()
        .htpasswd(USER, PASSWORD)
        .start_or_skip()
        .await
    else {
        return;
    };
    reg.pusher()
        .push_image("private/app", "1", &vulnerable_image())
        .await
        .unwrap();
    let name = format!("{}/private/app:1", reg.host_port());
    let args = [name.as_str(), "--plain-http", "-q", "--exit-code", "1"];

    // Anonymous: the registry refuses, so the image cannot be read.
    let denied = run(Run::image(&args)).await.expect(3);
    assert!(
        denied.stderr().contains("private/app"),
        "{}",
        denied.stderr()
    );

    // --username with --password-stdin.
    let flags = [&args[..], &["--username", USER, "--password-stdin"][..]].concat();
    run(Run::image(&flags).stdin(format!("{PASSWORD}\n").as_bytes()))
        .await
        .expect(1);
    // A wrong password is refused.
    run(Run::image(&flags).stdin(b"wrong\n")).await.expect(3);

    // DOCKER_CONFIG with an `auths` entry (base64 user:password), keyed the way `docker login`
    // writes it.
    let images = Images::new();
    let cfg = images.path("docker");
    std::fs::create_dir_all(&cfg).unwrap();
    let auth = base64_encode(format!("{USER}:{PASSWORD}").as_bytes());
    std::fs::write(
        cfg.join("config.json"),
        format!(
            r#"{{"auths": {{"http://{}": {{"auth": "{auth}"}}}}}}"#,
            reg.host_port()
        ),
    )
    .unwrap();
    run(Run::image(&args).env("DOCKER_CONFIG", &cfg))
        .await
        .expect(1);

    // ~/.docker/config.json naming a credential helper: `docker-credential-test` on PATH,
    // which answers only for this registry and logs what it was asked.
    let r = Run::image(&args);
    let home_docker = r.home().join(".docker");
    std::fs::create_dir_all(&home_docker).unwrap();
    std::fs::write(
        home_docker.join("config.json"),
        format!(r#"{{"credHelpers": {{"{}": "test"}}}}"#, reg.host_port()),
    )
    .unwrap();
    let bin = images.path("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let log = images.path("helper.log");
    let helper = bin.join("docker-credential-test");
    std::fs::write(
        &helper,
        format!(
            "#!/bin/sh\nread server\necho \"$1 $server\" >> '{}'\nif [ \"$server\" = '{}' ]; then\n  printf '{{\"ServerURL\":\"%s\",\"Username\":\"{USER}\",\"Secret\":\"{PASSWORD}\"}}' \"$server\"\nelse\n  echo 'credentials not found in native keychain'\n  exit 1\nfi\n",
            log.display(),
            reg.host_port()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&helper, std::fs::Permissions::from_mode(0o755)).unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    run(r.env("PATH", &path)).await.expect(1);
    assert_eq!(
        std::fs::read_to_string(&log).unwrap(),
        format!("get {}\n", reg.host_port())
    );

    // The same helper as the default store (`credsStore`) works too.
    let r = Run::image(&args);
    let home_docker = r.home().join(".docker");
    std::fs::create_dir_all(&home_docker).unwrap();
    std::fs::write(home_docker.join("config.json"), r#"{"credsStore": "test"}"#).unwrap();
    run(r.env("PATH", &path)).await.expect(1);
}

fn base64_encode(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[tokio::test(flavor = "multi_thread")]
async fn tls_is_verified_unless_insecure_is_given() {
    let Some(reg) = RegistryBuilder::new().tls().start_or_skip().await else {
        return;
    };
    reg.pusher()
        .push_image("secure/app", "1.0", &vulnerable_image())
        .await
        .unwrap();
    // The registry's certificate comes from a CA this machine does not trust.
    let name = format!("{}/secure/app:1.0", reg.host_port());
    let refused = run(Run::image(&[&name, "-f", "json"])).await;
    assert_ne!(refused.code(), 0, "{}", refused.stdout());
    assert!(
        refused.stderr().contains("invalid peer certificate"),
        "{}",
        refused.stderr()
    );
    let accepted = run(Run::image(&[&name, "--insecure", "-f", "json"]))
        .await
        .expect(0);
    assert!(
        vulns(&accepted.json())
            .iter()
            .any(|v| v.0 == "CVE-2021-44906")
    );
}
