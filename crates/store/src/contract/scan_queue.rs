//! Scans, specification records, leased jobs with retry times, and scan errors.

use super::Factory;
use crate::{JobRecord, JobState, ScanKind, ScanSpecRecord, ScanState, SpecState, StoreError};

pub(super) fn job(scan_id: i64, spec_id: &str, repo: &str, tag: &str) -> JobRecord {
    JobRecord {
        id: 0,
        scan_id,
        spec_id: spec_id.into(),
        registry: "reg".into(),
        repo: repo.into(),
        tag: tag.into(),
        digest: String::new(),
        created: None,
        state: JobState::Pending,
        attempts: 0,
        error: String::new(),
    }
}

fn spec_record(scan_id: i64, spec_id: &str, state: SpecState, repos_done: i64) -> ScanSpecRecord {
    ScanSpecRecord {
        scan_id,
        spec_id: spec_id.into(),
        spec: format!("{{\"id\":\"{spec_id}\"}}"),
        state,
        repos_total: 10,
        repos_done,
        error: String::new(),
        started: "t0".into(),
    }
}

/// One regular scan runs at a time, on-demand scans beside it; only a running scan finishes.
pub async fn one_regular_scan_at_a_time_on_demand_beside_it(factory: impl Factory) {
    let s = factory().await;
    let a = s
        .create_scan(ScanKind::Regular, "{\"plan\":1}", "t0")
        .await
        .unwrap();
    assert_eq!((a.kind, a.state), (ScanKind::Regular, ScanState::Running));
    assert_eq!(s.scan(a.id).await.unwrap(), Some(a.clone()));
    let second = s.create_scan(ScanKind::Regular, "", "t1").await;
    assert!(matches!(second, Err(StoreError::Conflict(_))), "{second:?}");
    let d = s.create_scan(ScanKind::OnDemand, "{}", "t1").await.unwrap();
    assert_eq!(
        s.scans_in_state(ScanState::Running)
            .await
            .unwrap()
            .iter()
            .map(|x| x.id)
            .collect::<Vec<_>>(),
        [a.id, d.id]
    );
    assert!(s.finish_scan(a.id, ScanState::Stopped, "t2").await.unwrap());
    assert!(
        !s.finish_scan(a.id, ScanState::Completed, "t3")
            .await
            .unwrap(),
        "only a running scan can finish"
    );
    let stopped = s.scan(a.id).await.unwrap().unwrap();
    assert_eq!(
        (stopped.state, stopped.finished.as_deref()),
        (ScanState::Stopped, Some("t2"))
    );
    let b = s.create_scan(ScanKind::Regular, "", "t4").await.unwrap();
    assert_eq!(
        s.latest_scan(ScanKind::Regular)
            .await
            .unwrap()
            .map(|x| x.id),
        Some(b.id)
    );
    assert_eq!(
        s.latest_scan(ScanKind::OnDemand)
            .await
            .unwrap()
            .map(|x| x.id),
        Some(d.id)
    );
    assert_eq!(s.scans_in_state(ScanState::Stopped).await.unwrap().len(), 1);
    assert_eq!(s.scan(b.id + 100).await.unwrap(), None);
}

/// Specification records are created, then updated in place, and listed in creation order.
pub async fn scan_spec_records_upsert_in_order(factory: impl Factory) {
    let s = factory().await;
    let scan = s.create_scan(ScanKind::Regular, "", "t0").await.unwrap();
    assert!(
        s.put_scan_spec(&spec_record(scan.id, "z", SpecState::Discovering, 0))
            .await
            .unwrap()
    );
    s.put_scan_spec(&spec_record(scan.id, "a", SpecState::Discovering, 0))
        .await
        .unwrap();
    let mut done = spec_record(scan.id, "z", SpecState::Done, 10);
    done.error = "one repository failed".into();
    assert!(s.put_scan_spec(&done).await.unwrap());
    let records = s.scan_specs(scan.id).await.unwrap();
    assert_eq!(
        records,
        [done, spec_record(scan.id, "a", SpecState::Discovering, 0)]
    );
    assert!(s.scan_specs(scan.id + 1).await.unwrap().is_empty());
}

