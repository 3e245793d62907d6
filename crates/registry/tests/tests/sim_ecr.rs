//! Registry type `"aws"` (ECR) against the testkit's ECR simulator (SigV4 verified, STS, the
//! real registry behind), against boto3 (the simulator's fidelity) and against `moto` in server
//! mode (an independent ECR, our client's fidelity).

use crate::sims::{options, upstream};
use crate::support::quick;
use crowsnest_model::spec::RegistrySpecification;
use crowsnest_registry::{
    AwsIdentity, Credentials, DiscoveryOptions, DiscoveryReport, RegistryAuth, RegistryError,
    VendorEndpoints, discover,
};
use crowsnest_testkit::vendor::ecr::{
    EXPIRED, EXTERNAL_ID, NO_DESCRIBE, READER, ROLE_ARN, WEB_IDENTITY_TOKEN,
};
use crowsnest_testkit::vendor::{SimInfo, start};
use serde_json::json;
use std::path::PathBuf;

/// Discovery options that point the AWS endpoints at `info`'s simulator.
fn aws_options(info: &SimInfo) -> DiscoveryOptions {
    DiscoveryOptions {
        vendor: VendorEndpoints::from_pairs(info.env.clone()),
        ..quick()
    }
}

fn keys(id: &str, secret: &str) -> Credentials {
    Credentials {
        auth: RegistryAuth::Aws(AwsIdentity::access_key("t", id, secret, None)),
        ..Credentials::default()
    }
}

fn spec(info: &SimInfo, cap: i64) -> RegistrySpecification {
    let mut v = info.spec.clone();
    v["cap"] = json!(cap);
    serde_json::from_value(v).unwrap()
}

async fn run(
    info: &SimInfo,
    creds: Credentials,
    cap: i64,
) -> Result<DiscoveryReport, RegistryError> {
    discover(&spec(info, cap), creds, &aws_options(info)).await
}

fn triples(report: &DiscoveryReport) -> Vec<(String, String, String)> {
    let mut found: Vec<_> = report
        .images
        .iter()
        .map(|i| (i.repo.clone(), i.tag.clone(), i.digest.to_string()))
        .collect();
    found.sort();
    found
}

#[tokio::test]
async fn ecr_discovers_every_image_through_next_token_pages_of_two() {
    let Some(reg) = upstream().await else {
        return;
    };
    let sim = start("aws", &options(&reg, 2)).await.unwrap();
    let report = run(&sim.info, keys(READER.0, READER.1), 0).await.unwrap();
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    let want: Vec<_> = (sim.info.images.iter())
        .map(|i| (i.repo.clone(), i.tag.clone(), i.digest.clone()))
        .collect();
    assert_eq!(triples(&report), want);
    // DescribeRepositories: 1 page (2 repositories); DescribeImages: team/api 2 pages (3
    // images), web 1: four signed calls, and no v2 request (the listing gave every digest).
    assert_eq!(report.requests, 4);
    assert!(report.images.iter().all(|i| i.pushed.is_some()));
}

