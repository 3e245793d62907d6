//! Cloud registry types benchmark (issue 13): discovery of 200 repositories × 50 tags with
//! `cap: 5` through a vendor simulator, beside type `"2"` on the same content.
//!
//! ```text
//! cargo run -p crowsnest-registry --example cloud_discovery -- [KIND] [PAGE_SIZE]
//! ```
//! The content is crowsnest-testkit's `SimRegistry` (generated OCI images; tag `i` of each
//! repository created `i` seconds after 2020-01-01), read once by the simulator frame
//! (`Upstream::read`, timed apart). KIND defaults to `aws`; PAGE_SIZE (default 1000) bounds the
//! simulator's pages. Prints requests and wall time of each discovery; both must find the same
//! 1,000 images (the newest five of each repository).

use crowsnest_model::spec::RegistrySpecification;
use crowsnest_registry::{
    AwsIdentity, Credentials, DiscoveryOptions, RegistryAuth, VendorEndpoints, discover,
};
use crowsnest_testkit::SimRegistryBuilder;
use crowsnest_testkit::vendor::{SimOptions, ecr, start};
use std::time::Instant;

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let kind = args.first().map_or("aws", String::as_str);
    let page_size: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(1000);
    let mut builder = SimRegistryBuilder::new().page_size(1000);
    for r in 0..200 {
        builder = builder.repository(&format!("team{:02}/app{r:03}", r % 10), 50);
    }
    let reg = builder.start().await.expect("start the content registry");

    let spec = |version: &str, registry: &str| RegistrySpecification {
        version: version.into(),
        registry: registry.into(),
        os: "linux".into(),
        repository: "*".into(),
        tag: "*".into(),
        cap: 5,
        ..Default::default()
    };
    let t = Instant::now();
    let baseline = discover(
        &spec("2", reg.url()),
        Credentials::anonymous(),
        &DiscoveryOptions::default(),
    )
    .await
    .expect("type 2 discovery");
    let v2_time = t.elapsed();

    let t = Instant::now();
    let sim = start(
        kind,
        &SimOptions {
            listen: "127.0.0.1:0".parse().unwrap(),
            upstream: reg.url().to_string(),
            page_size,
        },
    )
    .await
    .expect("start the simulator");
    let read_time = t.elapsed();
    let (creds, _) = match kind {
        "aws" => (
            Credentials {
                auth: RegistryAuth::Aws(AwsIdentity::access_key(
                    "bench",
                    ecr::READER.0,
                    ecr::READER.1,
                    None,
                )),
                ..Credentials::default()
            },
            (),
        ),
        other => panic!("no credentials for kind {other:?}"),
    };
    let options = DiscoveryOptions {
        vendor: VendorEndpoints::from_pairs(sim.info.env.clone()),
        ..DiscoveryOptions::default()
    };
    let vendor_spec: RegistrySpecification = {
        let mut v = sim.info.spec.clone();
        v["cap"] = 5.into();
        serde_json::from_value(v).unwrap()
    };
    let t = Instant::now();
    let report = discover(&vendor_spec, creds, &options)
        .await
        .expect("vendor discovery");
    let vendor_time = t.elapsed();

    // The same with one call at a time: the latency of one signed call.
    let sequential = DiscoveryOptions {
        concurrency: 1,
        ..options.clone()
    };
    let creds_again = Credentials {
        auth: RegistryAuth::Aws(AwsIdentity::access_key(
            "bench",
            ecr::READER.0,
            ecr::READER.1,
            None,
        )),
        ..Credentials::default()
    };
    let t = Instant::now();
    let one_by_one = discover(&vendor_spec, creds_again, &sequential)
        .await
        .expect("vendor discovery, sequential");
    let sequential_time = t.elapsed();
    let key = |r: &crowsnest_registry::DiscoveryReport| {
        let mut v: Vec<(String, String, String)> = r
            .images
            .iter()
            .map(|i| (i.repo.clone(), i.tag.clone(), i.digest.to_string()))
            .collect();
        v.sort();
        v
    };
    assert_eq!(key(&report), key(&baseline), "both find the same images");
    println!(
        "content: 200 repositories x 50 tags; simulator read it in {:.2} s",
        read_time.as_secs_f64()
    );
    println!(
        "type 2:   {} images, {} requests, {:.3} s (registry counts: {:?})",
        baseline.images.len(),
        baseline.requests,
        v2_time.as_secs_f64(),
        reg.counts()
    );
    println!(
        "{kind} (page size {page_size}): {} images, {} requests, {:.3} s, errors {}",
        report.images.len(),
        report.requests,
        vendor_time.as_secs_f64(),
        report.errors.len()
    );
    println!(
        "{kind} one call at a time: {} requests, {:.3} s",
        one_by_one.requests,
        sequential_time.as_secs_f64()
    );
}
