//! Parallel writers of every kind at once: each write succeeds and can be read back.
//!
//! This is the contract a Console under load relies on (issue 21: parallel settings and
//! credential saves answered 500 with "database is locked"); a backend may make writers wait,
//! never fail.

use super::Factory;
use super::credentials::{credential, spec};
use super::results::image;
use super::scan_queue::job;
use crate::{JobState, ScanKind, Store};
use std::collections::HashSet;
use std::sync::Arc;

const WRITERS: usize = 50;
const ROUNDS: usize = 20;
const JOBS: usize = 300;

/// What one writer did, for checking afterwards.
#[derive(Default)]
struct Done {
    claimed: Vec<i64>,
}

async fn write(s: Arc<dyn Store>, writer: usize, scan_id: i64) -> Result<Done, String> {
    let mut done = Done::default();
    for round in 0..ROUNDS {
        let result = match writer % 4 {
            // Replacing the settings reads the credentials first, inside the transaction.
            0 => {
                s.replace_specifications(&[
                    spec(&format!("w{writer}-r{round}-a"), "shared"),
                    spec(&format!("w{writer}-r{round}-b"), ""),
                ])
                .await
            }
            // An upsert reads the stored credential first, inside the transaction.
            1 => {
                s.upsert_credential(credential(&format!("w{writer}"), &format!("pw{round}")))
                    .await
            }
            2 => match s
                .claim_jobs(scan_id, "s1", &format!("w{writer}"), 0, 100, 1)
                .await
            {
                Ok(jobs) => {
                    let mut r = Ok(());
                    for j in jobs {
                        done.claimed.push(j.id);
                        r = s.finish_job(j.id, JobState::Done, "", None).await.map(drop);
                    }
                    r
                }
                Err(e) => Err(e),
            },
            _ => {
                let r = s
                    .put_image(&image(
                        "reg",
                        &format!("w{writer}"),
                        &format!("r{round}"),
                        1,
                    ))
                    .await;
                match r {
                    Ok(()) => s.push_scan_error("t", "e", 10).await,
                    Err(e) => Err(e),
                }
            }
        };
        result.map_err(|e| format!("writer {writer} round {round}: {e}"))?;
    }
    Ok(done)
}

/// Fifty writers replacing settings, upserting credentials, claiming and finishing jobs and
/// storing results at once: no write fails, and every one is readable afterwards.
pub async fn parallel_writers_all_succeed_and_are_readable(factory: impl Factory) {
    let s = factory().await;
    s.upsert_credential(credential("shared", "pw"))
        .await
        .unwrap();
    let scan = s.create_scan(ScanKind::Regular, "", "t0").await.unwrap();
    let jobs: Vec<_> = (0..JOBS)
        .map(|i| job(scan.id, "s1", "app", &i.to_string()))
        .collect();
    s.insert_jobs(&jobs).await.unwrap();

    let tasks: Vec<_> = (0..WRITERS)
        .map(|w| tokio::spawn(write(s.clone(), w, scan.id)))
        .collect();
    let mut errors = Vec::new();
    let mut claimed = Vec::new();
    for t in tasks {
        match t.await.expect("writer panicked") {
            Ok(done) => claimed.extend(done.claimed),
            Err(e) => errors.push(e),
        }
    }
    assert!(
        errors.is_empty(),
        "{} writes failed: {errors:#?}",
        errors.len()
    );

    // Settings: the last replacement whole, the final round of one writer.
    let specs = s.registry_settings().await.unwrap().specifications;
    let ids: Vec<&str> = specs.iter().map(|x| x.id.as_str()).collect();
    assert_eq!(ids.len(), 2, "{ids:?}");
    let last = format!("-r{}-a", ROUNDS - 1);
    assert!(
        ids[0].ends_with(&last) && ids[1] == ids[0].replace("-a", "-b").as_str(),
        "{ids:?}"
    );
    // Credentials: each writer's last password.
    for w in (0..WRITERS).filter(|w| w % 4 == 1) {
        let c = s.credential(&format!("w{w}")).await.unwrap().unwrap();
        assert_eq!(s.reveal(&c.secret).unwrap(), format!("pw{}", ROUNDS - 1));
    }
    // Jobs: each claimed once, and every claim finished.
    let unique: HashSet<i64> = claimed.iter().copied().collect();
    assert_eq!(unique.len(), claimed.len(), "a job was claimed twice");
    let counts = s.job_counts(scan.id, None).await.unwrap();
    assert_eq!(counts.done as usize, claimed.len());
    assert_eq!(counts.running, 0);
    assert_eq!(counts.total as usize, JOBS);
    // Results: every image written.
    for w in (0..WRITERS).filter(|w| w % 4 == 3) {
        for r in 0..ROUNDS {
            let key = format!("reg/w{w}:r{r}");
            assert!(s.image(&key).await.unwrap().is_some(), "{key} missing");
        }
    }
    assert_eq!(s.scan_errors(100).await.unwrap().len(), 10);
}
