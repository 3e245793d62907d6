//! Platform registry discovery benchmark (issue 15): REPOS repositories of TAGS tags each, served
//! by crowsnest-testkit's `SimRegistry` (generated content: tag `1.0.<i>` created `i` seconds
//! after 2020-01-01), discovered with `cap` 5
//! - as type `2` straight from the registry (tags list, then a manifest and a config per tag to
//!   order by the config's `created`), the baseline;
//! - as type `gitlab` through the GitLab simulator in front of the same registry (repositories
//!   from the group's registry listing, one tag-detail call per tag for `created_at`, then one
//!   manifest per kept image);
//! - as type `coreos` through the Quay simulator (repositories of namespace `bench` paged by
//!   `next_page`, active tags with `start_ts` in pages of 100, one manifest per kept image);
//! - as type `dtr` through the DTR simulator (repositories and tags paged by
//!   `X-Next-Page-Start`, tags with `createdAt`, one manifest per kept image).
//!
//! Repositories are `bench/app-<r>` (GitLab group, Quay namespace, DTR namespace `bench`).
//! Every run must find the same images as type `2`. Prints requests (as the client counts them) and the median wall time
//! of RUNS runs per case.
//!
//! ```text
//! cargo run -p crowsnest-registry --example platform_bench -- [REPOS] [TAGS] [RUNS]
//! ```

use crowsnest_model::spec::RegistrySpecification;
use crowsnest_registry::{Credentials, DiscoveryOptions, DiscoveryReport, discover};
use crowsnest_testkit::SimRegistryBuilder;
use crowsnest_testkit::vendor::SimOptions;
use crowsnest_testkit::vendor::gitlab::{self, TOKEN};
use serde_json::json;
use std::time::{Duration, Instant};

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let num = |i: usize, d: u64| args.get(i).and_then(|a| a.parse().ok()).unwrap_or(d);
    let (repos, tags, runs) = (num(0, 200), num(1, 50), num(2, 3));

    let mut builder = SimRegistryBuilder::new().page_size(100);
    for r in 0..repos {
        builder = builder.repository(&format!("bench/app-{r:03}"), tags);
    }
    let registry = builder.start().await.expect("start the simulated registry");
    let setup = Instant::now();
    let sim = gitlab::serve(&SimOptions {
        listen: "127.0.0.1:0".parse().unwrap(),
        upstream: registry.url().to_string(),
        page_size: 100,
    })
    .await
    .expect("start the GitLab simulator");
    eprintln!(
        "GitLab simulator read {} images in {:.1} s",
        sim.sim.info.images.len(),
        setup.elapsed().as_secs_f64()
    );
    let (groups, _) = sim.control.ids();
    let sim_options = SimOptions {
        listen: "127.0.0.1:0".parse().unwrap(),
        upstream: registry.url().to_string(),
        page_size: 100,
    };
    let quay_sim = crowsnest_testkit::vendor::quay::serve(&sim_options)
        .await
        .expect("start the Quay simulator");
    let dtr_sim = crowsnest_testkit::vendor::dtr::serve(&sim_options)
        .await
        .expect("start the DTR simulator");

    let v2: RegistrySpecification = serde_json::from_value(json!({
        "version": "2", "registry": registry.url(), "repository": "bench/*", "cap": 5,
    }))
    .unwrap();
    let gl: RegistrySpecification = serde_json::from_value(json!({
        "version": "gitlab", "registry": sim.sim.url, "repository": "*", "cap": 5,
        "gitlabRegistrySpec": {"groupIDs": [groups["bench"].to_string()],
            "apiDomainName": sim.sim.url},
    }))
    .unwrap();

    let quay: RegistrySpecification = serde_json::from_value(json!({
        "version": "coreos", "registry": quay_sim.sim.url, "repository": "bench/*", "cap": 5,
    }))
    .unwrap();
    let dtr: RegistrySpecification = serde_json::from_value(json!({
        "version": "dtr", "registry": dtr_sim.sim.url, "repository": "bench/*", "cap": 5,
    }))
    .unwrap();
    let options = DiscoveryOptions::default();
    let mut found = Vec::new();
    println!("| case | images | requests | wall (median of {runs}) |");
    println!("|---|---|---|---|");
    for (name, spec, creds) in [
        (
            "type 2 (baseline), cap 5 by config created",
            &v2,
            Credentials::anonymous(),
        ),
        (
            "gitlab, cap 5 by created_at",
            &gl,
            Credentials::basic("crow", TOKEN),
        ),
        (
            "coreos (Quay), cap 5 by start_ts",
            &quay,
            Credentials::basic("$oauthtoken", crowsnest_testkit::vendor::quay::TOKEN),
        ),
        (
            "dtr, cap 5 by createdAt",
            &dtr,
            Credentials::basic(
                crowsnest_testkit::vendor::dtr::USER,
                crowsnest_testkit::vendor::dtr::PASSWORD,
            ),
        ),
    ] {
        let mut times: Vec<Duration> = Vec::new();
        let mut last: Option<DiscoveryReport> = None;
        for _ in 0..runs {
            let started = Instant::now();
            let report = discover(spec, creds.clone(), &options)
                .await
                .expect("discover");
            times.push(started.elapsed());
            assert!(report.errors.is_empty(), "{:?}", report.errors);
            last = Some(report);
        }
        times.sort();
        let report = last.expect("at least one run");
        let mut images: Vec<(String, String, String)> = report
            .images
            .iter()
            .map(|i| (i.repo.clone(), i.tag.clone(), i.digest.to_string()))
            .collect();
        images.sort();
        println!(
            "| {name} | {} | {} | {:.2} s |",
            images.len(),
            report.requests,
            times[times.len() / 2].as_secs_f64()
        );
        found.push(images);
    }
    for (i, other) in found.iter().enumerate().skip(1) {
        assert_eq!(&found[0], other, "case {i} must find what type 2 finds");
    }
    let hits = sim.control.hits();
    eprintln!("GitLab simulator, requests by route over all runs: {hits:#?}");
}
