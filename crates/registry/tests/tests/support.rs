//! Builders shared by the test modules: specifications and options for a test registry.

use crowsnest_model::spec::RegistrySpecification;
use crowsnest_registry::{ClientOptions, DiscoveryOptions};
use std::time::Duration;

/// A type-"2" specification for `registry` with everything else at its default.
/// A cap makes discovery read creation dates (from configs), which most tests check; `cap: 0`
/// lists tags without reading any config.
pub(crate) fn spec(registry: &str) -> RegistrySpecification {
    RegistrySpecification {
        version: "2".into(),
        registry: registry.into(),
        os: "linux".into(),
        cap: 1000,
        ..Default::default()
    }
}

/// Options with short waits so fault tests stay quick: 2 attempts, 50 ms first backoff, waits
/// capped at 2 s, and a 1.5 s request timeout.
pub(crate) fn quick() -> DiscoveryOptions {
    DiscoveryOptions {
        client: ClientOptions {
            request_timeout: Duration::from_millis(1500),
            max_attempts: 2,
            initial_backoff: Duration::from_millis(50),
            max_backoff: Duration::from_secs(2),
            ..ClientOptions::default()
        },
        ..DiscoveryOptions::default()
    }
}
