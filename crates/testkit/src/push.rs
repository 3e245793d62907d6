//! Pushing synthetic images through the distribution API: blobs by monolithic upload
//! (`POST …/blobs/uploads/` then `PUT <location>&digest=`), manifests by `PUT`. Images are built
//! from an [`ImageBuilder`] (Docker schema 2 or OCI, chosen `created`, platform, layers) and
//! multi-platform tags from an [`IndexBuilder`] (OCI index or Docker manifest list, optionally
//! with an attestation entry as BuildKit writes one).

use crate::token::TokenState;
use crate::{Error, Result};
use sha2::{Digest as _, Sha256};
use std::sync::Arc;

const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
const OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
const OCI_LAYER: &str = "application/vnd.oci.image.layer.v1.tar";
const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
const DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
const DOCKER_CONFIG: &str = "application/vnd.docker.container.image.v1+json";
const DOCKER_LAYER: &str = "application/vnd.docker.image.rootfs.diff.tar.gzip";

fn digest(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

/// Manifest flavour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Oci,
    Docker,
}

/// One synthetic single-platform image.
#[derive(Debug, Clone)]
pub struct ImageBuilder {
    format: Format,
    created: String,
    os: String,
    arch: String,
    variant: Option<String>,
    layers: Vec<Vec<u8>>,
    label: String,
}

impl ImageBuilder {
    /// An OCI image, linux/amd64, created 2024-01-01, with one small layer.
    pub fn oci() -> ImageBuilder {
        ImageBuilder {
            format: Format::Oci,
            created: "2024-01-01T00:00:00Z".into(),
            os: "linux".into(),
            arch: "amd64".into(),
            variant: None,
            layers: vec![b"crowsnest synthetic layer\n".to_vec()],
            label: String::new(),
        }
    }

    /// The same as a Docker schema 2 image.
    pub fn docker() -> ImageBuilder {
        ImageBuilder {
            format: Format::Docker,
            ..ImageBuilder::oci()
        }
    }

    /// The config's `created` (RFC 3339).
    pub fn created(mut self, rfc3339: &str) -> Self {
        self.created = rfc3339.into();
        self
    }

    pub fn platform(mut self, os: &str, arch: &str, variant: Option<&str>) -> Self {
        self.os = os.into();
        self.arch = arch.into();
        self.variant = variant.map(str::to_string);
        self
    }

    /// Replaces the layers.
    pub fn layers(mut self, layers: Vec<Vec<u8>>) -> Self {
        self.layers = layers;
        self
    }

    /// A label that makes the config (and so the digests) unique without changing anything else.
    pub fn label(mut self, value: &str) -> Self {
        self.label = value.into();
        self
    }

    fn config(&self) -> Vec<u8> {
        let diff_ids: Vec<String> = self.layers.iter().map(|l| digest(l)).collect();
        let mut cfg = serde_json::json!({
            "created": self.created,
            "architecture": self.arch,
            "os": self.os,
            "config": {"Env": ["PATH=/usr/bin:/bin"], "Labels": {"crowsnest.test": self.label}},
            "rootfs": {"type": "layers", "diff_ids": diff_ids},
            "history": self.layers.iter().map(|_| serde_json::json!({
                "created": self.created, "created_by": "crowsnest testkit"
            })).collect::<Vec<_>>(),
        });
        if let Some(v) = &self.variant {
            cfg["variant"] = serde_json::json!(v);
        }
        cfg.to_string().into_bytes()
    }

    fn manifest(&self, config: &[u8]) -> (Vec<u8>, &'static str) {
        let (mt, cmt, lmt) = match self.format {
            Format::Oci => (OCI_MANIFEST, OCI_CONFIG, OCI_LAYER),
            Format::Docker => (DOCKER_MANIFEST, DOCKER_CONFIG, DOCKER_LAYER),
        };
        let m = serde_json::json!({
            "schemaVersion": 2,
            "mediaType": mt,
            "config": {"mediaType": cmt, "digest": digest(config), "size": config.len()},
            "layers": self.layers.iter().map(|l| serde_json::json!({
                "mediaType": lmt, "digest": digest(l), "size": l.len()
            })).collect::<Vec<_>>(),
        });
        (m.to_string().into_bytes(), mt)
    }
}

/// A multi-platform tag.
#[derive(Debug, Clone)]
pub struct IndexBuilder {
    format: Format,
    images: Vec<ImageBuilder>,
    attestation: bool,
}

