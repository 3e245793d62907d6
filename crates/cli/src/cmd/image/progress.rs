//! Progress on stderr, drawn only when stderr is a terminal (and not with `--quiet`), so it
//! never mixes with a report on stdout or ends up in a CI log. Local images report bytes read
//! through the analyzer's [`Progress`] callbacks; registry images report layers through a
//! [`LayerCache`] wrapper, since the scanner's pipeline asks the cache for every layer before
//! pulling it and hands it every analysed layer afterwards.

use crowsnest_analyzer::{LayerFacts, Progress};
use crowsnest_scanner::{LayerCache, MemoryLayerCache};
use std::io::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

const WIDTH: u64 = 25;

/// A one-line bar, redrawn when its percentage or label changes.
pub(crate) struct Bar {
    enabled: bool,
    unit: Unit,
    total: AtomicU64,
    done: AtomicU64,
    last: Mutex<(u64, String)>,
    label: Mutex<String>,
}

#[derive(Clone, Copy)]
pub(crate) enum Unit {
    Bytes,
    Layers,
}

impl Bar {
    pub(crate) fn new(enabled: bool, unit: Unit) -> Bar {
        Bar {
            enabled,
            unit,
            total: AtomicU64::new(0),
            done: AtomicU64::new(0),
            last: Mutex::new((u64::MAX, String::new())),
            label: Mutex::new(String::new()),
        }
    }

    pub(crate) fn set_total(&self, total: u64) {
        self.total.store(total, Ordering::Relaxed);
        self.draw();
    }

    pub(crate) fn set_label(&self, label: String) {
        *self.label.lock().unwrap_or_else(|e| e.into_inner()) = label;
        self.draw();
    }

    fn add(&self, n: u64) {
        self.done.fetch_add(n, Ordering::Relaxed);
        self.draw();
    }

    fn draw(&self) {
        if !self.enabled {
            return;
        }
        let total = self.total.load(Ordering::Relaxed);
        let done = self.done.load(Ordering::Relaxed).min(total.max(1));
        let pct = (done * 100).checked_div(total).unwrap_or(0);
        let label = self.label.lock().unwrap_or_else(|e| e.into_inner()).clone();
        let mut last = self.last.lock().unwrap_or_else(|e| e.into_inner());
        if last.0 == pct && last.1 == label {
            return;
        }
        *last = (pct, label.clone());
        let filled = (pct * WIDTH / 100) as usize;
        let count = match self.unit {
            Unit::Bytes => format!("{:.1}/{:.1} MB", done as f64 / 1e6, total as f64 / 1e6),
            Unit::Layers => format!("{done}/{total} layers"),
        };
        let _ = write!(
            std::io::stderr(),
            "\r\x1b[2K[{}{}] {pct:>3}% {count} {label}",
            "=".repeat(filled),
            " ".repeat(WIDTH as usize - filled),
        );
    }

    /// Clears the line so the summary starts on a clean one.
    pub(crate) fn finish(&self) {
        if self.enabled {
            let _ = write!(std::io::stderr(), "\r\x1b[2K");
        }
    }
}

impl Progress for Bar {
    fn start(&self, total: Option<u64>) {
        self.set_total(total.unwrap_or(0));
    }
    fn advance(&self, bytes: u64) {
        self.add(bytes);
    }
}

/// A [`MemoryLayerCache`] that moves a layer bar.
pub(crate) struct ProgressCache<'b> {
    inner: MemoryLayerCache,
    bar: &'b Bar,
    seen: AtomicU64,
}

impl<'b> ProgressCache<'b> {
    pub(crate) fn new(bar: &'b Bar) -> Self {
        ProgressCache {
            inner: MemoryLayerCache::default(),
            bar,
            seen: AtomicU64::new(0),
        }
    }
}

#[async_trait::async_trait]
impl LayerCache for ProgressCache<'_> {
    async fn get(&self, digest: &str) -> Option<LayerFacts> {
        let n = self.seen.fetch_add(1, Ordering::Relaxed) + 1;
        let short = digest.get(..19).unwrap_or(digest);
        self.bar
            .set_label(format!("pulling and analysing layer {n} ({short})"));
        let hit = self.inner.get(digest).await;
        if hit.is_some() {
            // The same blob twice in one image: already analysed, count it as done.
            self.bar.add(1);
        }
        hit
    }

    async fn put(&self, facts: &LayerFacts) {
        self.inner.put(facts).await;
        self.bar.add(1);
    }
}
