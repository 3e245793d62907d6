//! Secrets stay secret and TLS is verified unless a user says otherwise.
//!
//! One workflow exercises every place a secret passes through (credentials with plain values, a
//! registry behind htpasswd, a wrong password, logins, token renewal, bodies that are wrong in
//! ways that make parsers quote their input) while every log event at debug level, from our
//! crates and from the libraries under them, is captured. Then the captured logs, every response
//! body and every file in the data dir are searched for each secret.

use super::harness::{ADMIN, ADMIN_PASSWORD, Auth, Reply, TestConsole, console, files_under};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use crowsnest_testkit::{ImageBuilder, RegistryBuilder, tar_layer};
use reqwest::Method;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const REGISTRY_USER: &str = "scanbot";
const REGISTRY_PASSWORD: &str = "Registry-Pw-7f3Kq";
const WRONG_REGISTRY_PASSWORD: &str = "Wrong-Registry-Pw-2Lm9";
const API_TOKEN: &str = "Gitlab-Api-Token-x81Zp";
const GUESSED_LOGIN: &str = "Guessed-Login-Pw-55rT";
/// Sent where a parser would quote it back in its error message if it echoed input.
const MISPLACED_SECRET: &str = "Misplaced-Secret-0oPq";

/// A `tracing` writer into a shared buffer.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Captured {
        self.clone()
    }
}

/// Records every response body the test sees, so all of them can be searched at the end.
#[derive(Default)]
struct Transcript(Vec<(String, String)>);

impl Transcript {
    async fn call(
        &mut self,
        c: &TestConsole,
        method: Method,
        path: &str,
        auth: Auth<'_>,
        body: Option<&str>,
    ) -> Reply {
        let label = format!("{method} {path}");
        let r = c.call(method, path, auth, body.map(str::to_string)).await;
        self.0.push((label, r.text.clone()));
        r
    }

    async fn admin(
        &mut self,
        c: &TestConsole,
        method: Method,
        path: &str,
        body: Option<&str>,
    ) -> Reply {
        self.call(c, method, path, Auth::Basic(ADMIN, ADMIN_PASSWORD), body)
            .await
    }
}

