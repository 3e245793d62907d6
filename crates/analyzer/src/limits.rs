//! Caps that keep memory bounded and stop hostile layers. Every cap is per file or per layer, so
//! peak memory depends on the caps and the number of layers analysed at once, not on image size.

use serde::{Deserialize, Serialize};

/// Limits applied while walking layers. The defaults suit real images; tests lower them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limits {
    /// Largest text file (package DB, manifest, metadata) read into memory.
    pub max_file_bytes: u64,
    /// Largest rpm database read into memory (BerkeleyDB and NDB need random access).
    pub max_db_bytes: u64,
    /// Largest executable or archive (jar, egg) inspected; bigger ones are streamed past,
    /// except that Go build info is still found by scanning.
    pub max_binary_bytes: u64,
    /// Total decompressed bytes per layer: a decompression bomb stops here.
    pub max_layer_bytes: u64,
    /// How deep jars nest inside jars before we stop opening them.
    pub max_nesting: u32,
    /// Layers analysed at the same time by [`crate::Analyzer::analyze_source`].
    pub parallel_layers: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_file_bytes: 64 << 20,
            max_db_bytes: 256 << 20,
            max_binary_bytes: 64 << 20,
            max_layer_bytes: 64 << 30,
            max_nesting: 4,
            parallel_layers: 2,
        }
    }
}
