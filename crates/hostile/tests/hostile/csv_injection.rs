//! CSV formula injection end to end: a misbehaving registry (the fault proxy in front of a real
//! one) lists a repository named `-cmd/app` and tags such as `=HYPERLINK(…)`; an image carries an
//! npm package named `=HYPERLINK(…)` that a feed record (derived from a real GHSA record)
//! matches, and a label starting with `@`. After a real scan through the Console, every cell of
//! `GET /registry/download` that a spreadsheet would read as a formula starts with `'`, the
//! hostile tags are reported as discovery errors, and the rest of the scan completes.

use super::api::Console;
use super::support::{REAL_RECORDS, base_layer, copy_real_records, corpus, real_record, until};
use crowsnest_testkit::{Fault, FaultProxy, RegistryBuilder, tar_layer};
use sha2::{Digest as _, Sha256};

const FORMULA_PACKAGE: &str = "=HYPERLINK(\"http://evil.example/\",\"x\")";
const FORMULA_SUMMARY: &str = "=cmd|' /C calc'!A0";
const FORMULA_TAGS: [&str; 5] = [
    "=HYPERLINK(\"http://evil.example/\")",
    "+cmd",
    "-2",
    "@SUM(A1)",
    "latest\u{202e}gpj",
];

fn digest(b: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(b)))
}

