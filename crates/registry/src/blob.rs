//! [`BlobReader`]: a blob body as `AsyncRead`, hashed as it streams and verified at the end.
//!
//! Bytes flow from reqwest's chunk stream through a `StreamReader` to the caller; each chunk is
//! fed to a sha256 hasher on the way. The read that meets end-of-stream compares the byte count
//! with the descriptor's size and the hash with its digest, and fails with `InvalidData` (whose
//! inner error is a [`RegistryError`]) when either differs, so a truncated or altered layer can
//! never be mistaken for a complete one. Going past the announced size fails at once.
//!
//! Blocking consumers (the analyzer's tar readers) wrap it in [`BlobReader::into_blocking`]
//! inside the runtime and read it on a `spawn_blocking` thread.

use crate::{Digest, RegistryError};
use bytes::Bytes;
use futures_util::{Stream, TryStreamExt};
use sha2::{Digest as _, Sha256};
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, ReadBuf};
use tokio_util::io::{StreamReader, SyncIoBridge};

type ByteStream = Pin<Box<dyn Stream<Item = io::Result<Bytes>> + Send>>;

/// A streaming, verifying blob body. See the module docs.
pub struct BlobReader {
    inner: StreamReader<ByteStream, Bytes>,
    what: String,
    expected: Digest,
    expected_size: Option<u64>,
    hasher: Option<Sha256>,
    read: u64,
}

impl std::fmt::Debug for BlobReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BlobReader")
            .field("what", &self.what)
            .field("read", &self.read)
            .finish_non_exhaustive()
    }
}

impl BlobReader {
    pub(crate) fn new(
        what: String,
        expected: Digest,
        expected_size: Option<u64>,
        response: reqwest::Response,
    ) -> BlobReader {
        let label = what.clone();
        let stream = response
            .bytes_stream()
            .map_err(move |e| io::Error::other(format!("{label}: body cut short: {e}")));
        BlobReader::from_stream(what, expected, expected_size, Box::pin(stream))
    }

    fn from_stream(
        what: String,
        expected: Digest,
        expected_size: Option<u64>,
        stream: ByteStream,
    ) -> BlobReader {
        BlobReader {
            inner: StreamReader::new(stream),
            what,
            expected,
            expected_size,
            hasher: Some(Sha256::new()),
            read: 0,
        }
    }

    /// The digest this reader checks against.
    pub fn digest(&self) -> &Digest {
        &self.expected
    }

    /// Bytes delivered so far.
    pub fn bytes_read(&self) -> u64 {
        self.read
    }

    /// A `std::io::Read` over this blob for blocking code. Call it inside the Tokio runtime,
    /// then move the result into `tokio::task::spawn_blocking`; reading it on a runtime thread
    /// would block that thread.
    pub fn into_blocking(self) -> SyncIoBridge<BlobReader> {
        SyncIoBridge::new(self)
    }

    fn finish(&mut self) -> io::Result<()> {
        let Some(hasher) = self.hasher.take() else {
            return Ok(());
        };
        if let Some(size) = self.expected_size
            && size != self.read
        {
            return Err(invalid(RegistryError::SizeMismatch {
                what: self.what.clone(),
                expected: size,
                actual: self.read,
            }));
        }
        let actual = Digest::from_hasher(hasher);
        if actual != self.expected {
            return Err(invalid(RegistryError::DigestMismatch {
                what: self.what.clone(),
                expected: self.expected.to_string(),
                actual: actual.to_string(),
            }));
        }
        Ok(())
    }
}

fn invalid(e: RegistryError) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, e)
}

impl AsyncRead for BlobReader {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        match Pin::new(&mut this.inner).poll_read(cx, buf) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Ready(Ok(())) => {
                let n = buf.filled().len() - before;
                if n == 0 {
                    return Poll::Ready(this.finish());
                }
                this.read += n as u64;
                if let Some(size) = this.expected_size
                    && this.read > size
                {
                    this.hasher = None;
                    // AsyncRead must not report bytes together with an error.
                    buf.set_filled(before);
                    return Poll::Ready(Err(invalid(RegistryError::SizeMismatch {
                        what: this.what.clone(),
                        expected: size,
                        actual: this.read,
                    })));
                }
                if let Some(h) = this.hasher.as_mut() {
                    h.update(&buf.filled()[before..]);
                }
                Poll::Ready(Ok(()))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncReadExt;

    fn reader(chunks: Vec<&'static [u8]>, digest_of: &[u8], size: Option<u64>) -> BlobReader {
        let stream = futures_util::stream::iter(
            chunks
                .into_iter()
                .map(|c| Ok::<_, io::Error>(Bytes::from_static(c))),
        );
        BlobReader::from_stream(
            "blob r@x".into(),
            Digest::of(digest_of),
            size,
            Box::pin(stream),
        )
    }

    #[tokio::test]
    async fn good_stream_verifies() {
        let mut r = reader(vec![b"hello ", b"world"], b"hello world", Some(11));
        let mut out = Vec::new();
        r.read_to_end(&mut out).await.unwrap();
        assert_eq!(out, b"hello world");
        // A second read at EOF stays Ok.
        assert_eq!(r.read(&mut [0u8; 4]).await.unwrap(), 0);
    }

    #[tokio::test]
    async fn short_wrong_and_long_fail() {
        let mut out = Vec::new();
        let e = reader(vec![b"hello"], b"hello world", Some(11))
            .read_to_end(&mut out)
            .await
            .unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::InvalidData);
        assert!(e.to_string().contains("size mismatch"), "{e}");
        let e = reader(vec![b"hellO world"], b"hello world", Some(11))
            .read_to_end(&mut Vec::new())
            .await
            .unwrap_err();
        assert!(e.to_string().contains("digest mismatch"), "{e}");
        let e = reader(vec![b"hello world!!"], b"hello world", Some(11))
            .read_to_end(&mut Vec::new())
            .await
            .unwrap_err();
        assert!(e.to_string().contains("size mismatch"), "{e}");
        // Without a size the digest still catches a short body.
        let e = reader(vec![b"hello"], b"hello world", None)
            .read_to_end(&mut Vec::new())
            .await
            .unwrap_err();
        assert!(e.to_string().contains("digest mismatch"), "{e}");
    }

    #[tokio::test]
    async fn blocking_bridge_reads_and_verifies() {
        let r = reader(vec![b"abc"], b"abd", Some(3)).into_blocking();
        let res = tokio::task::spawn_blocking(move || {
            let mut r = r;
            let mut out = Vec::new();
            std::io::Read::read_to_end(&mut r, &mut out)
        })
        .await
        .unwrap();
        assert!(res.unwrap_err().to_string().contains("digest mismatch"));
    }
}
