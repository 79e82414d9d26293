//! The data set the stack reads: the follows edge file the EC2 driver streams and the vertex files the bulk
//! loader loads, uploaded from a `stream2neptune dataset --out DIR` folder to the artifact bucket's default keys
//! (`data/follows.csv.gz`, `data/vertices/<name>`) when the region's locations are left empty. Without a data set,
//! `deploy` uploads none (generating the default 2,000,000 edges takes minutes and ~20 MB, a choice left to the
//! user) and says plainly when the edge file is not in S3, since the driver then has nothing to send.

use std::path::{Path, PathBuf};

use super::aws::Aws;
use super::bucket::{Listing, Object, Unless, head_object, upload_file};
use super::error::{Error, Result};

/// The edge file's name in a data set folder and its key in the bucket.
pub const EDGE_FILE: &str = "follows.csv.gz";
/// The vertex folder's name in a data set folder.
pub const VERTEX_DIR: &str = "vertices";
/// The key of the edge file when `EdgeFileS3Location` is empty.
pub const EDGE_KEY: &str = "data/follows.csv.gz";
/// The key prefix of the vertex files when `VertexFileS3Location` is empty.
pub const VERTEX_PREFIX: &str = "data/vertices/";

/// A data set folder's files, checked before any AWS work.
#[derive(Debug, Clone)]
pub struct DataSet {
    /// DIR/follows.csv.gz.
    pub edge_file: PathBuf,
    /// Each file of DIR/vertices/ with its name, sorted by name.
    pub vertex_files: Vec<(String, PathBuf)>,
}

impl DataSet {
    /// Reads `dir`: DIR/follows.csv.gz must be a file; DIR/vertices/ is optional and its files are listed.
    pub fn load(dir: &Path) -> Result<DataSet> {
        let edge_file = dir.join(EDGE_FILE);
        if !edge_file.is_file() {
            return Err(Error::DataSetMissing {
                path: edge_file,
                dir: dir.to_owned(),
            });
        }
        let vertex_dir = dir.join(VERTEX_DIR);
        let mut vertex_files = Vec::new();
        if vertex_dir.is_dir() {
            let entries = std::fs::read_dir(&vertex_dir).map_err(|source| Error::DataSetRead {
                path: vertex_dir.clone(),
                source,
            })?;
            for entry in entries {
                let entry = entry.map_err(|source| Error::DataSetRead {
                    path: vertex_dir.clone(),
                    source,
                })?;
                let path = entry.path();
                if path.is_file() {
                    vertex_files.push((entry.file_name().to_string_lossy().into_owned(), path));
                }
            }
        }
        vertex_files.sort();
        Ok(DataSet {
            edge_file,
            vertex_files,
        })
    }
}

/// Where a region's stack reads its data: the `EdgeFileS3Location` and `VertexFileS3Location` values (empty =
/// the artifact bucket's default keys).
pub struct Locations<'a> {
    /// `EdgeFileS3Location`.
    pub edge: &'a str,
    /// `VertexFileS3Location`.
    pub vertex: &'a str,
}

/// Uploads the data set to the bucket's default keys for each location left empty; a location pointing
/// elsewhere is only reported (the data is expected there).
pub fn upload(
    aws: &mut Aws<'_>,
    listing: &Listing,
    data: &DataSet,
    locations: &Locations<'_>,
    bucket: &str,
    region: &str,
) -> Result<()> {
    if locations.edge.is_empty() {
        aws.note(format!(
            "edge file: s3://{bucket}/{EDGE_KEY}, uploaded unless the same size is already there"
        ))?;
        let size = file_size(&data.edge_file)?;
        upload_file(
            aws,
            listing,
            &data.edge_file,
            bucket,
            EDGE_KEY,
            region,
            Unless::SameSize(size),
        )?;
    } else {
        aws.note(format!(
            "edge file: EdgeFileS3Location is {}; the data is expected there, nothing uploaded",
            locations.edge
        ))?;
    }
    if !locations.vertex.is_empty() {
        return aws.note(format!(
            "vertex files: VertexFileS3Location is {}; the data is expected there, nothing uploaded",
            locations.vertex
        ));
    }
    aws.note(format!(
        "vertex files: s3://{bucket}/{VERTEX_PREFIX}, each uploaded unless the same size is already there"
    ))?;
    if data.vertex_files.is_empty() {
        return aws.note("no vertex files to upload");
    }
    for (name, path) in &data.vertex_files {
        let key = format!("{VERTEX_PREFIX}{name}");
        upload_file(
            aws,
            listing,
            path,
            bucket,
            &key,
            region,
            Unless::SameSize(file_size(path)?),
        )?;
    }
    Ok(())
}

/// The size of a data set file, for [`Unless::SameSize`]: data keys are fixed names, not content-addressed, so mere
/// existence would keep a stale data set.
fn file_size(file: &Path) -> Result<u64> {
    Ok(std::fs::metadata(file)
        .map_err(|source| Error::DataSetRead {
            path: file.to_owned(),
            source,
        })?
        .len())
}

/// Without `--data`: checks that the edge file the driver streams is in S3 and returns a warning saying what to do
/// when it is not (a dry run, which cannot look, gets a note instead and no warning).
pub fn check_present(
    aws: &mut Aws<'_>,
    listing: &Listing,
    locations: &Locations<'_>,
    bucket: &str,
    region: &str,
) -> Result<Option<String>> {
    let uri = if locations.edge.is_empty() {
        format!("s3://{bucket}/{EDGE_KEY}")
    } else {
        locations.edge.to_owned()
    };
    let (edge_bucket, key) = uri
        .strip_prefix("s3://")
        .and_then(|path| path.split_once('/'))
        .unwrap_or((bucket, EDGE_KEY));
    aws.note(format!(
        "no data set given (--data DIR): nothing of it is uploaded; the driver streams {uri} if it is there"
    ))?;
    let found = if edge_bucket == bucket {
        listing.object(key)
    } else {
        head_object(aws, edge_bucket, key, region)?
    };
    match found {
        Object::Unknown => Ok(None),
        Object::Present { .. } => {
            aws.note(format!("edge file: {uri} is there"))?;
            Ok(None)
        }
        Object::Missing => Ok(Some(format!(
            "region {region}: no edge file at {uri}, so the EC2 driver has nothing to send (and the load notebook \
             no people to load): generate a data set and deploy with it, e.g. `stream2neptune dataset --out data` \
             then `make stack REGION={region} DATA=data`; the driver fetches the edge file when it is started"
        ))),
    }
}
