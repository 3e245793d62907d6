//! The PostgreSQL backend: the whole contract suite on a real server (started by
//! crowsnest-testkit, one per test, with a fresh database per store), then what is particular
//! to a database that several nodes share: the master key check, migrations run by nodes
//! starting together, claims from separate connections pools.

use crowsnest_model::credential::Credential;
use crowsnest_store::{
    CredentialStore, JobRecord, JobState, MasterKey, PostgresStore, ScanKind, ScanQueue, SecretBox,
    Store, StoreError,
};
use crowsnest_testkit::{PostgresBuilder, TestPostgres};
use std::collections::HashSet;
use std::sync::Arc;

/// A server for this test, or `None` (printed why) when PostgreSQL is not installed.
fn server() -> Option<Arc<TestPostgres>> {
    PostgresBuilder::new().start_or_skip().map(Arc::new)
}

/// A factory that opens a store on a new database of its own server, which is stopped when
/// the factory (the test) ends.
fn postgres() -> Option<impl crowsnest_store::contract::Factory> {
    let pg = server()?;
    Some(move || {
        let pg = pg.clone();
        async move {
            let url = pg.create_database().unwrap();
            let store = PostgresStore::open(&url, SecretBox::new(&MasterKey::generate()))
                .await
                .unwrap();
            Arc::new(store) as Arc<dyn Store>
        }
    })
}

crowsnest_store::contract_tests!(optional: postgres());

fn credential(id: &str, password: &str) -> Credential {
    serde_json::from_value(serde_json::json!({
        "_id": id, "type": "basic", "accountID": "bob", "secret": {"plain": password}
    }))
    .unwrap()
}

/// Every node must use the same master key: a store opened with another key than the one that
/// sealed its secrets is refused with a typed error that says so, even before any credential
/// exists, and the right key still opens it.
#[tokio::test(flavor = "multi_thread")]
async fn a_different_master_key_is_refused() {
    let Some(pg) = server() else { return };
    let key = MasterKey::generate();
    let url = pg.create_database().unwrap();
    let s = PostgresStore::open(&url, SecretBox::new(&key))
        .await
        .unwrap();
    s.close().await;

    let other = PostgresStore::open(&url, SecretBox::new(&MasterKey::generate())).await;
    let err = other.expect_err("another key must be refused on an empty store");
    assert!(matches!(err, StoreError::WrongMasterKey(_)), "{err:?}");
    assert!(err.to_string().contains("CROWSNEST_MASTER_KEY"), "{err}");

    let s = PostgresStore::open(&url, SecretBox::new(&key))
        .await
        .unwrap();
    s.upsert_credential(credential("reg", "s3cret"))
        .await
        .unwrap();
    let c = s.credential("reg").await.unwrap().unwrap();
    assert_eq!(s.reveal(&c.secret).unwrap(), "s3cret");
    s.close().await;
    let err = PostgresStore::open(&url, SecretBox::new(&MasterKey::generate()))
        .await
        .expect_err("another key must be refused");
    assert!(matches!(err, StoreError::WrongMasterKey(_)), "{err:?}");

    // Without the check value (a database filled by other means), the secrets decide, and a
    // refused key does not leave a check value of its own behind.
    let pool = sqlx::PgPool::connect(&url).await.unwrap();
    sqlx::query("DELETE FROM settings WHERE key = 'masterKeyCheck'")
        .execute(&pool)
        .await
        .unwrap();
    let err = PostgresStore::open(&url, SecretBox::new(&MasterKey::generate()))
        .await
        .expect_err("another key must be refused by the stored secret");
    assert!(err.to_string().contains("\"reg\""), "{err}");
    PostgresStore::open(&url, SecretBox::new(&key))
        .await
        .unwrap();
}

/// Nodes starting at the same moment on an empty database all open it: each migration is
/// applied once, under the migration lock.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn nodes_starting_together_migrate_once() {
    let Some(pg) = server() else { return };
    let url = pg.create_database().unwrap();
    let key = MasterKey::generate();
    let opens: Vec<_> = (0..6)
        .map(|_| {
            let (url, key) = (url.clone(), key.clone());
            tokio::spawn(async move { PostgresStore::open(&url, SecretBox::new(&key)).await })
        })
        .collect();
    for o in opens {
        o.await.unwrap().unwrap();
    }
    let pool = sqlx::PgPool::connect(&url).await.unwrap();
    let versions: Vec<i64> =
        sqlx::query_scalar("SELECT version FROM schema_migrations ORDER BY version")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(versions, vec![1, 2, 3], "each migration recorded once");
}

fn job(scan_id: i64, tag: usize) -> JobRecord {
    JobRecord {
        id: 0,
        scan_id,
        spec_id: "s1".into(),
        registry: "r".into(),
        repo: "app".into(),
        tag: tag.to_string(),
        digest: String::new(),
        created: None,
        state: JobState::Pending,
        attempts: 0,
        error: String::new(),
    }
}

