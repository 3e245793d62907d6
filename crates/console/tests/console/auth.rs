//! Authentication: every protected route refuses missing, wrong, forged and expired credentials.

use super::harness::{ADMIN, ADMIN_PASSWORD, Auth, console};
use jiff::SignedDuration;
use reqwest::Method;

/// Every protected route, with a body where the route takes one.
const PROTECTED: &[(&str, &str)] = &[
    ("GET", "/api/v1/settings/registry"),
    ("POST", "/api/v1/settings/registry"),
    ("PUT", "/api/v1/settings/registry"),
    ("GET", "/api/v32.04/credentials"),
    ("POST", "/api/v32.04/credentials"),
    ("DELETE", "/api/v32.04/credentials/some-id"),
    ("GET", "/api/v32.04/credentials/some-id/usages"),
];

async fn assert_all_refused(
    c: &super::harness::TestConsole,
    auth: impl Fn(usize) -> Auth<'static>,
    what: &str,
) {
    for (i, (method, path)) in PROTECTED.iter().enumerate() {
        let m = Method::from_bytes(method.as_bytes()).unwrap();
        let r = c.call(m, path, auth(i), Some("{}".into())).await;
        assert_eq!(
            r.status, 401,
            "{what}: {method} {path} -> {} {}",
            r.status, r.text
        );
        assert!(
            !r.err().is_empty(),
            "{what}: {method} {path} has an err message"
        );
    }
}

#[tokio::test]
async fn every_route_refuses_without_valid_credentials() {
    let c = console().start().await;
    assert_all_refused(&c, |_| Auth::None, "no credentials").await;
    assert_all_refused(&c, |_| Auth::Raw("Digest abc"), "unknown scheme").await;
    assert_all_refused(&c, |_| Auth::Bearer("not.a.token"), "garbage token").await;
    // Failures count towards throttling per user, so each route gets its own unknown user.
    assert_all_refused(
        &c,
        |i| Auth::Basic(Box::leak(format!("nobody{i}").into_boxed_str()), "nope"),
        "unknown user",
    )
    .await;
    let c2 = console().start().await;
    for (i, (method, path)) in PROTECTED.iter().enumerate() {
        let m = Method::from_bytes(method.as_bytes()).unwrap();
        if i == 5 {
            break; // five failures for the admin; the sixth would be throttled (tested below)
        }
        let r = c2
            .call(m, path, Auth::Basic(ADMIN, "wrong"), Some("{}".into()))
            .await;
        assert_eq!(r.status, 401, "wrong password: {method} {path}");
    }
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