/// A stopped specification stays stopped: across writers that had not seen the stop, with its
/// jobs cancelled and not returned by a retry, and before discovery had begun.
pub async fn stopped_spec_stays_stopped(factory: impl Factory) {
    let s = factory().await;
    let scan = s.create_scan(ScanKind::Regular, "", "t0").await.unwrap();
    s.put_scan_spec(&spec_record(scan.id, "s1", SpecState::Scanning, 2))
        .await
        .unwrap();
    s.insert_jobs(&[
        job(scan.id, "s1", "app", "1"),
        job(scan.id, "s1", "app", "2"),
    ])
    .await
    .unwrap();
    s.insert_jobs(&[job(scan.id, "s2", "app", "1")])
        .await
        .unwrap();
    let claimed = s
        .claim_jobs(scan.id, "s1", "node", 0, 100, 1)
        .await
        .unwrap();
    assert!(!s.scan_spec_stopped(scan.id, "s1").await.unwrap());

    assert_eq!(s.stop_scan_spec(scan.id, "s1", "t1").await.unwrap(), 2);
    assert!(s.scan_spec_stopped(scan.id, "s1").await.unwrap());
    assert!(!s.scan_spec_stopped(scan.id, "s2").await.unwrap());
    // A runner that had not seen the stop writes its progress: the state stays stopped.
    assert!(
        !s.put_scan_spec(&spec_record(scan.id, "s1", SpecState::Scanning, 5))
            .await
            .unwrap()
    );
    assert!(
        !s.put_scan_spec(&spec_record(scan.id, "s1", SpecState::Done, 10))
            .await
            .unwrap()
    );
    let record = &s.scan_specs(scan.id).await.unwrap()[0];
    assert_eq!((record.state, record.repos_done), (SpecState::Stopped, 10));
    // The worker that held a job tries to retry it: it stays cancelled.
    assert!(
        !s.finish_job(claimed[0].id, JobState::Pending, "busy", None)
            .await
            .unwrap()
    );
    let counts = s.job_counts(scan.id, Some("s1")).await.unwrap();
    assert_eq!((counts.cancelled, counts.pending), (2, 0));
    assert_eq!(
        s.job_counts(scan.id, Some("s2")).await.unwrap().pending,
        1,
        "other specifications go on"
    );
    assert!(
        s.claim_jobs(scan.id, "s1", "node", 0, 100, 10)
            .await
            .unwrap()
            .is_empty()
    );

    // Stopped before its discovery began: a record is created, and discovery cannot start it.
    assert_eq!(s.stop_scan_spec(scan.id, "s3", "t2").await.unwrap(), 0);
    assert!(s.scan_spec_stopped(scan.id, "s3").await.unwrap());
    let created = s
        .scan_specs(scan.id)
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.spec_id == "s3")
        .unwrap();
    assert_eq!(
        (
            created.state,
            created.spec.as_str(),
            created.started.as_str()
        ),
        (SpecState::Stopped, "", "t2")
    );
    assert!(
        !s.put_scan_spec(&spec_record(scan.id, "s3", SpecState::Discovering, 0))
            .await
            .unwrap()
    );
    assert!(s.scan_spec_stopped(scan.id, "s3").await.unwrap());

    let unknown = s.stop_scan_spec(scan.id + 100, "s1", "t3").await;
    assert!(
        matches!(unknown, Err(StoreError::NotFound(_))),
        "{unknown:?}"
    );
}

/// A scan's final progress is reported once: the flag is set the first time only.
pub async fn progress_is_reported_once(factory: impl Factory) {
    let s = factory().await;
    let a = s.create_scan(ScanKind::OnDemand, "{}", "t0").await.unwrap();
    let b = s.create_scan(ScanKind::OnDemand, "{}", "t0").await.unwrap();
    assert!(s.mark_progress_reported(a.id).await.unwrap());
    assert!(!s.mark_progress_reported(a.id).await.unwrap());
    assert!(s.mark_progress_reported(b.id).await.unwrap(), "per scan");
    assert!(!s.mark_progress_reported(b.id + 100).await.unwrap());
}

