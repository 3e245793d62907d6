//! `crowsnest serve`: the Console. Settings come from the command line, then `CROWSNEST_*`
//! environment variables, then a TOML file (`--config`, or `crowsnest.toml` in the data dir),
//! then the defaults; the first that sets a value wins.

use super::Global;
use anyhow::Context;
use crowsnest_console::{Bootstrap, ConsoleConfig, SystemClock, Transport};
use crowsnest_store::StoreError;
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

#[derive(Debug, clap::Args)]
pub(crate) struct ServeArgs {
    /// Address to listen on [default: 127.0.0.1:8083].
    #[arg(long, env = "CROWSNEST_LISTEN")]
    listen: Option<SocketAddr>,
    /// Store URL: sqlite://PATH or postgres://USER:PASSWORD@HOST:PORT/DATABASE (also read from
    /// CROWSNEST_DATABASE_URL) [default: sqlite://<data-dir>/crowsnest.sqlite].
    #[arg(long, env = "CROWSNEST_DATABASE")]
    database: Option<String>,
    /// TOML configuration file [default: <data-dir>/crowsnest.toml when it exists].
    #[arg(long, env = "CROWSNEST_CONFIG")]
    config: Option<PathBuf>,
    /// Local mirror of the vulnerability feeds to build the database from at first start.
    #[arg(long, env = "CROWSNEST_FEEDS")]
    feeds: Option<PathBuf>,
    /// Lifetime of API tokens in minutes [default: 30].
    #[arg(long, env = "CROWSNEST_TOKEN_TTL_MINUTES")]
    token_ttl_minutes: Option<i64>,
    /// Largest accepted request body in bytes [default: 33554432].
    #[arg(long, env = "CROWSNEST_MAX_BODY_BYTES")]
    max_body_bytes: Option<usize>,
    /// Hours between periodic regular scans; 0 disables them [default: 24].
    #[arg(long, env = "CROWSNEST_SCAN_INTERVAL_HOURS")]
    scan_interval_hours: Option<u64>,
    /// Registry specifications scanned at once [default: 4].
    #[arg(long, env = "CROWSNEST_PARALLEL_SPECS")]
    parallel_specs: Option<usize>,
    /// Days to keep results of images gone from their registry [default: 30].
    #[arg(long, env = "CROWSNEST_RETENTION_DAYS")]
    retention_days: Option<i64>,
    /// PEM certificate chain for HTTPS [default: a self-signed one made in <data-dir>/tls/].
    #[arg(long, env = "CROWSNEST_TLS_CERT", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// PEM private key of --tls-cert.
    #[arg(long, env = "CROWSNEST_TLS_KEY", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Serve plain HTTP instead of HTTPS (behind a TLS-terminating proxy, or on a test machine).
    /// The variable takes the usual spellings (`1`, `true`, `yes`, `on`; `0`, `false`, …).
    #[arg(
        long,
        env = "CROWSNEST_PLAIN_HTTP",
        conflicts_with = "tls_cert",
        value_parser = clap::builder::BoolishValueParser::new(),
        num_args = 0..=1,
        default_missing_value = "true",
        require_equals = true,
        default_value = "false"
    )]
    plain_http: bool,
    /// Images this Console scans itself: `0` leaves them to `crowsnest worker` nodes on the same
    /// PostgreSQL store (the Console then only schedules). Any other value keeps the default.
    #[arg(long, env = "CROWSNEST_WORKERS")]
    workers: Option<usize>,
    /// On a PostgreSQL store: seconds a claimed job stays this node's without a heartbeat (a
    /// dead node's jobs go back to the queue after this long) [default: 60].
    #[arg(long, env = "CROWSNEST_LEASE_SECONDS")]
    lease_seconds: Option<u64>,
    /// Where an empty `registry` (Docker Hub) points; for tests with a local stand-in.
    #[arg(long, env = "CROWSNEST_DOCKER_HUB", hide = true)]
    docker_hub: Option<String>,
}

