//! Discovery benchmark: starts a local `docker-registry` (crowsnest-testkit), pushes REPOS x TAGS
//! synthetic images (tags `1.<i>.0`, every config with its own `created`), then times
//! `discover` with `cap` 5 by config date, with `cap` 5 by `versionPattern`, and with `cap` 0,
//! reporting wall time (median of RUNS) and HTTP requests.
//!
//! ```text
//! cargo run --release -p crowsnest-registry --example discover_bench -- [REPOS] [TAGS] [RUNS] [token]
//! cargo run --release -p crowsnest-registry --example discover_bench -- 3 5 1 serve   # keep it up
//! ```
//! `token` runs the registry with bearer-token auth; `serve` pushes, prints the registry URL,
//! and waits for end of input, so the CLI can be tried against it.

use crowsnest_model::spec::RegistrySpecification;
use crowsnest_registry::{Credentials, DiscoveryOptions, discover};
use crowsnest_testkit::{ImageBuilder, RegistryBuilder};
use futures_util::{StreamExt, stream};
use std::time::{Duration, Instant};

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let num = |i: usize, d: usize| args.get(i).and_then(|a| a.parse().ok()).unwrap_or(d);
    let (repos, tags, runs) = (num(0, 50), num(1, 40), num(2, 3));
    let token = args.iter().any(|a| a == "token");
    let serve = args.iter().any(|a| a == "serve");

    let builder = if token {
        RegistryBuilder::new().token("bench", "bench-pw")
    } else {
        RegistryBuilder::new()
    };
    let reg = builder.start().await.expect("start docker-registry");
    let pusher = reg.pusher();
    let started = Instant::now();
    // Repositories in parallel, each one's tags in order: distribution 2.8 can lose a blob link
    // when one repository receives the same blob twice at once.
    stream::iter(0..repos)
        .map(|r| {
            let pusher = pusher.clone();
            async move {
                for t in 0..tags {
                    // Creation order is a permutation of tag order, so the two caps differ.
                    let hour = (t * 7) % tags;
                    let img = ImageBuilder::oci()
                        .created(&format!(
                            "2024-{:02}-{:02}T{:02}:00:00Z",
                            1 + hour / 600,
                            1 + (hour / 24) % 25,
                            hour % 24
                        ))
                        .label(&format!("r{r}t{t}"));
                    pusher
                        .push_image(&format!("bench/repo-{r:03}"), &format!("1.{t}.0"), &img)
                        .await
                        .expect("push");
                }
            }
        })
        .buffer_unordered(8)
        .collect::<Vec<()>>()
        .await;
    eprintln!(
        "pushed {repos} repositories x {tags} tags in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    if serve {
        println!("registry: {}", reg.url());
        if let Some((u, p)) = reg.user_password() {
            println!("user: {u} password: {p}");
        }
        let _ = std::io::stdin().read_line(&mut String::new());
        return;
    }

    let creds = if token {
        Credentials::basic("bench", "bench-pw")
    } else {
        Credentials::anonymous()
    };
    let base = RegistrySpecification {
        version: "2".into(),
        registry: reg.url(),
        os: "linux".into(),
        repository: "bench/*".into(),
        ..Default::default()
    };
    let cases = [
        ("cap 5, by config created (baseline)", 5, ""),
        ("cap 5, versionPattern 1.%d.0", 5, "1.%d.0"),
        ("cap 0 (all), by config created", 0, ""),
    ];
    let opts = DiscoveryOptions::default();
    println!("| case | images | requests | wall (median of {runs}) | vs baseline |");
    println!("|---|---|---|---|---|");
    let mut baseline = None;
    for (name, cap, pattern) in cases {
        let mut spec = base.clone();
        spec.cap = cap;
        spec.version_pattern = pattern.into();
        let mut times = Vec::new();
        let mut last = None;
        for _ in 0..runs {
            let t = Instant::now();
            let report = discover(&spec, creds.clone(), &opts)
                .await
                .expect("discover");
            times.push(t.elapsed());
            assert!(report.errors.is_empty(), "{:?}", report.errors);
            last = Some(report);
        }
        times.sort();
        let median: Duration = times[times.len() / 2];
        let report = last.expect("at least one run");
        let base_time = *baseline.get_or_insert(median);
        println!(
            "| {name} | {} | {} | {:.3} s | {:.2}x |",
            report.images.len(),
            report.requests,
            median.as_secs_f64(),
            median.as_secs_f64() / base_time.as_secs_f64()
        );
    }
}