#[tokio::test]
async fn cap_keeps_the_newest_by_image_pushed_at_without_reading_configs() {
    let Some(reg) = upstream().await else {
        return;
    };
    let sim = start("aws", &options(&reg, 2)).await.unwrap();
    let report = run(&sim.info, keys(READER.0, READER.1), 1).await.unwrap();
    let got: Vec<_> = report
        .images
        .iter()
        .map(|i| {
            (
                i.repo.as_str(),
                i.tag.as_str(),
                i.pushed.unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("team/api", "latest", "2024-03-01T00:00:00Z".to_string()),
            ("web", "edge", "2023-07-01T00:00:00Z".to_string()),
        ]
    );
    // The same four listing calls as without a cap: not one manifest or config read.
    assert_eq!(report.requests, 4);
}

#[tokio::test]
async fn a_role_is_assumed_with_its_external_id() {
    let Some(reg) = upstream().await else {
        return;
    };
    let sim = start("aws", &options(&reg, 100)).await.unwrap();
    let role = |external: Option<&str>| Credentials {
        auth: RegistryAuth::Aws(
            AwsIdentity::access_key("r", READER.0, READER.1, None).assuming(ROLE_ARN, external),
        ),
        ..Credentials::default()
    };
    let report = run(&sim.info, role(Some(EXTERNAL_ID)), 0).await.unwrap();
    assert_eq!(report.images.len(), sim.info.images.len());
    // AssumeRole once, then DescribeRepositories and one DescribeImages per repository.
    assert_eq!(report.requests, 4);
    let e = run(&sim.info, role(None), 0).await.unwrap_err().to_string();
    assert!(
        e.contains(&format!(
            "role {ROLE_ARN} (assumed with credential \"r\") lacks the IAM permission sts:AssumeRole"
        )) && e.contains("AWS said AccessDenied"),
        "{e}"
    );
}

#[tokio::test]
async fn refusals_say_what_to_fix() {
    let Some(reg) = upstream().await else {
        return;
    };
    let sim = start("aws", &options(&reg, 2)).await.unwrap();
    // A wrong secret fails the whole registry, as AWS refuses the signature.
    let e = run(&sim.info, keys(READER.0, "not-the-secret"), 0)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        e.contains(&format!(
            "the secret access key of credential \"t\" is wrong for access key ID {}",
            READER.0
        )) && e.contains("InvalidSignatureException"),
        "{e}"
    );
    let e = run(&sim.info, keys("AKIANOBODY0000000000", "x"), 0)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("AWS does not know access key ID AKIANOBODY0000000000"),
        "{e}"
    );
    // A missing permission fails each repository's listing, naming the action.
    let report = run(&sim.info, keys(NO_DESCRIBE.0, NO_DESCRIBE.1), 0)
        .await
        .unwrap();
    assert!(report.images.is_empty());
    assert_eq!(report.errors.len(), 2);
    for err in &report.errors {
        assert!(
            err.message
                .contains("credential \"t\" lacks the IAM permission ecr:DescribeImages"),
            "{err}"
        );
    }
    // Temporary keys whose session token expired.
    let expired = Credentials {
        auth: RegistryAuth::Aws(AwsIdentity::access_key(
            "old",
            EXPIRED.0,
            EXPIRED.1,
            Some(EXPIRED.2.into()),
        )),
        ..Credentials::default()
    };
    let e = run(&sim.info, expired, 0).await.unwrap_err().to_string();
    assert!(
        e.contains("the session token of credential \"old\" has expired"),
        "{e}"
    );
}

/// The shared vendor venv's Python (scripts/test-deps.sh), or why the test is skipped.
fn vendor_python() -> Option<PathBuf> {
    let venv = std::env::var("CROWSNEST_VENDOR_VENV")
        .unwrap_or_else(|_| "/var/tmp/crowsnest-vendor-venv".into());
    let python = PathBuf::from(venv).join("bin/python");
    if python.exists() {
        return Some(python);
    }
    if std::env::var_os("CROWSNEST_REQUIRE_REGISTRY").is_some() {
        panic!("{} is missing: run scripts/test-deps.sh", python.display());
    }
    eprintln!(
        "skipped: {} is missing (scripts/test-deps.sh)",
        python.display()
    );
    None
}

fn script(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/vendor")
        .join(name)
}

