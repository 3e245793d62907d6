//! The Console on PostgreSQL (`--database postgres://…`): a real server started by
//! crowsnest-testkit, the first start creating the admin, a login and a settings round trip,
//! and a second Console on the same database: with the same master key it serves what the
//! first stored, with another it refuses to start.

use super::harness::{Auth, console};
use crowsnest_testkit::PostgresBuilder;
use reqwest::Method;

const KEY: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
const OTHER_KEY: &str = "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210";

#[tokio::test(flavor = "multi_thread")]
async fn serve_on_postgres_logs_in_and_keeps_settings_across_consoles() {
    let Some(pg) = PostgresBuilder::new().start_or_skip() else {
        return;
    };
    let url = pg.create_database().unwrap();
    let c = console().database(&url).master_key(KEY).start().await;

    let token = c.token().await;
    let r = c
        .call(
            Method::GET,
            "/api/v1/authenticate/renew",
            Auth::Bearer(&token),
            None,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    c.create_credential("my-registry", "s3cret").await;
    let spec = r#"{"version":"2","registry":"","repository":"library/ubuntu","tag":"16.04","os":"linux","cap":5,"scanners":2,"collections":["All"],"credentialID":"my-registry"}"#;
    let r = c
        .admin(
            Method::POST,
            "/api/v32.04/settings/registry?scanLater=true",
            Some(spec),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let settings = c.get("/api/v32.04/settings/registry").await.json();
    let specs = settings["specifications"].as_array().unwrap();
    assert_eq!(specs.len(), 1, "{settings}");
    assert_eq!(specs[0]["repository"], "library/ubuntu");
    assert_eq!(specs[0]["credentialID"], "my-registry");

    // A second Console on the same database with the same key: the same admin (not created
    // again), the same settings and credential, the secret still sealed.
    let second = console()
        .database(&url)
        .master_key(KEY)
        .without_admin()
        .start()
        .await;
    assert_eq!(
        second.login(super::harness::ADMIN_PASSWORD).await.status,
        200
    );
    assert_eq!(
        second.get("/api/v32.04/settings/registry").await.json(),
        settings
    );
    let creds = second.get("/api/v32.04/credentials").await;
    assert_eq!(creds.status, 200, "{}", creds.text);
    assert!(creds.text.contains("my-registry") && !creds.text.contains("s3cret"));

    // Another key could not open the stored secrets: that Console refuses to start.
    let refused = console()
        .database(&url)
        .master_key(OTHER_KEY)
        .without_admin()
        .open()
        .await;
    let err = refused
        .err()
        .expect("a different master key must be refused");
    assert!(err.to_string().contains("CROWSNEST_MASTER_KEY"), "{err}");
}

/// An unknown scheme is a start error naming the supported ones.
#[tokio::test]
async fn an_unsupported_database_url_is_refused() {
    let err = console()
        .database("mysql://root:pw@127.0.0.1/crowsnest")
        .open()
        .await
        .err()
        .expect("mysql is not a backend");
    let text = err.to_string();
    assert!(
        text.contains("postgres://") && text.contains("sqlite://") && !text.contains(":pw@"),
        "{text}"
    );
}
