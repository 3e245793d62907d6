//! `crowsnest discover`: resolves one registry specification to the images a scan would cover
//! and prints them as JSON on stdout, so a user can check a specification before scanning.
//!
//! The specification file is Prisma's `shared.RegistrySpecification` (the body of
//! `POST /settings/registry`). Credentials come from the command line rather than the store,
//! so this works before the Console holds anything. Exit status: 0 when everything was
//! discovered, 2 when some repositories or images failed (they are listed under `errors`),
//! 1 when the registry as a whole could not be discovered.

use super::Global;
use anyhow::Context as _;
use crowsnest_model::spec::RegistrySpecification;
use crowsnest_registry::{Credentials, DiscoveryOptions, RegistryAuth, discover};
use std::io::BufRead as _;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub(crate) struct DiscoverArgs {
    /// Registry specification: a JSON file with Prisma's RegistrySpecification fields.
    #[arg(long, value_name = "FILE.json")]
    spec: PathBuf,
    /// Username for Basic auth or the registry's token service.
    #[arg(long)]
    username: Option<String>,
    /// Read the password from the first line of standard input.
    #[arg(long, requires = "username", conflicts_with = "password")]
    password_stdin: bool,
    /// Password (visible to other local users; prefer --password-stdin).
    #[arg(
        long,
        requires = "username",
        env = "CROWSNEST_REGISTRY_PASSWORD",
        hide_env_values = true
    )]
    password: Option<String>,
    /// Accept any TLS certificate from the registry.
    #[arg(long)]
    insecure: bool,
    /// Extra trusted CA certificate (PEM file), added to the specification's caCert.
    #[arg(long, value_name = "PEM")]
    ca_cert: Option<PathBuf>,
    /// Client certificate (PEM) for mutual TLS; needs --client-key.
    #[arg(
        long,
        value_name = "PEM",
        requires = "client_key",
        conflicts_with = "username"
    )]
    client_cert: Option<PathBuf>,
    /// Private key (PEM) of --client-cert.
    #[arg(long, value_name = "PEM", requires = "client_cert")]
    client_key: Option<PathBuf>,
    /// A Console credential body (JSON, as `POST /credentials` takes it, secrets in
    /// `secret.plain`): every credential type the Console takes, e.g. `aws`.
    #[arg(
        long,
        value_name = "FILE.json",
        conflicts_with_all = ["username", "client_cert"]
    )]
    credential: Option<PathBuf>,
    /// Registry endpoint used for an empty `registry` (Docker Hub); for local stand-ins.
    #[arg(long, hide = true, value_name = "URL")]
    docker_hub: Option<String>,
}

fn read(path: &PathBuf, what: &str) -> anyhow::Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("cannot read {what} {}", path.display()))
}

pub(crate) async fn run(args: DiscoverArgs, _global: &Global) -> anyhow::Result<ExitCode> {
    let text = read(&args.spec, "specification")?;
    let mut spec: RegistrySpecification = serde_json::from_str(&text)
        .with_context(|| format!("{} is not a registry specification", args.spec.display()))?;
    spec.validate()
        .map_err(|e| anyhow::anyhow!("{}: {e}", args.spec.display()))?;

    let password = if args.password_stdin {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .context("cannot read the password from standard input")?;
        Some(line.trim_end_matches(['\r', '\n']).to_string())
    } else {
        args.password
    };
    let auth = match (args.username, password, args.client_cert, args.client_key) {
        (Some(username), password, _, _) => RegistryAuth::Basic {
            username,
            password: password.unwrap_or_default(),
        },
        (None, _, Some(cert), Some(key)) => RegistryAuth::ClientCert {
            cert_pem: read(&cert, "client certificate")?,
            key_pem: read(&key, "client key")?,
        },
        _ => RegistryAuth::Anonymous,
    };
    let creds = Credentials {
        auth,
        skip_verify: args.insecure,
        ca_cert_pem: args
            .ca_cert
            .as_ref()
            .map(|p| read(p, "CA certificate"))
            .transpose()?,
    };
    let mut options = DiscoveryOptions::default();
    if let Some(hub) = args.docker_hub {
        options.docker_hub = hub;
    }
    let report = match &args.credential {
        Some(path) => {
            let mut cred = super::credential_file::load(path)?;
            cred.skip_verify |= creds.skip_verify;
            if let Some(ca) = creds.ca_cert_pem {
                cred.ca_cert = format!("{}\n{ca}", cred.ca_cert);
            }
            let target = crowsnest_model::ScanTarget::from_spec(&spec)
                .map_err(|e| anyhow::anyhow!("{}: {e}", args.spec.display()))?;
            super::credential_file::connect_with(&target, &cred, &options)?
                .discover(options.concurrency)
                .await?
        }
        None => discover(&spec, creds, &options).await?,
    };
    super::out(format!("{}\n", serde_json::to_string_pretty(&report)?))?;
    if report.errors.is_empty() {
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!(
            "warning: {} image(s) discovered, {} could not be (see \"errors\")",
            report.images.len(),
            report.errors.len()
        );
        Ok(ExitCode::from(2))
    }
}
