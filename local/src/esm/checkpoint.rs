//! Checkpoints: per shard, the sequence number up to which every record was handled (written,
//! rejected or sent to the on-failure destination), persisted under `.local/checkpoints/`.
//!
//! With ParallelizationFactor > 1 lanes finish out of order; the checkpoint only moves over a
//! prefix of handled records, so a restart redelivers what was in flight (at least once, as
//! Lambda does; the writer is idempotent).

use std::collections::VecDeque;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{LocalError, Result};

/// The persisted checkpoint of one shard.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Checkpoint {
    /// The shard.
    pub shard_id: String,
    /// The last sequence number handled; reading resumes after it.
    pub sequence_number: String,
}

/// The checkpoint files of one stream.
#[derive(Debug, Clone)]
pub struct CheckpointStore {
    dir: PathBuf,
}

impl CheckpointStore {
    /// Checkpoints of `stream` under `root`.
    pub fn new(root: &Path, stream: &str) -> Result<Self> {
        let dir = root.join(stream);
        std::fs::create_dir_all(&dir).map_err(|source| LocalError::Io {
            action: "create",
            path: dir.clone(),
            source,
        })?;
        Ok(CheckpointStore { dir })
    }

    fn path(&self, shard_id: &str) -> PathBuf {
        self.dir.join(format!("{shard_id}.json"))
    }

    /// The saved checkpoint of `shard_id`, if any.
    pub fn load(&self, shard_id: &str) -> Result<Option<Checkpoint>> {
        let path = self.path(shard_id);
        match std::fs::read_to_string(&path) {
            Ok(text) => serde_json::from_str(&text)
                .map(Some)
                .map_err(|e| LocalError::Io {
                    action: "parse (delete it to start the shard over)",
                    path,
                    source: std::io::Error::other(e),
                }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(LocalError::Io {
                action: "read",
                path,
                source,
            }),
        }
    }

    /// Saves atomically (write then rename), so a crash leaves the old or the new checkpoint.
    pub fn save(&self, checkpoint: &Checkpoint) -> Result<()> {
        let path = self.path(&checkpoint.shard_id);
        let tmp = path.with_extension("json.tmp");
        let text = serde_json::to_string(checkpoint).unwrap_or_default();
        std::fs::write(&tmp, text)
            .and_then(|()| std::fs::rename(&tmp, &path))
            .map_err(|source| LocalError::Io {
                action: "write",
                path,
                source,
            })
    }

    /// Forgets the checkpoint of `shard_id` (as if it were lost in a crash).
    pub fn remove(&self, shard_id: &str) -> Result<()> {
        match std::fs::remove_file(self.path(shard_id)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(LocalError::Io {
                action: "remove",
                path: self.path(shard_id),
                source: e,
            }),
            _ => Ok(()),
        }
    }
}

/// Tracks the records of one shard from fetch to handled, and moves the checkpoint.
#[derive(Debug)]
pub struct Tracker {
    shard_id: String,
    store: CheckpointStore,
    /// Ordinal of the front of `pending`.
    base: u64,
    /// Fetched records not yet behind the checkpoint: (sequence number, handled).
    pending: VecDeque<(String, bool)>,
    /// The last checkpoint saved.
    checkpoint: Option<String>,
}

impl Tracker {
    /// A tracker starting from `checkpoint`.
    pub fn new(shard_id: &str, store: CheckpointStore, checkpoint: Option<String>) -> Self {
        Tracker {
            shard_id: shard_id.to_owned(),
            store,
            base: 0,
            pending: VecDeque::new(),
            checkpoint,
        }
    }

    /// Registers a fetched record; returns its ordinal.
    pub fn register(&mut self, sequence_number: &str) -> u64 {
        self.pending.push_back((sequence_number.to_owned(), false));
        self.base + self.pending.len() as u64 - 1
    }

    /// Marks the record `ordinal` handled and saves the checkpoint if it moved.
    pub fn handled(&mut self, ordinal: u64) -> Result<()> {
        if let Some(entry) = ordinal
            .checked_sub(self.base)
            .and_then(|i| self.pending.get_mut(i as usize))
        {
            entry.1 = true;
        }
        let mut moved = None;
        while self.pending.front().is_some_and(|(_, done)| *done) {
            moved = self.pending.pop_front().map(|(seq, _)| seq);
            self.base += 1;
        }
        if let Some(sequence_number) = moved {
            self.store.save(&Checkpoint {
                shard_id: self.shard_id.clone(),
                sequence_number: sequence_number.clone(),
            })?;
            self.checkpoint = Some(sequence_number);
        }
        Ok(())
    }

    /// Records fetched and not yet handled (or handled behind an unhandled one).
    pub fn in_flight(&self) -> usize {
        self.pending.len()
    }

    /// The current checkpoint.
    pub fn checkpoint(&self) -> Option<&str> {
        self.checkpoint.as_deref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checkpoint_moves_over_the_handled_prefix_only_and_persists() {
        let dir = tempfile::tempdir().unwrap();
        let store = CheckpointStore::new(dir.path(), "s").unwrap();
        let mut t = Tracker::new("shardId-0", store.clone(), None);
        let ords: Vec<u64> = ["10", "20", "30", "40"]
            .iter()
            .map(|s| t.register(s))
            .collect();
        t.handled(ords[1]).unwrap();
        t.handled(ords[3]).unwrap();
        assert_eq!(t.checkpoint(), None, "record 10 is still in flight");
        t.handled(ords[0]).unwrap();
        assert_eq!(t.checkpoint(), Some("20"));
        assert_eq!(t.in_flight(), 2);
        t.handled(ords[2]).unwrap();
        assert_eq!(t.checkpoint(), Some("40"));
        assert_eq!(t.in_flight(), 0);
        assert_eq!(
            store.load("shardId-0").unwrap().unwrap().sequence_number,
            "40"
        );
        store.remove("shardId-0").unwrap();
        assert_eq!(store.load("shardId-0").unwrap(), None);
    }
}
