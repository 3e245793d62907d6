//! Content that shows every Harbor case at once, pushed to a real registry for the Harbor
//! simulator to serve: an artifact holding three tags, its cosign signature, a Helm chart, an
//! untagged image, a nested repository name (double URL-encoding), a repository with more
//! artifacts than one page of 100 holds, and a repository outside any project.

use crate::{ImageBuilder, Pusher, Result, tar_layer};

/// What [`push`] wrote, for tests to check against.
#[derive(Debug, Clone)]
pub struct Showcase {
    /// `team/api`'s artifact tagged `1.1`, `latest` and `stable`.
    pub three_tags: String,
    /// Its config blob's digest.
    pub three_tags_config: String,
    /// The one layer every showcase image shares.
    pub layer: String,
    /// The cosign signature tag of that artifact (`sha256-<hex>.sig`).
    pub signature_tag: String,
    /// `team/api`'s untagged image (tagged `untagged-old` upstream, hidden by the simulator).
    pub untagged: String,
    /// How many images `big/many` holds.
    pub many: usize,
}

/// Pushes the showcase: `team/api` (`1.0`; `1.1` = `latest` = `stable`; the signature of
/// `1.1`; the Helm chart `chart-0.1.0`; one untagged image), `team/sub/worker` (`v1`, `v2`),
/// `big/many` (`many` images `t000`…, one minute apart) and `web:2.0` (no project).
pub async fn push(p: &Pusher, many: usize) -> Result<Showcase> {
    // One real layer (an Alpine-style os-release) shared by every image: each differs by its
    // config alone, so a scanner reads the layer once.
    let base = tar_layer(&[(
        "etc/os-release",
        "ID=alpine\nVERSION_ID=3.19.1\nPRETTY_NAME=\"Alpine Linux v3.19\"\n",
    )]);
    let img = |label: &str, created: &str| {
        ImageBuilder::oci()
            .created(created)
            .label(label)
            .layers(vec![base.clone()])
    };
    p.push_image("team/api", "1.0", &img("api-1.0", "2024-01-01T00:00:00Z"))
        .await?;
    let shared = img("api-1.1", "2024-02-01T00:00:00Z");
    let three = p.push_image("team/api", "1.1", &shared).await?;
    for tag in ["latest", "stable"] {
        p.push_image("team/api", tag, &shared).await?;
    }
    let untagged = p
        .push_image(
            "team/api",
            "untagged-old",
            &img("api-old", "2023-06-01T00:00:00Z"),
        )
        .await?;
    let oci = "application/vnd.oci.image.manifest.v1+json";
    let artifact = |config_type: &str, config: &[u8], layer_type: &str, layer: &[u8]| {
        let (config, layer) = (config.to_vec(), layer.to_vec());
        let (config_type, layer_type) = (config_type.to_string(), layer_type.to_string());
        async move {
            let c = p.push_blob("team/api", &config).await?;
            let l = p.push_blob("team/api", &layer).await?;
            Ok::<_, crate::Error>(
                serde_json::to_vec(&serde_json::json!({
                    "schemaVersion": 2,
                    "mediaType": oci,
                    "config": {"mediaType": config_type, "digest": c, "size": config.len()},
                    "layers": [{"mediaType": layer_type, "digest": l, "size": layer.len()}],
                }))
                .unwrap_or_default(),
            )
        }
    };
    let signature = artifact(
        "application/vnd.oci.image.config.v1+json",
        br#"{"architecture":"","os":"","rootfs":{"type":"layers","diff_ids":[]}}"#,
        "application/vnd.dev.cosign.simplesigning.v1+json",
        br#"{"critical":{"image":{"docker-manifest-digest":"x"}}}"#,
    )
    .await?;
    let signature_tag = format!("{}.sig", three.digest.replace(':', "-"));
    p.push_manifest("team/api", &signature_tag, oci, &signature)
        .await?;
    let chart = artifact(
        "application/vnd.cncf.helm.config.v1+json",
        br#"{"name":"api","version":"0.1.0","apiVersion":"v2"}"#,
        "application/vnd.cncf.helm.chart.content.v1.tar+gzip",
        b"chart bytes",
    )
    .await?;
    p.push_manifest("team/api", "chart-0.1.0", oci, &chart)
        .await?;
    for (tag, created) in [
        ("v1", "2024-03-01T00:00:00Z"),
        ("v2", "2024-04-01T00:00:00Z"),
    ] {
        p.push_image(
            "team/sub/worker",
            tag,
            &img(&format!("worker-{tag}"), created),
        )
        .await?;
    }
    for i in 0..many {
        let created = format!(
            "2024-05-{:02}T{:02}:{:02}:00Z",
            1 + i / 1440,
            i / 60 % 24,
            i % 60
        );
        p.push_image(
            "big/many",
            &format!("t{i:03}"),
            &img(&format!("many-{i}"), &created),
        )
        .await?;
    }
    p.push_image("web", "2.0", &img("web", "2023-01-01T00:00:00Z"))
        .await?;
    Ok(Showcase {
        three_tags: three.digest,
        three_tags_config: three.config_digest,
        layer: three.layers[0].0.clone(),
        signature_tag,
        untagged: untagged.digest,
        many,
    })
}
