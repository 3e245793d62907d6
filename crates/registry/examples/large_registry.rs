//! Large-registry benchmark (issue 21, item 5): discovery against crowsnest-testkit's
//! `SimRegistry`, with the discovery limits on (`after`) or all off (`before`: main's behaviour
//! before the limits, which kept every listed name and resolved every tag under a date cap).
//!
//! ```text
//! cargo run --release -p crowsnest-registry --example large_registry -- catalog after
//! cargo run --release -p crowsnest-registry --example large_registry -- catalog before 90
//! cargo run --release -p crowsnest-registry --example large_registry -- tags after
//! cargo run --release -p crowsnest-registry --example large_registry -- tags before 120
//! ```
//! `catalog`: an endless catalog of 50,000 names a page, `repository: "gen/*"` (every name
//! matches; `catalog-nomatch`: `other/*`, nothing matches), `cap: 5`. `tags`: one repository
//! of 1,000,000 tags in pages of 1,000, `cap: 5` by creation date (`tags-pattern`: by
//! `versionPattern: "1.%d.%d"`). The third argument is the time budget in seconds (default 120), the fourth
//! a resident-memory ceiling in MB (default 1,500, to spare a shared machine): a run still
//! going at either is stopped and reported as such. Prints requests by kind, wall time and
//! the process's peak RSS (the simulator runs in the same process and holds next to nothing).

use crowsnest_model::spec::RegistrySpecification;
use crowsnest_registry::{ClientOptions, Credentials, DiscoveryLimits, DiscoveryOptions, discover};
use crowsnest_testkit::{SimRegistryBuilder, memory};
use std::time::{Duration, Instant};

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let case = args.first().map_or("tags", String::as_str);
    let before = args.get(1).is_some_and(|a| a == "before");
    let budget = Duration::from_secs(args.get(2).and_then(|a| a.parse().ok()).unwrap_or(120));
    let ceiling_mb: u64 = args.get(3).and_then(|a| a.parse().ok()).unwrap_or(1500);

    let (builder, repository) = match case {
        "catalog" => (SimRegistryBuilder::new().endless_catalog(50_000), "gen/*"),
        "catalog-nomatch" => (SimRegistryBuilder::new().endless_catalog(50_000), "other/*"),
        "tags" | "tags-pattern" => (
            SimRegistryBuilder::new().repository("big/app", 1_000_000),
            "big/app",
        ),
        other => panic!("unknown case {other:?}: catalog, catalog-nomatch, tags or tags-pattern"),
    };
    let reg = builder.start().await.expect("start the simulator");
    let spec = RegistrySpecification {
        version: "2".into(),
        registry: reg.url().into(),
        os: "linux".into(),
        repository: repository.into(),
        cap: 5,
        version_pattern: if case == "tags-pattern" {
            "1.%d.%d"
        } else {
            ""
        }
        .into(),
        ..Default::default()
    };
    let options = if before {
        DiscoveryOptions {
            client: ClientOptions {
                max_page_bytes: 32 << 20,
                max_list_entries: u64::MAX,
                ..ClientOptions::default()
            },
            limits: DiscoveryLimits::unbounded(),
            ..DiscoveryOptions::default()
        }
    } else {
        DiscoveryOptions::default()
    };
    let rss_start = memory::rss_bytes().unwrap_or(0);
    let started = Instant::now();
    // Polling is fine here: this is a benchmark's safety net, not a test.
    let over_ceiling = async {
        loop {
            tokio::time::sleep(Duration::from_millis(50)).await;
            if memory::rss_bytes().unwrap_or(0) > ceiling_mb << 20 {
                break;
            }
        }
    };
    let outcome = tokio::select! {
        r = discover(&spec, Credentials::anonymous(), &options) => Some(r),
        () = tokio::time::sleep(budget) => None,
        () = over_ceiling => None,
    };
    let wall = started.elapsed();
    let rss_end = memory::rss_bytes().unwrap_or(0);
    let peak = memory::peak_rss_bytes().unwrap_or(0);
    let result = match outcome {
        None => format!(
            "still running after {:.1} s (budget {} s, RSS ceiling {ceiling_mb} MB), stopped",
            wall.as_secs_f64(),
            budget.as_secs()
        ),
        Some(Err(e)) => format!("error: {e}"),
        Some(Ok(r)) => format!(
            "{} images ({}), {} errors",
            r.images.len(),
            r.images
                .iter()
                .map(|i| i.tag.as_str())
                .collect::<Vec<_>>()
                .join(" "),
            r.errors.len()
        ),
    };
    let c = reg.counts();
    let mb = |b: u64| b as f64 / f64::from(1 << 20);
    println!(
        "{case} {}: {result}",
        if before {
            "before (limits off)"
        } else {
            "after"
        }
    );
    println!(
        "requests {} (catalog pages {}, tag pages {}, manifests {}, configs {}), wall {:.1} s, \
         RSS start {:.0} MB, peak {:.0} MB, at the end {:.0} MB",
        c.total(),
        c.catalog_pages,
        c.tag_pages,
        c.manifests,
        c.blobs,
        wall.as_secs_f64(),
        mb(rss_start),
        mb(peak),
        mb(rss_end)
    );
}
