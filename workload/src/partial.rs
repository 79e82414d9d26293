//! Output files written whole or not at all: a temporary file beside the final path, persisted under its name only
//! when complete.

use std::path::Path;

use tempfile::NamedTempFile;

use crate::error::DatasetError;

/// A temporary file beside `path` (`.<name>.partial-XXXXXX`), removed when dropped unpersisted.
pub(crate) fn partial(path: &Path) -> Result<NamedTempFile, DatasetError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    tempfile::Builder::new()
        .prefix(&format!(".{name}.partial-"))
        .tempfile_in(dir)
        .map_err(|source| DatasetError::Write {
            path: path.to_owned(),
            source,
        })
}
