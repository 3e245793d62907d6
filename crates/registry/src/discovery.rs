//! Discovery: from one validated [`ScanTarget`] (a registry specification) to the list of images
//! a scan covers (api-reference §2.3, §2.4).
//!
//! The pipeline is the same for every registry type and lives here: select repositories, list
//! and filter each repository's tags, then either order tags by `versionPattern` and cap them
//! before fetching anything, or fetch every tag's manifest and config and cap by the config's
//! `created` date. What differs per registry type (how repositories and tags are listed, how a
//! tag becomes a digest and a date) sits behind the [`Source`] trait, one module per type;
//! [`connect`](crate::connect) picks the module by the target's [`RegistryKind`](crowsnest_model::RegistryKind).
//! Type `"2"` (generic Docker Registry v2 and Docker Hub) is [`v2`].
//!
//! A failure that stops the whole registry (unreachable, catalog refused, bad pattern) is an
//! `Err`; a failure of one repository or one image becomes a [`DiscoveryError`] in the report
//! and the rest goes on.
//!
//! Everything a registry lists is bounded ([`limits`]): sources hand names over page by page
//! through a visitor, the pipeline keeps only the repositories the selection picks and, per
//! repository, only the tags its [`plan`] can still choose, so neither an endless catalog nor
//! a million-tag repository is ever held whole.

mod dtr;
pub(crate) mod ecr;
mod gitlab;
mod harbor;
mod jfrog;
mod limits;
mod mgmt_api;
mod name_order;
mod plan;
mod quay;
mod sonatype;
mod v2;
mod vendor_api;
mod version_pattern;

pub(crate) use harbor::HarborSource;
pub(crate) use jfrog::JfrogSource;
pub use limits::{
    DATE_CAP_CANDIDATES, DiscoveryLimits, MAX_IMAGES, MAX_REPOSITORIES, MAX_TAGS_PER_REPOSITORY,
};
pub(crate) use sonatype::connector as sonatype_connector;
pub use v2::{DOCKER_HUB_NAME, DOCKER_HUB_REGISTRY, DOCKER_HUB_TOKEN_REALM, V2Source};
pub use version_pattern::{TagKey, VersionPattern};

pub(crate) use dtr::DtrSource;
pub(crate) use gitlab::GitlabSource;
pub(crate) use quay::QuaySource;

use crate::connect::{Connection, combine_ca};
use crate::{ArtifactKind, ClientOptions, Credentials, Digest, RegistryError, Visit};
use crowsnest_model::ScanTarget;
use crowsnest_model::pattern::Selection;
use crowsnest_model::spec::RegistrySpecification;
use futures_util::future::BoxFuture;
use futures_util::{StreamExt, stream};
use jiff::Timestamp;
use plan::{PlannedTag, TagPlan};
use serde::Serialize;
use std::cmp::Reverse;

/// Settings of a discovery run that are not part of the specification.
#[derive(Debug, Clone)]
pub struct DiscoveryOptions {
    pub client: ClientOptions,
    /// Where an empty `registry` points. Tests set a local stand-in; nothing else should.
    pub docker_hub: String,
    /// Tag listings and image look-ups in flight at once (the per-host limit still applies).
    pub concurrency: usize,
    /// What discovery keeps and resolves at most (the client bounds what it reads).
    pub limits: DiscoveryLimits,
    /// The vendors' endpoint and region variables (`AWS_ENDPOINT_URL_ECR`, …); the process
    /// environment's by default.
    pub vendor: crate::VendorEndpoints,
}

impl Default for DiscoveryOptions {
    fn default() -> DiscoveryOptions {
        DiscoveryOptions {
            client: ClientOptions::default(),
            docker_hub: DOCKER_HUB_REGISTRY.to_string(),
            concurrency: 16,
            limits: DiscoveryLimits::default(),
            vendor: crate::VendorEndpoints::from_env(),
        }
    }
}

