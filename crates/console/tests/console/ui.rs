//! The web console. Without a browser: the session cookie's flags, the CSRF rule (a change with
//! the cookie alone is a 403), logout and expiry, and how the assets are served (types, ETag,
//! CSP). In real headless Chromium (`tests/ui/console_ui.py`, Selenium; Debian's `chromium` and
//! `chromium-driver`, installed by `scripts/test-deps.sh` with Selenium and axe-core): the whole
//! flow against a real local registry, hostile names, and axe-core on every page.
//! `CROWSNEST_UI_SCREENSHOTS=DIR` saves every page at 1440×900 and 390×844 there (how
//! `docs/screenshots/` is made).

use super::harness::{ADMIN, ADMIN_PASSWORD, TestConsole, console};
use crowsnest_testkit::{ImageBuilder, REQUIRE_ENV, RegistryBuilder, tar_layer};
use reqwest::StatusCode;
use std::path::{Path, PathBuf};

const OSV_URLLIB3: &str = r#"{"id":"CROWSNEST-TEST-UI-1","modified":"2024-01-01T00:00:00Z","published":"2019-04-18T00:00:00Z",
 "aliases":["CVE-2019-11236"],"summary":"CRLF injection in urllib3",
 "severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N"}],
 "affected":[{"package":{"ecosystem":"PyPI","name":"urllib3"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1.24.3"}]}]}]}"#;

/// A package name and a label that would run script if the console ever parsed data as markup.
const HOSTILE_PACKAGE: &str = r#"<img src=x onerror="window.__pwned=1">"#;
const HOSTILE_LABEL: &str = "<script>window.__pwned=1</script>";

/// The session cookie `Set-Cookie` carries, as `name=value`, and the whole header.
fn session_cookie(r: &reqwest::Response) -> (String, String) {
    let header = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("crowsnest_session="))
        .expect("a session cookie")
        .to_string();
    let pair = header.split(';').next().unwrap().to_string();
    (pair, header)
}

async fn login(c: &TestConsole) -> (String, String) {
    let r = c
        .http
        .post(format!("{}/ui/login", c.base))
        .json(&serde_json::json!({"username": ADMIN, "password": ADMIN_PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let (cookie, header) = session_cookie(&r);
    for flag in ["HttpOnly", "SameSite=Strict", "Path=/", "Max-Age=1800"] {
        assert!(header.contains(flag), "{flag} missing: {header}");
    }
    assert!(
        !header.contains("Secure"),
        "plain HTTP cannot set Secure: {header}"
    );
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["username"], ADMIN);
    assert!(body.get("token").is_none(), "the page never sees the token");
    (cookie, body["csrfToken"].as_str().unwrap().to_string())
}

#[tokio::test]
async fn a_session_cookie_changes_nothing_without_its_csrf_token() {
    let c = console().start().await;
    let (cookie, csrf) = login(&c).await;
    let send = |method: reqwest::Method, path: &str, token: Option<&str>| {
        let mut req = c
            .http
            .request(method, format!("{}{path}", c.base))
            .header("Cookie", &cookie);
        if let Some(t) = token {
            req = req.header("X-CSRF-Token", t);
        }
        req
    };
    let cred = r#"{"_id":"ui-cred","type":"basic","accountID":"bob","secret":{"plain":"s3cret"}}"#;
    // Reading with the cookie alone works.
    let r = send(reqwest::Method::GET, "/api/v1/credentials", None)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // A change without the token, or with a wrong one, is refused and changes nothing.
    for token in [None, Some("00"), Some("")] {
        let r = send(reqwest::Method::POST, "/api/v32.04/credentials", token)
            .header("Content-Type", "application/json")
            .body(cred)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "token {token:?}");
        let body: serde_json::Value = r.json().await.unwrap();
        assert!(body["err"].as_str().unwrap().contains("X-CSRF-Token"));
    }
    assert_eq!(
        c.get("/api/v1/credentials").await.json(),
        serde_json::json!([])
    );
    // With it, the change is made.
    let r = send(
        reqwest::Method::POST,
        "/api/v32.04/credentials",
        Some(&csrf),
    )
    .header("Content-Type", "application/json")
    .body(cred)
    .send()
    .await
    .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        c.get("/api/v1/credentials").await.json()[0]["_id"],
        "ui-cred"
    );
    // The session view gives the same token back; another session has another.
    let s: serde_json::Value = send(reqwest::Method::GET, "/ui/session", None)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(s["csrfToken"], csrf.as_str());
    let (_, other) = login(&c).await;
    assert_ne!(other, csrf);
    // Logout needs the token too, then retires the session.
    let r = send(reqwest::Method::POST, "/ui/logout", None)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = send(reqwest::Method::POST, "/ui/logout", Some(&csrf))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert!(session_cookie(&r).1.contains("Max-Age=0"));
    for path in ["/ui/session", "/api/v1/credentials", "/ui/api/images"] {
        let r = send(reqwest::Method::GET, path, None).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{path}");
    }
}

#[tokio::test]
async fn a_session_ends_with_the_token_lifetime_and_a_form_login_redirects() {
    let c = console().start().await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let form = |password: &str| {
        client
            .post(format!("{}/ui/login", c.base))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(format!("username={ADMIN}&password={password}"))
            .send()
    };
    let r = form("wrong").await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/#/login?failed=1");
    assert!(r.headers().get("set-cookie").is_none());
    let r = form(ADMIN_PASSWORD).await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/#/overview");
    let (cookie, _) = session_cookie(&r);
    let session = || {
        client
            .get(format!("{}/ui/session", c.base))
            .header("Cookie", &cookie)
            .send()
    };
    assert_eq!(session().await.unwrap().status(), 200);
    c.clock.advance(jiff::SignedDuration::from_mins(31));
    assert_eq!(session().await.unwrap().status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn assets_are_served_with_their_types_etags_and_policy() {
    let c = console().start().await;
    let get = |path: &str| c.http.get(format!("{}{path}", c.base)).send();
    let index = get("/").await.unwrap();
    assert_eq!(index.status(), 200);
    assert_eq!(index.headers()["content-type"], "text/html; charset=utf-8");
    let csp = index.headers()["content-security-policy"].to_str().unwrap();
    for part in [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "object-src 'none'",
        "frame-ancestors 'none'",
    ] {
        assert!(csp.contains(part), "{part} missing from {csp}");
    }
    assert!(!csp.contains("unsafe"), "{csp}");
    assert_eq!(index.headers()["x-content-type-options"], "nosniff");
    let etag = index.headers()["etag"].clone();
    let page = index.text().await.unwrap();
    assert!(page.contains(r#"<script type="module" src="/ui/js/main.js">"#));
    let again = c
        .http
        .get(format!("{}/", c.base))
        .header("If-None-Match", etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    for (path, ty) in [
        ("/ui/js/main.js", "text/javascript; charset=utf-8"),
        ("/ui/app.css", "text/css; charset=utf-8"),
        ("/ui/favicon.svg", "image/svg+xml"),
    ] {
        let r = get(path).await.unwrap();
        assert_eq!(r.status(), 200, "{path}");
        assert_eq!(r.headers()["content-type"], ty, "{path}");
        assert_eq!(r.headers()["cache-control"], "no-cache", "{path}");
    }
    assert_eq!(get("/ui/../Cargo.toml").await.unwrap().status(), 404);
    assert_eq!(get("/ui/js/nope.js").await.unwrap().status(), 404);
    // The UI's data views need a caller like the API does.
    assert_eq!(get("/ui/api/images").await.unwrap().status(), 401);
    assert_eq!(get("/ui/api/summary").await.unwrap().status(), 401);
}

/// Paths of Chromium, its driver, the venv Python with Selenium and axe-core, or why not.
fn browser_tools() -> Result<(PathBuf, PathBuf), String> {
    for bin in ["/usr/bin/chromium", "/usr/bin/chromedriver"] {
        if !Path::new(bin).exists() {
            return Err(format!(
                "{bin} missing (scripts/test-deps.sh installs chromium and chromium-driver)"
            ));
        }
    }
    let venv = std::env::var_os("CROWSNEST_UI_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/var/tmp/crowsnest-ui-venv"));
    let python = venv.join("bin/python");
    let ok = std::process::Command::new(&python)
        .args(["-c", "import selenium"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        return Err(format!("no selenium in {}", venv.display()));
    }
    let axe = std::env::var_os("CROWSNEST_AXE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/var/tmp/crowsnest-axe"))
        .join("node_modules/axe-core/axe.min.js");
    if !axe.exists() {
        return Err(format!("{} missing", axe.display()));
    }
    Ok((python, axe))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_in_headless_chromium() {
    let (python, axe) = match browser_tools() {
        Ok(t) => t,
        Err(why) if std::env::var_os(REQUIRE_ENV).is_some() => panic!("{why}"),
        Err(why) => {
            eprintln!("skipped: {why}");
            return;
        }
    };
    let Some(registry) = RegistryBuilder::new().start_or_skip().await else {
        return;
    };
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
    let hostile = tar_layer(&[(
        "usr/lib/python3/dist-packages/evil-1.0.dist-info/METADATA",
        format!("Metadata-Version: 2.1\nName: {HOSTILE_PACKAGE}\nVersion: 1.0\n"),
    )]);
    let corpus = crowsnest_hostile::Corpus::load().expect("the hostile corpus");
    let escapes = corpus
        .bytes(corpus.case("layer-control-chars-names"))
        .unwrap()
        .expect("a committed layer");
    let pusher = registry.pusher();
    for (repo, label, layers) in [
        ("apps/python-vuln", "python-vuln", vec![base.clone(), app]),
        ("apps/plain", "plain", vec![base.clone()]),
        ("hostile/names", HOSTILE_LABEL, vec![base, hostile, escapes]),
    ] {
        pusher
            .push_image(
                repo,
                "latest",
                &ImageBuilder::oci().label(label).layers(layers),
            )
            .await
            .unwrap();
    }
    let feeds = tempfile::tempdir().unwrap();
    std::fs::write(feeds.path().join("urllib3.json"), OSV_URLLIB3).unwrap();
    let c = console().feeds(feeds.path().to_path_buf()).start().await;

    let shots = std::env::var("CROWSNEST_UI_SCREENSHOTS").unwrap_or_default();
    if !shots.is_empty() {
        std::fs::create_dir_all(&shots).unwrap();
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/ui/console_ui.py");
    let args = [
        c.base.clone(),
        ADMIN.to_string(),
        ADMIN_PASSWORD.to_string(),
        registry.url(),
        axe.display().to_string(),
        shots,
        "CVE-2019-11236".to_string(),
        "3".to_string(),
    ];
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new(python)
            .arg(script)
            .args(args)
            .env("NO_PROXY", "127.0.0.1,localhost")
            .env_remove("HTTP_PROXY")
            .env_remove("http_proxy")
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "the browser run failed ({}):\n{stdout}\n{stderr}",
        out.status
    );
    let report: serde_json::Value = serde_json::from_str(stdout.lines().last().unwrap_or(""))
        .unwrap_or_else(|e| panic!("no report line ({e}):\n{stdout}\n{stderr}"));
    eprintln!("{report}");
    assert_eq!(report["logged_in"], true);
    assert_eq!(report["logged_out"], true);
    assert_eq!(report["hostile_rendered"], true);
    assert_eq!(report["csrf"]["without"], 403);
    assert_eq!(report["csp_violations"], 0);
    let states = report["progress_states"].as_array().unwrap();
    assert!(states.len() >= 2, "progress never moved: {report}");
    assert_eq!(states.last().unwrap()[0], "3");
    assert!(
        report["csv_lines"].as_u64().unwrap() > 1,
        "the CSV has rows: {report}"
    );
    // axe ran on every page at both widths and in dark mode.
    assert!(report["axe"].as_object().unwrap().len() >= 27, "{report}");
    // The browser found the CVE; the API agrees.
    let r = c.get("/api/v1/registry?repository=apps/python-vuln").await;
    assert!(r.text.contains("CVE-2019-11236"));
}
