//! Registries too large to hold (issue 21, item 5), against crowsnest-testkit's [`SimRegistry`]:
//! an endless catalog of 50,000 names per page and a repository of 1,000,000 tags. Discovery
//! must stop at documented limits with errors that name them, keep memory bounded (RSS growth
//! well under 200 MB, a generous bound about resources, not speed), and at `cap: 5` fetch a
//! bounded number of manifests rather than one per tag.

use crowsnest_model::spec::RegistrySpecification;
use crowsnest_registry::{
    ClientOptions, Credentials, DiscoveryOptions, DiscoveryReport, RegistryClient, RegistryError,
    discover,
};
use crowsnest_testkit::{SimRegistry, SimRegistryBuilder, memory};

const MB: u64 = 1 << 20;
const MILLION: u64 = 1_000_000;

fn spec(reg: &SimRegistry, repository: &str, cap: i64, pattern: &str) -> RegistrySpecification {
    RegistrySpecification {
        version: "2".into(),
        registry: reg.url().into(),
        os: "linux".into(),
        repository: repository.into(),
        cap,
        version_pattern: pattern.into(),
        ..Default::default()
    }
}

/// Runs `f` and checks that the process's peak RSS grew less than `bound_mb` during it.
async fn within_memory<T>(bound_mb: u64, f: impl Future<Output = T>) -> T {
    let before = memory::rss_bytes().expect("VmRSS");
    let out = f.await;
    let peak = memory::peak_rss_bytes().expect("VmHWM");
    let growth = peak.saturating_sub(before) / MB;
    eprintln!("peak RSS {} MB, {growth} MB above the start", peak / MB);
    assert!(
        growth < bound_mb,
        "peak RSS grew {growth} MB (bound {bound_mb} MB)"
    );
    out
}

fn images(r: &DiscoveryReport) -> Vec<String> {
    r.images.iter().map(|i| i.tag.clone()).collect()
}

#[tokio::test]
async fn an_endless_catalog_stops_at_a_named_limit_with_bounded_memory() {
    let reg = SimRegistryBuilder::new()
        .endless_catalog(50_000)
        .start()
        .await
        .unwrap();
    let options = DiscoveryOptions::default();
    // Everything matches: the selection fills up on the first page.
    let e = within_memory(
        200,
        discover(
            &spec(&reg, "gen/*", 5, ""),
            Credentials::anonymous(),
            &options,
        ),
    )
    .await
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        format!(
            "repositories of {}: more than 20000 repositories selected; narrow \"repository\" \
             or add excludedRepositories",
            reg.url()
        )
    );
    assert_eq!(reg.counts().catalog_pages, 1);
    // Nothing matches: every page is read and dropped, until the listing limit.
    let e = within_memory(
        200,
        discover(
            &spec(&reg, "other/*", 5, ""),
            Credentials::anonymous(),
            &options,
        ),
    )
    .await
    .unwrap_err();
    assert!(matches!(e, RegistryError::TooMany { .. }), "{e:?}");
    assert_eq!(
        e.to_string(),
        format!(
            "catalog of {}: more than 2000000 repository names listed; the registry lists more \
             names than discovery reads",
            reg.url()
        )
    );
    // 40 pages hold exactly 2,000,000 names; the first name of the 41st is one too many.
    assert_eq!(reg.counts().catalog_pages, 1 + 41);
    // A page larger than allowed is refused by size before it is parsed.
    let small_pages = DiscoveryOptions {
        client: ClientOptions {
            max_page_bytes: 64 << 10,
            ..ClientOptions::default()
        },
        ..DiscoveryOptions::default()
    };
    let e = discover(
        &spec(&reg, "other/*", 5, ""),
        Credentials::anonymous(),
        &small_pages,
    )
    .await
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        format!(
            "{}/v2/_catalog: larger than the 65536 bytes allowed",
            reg.url()
        )
    );
}

