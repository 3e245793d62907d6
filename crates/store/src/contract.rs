//! The contract every store backend must keep, as test functions any backend's tests run.
//!
//! Each function takes a factory that opens a fresh, empty store (and may be called more than
//! once: the concurrency test opens one, other tests one each) and panics when the backend
//! breaks the contract. A backend runs all of them with [`contract_tests!`](crate::contract_tests),
//! which writes one `#[tokio::test]` per function, so a function added here is run by every
//! backend without anyone listing it again. The tests in `crates/store/tests` do that for SQLite
//! and for PostgreSQL (a real server, each test on a fresh database).

mod concurrency;
mod credentials;
mod results;
mod scan_queue;
mod small;

pub use concurrency::parallel_writers_all_succeed_and_are_readable;
pub use credentials::{
    credential_in_use_cannot_be_deleted, credentials_are_sealed_and_keep_secrets_on_empty,
    specifications_append_up_to_max, specifications_replace_whole_or_not_at_all,
};
pub use results::{
    image_queries_filter_sort_and_page, images_keep_first_scan_time_touch_and_purge,
    pages_of_every_sort_order_tile_the_whole_list,
};
pub use scan_queue::{
    claims_are_exclusive_and_expired_leases_return, jobs_cancel_and_count_per_spec,
    leases_renew_and_fence_results, one_regular_scan_at_a_time_on_demand_beside_it,
    progress_is_reported_once, retries_wait_for_their_time, scan_errors_keep_the_latest,
    scan_spec_records_upsert_in_order, stopped_spec_stays_stopped,
};
pub use small::{
    documents_by_kind, layer_facts_by_digest, retired_tokens_until_expiry, users_are_unique,
};

use crate::Store;
use std::future::Future;
use std::sync::Arc;

/// Opens a fresh, empty store.
pub trait Factory: Fn() -> Self::Fut + Send + Sync + 'static {
    type Fut: Future<Output = Arc<dyn Store>> + Send;
}

impl<F, Fut> Factory for F
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Arc<dyn Store>> + Send,
{
    type Fut = Fut;
}

/// Writes one `#[tokio::test]` per contract function, each calling `$factory` (an expression
/// evaluated once per test, giving a [`Factory`]). With `optional:`, the expression gives an
/// `Option` of a factory instead, and a test returns early on `None`: for a backend whose server
/// may be missing (its helper prints why it is skipped, or panics when it must not be).
#[macro_export]
macro_rules! contract_tests {
    (@each [plain] $factory:expr; $($name:ident),+ $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $name() {
                $crate::contract::$name($factory).await;
            }
        )+
    };
    (@each [optional] $factory:expr; $($name:ident),+ $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $name() {
                let Some(factory) = $factory else { return };
                $crate::contract::$name(factory).await;
            }
        )+
    };
    (@all $mode:tt $factory:expr) => {
        $crate::contract_tests!(@each $mode $factory;
            users_are_unique,
            retired_tokens_until_expiry,
            documents_by_kind,
            layer_facts_by_digest,
            credentials_are_sealed_and_keep_secrets_on_empty,
            credential_in_use_cannot_be_deleted,
            specifications_replace_whole_or_not_at_all,
            specifications_append_up_to_max,
            one_regular_scan_at_a_time_on_demand_beside_it,
            scan_spec_records_upsert_in_order,
            stopped_spec_stays_stopped,
            progress_is_reported_once,
            claims_are_exclusive_and_expired_leases_return,
            leases_renew_and_fence_results,
            retries_wait_for_their_time,
            jobs_cancel_and_count_per_spec,
            scan_errors_keep_the_latest,
            image_queries_filter_sort_and_page,
            images_keep_first_scan_time_touch_and_purge,
            pages_of_every_sort_order_tile_the_whole_list,
            parallel_writers_all_succeed_and_are_readable,
        );
    };
    (optional: $factory:expr) => {
        $crate::contract_tests!(@all [optional] $factory);
    };
    ($factory:expr) => {
        $crate::contract_tests!(@all [plain] $factory);
    };
}
