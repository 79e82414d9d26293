//! `follows` edges: the sample's edge file layout (read and written) and the Kinesis record body.
//!
//! The edge file is the sample's `follows.csv.gz`: a header line, then one edge per line whose
//! 3rd, 4th and 5th columns are from, to and creationDate. Our generator writes it as a Neptune
//! bulk-load edge CSV (`~id,~label,~from,~to,creationDate:Date`), so the same file also loads
//! straight into Neptune.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use flate2::read::MultiGzDecoder;

use crate::error::EdgeFileError;

/// The header line of the edge files this crate writes.
pub const EDGE_FILE_HEADER: &str = "~id,~label,~from,~to,creationDate:Date";

/// One `follows` edge: `from` follows `to` since `created`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Edge {
    /// The follower's person id; also the Kinesis partition key.
    pub from: String,
    /// The followed person's id.
    pub to: String,
    /// The creation date, ISO 8601 (`2019-03-14T08:15:30Z`).
    pub created: String,
}

impl Edge {
    /// The Kinesis record body, in the writer's CSV form `from,to,creationDate`.
    pub fn record_body(&self) -> String {
        format!("{},{},{}", self.from, self.to, self.created)
    }

    /// Parses a record body written by [`Edge::record_body`].
    pub fn from_record_body(body: &str) -> Option<Self> {
        let mut parts = body.splitn(3, ',');
        let (from, to, created) = (parts.next()?, parts.next()?, parts.next()?);
        Some(Self {
            from: from.to_owned(),
            to: to.to_owned(),
            created: created.to_owned(),
        })
    }
}

/// Reads the edges of an edge file in file order, gzip or plain (detected by content).
pub struct EdgeReader {
    path: PathBuf,
    lines: Box<dyn BufRead + Send>,
    line_no: u64,
    buf: String,
}

/// The lines of a file, gunzipped when it starts with gzip's magic bytes (the data sets are written either way).
pub(crate) fn open_lines(path: &Path) -> std::io::Result<Box<dyn BufRead + Send>> {
    let mut magic = [0u8; 2];
    let n = File::open(path)?.read(&mut magic)?;
    let file = File::open(path)?;
    Ok(if n == 2 && magic == [0x1f, 0x8b] {
        Box::new(BufReader::with_capacity(1 << 16, MultiGzDecoder::new(file)))
    } else {
        Box::new(BufReader::with_capacity(1 << 16, file))
    })
}

impl EdgeReader {
    /// Opens `path` and skips its header line.
    pub fn open(path: &Path) -> Result<Self, EdgeFileError> {
        let read_err = |source| EdgeFileError::Read {
            path: path.to_owned(),
            source,
        };
        let lines = open_lines(path).map_err(read_err)?;
        let mut reader = Self {
            path: path.to_owned(),
            lines,
            line_no: 0,
            buf: String::new(),
        };
        if !reader.next_line()? {
            return Err(EdgeFileError::Malformed {
                path: path.to_owned(),
                line: 1,
                reason: "the file is empty".into(),
            });
        }
        Ok(reader)
    }

    /// Skips `n` edges (used when resuming).
    pub fn skip_edges(&mut self, n: u64) -> Result<(), EdgeFileError> {
        for _ in 0..n {
            if self.next_edge()?.is_none() {
                break;
            }
        }
        Ok(())
    }

    /// The next edge, or `None` at the end of the file. Blank lines are skipped.
    pub fn next_edge(&mut self) -> Result<Option<Edge>, EdgeFileError> {
        loop {
            if !self.next_line()? {
                return Ok(None);
            }
            let line = self.buf.trim_end_matches(['\n', '\r']);
            if line.trim().is_empty() {
                continue;
            }
            return self.parse(line).map(Some);
        }
    }

    fn next_line(&mut self) -> Result<bool, EdgeFileError> {
        self.buf.clear();
        let n = self
            .lines
            .read_line(&mut self.buf)
            .map_err(|source| EdgeFileError::Read {
                path: self.path.clone(),
                source,
            })?;
        self.line_no += 1;
        Ok(n > 0)
    }

    fn parse(&self, line: &str) -> Result<Edge, EdgeFileError> {
        let malformed = |reason: String| EdgeFileError::Malformed {
            path: self.path.clone(),
            line: self.line_no,
            reason,
        };
        let columns: Vec<&str> = line.split(',').collect();
        if columns.len() < 5 {
            return Err(malformed(format!(
                "{} columns in {line:?}, at least 5 needed",
                columns.len()
            )));
        }
        // The sample's driver trims and drops double quotes the same way.
        let clean = |s: &str| s.trim().replace('"', "");
        let edge = Edge {
            from: clean(columns[2]),
            to: clean(columns[3]),
            created: clean(columns[4]),
        };
        for (name, value) in [
            ("from (column 3)", &edge.from),
            ("to (column 4)", &edge.to),
            ("creationDate (column 5)", &edge.created),
        ] {
            if value.is_empty() {
                return Err(malformed(format!("{name} is empty")));
            }
        }
        if let Some(reason) = crate::sink::over_limits(&edge.from, edge.record_body().len()) {
            return Err(malformed(format!("from id: {reason}")));
        }
        Ok(edge)
    }
}

impl Iterator for EdgeReader {
    type Item = Result<Edge, EdgeFileError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_edge().transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn record_body_round_trips() {
        let edge = Edge {
            from: "p1".into(),
            to: "p2".into(),
            created: "2019-01-01T00:00:00Z".into(),
        };
        assert_eq!(edge.record_body(), "p1,p2,2019-01-01T00:00:00Z");
        assert_eq!(Edge::from_record_body(&edge.record_body()), Some(edge));
    }

    #[test]
    fn reads_plain_and_gzip_files_with_the_sample_layout() {
        let dir = tempfile::tempdir().unwrap();
        let text = "~id,~label,~from,~to,creationDate:Date\ne1,follows,\"p1\", p2 ,2019-01-01\n\ne2,follows,p3,p1,2019-01-02\n";
        let plain = dir.path().join("f.csv");
        std::fs::write(&plain, text).unwrap();
        let gz = dir.path().join("f.csv.gz");
        let mut enc =
            flate2::write::GzEncoder::new(File::create(&gz).unwrap(), flate2::Compression::fast());
        enc.write_all(text.as_bytes()).unwrap();
        enc.finish().unwrap();
        for path in [plain, gz] {
            let edges: Vec<Edge> = EdgeReader::open(&path)
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            assert_eq!(edges.len(), 2);
            assert_eq!(edges[0].record_body(), "p1,p2,2019-01-01");
            assert_eq!(edges[1].record_body(), "p3,p1,2019-01-02");
        }
    }

    #[test]
    fn a_short_line_names_the_line_and_the_layout() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.csv");
        std::fs::write(&path, "h\ne1,follows,p1,p2,2019\ne2,follows,p1\n").unwrap();
        let err = EdgeReader::open(&path)
            .unwrap()
            .collect::<Result<Vec<_>, _>>()
            .unwrap_err()
            .to_string();
        assert!(err.contains("line 3"), "{err}");
        assert!(err.contains("3 columns"), "{err}");
    }

    #[test]
    fn a_missing_file_says_how_to_make_one() {
        let err = EdgeReader::open(Path::new("/nonexistent/follows.csv.gz"))
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains("stream2neptune dataset"), "{err}");
    }
}
