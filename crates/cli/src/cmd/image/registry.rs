//! Reading an image from a registry for `crowsnest image` and `crowsnest sbom`: the flags that
//! say how to reach it, the credentials (command line, else the Docker CLI's configuration, else
//! anonymous), and the pull through the scanner's [`analyze_registry_image`] with a progress bar.
//! The reference's registry is a model [`RegistryAddress`](crowsnest_model::RegistryAddress), so
//! Docker Hub's names, result keys and endpoint are decided where a specification's are.

use super::docker_config;
use super::progress::{Bar, ProgressCache, Unit};
use super::reference::RegistryRef;
use super::{Analysed, Failure};
use crowsnest_analyzer::Analyzer;
use crowsnest_model::Inventory;
use crowsnest_registry::{ClientOptions, Credentials, RegistryClient, TargetPlatform};
use crowsnest_scanner::analyze_registry_image;
use crowsnest_scanner::report::StoredImage;
use std::io::BufRead as _;
use tokio_util::sync::CancellationToken;

/// How to reach a registry; shared by `image` and `sbom`.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct RegistryFlags {
    /// Registry username (Basic auth or the registry's token service).
    #[arg(long)]
    pub(crate) username: Option<String>,
    /// Registry password (visible to other local users; prefer --password-stdin).
    #[arg(
        long,
        requires = "username",
        env = "CROWSNEST_REGISTRY_PASSWORD",
        hide_env_values = true
    )]
    pub(crate) password: Option<String>,
    /// Read the registry password from the first line of standard input.
    #[arg(long, requires = "username", conflicts_with = "password")]
    pub(crate) password_stdin: bool,
    /// A Console credential body (JSON, as `POST /credentials` takes it, secrets in
    /// `secret.plain`); an `aws` credential logs in to ECR.
    #[arg(long, value_name = "FILE.json", conflicts_with = "username")]
    pub(crate) credential: Option<std::path::PathBuf>,
    /// Talk plain HTTP to the registry (local registries without TLS).
    #[arg(long)]
    pub(crate) plain_http: bool,
    /// Accept any TLS certificate from the registry.
    #[arg(long)]
    pub(crate) insecure: bool,
    /// Platform to pick from a multi-platform image: linux/amd64, linux/arm64 or windows/amd64.
    #[arg(long, value_name = "OS/ARCH", value_parser = parse_platform)]
    pub(crate) platform: Option<TargetPlatform>,
}

pub(super) fn parse_platform(s: &str) -> Result<TargetPlatform, String> {
    match s.trim().to_ascii_lowercase().as_str() {
        "linux/amd64" | "linux/x86_64" => Ok(TargetPlatform::LinuxAmd64),
        "linux/arm64" | "linux/arm64/v8" | "linux/aarch64" => Ok(TargetPlatform::LinuxArm64),
        "windows/amd64" => Ok(TargetPlatform::WindowsAmd64),
        _ => Err(format!(
            "unsupported platform {s:?}; use linux/amd64, linux/arm64 or windows/amd64"
        )),
    }
}

/// Registry credentials: the command line, else the Docker config, else anonymous.
fn credentials(args: &RegistryFlags, r: &RegistryRef) -> Result<Credentials, Failure> {
    let mut creds = if let Some(user) = &args.username {
        let password = if args.password_stdin {
            let mut line = String::new();
            std::io::stdin().lock().read_line(&mut line).map_err(|e| {
                Failure::Usage(format!("cannot read the password from standard input: {e}"))
            })?;
            line.trim_end_matches(['\r', '\n']).to_string()
        } else {
            args.password.clone().ok_or_else(|| {
                Failure::Usage("--username needs --password or --password-stdin".into())
            })?
        };
        Credentials::basic(user.clone(), password)
    } else {
        let found = match docker_config::config_path() {
            Some(path) => docker_config::lookup(&path, r.host(), r.is_docker_hub())
                .map_err(|e| Failure::Image(format!("registry credentials: {e}")))?,
            None => None,
        };
        match found {
            Some(f) => {
                tracing::debug!("credentials for {} from {}", r.host(), f.source);
                Credentials::basic(f.username, f.password)
            }
            None => Credentials::anonymous(),
        }
    };
    creds.skip_verify = args.insecure;
    Ok(creds)
}

pub(super) async fn read_registry(
    args: &RegistryFlags,
    raw: &str,
    show_progress: bool,
) -> Result<Analysed, Failure> {
    let r = RegistryRef::parse(raw).map_err(|e| Failure::Usage(e.to_string()))?;
    let address = if args.plain_http {
        format!("http://{}", r.host())
    } else {
        r.host().to_string()
    };
    let (client, registry_type) = match &args.credential {
        // The Console's credential → auth mapping, so cloud credentials work here too.
        Some(path) => {
            let mut cred = super::super::credential_file::load(path)
                .map_err(|e| Failure::Usage(format!("{e:#}")))?;
            cred.skip_verify |= args.insecure;
            let version = super::super::credential_file::registry_type(&cred);
            let target = super::super::credential_file::image_target(version, &address, &r.repo)
                .map_err(|e| Failure::Usage(format!("{r}: {e}")))?;
            let conn = super::super::credential_file::connect_with(
                &target,
                &cred,
                &crowsnest_registry::DiscoveryOptions::default(),
            )
            .map_err(|e| Failure::Image(format!("{r}: {e}")))?;
            (conn.client().clone(), version)
        }
        None => {
            let creds = credentials(args, &r)?;
            let client = RegistryClient::new(&address, creds, ClientOptions::default())
                .map_err(|e| Failure::Usage(format!("{r}: {e}")))?;
            (client, "2")
        }
    };
    let platform = args.platform.unwrap_or_default();
    let bar = Bar::new(show_progress, Unit::Layers);
    if show_progress {
        // One extra manifest request, only on a terminal, so the bar knows how many layers.
        if let Ok(m) = client.manifest(&r.repo, r.reference(), platform).await {
            bar.set_total(m.layers.len() as u64);
        }
    }
    let cache = ProgressCache::new(&bar);
    let result = analyze_registry_image(
        &client,
        &r.repo,
        r.reference(),
        platform,
        &Analyzer::default(),
        &cache,
        &CancellationToken::new(),
    )
    .await;
    bar.finish();
    let analysed = result.map_err(|e| Failure::Image(e.to_string()))?;
    Ok(Analysed {
        stored: StoredImage {
            manifest_digest: analysed.manifest_digest,
            image_id: analysed.image_id,
            layers: analysed.layers,
            diff_ids: analysed.diff_ids,
            created: analysed.created.map(|c| c.to_string()),
            os: analysed.os,
            architecture: analysed.architecture,
            inventory: analysed.inventory,
        },
        registry: r.registry_name().to_string(),
        repo: r.repo.clone(),
        tag: r.tag.clone(),
        registry_type,
        pull: analysed.pull,
        analysis: analysed.analysis,
    })
}

/// The inventory of a registry image, for `crowsnest sbom`; errors are messages for the user.
pub(crate) async fn registry_inventory(
    flags: &RegistryFlags,
    reference: &str,
    show_progress: bool,
) -> Result<Inventory, String> {
    read_registry(flags, reference, show_progress)
        .await
        .map(|a| a.stored.inventory)
        .map_err(|f| f.message().to_string())
}