#[tokio::test]
async fn boto3_speaks_to_the_simulator() {
    let Some(python) = vendor_python() else {
        return;
    };
    let Some(reg) = upstream().await else {
        return;
    };
    let sim = start("aws", &options(&reg, 2)).await.unwrap();
    let consts = json!({
        "no_describe": [NO_DESCRIBE.0, NO_DESCRIBE.1],
        "expired": [EXPIRED.0, EXPIRED.1, EXPIRED.2],
        "role_arn": ROLE_ARN,
        "external_id": EXTERNAL_ID,
        "web_identity_token": WEB_IDENTITY_TOKEN,
    });
    let line = sim.info.to_json().to_string();
    // boto3 talks to the simulator served by this runtime: wait for it off the runtime.
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new(python)
            .arg(script("ecr_boto3.py"))
            .arg(line)
            .arg(consts.to_string())
            .output()
    })
    .await
    .unwrap()
    .unwrap();
    assert!(
        out.status.success() && String::from_utf8_lossy(&out.stdout).trim() == "ok",
        "stdout: {}\nstderr: {}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A `moto_server` child on a free loopback port, killed on drop.
struct Moto {
    child: std::process::Child,
    url: String,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn moto(python: &std::path::Path) -> Moto {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = std::process::Command::new(python.with_file_name("moto_server"))
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("moto_server starts");
    let moto = Moto {
        child,
        url: format!("http://127.0.0.1:{port}"),
    };
    // Ready when it accepts a connection (bounded: 30 s).
    for _ in 0..600 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return moto;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("moto_server did not listen on {port} within 30 s");
}

#[tokio::test]
async fn our_client_against_moto() {
    let Some(python) = vendor_python() else {
        return;
    };
    let moto = moto(&python).await;
    let out = std::process::Command::new(&python)
        .arg(script("ecr_moto_seed.py"))
        .arg(&moto.url)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let want: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    let mut want: Vec<_> = want
        .iter()
        .map(|i| {
            let s = |k: &str| i[k].as_str().unwrap().to_string();
            (s("repo"), s("tag"), s("digest"))
        })
        .collect();
    want.sort();
    // The registry as users write it: moto's default account and the region come from it.
    let spec: RegistrySpecification = serde_json::from_value(json!({
        "version": "aws",
        "registry": "123456789012.dkr.ecr.us-east-1.amazonaws.com",
        "repository": "*", "tag": "*", "os": "linux", "cap": 0,
    }))
    .unwrap();
    let options = DiscoveryOptions {
        vendor: VendorEndpoints::from_pairs([("AWS_ENDPOINT_URL_ECR", moto.url.as_str())]),
        ..quick()
    };
    let report = discover(&spec, keys("AKIAMOTO", "moto-secret"), &options)
        .await
        .unwrap();
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert_eq!(triples(&report), want);
    let report = discover(
        &RegistrySpecification {
            repository: "team/*".into(),
            cap: 2,
            ..spec
        },
        keys("AKIAMOTO", "moto-secret"),
        &options,
    )
    .await
    .unwrap();
    assert_eq!(report.images.len(), 2, "{:?}", report.images);
}

#[tokio::test]
async fn an_ecr_login_refused_mid_scan_is_replaced() {
    let Some(reg) = upstream().await else {
        return;
    };
    let sim = start("aws", &options(&reg, 100)).await.unwrap();
    let target = crowsnest_model::ScanTarget::from_spec(&spec(&sim.info, 0)).unwrap();
    let conn = crowsnest_registry::Connection::with_credentials(
        target,
        keys(READER.0, READER.1),
        &aws_options(&sim.info),
    )
    .unwrap();
    let platform = crowsnest_registry::TargetPlatform::LinuxAmd64;
    let first = conn
        .client()
        .manifest("web", "2.0", platform)
        .await
        .unwrap();
    // Every login the simulator issued lapses now (as one revoked or past its 12 hours would).
    let r = reqwest::Client::new()
        .post(format!("{}/_sim/expire-tokens", sim.url))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let sent = conn.client().requests_sent();
    let again = conn
        .client()
        .manifest("web", "2.0", platform)
        .await
        .unwrap();
    assert_eq!(again.digest, first.digest);
    // The refused GET, the retry after a new GetAuthorizationToken (counted by the ECR session,
    // not the v2 client).
    assert_eq!(conn.client().requests_sent() - sent, 2);
}

#[tokio::test]
async fn without_keys_the_instance_role_or_the_web_identity_signs() {
    let Some(reg) = upstream().await else {
        return;
    };
    let sim = start("aws", &options(&reg, 2)).await.unwrap();
    let with = |extra: &[(&str, &str)]| {
        let mut vars = sim.info.env.clone();
        for (k, v) in extra {
            vars.insert(k.to_string(), v.to_string());
        }
        DiscoveryOptions {
            vendor: VendorEndpoints::from_pairs(vars),
            ..quick()
        }
    };
    let environment = || Credentials {
        auth: RegistryAuth::Aws(AwsIdentity::from_environment()),
        ..Credentials::default()
    };
    let spec = spec(&sim.info, 0);
    // IMDSv2: token, role name, role keys; then the four listing calls.
    let imds = with(&[("AWS_EC2_METADATA_SERVICE_ENDPOINT", sim.url.as_str())]);
    let report = discover(&spec, environment(), &imds).await.unwrap();
    assert_eq!(report.images.len(), sim.info.images.len());
    assert_eq!(report.requests, 3 + 4);
    // No credential at all is the same as useAWSRole.
    let report = discover(&spec, Credentials::anonymous(), &imds)
        .await
        .unwrap();
    assert_eq!(report.images.len(), sim.info.images.len());

    // Web identity (EKS IRSA) comes first when its file and role are set.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("token");
    std::fs::write(&file, WEB_IDENTITY_TOKEN).unwrap();
    let file = file.to_str().unwrap();
    let irsa = with(&[
        ("AWS_WEB_IDENTITY_TOKEN_FILE", file),
        ("AWS_ROLE_ARN", ROLE_ARN),
        ("AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://127.0.0.1:9"),
    ]);
    let report = discover(&spec, environment(), &irsa).await.unwrap();
    assert_eq!(report.images.len(), sim.info.images.len());
    assert_eq!(report.requests, 1 + 4);
    std::fs::write(file, "stolen").unwrap();
    let e = discover(&spec, environment(), &irsa)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        e.contains(&format!(
            "the web identity (AWS_WEB_IDENTITY_TOKEN_FILE) may not assume {ROLE_ARN}"
        )) && e.contains("InvalidIdentityToken"),
        "{e}"
    );
    // Nothing answers where the metadata service should be.
    let none = with(&[("AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://127.0.0.1:9")]);
    let e = discover(&spec, environment(), &none)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("no AWS keys, and no instance metadata service answered"),
        "{e}"
    );
}

