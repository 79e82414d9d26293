//! The artifact bucket: its name (the same rule the template computes), its creation as an encrypted, private,
//! versioned bucket, content-addressed uploads that skip what is already there, and emptying it for deletion.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::json;

use super::aws::{Aws, Call, is_not_found};
use super::error::{Error, Result};
use crate::package::{Artifact, Part};

/// Placeholder for the account id in a dry run, which asks AWS nothing.
pub const ACCOUNT_PLACEHOLDER: &str = "<account-id>";

/// The bucket the stack reads artifacts from: `ArtifactBucket` when set, else
/// `stream2neptune-artifacts-<account>-<region>`, which is what the template's `UseDefaultArtifactBucket`
/// condition computes with `Fn::Sub`.
pub fn bucket_name(artifact_bucket: &str, account: &str, region: &str) -> String {
    if artifact_bucket.is_empty() {
        format!("stream2neptune-artifacts-{account}-{region}")
    } else {
        artifact_bucket.to_owned()
    }
}

/// What the artifact bucket holds, listed once per command (`aws s3api list-objects-v2`): each upload's "is it
/// already there?" is answered from it, where a `head-object` per key would cost an AWS CLI run (about a second of
/// CPU) each.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Listing {
    /// A dry run: AWS was not asked.
    Unknown,
    /// The current objects, key to size in bytes.
    Known(BTreeMap<String, u64>),
}

impl Listing {
    /// What the listing says of `key`.
    pub fn object(&self, key: &str) -> Object {
        match self {
            Listing::Unknown => Object::Unknown,
            Listing::Known(objects) => match objects.get(key) {
                Some(size) => Object::Present { size: Some(*size) },
                None => Object::Missing,
            },
        }
    }

    /// Reads `list-objects-v2 --query 'Contents[].[Key, Size]'`: `null` for an empty bucket, else `[key, size]`
    /// pairs.
    fn from_answer(answer: &serde_json::Value) -> Option<Listing> {
        let mut objects = BTreeMap::new();
        if let Some(rows) = answer.as_array() {
            for row in rows {
                objects.insert(row.get(0)?.as_str()?.to_owned(), row.get(1)?.as_u64()?);
            }
        } else if !answer.is_null() {
            return None;
        }
        Some(Listing::Known(objects))
    }
}

/// Lists the bucket's keys: `None` when it does not exist, [`Listing::Unknown`] in a dry run.
pub fn list(aws: &mut Aws<'_>, bucket: &str, region: &str) -> Result<Option<Listing>> {
    let list = Call::new("s3api", "list-objects-v2", region)
        .arg("--bucket", bucket)
        .arg("--query", "Contents[].[Key, Size]");
    match aws.read(&list) {
        Ok(Some(answer)) => {
            let listing = Listing::from_answer(&answer).ok_or_else(|| Error::AwsOutput {
                command: list.to_string(),
                detail: "expected null or a list of [key, size] pairs".to_owned(),
                stdout: answer.to_string(),
            })?;
            Ok(Some(listing))
        }
        Ok(None) => Ok(Some(Listing::Unknown)),
        Err(Error::Aws { stderr, .. })
            if ["403", "Forbidden", "AccessDenied"]
                .iter()
                .any(|needle| stderr.contains(needle)) =>
        {
            Err(Error::BucketNotUsable {
                bucket: bucket.to_owned(),
                detail: stderr,
            })
        }
        Err(Error::Aws { stderr, .. }) if is_not_found(&stderr) => Ok(None),
        Err(err) => Err(err),
    }
}

