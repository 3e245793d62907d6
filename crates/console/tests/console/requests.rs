//! Malformed requests get a 400 with `{"err"}` and the server keeps serving; response bodies are
//! snapshot-tested so the wire shape cannot drift silently.

use super::harness::{Auth, console};
use reqwest::Method;

#[tokio::test]
async fn malformed_bodies_are_400_and_the_server_goes_on() {
    let c = console().max_body_bytes(64 * 1024).start().await;
    let huge = format!(
        r#"{{"specifications":[{}]}}"#,
        vec![r#"{"version":"2"}"#; 10_000].join(",")
    );
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    for (method, path, body, needle) in [
        (
            Method::PUT,
            "/api/v1/settings/registry",
            "{not json".to_string(),
            "invalid JSON body",
        ),
        (Method::PUT, "/api/v1/settings/registry", huge, "too large"),
        (
            Method::PUT,
            "/api/v1/settings/registry",
            deep,
            "invalid JSON body",
        ),
        (
            Method::POST,
            "/api/v1/credentials",
            "[1,2,3]".to_string(),
            "invalid JSON body",
        ),
        (
            Method::POST,
            "/api/v1/authenticate",
            "{\"username\":7}".to_string(),
            "invalid JSON body",
        ),
        (
            Method::GET,
            "/api/v1/credentials?limit=-4",
            String::new(),
            "limit",
        ),
        (
            Method::GET,
            "/api/v1/credentials?reverse=perhaps",
            String::new(),
            "reverse",
        ),
    ] {
        let auth = if path.ends_with("authenticate") {
            Auth::None
        } else {
            Auth::Basic(super::harness::ADMIN, super::harness::ADMIN_PASSWORD)
        };
        let r = c
            .call(
                method.clone(),
                path,
                auth,
                (!body.is_empty()).then_some(body),
            )
            .await;
        assert_eq!(r.status, 400, "{method} {path}: {}", r.text);
        assert!(r.err().contains(needle), "{method} {path}: {}", r.err());
        assert_eq!(
            c.call(Method::GET, "/api/v1/_ping", Auth::None, None)
                .await
                .status,
            200
        );
    }
}

#[tokio::test]
async fn error_and_list_bodies_keep_their_shape() {
    let c = console().start().await;
    c.create_credential("snap", "pw").await;
    let creds = c.get("/api/v1/credentials").await.json();
    insta::assert_json_snapshot!("credentials_list", creds, {
        "[].secret.encrypted" => "[sealed]",
        "[].created" => "[time]",
        "[].lastModified" => "[time]",
    });
    let r = c
        .call(Method::GET, "/api/v1/credentials", Auth::None, None)
        .await;
    insta::assert_json_snapshot!("unauthorized", r.json());
    let r = c
        .admin(
            Method::POST,
            "/api/v1/settings/registry",
            Some(r#"{"version":"nonsense"}"#),
        )
        .await;
    insta::assert_json_snapshot!("unknown_version", r.json());
    let empty = c.get("/api/v1/settings/registry").await.json();
    insta::assert_json_snapshot!("empty_settings", empty);
}
