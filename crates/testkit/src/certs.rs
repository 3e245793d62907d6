//! Throw-away PKI for tests, made with the `openssl` command: a CA, a server certificate for
//! 127.0.0.1/localhost signed by it, a client certificate signed by it, and a self-signed P-256
//! key pair for signing registry tokens. Everything lands in a caller-owned directory.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Paths of generated PEM files.
#[derive(Debug, Clone)]
pub struct TlsFiles {
    pub ca_cert: PathBuf,
    pub server_cert: PathBuf,
    pub server_key: PathBuf,
    pub client_cert: PathBuf,
    pub client_key: PathBuf,
}

fn openssl(dir: &Path, args: &[&str]) -> Result<(), String> {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .map_err(|e| format!("cannot run openssl (apt-get install openssl): {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "openssl {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

/// A P-256 key and a self-signed certificate for it, `subject` as CN.
fn self_signed(dir: &Path, stem: &str, subject: &str, ca: bool) -> Result<(), String> {
    let key = format!("{stem}.key");
    let crt = format!("{stem}.crt");
    let subj = format!("/CN={subject}");
    let mut args = vec![
        "req",
        "-x509",
        "-new",
        "-nodes",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-keyout",
        &key,
        "-out",
        &crt,
        "-days",
        "3650",
        "-subj",
        &subj,
    ];
    if ca {
        args.extend([
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
        ]);
    }
    openssl(dir, &args)
}

/// A key and a certificate signed by `ca`, with the given X.509 v3 extension lines.
fn signed(dir: &Path, stem: &str, subject: &str, ext: &[&str]) -> Result<(), String> {
    let key = format!("{stem}.key");
    let csr = format!("{stem}.csr");
    let crt = format!("{stem}.crt");
    let ext_file = format!("{stem}.ext");
    std::fs::write(dir.join(&ext_file), ext.join("\n") + "\n").map_err(|e| e.to_string())?;
    let subj = format!("/CN={subject}");
    openssl(
        dir,
        &[
            "req",
            "-new",
            "-nodes",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-keyout",
            &key,
            "-out",
            &csr,
            "-subj",
            &subj,
        ],
    )?;
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            &csr,
            "-CA",
            "ca.crt",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            &crt,
            "-days",
            "3650",
            "-extfile",
            &ext_file,
        ],
    )
}

/// Makes a CA with a server certificate for 127.0.0.1/localhost and a client certificate under
/// `dir` (tests of our own TLS servers use it as well as the TLS registry).
pub fn make_tls(dir: &Path) -> Result<TlsFiles, String> {
    std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    self_signed(dir, "ca", "crowsnest-test-ca", true)?;
    signed(
        dir,
        "server",
        "127.0.0.1",
        &[
            "subjectAltName=IP:127.0.0.1,DNS:localhost",
            "basicConstraints=critical,CA:FALSE",
            "keyUsage=critical,digitalSignature,keyEncipherment",
            "extendedKeyUsage=serverAuth",
        ],
    )?;
    signed(
        dir,
        "client",
        "crowsnest-test-client",
        &[
            "basicConstraints=critical,CA:FALSE",
            "keyUsage=critical,digitalSignature",
            "extendedKeyUsage=clientAuth",
        ],
    )?;
    Ok(TlsFiles {
        ca_cert: dir.join("ca.crt"),
        server_cert: dir.join("server.crt"),
        server_key: dir.join("server.key"),
        client_cert: dir.join("client.crt"),
        client_key: dir.join("client.key"),
    })
}

/// Makes the token-signing key (PKCS#8 PEM) and its self-signed certificate under `dir`;
/// returns (key path, cert path).
pub(crate) fn make_signing_key(dir: &Path) -> Result<(PathBuf, PathBuf), String> {
    std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    self_signed(dir, "signing", "crowsnest-test-token-issuer", false)?;
    Ok((dir.join("signing.key"), dir.join("signing.crt")))
}

/// The DER bytes of the first PEM block labelled `label` in `pem`.
pub(crate) fn pem_block(pem: &str, label: &str) -> Option<Vec<u8>> {
    use base64::Engine as _;
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let start = pem.find(&begin)? + begin.len();
    let stop = start + pem[start..].find(&end)?;
    let b64: String = pem[start..stop].split_whitespace().collect();
    base64::engine::general_purpose::STANDARD.decode(b64).ok()
}