/// Polls until the Console reports the scan finished, as Prisma's own scripts do.
async fn wait_for_scan(c: &TestConsole) -> serde_json::Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(90);
    loop {
        let status = c.get("/api/v1/statuses/registry").await.json();
        let progress = c.get("/api/v1/registry/progress").await.json();
        let ongoing = progress
            .as_array()
            .is_some_and(|p| p.iter().any(|x| x["isScanOngoing"] == true));
        if status["completed"] == true && !ongoing {
            return status;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "scan did not finish: {status} {progress}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[tokio::test]
async fn no_secret_reaches_the_database_debug_logs_responses_or_errors() {
    let logs = Captured::default();
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_ansi(false)
        .with_writer(logs.clone())
        .try_init()
        .expect("this test owns the process's subscriber (nextest runs each test alone)");

    let Some(registry) = RegistryBuilder::new()
        .htpasswd(REGISTRY_USER, REGISTRY_PASSWORD)
        .start_or_skip()
        .await
    else {
        return;
    };
    let layer = tar_layer(&[("etc/alpine-release", "3.19.1\n")]);
    registry
        .pusher()
        .push_image("team/app", "1.0", &ImageBuilder::oci().layers(vec![layer]))
        .await
        .unwrap();

    let mut c = console().start().await;
    let mut t = Transcript::default();
    let a = "/api/v34.04";

    // Credentials: one right, one wrong, one with an API token.
    for (id, plain) in [
        ("reg-ok", REGISTRY_PASSWORD),
        ("reg-wrong", WRONG_REGISTRY_PASSWORD),
    ] {
        let body = format!(
            r#"{{"_id":"{id}","type":"basic","accountID":"{REGISTRY_USER}","secret":{{"plain":"{plain}"}}}}"#
        );
        let r = t
            .admin(&c, Method::POST, &format!("{a}/credentials"), Some(&body))
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
    }
    let body =
        format!(r#"{{"_id":"gl","type":"gitlabToken","apiToken":{{"plain":"{API_TOKEN}"}}}}"#);
    let r = t
        .admin(&c, Method::POST, &format!("{a}/credentials"), Some(&body))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);

    // Bodies that are wrong in ways that tempt a parser to quote the value back.
    let wrong_bodies = [
        format!(r#"{{"_id":"x","type":"basic","secret":"{MISPLACED_SECRET}"}}"#),
        format!(r#"{{"_id":"x","type":"basic","secret":{{"plain":["{MISPLACED_SECRET}"]}}}}"#),
        format!(r#"{{"_id":"x","type":"basic","skipVerify":"{MISPLACED_SECRET}"}}"#),
        format!(r#"{{"_id":"x","type":"basic","secret":{{"plain":"{MISPLACED_SECRET}"}}"#),
    ];
    for body in &wrong_bodies {
        let r = t
            .admin(&c, Method::POST, &format!("{a}/credentials"), Some(body))
            .await;
        assert_eq!(r.status, 400, "{body}: {}", r.text);
        assert!(!r.err().is_empty());
    }
    let r = t
        .call(
            &c,
            Method::POST,
            "/api/v1/authenticate",
            Auth::None,
            Some(&format!(
                r#"{{"username":"{ADMIN}","password":{{"x":"{MISPLACED_SECRET}"}}}}"#
            )),
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.text);

    // Logins: a wrong one, a right one, a renewal; the tokens are then used.
    let r = c.login(GUESSED_LOGIN).await;
    assert_eq!(r.status, 401);
    t.0.push(("POST /authenticate (wrong password)".into(), r.text));
    let token = c.token().await;
    let r = c
        .call(
            Method::GET,
            "/api/v1/authenticate/renew",
            Auth::Bearer(&token),
            None,
        )
        .await;
    assert_eq!(r.status, 200);
    let renewed = r.json()["token"].as_str().unwrap().to_string();
    for (bearer, expected) in [(&renewed, 200), (&token, 401)] {
        let path = format!("{a}/credentials");
        let r = t
            .call(&c, Method::GET, &path, Auth::Bearer(bearer), None)
            .await;
        assert_eq!(
            r.status, expected,
            "only the renewed token works: {}",
            r.text
        );
    }

    // A scan with the right credential and one with the wrong credential.
    let reg = registry.url();
    let specs = format!(
        r#"{{"specifications":[{{"version":"2","registry":"{reg}","repository":"team/*","credentialID":"reg-ok","os":"linux","cap":5,"scanners":1,"collections":["All"]}},
            {{"version":"2","registry":"{reg}","repository":"team/app","credentialID":"reg-wrong","os":"linux","cap":5,"scanners":1,"collections":["All"]}}]}}"#
    );
    let r = t
        .admin(
            &c,
            Method::PUT,
            &format!("{a}/settings/registry?scanLater=true"),
            Some(&specs),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = t
        .admin(&c, Method::POST, &format!("{a}/registry/scan"), None)
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    wait_for_scan(&c).await;
    for path in [
        "/statuses/registry",
        "/registry/progress",
        "/registry?limit=50",
        "/registry/download",
        "/registry/names",
        "/settings/registry",
        "/credentials",
        "/credentials/reg-ok/usages",
    ] {
        let r = t.admin(&c, Method::GET, &format!("{a}{path}"), None).await;
        assert_eq!(r.status, 200, "{path}: {}", r.text);
    }
    // The scans really ran: the right credential got a result, the wrong one an error that
    // says what went wrong (without the password).
    let results =
        &t.0.iter()
            .find(|(l, _)| l.contains("/registry?limit"))
            .unwrap()
            .1;
    assert!(results.contains("team/app"), "{results}");
    let status = &t.0.iter().find(|(l, _)| l.contains("/statuses")).unwrap().1;
    assert!(
        status.contains("401")
            || status.to_lowercase().contains("unauthorized")
            || status.to_lowercase().contains("authentication"),
        "the wrong credential's failure is reported: {status}"
    );
    c.stop().await;

    // What must never appear, in every encoding it could leak in.
    let master_key_hex = std::fs::read_to_string(c.data_dir.join("master.key")).unwrap();
    let master_key = hex::decode(master_key_hex.trim()).unwrap();
    let basic = |u: &str, p: &str| B64.encode(format!("{u}:{p}"));
    let secrets: Vec<(&str, Vec<u8>)> = vec![
        ("registry password", REGISTRY_PASSWORD.into()),
        ("wrong registry password", WRONG_REGISTRY_PASSWORD.into()),
        ("API token", API_TOKEN.into()),
        ("admin password", ADMIN_PASSWORD.into()),
        ("guessed login password", GUESSED_LOGIN.into()),
        ("misplaced secret", MISPLACED_SECRET.into()),
        ("admin Basic header", basic(ADMIN, ADMIN_PASSWORD).into()),
        (
            "registry Basic header",
            basic(REGISTRY_USER, REGISTRY_PASSWORD).into(),
        ),
        ("session token", token.clone().into()),
        ("renewed token", renewed.clone().into()),
        ("token signature", token.rsplit('.').next().unwrap().into()),
        ("master key (hex)", master_key_hex.trim().into()),
        ("master key (base64)", B64.encode(&master_key).into()),
    ];

    let logs = String::from_utf8_lossy(&logs.0.lock().unwrap()).into_owned();
    assert!(
        logs.contains("DEBUG"),
        "debug logging was captured: {} bytes",
        logs.len()
    );
    for (what, secret) in &secrets {
        assert!(
            !contains(logs.as_bytes(), secret),
            "the {what} appears in the debug logs"
        );
        for (label, body) in &t.0 {
            assert!(
                !contains(body.as_bytes(), secret),
                "the {what} appears in the response to {label}: {body}"
            );
        }
    }
    // Every file the Console wrote, byte by byte; the master key file itself is the one place
    // the key may be, and the raw key bytes must not be anywhere else.
    let files = files_under(&c.data_dir);
    assert!(
        files
            .iter()
            .any(|f| f.to_string_lossy().ends_with(".sqlite"))
    );
    for f in files {
        if f.file_name().is_some_and(|n| n == "master.key") {
            continue;
        }
        let bytes = std::fs::read(&f).unwrap();
        for (what, secret) in secrets
            .iter()
            .chain([&("master key (raw)", master_key.clone())])
        {
            assert!(
                !contains(&bytes, secret),
                "the {what} appears in {}",
                f.display()
            );
        }
    }
}

#[tokio::test]
async fn tls_is_verified_unless_the_user_gives_a_ca_or_opts_out() {
    let Some(registry) = RegistryBuilder::new().tls().start_or_skip().await else {
        return;
    };
    registry
        .pusher()
        .push_image(
            "secure/app",
            "1.0",
            &ImageBuilder::oci().layers(vec![tar_layer(&[("etc/alpine-release", "3.19.1\n")])]),
        )
        .await
        .unwrap();
    let ca = registry.ca_pem().expect("a TLS registry has a CA");
    let c = console().start().await;
    let reg = registry.url();
    assert!(reg.starts_with("https://"), "{reg}");

    let scan_with = |extra: &str| {
        format!(
            r#"{{"specifications":[{{"version":"2","registry":"{reg}","repository":"secure/*","os":"linux","cap":5,"scanners":1,"collections":["All"]{extra}}}]}}"#
        )
    };
    let run = |body: String| {
        let c = &c;
        async move {
            let r = c
                .admin(
                    Method::PUT,
                    "/api/v1/settings/registry?scanLater=true",
                    Some(&body),
                )
                .await;
            assert_eq!(r.status, 200, "{}", r.text);
            let r = c.admin(Method::POST, "/api/v1/registry/scan", None).await;
            assert_eq!(r.status, 200, "{}", r.text);
            let status = wait_for_scan(c).await;
            let results = c.get("/api/v1/registry?limit=50").await.json();
            (status, results)
        }
    };

    // Default: the registry's certificate is signed by a CA nobody told us to trust.
    let (status, results) = run(scan_with("")).await;
    assert_eq!(results, serde_json::json!([]), "{status}");
    let text = status.to_string().to_lowercase();
    assert!(
        text.contains("invalid peer certificate"),
        "the refusal says it is about TLS: {status}"
    );

    // The spec carries the CA: verified, and the scan goes through.
    let ca_json = serde_json::to_string(&ca).unwrap();
    let (status, results) = run(scan_with(&format!(r#","caCert":{ca_json}"#))).await;
    assert_eq!(results.as_array().map(Vec::len), Some(1), "{status}");

    // A credential that opts out of verification, explicitly. A second image shows that this
    // scan, not the previous one, produced the results.
    registry
        .pusher()
        .push_image(
            "secure/other",
            "1.0",
            &ImageBuilder::oci().layers(vec![tar_layer(&[("etc/alpine-release", "3.20.0\n")])]),
        )
        .await
        .unwrap();
    let r = c
        .admin(
            Method::POST,
            "/api/v1/credentials",
            Some(r#"{"_id":"insecure","type":"basic","accountID":"u","secret":{"plain":"p"},"skipVerify":true}"#),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let (status, results) = run(scan_with(r#","credentialID":"insecure""#)).await;
    assert_eq!(results.as_array().map(Vec::len), Some(2), "{status}");
}
