//! Fifty clients write at once (credentials, registry specifications, scan requests) while the
//! engine scans: no answer is a 5xx, and every write that was accepted is there afterwards.

use super::super::harness::{Auth, console};
use reqwest::Method;
use std::collections::BTreeSet;
use std::time::{Duration, Instant};

#[derive(Default)]
struct Accepted {
    credentials: BTreeSet<String>,
    specs: BTreeSet<String>,
    statuses: Vec<(String, u16, String)>,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_writers_and_the_engine_get_no_5xx_and_lose_nothing() {
    let c = std::sync::Arc::new(console().start().await);
    let token = c.token().await;
    let until = Instant::now() + Duration::from_secs(10);
    let writers: Vec<_> = (0..50)
        .map(|w| {
            let c = c.clone();
            let token = token.clone();
            tokio::spawn(async move {
                let mut got = Accepted::default();
                let mut n = 0;
                while Instant::now() < until {
                    n += 1;
                    let (method, path, body, id) = match (w + n) % 4 {
                        0 | 1 => {
                            let id = format!("cred-{w}-{n}");
                            let body = format!(
                                r#"{{"_id":"{id}","type":"basic","accountID":"bob","secret":{{"plain":"pw-{w}-{n}"}}}}"#
                            );
                            (Method::POST, "/api/v1/credentials".to_string(), body, id)
                        }
                        // Half the specification saves ask for a scan, so the engine runs
                        // (and writes) beside the API throughout.
                        k => {
                            let id = format!("spec-{w}-{n}");
                            let body = format!(
                                r#"{{"_id":"{id}","id":"{id}","version":"2","registry":"http://127.0.0.1:9","repository":"r{w}/{n}","os":"linux","cap":1}}"#
                            );
                            let later = if k == 2 { "true" } else { "false" };
                            (
                                Method::POST,
                                format!("/api/v1/settings/registry?scanLater={later}"),
                                body,
                                id,
                            )
                        }
                    };
                    let r = c.call(method, &path, Auth::Bearer(&token), Some(body)).await;
                    let status = r.status.as_u16();
                    if status == 200 {
                        if path.contains("credentials") {
                            got.credentials.insert(id);
                        } else {
                            got.specs.insert(id);
                        }
                    }
                    got.statuses.push((path, status, r.text));
                }
                got
            })
        })
        .collect();
    let mut all = Accepted::default();
    for w in writers {
        let got = w.await.unwrap();
        all.credentials.extend(got.credentials);
        all.specs.extend(got.specs);
        all.statuses.extend(got.statuses);
    }
    let server_errors: Vec<_> = all.statuses.iter().filter(|(_, s, _)| *s >= 500).collect();
    assert!(
        server_errors.is_empty(),
        "{} of {} writes answered 5xx, e.g. {:?}",
        server_errors.len(),
        all.statuses.len(),
        server_errors.first()
    );
    assert!(
        all.credentials.len() > 50 && all.specs.len() > 50,
        "too few writes accepted"
    );
    let credentials = c.get("/api/v1/credentials").await.json();
    let stored: BTreeSet<String> = credentials
        .as_array()
        .unwrap()
        .iter()
        .map(|cred| cred["_id"].as_str().unwrap().to_string())
        .collect();
    assert!(
        all.credentials.is_subset(&stored),
        "accepted credentials missing"
    );
    let settings = c.get("/api/v1/settings/registry").await.json();
    let stored: BTreeSet<String> = settings["specifications"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap().to_string())
        .collect();
    assert!(
        all.specs.is_subset(&stored),
        "accepted specifications missing"
    );
    let status = c.get("/api/v1/statuses/registry").await;
    assert_eq!(status.status, 200, "{}", status.text);
}
