//! Manifest, config, blob, layer and package-DB cases in ONE registry scan beside good images.
//!
//! Good images are scanned first and their stored results kept. Then every image case is pushed
//! as `hostile/<id>:latest` (through the registry where it accepts the bytes, served by the
//! fault proxy where a real registry would refuse them) and a single regular scan covers the
//! whole registry. Each case is then checked against its row in `cases.toml`: the discovery
//! error, the failed job's error, or the stored inventory's warning; the good images' results
//! must be byte-for-byte what they were, and the store and database must still open.

use super::support::{
    app_layer, base_layer, build_real_db, corpus, engine, open_store, steps_until_idle, strings,
};
use crowsnest_hostile::{Case, Corpus, Kind, Outcome, recipe};
use crowsnest_model::spec::RegistrySpecification;
use crowsnest_registry::{Credentials, DiscoveryOptions};
use crowsnest_store::ImageQuery;
use crowsnest_testkit::{Fault, FaultProxy, ImageBuilder, IndexBuilder, Pusher, RegistryBuilder};
use sha2::{Digest as _, Sha256};
use std::collections::BTreeMap;

const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
const OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
const OCI_LAYER: &str = "application/vnd.oci.image.layer.v1.tar";

fn digest(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

fn spec(proxy: &FaultProxy, repository: &str) -> RegistrySpecification {
    let mut s = RegistrySpecification {
        id: format!("spec-{repository}"),
        version: "2".into(),
        registry: proxy.url().to_string(),
        repository: repository.into(),
        os: "linux".into(),
        cap: 0,
        scanners: 3,
        collections: vec!["All".into()],
        ..Default::default()
    };
    s.validate().unwrap();
    s
}

/// A config as the testkit writes one, with a label that makes it unique to `id`.
fn config_for(id: &str, layers: &[Vec<u8>]) -> Vec<u8> {
    serde_json::json!({
        "created": "2024-01-01T00:00:00Z", "architecture": "amd64", "os": "linux",
        "config": {"Labels": {"crowsnest.hostile": id}},
        "rootfs": {"type": "layers", "diff_ids": layers.iter().map(|l| digest(l)).collect::<Vec<_>>()},
    })
    .to_string()
    .into_bytes()
}

fn manifest_for(config: &[u8], config_size: i64, layers: &[Vec<u8>]) -> Vec<u8> {
    serde_json::json!({
        "schemaVersion": 2, "mediaType": OCI_MANIFEST,
        "config": {"mediaType": OCI_CONFIG, "digest": digest(config), "size": config_size},
        "layers": layers.iter().map(|l| serde_json::json!({
            "mediaType": OCI_LAYER, "digest": digest(l), "size": l.len()
        })).collect::<Vec<_>>(),
    })
    .to_string()
    .into_bytes()
}

/// Pushes `layers` and `config` and puts the manifest under `repo:latest`.
async fn push_raw(pusher: &Pusher, repo: &str, layers: &[Vec<u8>], config: &[u8], size: i64) {
    for l in layers {
        pusher.push_blob(repo, l).await.unwrap();
    }
    pusher.push_blob(repo, config).await.unwrap();
    let m = manifest_for(config, size, layers);
    pusher
        .push_manifest(repo, "latest", OCI_MANIFEST, &m)
        .await
        .unwrap();
}

/// A layer only this case has, so the shared layer cache cannot answer for it; it holds
/// minimist 1.2.5 so a scanned image shows its finding.
fn own_layer(id: &str) -> Vec<u8> {
    crowsnest_testkit::tar_layer(&[
        (format!("hostile/{id}"), id.to_string()),
        (
            "opt/own/node_modules/minimist/package.json".to_string(),
            r#"{"name":"minimist","version":"1.2.5"}"#.to_string(),
        ),
    ])
}

/// Makes the proxy answer `bytes` for `repo:latest` and for the digest of `bytes`.
fn serve_manifest(proxy: &FaultProxy, repo: &str, bytes: Vec<u8>, header_digest: String) {
    let media_type = serde_json::from_slice::<serde_json::Value>(&bytes)
        .ok()
        .and_then(|v| v["mediaType"].as_str().map(str::to_string))
        .unwrap_or_else(|| OCI_MANIFEST.to_string());
    let fault = Fault::Serve {
        status: 200,
        headers: vec![
            ("content-type".into(), media_type),
            ("docker-content-digest".into(), header_digest),
        ],
        body: bytes.clone(),
    };
    proxy.inject(&format!("/v2/{repo}/manifests/latest"), fault.clone());
    proxy.inject(&format!("/v2/{repo}/manifests/{}", digest(&bytes)), fault);
}

/// Puts one case into the registry (and the proxy).
async fn stage(corpus: &Corpus, case: &Case, pusher: &Pusher, proxy: &FaultProxy) {
    let repo = case.repo();
    let bytes = corpus.bytes(case).unwrap();
    let good = vec![base_layer(), app_layer("1.2.5", "4.17.20")];
    match (case.kind, case.recipe.as_deref()) {
        (Kind::Layer | Kind::Pkgdb, _) => {
            let mut layers = good;
            layers.push(bytes.expect("layer cases have bytes"));
            let config = config_for(&case.id, &layers);
            push_raw(pusher, &repo, &layers, &config, config.len() as i64).await;
        }
        (Kind::Config, Some("config-size-mismatch")) => {
            let config = config_for(&case.id, &good);
            push_raw(pusher, &repo, &good, &config, 10).await;
        }
        (Kind::Config, _) => {
            let config = bytes.expect("config cases have bytes");
            push_raw(pusher, &repo, &good, &config, config.len() as i64).await;
        }
        (Kind::Blob, Some(r)) => {
            let mut layers = good;
            layers.push(own_layer(&case.id));
            let config = config_for(&case.id, &layers);
            push_raw(pusher, &repo, &layers, &config, config.len() as i64).await;
            let layer_path = format!("/v2/{repo}/blobs/{}", digest(&layers[2]));
            let config_path = format!("/v2/{repo}/blobs/{}", digest(&config));
            match r {
                "proxy-corrupt-config" => proxy.inject(&config_path, Fault::Corrupt),
                "proxy-corrupt-layer" => proxy.inject(&layer_path, Fault::Corrupt),
                "proxy-corrupt-layer-end" => proxy.inject(&layer_path, Fault::CorruptLast),
                "proxy-truncate-layer" => proxy.inject(&layer_path, Fault::Truncate),
                "proxy-404-layer" => proxy.inject(&layer_path, Fault::Status(404)),
                "proxy-html-layer" => proxy.inject(
                    &layer_path,
                    Fault::Serve {
                        status: 200,
                        headers: vec![("content-type".into(), "text/html".into())],
                        body: b"<html><body>Please log in to the hotel Wi-Fi</body></html>"
                            .to_vec(),
                    },
                ),
                other => panic!("{}: unknown blob recipe {other}", case.id),
            }
        }
        (Kind::Manifest, recipe) => {
            // A real image under the tag, so the tag exists and the templates have real
            // digests to point at; the proxy then answers the hostile bytes in its place.
            let mut layers = good;
            layers.push(own_layer(&case.id));
            let image = ImageBuilder::oci().label(&case.id).layers(layers.clone());
            let pushed = pusher.push_image(&repo, "latest", &image).await.unwrap();
            let (served, header_digest) = match recipe {
                Some("manifest-digest-mismatch") => {
                    let (real, _, _) = pusher
                        .raw_manifest(&repo, "latest", Some(OCI_MANIFEST))
                        .await
                        .unwrap();
                    (real, digest(b"some other manifest"))
                }
                Some("manifest-oversized") => {
                    let b = recipe::build("manifest-oversized").unwrap();
                    let d = digest(&b);
                    (b, d)
                }
                _ => {
                    let template =
                        String::from_utf8_lossy(&bytes.expect("a template")).into_owned();
                    let mut text = template
                        .replace(
                            "\"@CONFIG_DIGEST@\"",
                            &format!("\"{}\"", pushed.config_digest),
                        )
                        .replace("\"@CONFIG_SIZE@\"", &pushed.config_size.to_string())
                        .replace("\"@LAYER_DIGEST@\"", &format!("\"{}\"", pushed.layers[2].0))
                        .replace("\"@LAYER_SIZE@\"", &pushed.layers[2].1.to_string())
                        .replace("\"@MANIFEST_DIGEST@\"", &format!("\"{}\"", pushed.digest))
                        .replace("\"@MANIFEST_SIZE@\"", &pushed.manifest_size.to_string());
                    if text.contains("@SELF_INDEX_DIGEST@") {
                        let inner = IndexBuilder::oci(vec![ImageBuilder::oci().label("inner")]);
                        let idx = pusher
                            .push_index(&repo, "inner-index", &inner)
                            .await
                            .unwrap();
                        let (raw, _, _) = pusher
                            .raw_manifest(&repo, &idx.digest, Some(&idx.media_type))
                            .await
                            .unwrap();
                        text = text
                            .replace("\"@SELF_INDEX_DIGEST@\"", &format!("\"{}\"", idx.digest))
                            .replace("\"@SELF_INDEX_SIZE@\"", &raw.len().to_string());
                    }
                    let b = text.into_bytes();
                    let d = digest(&b);
                    (b, d)
                }
            };
            serve_manifest(proxy, &repo, served, header_digest);
        }
        (kind, r) => panic!("{}: {kind:?}/{r:?} is not an image case", case.id),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_image_case_in_one_scan_beside_good_images() {
    let Some(registry) = RegistryBuilder::new().start_or_skip().await else {
        return;
    };
    let corpus = corpus();
    let pusher = registry.pusher();
    let proxy = FaultProxy::start(&registry.url()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let db_path = dir.path().join("vulndb/crowsnest.db");
    build_real_db(dir.path(), &db_path);
    let reg = proxy.url().trim_start_matches("http://").to_string();

    // Good images first, scanned alone; their stored results are the reference.
    for (tag, minimist) in [("1", "1.2.5"), ("2", "1.2.6")] {
        let image = ImageBuilder::oci()
            .label(tag)
            .layers(vec![base_layer(), app_layer(minimist, "4.17.21")]);
        pusher.push_image("good/app", tag, &image).await.unwrap();
    }
    let store = open_store(dir.path()).await;
    store
        .replace_specifications(&[spec(&proxy, "good/*")])
        .await
        .unwrap();
    let eng = engine(store.clone(), &db_path);
    eng.request_scan(None).await.unwrap();
    steps_until_idle(&eng).await;
    let (before, n) = store.images(&ImageQuery::default()).await.unwrap();
    assert_eq!(n, 2);
    let good1 = store
        .image(&format!("{reg}/good/app:1"))
        .await
        .unwrap()
        .unwrap();
    assert!(
        good1.result.contains("CVE-2021-44906"),
        "minimist 1.2.5 matches the real GHSA record"
    );

    // Every image case at once.
    let cases = corpus.of_kind(&[
        Kind::Manifest,
        Kind::Config,
        Kind::Blob,
        Kind::Layer,
        Kind::Pkgdb,
    ]);
    for case in &cases {
        stage(&corpus, case, &pusher, &proxy).await;
    }
    store
        .replace_specifications(&[spec(&proxy, "*")])
        .await
        .unwrap();
    eng.request_scan(None).await.unwrap();
    steps_until_idle(&eng).await;
    let scan = store.latest_scan("regular").await.unwrap().unwrap();
    assert_eq!(scan.state, "completed", "{scan:?}");
    let jobs = store.jobs(scan.id).await.unwrap();

    // Discovery's view of each tag, from the same code the engine ran.
    let report = crowsnest_registry::discover(
        &spec(&proxy, "hostile/*"),
        Credentials::default(),
        &DiscoveryOptions::default(),
    )
    .await
    .unwrap();
    let discovery: BTreeMap<String, String> = report
        .errors
        .iter()
        .filter(|e| e.tag == "latest")
        .map(|e| (e.repo.clone(), e.to_string()))
        .collect();

    let mut problems = Vec::new();
    for case in &cases {
        let repo = case.repo();
        let key = format!("{reg}/{repo}:latest");
        let job = jobs.iter().find(|j| j.repo == repo && j.tag == "latest");
        let stored = store.image(&key).await.unwrap();
        let verdict: Result<(), String> = match case.outcome {
            Outcome::DiscoveryFails => match discovery.get(&repo) {
                Some(e) if case.matches(e) && job.is_none() && stored.is_none() => Ok(()),
                other => Err(format!("discovery error {other:?}, job {job:?}")),
            },
            Outcome::ImageFails => match job {
                Some(j) if j.state == "failed" && case.matches(&j.error) && stored.is_none() => {
                    if j.error.contains(&repo) {
                        Ok(())
                    } else {
                        Err(format!("the error does not name the image: {}", j.error))
                    }
                }
                other => Err(format!(
                    "job {other:?}, discovery {:?}, stored {}",
                    discovery.get(&repo),
                    stored.is_some()
                )),
            },
            Outcome::Warning | Outcome::Scanned => match &stored {
                None => Err(format!(
                    "not stored; job {job:?}, discovery {:?}",
                    discovery.get(&repo)
                )),
                Some(r) => {
                    let inv: serde_json::Value = serde_json::from_str(&r.inventory).unwrap();
                    let warnings: Vec<String> = inv["inventory"]["warnings"]
                        .as_array()
                        .or(inv["warnings"].as_array())
                        .map(|a| {
                            a.iter()
                                .filter_map(|w| w.as_str().map(str::to_string))
                                .collect()
                        })
                        .unwrap_or_default();
                    let mut all = Vec::new();
                    strings(&inv, &mut all);
                    let found = if case.outcome == Outcome::Warning {
                        warnings.iter().any(|w| case.matches(w))
                    } else {
                        all.iter().any(|s| case.matches(s))
                    };
                    let below_still_matched = r.result.contains("CVE-2021-44906");
                    if found && below_still_matched {
                        Ok(())
                    } else {
                        Err(format!(
                            "found {found}, minimist still matched {below_still_matched}; warnings {warnings:?}"
                        ))
                    }
                }
            },
            other => Err(format!("{other:?} is not an image outcome")),
        };
        if let Err(why) = verdict {
            problems.push(format!(
                "{} ({:?}, expect {:?}): {why}",
                case.id, case.outcome, case.expect
            ));
        }
    }

    // The good images were not touched by the hostile scan.
    for old in &before {
        let now = store.image(&old.key).await.unwrap().unwrap();
        if (
            now.result.as_str(),
            now.inventory.as_str(),
            now.manifest_digest.as_str(),
        ) != (
            old.result.as_str(),
            old.inventory.as_str(),
            old.manifest_digest.as_str(),
        ) {
            problems.push(format!("{} changed during the hostile scan", old.key));
        }
    }
    assert!(
        problems.is_empty(),
        "{} of {} image cases failed:\n{}",
        problems.len(),
        cases.len(),
        problems.join("\n")
    );

    // The store and the database still open and answer.
    drop(eng);
    let reopened = open_store(dir.path()).await;
    let again = reopened
        .image(&format!("{reg}/good/app:1"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(again.result, good1.result);
    let db = crowsnest_vulndb::Database::open(&db_path).unwrap();
    assert_eq!(db.status().malformed, 0);
}