impl IndexBuilder {
    /// An OCI index over `images` (each keeps its own platform).
    pub fn oci(images: Vec<ImageBuilder>) -> IndexBuilder {
        IndexBuilder {
            format: Format::Oci,
            images,
            attestation: false,
        }
    }

    /// A Docker manifest list; the images are pushed as Docker schema 2.
    pub fn docker(images: Vec<ImageBuilder>) -> IndexBuilder {
        IndexBuilder {
            format: Format::Docker,
            images: images
                .into_iter()
                .map(|i| ImageBuilder {
                    format: Format::Docker,
                    ..i
                })
                .collect(),
            attestation: false,
        }
    }

    /// Adds an `unknown/unknown` attestation entry, as BuildKit does.
    pub fn with_attestation(mut self) -> Self {
        self.attestation = true;
        self
    }
}

/// What was pushed for one image.
#[derive(Debug, Clone)]
pub struct PushedImage {
    pub digest: String,
    pub media_type: String,
    pub config_digest: String,
    pub config_size: u64,
    /// (digest, size) per layer, bottom first.
    pub layers: Vec<(String, u64)>,
    pub manifest_size: u64,
}

/// What was pushed for a multi-platform tag.
#[derive(Debug, Clone)]
pub struct PushedIndex {
    pub digest: String,
    pub media_type: String,
    /// In the order given to the builder (the attestation last, if any).
    pub children: Vec<PushedImage>,
}

#[derive(Debug, Clone)]
pub(crate) enum PushAuth {
    None,
    Basic(String, String),
    Mint(Arc<TokenState>),
}

/// Pushes to one registry with full rights. Made by [`crate::TestRegistry::pusher`].
#[derive(Debug, Clone)]
pub struct Pusher {
    http: reqwest::Client,
    base: String,
    auth: PushAuth,
}

