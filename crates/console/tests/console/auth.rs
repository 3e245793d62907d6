//! Authentication: every route that `src/routes.rs` declares refuses missing, wrong, forged and
//! expired credentials, refuses without acting, and throttles guessing.

use super::harness::{ADMIN, ADMIN_PASSWORD, Auth, DeclaredRoute, console, declared_routes};
use jiff::SignedDuration;
use reqwest::Method;

/// The API versions the matrix runs under: the unversioned alias and two release numbers.
const VERSIONS: &[&str] = &["v1", "v32.04", "v34.04"];

/// A concrete request for a declared route: ids filled with the seeded objects, and a body that
/// would change stored state if the route ever acted on it (so "refused" also means "did nothing").
fn request_for(route: &DeclaredRoute, version: &str) -> (Method, String, Option<String>) {
    let path = route
        .path
        .replace("/credentials/{id}", "/credentials/seed-cred")
        .replace("/collections/{id}", "/collections/seed-coll")
        .replace("{id}", "seed");
    let body = match (route.method, route.path.as_str()) {
        ("PUT", "/settings/registry") => r#"{"specifications":[]}"#,
        ("POST", "/settings/registry") => {
            r#"{"version":"2","registry":"http://127.0.0.1:9","repository":"evil","os":"linux","cap":5}"#
        }
        ("POST", "/credentials") => {
            r#"{"_id":"seed-cred","type":"basic","accountID":"evil","secret":{"plain":"evil"}}"#
        }
        ("PUT", p) if p.starts_with("/policies/") => r#"{"rules":[]}"#,
        ("POST", "/collections") | ("PUT", "/collections/{id}") => r#"{"name":"evil"}"#,
        ("POST", "/authenticate") => "{}",
        _ => "{}",
    };
    let method = Method::from_bytes(route.method.as_bytes()).unwrap();
    (
        method,
        format!("/api/{version}{path}"),
        Some(body.to_string()),
    )
}

/// What an admin sees of everything the refused requests tried to change.
async fn stored_state(c: &super::harness::TestConsole) -> Vec<String> {
    let mut state = vec![];
    for path in [
        "/api/v1/settings/registry",
        "/api/v1/credentials",
        "/api/v1/policies/vulnerability/images",
        "/api/v1/policies/compliance/container",
        "/api/v1/collections",
        "/api/v1/statuses/registry",
        "/api/v1/registry/progress",
    ] {
        let r = c.get(path).await;
        assert_eq!(r.status, 200, "{path}: {}", r.text);
        state.push(format!("{path} {}", r.text));
    }
    state
}

async fn assert_all_refused(
    c: &super::harness::TestConsole,
    auth: impl Fn(usize) -> Auth<'static>,
    what: &str,
) -> usize {
    let mut count = 0;
    for version in VERSIONS {
        for (i, route) in declared_routes().iter().filter(|r| r.protected).enumerate() {
            let (method, path, body) = request_for(route, version);
            let r = c.call(method, &path, auth(i), body).await;
            assert_eq!(
                r.status, 401,
                "{what}: {} {path} -> {} {}",
                route.method, r.status, r.text
            );
            assert!(
                !r.err().is_empty(),
                "{what}: {} {path} has an err message",
                route.method
            );
            count += 1;
        }
    }
    count
}

#[test]
fn the_route_table_is_read_whole() {
    let routes = declared_routes();
    let public: Vec<_> = routes
        .iter()
        .filter(|r| !r.protected)
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert_eq!(
        public,
        [
            "GET /_ping",
            "POST /authenticate",
            "GET /authenticate/renew"
        ],
        "only these routes may answer without credentials"
    );
    let protected = routes.iter().filter(|r| r.protected).count();
    // Credentials 4, settings 3, policies 4, collections 5, registry results/scans 9,
    // statuses/intelligence 1.
    assert_eq!(protected, 26, "{routes:#?}");
}

