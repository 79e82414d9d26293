//! What the driver puts on a stream ([`StreamRecord`]) and where it reads it from ([`RecordReader`]): the
//! `follows` edges of an edge file (the sample's layout, [`crate::edges`]), or the keyed graph-operation records of
//! the mixed workload's operations file ([`crate::mixed::OPERATIONS_FILE`], one `{"partitionKey": KEY, "data":
//! DOCUMENT}` a line). The file's first line tells which: an operations file's is a JSON object, an edge file's
//! its header.

use std::io::BufRead;
use std::path::{Path, PathBuf};

use crate::edges::{Edge, EdgeReader, open_lines};
use crate::error::{DriveError, MixedFileError};
use crate::sink::{PutEntry, over_limits};

/// One record to put: a `follows` edge (keyed by its `from`), or a record of the operations file.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
// Untagged: a resume file holds edges as it always has, and keyed records by their own members.
#[serde(untagged)]
pub enum StreamRecord {
    /// A `follows` edge, sent in the writer's CSV form.
    Edge(Edge),
    /// A record of the operations file, sent as it is.
    Keyed(KeyedRecord),
}

/// A record with its own partition key: a graph-operation document, keyed by the entity it writes, so the records
/// that depend on one another share a shard and its order.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct KeyedRecord {
    /// The Kinesis partition key.
    pub partition_key: String,
    /// The record body (a graph-operation document, JSON).
    pub data: String,
}

impl StreamRecord {
    /// The Kinesis partition key.
    pub fn partition_key(&self) -> &str {
        match self {
            StreamRecord::Edge(edge) => &edge.from,
            StreamRecord::Keyed(record) => &record.partition_key,
        }
    }

    /// The record to put.
    pub fn entry(&self) -> PutEntry {
        PutEntry {
            partition_key: self.partition_key().to_owned(),
            data: match self {
                StreamRecord::Edge(edge) => edge.record_body().into_bytes(),
                StreamRecord::Keyed(record) => record.data.clone().into_bytes(),
            },
        }
    }
}

/// Reads the records of an edge file or of an operations file, in file order, gzip or plain.
pub enum RecordReader {
    /// An edge file.
    Edges(EdgeReader),
    /// An operations file.
    Keyed(KeyedReader),
}

impl RecordReader {
    /// Opens `path`, an edge file or an operations file (told apart by the first line).
    pub fn open(path: &Path) -> Result<Self, DriveError> {
        let mut lines = KeyedReader::open(path)?;
        let first = lines.peek()?;
        if first.is_some_and(|line| line.trim_start().starts_with('{')) {
            Ok(RecordReader::Keyed(lines))
        } else {
            Ok(RecordReader::Edges(EdgeReader::open(path)?))
        }
    }

    /// The next record, or `None` at the end of the file.
    pub fn next_record(&mut self) -> Result<Option<StreamRecord>, DriveError> {
        Ok(match self {
            RecordReader::Edges(reader) => reader.next_edge()?.map(StreamRecord::Edge),
            RecordReader::Keyed(reader) => reader.next_record()?.map(StreamRecord::Keyed),
        })
    }

    /// Skips `n` records (used when resuming).
    pub fn skip(&mut self, n: u64) -> Result<(), DriveError> {
        for _ in 0..n {
            if self.next_record()?.is_none() {
                break;
            }
        }
        Ok(())
    }
}

/// Reads the lines of an operations file as [`KeyedRecord`]s (the document is sent as written; the writer
/// decodes it).
pub struct KeyedReader {
    path: PathBuf,
    lines: Box<dyn BufRead + Send>,
    line_no: usize,
    peeked: Option<String>,
}

impl KeyedReader {
    fn open(path: &Path) -> Result<Self, MixedFileError> {
        let read_err = |source| MixedFileError::Read {
            path: path.to_owned(),
            source,
        };
        let lines = open_lines(path).map_err(read_err)?;
        Ok(KeyedReader {
            path: path.to_owned(),
            lines,
            line_no: 0,
            peeked: None,
        })
    }