/// The TOML file's keys; the same names as the flags, with underscores.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    listen: Option<SocketAddr>,
    database: Option<String>,
    feeds: Option<PathBuf>,
    token_ttl_minutes: Option<i64>,
    max_body_bytes: Option<usize>,
    scan_interval_hours: Option<u64>,
    parallel_specs: Option<usize>,
    retention_days: Option<i64>,
    tls_cert: Option<PathBuf>,
    tls_key: Option<PathBuf>,
    plain_http: Option<bool>,
}

fn read_file_config(explicit: Option<&Path>, data_dir: &Path) -> anyhow::Result<FileConfig> {
    let (path, required) = match explicit {
        Some(p) => (p.to_path_buf(), true),
        None => (data_dir.join("crowsnest.toml"), false),
    };
    match std::fs::read_to_string(&path) {
        Ok(text) => toml::from_str(&text)
            .with_context(|| format!("invalid configuration file {}", path.display())),
        Err(e) if !required && e.kind() == std::io::ErrorKind::NotFound => {
            Ok(FileConfig::default())
        }
        Err(e) => {
            Err(e).with_context(|| format!("cannot read configuration file {}", path.display()))
        }
    }
}

/// The second name of the store URL's variable, the one PostgreSQL tooling uses.
const DATABASE_URL_ENV: &str = "CROWSNEST_DATABASE_URL";

/// The store URL: `--database` or `CROWSNEST_DATABASE` (clap reads both), else the variable
/// named `env_url`, else the file's `database`.
fn database_url(flag: Option<String>, env_url: &str, file: Option<String>) -> Option<String> {
    flag.or_else(|| std::env::var(env_url).ok().filter(|v| !v.is_empty()))
        .or(file)
}

fn build_config(
    args: &ServeArgs,
    global: &Global,
) -> anyhow::Result<(ConsoleConfig, Option<PathBuf>)> {
    let file = read_file_config(args.config.as_deref(), &global.data_dir)?;
    let mut config = ConsoleConfig::for_data_dir(global.data_dir.clone());
    config.transport = transport(args, &file)?;
    if let Some(listen) = args.listen.or(file.listen) {
        config.listen = listen;
    }
    if let Some(db) = database_url(args.database.clone(), DATABASE_URL_ENV, file.database) {
        config.database = db;
    }
    if let Some(minutes) = args.token_ttl_minutes.or(file.token_ttl_minutes) {
        anyhow::ensure!(minutes > 0, "token_ttl_minutes must be positive");
        config.token_ttl = jiff::SignedDuration::from_mins(minutes);
    }
    if let Some(max) = args.max_body_bytes.or(file.max_body_bytes) {
        anyhow::ensure!(max >= 1024, "max_body_bytes must be at least 1024");
        config.max_body_bytes = max;
    }
    if let Some(hours) = args.scan_interval_hours.or(file.scan_interval_hours) {
        config.scan_interval_hours = hours;
    }
    if let Some(n) = args.parallel_specs.or(file.parallel_specs) {
        anyhow::ensure!(n > 0, "parallel_specs must be at least 1");
        config.parallel_specs = n;
    }
    if let Some(days) = args.retention_days.or(file.retention_days) {
        anyhow::ensure!(days >= 0, "retention_days must not be negative");
        config.retention_days = days;
    }
    if let Some(secs) = args.lease_seconds {
        anyhow::ensure!(secs >= 3, "lease_seconds must be at least 3");
        config.lease = std::time::Duration::from_secs(secs);
    }
    if args.workers == Some(0) {
        anyhow::ensure!(
            crowsnest_store::is_shared_url(&config.database),
            "--workers 0 needs a PostgreSQL store that worker nodes share (--database postgres://…)"
        );
        config.local_workers = false;
    }
    config.docker_hub = args.docker_hub.clone();
    config.feeds = args.feeds.clone().or(file.feeds);
    let feeds = config.feeds.clone();
    Ok((config, feeds))
}

