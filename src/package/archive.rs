//! Deterministic zips: the same files give the same bytes, whatever their timestamps, owners or the order they
//! were listed in, so an artifact's SHA-256 names its content.

use std::io::{Cursor, Write as _};

use sha2::{Digest as _, Sha256};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, DateTime, ZipWriter};

use super::error::{Error, Result};

/// Unix permissions of an executable entry (Lambda needs `bootstrap` executable).
pub const EXECUTABLE: u32 = 0o755;
/// Unix permissions of a data entry.
pub const DATA: u32 = 0o644;

/// One file to put in a zip.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The name inside the zip.
    pub name: String,
    /// The file's bytes.
    pub contents: Vec<u8>,
    /// Unix permissions ([`EXECUTABLE`] or [`DATA`]).
    pub mode: u32,
}

/// Writes `entries` into a zip, sorted by name, each stamped 1980-01-01 00:00:00 (the zip epoch) with its
/// fixed permissions and deflated; `artifact` only names the zip in errors.
pub fn zip(artifact: &str, entries: &[Entry]) -> Result<Vec<u8>> {
    let mut sorted: Vec<&Entry> = entries.iter().collect();
    sorted.sort_by(|a, b| a.name.cmp(&b.name));
    let mut writer = ZipWriter::new(Cursor::new(Vec::new()));
    let zip_error = |entry: &str| {
        let (artifact, entry) = (artifact.to_owned(), entry.to_owned());
        move |source| Error::Zip {
            artifact,
            entry,
            source,
        }
    };
    for entry in sorted {
        let options = SimpleFileOptions::default()
            .compression_method(CompressionMethod::Deflated)
            .last_modified_time(DateTime::default())
            .unix_permissions(entry.mode);
        writer
            .start_file(entry.name.as_str(), options)
            .map_err(zip_error(&entry.name))?;
        writer
            .write_all(&entry.contents)
            .map_err(|err| zip_error(&entry.name)(err.into()))?;
    }
    let cursor = writer.finish().map_err(zip_error("(central directory)"))?;
    Ok(cursor.into_inner())
}

/// The lowercase hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}
