//! API cases against the real Console on loopback: each hostile request gets its status and,
//! where the Console (not the HTTP stack) answers, an `{"err": …}` naming the problem; after
//! every request the server still answers and the stored registry settings are unchanged (or,
//! for requests that are legal, stored verbatim).

use super::support::corpus;
use crowsnest_console::{Bootstrap, ConsoleConfig, ManualClock};
use crowsnest_hostile::{Case, Kind, Outcome};
use std::path::PathBuf;
use std::sync::Arc;

pub(crate) const ADMIN: &str = "admin";
pub(crate) const PASSWORD: &str = "Hostile-Admin-Pw-1";
const SETTINGS: &str = "/api/v32.04/settings/registry";

/// A Console on a free loopback port, stopped on drop.
pub(crate) struct Console {
    pub(crate) base: String,
    pub(crate) http: reqwest::Client,
    _shutdown: tokio::sync::oneshot::Sender<()>,
    _tmp: tempfile::TempDir,
}

impl Console {
    pub(crate) async fn start(feeds: Option<PathBuf>) -> Console {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let tmp = tempfile::tempdir().unwrap();
        let mut config = ConsoleConfig::for_data_dir(tmp.path().join("data"));
        // Never the internet: Docker Hub specs point at a closed loopback port.
        config.docker_hub = Some("http://127.0.0.1:9".into());
        config.scan_interval_hours = 0;
        config.feeds = feeds;
        let clock = Arc::new(ManualClock::new("2026-11-01T10:00:00Z".parse().unwrap()));
        let bootstrap = Bootstrap {
            admin_user: Some(ADMIN.into()),
            admin_password: Some(PASSWORD.into()),
            master_key: None,
        };
        let state = crowsnest_console::open(config, clock, &bootstrap)
            .await
            .unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(async move {
            crowsnest_console::serve(listener, state, async {
                let _ = rx.await;
            })
            .await
            .expect("server");
        });
        Console {
            base,
            http: reqwest::Client::new(),
            _shutdown: tx,
            _tmp: tmp,
        }
    }

    pub(crate) fn admin(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.http
            .request(method, format!("{}{path}", self.base))
            .basic_auth(ADMIN, Some(PASSWORD))
    }

    pub(crate) async fn get_text(&self, path: &str) -> (u16, String) {
        let r = self.admin(reqwest::Method::GET, path).send().await.unwrap();
        (r.status().as_u16(), r.text().await.unwrap())
    }
}

/// Sends one case's request; returns (status, body).
async fn send(c: &Console, corpus: &crowsnest_hostile::Corpus, case: &Case) -> (u16, String) {
    use reqwest::Method;
    let json = |b: Vec<u8>| {
        c.admin(Method::POST, &format!("{SETTINGS}?scanLater=true"))
            .header("content-type", "application/json")
            .body(b)
    };
    let req = match case.recipe.as_deref() {
        None | Some("api-oversized-body") => json(corpus.bytes(case).unwrap().unwrap()),
        Some("api-huge-header") => c
            .http
            .get(format!("{}{SETTINGS}", c.base))
            .header("authorization", format!("Basic {}", "A".repeat(1 << 20))),
        Some("api-path-traversal") => c.admin(
            Method::DELETE,
            "/api/v1/credentials/..%2F..%2Fsettings%2Fregistry",
        ),
        Some("api-huge-query-number") => c.admin(
            Method::GET,
            "/api/v1/registry?limit=99999999999999999999999",
        ),
        Some(other) => panic!("{}: no request for recipe {other}", case.id),
    };
    match req.send().await {
        Ok(r) => (r.status().as_u16(), r.text().await.unwrap_or_default()),
        // hyper may close the connection on a header block it refuses before reading the body.
        Err(e) => (0, e.to_string()),
    }
}

#[tokio::test]
async fn every_api_case_is_refused_or_stored_verbatim_and_the_console_keeps_serving() {
    let corpus = corpus();
    let c = Console::start(None).await;
    let baseline_spec = r#"{"version":"2","registry":"http://127.0.0.1:9","repository":"apps/*","tag":"","os":"linux","cap":5,"scanners":1,"collections":["All"]}"#;
    let r = c
        .admin(reqwest::Method::POST, &format!("{SETTINGS}?scanLater=true"))
        .header("content-type", "application/json")
        .body(baseline_spec)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let mut problems = Vec::new();
    let api_cases: Vec<&Case> = corpus
        .of_kind(&[Kind::Api])
        .into_iter()
        .filter(|c| !c.id.starts_with("csv-"))
        .collect();
    for case in api_cases {
        let (_, before) = c.get_text(SETTINGS).await;
        let (status, body) = send(&c, &corpus, case).await;
        let err = serde_json::from_str::<serde_json::Value>(&body)
            .ok()
            .and_then(|v| v["err"].as_str().map(str::to_string));
        let (ping, _) = c.get_text("/api/v1/_ping").await;
        let (_, after) = c.get_text(SETTINGS).await;
        let verdict: Result<(), String> = match case.outcome {
            Outcome::Rejected => {
                let status_ok = Some(status) == case.status;
                // An empty `expect` marks a refusal by the HTTP stack, which has no JSON body.
                let body_ok =
                    case.expect.is_empty() || err.as_deref().is_some_and(|e| case.matches(e));
                if status_ok && body_ok && after == before {
                    Ok(())
                } else {
                    Err(format!(
                        "status {status}, body {body:.300}, settings unchanged {}",
                        after == before
                    ))
                }
            }
            Outcome::Stored => {
                let stored: serde_json::Value = serde_json::from_str(&after).unwrap();
                let specs = stored["specifications"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default();
                // Bodies too deep for serde_json's own parser are checked by `expect` alone.
                let kept = match serde_json::from_slice::<serde_json::Value>(
                    &corpus.bytes(case).unwrap().unwrap(),
                ) {
                    Ok(sent) => specs.iter().any(|s| {
                        s["repository"] == sent["repository"]
                            && s["tag"].as_str() == Some(sent["tag"].as_str().unwrap_or(""))
                    }),
                    Err(_) => specs
                        .iter()
                        .any(|s| s["repository"].as_str().is_some_and(|r| case.matches(r))),
                };
                if Some(status) == case.status && kept && after.contains("apps/*") {
                    Ok(())
                } else {
                    Err(format!(
                        "status {status}, body {body:.300}, stored verbatim {kept}"
                    ))
                }
            }
            other => Err(format!("{other:?} is not an API outcome")),
        };
        if ping != 200 {
            problems.push(format!(
                "{}: the Console stopped answering ({ping})",
                case.id
            ));
        }
        if let Err(why) = verdict {
            problems.push(format!(
                "{} (expect {:?} {:?}): {why}",
                case.id, case.status, case.expect
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
