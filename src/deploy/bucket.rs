//! The artifact bucket: its name (the same rule the template computes), its creation as an encrypted, private,
//! versioned bucket, content-addressed uploads that skip what is already there, and emptying it for deletion.

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

/// Creates the bucket unless it exists: private (public access block), encrypted by default (SSE-S3) and
/// versioned. An existing bucket is left as it is.
// No TLS-only bucket policy: the AWS CLI and the stack's readers always use TLS, and moto, which the tests run
// against, cannot evaluate `aws:SecureTransport` (it then denies every request).
pub fn ensure(aws: &mut Aws<'_>, bucket: &str, region: &str) -> Result<()> {
    aws.note(format!(
        "artifact bucket {bucket}: created (encrypted, private, versioned) unless it exists"
    ))?;
    let head = Call::new("s3api", "head-bucket", region).arg("--bucket", bucket);
    match aws.probe(&head) {
        Ok(Some(true)) => return aws.note(format!("bucket {bucket} exists")),
        Ok(_) => {}
        Err(Error::Aws { stderr, .. })
            if stderr.contains("403") || stderr.contains("Forbidden") =>
        {
            return Err(Error::BucketNotUsable {
                bucket: bucket.to_owned(),
                detail: stderr,
            });
        }
        Err(err) => return Err(err),
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
    )
}

/// What `aws s3api head-object` says of a key.
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

/// Asks whether an object has `key` (`aws s3api head-object`).
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

/// Uploads one file to `key` (`aws s3 cp`) unless what is there already makes it needless.
pub fn upload_file(
    aws: &mut Aws<'_>,
    file: &Path,
    bucket: &str,
    key: &str,
    region: &str,
    unless: Unless,
) -> Result<()> {
    let same = match (unless, head_object(aws, bucket, key, region)?) {
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

/// Uploads an artifact: its zip, or for the notebooks the files missing under the key prefix.
pub fn upload(
    aws: &mut Aws<'_>,
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
            // size uploads exactly the files missing there.
            let dir = artifacts_dir.join(Part::Notebooks.files_dir(&artifact.sha256));
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
