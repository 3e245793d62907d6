//! Values that must be refused (or clamped) where they enter, without being quoted back.

use super::super::harness::{Auth, console, declared_routes};
use reqwest::Method;

fn spec(extra: &str) -> String {
    format!(
        r#"{{"version":"2","registry":"http://127.0.0.1:9","repository":"apps/*","os":"linux","cap":5{extra}}}"#
    )
}

#[tokio::test]
async fn absurd_scanners_are_refused_and_large_ones_run_clamped() {
    let c = console().start().await;
    let path = "/api/v1/settings/registry?scanLater=true";
    let r = c
        .admin(Method::POST, path, Some(&spec(r#","scanners":1000000000"#)))
        .await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert!(
        r.err().starts_with("scanners must be at most 1000"),
        "{}",
        r.text
    );
    let r = c
        .admin(
            Method::PUT,
            path,
            Some(&format!(
                r#"{{"specifications":[{}]}}"#,
                spec(r#","scanners":100000"#)
            )),
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert!(
        r.err().starts_with("specifications[0]: scanners"),
        "{}",
        r.text
    );
    // Accepted as written (Prisma's clients GET, edit and PUT back); the engine runs 64.
    let r = c
        .admin(Method::POST, path, Some(&spec(r#","scanners":200"#)))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let settings = c.get("/api/v1/settings/registry").await.json();
    assert_eq!(settings["specifications"][0]["scanners"], 200);
    assert_eq!(crowsnest_model::target::worker_count(200, 2), 64);
    assert_eq!(
        crowsnest_model::target::worker_count(1_000_000_000, 2),
        crowsnest_model::spec::MAX_SCANNERS
    );
}

#[tokio::test]
async fn no_error_quotes_a_clients_value() {
    let c = console().start().await;
    let number = "918273645546372819";
    let cases = [
        (
            "/api/v1/credentials",
            format!(r#"{{"_id":{number},"type":"basic"}}"#),
        ),
        (
            "/api/v1/credentials",
            format!(r#"{{"_id":"c","type":"basic","secret":{{"plain":{number}}}}}"#),
        ),
        (
            "/api/v1/settings/registry",
            r#"{"version":"2","cap":"Secret-Cap-77"}"#.to_string(),
        ),
        (
            "/api/v1/settings/registry",
            format!(r#"{{"version":"2","scanners":{number}0}}"#),
        ),
        (
            "/api/v1/collections",
            r#"{"name":"x","Secret-Key-88":1,"images":7.25}"#.to_string(),
        ),
    ];
    for (path, body) in &cases {
        let r = c.admin(Method::POST, path, Some(body)).await;
        assert_eq!(r.status, 400, "{path} {body}: {}", r.text);
        for secret in [number, "Secret-Cap-77", "7.25"] {
            assert!(!r.text.contains(secret), "{path} {body} echoed: {}", r.text);
        }
    }
    let r = c
        .call(
            Method::POST,
            "/api/v1/authenticate",
            Auth::None,
            Some(format!(r#"{{"username":{number},"password":"x"}}"#)),
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert!(!r.text.contains(number), "{}", r.text);
    assert!(r.err().contains("expected a string"), "{}", r.text);
    let r = c.get("/api/v1/credentials?limit=Secret-Limit-99").await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert!(!r.text.contains("Secret-Limit-99"), "{}", r.text);
}

#[tokio::test]
async fn a_registry_address_with_a_password_is_refused_at_save_time() {
    let c = console().start().await;
    for registry in [
        "https://bob:Hunter-Pw-42@reg.example",
        "bob:Hunter-Pw-42@127.0.0.1:5000",
    ] {
        let body = format!(r#"{{"version":"2","registry":"{registry}","repository":"a"}}"#);
        let r = c
            .admin(
                Method::POST,
                "/api/v1/settings/registry?scanLater=true",
                Some(&body),
            )
            .await;
        assert_eq!(r.status, 400, "{}", r.text);
        assert!(r.err().contains("credential"), "{}", r.text);
        assert!(!r.text.contains("Hunter-Pw-42"), "{}", r.text);
        let put = format!(r#"{{"specifications":[{body}]}}"#);
        let r = c
            .admin(
                Method::PUT,
                "/api/v1/settings/registry?scanLater=true",
                Some(&put),
            )
            .await;
        assert_eq!(r.status, 400, "{}", r.text);
    }
    let settings = c.get("/api/v1/settings/registry").await;
    assert!(!settings.text.contains("Hunter-Pw-42"), "{}", settings.text);
}

/// An anonymous caller learns nothing about which methods a protected path has: every wrong
/// method gets the same 401 as the right ones. An authenticated caller gets the 405.
#[tokio::test]
async fn anonymous_wrong_methods_get_401_before_405() {
    let c = console().start().await;
    let routes = declared_routes();
    let mut checked = 0;
    for route in routes.iter().filter(|r| r.protected) {
        let path = format!("/api/v32.04{}", route.path.replace("{id}", "x"));
        for method in ["GET", "POST", "PUT", "DELETE", "PATCH"] {
            if routes
                .iter()
                .any(|r| r.path == route.path && r.method == method)
            {
                continue;
            }
            let m = Method::from_bytes(method.as_bytes()).unwrap();
            let anonymous = c.call(m.clone(), &path, Auth::None, None).await;
            assert_eq!(anonymous.status, 401, "{method} {path}: {}", anonymous.text);
            let wrong = c.call(m.clone(), &path, Auth::Bearer("forged"), None).await;
            assert_eq!(wrong.status, 401, "{method} {path}: {}", wrong.text);
            let admin = c.admin(m, &path, None).await;
            assert_eq!(admin.status, 405, "{method} {path}: {}", admin.text);
            checked += 1;
        }
    }
    assert!(checked > 40, "only {checked} wrong methods tried");
    // Public paths keep their plain 405.
    let r = c
        .call(Method::DELETE, "/api/v1/_ping", Auth::None, None)
        .await;
    assert_eq!(r.status, 405, "{}", r.text);
}