impl Pusher {
    pub(crate) fn new(
        base: &str,
        auth: PushAuth,
        ca_pem: Option<String>,
        identity: Option<(String, String)>,
    ) -> Result<Pusher> {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut b = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none());
        if let Some(pem) = ca_pem {
            let certs = reqwest::Certificate::from_pem_bundle(pem.as_bytes())
                .map_err(Error::from_display)?;
            b = b.tls_certs_only(certs);
        }
        if let Some((cert, key)) = identity {
            let id = reqwest::Identity::from_pem(format!("{cert}\n{key}").as_bytes())
                .map_err(Error::from_display)?;
            b = b.identity(id);
        }
        Ok(Pusher {
            http: b.build().map_err(Error::from_display)?,
            base: base.trim_end_matches('/').to_string(),
            auth,
        })
    }

    fn authed(&self, req: reqwest::RequestBuilder, repo: &str) -> Result<reqwest::RequestBuilder> {
        Ok(match &self.auth {
            PushAuth::None => req,
            PushAuth::Basic(u, p) => req.basic_auth(u, Some(p)),
            PushAuth::Mint(state) => {
                let access = serde_json::json!([{
                    "type": "repository", "name": repo, "actions": ["pull", "push"]
                }]);
                let token = state.signer.sign("pusher", access).map_err(Error::new)?;
                req.bearer_auth(token)
            }
        })
    }

    async fn check(resp: reqwest::Response, what: &str) -> Result<reqwest::Response> {
        if resp.status().is_success() {
            return Ok(resp);
        }
        let status = resp.status();
        let body = resp.text().await.unwrap_or_default();
        Err(Error::new(format!("{what}: HTTP {status}: {body}")))
    }

    /// Uploads `bytes` as a blob of `repo` unless it is already there; returns its digest.
    pub async fn push_blob(&self, repo: &str, bytes: &[u8]) -> Result<String> {
        let d = digest(bytes);
        let head = self
            .authed(
                self.http.head(format!("{}/v2/{repo}/blobs/{d}", self.base)),
                repo,
            )?
            .send()
            .await
            .map_err(Error::from_display)?;
        if head.status().is_success() {
            return Ok(d);
        }
        let start = self
            .authed(
                self.http
                    .post(format!("{}/v2/{repo}/blobs/uploads/", self.base)),
                repo,
            )?
            .send()
            .await
            .map_err(Error::from_display)?;
        let start = Self::check(start, "start upload").await?;
        let location = start
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| Error::new("upload without Location"))?;
        let mut url = if location.starts_with("http") {
            location.to_string()
        } else {
            format!("{}{location}", self.base)
        };
        url.push(if url.contains('?') { '&' } else { '?' });
        url.push_str("digest=");
        url.push_str(&d);
        let put = self
            .authed(self.http.put(url), repo)?
            .header("content-type", "application/octet-stream")
            .body(bytes.to_vec())
            .send()
            .await
            .map_err(Error::from_display)?;
        Self::check(put, "finish upload").await?;
        Ok(d)
    }

    /// Puts a manifest under `reference` (a tag or its digest); returns its digest.
    pub async fn push_manifest(
        &self,
        repo: &str,
        reference: &str,
        media_type: &str,
        bytes: &[u8],
    ) -> Result<String> {
        let resp = self
            .authed(
                self.http
                    .put(format!("{}/v2/{repo}/manifests/{reference}", self.base)),
                repo,
            )?
            .header("content-type", media_type)
            .body(bytes.to_vec())
            .send()
            .await
            .map_err(Error::from_display)?;
        Self::check(resp, &format!("put manifest {repo}:{reference}")).await?;
        Ok(digest(bytes))
    }

    /// Pushes an image's blobs and manifest; tags it `tag` (or only by digest when `tag` is "").
    pub async fn push_image(
        &self,
        repo: &str,
        tag: &str,
        image: &ImageBuilder,
    ) -> Result<PushedImage> {
        let config = image.config();
        let mut layers = Vec::new();
        for l in &image.layers {
            layers.push((self.push_blob(repo, l).await?, l.len() as u64));
        }
        let config_digest = self.push_blob(repo, &config).await?;
        let (manifest, mt) = image.manifest(&config);
        let d = digest(&manifest);
        let reference = if tag.is_empty() { d.as_str() } else { tag };
        self.push_manifest(repo, reference, mt, &manifest).await?;
        Ok(PushedImage {
            digest: d,
            media_type: mt.to_string(),
            config_digest,
            config_size: config.len() as u64,
            layers,
            manifest_size: manifest.len() as u64,
        })
    }

    /// Pushes every platform image by digest, then the index under `tag`.
    pub async fn push_index(
        &self,
        repo: &str,
        tag: &str,
        index: &IndexBuilder,
    ) -> Result<PushedIndex> {
        let mut children = Vec::new();
        let mut entries = Vec::new();
        let mut images: Vec<(ImageBuilder, Option<serde_json::Value>)> =
            index.images.iter().map(|i| (i.clone(), None)).collect();
        if index.attestation {
            let att = ImageBuilder {
                format: index.format,
                ..ImageBuilder::oci()
            }
            .platform("unknown", "unknown", None)
            .label("attestation");
            images.push((
                att,
                Some(serde_json::json!({"vnd.docker.reference.type": "attestation-manifest"})),
            ));
        }
        for (img, annotations) in images {
            let pushed = self.push_image(repo, "", &img).await?;
            let mut platform = serde_json::json!({"os": img.os, "architecture": img.arch});
            if let Some(v) = &img.variant {
                platform["variant"] = serde_json::json!(v);
            }
            let mut entry = serde_json::json!({
                "mediaType": pushed.media_type, "digest": pushed.digest,
                "size": pushed.manifest_size, "platform": platform,
            });
            if let Some(a) = annotations {
                entry["annotations"] = a;
            }
            entries.push(entry);
            children.push(pushed);
        }
        let mt = match index.format {
            Format::Oci => OCI_INDEX,
            Format::Docker => DOCKER_LIST,
        };
        let doc = serde_json::json!({"schemaVersion": 2, "mediaType": mt, "manifests": entries});
        let bytes = doc.to_string().into_bytes();
        let d = self.push_manifest(repo, tag, mt, &bytes).await?;
        Ok(PushedIndex {
            digest: d,
            media_type: mt.to_string(),
            children,
        })
    }

    /// GETs a manifest with only the given `Accept` (or none), for tests that need what a
    /// registry serves to old clients (distribution rewrites schema 2 to signed schema 1).
    pub async fn raw_manifest(
        &self,
        repo: &str,
        reference: &str,
        accept: Option<&str>,
    ) -> Result<(Vec<u8>, Option<String>, Option<String>)> {
        let mut req = self.authed(
            self.http
                .get(format!("{}/v2/{repo}/manifests/{reference}", self.base)),
            repo,
        )?;
        if let Some(a) = accept {
            req = req.header("accept", a);
        }
        let resp = Self::check(
            req.send().await.map_err(Error::from_display)?,
            "get manifest",
        )
        .await?;
        let header = |n: &str| {
            resp.headers()
                .get(n)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let ct = header("content-type");
        let dcd = header("docker-content-digest");
        let body = resp.bytes().await.map_err(Error::from_display)?;
        Ok((body.to_vec(), ct, dcd))
    }
}
