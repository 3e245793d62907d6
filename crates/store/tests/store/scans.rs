//! Scans and jobs: one regular scan at a time, atomic claims, leases that expire and come back,
//! image queries.

use crowsnest_store::{
    ImageQuery, ImageRecord, JobRecord, MasterKey, SecretBox, SqliteStore, Store, StoreError,
};

async fn store() -> (SqliteStore, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("s.sqlite").display());
    (
        SqliteStore::open(&url, SecretBox::new(&MasterKey::generate()))
            .await
            .unwrap(),
        dir,
    )
}

fn job(scan_id: i64, repo: &str, tag: &str) -> JobRecord {
    JobRecord {
        id: 0,
        scan_id,
        spec_id: "s1".into(),
        registry: "reg".into(),
        repo: repo.into(),
        tag: tag.into(),
        digest: String::new(),
        created: None,
        state: "pending".into(),
        attempts: 0,
        error: String::new(),
    }
}

#[tokio::test]
async fn one_regular_scan_at_a_time_on_demand_beside_it() {
    let (s, _d) = store().await;
    let a = s.create_scan("regular", "", "t0").await.unwrap();
    assert!(matches!(
        s.create_scan("regular", "", "t1").await,
        Err(StoreError::Conflict(_))
    ));
    s.create_scan("onDemand", "{}", "t1").await.unwrap();
    assert!(s.finish_scan(a.id, "stopped", "t2").await.unwrap());
    assert!(
        !s.finish_scan(a.id, "completed", "t3").await.unwrap(),
        "only a running scan can finish"
    );
    s.create_scan("regular", "", "t4").await.unwrap();
}

#[tokio::test]
async fn claims_are_exclusive_and_expired_leases_return() {
    let (s, _d) = store().await;
    let scan = s.create_scan("regular", "", "t0").await.unwrap();
    let jobs: Vec<_> = (0..5)
        .map(|i| job(scan.id, "app", &format!("v{i}")))
        .collect();
    assert_eq!(s.insert_jobs(&jobs).await.unwrap(), 5);
    assert_eq!(
        s.insert_jobs(&jobs).await.unwrap(),
        0,
        "rediscovery adds nothing twice"
    );
    let a = s.claim_jobs(scan.id, "s1", "node-a", 100, 3).await.unwrap();
    let b = s.claim_jobs(scan.id, "s1", "node-b", 100, 3).await.unwrap();
    assert_eq!((a.len(), b.len()), (3, 2));
    assert!(a.iter().all(|j| !b.iter().any(|k| k.id == j.id)));
    s.finish_job(a[0].id, "done", "").await.unwrap();
    // node-a dies; at t=101 its leases have expired.
    assert_eq!(s.release_expired_leases(50).await.unwrap(), 0);
    assert_eq!(s.release_expired_leases(101).await.unwrap(), 4);
    let again = s
        .claim_jobs(scan.id, "s1", "node-c", 300, 10)
        .await
        .unwrap();
    assert_eq!(again.len(), 4);
    assert!(again.iter().all(|j| j.attempts == 2));
    let c = s.job_counts(scan.id, None).await.unwrap();
    assert_eq!((c.total, c.done, c.running), (5, 1, 4));
    assert_eq!(s.cancel_jobs(scan.id, Some("s1")).await.unwrap(), 4);
    assert_eq!(
        s.job_counts(scan.id, Some("s1")).await.unwrap().finished(),
        5
    );
}

fn image(registry: &str, repo: &str, tag: &str, vulns: i64) -> ImageRecord {
    let key = if registry.is_empty() {
        format!("{repo}:{tag}")
    } else {
        format!("{registry}/{repo}:{tag}")
    };
    ImageRecord {
        key,
        registry: registry.into(),
        repo: repo.into(),
        tag: tag.into(),
        manifest_digest: "sha256:m".into(),
        image_id: format!("sha256:{repo}{tag}"),
        spec_id: "s".into(),
        scan_time: "2026-01-01T00:00:00Z".into(),
        first_scan_time: "2026-01-01T00:00:00Z".into(),
        last_seen: "2026-01-01T00:00:00Z".into(),
        vulns,
        db_version: "1".into(),
        inventory: "{}".into(),
        result: "{}".into(),
    }
}

