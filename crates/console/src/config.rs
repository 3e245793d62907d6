//! The Console's validated configuration, and the errors that stop it from starting.

use jiff::SignedDuration;
use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Debug, Clone)]
pub struct ConsoleConfig {
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    /// URL of the store: `sqlite://PATH` (the default, in the data dir) or `postgres://…`.
    pub database: String,
    pub token_ttl: SignedDuration,
    /// Largest request body accepted; a 19,999-spec PUT is about 3 MB.
    pub max_body_bytes: usize,
    /// Local feed mirror to build the vulnerability database from when it is missing.
    pub feeds: Option<PathBuf>,
    /// Hours between regular scans; 0 disables the periodic scan.
    pub scan_interval_hours: u64,
    /// Registry specifications scanned at once.
    pub parallel_specs: usize,
    /// Days to keep results of images gone from their registry.
    pub retention_days: i64,
    /// Where an empty `registry` (Docker Hub) points; only tests change it.
    pub docker_hub: Option<String>,
    /// Vendor endpoint variables (`AWS_ENDPOINT_URL_ECR`, …) set over the process
    /// environment's for registry discovery; only tests set them.
    pub vendor_env: std::collections::BTreeMap<String, String>,
    /// Result reads (`/registry`, `/registry/names`, a CSV page) served at once; the rest wait
    /// their turn without using CPU. 0 means one per core. Bounding them keeps a crowd of
    /// readers from starving a running scan of the cores it needs.
    pub concurrent_reads: usize,
    /// HTTPS with the operator's certificate, with a self-signed one (the default), or plain HTTP.
    pub transport: crate::tls::Transport,
    /// How long a client may take to send a request's head, and how long an idle keep-alive
    /// connection stays open; past it the connection is closed.
    pub header_read_timeout: std::time::Duration,
    /// How long a client may take to send a request's body; past it the answer is 408.
    pub body_read_timeout: std::time::Duration,
    /// Connections served at once; more wait in the listen backlog until one ends, so a crowd
    /// of slow clients cannot use up the Console's file descriptors.
    pub max_connections: usize,
    /// Whether this Console scans images itself; false (`serve --workers 0`) leaves the images
    /// to `crowsnest worker` nodes on the same PostgreSQL store and only schedules.
    pub local_workers: bool,
    /// How long a claimed job stays a node's without a heartbeat on a shared store (renewed
    /// every third of it); a node that dies gives its jobs back after this long.
    pub lease: std::time::Duration,
}

impl ConsoleConfig {
    pub fn for_data_dir(data_dir: PathBuf) -> ConsoleConfig {
        ConsoleConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 8083)),
            database: format!("sqlite://{}", data_dir.join("crowsnest.sqlite").display()),
            data_dir,
            token_ttl: SignedDuration::from_mins(30),
            max_body_bytes: 32 * 1024 * 1024,
            feeds: None,
            scan_interval_hours: 24,
            parallel_specs: 4,
            concurrent_reads: 0,
            retention_days: 30,
            docker_hub: None,
            vendor_env: std::collections::BTreeMap::new(),
            transport: crate::tls::Transport::SelfSigned,
            header_read_timeout: std::time::Duration::from_secs(10),
            body_read_timeout: std::time::Duration::from_secs(60),
            max_connections: 512,
            local_workers: true,
            lease: std::time::Duration::from_secs(60),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConsoleError {
    #[error(
        "no Console user exists yet: set CROWSNEST_ADMIN_USER and CROWSNEST_ADMIN_PASSWORD for the first start to create the admin user"
    )]
    NoUsers,
    #[error("configuration: {0}")]
    Config(String),
    #[error("store: {0}")]
    Store(#[from] crowsnest_store::StoreError),
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("server: {0}")]
    Serve(std::io::Error),
}
