//! Credentials: upsert by `_id`, secrets sealed at rest, never returned plain, in-use protection.

use super::harness::console;
use reqwest::Method;

const PLAIN: &str = "Plain-Secret-Qx93-unique";

#[tokio::test]
async fn plain_secret_never_reaches_disk_or_responses() {
    let mut c = console().start().await;
    c.create_credential("cred-1", PLAIN).await;
    // An API token and AWS temporary tokens are secrets too.
    let body = format!(
        r#"{{"_id":"cred-2","type":"gitlabToken","apiToken":{{"plain":"{PLAIN}-api"}},"tokens":{{"awsAccessKeyId":"AKIA","awsSecretAccessKey":{{"plain":"{PLAIN}-aws"}},"token":{{"plain":"{PLAIN}-tok"}}}}}}"#
    );
    assert_eq!(
        c.admin(Method::POST, "/api/v1/credentials", Some(&body))
            .await
            .status,
        200
    );
    let r = c.get("/api/v1/credentials").await;
    assert_eq!(r.status, 200);
    assert!(
        !r.text.contains(PLAIN),
        "GET /credentials leaked a plain value: {}",
        r.text
    );
    assert!(!r.text.contains("\"plain\""), "{}", r.text);
    let creds = r.json();
    assert_eq!(creds.as_array().unwrap().len(), 2);
    let enc = creds[0]["secret"]["encrypted"].as_str().unwrap();
    assert!(enc.starts_with("cn1:"), "{enc}");
    c.stop().await;
    // Byte by byte, every file the console wrote (database, WAL, key file).
    let files = super::harness::files_under(&c.data_dir);
    assert!(
        files
            .iter()
            .any(|f| f.to_string_lossy().ends_with(".sqlite")),
        "{files:?}"
    );
    for f in files {
        let bytes = std::fs::read(&f).unwrap();
        assert!(
            !bytes.windows(PLAIN.len()).any(|w| w == PLAIN.as_bytes()),
            "plain secret found in {}",
            f.display()
        );
    }
}

#[tokio::test]
async fn upsert_keeps_secret_when_not_resent_and_keeps_created() {
    let c = console().start().await;
    c.create_credential("c", PLAIN).await;
    let first = c.get("/api/v1/credentials").await.json();
    let enc = first[0]["secret"]["encrypted"]
        .as_str()
        .unwrap()
        .to_string();
    let created = first[0]["created"].as_str().unwrap().to_string();
    c.clock.advance(jiff::SignedDuration::from_mins(3));
    let r = c
        .admin(
            Method::POST,
            "/api/v1/credentials",
            Some(r#"{"_id":"c","type":"basic","accountID":"bob","description":"edited"}"#),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let after = c.get("/api/v1/credentials").await.json();
    assert_eq!(
        after.as_array().unwrap().len(),
        1,
        "upsert by _id, not a second entry"
    );
    assert_eq!(after[0]["description"], "edited");
    assert_eq!(after[0]["secret"]["encrypted"], enc.as_str());
    assert_eq!(after[0]["created"], created.as_str());
    assert_ne!(after[0]["lastModified"], first[0]["lastModified"]);
    assert_eq!(after[0]["owner"], "admin");
}

#[tokio::test]
async fn in_use_credential_cannot_be_deleted_and_usages_name_it() {
    let c = console().start().await;
    c.create_credential("used", PLAIN).await;
    c.create_credential("free", PLAIN).await;
    let spec = r#"{"version":"2","registry":"reg.example:5000","repository":"team/app","credentialID":"used"}"#;
    assert_eq!(
        c.admin(
            Method::POST,
            "/api/v1/settings/registry?scanLater=true",
            Some(spec)
        )
        .await
        .status,
        200
    );
    let r = c
        .admin(Method::DELETE, "/api/v1/credentials/used", None)
        .await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert!(
        r.err().contains("in use") && r.err().contains("team/app"),
        "{}",
        r.err()
    );
    let usages = c.get("/api/v1/credentials/used/usages").await.json();
    assert_eq!(
        usages,
        serde_json::json!([{"type":"Registry Scan","description":"team/app"}])
    );
    assert_eq!(
        c.get("/api/v1/credentials/free/usages").await.json(),
        serde_json::json!([])
    );
    assert_eq!(
        c.admin(Method::DELETE, "/api/v1/credentials/free", None)
            .await
            .status,
        200
    );
    assert_eq!(
        c.admin(Method::DELETE, "/api/v1/credentials/free", None)
            .await
            .status,
        404
    );
    // Once no spec uses it, it can go.
    assert_eq!(
        c.admin(
            Method::PUT,
            "/api/v1/settings/registry?scanLater=true",
            Some(r#"{"specifications":[]}"#)
        )
        .await
        .status,
        200
    );
    assert_eq!(
        c.admin(Method::DELETE, "/api/v1/credentials/used", None)
            .await
            .status,
        200
    );
    assert_eq!(
        c.get("/api/v1/credentials").await.json(),
        serde_json::json!([])
    );
}

#[tokio::test]
async fn list_filters_and_pages() {
    let c = console().start().await;
    for id in ["b", "a", "c"] {
        c.create_credential(id, PLAIN).await;
    }
    let aws = r#"{"_id":"z-aws","type":"aws","accountID":"AKIA","secret":{"plain":"x"}}"#;
    assert_eq!(
        c.admin(Method::POST, "/api/v1/credentials", Some(aws))
            .await
            .status,
        200
    );
    let ids = |v: serde_json::Value| {
        v.as_array()
            .unwrap()
            .iter()
            .map(|c| c["_id"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        ids(c.get("/api/v1/credentials").await.json()),
        ["a", "b", "c", "z-aws"]
    );
    let r = c.get("/api/v1/credentials?offset=1&limit=2").await;
    assert_eq!(r.headers["total-count"], "4");
    assert_eq!(ids(r.json()), ["b", "c"]);
    assert_eq!(
        ids(c.get("/api/v1/credentials?cloud=true").await.json()),
        ["z-aws"]
    );
    assert_eq!(
        ids(c.get("/api/v1/credentials?ids=a&ids=c").await.json()),
        ["a", "c"]
    );
    assert_eq!(
        ids(c.get("/api/v1/credentials?reverse=true").await.json()),
        ["z-aws", "c", "b", "a"]
    );
}

#[tokio::test]
async fn invalid_credentials_are_400() {
    let c = console().start().await;
    for (body, needle) in [
        (
            r#"{"_id":"x","type":"nonsense"}"#,
            "unknown credential type",
        ),
        (r#"{"type":"basic"}"#, "_id is required"),
        (
            r#"{"_id":"x","type":"basic","secret":"not-an-object"}"#,
            "invalid JSON body",
        ),
    ] {
        let r = c
            .admin(Method::POST, "/api/v1/credentials", Some(body))
            .await;
        assert_eq!(r.status, 400, "{body}");
        assert!(r.err().contains(needle), "{body}: {}", r.err());
    }
}