/// The outcome of discovery: what to scan, what could not be looked at, and the cost.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DiscoveryReport {
    /// Per repository (sorted by name), newest first.
    pub images: Vec<DiscoveredImage>,
    pub errors: Vec<DiscoveryError>,
    /// Tags the specification covers that hold Helm charts, signatures, attestations, SBOMs
    /// or other artifacts rather than images: not scanned, not failed (at most
    /// [`MAX_SKIPPED_NOTED`] are listed; `skipped_total` counts them all).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub skipped: Vec<SkippedArtifact>,
    #[serde(skip_serializing_if = "is_zero")]
    pub skipped_total: u64,
    /// HTTP requests sent, token requests and retries included.
    pub requests: u64,
}

/// One image to scan.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DiscoveredImage {
    pub registry: String,
    pub repo: String,
    pub tag: String,
    /// The single-platform image manifest's digest: what a scanner pulls.
    pub digest: Digest,
    /// The index or manifest list the tag points to, for multi-platform tags.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub index_digest: Option<Digest>,
    /// The image config's `created` (schema 1: the top history entry's); the vendor's push
    /// date instead when the listing gave one and the config was not read.
    pub created: Option<Timestamp>,
    /// The vendor's push date, when the registry's API lists one: `cap` ordered by it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pushed: Option<Timestamp>,
}

/// How many skipped artifacts a report lists by name (the count is always whole).
pub const MAX_SKIPPED_NOTED: usize = 100;

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// A tag skipped because it holds no container image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(rename_all = "camelCase")]
#[error("{registry} {repo}:{tag}: {}, not a container image; skipped", kind.with_article())]
pub struct SkippedArtifact {
    pub registry: String,
    pub repo: String,
    pub tag: String,
    #[serde(serialize_with = "kind_name")]
    pub kind: ArtifactKind,
}

fn kind_name<S: serde::Serializer>(kind: &ArtifactKind, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(kind.as_str())
}

/// One tag as a listing gives it. The v2 tag list gives names only; vendor APIs that list push
/// dates or artifact types fill the optional fields, which spares manifest and config reads.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ListedTag<'t> {
    pub name: &'t str,
    /// The vendor's push (or creation) date. When every selected tag of a repository has one,
    /// `cap` keeps the newest by it and no config is read for ordering.
    pub pushed: Option<Timestamp>,
    /// Set when the listing says the tag holds no image: skipped with a note, never fetched.
    pub artifact: Option<ArtifactKind>,
}