/// Creates the bucket unless it exists, and returns what it holds: private (public access block), encrypted by
/// default (SSE-S3) and versioned. An existing bucket is left as it is. A dry run, which cannot know, prints the
/// creation.
// No TLS-only bucket policy: the AWS CLI and the stack's readers always use TLS, and moto, which the tests run
// against, cannot evaluate `aws:SecureTransport` (it then denies every request).
pub fn ensure(aws: &mut Aws<'_>, bucket: &str, region: &str) -> Result<Listing> {
    aws.note(format!(
        "artifact bucket {bucket}: created (encrypted, private, versioned) unless it exists; its keys listed once"
    ))?;
    if let Some(Listing::Known(objects)) = list(aws, bucket, region)? {
        aws.note(format!(
            "bucket {bucket} exists ({} objects)",
            objects.len()
        ))?;
        return Ok(Listing::Known(objects));
    }
    let mut create = Call::new("s3api", "create-bucket", region).arg("--bucket", bucket);
    // us-east-1 is S3's default location and rejects an explicit LocationConstraint.
    if region != "us-east-1" {
        create = create.arg(
            "--create-bucket-configuration",
            format!("LocationConstraint={region}"),
        );
    }
    aws.run(&create)?;
    aws.run(
        &Call::new("s3api", "put-public-access-block", region)
            .arg("--bucket", bucket)
            .arg(
                "--public-access-block-configuration",
                "BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true",
            ),
    )?;
    let encryption = json!({"Rules": [{
        "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"},
        "BucketKeyEnabled": true
    }]});
    aws.run(
        &Call::new("s3api", "put-bucket-encryption", region)
            .arg("--bucket", bucket)
            .arg(
                "--server-side-encryption-configuration",
                encryption.to_string(),
            ),
    )?;
    aws.run(
        &Call::new("s3api", "put-bucket-versioning", region)
            .arg("--bucket", bucket)
            .arg("--versioning-configuration", "Status=Enabled"),
    )?;
    Ok(if aws.is_dry_run() {
        Listing::Unknown
    } else {
        Listing::Known(BTreeMap::new())
    })
}

/// What `aws s3api head-object` (or a [`Listing`]) says of a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Object {
    /// A dry run: AWS was not asked.
    Unknown,
    /// No object has the key.
    Missing,
    /// An object has the key, of this size in bytes (when the answer says).
    Present {
        /// Its `ContentLength`.
        size: Option<u64>,
    },
}

/// Asks whether an object has `key` (`aws s3api head-object`), for a bucket other than the listed artifact bucket.
pub fn head_object(aws: &mut Aws<'_>, bucket: &str, key: &str, region: &str) -> Result<Object> {
    let head = Call::new("s3api", "head-object", region)
        .arg("--bucket", bucket)
        .arg("--key", key);
    match aws.read(&head) {
        Ok(None) => Ok(Object::Unknown),
        Ok(Some(answer)) => Ok(Object::Present {
            size: answer
                .get("ContentLength")
                .and_then(serde_json::Value::as_u64),
        }),
        Err(Error::Aws { stderr, .. }) if is_not_found(&stderr) => Ok(Object::Missing),
        Err(err) => Err(err),
    }
}

/// What, found at the key, makes an upload skip.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unless {
    /// Any object: the key is content-addressed, so an object there already holds these bytes.
    Present,
    /// An object of this size in bytes: the key is a fixed name, so mere existence could be a stale file.
    SameSize(u64),
}

/// Uploads one file to `key` (`aws s3 cp`) unless what `listing` shows there already makes it needless.
pub fn upload_file(
    aws: &mut Aws<'_>,
    listing: &Listing,
    file: &Path,
    bucket: &str,
    key: &str,
    region: &str,
    unless: Unless,
) -> Result<()> {
    let same = match (unless, listing.object(key)) {
        (Unless::Present, Object::Present { .. }) => Some("same content".to_owned()),
        (Unless::SameSize(size), Object::Present { size: Some(found) }) if found == size => {
            Some(format!("same size, {size} bytes"))
        }
        _ => None,
    };
    if let Some(same) = same {
        return aws.note(format!(
            "s3://{bucket}/{key} is already uploaded ({same}): skipped"
        ));
    }
    aws.run(
        &Call::new("s3", "cp", region)
            .word(file.display().to_string())
            .word(format!("s3://{bucket}/{key}"))
            .word("--no-progress"),
    )
}