/// Separate processes claim through separate connection pools: four "nodes" with eight
/// claimers each take every job exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn nodes_share_the_queue_without_double_claims() {
    let Some(pg) = server() else { return };
    let url = pg.create_database().unwrap();
    let key = MasterKey::generate();
    let mut nodes = Vec::new();
    for _ in 0..4 {
        nodes.push(Arc::new(
            PostgresStore::open(&url, SecretBox::new(&key))
                .await
                .unwrap(),
        ));
    }
    let scan = nodes[0]
        .create_scan(ScanKind::Regular, "", "t0")
        .await
        .unwrap();
    let jobs: Vec<_> = (0..400).map(|i| job(scan.id, i)).collect();
    assert_eq!(nodes[1].insert_jobs(&jobs).await.unwrap(), 400);
    let mut claimers = Vec::new();
    for (n, node) in nodes.iter().enumerate() {
        for c in 0..8 {
            let node = node.clone();
            claimers.push(tokio::spawn(async move {
                let owner = format!("node{n}-{c}");
                let mut mine = Vec::new();
                loop {
                    let got = node
                        .claim_jobs(scan.id, "s1", &owner, 0, 100, 3)
                        .await
                        .unwrap();
                    if got.is_empty() {
                        return mine;
                    }
                    for j in got {
                        assert!(
                            node.finish_job(j.id, JobState::Done, "", None)
                                .await
                                .unwrap()
                        );
                        mine.push(j.id);
                    }
                }
            }));
        }
    }
    let mut all = Vec::new();
    for c in claimers {
        all.extend(c.await.unwrap());
    }
    let unique: HashSet<i64> = all.iter().copied().collect();
    assert_eq!(unique.len(), all.len(), "a job was claimed twice");
    assert_eq!(all.len(), 400);
    let counts = nodes[2].job_counts(scan.id, None).await.unwrap();
    assert_eq!((counts.done, counts.total), (400, 400));
}

/// A row whose state this version does not know is a typed error, as in SQLite.
#[tokio::test(flavor = "multi_thread")]
async fn an_unknown_stored_state_is_a_typed_error() {
    let Some(pg) = server() else { return };
    let url = pg.create_database().unwrap();
    let s = PostgresStore::open(&url, SecretBox::new(&MasterKey::generate()))
        .await
        .unwrap();
    let scan = s.create_scan(ScanKind::OnDemand, "", "t0").await.unwrap();
    s.insert_jobs(&[job(scan.id, 1)]).await.unwrap();
    let pool = sqlx::PgPool::connect(&url).await.unwrap();
    sqlx::query("UPDATE scan_jobs SET state = 'paused'")
        .execute(&pool)
        .await
        .unwrap();
    let jobs = s.jobs(scan.id).await;
    assert!(
        matches!(&jobs, Err(StoreError::UnknownState { what: "job state", value }) if value == "paused"),
        "{jobs:?}"
    );
}

/// A URL of another scheme is refused by name, with the password left out.
#[tokio::test]
async fn other_url_schemes_are_refused() {
    let err = crowsnest_store::open(
        "mysql://root:hunter2@db/crowsnest",
        SecretBox::new(&MasterKey::generate()),
    )
    .await
    .err()
    .expect("mysql is not a backend");
    assert!(matches!(err, StoreError::UnsupportedUrl(_)), "{err:?}");
    let text = err.to_string();
    assert!(
        text.contains("postgres://") && !text.contains("hunter2"),
        "{text}"
    );
}

/// Nodes stopping specifications, cancelling, releasing leases and claiming over the same jobs
/// at once: every statement succeeds (multi-job updates lock in one order, so they wait for
/// each other rather than deadlock) and every job ends cancelled or done.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_stops_releases_and_claims_never_fail() {
    let Some(pg) = server() else { return };
    let url = pg.create_database().unwrap();
    let key = MasterKey::generate();
    let mut nodes = Vec::new();
    for _ in 0..3 {
        nodes.push(Arc::new(
            PostgresStore::open(&url, SecretBox::new(&key))
                .await
                .unwrap(),
        ));
    }
    let scan = nodes[0]
        .create_scan(ScanKind::Regular, "", "t0")
        .await
        .unwrap();
    const SPECS: usize = 8;
    let jobs: Vec<_> = (0..SPECS * 60)
        .map(|i| JobRecord {
            spec_id: format!("s{}", i % SPECS),
            ..job(scan.id, i)
        })
        .collect();
    nodes[0].insert_jobs(&jobs).await.unwrap();
    let mut tasks = Vec::new();
    for spec in 0..SPECS {
        // Claimers with leases already expired, so the releases below find running jobs.
        for node in &nodes {
            let node = node.clone();
            tasks.push(tokio::spawn(async move {
                let spec = format!("s{spec}");
                for _ in 0..10 {
                    for j in node.claim_jobs(scan.id, &spec, "n", 0, 1, 4).await? {
                        node.finish_job(j.id, JobState::Done, "", None).await?;
                    }
                    node.release_expired_leases(2).await?;
                }
                Ok::<_, StoreError>(())
            }));
        }
        let node = nodes[spec % nodes.len()].clone();
        tasks.push(tokio::spawn(async move {
            node.release_expired_leases(2).await?;
            node.cancel_jobs(scan.id, Some(&format!("s{spec}"))).await?;
            node.stop_scan_spec(scan.id, &format!("s{spec}"), "t1")
                .await
                .map(drop)
        }));
    }
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    nodes[1].cancel_jobs(scan.id, None).await.unwrap();
    let counts = nodes[2].job_counts(scan.id, None).await.unwrap();
    assert_eq!(counts.total as usize, SPECS * 60);
    assert_eq!(counts.done + counts.cancelled, counts.total, "{counts:?}");
}

