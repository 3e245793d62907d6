//! Crowsnest's test harness (a dev-dependency only): real registries and controlled faults.
//!
//! - [`RegistryBuilder`] starts Debian's `docker-registry` on a free 127.0.0.1 port: anonymous,
//!   htpasswd Basic, or bearer token (with an in-process ES256 token service), optionally TLS
//!   with a generated CA and client certificates, optionally a small catalog page size. The
//!   [`TestRegistry`] it returns kills the process on drop.
//! - [`Pusher`] (from [`TestRegistry::pusher`]) pushes synthetic images through the
//!   distribution API: [`ImageBuilder`] for Docker schema 2 / OCI images with a chosen `created`,
//!   [`IndexBuilder`] for OCI indexes and Docker manifest lists.
//! - [`make_tls`] makes a throw-away CA and a 127.0.0.1 server certificate signed by it.
//! - [`PostgresBuilder`] starts a real PostgreSQL server (`initdb` in a temp dir, as an
//!   unprivileged user when run as root) on a free 127.0.0.1 port; [`TestPostgres`] hands out a
//!   fresh database per test and stops the server by its PID on drop.
//! - [`FaultProxy`] sits in front of a registry and injects one [`Fault`] per matching path.
//! - [`SimRegistry`] (from [`SimRegistryBuilder`]) simulates registries too large to push: an
//!   endless catalog, repositories of a million tags, everything generated on demand.
//! - [`vendor`]: each registry type's vendor API simulated in front of a real registry, and
//!   the `registry-sim` binary that starts one by `--kind`.
//! - [`memory`] reads the process's resident set size, for tests that bound memory.
//!
//! Tests that need a registry call [`RegistryBuilder::start_or_skip`]: without `docker-registry`
//! it prints why and returns `None`, unless `CROWSNEST_REQUIRE_REGISTRY` is set (CI), where it
//! panics instead. `scripts/test-deps.sh` installs `docker-registry`, `apache2-utils` and
//! `openssl`, `postgresql` and the `crowsnest-test` user. Everything listens on 127.0.0.1 only.

mod certs;
mod layer;
pub mod memory;
mod postgres;
mod proxy;
mod push;
mod registry;
mod simulator;
mod token;
pub mod vendor;

pub use certs::{TlsFiles, make_tls};
pub use layer::tar_layer;
pub use postgres::{PostgresBuilder, TestPostgres, postgres_available, postgres_bin_dir};
pub use proxy::{Fault, FaultProxy};
pub use push::{Format, ImageBuilder, IndexBuilder, PushedImage, PushedIndex, Pusher};
pub use registry::{
    REQUIRE_ENV, RegistryBuilder, TestRegistry, docker_registry_binary, registry_available,
};
pub use simulator::{SimCounts, SimRegistry, SimRegistryBuilder};
pub use token::TokenStats;

/// The harness's error: a message saying what failed to set up.
#[derive(Debug, Clone)]
pub struct Error(String);

impl Error {
    pub(crate) fn new(message: impl Into<String>) -> Error {
        Error(message.into())
    }

    pub(crate) fn from_display(e: impl std::fmt::Display) -> Error {
        Error(e.to_string())
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

pub type Result<T> = std::result::Result<T, Error>;
