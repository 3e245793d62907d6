//! Secrets at rest: a 32-byte master key and authenticated encryption (ChaCha20-Poly1305).
//!
//! The key comes from `CROWSNEST_MASTER_KEY` (64 hex digits or base64 of 32 bytes) when set, else
//! from `<data-dir>/master.key`, created on first start with 0600 permissions. A sealed value is
//! `cn1:` + base64(nonce ‖ ciphertext ‖ tag); the prefix lets a later key scheme coexist.

use crate::{Result, StoreError};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use rand::RngCore;
use std::io::Write;
use std::path::Path;

const PREFIX: &str = "cn1:";
const NONCE_LEN: usize = 12;
const KEY_FILE: &str = "master.key";

/// The key that seals credential secrets. Its bytes are never printed.
#[derive(Clone)]
pub struct MasterKey([u8; 32]);

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKey(<redacted>)")
    }
}

impl MasterKey {
    /// Parses the `CROWSNEST_MASTER_KEY` form: 64 hex digits, or base64 of exactly 32 bytes.
    pub fn parse(text: &str) -> Result<MasterKey> {
        let text = text.trim();
        let bytes = if text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
            hex::decode(text).map_err(|e| StoreError::MasterKey(e.to_string()))?
        } else {
            B64.decode(text).map_err(|_| {
                StoreError::MasterKey("expected 64 hex digits or base64 of 32 bytes".into())
            })?
        };
        let key: [u8; 32] = bytes
            .try_into()
            .map_err(|_| StoreError::MasterKey("the key must be exactly 32 bytes".into()))?;
        Ok(MasterKey(key))
    }

    pub fn generate() -> MasterKey {
        let mut key = [0u8; 32];
        rand::rng().fill_bytes(&mut key);
        MasterKey(key)
    }

    /// The key from `from_env` if given, else `<data_dir>/master.key`, created (0600) if missing.
    pub fn load_or_create(data_dir: &Path, from_env: Option<&str>) -> Result<MasterKey> {
        if let Some(text) = from_env.filter(|t| !t.trim().is_empty()) {
            return MasterKey::parse(text);
        }
        let path = data_dir.join(KEY_FILE);
        match std::fs::read_to_string(&path) {
            Ok(text) => MasterKey::parse(&text)
                .map_err(|e| StoreError::MasterKey(format!("{}: {e}", path.display()))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let key = MasterKey::generate();
                write_private(&path, hex::encode(key.0).as_bytes())?;
                Ok(key)
            }
            Err(e) => Err(StoreError::MasterKey(format!("{}: {e}", path.display()))),
        }
    }

    /// A key for another purpose (token signing), derived with HMAC-SHA256 so one key file
    /// covers every keyed use and no use can recover another's key.
    pub fn derive(&self, purpose: &str) -> [u8; 32] {
        use hmac::{Hmac, Mac};
        let mut mac = <Hmac<sha2::Sha256> as Mac>::new_from_slice(&self.0)
            .expect("HMAC takes any key length");
        mac.update(purpose.as_bytes());
        mac.finalize().into_bytes().into()
    }
}

#[cfg(unix)]
fn write_private(path: &Path, data: &[u8]) -> Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(data)?;
    f.sync_all()?;
    Ok(())
}

#[cfg(not(unix))]
fn write_private(path: &Path, data: &[u8]) -> Result<()> {
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)?;
    f.write_all(data)?;
    f.sync_all()?;
    Ok(())
}

/// Seals and opens secret values with the master key.
#[derive(Clone)]
pub struct SecretBox {
    cipher: ChaCha20Poly1305,
}

impl std::fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretBox(<redacted>)")
    }
}

impl SecretBox {
    pub fn new(key: &MasterKey) -> SecretBox {
        SecretBox {
            cipher: ChaCha20Poly1305::new(Key::from_slice(&key.0)),
        }
    }

    pub fn seal(&self, plain: &str) -> String {
        let mut nonce = [0u8; NONCE_LEN];
        rand::rng().fill_bytes(&mut nonce);
        // Encryption with a valid key and nonce length cannot fail.
        let ct = self
            .cipher
            .encrypt(Nonce::from_slice(&nonce), plain.as_bytes())
            .unwrap_or_default();
        let mut out = Vec::with_capacity(NONCE_LEN + ct.len());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ct);
        format!("{PREFIX}{}", B64.encode(out))
    }

    pub fn open(&self, sealed: &str) -> Result<String> {
        let body = sealed.strip_prefix(PREFIX).ok_or(StoreError::Decrypt)?;
        let raw = B64.decode(body).map_err(|_| StoreError::Decrypt)?;
        if raw.len() < NONCE_LEN {
            return Err(StoreError::Decrypt);
        }
        let (nonce, ct) = raw.split_at(NONCE_LEN);
        let plain = self
            .cipher
            .decrypt(Nonce::from_slice(nonce), ct)
            .map_err(|_| StoreError::Decrypt)?;
        String::from_utf8(plain).map_err(|_| StoreError::Decrypt)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_open_round_trip_and_tamper() {
        let b = SecretBox::new(&MasterKey::generate());
        let s = b.seal("hunter2");
        assert!(!s.contains("hunter2"));
        assert_eq!(b.open(&s).unwrap(), "hunter2");
        let other = SecretBox::new(&MasterKey::generate());
        assert!(other.open(&s).is_err());
        let mut t = s.clone();
        t.pop();
        t.push('A');
        assert!(b.open(&t).is_err() || b.open(&t).unwrap() != "hunter2");
    }

    #[test]
    fn key_forms() {
        assert!(MasterKey::parse(&"ab".repeat(32)).is_ok());
        assert!(MasterKey::parse(&B64.encode([7u8; 32])).is_ok());
        assert!(MasterKey::parse("short").is_err());
    }

    #[test]
    fn key_file_is_private_and_stable() {
        let dir = tempfile::tempdir().unwrap();
        let a = MasterKey::load_or_create(dir.path(), None).unwrap();
        let b = MasterKey::load_or_create(dir.path(), None).unwrap();
        assert_eq!(a.0, b.0);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(KEY_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
