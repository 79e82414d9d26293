//! The write contenders' data file ([`stream2neptune_engines::contenders`]): a data set's follows edges as
//! `from,to,created` lines, the same edges the driver sends.

use std::path::Path;

use stream2neptune_workload::edges::EdgeReader;

use crate::error::{LocalError, Result};

/// Writes the edges of a data set's `follows` file (the sample's layout, as the driver reads it) to `out` as the
/// contenders read them: `from,to,created` a line (the writer's CSV record body), in stream order. Returns how
/// many.
pub fn write_edge_lines(follows: &Path, out: &Path) -> Result<u64> {
    use std::io::Write as _;
    let io = |action, path: &Path| {
        let path = path.to_owned();
        move |source| LocalError::Io {
            action,
            path,
            source,
        }
    };
    let mut reader = EdgeReader::open(follows)?;
    let mut file = std::io::BufWriter::new(std::fs::File::create(out).map_err(io("create", out))?);
    let mut count = 0;
    while let Some(edge) = reader.next_edge()? {
        writeln!(file, "{}", edge.record_body()).map_err(io("write", out))?;
        count += 1;
    }
    file.flush().map_err(io("write", out))?;
    Ok(count)
}
