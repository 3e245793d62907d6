//! `GET /registry/progress` at the maximum number of specifications.

use crate::{PASSWORD, USER, fill, start, summary};
use crowsnest_store::ScanQueue;
use std::time::Instant;

pub(crate) async fn run(specs: usize) {
    let c = start().await;
    let store = fill::open_store(&c.data_dir).await;
    let filled = Instant::now();
    let scan = fill::fill(&store, specs, 2).await;
    println!(
        "filled {specs} specifications in {:.1} s",
        filled.elapsed().as_secs_f64()
    );
    let specs_of_scan = store.scan_specs(scan).await.expect("specs");
    // The view before: a count query per specification (once: it takes minutes in debug).
    let t = Instant::now();
    for s in &specs_of_scan {
        store
            .job_counts(scan, Some(&s.spec_id))
            .await
            .expect("counts");
    }
    let mut per_spec = vec![t.elapsed()];
    let mut one_query = vec![];
    for _ in 0..5 {
        let t = Instant::now();
        store.job_counts_by_spec(scan).await.expect("counts");
        one_query.push(t.elapsed());
    }
    println!(
        "store, a count query per spec (before): {}",
        summary(&mut per_spec)
    );
    println!(
        "store, one count query for all (after): {}",
        summary(&mut one_query)
    );
    let http = reqwest::Client::new();
    let mut gets = vec![];
    let mut bytes = 0;
    for _ in 0..5 {
        let t = Instant::now();
        let r = http
            .get(format!("{}/registry/progress", c.base))
            .basic_auth(USER, Some(PASSWORD))
            .send()
            .await
            .expect("progress");
        assert_eq!(r.status(), 200);
        bytes = r.bytes().await.expect("body").len();
        gets.push(t.elapsed());
    }
    println!(
        "GET /registry/progress with {specs} specifications ({bytes} bytes): {}",
        summary(&mut gets)
    );
}