/// Uploads an artifact unless `listing` shows it there: its zip, or for the notebooks the files missing under the
/// key prefix.
pub fn upload(
    aws: &mut Aws<'_>,
    listing: &Listing,
    artifact: &Artifact,
    artifacts_dir: &Path,
    bucket: &str,
    region: &str,
) -> Result<()> {
    match artifact.part {
        Part::Notebooks => {
            if artifact.files.is_empty() {
                return aws.note("no notebooks to upload");
            }
            // The key prefix is content-addressed: a file already under it holds these bytes, so one sync by
            // size uploads exactly the files missing there, and none is needed when the listing has them all.
            let dir = artifacts_dir.join(Part::Notebooks.files_dir(&artifact.sha256));
            let prefix = artifact.key.trim_end_matches('/');
            let all_there = artifact.files.iter().all(|name| {
                let size = std::fs::metadata(dir.join(name)).map(|m| m.len()).ok();
                matches!(listing.object(&format!("{prefix}/{name}")), Object::Present { size: found } if found == size)
            });
            if all_there {
                return aws.note(format!(
                    "s3://{bucket}/{prefix}/ already holds the {} notebooks: skipped",
                    artifact.files.len()
                ));
            }
            aws.run(
                &Call::new("s3", "sync", region)
                    .word(dir.display().to_string())
                    .word(format!("s3://{bucket}/{}", artifact.key))
                    .word("--size-only")
                    .word("--no-progress"),
            )
        }
        _ => upload_file(
            aws,
            listing,
            &artifact.path(artifacts_dir),
            bucket,
            &artifact.key,
            region,
            Unless::Present,
        ),
    }
}

/// Deletes every object version and delete marker, then the bucket (a versioned bucket must be empty of
/// versions before S3 deletes it).
pub fn delete(aws: &mut Aws<'_>, bucket: &str, region: &str) -> Result<()> {
    let head = Call::new("s3api", "head-bucket", region).arg("--bucket", bucket);
    if aws.probe(&head)? == Some(false) {
        return aws.note(format!("bucket {bucket} does not exist: nothing to delete"));
    }
    let list = Call::new("s3api", "list-object-versions", region)
        .arg("--bucket", bucket)
        .arg("--max-items", "1000");
    loop {
        let Some(listing) = aws.read(&list)? else {
            aws.run(
                &Call::new("s3api", "delete-objects", region)
                    .arg("--bucket", bucket)
                    .arg(
                        "--delete",
                        "file://<the versions listed above, 1000 at a time>",
                    ),
            )?;
            break;
        };
        let objects: Vec<serde_json::Value> = ["Versions", "DeleteMarkers"]
            .iter()
            .filter_map(|field| listing.get(field).and_then(serde_json::Value::as_array))
            .flatten()
            .map(|version| json!({"Key": version["Key"], "VersionId": version["VersionId"]}))
            .collect();
        if objects.is_empty() {
            break;
        }
        let body = json!({"Objects": objects, "Quiet": true});
        let mut file = tempfile::Builder::new()
            .prefix("stream2neptune-delete-")
            .suffix(".json")
            .tempfile()
            .map_err(Error::TempFile)?;
        std::io::Write::write_all(&mut file, body.to_string().as_bytes())
            .map_err(Error::TempFile)?;
        aws.run(
            &Call::new("s3api", "delete-objects", region)
                .arg("--bucket", bucket)
                .arg("--delete", format!("file://{}", file.path().display())),
        )?;
    }
    aws.run(&Call::new("s3api", "delete-bucket", region).arg("--bucket", bucket))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_listing_reads_the_query_answer_and_names_each_key_present_missing_or_unknown() {
        let empty = Listing::from_answer(&serde_json::Value::Null).unwrap();
        assert_eq!(empty.object("artifacts/a.zip"), Object::Missing);
        let listing = Listing::from_answer(&json!([
            ["artifacts/a.zip", 10],
            ["data/follows.csv.gz", 7]
        ]))
        .unwrap();
        assert_eq!(
            listing.object("artifacts/a.zip"),
            Object::Present { size: Some(10) }
        );
        assert_eq!(
            listing.object("data/follows.csv.gz"),
            Object::Present { size: Some(7) }
        );
        assert_eq!(listing.object("artifacts/b.zip"), Object::Missing);
        assert_eq!(Listing::Unknown.object("artifacts/a.zip"), Object::Unknown);
        assert_eq!(Listing::from_answer(&json!({"Contents": []})), None);
        assert_eq!(Listing::from_answer(&json!([["key-without-size"]])), None);
    }
}