#[tokio::test]
async fn a_helm_chart_is_known_by_artifact_media_type_and_skipped() {
    let Some(reg) = upstream().await else {
        return;
    };
    let p = reg.pusher();
    let config = br#"{"name":"app","version":"0.1.0"}"#;
    let layer = b"not really a chart";
    let c = p.push_blob("charts/app", config).await.unwrap();
    let l = p.push_blob("charts/app", layer).await.unwrap();
    let chart = serde_json::to_vec(&json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.cncf.helm.config.v1+json", "digest": c, "size": config.len()},
        "layers": [{"mediaType": "application/vnd.cncf.helm.chart.content.v1.tar+gzip", "digest": l, "size": layer.len()}],
    }))
    .unwrap();
    let oci = "application/vnd.oci.image.manifest.v1+json";
    p.push_manifest("charts/app", "0.1.0", oci, &chart)
        .await
        .unwrap();
    let sim = start("aws", &options(&reg, 100)).await.unwrap();
    let report = run(&sim.info, keys(READER.0, READER.1), 5).await.unwrap();
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert!(report.images.iter().all(|i| i.repo != "charts/app"));
    assert_eq!(report.images.len(), 5);
    assert_eq!(report.skipped_total, 1);
    assert_eq!(
        (report.skipped[0].repo.as_str(), report.skipped[0].kind),
        ("charts/app", crowsnest_registry::ArtifactKind::HelmChart)
    );
    // Listing only: DescribeRepositories and three DescribeImages, no manifest read.
    assert_eq!(report.requests, 4);
}