/// HTTPS unless plain HTTP is asked for; the operator's certificate when given, a self-signed
/// one otherwise. The command line and environment together win over the file.
fn transport(args: &ServeArgs, file: &FileConfig) -> anyhow::Result<Transport> {
    let (cert, key) = match (&args.tls_cert, &args.tls_key) {
        (Some(c), Some(k)) => (Some(c.clone()), Some(k.clone())),
        _ => (file.tls_cert.clone(), file.tls_key.clone()),
    };
    let plain = args.plain_http || (args.tls_cert.is_none() && file.plain_http == Some(true));
    match (plain, cert, key) {
        (true, None, None) => Ok(Transport::Plain),
        (true, _, _) => anyhow::bail!("plain_http and tls_cert/tls_key exclude each other"),
        (false, Some(cert), Some(key)) => Ok(Transport::Tls { cert, key }),
        (false, None, None) => Ok(Transport::SelfSigned),
        (false, _, _) => anyhow::bail!("tls_cert and tls_key go together"),
    }
}

pub(crate) async fn run(args: ServeArgs, global: &Global) -> anyhow::Result<ExitCode> {
    let (config, _feeds) = match build_config(&args, global) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e:#}");
            return Ok(ExitCode::from(2));
        }
    };
    let listen = config.listen;
    let tls = match crowsnest_console::tls::server_config(&config.transport, &config.data_dir) {
        Ok(tls) => tls,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(ExitCode::from(2));
        }
    };
    let state = match crowsnest_console::open(config, Arc::new(SystemClock), &Bootstrap::from_env())
        .await
    {
        Ok(s) => s,
        // Configuration the operator must fix: said plainly, exit status 2.
        Err(
            e @ (crowsnest_console::ConsoleError::NoUsers
            | crowsnest_console::ConsoleError::Store(
                StoreError::WrongMasterKey(_) | StoreError::UnsupportedUrl(_),
            )),
        ) => {
            eprintln!("error: {e}");
            return Ok(ExitCode::from(2));
        }
        Err(e) => return Err(e.into()),
    };
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot listen on {listen}"))?;
    let addr = listener.local_addr()?;
    let shutdown = crowsnest_console::shutdown_signal();
    match tls {
        Some(tls) => {
            tracing::info!("Crowsnest Console listening on https://{addr}");
            crowsnest_console::serve_tls(listener, tls, state, shutdown).await?;
        }
        None => {
            tracing::info!("Crowsnest Console listening on http://{addr} (plain HTTP)");
            crowsnest_console::serve(listener, state, shutdown).await?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::{ServeArgs, database_url};
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct Cli {
        #[command(flatten)]
        serve: ServeArgs,
    }

    /// The flag alone, or with a boolean-ish value (what `CROWSNEST_PLAIN_HTTP=1` gives clap).
    #[test]
    fn plain_http_takes_the_usual_boolean_spellings() {
        let plain = |args: &[&str]| {
            Cli::try_parse_from(std::iter::once("serve").chain(args.iter().copied()))
                .map(|c| c.serve.plain_http)
        };
        assert!(!plain(&[]).unwrap());
        assert!(plain(&["--plain-http"]).unwrap());
        for yes in ["1", "true", "yes", "on"] {
            assert!(plain(&[&format!("--plain-http={yes}")]).unwrap(), "{yes}");
        }
        for no in ["0", "false", "no", "off"] {
            assert!(!plain(&[&format!("--plain-http={no}")]).unwrap(), "{no}");
        }
        assert!(plain(&["--plain-http=maybe"]).is_err());
    }

    #[test]
    fn database_url_order_flag_then_second_variable_then_file() {
        let file = || Some("sqlite:///from-file".to_string());
        let flag = Some("postgres://db/flag".to_string());
        assert_eq!(
            database_url(flag.clone(), "PATH", file()).as_deref(),
            Some("postgres://db/flag")
        );
        // An unset variable leaves the file's value; a set one (PATH stands in) wins over it.
        let unset = "CROWSNEST_TEST_SURELY_UNSET_VARIABLE";
        assert_eq!(
            database_url(None, unset, file()).as_deref(),
            Some("sqlite:///from-file")
        );
        assert_eq!(database_url(None, unset, None), None);
        assert_eq!(
            database_url(None, "PATH", file()),
            std::env::var("PATH").ok()
        );
    }
}