/// Claims are exclusive and count attempts; expired leases return jobs to the queue.
pub async fn claims_are_exclusive_and_expired_leases_return(factory: impl Factory) {
    let s = factory().await;
    let scan = s.create_scan(ScanKind::Regular, "", "t0").await.unwrap();
    let jobs: Vec<_> = (0..5)
        .map(|i| job(scan.id, "s1", "app", &format!("v{i}")))
        .collect();
    assert_eq!(s.insert_jobs(&jobs).await.unwrap(), 5);
    assert_eq!(
        s.insert_jobs(&jobs).await.unwrap(),
        0,
        "rediscovery adds nothing twice"
    );
    assert!(
        s.claim_jobs(scan.id, "other", "node-a", 0, 100, 3)
            .await
            .unwrap()
            .is_empty(),
        "claims are per specification"
    );
    let a = s
        .claim_jobs(scan.id, "s1", "node-a", 0, 100, 3)
        .await
        .unwrap();
    let b = s
        .claim_jobs(scan.id, "s1", "node-b", 0, 100, 3)
        .await
        .unwrap();
    assert_eq!((a.len(), b.len()), (3, 2));
    assert!(a.windows(2).all(|w| w[0].id < w[1].id), "lowest id first");
    assert!(a.iter().all(|j| !b.iter().any(|k| k.id == j.id)));
    assert!(
        a.iter()
            .chain(&b)
            .all(|j| j.state == JobState::Running && j.attempts == 1)
    );
    assert!(
        s.finish_job(a[0].id, JobState::Done, "", None)
            .await
            .unwrap()
    );
    // node-a dies; at t=101 its leases have expired.
    assert_eq!(s.release_expired_leases(50).await.unwrap(), 0);
    assert_eq!(s.release_expired_leases(101).await.unwrap(), 4);
    let again = s
        .claim_jobs(scan.id, "s1", "node-c", 101, 300, 10)
        .await
        .unwrap();
    assert_eq!(again.len(), 4);
    // The released jobs got back the attempt node-a's claim counted: a holder going away is
    // not a failed try (a Console killed five times must not use up an image's five tries).
    assert!(again.iter().all(|j| j.attempts == 1), "{again:?}");
    s.finish_job(again[1].id, JobState::Pending, "503", None)
        .await
        .unwrap();
    let retried = s
        .claim_jobs(scan.id, "s1", "node-c", 101, 300, 1)
        .await
        .unwrap();
    assert_eq!(
        (retried[0].id, retried[0].attempts),
        (again[1].id, 2),
        "a real retry still counts"
    );
    let c = s.job_counts(scan.id, None).await.unwrap();
    assert_eq!((c.total, c.done, c.running), (5, 1, 4));
    let running = s.finish_job(again[0].id, JobState::Running, "", None).await;
    assert!(
        matches!(running, Err(StoreError::Conflict(_))),
        "{running:?}"
    );
    assert!(
        s.finish_job(again[0].id, JobState::Failed, "manifest unknown", None)
            .await
            .unwrap()
    );
    let listed = s.jobs(scan.id).await.unwrap();
    assert_eq!(listed.len(), 5);
    let failed = listed.iter().find(|j| j.id == again[0].id).unwrap();
    assert_eq!(
        (failed.state, failed.error.as_str()),
        (JobState::Failed, "manifest unknown")
    );
}

