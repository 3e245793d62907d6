//! Integration tests of the registry client and discovery against Debian's `docker-registry`,
//! started per test by crowsnest-testkit on 127.0.0.1 (skipped with a printed reason when the
//! binary is missing, unless CROWSNEST_REQUIRE_REGISTRY is set).

#[path = "tests/auth.rs"]
mod auth;
#[path = "tests/blobs.rs"]
mod blobs;
#[path = "tests/connect.rs"]
mod connect;
#[path = "tests/discovery.rs"]
mod discovery;
#[path = "tests/faults.rs"]
mod faults;
#[path = "tests/large.rs"]
mod large;
#[path = "tests/sim_dtr.rs"]
mod sim_dtr;
#[path = "tests/sim_ecr.rs"]
mod sim_ecr;
#[path = "tests/sim_gitlab.rs"]
mod sim_gitlab;
#[path = "tests/sim_harbor.rs"]
mod sim_harbor;
#[path = "tests/sim_jfrog.rs"]
mod sim_jfrog;
#[path = "tests/sim_quay.rs"]
mod sim_quay;
#[path = "tests/sim_sonatype.rs"]
mod sim_sonatype;
#[path = "tests/sims.rs"]
mod sims;
#[path = "tests/support.rs"]
mod support;
