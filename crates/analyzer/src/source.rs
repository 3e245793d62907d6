//! Image sources on disk, named the way the CLI names them: `oci:DIR[:tag]` (an OCI image
//! layout) and `docker-archive:FILE` (what `docker save` writes, in its legacy shape or with an
//! OCI layout inside). Registry references are recognised so the caller can route them to the
//! registry client.

mod archive;
mod oci;

use crate::error::Error;
use std::path::PathBuf;

pub(crate) use archive::scan_archive;

/// A parsed image reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImageRef {
    /// `oci:DIR[:tag]`.
    Oci { dir: PathBuf, tag: Option<String> },
    /// `docker-archive:FILE` (plain or gzip-compressed tar).
    DockerArchive { file: PathBuf },
    /// Anything else: a registry reference, for the registry client.
    Registry(String),
}

impl ImageRef {
    /// Parses a reference string.
    pub fn parse(s: &str) -> Result<Self, Error> {
        if let Some(rest) = s.strip_prefix("oci:") {
            if rest.is_empty() {
                return Err(Error::BadReference(s.into()));
            }
            // The tag (an OCI ref name, which may itself hold `/` and `:`) follows the first
            // colon that ends an existing directory; a colon inside the directory name is kept.
            if !std::path::Path::new(rest).is_dir() {
                let split = rest
                    .match_indices(':')
                    .map(|(i, _)| i)
                    .find(|&i| std::path::Path::new(&rest[..i]).is_dir())
                    .or_else(|| rest.rfind(':'));
                if let Some(i) = split.filter(|&i| i > 0 && i + 1 < rest.len()) {
                    return Ok(ImageRef::Oci {
                        dir: rest[..i].into(),
                        tag: Some(rest[i + 1..].into()),
                    });
                }
            }
            return Ok(ImageRef::Oci {
                dir: rest.into(),
                tag: None,
            });
        }
        if let Some(rest) = s.strip_prefix("docker-archive:") {
            if rest.is_empty() {
                return Err(Error::BadReference(s.into()));
            }
            return Ok(ImageRef::DockerArchive { file: rest.into() });
        }
        if s.is_empty() || s.contains(char::is_whitespace) {
            return Err(Error::BadReference(s.into()));
        }
        Ok(ImageRef::Registry(s.into()))
    }
}

/// One layer of an opened image.
#[derive(Debug, Clone)]
pub struct SourceLayer {
    /// Blob digest as the manifest names it (`sha256:…`).
    pub digest: String,
    pub media_type: String,
    pub size: Option<u64>,
    pub(crate) path: PathBuf,
}

/// An opened OCI layout image: the config and where each layer blob is.
#[derive(Debug, Clone)]
pub struct ImageSource {
    pub manifest_digest: Option<String>,
    pub config: Vec<u8>,
    pub layers: Vec<SourceLayer>,
}

impl ImageSource {
    /// Opens `oci:DIR[:tag]`; the platform of a multi-platform index is the host's, else
    /// linux/amd64.
    pub fn open_oci(dir: &std::path::Path, tag: Option<&str>) -> Result<Self, Error> {
        oci::open(dir, tag)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_references() {
        assert_eq!(
            ImageRef::parse("oci:/tmp/does-not-exist/layout:v1").unwrap(),
            ImageRef::Oci {
                dir: "/tmp/does-not-exist/layout".into(),
                tag: Some("v1".into())
            }
        );
        assert_eq!(
            ImageRef::parse("oci:dir").unwrap(),
            ImageRef::Oci {
                dir: "dir".into(),
                tag: None
            }
        );
        let tmp = std::env::temp_dir();
        assert_eq!(
            ImageRef::parse(&format!("oci:{}:debian/bookworm-slim:12", tmp.display())).unwrap(),
            ImageRef::Oci {
                dir: tmp.clone(),
                tag: Some("debian/bookworm-slim:12".into())
            }
        );
        assert_eq!(
            ImageRef::parse("docker-archive:a.tar").unwrap(),
            ImageRef::DockerArchive {
                file: "a.tar".into()
            }
        );
        assert_eq!(
            ImageRef::parse("127.0.0.1:5000/x:1").unwrap(),
            ImageRef::Registry("127.0.0.1:5000/x:1".into())
        );
        assert!(ImageRef::parse("oci:").is_err());
    }
}