/// A job returned for a retry waits for its time, keeps counting attempts, and is claimed
/// again from then on, before later jobs.
pub async fn retries_wait_for_their_time(factory: impl Factory) {
    let s = factory().await;
    let scan = s.create_scan(ScanKind::Regular, "", "t0").await.unwrap();
    s.insert_jobs(&[
        job(scan.id, "s1", "app", "1"),
        job(scan.id, "s1", "app", "2"),
    ])
    .await
    .unwrap();
    let first = s
        .claim_jobs(scan.id, "s1", "n", 1000, 1100, 1)
        .await
        .unwrap();
    assert!(
        s.finish_job(first[0].id, JobState::Pending, "registry busy", Some(1010))
            .await
            .unwrap()
    );
    let pending = s.jobs(scan.id).await.unwrap();
    assert_eq!(
        (pending[0].state, pending[0].error.as_str()),
        (JobState::Pending, "registry busy")
    );
    // Before its time only the other job is claimable.
    let early = s
        .claim_jobs(scan.id, "s1", "n", 1009, 1100, 10)
        .await
        .unwrap();
    assert_eq!(
        early.iter().map(|j| j.tag.as_str()).collect::<Vec<_>>(),
        ["2"]
    );
    assert!(
        s.claim_jobs(scan.id, "s1", "n", 1009, 1100, 10)
            .await
            .unwrap()
            .is_empty()
    );
    let due = s
        .claim_jobs(scan.id, "s1", "n", 1010, 1100, 10)
        .await
        .unwrap();
    assert_eq!(
        due.iter()
            .map(|j| (j.tag.as_str(), j.attempts))
            .collect::<Vec<_>>(),
        [("1", 2)]
    );
    // A retry without a time is claimable at once.
    s.finish_job(due[0].id, JobState::Pending, "", None)
        .await
        .unwrap();
    assert_eq!(
        s.claim_jobs(scan.id, "s1", "n", 0, 1100, 10)
            .await
            .unwrap()
            .len(),
        1
    );
    // An expired lease does not inherit an old retry time.
    s.finish_job(due[0].id, JobState::Pending, "", Some(5000))
        .await
        .unwrap();
    s.claim_jobs(scan.id, "s1", "n", 5000, 5001, 10)
        .await
        .unwrap();
    assert_eq!(s.release_expired_leases(6000).await.unwrap(), 2);
    assert_eq!(
        s.claim_jobs(scan.id, "s1", "n", 0, 7000, 10)
            .await
            .unwrap()
            .len(),
        2
    );
}

/// Cancelling ends the pending and running jobs of a scan or of one specification; counts
/// are per state and per specification.
pub async fn jobs_cancel_and_count_per_spec(factory: impl Factory) {
    let s = factory().await;
    let scan = s.create_scan(ScanKind::Regular, "", "t0").await.unwrap();
    let other = s.create_scan(ScanKind::OnDemand, "", "t0").await.unwrap();
    s.insert_jobs(&[
        job(scan.id, "s1", "a", "1"),
        job(scan.id, "s1", "a", "2"),
        job(scan.id, "s1", "a", "3"),
        job(scan.id, "s2", "a", "1"),
        job(other.id, "s1", "a", "1"),
    ])
    .await
    .unwrap();
    let claimed = s.claim_jobs(scan.id, "s1", "n", 0, 100, 2).await.unwrap();
    s.finish_job(claimed[0].id, JobState::Done, "", None)
        .await
        .unwrap();
    let c = s.job_counts(scan.id, Some("s1")).await.unwrap();
    assert_eq!(
        (c.total, c.pending, c.running, c.done, c.finished()),
        (3, 1, 1, 1, 1)
    );
    let by_spec = s.job_counts_by_spec(scan.id).await.unwrap();
    assert_eq!(by_spec.len(), 2, "{by_spec:?}");
    assert_eq!(by_spec["s1"], c);
    assert_eq!(
        by_spec["s2"],
        s.job_counts(scan.id, Some("s2")).await.unwrap()
    );
    assert!(s.job_counts_by_spec(-1).await.unwrap().is_empty());
    assert_eq!(s.cancel_jobs(scan.id, Some("s1")).await.unwrap(), 2);
    let c = s.job_counts(scan.id, Some("s1")).await.unwrap();
    assert_eq!((c.cancelled, c.done, c.finished()), (2, 1, 3));
    assert_eq!(s.job_counts(scan.id, None).await.unwrap().pending, 1);
    assert_eq!(s.cancel_jobs(scan.id, None).await.unwrap(), 1);
    let all = s.job_counts(scan.id, None).await.unwrap();
    assert_eq!((all.total, all.finished()), (4, 4));
    assert_eq!(
        s.job_counts(other.id, None).await.unwrap().pending,
        1,
        "other scans are untouched"
    );
}

