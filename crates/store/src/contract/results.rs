//! Image results: queries, paging in every sort order, kept first scan times, purges.

use super::Factory;
use crate::{ImageQuery, ImageRecord, ImageVersion};

pub(super) fn image(registry: &str, repo: &str, tag: &str, vulns: i64) -> ImageRecord {
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

/// Filters (keys, ids, registries and repositories case-insensitive, full names, search),
/// sorts and pages, with the total of the filter.
pub async fn image_queries_filter_sort_and_page(factory: impl Factory) {
    let s = factory().await;
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
    let (by_id, _) = s
        .images(&ImageQuery {
            image_ids: vec!["sha256:b/dbx".into()],
            keys: vec!["other/b/db:x".into(), "reg:5000/a/web:1".into()],
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(keys(by_id), ["other/b/db:x"], "filters combine with AND");
    let (by_registry, total) = s
        .images(&ImageQuery {
            registries: vec!["REG:5000".into(), "other".into()],
            sort: "registry".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        (keys(by_registry), total),
        (
            vec![
                "other/b/db:x".to_string(),
                "reg:5000/a/web:1".to_string(),
                "reg:5000/a/web:2".to_string()
            ],
            3
        )
    );
}

/// A rescan keeps the first scan time; touching marks images seen; a purge deletes the ones
/// not seen since a time; database versions list every image.
pub async fn images_keep_first_scan_time_touch_and_purge(factory: impl Factory) {
    let s = factory().await;
    assert_eq!(s.image("library/ubuntu:18.04").await.unwrap(), None);
    for (r, repo, tag) in [
        ("", "library/ubuntu", "18.04"),
        ("reg", "a", "1"),
        ("reg", "b", "1"),
    ] {
        s.put_image(&image(r, repo, tag, 1)).await.unwrap();
    }
    let mut again = image("", "library/ubuntu", "18.04", 7);
    again.first_scan_time = "2027-01-01T00:00:00Z".into();
    again.scan_time = "2027-01-01T00:00:00Z".into();
    again.last_seen = "2027-01-01T00:00:00Z".into();
    again.db_version = "2".into();
    s.put_image(&again).await.unwrap();
    let stored = s.image("library/ubuntu:18.04").await.unwrap().unwrap();
    assert_eq!(
        stored,
        ImageRecord {
            first_scan_time: "2026-01-01T00:00:00Z".into(),
            ..again
        }
    );
    assert_eq!(
        s.image_version("library/ubuntu:18.04").await.unwrap(),
        Some(ImageVersion {
            manifest_digest: "sha256:m".into(),
            db_version: "2".into(),
        })
    );
    assert_eq!(s.image_version("reg/missing:1").await.unwrap(), None);
    s.touch_images(
        &["reg/a:1".to_string(), "reg/missing:1".to_string()],
        "2027-02-01T00:00:00Z",
    )
    .await
    .unwrap();
    assert_eq!(
        s.image_db_versions().await.unwrap(),
        [
            ("library/ubuntu:18.04".to_string(), "2".to_string()),
            ("reg/a:1".to_string(), "1".to_string()),
            ("reg/b:1".to_string(), "1".to_string()),
        ]
    );
    assert_eq!(
        s.purge_images_unseen_since("2026-06-01T00:00:00Z")
            .await
            .unwrap(),
        1
    );
    assert_eq!(s.image("reg/b:1").await.unwrap(), None);
    assert!(s.image("reg/a:1").await.unwrap().is_some());
    assert_eq!(s.images(&ImageQuery::default()).await.unwrap().1, 2);
}

/// Pages are chosen over the light columns and then read whole: walking every page in any sort
/// order, either way round, gives each image exactly once and in the order of the unpaged query,
/// with ties broken by key.
pub async fn pages_of_every_sort_order_tile_the_whole_list(factory: impl Factory) {
    let s = factory().await;
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