    /// The next non-blank line, kept to be read again.
    fn peek(&mut self) -> Result<Option<&str>, MixedFileError> {
        if self.peeked.is_none() {
            self.peeked = self.read_line()?;
        }
        Ok(self.peeked.as_deref())
    }

    fn read_line(&mut self) -> Result<Option<String>, MixedFileError> {
        loop {
            let mut line = String::new();
            let n = self
                .lines
                .read_line(&mut line)
                .map_err(|source| MixedFileError::Read {
                    path: self.path.clone(),
                    source,
                })?;
            if n == 0 {
                return Ok(None);
            }
            self.line_no += 1;
            if !line.trim().is_empty() {
                return Ok(Some(line));
            }
        }
    }

    /// The next record, or `None` at the end of the file.
    pub fn next_record(&mut self) -> Result<Option<KeyedRecord>, MixedFileError> {
        let line = match self.peeked.take() {
            Some(line) => line,
            None => match self.read_line()? {
                Some(line) => line,
                None => return Ok(None),
            },
        };
        let malformed = |reason: String| MixedFileError::Malformed {
            path: self.path.clone(),
            line: self.line_no,
            reason,
        };
        let (partition_key, data) = crate::mixed::split_line(line.trim_end()).map_err(malformed)?;
        if let Some(reason) = over_limits(&partition_key, data.len()) {
            return Err(malformed(reason));
        }
        Ok(Some(KeyedRecord {
            partition_key,
            data: data.to_owned(),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_operations_file_is_read_as_keyed_records_and_an_edge_file_as_edges() {
        let dir = tempfile::tempdir().unwrap();
        let operations = dir.path().join("operations.jsonl");
        std::fs::write(
            &operations,
            "{\"partitionKey\":\"c1\",\"data\":{\"op\":\"deleteVertex\",\"id\":\"c1\"}}\n\n{\"partitionKey\":\"c2\",\"data\":[]}\n",
        )
        .unwrap();
        let mut reader = RecordReader::open(&operations).unwrap();
        let first = reader.next_record().unwrap().unwrap();
        assert_eq!(first.partition_key(), "c1");
        assert_eq!(
            first.entry().data,
            br#"{"op":"deleteVertex","id":"c1"}"#.to_vec()
        );
        assert_eq!(reader.next_record().unwrap().unwrap().partition_key(), "c2");
        assert_eq!(reader.next_record().unwrap(), None);

        let edges = dir.path().join("follows.csv");
        std::fs::write(
            &edges,
            "~id,~label,~from,~to,creationDate:Date\ne1,follows,p1,p2,2019-01-01\n",
        )
        .unwrap();
        let mut reader = RecordReader::open(&edges).unwrap();
        let edge = reader.next_record().unwrap().unwrap();
        assert_eq!(edge.entry().data, b"p1,p2,2019-01-01".to_vec());
        assert_eq!(edge.partition_key(), "p1");
    }

    #[test]
    fn a_bad_line_of_an_operations_file_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("operations.jsonl");
        std::fs::write(
            &path,
            "{\"partitionKey\":\"c1\",\"data\":[]}\n{\"key\":1}\n",
        )
        .unwrap();
        let mut reader = RecordReader::open(&path).unwrap();
        reader.next_record().unwrap();
        let err = reader.next_record().unwrap_err().to_string();
        assert!(err.contains("line 2"), "{err}");
        assert!(err.contains("partitionKey"), "{err}");
    }

    #[test]
    fn a_resume_file_tells_edges_and_keyed_records_apart() {
        let records = vec![
            StreamRecord::Edge(Edge {
                from: "p1".into(),
                to: "p2".into(),
                created: "2019-01-01".into(),
            }),
            StreamRecord::Keyed(KeyedRecord {
                partition_key: "c1".into(),
                data: "[]".into(),
            }),
        ];
        let json = serde_json::to_string(&records).unwrap();
        assert_eq!(
            serde_json::from_str::<Vec<StreamRecord>>(&json).unwrap(),
            records
        );
    }
}