/// Scan errors keep the last `keep`, newest first.
pub async fn scan_errors_keep_the_latest(factory: impl Factory) {
    let s = factory().await;
    assert!(s.scan_errors(10).await.unwrap().is_empty());
    for i in 0..15 {
        s.push_scan_error("t", &format!("e{i}"), 10).await.unwrap();
    }
    let e = s.scan_errors(100).await.unwrap();
    assert_eq!(e.len(), 10);
    assert_eq!((e[0].as_str(), e[9].as_str()), ("e14", "e5"));
    assert_eq!(s.scan_errors(2).await.unwrap(), ["e14", "e13"]);
}

/// Heartbeats extend only the holder's own running jobs; a result is stored under a lease only
/// while that lease holds, so a holder that lost its job (paused past the lease, then resumed)
/// cannot overwrite what the job's new holder stored.
pub async fn leases_renew_and_fence_results(factory: impl Factory) {
    let s = factory().await;
    let scan = s.create_scan(ScanKind::Regular, "", "t0").await.unwrap();
    let jobs: Vec<_> = (0..3)
        .map(|i| job(scan.id, "s1", "app", &format!("v{i}")))
        .collect();
    s.insert_jobs(&jobs).await.unwrap();
    let a = s
        .claim_jobs(scan.id, "s1", "node-a", 0, 100, 2)
        .await
        .unwrap();
    let b = s
        .claim_jobs(scan.id, "s1", "node-b", 0, 100, 1)
        .await
        .unwrap();
    let ids: Vec<i64> = a.iter().chain(&b).map(|j| j.id).collect();
    // node-a renews its two leases; node-b's job is not node-a's to renew.
    assert_eq!(
        s.renew_leases("node-a", &ids, 200).await.unwrap(),
        [a[0].id, a[1].id]
    );
    assert!(s.renew_leases("node-a", &[], 200).await.unwrap().is_empty());
    // At t=150 only node-b's lease (until 100) has expired.
    assert_eq!(s.release_expired_leases(150).await.unwrap(), 1);
    let lease = |j: &crate::JobRecord, owner: &str| crate::JobLease {
        job_id: j.id,
        owner: owner.into(),
        attempt: j.attempts,
    };
    let mut record = super::results::image("reg", "app", "v2", 1);
    record.result = "{\"by\":\"node-b\"}".into();
    // node-b lost its job: nothing is written.
    assert!(
        !s.put_image_leased(&record, &lease(&b[0], "node-b"))
            .await
            .unwrap()
    );
    assert_eq!(s.image("reg/app:v2").await.unwrap(), None);
    let c = s
        .claim_jobs(scan.id, "s1", "node-c", 150, 400, 1)
        .await
        .unwrap();
    assert_eq!(c[0].id, b[0].id);
    record.result = "{\"by\":\"node-c\"}".into();
    assert!(
        s.put_image_leased(&record, &lease(&c[0], "node-c"))
            .await
            .unwrap()
    );
    // node-b wakes up and tries again, with its old lease: refused, node-c's result stays.
    let mut stale = record.clone();
    stale.result = "{\"by\":\"node-b\"}".into();
    assert!(
        !s.put_image_leased(&stale, &lease(&b[0], "node-b"))
            .await
            .unwrap()
    );
    assert_eq!(
        s.image("reg/app:v2").await.unwrap().unwrap().result,
        "{\"by\":\"node-c\"}"
    );
    // node-b cannot renew it either, and a finished job holds no lease.
    assert!(
        s.renew_leases("node-b", &[b[0].id], 500)
            .await
            .unwrap()
            .is_empty()
    );
    s.finish_job(c[0].id, JobState::Done, "", None)
        .await
        .unwrap();
    assert!(
        !s.put_image_leased(&record, &lease(&c[0], "node-c"))
            .await
            .unwrap()
    );
}