/// A lease release (all scans, in table order) and a cancel of a whole scan (in index order)
/// over the same running jobs, many rounds: neither fails with a deadlock.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn lease_releases_and_scan_cancels_do_not_deadlock() {
    let Some(pg) = server() else { return };
    let url = pg.create_database().unwrap();
    let key = MasterKey::generate();
    let a = Arc::new(
        PostgresStore::open(&url, SecretBox::new(&key))
            .await
            .unwrap(),
    );
    let b = Arc::new(
        PostgresStore::open(&url, SecretBox::new(&key))
            .await
            .unwrap(),
    );
    const SPECS: usize = 8;
    for _ in 0..15 {
        let scan = a.create_scan(ScanKind::OnDemand, "", "t0").await.unwrap();
        let jobs: Vec<_> = (0..SPECS * 50)
            .map(|i| JobRecord {
                spec_id: format!("s{}", i % SPECS),
                ..job(scan.id, i)
            })
            .collect();
        a.insert_jobs(&jobs).await.unwrap();
        for spec in 0..SPECS {
            a.claim_jobs(scan.id, &format!("s{spec}"), "n", 0, 1, 1000)
                .await
                .unwrap();
        }
        let mut tasks = Vec::new();
        for i in 0..4 {
            let (a, b) = (a.clone(), b.clone());
            tasks.push(tokio::spawn(async move {
                if i % 2 == 0 {
                    a.release_expired_leases(2).await
                } else {
                    b.cancel_jobs(scan.id, None).await
                }
            }));
        }
        for t in tasks {
            t.await.unwrap().unwrap();
        }
    }
}

/// The server restarting (a fast shutdown closes every connection) between two calls: the
/// store reconnects on its own and nothing written before is lost.
#[tokio::test(flavor = "multi_thread")]
async fn the_store_reconnects_after_a_server_restart() {
    let Some(mut pg) = PostgresBuilder::new().start_or_skip() else {
        return;
    };
    let url = pg.create_database().unwrap();
    let key = MasterKey::generate();
    let s = PostgresStore::open(&url, SecretBox::new(&key))
        .await
        .unwrap();
    s.upsert_credential(credential("reg", "s3cret"))
        .await
        .unwrap();
    pg.stop();
    assert!(!pg.is_running());
    // (A call now would wait for the server up to the pool's acquire timeout, 30 s.)
    pg.restart().unwrap();
    let c = s.credential("reg").await.unwrap().unwrap();
    assert_eq!(s.reveal(&c.secret).unwrap(), "s3cret");
}

/// One handle at a time leads; the lock goes with its session, so another handle takes over
/// the moment the leader's store is gone, and a leader whose session broke (a server restart)
/// asks again on a new one.
#[tokio::test(flavor = "multi_thread")]
async fn one_leader_at_a_time_taken_over_when_it_goes() {
    let Some(mut pg) = PostgresBuilder::new().start_or_skip() else {
        return;
    };
    let url = pg.create_database().unwrap();
    let key = MasterKey::generate();
    let a = PostgresStore::open(&url, SecretBox::new(&key))
        .await
        .unwrap();
    let b = PostgresStore::open(&url, SecretBox::new(&key))
        .await
        .unwrap();
    assert!(a.try_lead().await.unwrap());
    assert!(a.try_lead().await.unwrap(), "a leader stays leader");
    assert!(!b.try_lead().await.unwrap());
    a.close().await;
    drop(a);
    // The server notices the closed session at once; a few tries cover the round trip.
    let mut took_over = false;
    for _ in 0..50 {
        if b.try_lead().await.unwrap() {
            took_over = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(took_over, "the second handle never took over");
    pg.stop();
    pg.restart().unwrap();
    assert!(b.try_lead().await.unwrap(), "leads again on a new session");
}
