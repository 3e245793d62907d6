//! `registry-sim`: a registry type's vendor API, simulated in front of a real Docker registry,
//! for trying a type by hand and for benchmarks. See [`crowsnest_testkit::vendor`].
//!
//! ```text
//! registry-sim --kind KIND --listen 127.0.0.1:PORT --upstream http://HOST:PORT [--page-size N]
//! ```
//!
//! Prints one JSON line (`kind`, `env`, `credential`, `spec`, `images`) and serves until killed.

use crowsnest_testkit::vendor::{KINDS, SimOptions, start};

const USAGE: &str = "usage: registry-sim --kind KIND --listen 127.0.0.1:PORT \
                     --upstream http://HOST:PORT [--page-size N]";

fn main() {
    // reqwest is built without a crypto provider (see the workspace manifest): ring it is.
    let _ = rustls::crypto::ring::default_provider().install_default();
    if let Err(e) = run() {
        eprintln!("registry-sim: {e}");
        std::process::exit(2);
    }
}

fn run() -> Result<(), String> {
    let mut kind = None;
    let mut listen = "127.0.0.1:0".to_string();
    let mut upstream = None;
    let mut page_size = 100usize;
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || {
            args.next()
                .ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))
        };
        match flag.as_str() {
            "--kind" => kind = Some(value()?),
            "--listen" => listen = value()?,
            "--upstream" => upstream = Some(value()?),
            "--page-size" => {
                page_size = value()?.parse().map_err(|e| format!("--page-size: {e}"))?
            }
            "-h" | "--help" => {
                println!("{USAGE}\nkinds: {}", KINDS.join(", "));
                return Ok(());
            }
            other => return Err(format!("unknown argument {other:?}\n{USAGE}")),
        }
    }
    let kind = kind.ok_or_else(|| format!("--kind is required (one of {})", KINDS.join(", ")))?;
    let upstream = upstream.ok_or_else(|| format!("--upstream is required\n{USAGE}"))?;
    let listen = listen
        .parse()
        .map_err(|e| format!("--listen {listen:?}: {e}"))?;
    if !std::net::SocketAddr::ip(&listen).is_loopback() {
        return Err("--listen must be a loopback address".into());
    }
    let options = SimOptions {
        listen,
        upstream,
        page_size: page_size.max(1),
    };
    let runtime = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
    runtime.block_on(async {
        let sim = start(&kind, &options).await.map_err(|e| e.to_string())?;
        println!("{}", sim.info.to_json());
        tokio::signal::ctrl_c().await.map_err(|e| e.to_string())?;
        drop(sim);
        Ok(())
    })
}