#[tokio::test]
async fn a_million_tags_at_cap_5_fetch_a_bounded_number_of_manifests() {
    let reg = SimRegistryBuilder::new()
        .repository("big/app", MILLION)
        .start()
        .await
        .unwrap();
    let newest: Vec<String> = (MILLION - 5..MILLION).rev().map(SimRegistry::tag).collect();

    // By versionPattern: the list is read page by page and only 5 manifests are fetched.
    let r = within_memory(
        200,
        discover(
            &spec(&reg, "big/app", 5, "1.%d.%d"),
            Credentials::anonymous(),
            &DiscoveryOptions::default(),
        ),
    )
    .await
    .unwrap();
    assert_eq!(images(&r), newest);
    let c = reg.counts();
    assert_eq!((c.tag_pages, c.manifests, c.blobs), (1000, 5, 0));

    // By creation date: the 1,000 tags highest in version order are resolved, not a million.
    let before = reg.counts();
    let r = within_memory(
        200,
        discover(
            &spec(&reg, "big/app", 5, ""),
            Credentials::anonymous(),
            &DiscoveryOptions::default(),
        ),
    )
    .await
    .unwrap();
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    assert_eq!(images(&r), newest);
    assert_eq!(
        r.images[0].created.unwrap().to_string(),
        SimRegistry::created(MILLION - 1)
    );
    let c = reg.counts();
    let (manifests, blobs) = (c.manifests - before.manifests, c.blobs - before.blobs);
    assert_eq!((manifests, blobs), (1000, 1000));
    assert!(
        r.requests < 3_100 && r.requests * 300 < MILLION,
        "{} requests",
        r.requests
    );
}

#[tokio::test]
async fn too_many_tags_is_an_error_for_that_repository_only() {
    let reg = SimRegistryBuilder::new()
        .repository("big/app", MILLION)
        .repository("endless/app", u64::MAX)
        .repository("small/app", 3)
        .start()
        .await
        .unwrap();
    let host = reg.url();
    let options = DiscoveryOptions {
        client: ClientOptions {
            max_list_entries: 300_000,
            ..ClientOptions::default()
        },
        ..DiscoveryOptions::default()
    };
    // Without a cap every tag is wanted: big/app passes the 100,000 tags to resolve, and its
    // listing stops there; the other repository is discovered.
    let mut all = spec(&reg, "*", 0, "");
    all.excluded_repositories = vec!["endless/*".into()];
    let r = within_memory(200, discover(&all, Credentials::anonymous(), &options))
        .await
        .unwrap();
    assert_eq!(images(&r), ["1.0.0", "1.0.1", "1.0.2"]);
    let errors: Vec<String> = r.errors.iter().map(|e| e.to_string()).collect();
    assert_eq!(
        errors,
        [format!(
            "{host} big/app: tags of big/app: more than 100000 tags to resolve; set a cap, a \
             versionPattern or a narrower tag pattern"
        )]
    );
    // big/app stopped after 101 pages of 1,000; small/app took 1.
    assert_eq!(reg.counts().tag_pages, 101 + 1);
    // A tag list without end passes the (here lowered) listing limit: an error for that
    // repository, even though the cap keeps only 5 tags in memory.
    let r = within_memory(
        200,
        discover(
            &spec(&reg, "endless/app", 5, "1.%d.%d"),
            Credentials::anonymous(),
            &options,
        ),
    )
    .await
    .unwrap();
    assert!(r.images.is_empty());
    let errors: Vec<String> = r.errors.iter().map(|e| e.to_string()).collect();
    assert_eq!(
        errors,
        [format!(
            "{host} endless/app: tags of endless/app at {host}: more than 300000 tags listed; \
             the registry lists more names than discovery reads"
        )]
    );
    assert_eq!(reg.counts().tag_pages, 102 + 301);
}

#[tokio::test]
async fn pages_of_two_are_followed_to_the_end() {
    let mut builder = SimRegistryBuilder::new().page_size(2);
    for r in ["a/one", "a/two", "b/three", "b/four", "c/five"] {
        builder = builder.repository(r, 5);
    }
    let reg = builder.start().await.unwrap();
    let r = discover(
        &spec(&reg, "*", 0, ""),
        Credentials::anonymous(),
        &DiscoveryOptions::default(),
    )
    .await
    .unwrap();
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    assert_eq!(r.images.len(), 25);
    let c = reg.counts();
    // Catalog: 5 names in pages of 2; tags: 5 per repository in pages of 2.
    assert_eq!((c.catalog_pages, c.tag_pages, c.manifests), (3, 5 * 3, 25));
    // The client's own `n` below the registry's page size is honoured too.
    let client = RegistryClient::new(
        reg.url(),
        Credentials::anonymous(),
        ClientOptions {
            page_size: Some(1),
            ..ClientOptions::default()
        },
    )
    .unwrap();
    assert_eq!(client.tags("a/one").await.unwrap().len(), 5);
    assert_eq!(reg.counts().tag_pages, 15 + 5);
    // By date with a cap, every tag of a small repository is considered: exact.
    let r = discover(
        &spec(&reg, "a/one", 2, ""),
        Credentials::anonymous(),
        &DiscoveryOptions::default(),
    )
    .await
    .unwrap();
    assert_eq!(images(&r), ["1.0.4", "1.0.3"]);
}
