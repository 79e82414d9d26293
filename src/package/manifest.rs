//! The artifact manifest, `<out>/manifest.json`: what was packaged, its SHA-256, size and the S3 key each stack
//! parameter takes. `deploy` uploads what it lists; a person can pass its keys to `render --set`.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::artifact::{Architecture, Part};
use super::error::{Error, Result};

/// File name of the manifest in the output folder.
pub const MANIFEST_FILE: &str = "manifest.json";

/// One packaged artifact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Artifact {
    /// The artifact's name, e.g. `stream2neptune-writer`.
    pub name: String,
    /// Which part of the stack it is.
    pub part: Part,
    /// The CPU architecture of the binary inside; `null` for the notebooks.
    pub architecture: Option<Architecture>,
    /// Lowercase hex SHA-256 of the zip: the content address.
    pub sha256: String,
    /// Size of the zip in bytes.
    pub size: u64,
    /// The zip's file name in the output folder.
    pub file: String,
    /// The S3 key in the artifact bucket (for the notebooks, the key prefix their files go under).
    pub key: String,
    /// The stack parameter that takes `key`.
    pub parameter: String,
    /// For the notebooks: the file names, copied to the folder `<name>-<sha256>/` in the output folder and
    /// uploaded under `key`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<String>,
    /// For a binary: the SHA-256 of the sources and build settings it was built from ([`super::inputs`]); a
    /// later packaging run with the same inputs reuses the zip instead of building again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inputs: Option<String>,
}

impl Artifact {
    /// The `Key=Value` setting for `render --set`.
    pub fn set_arg(&self) -> String {
        format!("{}={}", self.parameter, self.key)
    }

    /// The zip's path, given the output folder.
    pub fn path(&self, out: &Path) -> PathBuf {
        out.join(&self.file)
    }
}

/// Everything packaged into one output folder, sorted by part and architecture.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// The artifacts.
    pub artifacts: Vec<Artifact>,
}

impl Manifest {
    /// Reads `<out>/manifest.json`; an absent file is an empty manifest.
    pub fn load(out: &Path) -> Result<Self> {
        let path = out.join(MANIFEST_FILE);
        match std::fs::read(&path) {
            Ok(bytes) => {
                serde_json::from_slice(&bytes).map_err(|source| Error::Manifest { path, source })
            }
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(Manifest::default()),
            Err(source) => Err(Error::Io {
                action: "read",
                path,
                source,
            }),
        }
    }

    /// Replaces the entries of the same part and architecture by `artifact`, keeping the others (the writer of
    /// the other architecture, parts not packaged this time).
    pub fn insert(&mut self, artifact: Artifact) {
        self.artifacts
            .retain(|a| (a.part, a.architecture) != (artifact.part, artifact.architecture));
        self.artifacts.push(artifact);
        self.artifacts.sort_by_key(|a| (a.part, a.architecture));
    }

    /// The artifact of `part` built for `architecture` (`None` for the notebooks).
    pub fn get(&self, part: Part, architecture: Option<Architecture>) -> Option<&Artifact> {
        self.artifacts
            .iter()
            .find(|a| a.part == part && a.architecture == architecture)
    }

    /// Writes `<out>/manifest.json` (pretty JSON, trailing newline).
    pub fn write(&self, out: &Path) -> Result<PathBuf> {
        let path = out.join(MANIFEST_FILE);
        let mut text = serde_json::to_string_pretty(self).expect("the manifest always serializes");
        text.push('\n');
        super::write_atomically(&path, text.as_bytes())?;
        Ok(path)
    }
}