#[tokio::test]
async fn every_route_refuses_without_valid_credentials_and_changes_nothing() {
    let c = console().start().await;
    c.create_credential("seed-cred", "Seed-Secret-1").await;
    let r = c
        .admin(
            Method::POST,
            "/api/v1/collections",
            Some(r#"{"name":"seed-coll","images":["*"]}"#),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let before = stored_state(&c).await;
    let token = c.token().await;

    let mut refused = 0;
    refused += assert_all_refused(&c, |_| Auth::None, "no credentials").await;
    refused += assert_all_refused(&c, |_| Auth::Raw("Digest abc"), "unknown scheme").await;
    refused += assert_all_refused(&c, |_| Auth::Raw("Basic !!!not-base64"), "bad basic").await;
    refused += assert_all_refused(&c, |_| Auth::Bearer("not.a.token"), "garbage token").await;
    let tampered: &'static str = Box::leak(format!("{token}x").into_boxed_str());
    refused += assert_all_refused(&c, |_| Auth::Bearer(tampered), "tampered token").await;
    // alg=none carrying the real claims.
    let claims = token.split('.').nth(1).unwrap();
    let none: &'static str = Box::leak(format!("eyJhbGciOiJub25lIn0.{claims}.").into_boxed_str());
    refused += assert_all_refused(&c, |_| Auth::Bearer(none), "alg=none token").await;
    // A real token, signed by another Console's key.
    let other = console().start().await;
    let foreign: &'static str = Box::leak(other.token().await.into_boxed_str());
    refused += assert_all_refused(&c, |_| Auth::Bearer(foreign), "foreign token").await;
    // Failures count towards throttling per user, so each route gets its own unknown user.
    refused += assert_all_refused(
        &c,
        |i| Auth::Basic(Box::leak(format!("nobody{i}").into_boxed_str()), "nope"),
        "unknown user",
    )
    .await;
    // Last, once the token has expired (the clock moves for the whole console).
    let expiring: &'static str = Box::leak(token.into_boxed_str());
    c.clock.advance(SignedDuration::from_mins(31));
    refused += assert_all_refused(&c, |_| Auth::Bearer(expiring), "expired token").await;
    assert_eq!(refused, 9 * 3 * 26);

    // Renewal is public in the table but needs a valid token of its own.
    for auth in [
        Auth::None,
        Auth::Bearer(expiring),
        Auth::Bearer(foreign),
        Auth::Basic(ADMIN, ADMIN_PASSWORD),
    ] {
        let r = c
            .call(Method::GET, "/api/v1/authenticate/renew", auth, None)
            .await;
        assert_eq!(r.status, 401, "renew: {}", r.text);
    }
    assert_eq!(
        stored_state(&c).await,
        before,
        "a refused request changed state"
    );
}

#[tokio::test]
async fn guessing_the_admin_password_on_any_route_is_throttled() {
    let c = console().start().await;
    let routes: Vec<_> = declared_routes()
        .into_iter()
        .filter(|r| r.protected)
        .collect();
    for (i, route) in routes.iter().enumerate() {
        let (method, path, body) = request_for(route, "v1");
        let r = c
            .call(method, &path, Auth::Basic(ADMIN, "wrong"), body)
            .await;
        // Five failures for one user from one address, then every route answers 429.
        let expected = if i < 5 { 401 } else { 429 };
        assert_eq!(
            r.status, expected,
            "attempt {i}: {} {path}: {}",
            route.method, r.text
        );
        if expected == 429 {
            assert!(r.headers.get("retry-after").is_some(), "{path}");
        }
    }
    // The login route counts towards the same budget.
    let r = c.login(ADMIN_PASSWORD).await;
    assert_eq!(r.status, 429, "{}", r.text);
}

#[tokio::test]
async fn wrong_password_is_401_with_err() {
    let c = console().start().await;
    let r = c
        .call(
            Method::GET,
            "/api/v1/settings/registry",
            Auth::Basic(ADMIN, "wrong"),
            None,
        )
        .await;
    assert_eq!(r.status, 401);
    assert_eq!(r.err(), "invalid credentials");
    let r = c
        .call(
            Method::POST,
            "/api/v1/authenticate",
            Auth::None,
            Some(r#"{"username":"admin","password":"wrong"}"#.into()),
        )
        .await;
    assert_eq!(r.status, 401);
    assert_eq!(r.err(), "invalid credentials");
}

#[tokio::test]
async fn token_works_on_every_version_and_expires_after_30_minutes() {
    let c = console().start().await;
    let token = c.token().await;
    for path in [
        "/api/v1/settings/registry",
        "/api/v32.04/settings/registry",
        "/api/v34.04/credentials",
    ] {
        let r = c.call(Method::GET, path, Auth::Bearer(&token), None).await;
        assert_eq!(r.status, 200, "{path}: {}", r.text);
    }
    c.clock.advance(SignedDuration::from_mins(29));
    assert_eq!(
        c.call(
            Method::GET,
            "/api/v1/credentials",
            Auth::Bearer(&token),
            None
        )
        .await
        .status,
        200
    );
    c.clock.advance(SignedDuration::from_mins(1));
    let r = c
        .call(
            Method::GET,
            "/api/v1/credentials",
            Auth::Bearer(&token),
            None,
        )
        .await;
    assert_eq!(r.status, 401);
    assert_eq!(r.err(), "invalid or expired token");
}

#[tokio::test]
async fn forged_and_tampered_tokens_are_refused() {
    let c = console().start().await;
    let token = c.token().await;
    let forged = format!("{token}x");
    assert_eq!(
        c.call(
            Method::GET,
            "/api/v1/credentials",
            Auth::Bearer(&forged),
            None
        )
        .await
        .status,
        401
    );
    // Same claims, signature of another console.
    let other = console().start().await;
    let foreign = other.token().await;
    assert_eq!(
        c.call(
            Method::GET,
            "/api/v1/credentials",
            Auth::Bearer(&foreign),
            None
        )
        .await
        .status,
        401
    );
    // alg=none with the original claims.
    let mut parts = token.split('.');
    let (_h, p) = (parts.next().unwrap(), parts.next().unwrap());
    let none = format!("eyJhbGciOiJub25lIn0.{p}.");
    assert_eq!(
        c.call(
            Method::GET,
            "/api/v1/credentials",
            Auth::Bearer(&none),
            None
        )
        .await
        .status,
        401
    );
}

#[tokio::test]
async fn renew_replaces_the_token() {
    let c = console().start().await;
    let old = c.token().await;
    let r = c
        .call(
            Method::GET,
            "/api/v1/authenticate/renew",
            Auth::Bearer(&old),
            None,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let new = r.json()["token"].as_str().unwrap().to_string();
    assert_ne!(new, old);
    assert_eq!(
        c.call(Method::GET, "/api/v1/credentials", Auth::Bearer(&new), None)
            .await
            .status,
        200
    );
    assert_eq!(
        c.call(Method::GET, "/api/v1/credentials", Auth::Bearer(&old), None)
            .await
            .status,
        401
    );
    // Renewing needs a valid bearer token.
    let r = c
        .call(
            Method::GET,
            "/api/v1/authenticate/renew",
            Auth::Basic(ADMIN, ADMIN_PASSWORD),
            None,
        )
        .await;
    assert_eq!(r.status, 401);
}

#[tokio::test]
async fn repeated_failures_are_throttled_then_released() {
    let c = console().start().await;
    for _ in 0..5 {
        let r = c
            .call(
                Method::GET,
                "/api/v1/credentials",
                Auth::Basic(ADMIN, "guess"),
                None,
            )
            .await;
        assert_eq!(r.status, 401);
    }
    // Even the right password is refused while throttled.
    let r = c
        .call(
            Method::GET,
            "/api/v1/credentials",
            Auth::Basic(ADMIN, ADMIN_PASSWORD),
            None,
        )
        .await;
    assert_eq!(r.status, 429, "{}", r.text);
    assert!(
        r.err().contains("too many failed login attempts"),
        "{}",
        r.text
    );
    assert!(r.headers.get("retry-after").is_some());
    c.clock.advance(SignedDuration::from_mins(5));
    let r = c
        .call(
            Method::GET,
            "/api/v1/credentials",
            Auth::Basic(ADMIN, ADMIN_PASSWORD),
            None,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
}

#[tokio::test]
async fn ping_needs_no_auth_and_unknown_versions_are_404() {
    let c = console().start().await;
    assert_eq!(
        c.call(Method::GET, "/api/v1/_ping", Auth::None, None)
            .await
            .status,
        200
    );
    assert_eq!(
        c.call(Method::GET, "/api/v32.04/_ping", Auth::None, None)
            .await
            .status,
        200
    );
    let r = c.call(Method::GET, "/api/v2/_ping", Auth::None, None).await;
    assert_eq!(r.status, 404);
    assert!(r.err().contains("unknown API version"));
    let r = c.get("/api/v1/no/such/thing").await;
    assert_eq!(r.status, 404);
    assert!(!r.err().is_empty());
}

#[tokio::test]
async fn refuses_to_start_without_any_user() {
    let err = console()
        .without_admin()
        .open()
        .await
        .err()
        .expect("must refuse to start");
    let msg = err.to_string();
    assert!(
        msg.contains("CROWSNEST_ADMIN_USER") && msg.contains("CROWSNEST_ADMIN_PASSWORD"),
        "{msg}"
    );
}
