//! The resume file: what the driver has not got accepted yet, so a later run sends exactly
//! that and then continues the edge file where this run stopped reading.

use std::path::{Path, PathBuf};

use crate::error::ResumeError;
use crate::records::StreamRecord;

/// Format version of the resume file.
pub const RESUME_FORMAT_VERSION: u32 = 1;

/// The content of a resume file (JSON).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResumeState {
    /// [`RESUME_FORMAT_VERSION`].
    pub version: u32,
    /// The edge file, as given to the driver.
    pub edge_file: String,
    /// Edges read from the edge file so far (they are either accepted or in `unsent`).
    pub edges_read: u64,
    /// Records read but not accepted by the stream, in send order.
    pub unsent: Vec<StreamRecord>,
}

impl ResumeState {
    /// Reads the resume file at `path`, `None` if there is none.
    pub fn load(path: &Path) -> Result<Option<Self>, ResumeError> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => {
                return Err(ResumeError::Io {
                    path: path.to_owned(),
                    source,
                });
            }
        };
        serde_json::from_str(&text)
            .map(Some)
            .map_err(|source| ResumeError::Invalid {
                path: path.to_owned(),
                source,
            })
    }

    /// Writes the resume file atomically (temporary file, then rename).
    pub fn save(&self, path: &Path) -> Result<(), ResumeError> {
        let io = |source| ResumeError::Io {
            path: path.to_owned(),
            source,
        };
        let tmp = tmp_path(path);
        let json = serde_json::to_vec(self).map_err(|source| ResumeError::Invalid {
            path: path.to_owned(),
            source,
        })?;
        std::fs::write(&tmp, json).map_err(io)?;
        std::fs::rename(&tmp, path).map_err(io)
    }

    /// Deletes the resume file after a complete run; a missing file is fine.
    pub fn remove(path: &Path) -> Result<(), ResumeError> {
        match std::fs::remove_file(path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(ResumeError::Io {
                path: path.to_owned(),
                source: e,
            }),
            _ => Ok(()),
        }
    }
}

/// The default resume file of an edge file: `<edge file>.resume.json`.
pub fn default_resume_path(edge_file: &Path) -> PathBuf {
    let mut name = edge_file.as_os_str().to_owned();
    name.push(".resume.json");
    PathBuf::from(name)
}

fn tmp_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".tmp");
    PathBuf::from(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_removes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.json");
        assert_eq!(ResumeState::load(&path).unwrap(), None);
        let state = ResumeState {
            version: RESUME_FORMAT_VERSION,
            edge_file: "follows.csv.gz".into(),
            edges_read: 7,
            unsent: vec![StreamRecord::Edge(crate::edges::Edge {
                from: "p1".into(),
                to: "p2".into(),
                created: "2019-01-01T00:00:00Z".into(),
            })],
        };
        state.save(&path).unwrap();
        assert_eq!(ResumeState::load(&path).unwrap(), Some(state));
        ResumeState::remove(&path).unwrap();
        ResumeState::remove(&path).unwrap();
        assert!(!path.exists());
    }

    #[test]
    fn a_broken_file_says_to_delete_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.json");
        std::fs::write(&path, "{").unwrap();
        let err = ResumeState::load(&path).unwrap_err().to_string();
        assert!(err.contains("delete it"), "{err}");
    }

    #[test]
    fn default_path_sits_next_to_the_edge_file() {
        assert_eq!(
            default_resume_path(Path::new("/d/follows.csv.gz")),
            PathBuf::from("/d/follows.csv.gz.resume.json")
        );
    }
}