#[tokio::test]
async fn image_queries_filter_sort_and_page() {
    let (s, _d) = store().await;
    for (r, repo, tag, v) in [
        ("reg:5000", "a/web", "1", 3),
        ("reg:5000", "a/web", "2", 9),
        ("", "library/ubuntu", "18.04", 5),
        ("other", "b/db", "x", 0),
    ] {
        s.put_image(&image(r, repo, tag, v)).await.unwrap();
    }
    let keys = |v: Vec<ImageRecord>| v.into_iter().map(|i| i.key).collect::<Vec<_>>();
    let (all, total) = s.images(&ImageQuery::default()).await.unwrap();
    assert_eq!(total, 4);
    assert_eq!(
        keys(all),
        [
            "library/ubuntu:18.04",
            "other/b/db:x",
            "reg:5000/a/web:1",
            "reg:5000/a/web:2"
        ]
    );
    let (page, total) = s
        .images(&ImageQuery {
            repositories: vec!["A/WEB".into()],
            limit: 1,
            offset: 1,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        (keys(page), total),
        (vec!["reg:5000/a/web:2".to_string()], 2)
    );
    let (top, _) = s
        .images(&ImageQuery {
            sort: "vulnerabilities".into(),
            reverse: true,
            limit: 1,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(keys(top), ["reg:5000/a/web:2"]);
    let (hub, _) = s
        .images(&ImageQuery {
            names: vec!["library/ubuntu:18.04".into()],
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(hub.len(), 1);
    let (found, _) = s
        .images(&ImageQuery {
            search: Some("UBUN".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(found.len(), 1);
    // first_scan_time is kept across rescans.
    let mut again = image("", "library/ubuntu", "18.04", 1);
    again.first_scan_time = "2027-01-01T00:00:00Z".into();
    again.last_seen = "2027-01-01T00:00:00Z".into();
    s.put_image(&again).await.unwrap();
    assert_eq!(
        s.image("library/ubuntu:18.04")
            .await
            .unwrap()
            .unwrap()
            .first_scan_time,
        "2026-01-01T00:00:00Z"
    );
    assert_eq!(
        s.purge_images_unseen_since("2026-06-01T00:00:00Z")
            .await
            .unwrap(),
        3
    );
}

#[tokio::test]
async fn scan_errors_keep_the_latest() {
    let (s, _d) = store().await;
    for i in 0..15 {
        s.push_scan_error("t", &format!("e{i}"), 10).await.unwrap();
    }
    let e = s.scan_errors(10).await.unwrap();
    assert_eq!(e.len(), 10);
    assert_eq!(e[0], "e14");
}

/// Pages are chosen over the light columns and then read whole: walking every page in any sort
/// order, either way round, gives each image exactly once and in the order of the unpaged query,
/// with ties broken by key.
#[tokio::test]
async fn pages_of_every_sort_order_tile_the_whole_list() {
    let (s, _d) = store().await;
    for i in 0..23 {
        let registry = ["reg:5000", "", "other"][i % 3];
        let repo = format!("team{}/app", i % 4);
        s.put_image(&image(registry, &repo, &format!("v{i}"), (i % 5) as i64))
            .await
            .unwrap();
    }
    let keys = |v: Vec<ImageRecord>| v.into_iter().map(|i| i.key).collect::<Vec<_>>();
    for sort in [
        "",
        "vulnerabilities",
        "repository",
        "registry",
        "tag",
        "scanTime",
    ] {
        for reverse in [false, true] {
            let query = ImageQuery {
                sort: sort.into(),
                reverse,
                ..Default::default()
            };
            let (all, total) = s.images(&query).await.unwrap();
            assert_eq!((all.len(), total), (23, 23));
            if sort == "vulnerabilities" {
                let vulns: Vec<i64> = all.iter().map(|i| i.vulns).collect();
                let mut sorted = vulns.clone();
                sorted.sort();
                if reverse {
                    sorted.reverse();
                }
                assert_eq!(
                    vulns, sorted,
                    "sorted by vulnerabilities, reverse {reverse}"
                );
            }
            let mut paged = Vec::new();
            for offset in (0..23).step_by(5) {
                let (page, total) = s
                    .images(&ImageQuery {
                        offset,
                        limit: 5,
                        ..query.clone()
                    })
                    .await
                    .unwrap();
                assert_eq!(total, 23);
                paged.extend(keys(page));
            }
            assert_eq!(paged, keys(all), "sort {sort:?}, reverse {reverse}");
        }
    }
    let (rest, _) = s
        .images(&ImageQuery {
            offset: 20,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(rest.len(), 3, "an offset without a limit gives the rest");
}
