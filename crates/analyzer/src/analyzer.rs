//! The entry points: one layer ([`Analyzer::analyze_layer`]), one image from any layer readers
//! ([`Analyzer::analyze_image`], what the registry client feeds), and one on-disk image
//! ([`Analyzer::analyze_source`]). Layers of an image are analysed on up to
//! `Limits::parallel_layers` threads at once; each is independent until [`crate::merge`].

use crate::config::ImageConfig;
use crate::error::Error;
use crate::facts::LayerFacts;
use crate::limits::Limits;
use crate::merge::merge;
use crate::source::{ImageRef, ImageSource, scan_archive};
use crowsnest_model::Inventory;
use std::collections::VecDeque;
use std::io::{self, Read};
use std::sync::Mutex;

/// Progress callbacks (bytes of blobs read); the CLI draws a bar from them. All no-ops by default.
pub trait Progress: Sync {
    /// Total bytes that will be read, when known.
    fn start(&self, _total_bytes: Option<u64>) {}
    /// `bytes` more blob bytes were read.
    fn advance(&self, _bytes: u64) {}
    /// One layer finished.
    fn layer_done(&self, _digest: &str) {}
}

/// Reports nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoProgress;
impl Progress for NoProgress {}

/// Counts bytes through a reader into a [`Progress`].
pub(crate) struct ProgressReader<'p, R> {
    inner: R,
    progress: &'p dyn Progress,
}

impl<'p, R> ProgressReader<'p, R> {
    pub(crate) fn new(inner: R, progress: &'p dyn Progress) -> Self {
        ProgressReader { inner, progress }
    }
}

impl<R: Read> Read for ProgressReader<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.progress.advance(n as u64);
        Ok(n)
    }
}

/// One layer to analyse: its blob digest and a reader over the (compressed) blob.
pub struct LayerInput<'a> {
    pub digest: String,
    pub reader: Box<dyn Read + Send + 'a>,
}

impl std::fmt::Debug for LayerInput<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LayerInput")
            .field("digest", &self.digest)
            .finish_non_exhaustive()
    }
}

/// Runs the analysis with a set of [`Limits`]. Cheap to clone and share.
#[derive(Debug, Clone, Default)]
pub struct Analyzer {
    limits: Limits,
}

impl Analyzer {
    pub fn new(limits: Limits) -> Self {
        Analyzer { limits }
    }

    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Analyses one layer blob (compressed or not). Never fails: problems are warnings in the
    /// facts, and `complete` says whether the whole stream was read.
    pub fn analyze_layer<R: Read>(&self, digest: &str, reader: R) -> LayerFacts {
        crate::layer::analyze(reader, digest, &self.limits)
    }

    /// Analyses the layers (bottom first) of an image whose config blob is `config`, then
    /// merges them. Blocking; run it on a blocking thread.
    pub fn analyze_image(
        &self,
        config: &[u8],
        layers: Vec<LayerInput<'_>>,
        progress: &dyn Progress,
    ) -> Result<Inventory, Error> {
        let facts = self.analyze_layers(layers, progress);
        self.inventory(config, &facts)
    }

    /// Builds the inventory from already-analysed (for example cached) layer facts.
    pub fn inventory(&self, config: &[u8], layers: &[LayerFacts]) -> Result<Inventory, Error> {
        let digests: Vec<String> = layers.iter().map(|l| l.digest.clone()).collect();
        let config = ImageConfig::parse(config, &digests)?;
        Ok(merge(layers, Some(&config.facts)))
    }

    /// Analyses several layers in parallel, keeping their order.
    pub fn analyze_layers(
        &self,
        layers: Vec<LayerInput<'_>>,
        progress: &dyn Progress,
    ) -> Vec<LayerFacts> {
        let n = layers.len();
        let queue = Mutex::new(layers.into_iter().enumerate().collect::<VecDeque<_>>());
        let results: Mutex<Vec<Option<LayerFacts>>> = Mutex::new(vec![None; n]);
        let workers = self.limits.parallel_layers.clamp(1, n.max(1));
        std::thread::scope(|s| {
            for _ in 0..workers {
                s.spawn(|| {
                    loop {
                        let Some((i, input)) =
                            queue.lock().unwrap_or_else(|e| e.into_inner()).pop_front()
                        else {
                            break;
                        };
                        let facts = self.analyze_layer(
                            &input.digest,
                            ProgressReader::new(input.reader, progress),
                        );
                        progress.layer_done(&input.digest);
                        results.lock().unwrap_or_else(|e| e.into_inner())[i] = Some(facts);
                    }
                });
            }
        });
        results
            .into_inner()
            .unwrap_or_else(|e| e.into_inner())
            .into_iter()
            .map(Option::unwrap_or_default)
            .collect()
    }

    /// Analyses an on-disk image named by an [`ImageRef`].
    pub fn analyze_source(
        &self,
        image: &ImageRef,
        progress: &dyn Progress,
    ) -> Result<Inventory, Error> {
        match image {
            ImageRef::Oci { dir, tag } => {
                let src = ImageSource::open_oci(dir, tag.as_deref())?;
                progress.start(src.layers.iter().map(|l| l.size).sum());
                let mut inputs = Vec::with_capacity(src.layers.len());
                for l in &src.layers {
                    let f = std::fs::File::open(&l.path)
                        .map_err(|e| Error::io(l.path.display().to_string(), e))?;
                    inputs.push(LayerInput {
                        digest: l.digest.clone(),
                        reader: Box::new(f),
                    });
                }
                self.analyze_image(&src.config, inputs, progress)
            }
            ImageRef::DockerArchive { file } => {
                let scanned = scan_archive(file, &self.limits, progress)?;
                self.inventory(&scanned.config, &scanned.layers)
            }
            ImageRef::Registry(r) => Err(Error::RegistryNotSupported(r.clone())),
        }
    }
}
