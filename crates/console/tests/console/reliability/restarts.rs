//! What must hold across a restart: retired tokens stay retired; and what a Console leaves on
//! disk is its owner's alone, whatever the umask.

use super::super::harness::{Auth, console, files_under};
use reqwest::Method;

#[tokio::test]
async fn a_renewed_token_stays_retired_after_a_restart() {
    let mut c = console().start().await;
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
    let creds = "/api/v1/credentials";
    assert_eq!(
        c.call(Method::GET, creds, Auth::Bearer(&old), None)
            .await
            .status,
        401
    );
    c.restart().await;
    assert_eq!(
        c.call(Method::GET, creds, Auth::Bearer(&old), None)
            .await
            .status,
        401,
        "the retired token works again after a restart"
    );
    let again = c
        .call(
            Method::GET,
            "/api/v1/authenticate/renew",
            Auth::Bearer(&old),
            None,
        )
        .await;
    assert_eq!(again.status, 401, "{}", again.text);
    assert_eq!(
        c.call(Method::GET, creds, Auth::Bearer(&new), None)
            .await
            .status,
        200
    );
}

/// Set by the test below for the copy of itself it runs under umask 000.
const UNDER_UMASK_000: &str = "CROWSNEST_TEST_UNDER_UMASK_000";

/// The test binary runs itself again, this test alone, from `sh -c 'umask 000; exec …'`: the
/// umask is the process's, so it cannot be changed for one test inside a shared process.
#[tokio::test]
async fn the_data_dir_is_owner_only_even_under_umask_000() {
    if std::env::var_os(UNDER_UMASK_000).is_none() {
        let me = std::env::current_exe().unwrap();
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg("umask 000 && exec \"$0\" --exact \"$1\" --nocapture --test-threads 1")
            .arg(me)
            .arg("console::reliability::restarts::the_data_dir_is_owner_only_even_under_umask_000")
            .env(UNDER_UMASK_000, "1")
            .output()
            .unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(out.status.success(), "{text}");
        assert!(
            text.contains("1 passed"),
            "the inner run ran nothing: {text}"
        );
        return;
    }
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    // The umask really is 000 here: a file made the ordinary way is world-writable.
    let probe = std::env::temp_dir().join(format!("umask-probe-{}", std::process::id()));
    std::fs::write(&probe, b"").unwrap();
    assert_eq!(mode(&probe), 0o666);
    std::fs::remove_file(&probe).unwrap();

    let feeds = tempfile::tempdir().unwrap();
    std::fs::write(
        feeds.path().join("one.json"),
        r#"{"id":"CROWSNEST-MODE-0001","modified":"2024-01-01T00:00:00Z",
 "affected":[{"package":{"ecosystem":"PyPI","name":"urllib3"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1.24.3"}]}]}]}"#,
    )
    .unwrap();
    let mut c = console().feeds(feeds.path().to_path_buf()).start().await;
    c.create_credential("cred", "Plain-Pw-1").await;
    let r = c
        .admin(
            Method::POST,
            "/api/v1/settings/registry?scanLater=true",
            Some(r#"{"version":"2","registry":"http://127.0.0.1:9","repository":"a"}"#),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let check = |c: &super::super::harness::TestConsole| {
        assert_eq!(mode(&c.data_dir), 0o700, "{}", c.data_dir.display());
        let files = files_under(&c.data_dir);
        let names: Vec<String> = files
            .iter()
            .map(|f| f.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        for expected in [
            "crowsnest.sqlite",
            "crowsnest.sqlite-wal",
            "crowsnest.sqlite-shm",
            "master.key",
            "crowsnest.db",
        ] {
            assert!(
                names.iter().any(|n| n == expected),
                "{expected} not in {names:?}"
            );
        }
        for f in &files {
            assert_eq!(mode(f), 0o600, "{}", f.display());
        }
    };
    check(&c);
    c.restart().await;
    c.create_credential("cred2", "Plain-Pw-2").await;
    check(&c);
}
