//! `/settings/registry`, replaying the seeds' own curl calls.

use super::harness::{TestConsole, console};
use reqwest::Method;
use serde_json::{Value, json};

/// Seed 000's PUT body (two specifications), with its credential placeholders filled in.
const SEED_000_PUT: &str = r#"{
"specifications": [
{
"version": "2",
"registry": "",
"repository": "library/ubuntu",
"tag": "18.04",
"os": "linux",
"cap": 5,
"credentialID": "CREDENTIAL_ID1",
"scanners": 2,
"collections": ["All"]
},
{
"version": "aws",
"registry": "123456789012.dkr.ecr.us-east-1.amazonaws.com",
"os": "linux",
"credentialID": "CREDENTIAL_ID2",
"scanners": 2,
"cap": 5,
"collections": ["All"]
}
]
}"#;

/// Seed 003's POST body (one bare specification, with the undocumented `hostname`).
const SEED_003_POST: &str = r#"
    {
      "version": "2",
      "registry": "",
      "repository": "library/ubuntu",
      "tag": "16.04",
      "os": "linux",
      "cap": 5,
      "hostname": "",
      "scanners": 2,
      "collections": ["All"]
    } "#;

async fn with_seed_credentials() -> TestConsole {
    let c = console().start().await;
    c.create_credential("CREDENTIAL_ID1", "pw1").await;
    c.create_credential("CREDENTIAL_ID2", "pw2").await;
    c
}