/// The real minimist record, re-keyed to the formula-named package.
fn formula_record() -> String {
    let mut v: serde_json::Value = serde_json::from_slice(&real_record(REAL_RECORDS[0])).unwrap();
    v["id"] = "CROWSNEST-HOSTILE-CSV-1".into();
    v["aliases"] = serde_json::json!([]);
    v["summary"] = FORMULA_SUMMARY.into();
    v["details"] = FORMULA_SUMMARY.into();
    for a in v["affected"].as_array_mut().unwrap() {
        a["package"]["name"] = FORMULA_PACKAGE.into();
    }
    v.to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn formula_names_come_out_of_the_csv_neutralised() {
    let Some(registry) = RegistryBuilder::new().start_or_skip().await else {
        return;
    };
    let corpus = corpus();
    for id in [
        "csv-formula-repository",
        "csv-formula-tags",
        "csv-formula-package-and-label",
    ] {
        corpus.case(id);
    }
    let pusher = registry.pusher();
    let pj = |n: &str| {
        format!(
            r#"{{"name":{},"version":"1.2.5","license":"MIT"}}"#,
            serde_json::json!(n)
        )
    };
    let app = tar_layer(&[
        ("srv/app/node_modules/minimist/package.json", pj("minimist")),
        (
            "srv/app/node_modules/hyperlink/package.json",
            pj(FORMULA_PACKAGE),
        ),
    ]);
    let layers = [base_layer(), app];
    let config = serde_json::json!({
        "created": "2024-01-01T00:00:00Z", "architecture": "amd64", "os": "linux",
        "config": {"Labels": {"@evil-label": FORMULA_SUMMARY}},
        "rootfs": {"type": "layers", "diff_ids": layers.iter().map(|l| digest(l)).collect::<Vec<_>>()},
    })
    .to_string();
    for l in &layers {
        pusher.push_blob("formula/app", l).await.unwrap();
    }
    pusher
        .push_blob("formula/app", config.as_bytes())
        .await
        .unwrap();
    let manifest = serde_json::json!({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": digest(config.as_bytes()), "size": config.len()},
        "layers": layers.iter().map(|l| serde_json::json!({
            "mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": digest(l), "size": l.len()})).collect::<Vec<_>>(),
    })
    .to_string();
    pusher
        .push_manifest(
            "formula/app",
            "1",
            "application/vnd.oci.image.manifest.v1+json",
            manifest.as_bytes(),
        )
        .await
        .unwrap();

    // The misbehaving registry: names a real registry refuses, over the real one's data.
    let proxy = FaultProxy::start(&registry.url()).await.unwrap();
    let json = |v: serde_json::Value| Fault::Serve {
        status: 200,
        headers: vec![("content-type".into(), "application/json".into())],
        body: v.to_string().into_bytes(),
    };
    proxy.inject(
        "/v2/_catalog",
        json(serde_json::json!({"repositories": ["-cmd/app", "formula/app", "tags/app"]})),
    );
    proxy.inject(
        "/v2/tags/app/tags/list",
        json(serde_json::json!({"name": "tags/app", "tags": FORMULA_TAGS})),
    );
    proxy.inject(
        "/v2/-cmd/app/",
        Fault::Rewrite {
            with: "/v2/formula/app/".into(),
        },
    );

    let feeds = tempfile::tempdir().unwrap();
    copy_real_records(feeds.path());
    std::fs::write(feeds.path().join("formula.json"), formula_record()).unwrap();
    let c = Console::start(Some(feeds.path().to_path_buf())).await;
    let a = "/api/v32.04";
    let spec = serde_json::json!({"version":"2","registry": proxy.url(),"repository":"*","tag":"","os":"linux","cap":0,"scanners":2,"collections":["All"]});
    let r = c
        .admin(
            reqwest::Method::POST,
            &format!("{a}/settings/registry?scanLater=true"),
        )
        .header("content-type", "application/json")
        .body(spec.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = c
        .admin(reqwest::Method::POST, &format!("{a}/registry/scan"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    until("the scan through the misbehaving registry", 120, || async {
        let (_, status) = c.get_text(&format!("{a}/statuses/registry")).await;
        let (_, progress) = c.get_text(&format!("{a}/registry/progress")).await;
        let s: serde_json::Value = serde_json::from_str(&status).unwrap();
        s["completed"] == true
            && !progress.contains("\"isScanOngoing\":true")
            && progress.contains("\"total\":2")
    })
    .await;

    // The rest of the scan completed: both real images are stored with their findings.
    let (_, results) = c.get_text(&format!("{a}/registry?limit=50")).await;
    let results: serde_json::Value = serde_json::from_str(&results).unwrap();
    let repos: Vec<&str> = results
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["repoTag"]["repo"].as_str().unwrap())
        .collect();
    assert_eq!(repos.len(), 2, "{repos:?}");
    assert!(
        repos.contains(&"-cmd/app") && repos.contains(&"formula/app"),
        "{repos:?}"
    );

    // Each hostile tag is a clear discovery error naming it.
    let (_, status) = c.get_text(&format!("{a}/statuses/registry")).await;
    let status: serde_json::Value = serde_json::from_str(&status).unwrap();
    let errors: Vec<String> = status["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e.as_str().unwrap().to_string())
        .collect();
    let tags_case = corpus.case("csv-formula-tags");
    for tag in FORMULA_TAGS {
        assert!(
            errors
                .iter()
                .any(|e| tags_case.matches(e) && e.contains(&format!("{:?}", tag))),
            "no error for tag {tag:?}: {errors:#?}"
        );
    }

    let (code, csv_text) = c.get_text(&format!("{a}/registry/download")).await;
    assert_eq!(code, 200);
    let mut reader = csv::ReaderBuilder::new().from_reader(csv_text.as_bytes());
    let header = reader.headers().unwrap().clone();
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert!(!rows.is_empty());
    for row in &rows {
        for cell in row {
            assert!(
                !cell.starts_with(['=', '+', '-', '@', '\t', '\r', '\n']),
                "a cell a spreadsheet would evaluate: {cell:?} in {row:?}"
            );
        }
    }
    let has = |column: &str, wanted: &str| rows.iter().any(|r| &r[col(column)] == wanted);
    assert!(has("Repository", "'-cmd/app"), "{csv_text}");
    assert!(
        has("Packages", &format!("'{FORMULA_PACKAGE}")),
        "{csv_text}"
    );
    assert!(
        rows.iter()
            .any(|r| r[col("Custom Labels")].starts_with("'@evil-label")),
        "{csv_text}"
    );
    assert!(
        rows.iter()
            .any(|r| r[col("Description")].starts_with(&format!("'{FORMULA_SUMMARY}"))),
        "{csv_text}"
    );
    assert!(
        has("CVE ID", "CVE-2021-44906"),
        "the real record still matches minimist: {csv_text}"
    );
}