impl<'t> ListedTag<'t> {
    /// A tag known by name only.
    pub fn named(name: &'t str) -> ListedTag<'t> {
        ListedTag {
            name,
            pushed: None,
            artifact: None,
        }
    }

    /// A tag with the vendor's push date.
    pub fn pushed(name: &'t str, pushed: Option<Timestamp>) -> ListedTag<'t> {
        ListedTag {
            name,
            pushed,
            artifact: None,
        }
    }
}

/// What a tag listing hands the pipeline, tag by tag; an `Err` stops the listing with it.
pub type TagVisit<'v> = &'v mut (dyn FnMut(ListedTag<'_>) -> Result<(), RegistryError> + Send);

/// One repository or image that could not be discovered. `tag` is empty when listing the
/// repository's tags failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(rename_all = "camelCase")]
#[error("{registry} {repo}{}: {message}", if tag.is_empty() { String::new() } else { format!(":{tag}") })]
pub struct DiscoveryError {
    pub registry: String,
    pub repo: String,
    pub tag: String,
    pub message: String,
}

/// What a source says about one tag.
#[derive(Debug, Clone, PartialEq)]
pub struct ImageFacts {
    pub digest: Digest,
    pub index_digest: Option<Digest>,
    pub created: Option<Timestamp>,
}

/// One registry type's way of listing and resolving. Implement it in a new module under
/// `discovery/` and return it from [`connect`](crate::connect)'s `match` on the registry kind;
/// the pipeline needs nothing else. Listings hand each name to the pipeline's [`Visit`]
/// callback as it is read (page by page), and stop with the callback's error if it returns one.
pub trait Source: Send + Sync {
    /// The registry name used in reports.
    fn registry(&self) -> &str;
    /// Visits the repositories `selection` picks (include pattern and exclusions both applied).
    fn repositories<'a>(
        &'a self,
        selection: &'a Selection,
        visit: Visit<'a>,
    ) -> BoxFuture<'a, Result<(), RegistryError>>;
    /// Visits every tag of `repo`, unfiltered, with what the listing says of each.
    fn tags<'a>(
        &'a self,
        repo: &'a str,
        visit: TagVisit<'a>,
    ) -> BoxFuture<'a, Result<(), RegistryError>>;
    /// The digest `repo:tag` resolves to, and its creation date when `need_created` (reading
    /// the date can cost a config download, which only `cap` needs, and only when the listing
    /// gave no push date). A tag that holds no image is [`RegistryError::NotAnImage`].
    fn image<'a>(
        &'a self,
        repo: &'a str,
        tag: &'a str,
        need_created: bool,
    ) -> BoxFuture<'a, Result<ImageFacts, RegistryError>>;
    /// HTTP requests sent so far.
    fn requests_sent(&self) -> u64;
}

/// Discovers the images `spec` covers with credentials the caller resolved (the CLI's flags,
/// tests); the specification's own `caCert` is trusted besides `creds`' CA. Goes through
/// [`Connection`]; a specification that does not validate is a [`RegistryError::Spec`].
pub async fn discover(
    spec: &RegistrySpecification,
    mut creds: Credentials,
    options: &DiscoveryOptions,
) -> Result<DiscoveryReport, RegistryError> {
    let target = ScanTarget::from_spec(spec).map_err(|e| RegistryError::Spec(e.to_string()))?;
    creds.ca_cert_pem = combine_ca(creds.ca_cert_pem.as_deref(), target.ca_cert());
    Connection::with_credentials(target, creds, options)?
        .discover(options.concurrency)
        .await
}

/// The type-independent pipeline over any [`Source`], with the default [`DiscoveryLimits`].
pub async fn run(
    source: &dyn Source,
    target: &ScanTarget,
    concurrency: usize,
) -> Result<DiscoveryReport, RegistryError> {
    run_limited(source, target, concurrency, &DiscoveryLimits::default()).await
}

/// The type-independent pipeline over any [`Source`], within `limits`.
pub async fn run_limited(
    source: &dyn Source,
    target: &ScanTarget,
    concurrency: usize,
    limits: &DiscoveryLimits,
) -> Result<DiscoveryReport, RegistryError> {
    let concurrency = concurrency.max(1);
    let pattern = match target.version_pattern() {
        "" => None,
        p => Some(VersionPattern::parse(p)?),
    };
    let cap = target.cap();
    let registry = source.registry().to_string();
    let error = |repo: &str, tag: &str, e: &RegistryError| DiscoveryError {
        registry: registry.clone(),
        repo: repo.to_string(),
        tag: tag.to_string(),
        message: e.to_string(),
    };

    let mut repos: Vec<String> = Vec::new();
    {
        let mut keep = |name: &str| {
            if repos.len() >= limits.max_repositories {
                return Err(RegistryError::TooMany {
                    what: format!("repositories of {registry}"),
                    limit: limits.max_repositories as u64,
                    items: "repositories selected",
                    hint: "narrow \"repository\" or add excludedRepositories",
                });
            }
            repos.push(name.to_string());
            Ok(())
        };
        source
            .repositories(target.repositories(), &mut keep)
            .await?;
    }
    repos.sort();
    repos.dedup();

    let tag_selection = target.tags();
    let pattern_ref = pattern.as_ref();
    let mut skipped: Vec<SkippedArtifact> = Vec::new();
    let mut skipped_total = 0u64;
    let mut note_skipped = |skipped_total: &mut u64, repo: &str, tag: &str, kind| {
        *skipped_total += 1;
        if skipped.len() < MAX_SKIPPED_NOTED {
            skipped.push(SkippedArtifact {
                registry: registry.clone(),
                repo: repo.to_string(),
                tag: tag.to_string(),
                kind,
            });
        }
    };
    // Per repository: its planned tags, whether a date cap was narrowed, and the artifacts
    // set aside; or why the tags could not be listed.
    type Skipped = (Vec<(String, ArtifactKind)>, u64);
    type Planned = Result<(Vec<PlannedTag>, bool, Skipped), RegistryError>;
    let listed: Vec<(String, Planned)> = stream::iter(repos)
        .map(|repo| async move {
            let mut plan = TagPlan::new(&repo, tag_selection, pattern_ref, cap, limits);
            let listed = source
                .tags(&repo, &mut |t: ListedTag<'_>| plan.offer(t))
                .await;
            let outcome = listed.map(|()| {
                let narrowed = plan.narrowed();
                let (names, total) = plan.skipped();
                let skipped = (names.to_vec(), total);
                (plan.into_tags(), narrowed, skipped)
            });
            (repo, outcome)
        })
        .buffer_unordered(concurrency)
        .collect()
        .await;

    let mut errors = Vec::new();
    // Per repository, the tags to resolve, in the order they will be reported when the
    // order comes from the pattern.
    let mut plans: Vec<(String, Vec<PlannedTag>)> = Vec::new();
    for (repo, tags) in listed {
        match tags {
            Ok((tags, narrowed, (artifacts, artifacts_total))) => {
                if narrowed {
                    tracing::info!(
                        registry = %registry, repo = %repo, candidates = tags.len(),
                        "more tags than date-cap candidates: capping among the highest by name"
                    );
                }
                for (tag, kind) in &artifacts {
                    note_skipped(&mut skipped_total, &repo, tag, *kind);
                }
                // Beyond what the plan kept by name, the rest only counts.
                skipped_total += artifacts_total - artifacts.len() as u64;
                plans.push((repo, tags));
            }
            Err(e) => errors.push(error(&repo, "", &e)),
        }
    }
    plans.sort_by(|a, b| a.0.cmp(&b.0));
    let mut total = 0usize;
    plans.retain(|(repo, tags)| {
        if total.saturating_add(tags.len()) > limits.max_images {
            let e = RegistryError::TooMany {
                what: format!("images of {registry}"),
                limit: limits.max_images as u64,
                items: "images to resolve in one specification",
                hint: "set a cap, or split the specification by repository",
            };
            errors.push(error(repo, "", &e));
            return false;
        }
        total += tags.len();
        true
    });

    let jobs: Vec<(usize, usize)> = plans
        .iter()
        .enumerate()
        .flat_map(|(r, (_, tags))| (0..tags.len()).map(move |t| (r, t)))
        .collect();
    let plans_ref = &plans;
    // Without a cap (or with a version pattern, which orders by tag) no date is needed, so an
    // image whose config is unreadable is still listed; its scan reports the problem. A tag
    // the vendor's listing dated needs no config either.
    let need_created = cap > 0 && pattern.is_none();
    let mut resolved: Vec<((usize, usize), Result<ImageFacts, RegistryError>)> = stream::iter(jobs)
        .map(|(r, t)| async move {
            let (repo, tags) = &plans_ref[r];
            let tag = &tags[t];
            let need = need_created && tag.pushed.is_none();
            ((r, t), source.image(repo, &tag.name, need).await)
        })
        .buffer_unordered(concurrency)
        .collect()
        .await;
    resolved.sort_by_key(|(k, _)| *k);

    let mut per_repo: Vec<Vec<DiscoveredImage>> = vec![Vec::new(); plans.len()];
    for ((r, t), result) in resolved {
        let (repo, tags) = &plans[r];
        let tag = &tags[t];
        match result {
            Ok(facts) => per_repo[r].push(DiscoveredImage {
                registry: registry.clone(),
                repo: repo.clone(),
                tag: tag.name.clone(),
                digest: facts.digest,
                index_digest: facts.index_digest,
                created: facts.created.or(tag.pushed),
                pushed: tag.pushed,
            }),
            Err(RegistryError::NotAnImage { kind, .. }) => {
                note_skipped(&mut skipped_total, repo, &tag.name, kind)
            }
            Err(e) => errors.push(error(repo, &tag.name, &e)),
        }
    }
    let mut images = Vec::new();
    for mut found in per_repo {
        if pattern.is_none() {
            // Newest first (by the vendor's push date where listed, else the config's);
            // images without a date go last, ties by tag for a stable output.
            let when = |i: &DiscoveredImage| i.pushed.or(i.created);
            found.sort_by(|a, b| {
                (Reverse(when(a).is_some()), Reverse(when(a)), &a.tag).cmp(&(
                    Reverse(when(b).is_some()),
                    Reverse(when(b)),
                    &b.tag,
                ))
            });
            if cap > 0 {
                found.truncate(cap);
            }
        }
        images.extend(found);
    }
    errors.sort_by(|a, b| (&a.repo, &a.tag).cmp(&(&b.repo, &b.tag)));
    skipped.sort_by(|a, b| (&a.repo, &a.tag).cmp(&(&b.repo, &b.tag)));
    Ok(DiscoveryReport {
        images,
        errors,
        skipped,
        skipped_total,
        requests: source.requests_sent(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::FutureExt;
    use std::collections::BTreeMap;
    use std::sync::atomic::{AtomicU64, Ordering};

    /// A tag's outcome: its created date (or none), or an error message.
    type Outcome = Result<Option<&'static str>, &'static str>;

    /// An in-memory source: repo → tag → (created, or None for "no date", or Err message).
    struct Fake {
        repos: BTreeMap<&'static str, Vec<(&'static str, Outcome)>>,
        calls: AtomicU64,
    }

    impl Source for Fake {
        fn registry(&self) -> &str {
            "fake"
        }
        fn repositories<'a>(
            &'a self,
            selection: &'a Selection,
            visit: Visit<'a>,
        ) -> BoxFuture<'a, Result<(), RegistryError>> {
            let r = (self.repos.keys())
                .filter(|r| selection.matches(r))
                .try_for_each(|r| visit(r));
            async move { r }.boxed()
        }
        fn tags<'a>(
            &'a self,
            repo: &'a str,
            visit: TagVisit<'a>,
        ) -> BoxFuture<'a, Result<(), RegistryError>> {
            let r = self.repos[repo]
                .iter()
                .try_for_each(|(t, _)| visit(ListedTag::named(t)));
            async move { r }.boxed()
        }
        fn image<'a>(
            &'a self,
            repo: &'a str,
            tag: &'a str,
            _need_created: bool,
        ) -> BoxFuture<'a, Result<ImageFacts, RegistryError>> {
            self.calls.fetch_add(1, Ordering::Relaxed);
            let entry = self.repos[repo].iter().find(|(t, _)| *t == tag).unwrap().1;
            async move {
                match entry {
                    Ok(created) => Ok(ImageFacts {
                        digest: Digest::of(format!("{repo}:{tag}").as_bytes()),
                        index_digest: None,
                        created: created.map(|c| c.parse().unwrap()),
                    }),
                    Err(m) => Err(RegistryError::Spec(m.to_string())),
                }
            }
            .boxed()
        }
        fn requests_sent(&self) -> u64 {
            self.calls.load(Ordering::Relaxed)
        }
    }

    fn fake() -> Fake {
        let mut repos = BTreeMap::new();
        repos.insert(
            "b/app",
            vec![
                ("v1.0.0", Ok(Some("2024-01-01T00:00:00Z"))),
                ("v1.2.0", Ok(Some("2023-01-01T00:00:00Z"))),
                ("v1.10.0", Ok(None)),
                ("v2.0.0", Err("boom")),
                ("edge", Ok(Some("2025-01-01T00:00:00Z"))),
            ],
        );
        repos.insert("a/app", vec![("x", Ok(Some("2020-01-01T00:00:00Z")))]);
        Fake {
            repos,
            calls: AtomicU64::new(0),
        }
    }

    fn spec(cap: i64, pattern: &str) -> RegistrySpecification {
        RegistrySpecification {
            version: "2".into(),
            cap,
            version_pattern: pattern.into(),
            ..Default::default()
        }
    }

    fn target(s: &RegistrySpecification) -> ScanTarget {
        ScanTarget::from_spec(s).unwrap()
    }

    fn tags(r: &DiscoveryReport) -> Vec<String> {
        r.images
            .iter()
            .map(|i| format!("{}:{}", i.repo, i.tag))
            .collect()
    }

    #[tokio::test]
    async fn cap_by_date_undated_last_errors_reported() {
        let f = fake();
        let r = run(&f, &target(&spec(3, "")), 4).await.unwrap();
        assert_eq!(
            tags(&r),
            ["a/app:x", "b/app:edge", "b/app:v1.0.0", "b/app:v1.2.0"]
        );
        assert_eq!(r.errors.len(), 1);
        assert_eq!(r.errors[0].to_string(), "fake b/app:v2.0.0: boom");
        let r = run(&f, &target(&spec(0, "")), 1).await.unwrap();
        assert_eq!(tags(&r).last().unwrap(), "b/app:v1.10.0");
    }

    #[tokio::test]
    async fn version_pattern_resolves_only_what_it_keeps() {
        let f = fake();
        let r = run(&f, &target(&spec(2, "v%d.%d.%d")), 4).await.unwrap();
        // v2.0.0 ranks first and fails; v1.10.0 is second. `edge` and `x` do not match.
        assert_eq!(tags(&r), ["b/app:v1.10.0"]);
        assert_eq!(r.errors.len(), 1);
        assert_eq!(r.requests, 2);
    }

    #[tokio::test]
    async fn limits_narrow_a_date_cap_and_bound_the_images() {
        let f = fake();
        // b/app has 5 tags: above 2 candidates, the cap is taken among the 2 highest by name
        // (`edge` has no digit and ranks first, then v2.0.0, which fails): 3 look-ups, not 6.
        let narrow = DiscoveryLimits {
            date_cap_candidates: 2,
            ..DiscoveryLimits::default()
        };
        let r = run_limited(&f, &target(&spec(1, "")), 4, &narrow)
            .await
            .unwrap();
        assert_eq!(tags(&r), ["a/app:x", "b/app:edge"]);
        assert_eq!(r.errors[0].to_string(), "fake b/app:v2.0.0: boom");
        assert_eq!(r.requests, 3);
        // Past the images of one specification, the repository that would pass it fails alone.
        let few = DiscoveryLimits {
            max_images: 2,
            ..DiscoveryLimits::default()
        };
        let r = run_limited(&f, &target(&spec(0, "")), 4, &few)
            .await
            .unwrap();
        assert_eq!(tags(&r), ["a/app:x"]);
        assert_eq!(
            r.errors[0].to_string(),
            "fake b/app: images of fake: more than 2 images to resolve in one specification; \
             set a cap, or split the specification by repository"
        );
    }

    #[tokio::test]
    async fn selections_and_unknown_types() {
        let f = fake();
        let mut s = spec(0, "");
        s.repository = "B/*".into();
        s.excluded_tags = vec!["v*".into()];
        let r = run(&f, &target(&s), 4).await.unwrap();
        assert_eq!(tags(&r), ["b/app:edge"]);
        s.version = "gcr".into();
        let e = discover(&s, Credentials::anonymous(), &DiscoveryOptions::default())
            .await
            .unwrap_err();
        assert!(e.to_string().contains("no discovery module"), "{e}");
    }
}