async fn specs(c: &TestConsole) -> Vec<Value> {
    let r = c.get("/api/v32.04/settings/registry").await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.json()["specifications"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

#[tokio::test]
async fn seed_000_put_then_get_shows_exactly_what_was_stored() {
    let c = with_seed_credentials().await;
    let r = c
        .admin(
            Method::PUT,
            "/api/v32.04/settings/registry?scanLater=true",
            Some(SEED_000_PUT),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.text, "", "Prisma answers an empty body");
    let body = c.get("/api/v32.04/settings/registry").await.json();
    insta::assert_json_snapshot!("seed_000_get", body, { ".specifications[].id" => "[id]" });
    let s = body["specifications"].as_array().unwrap();
    assert_eq!(s.len(), 2);
    assert_eq!(s[0]["repository"], "library/ubuntu");
    assert_eq!(s[0]["credentialID"], "CREDENTIAL_ID1");
    assert_eq!(s[1]["version"], "aws");
    assert_ne!(s[0]["id"], s[1]["id"]);
    assert!(s.iter().all(|x| !x["id"].as_str().unwrap().is_empty()));
}

#[tokio::test]
async fn ids_are_stable_across_get_edit_put() {
    let c = with_seed_credentials().await;
    c.admin(
        Method::PUT,
        "/api/v1/settings/registry?scanLater=true",
        Some(SEED_000_PUT),
    )
    .await;
    let mut body = c.get("/api/v1/settings/registry").await.json();
    let ids: Vec<Value> = body["specifications"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].clone())
        .collect();
    body["specifications"][1]["cap"] = json!(9);
    let r = c
        .admin(
            Method::PUT,
            "/api/v1/settings/registry?scanLater=true",
            Some(&body.to_string()),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let after = specs(&c).await;
    assert_eq!(
        after.iter().map(|s| s["id"].clone()).collect::<Vec<_>>(),
        ids
    );
    assert_eq!(after[1]["cap"], 9);
}

#[tokio::test]
async fn seed_000_empty_specifications_and_empty_body_erase_all() {
    let c = with_seed_credentials().await;
    c.admin(
        Method::PUT,
        "/api/v32.04/settings/registry?scanLater=true",
        Some(SEED_000_PUT),
    )
    .await;
    assert_eq!(specs(&c).await.len(), 2);
    let r = c
        .admin(
            Method::PUT,
            "/api/v32.04/settings/registry",
            Some(r#"{"specifications":[]}"#),
        )
        .await;
    assert_eq!(r.status, 200);
    assert!(specs(&c).await.is_empty());
    c.admin(
        Method::PUT,
        "/api/v32.04/settings/registry?scanLater=true",
        Some(SEED_000_PUT),
    )
    .await;
    let r = c
        .admin(
            Method::PUT,
            "/api/v32.04/settings/registry?scanLater=true",
            None,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(specs(&c).await.is_empty());
}

#[tokio::test]
async fn seed_003_post_appends_one_spec() {
    let c = with_seed_credentials().await;
    c.admin(
        Method::PUT,
        "/api/v32.04/settings/registry?scanLater=true",
        Some(SEED_000_PUT),
    )
    .await;
    let r = c
        .admin(
            Method::POST,
            "/api/v32.04/settings/registry?scanLater=true",
            Some(SEED_003_POST),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let s = specs(&c).await;
    assert_eq!(s.len(), 3);
    assert_eq!(s[2]["tag"], "16.04");
    assert_eq!(s[2]["credentialID"], "");
    assert!(
        s[2].get("hostname").is_none(),
        "unknown fields are tolerated, not stored"
    );
}

fn many(n: usize) -> String {
    let specs: Vec<Value> = (0..n)
        .map(|i| json!({"version":"2","registry":format!("r{i}.example"),"repository":"x","os":"linux","cap":5,"scanners":1,"collections":["All"]}))
        .collect();
    json!({ "specifications": specs }).to_string()
}

#[tokio::test]
async fn the_19999_limit() {
    let c = with_seed_credentials().await;
    c.admin(
        Method::PUT,
        "/api/v1/settings/registry?scanLater=true",
        Some(SEED_000_PUT),
    )
    .await;
    let r = c
        .admin(
            Method::PUT,
            "/api/v1/settings/registry?scanLater=true",
            Some(&many(20_000)),
        )
        .await;
    assert_eq!(r.status, 400);
    assert!(r.err().contains("19999"), "{}", r.err());
    assert_eq!(specs(&c).await.len(), 2, "nothing changed");
    let r = c
        .admin(
            Method::PUT,
            "/api/v1/settings/registry?scanLater=true",
            Some(&many(19_999)),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(specs(&c).await.len(), 19_999);
    // A POST may not push it past the limit either.
    let r = c
        .admin(
            Method::POST,
            "/api/v1/settings/registry?scanLater=true",
            Some(SEED_003_POST),
        )
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(specs(&c).await.len(), 19_999);
}

#[tokio::test]
async fn validation_errors_change_nothing() {
    let c = with_seed_credentials().await;
    c.admin(
        Method::PUT,
        "/api/v1/settings/registry?scanLater=true",
        Some(SEED_000_PUT),
    )
    .await;
    for (method, body, needle) in [
        (
            Method::POST,
            r#"{"version":"nonsense","registry":"x"}"#,
            "unknown registry version",
        ),
        (
            Method::POST,
            r#"{"version":"2","os":"solaris"}"#,
            "unknown os",
        ),
        (
            Method::POST,
            r#"{"version":"2","cap":-1}"#,
            "cap must not be negative",
        ),
        (
            Method::POST,
            r#"{"version":"2","credentialID":"missing"}"#,
            "does not exist",
        ),
        (
            Method::POST,
            r#"{"version":"2","cap":"five"}"#,
            "invalid JSON body",
        ),
        (Method::POST, "", "expected one registry specification"),
        (
            Method::PUT,
            r#"{"specifications":[{"version":"2"},{"version":"v9"}]}"#,
            "specifications[1]",
        ),
        (
            Method::PUT,
            r#"{"specifications":[{"version":"2","credentialId":"missing"}]}"#,
            "does not exist",
        ),
        (
            Method::PUT,
            r#"{"specifications":{"version":"2"}}"#,
            "invalid JSON body",
        ),
    ] {
        let r = c
            .admin(
                method.clone(),
                "/api/v1/settings/registry?scanLater=true",
                Some(body),
            )
            .await;
        assert_eq!(r.status, 400, "{method} {body}: {}", r.text);
        assert!(r.err().contains(needle), "{method} {body}: {}", r.err());
        assert_eq!(
            specs(&c).await.len(),
            2,
            "{method} {body} changed the settings"
        );
    }
}

#[tokio::test]
async fn credential_id_spelling_and_duplicate_ids() {
    let c = with_seed_credentials().await;
    let body = r#"{"specifications":[
        {"id":"same","version":"2","registry":"a","credentialId":"CREDENTIAL_ID1"},
        {"id":"same","version":"2","registry":"b"}]}"#;
    let r = c
        .admin(
            Method::PUT,
            "/api/v1/settings/registry?scanLater=true",
            Some(body),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let s = specs(&c).await;
    assert_eq!(s[0]["credentialID"], "CREDENTIAL_ID1");
    assert_eq!(s[0]["id"], "same");
    assert_ne!(s[1]["id"], "same", "a copied entry gets its own id");
}

#[tokio::test]
async fn saving_without_scan_later_starts_a_scan() {
    let c = with_seed_credentials().await;
    assert_eq!(
        c.admin(
            Method::POST,
            "/api/v1/settings/registry",
            Some(SEED_003_POST)
        )
        .await
        .status,
        200
    );
    assert_eq!(
        c.admin(
            Method::POST,
            "/api/v1/settings/registry?scanLater=true",
            Some(SEED_003_POST)
        )
        .await
        .status,
        200
    );
    let r = c
        .admin(
            Method::POST,
            "/api/v1/settings/registry?scanLater=maybe",
            Some(SEED_003_POST),
        )
        .await;
    assert_eq!(r.status, 400);
    // Only the save without scanLater started a scan: the store holds exactly one.
    let store = crowsnest_store::SqliteStore::open(
        &format!("sqlite://{}", c.data_dir.join("crowsnest.sqlite").display()),
        crowsnest_store::SecretBox::new(&crowsnest_store::MasterKey::generate()),
    )
    .await
    .unwrap();
    use crowsnest_store::ScanQueue;
    let scan = store
        .latest_scan(crowsnest_store::ScanKind::Regular)
        .await
        .unwrap()
        .expect("a regular scan was started");
    assert_eq!(scan.id, 1, "one scan, not one per save");
}
