//! The bad-input corpus of `testdata/hostile/`: hostile or broken manifests, blobs, layers,
//! package databases, feeds and API requests, each with the outcome Crowsnest must produce.
//!
//! [`Corpus::load`] reads `cases.toml` (the catalogue) and checks it: ids unique, every case
//! has either a committed `file` or a `recipe`, every file exists. [`Case::bytes`] returns a
//! case's input: the committed file, or for inputs too big to commit (bombs, oversized
//! documents), the bytes its [`recipe`] builds at test time. The tests in `tests/` push the
//! image cases to a real registry and scan them, import the feed cases, and send the API cases
//! to a real Console; this crate only knows the inputs and their expected outcomes.

pub mod recipe;

use serde::Deserialize;
use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// Why the corpus could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum CorpusError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cases.toml: {0}")]
    Toml(#[from] toml::de::Error),
    #[error("case {id}: {problem}")]
    Invalid { id: String, problem: String },
    #[error("case {0}: no such recipe")]
    UnknownRecipe(String),
}

/// What kind of input a case is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Manifest,
    Config,
    Blob,
    Layer,
    Pkgdb,
    Feed,
    Api,
}

/// What Crowsnest must do with the input (see the header of `cases.toml`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    DiscoveryFails,
    ImageFails,
    Warning,
    Scanned,
    Malformed,
    ImportFails,
    Imported,
    Rejected,
    Stored,
}

/// One entry of the catalogue.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Case {
    pub id: String,
    pub kind: Kind,
    pub what: String,
    #[serde(default)]
    pub file: Option<String>,
    #[serde(default)]
    pub recipe: Option<String>,
    pub outcome: Outcome,
    pub expect: String,
    #[serde(default)]
    pub status: Option<u16>,
}

impl Case {
    /// True when `message` contains this case's `expect`, ignoring ASCII case.
    pub fn matches(&self, message: &str) -> bool {
        message
            .to_ascii_lowercase()
            .contains(&self.expect.to_ascii_lowercase())
    }

    /// The image cases' repository in the test registry.
    pub fn repo(&self) -> String {
        format!("hostile/{}", self.id)
    }
}

#[derive(Deserialize)]
struct CasesFile {
    case: Vec<Case>,
}

/// The loaded catalogue.
#[derive(Debug, Clone)]
pub struct Corpus {
    pub dir: PathBuf,
    pub cases: Vec<Case>,
}

impl Corpus {
    /// `testdata/hostile/` of this workspace.
    pub fn default_dir() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/hostile")
    }

    /// Loads and checks the catalogue of the workspace's corpus.
    pub fn load() -> Result<Corpus, CorpusError> {
        Corpus::load_from(&Corpus::default_dir())
    }

    pub fn load_from(dir: &Path) -> Result<Corpus, CorpusError> {
        let path = dir.join("cases.toml");
        let text = std::fs::read_to_string(&path).map_err(|source| CorpusError::Io {
            path: path.clone(),
            source,
        })?;
        let parsed: CasesFile = toml::from_str(&text)?;
        let mut seen = HashSet::new();
        for c in &parsed.case {
            let invalid = |problem: &str| CorpusError::Invalid {
                id: c.id.clone(),
                problem: problem.to_string(),
            };
            if !seen.insert(c.id.clone()) {
                return Err(invalid("duplicate id"));
            }
            if c.id.is_empty()
                || !c
                    .id
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            {
                return Err(invalid("ids are kebab-case (they name repositories)"));
            }
            match (&c.file, &c.recipe) {
                (Some(f), None) => {
                    if !dir.join(f).is_file() {
                        return Err(invalid(&format!("file {f} does not exist")));
                    }
                }
                (None, Some(r)) => {
                    if !recipe::NAMES.contains(&r.as_str())
                        && !recipe::TEST_ONLY.contains(&r.as_str())
                    {
                        return Err(CorpusError::UnknownRecipe(c.id.clone()));
                    }
                }
                _ => return Err(invalid("needs exactly one of `file` and `recipe`")),
            }
            if (c.kind == Kind::Api) != c.status.is_some()
                && c.outcome != Outcome::Scanned
                && c.outcome != Outcome::DiscoveryFails
            {
                return Err(invalid("`status` is for API cases, and they need one"));
            }
        }
        Ok(Corpus {
            dir: dir.to_path_buf(),
            cases: parsed.case,
        })
    }

    /// The case named `id`; panics if there is none, as a test with a typo should.
    pub fn case(&self, id: &str) -> &Case {
        self.cases
            .iter()
            .find(|c| c.id == id)
            .unwrap_or_else(|| panic!("no case {id:?} in cases.toml"))
    }

    pub fn of_kind(&self, kinds: &[Kind]) -> Vec<&Case> {
        self.cases
            .iter()
            .filter(|c| kinds.contains(&c.kind))
            .collect()
    }

    /// The case's input: its committed file, or what its recipe builds. Recipes that need a
    /// running test (proxy faults, filesystem tricks) have no bytes here and return `None`.
    pub fn bytes(&self, case: &Case) -> Result<Option<Vec<u8>>, CorpusError> {
        if let Some(f) = &case.file {
            let path = self.dir.join(f);
            return std::fs::read(&path)
                .map(Some)
                .map_err(|source| CorpusError::Io { path, source });
        }
        let name = case.recipe.as_deref().unwrap_or_default();
        Ok(recipe::build(name))
    }
}
