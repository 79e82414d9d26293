//! What a stack leaves behind in its region once it is deleted, or after a first create that failed: the KMS key
//! (DeletionPolicy Retain), the on-failure bucket (Retain) and the Neptune cluster's final snapshot (Snapshot).
//! Each carries the tag [`STACK_TAG`] with the stack's name (templates/partials/key.yaml.j2, stream.yaml.j2 and
//! neptune.yaml.j2, whose cluster copies its tags to the snapshot), so one Resource Groups Tagging API call finds
//! them with or without the stack. Each is listed with its monthly cost ([`super::prices`]) and the command that
//! removes it; [`remove`] removes them: the key is scheduled for deletion after [`KEY_PENDING_WINDOW_DAYS`] (KMS
//! never deletes a key at once, and the deletion can be cancelled until then), the snapshot and the buckets are
//! deleted.

use super::aws::{Aws, Call, is_not_found};
use super::bucket;
use super::error::{Error, Result};
use super::prices::{self, Price};

/// The tag key every resource the stack keeps carries, valued with the stack's name.
pub const STACK_TAG: &str = "stream2neptune:stack";

/// Days before a key scheduled by `--delete-retained` is deleted (KMS allows 7 to 30; the longest leaves the most
/// time to cancel with `aws kms cancel-key-deletion`).
pub const KEY_PENDING_WINDOW_DAYS: u32 = 30;

/// One thing the stack left behind (ordered key, buckets, snapshots, as listed).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Leftover {
    /// The stack's KMS key: its id, and the date of its deletion when it is scheduled already.
    Key {
        /// The key id.
        id: String,
        /// When KMS deletes it, if it is scheduled for deletion.
        deletion: Option<String>,
    },
    /// A bucket the stack kept (the on-failure bucket), with what it stores.
    Bucket {
        /// The bucket name.
        name: String,
        /// What it holds, every version counted.
        size: Size,
    },
    /// A Neptune cluster snapshot (the final snapshot of the stack's cluster).
    Snapshot {
        /// The snapshot identifier.
        id: String,
        /// Its allocated storage in GiB, when Neptune says.
        gib: Option<u64>,
    },
}

/// What a bucket stores.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Size {
    /// Object versions.
    pub versions: u64,
    /// Their bytes.
    pub bytes: u64,
}

impl Size {
    fn gb(self) -> f64 {
        self.bytes as f64 / 1e9
    }
}

impl std::fmt::Display for Size {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = if self.versions == 1 { "" } else { "s" };
        write!(
            f,
            "{} object version{s}, {:.3} GB",
            self.versions,
            self.gb()
        )
    }
}

impl Leftover {
    /// What it is, for a person.
    pub fn describe(&self) -> String {
        match self {
            Leftover::Key { id, deletion: None } => format!("KMS key {id} (DeletionPolicy Retain)"),
            Leftover::Key {
                id,
                deletion: Some(date),
            } => format!("KMS key {id}, scheduled for deletion on {date}"),
            Leftover::Bucket { name, size } => {
                format!("bucket {name} (the on-failure bucket, DeletionPolicy Retain): {size}")
            }
            Leftover::Snapshot { id, gib } => format!(
                "Neptune snapshot {id} (the cluster's DeletionPolicy Snapshot){}",
                gib.map(|g| format!(": {g} GiB")).unwrap_or_default()
            ),
        }
    }

    /// Its monthly cost at [`super::prices`], with the price it comes from.
    pub fn monthly_cost(&self) -> (f64, Price) {
        match self {
            Leftover::Key { deletion: None, .. } => (prices::KMS_KEY.monthly(1.0), prices::KMS_KEY),
            Leftover::Key { .. } => (0.0, prices::KMS_KEY),
            Leftover::Bucket { size, .. } => {
                (prices::S3_STANDARD.monthly(size.gb()), prices::S3_STANDARD)
            }
            Leftover::Snapshot { gib, .. } => {
                let gb = gib.unwrap_or(0) as f64 * 1.073_741_824;
                (
                    prices::NEPTUNE_SNAPSHOT.monthly(gb),
                    prices::NEPTUNE_SNAPSHOT,
                )
            }
        }
    }

    /// The AWS CLI command that removes it (a bucket needs every version deleted first: `--delete-retained`
    /// does that).
    pub fn removal(&self, region: &str) -> Option<Call> {
        match self {
            Leftover::Key {
                deletion: Some(_), ..
            } => None,
            Leftover::Key { id, .. } => Some(schedule_key_deletion(id, region)),
            Leftover::Bucket { .. } => None,
            Leftover::Snapshot { id, .. } => Some(delete_snapshot(id, region)),
        }
    }
}

fn schedule_key_deletion(id: &str, region: &str) -> Call {
    Call::new("kms", "schedule-key-deletion", region)
        .arg("--key-id", id)
        .arg(
            "--pending-window-in-days",
            KEY_PENDING_WINDOW_DAYS.to_string(),
        )
}

fn delete_snapshot(id: &str, region: &str) -> Call {
    Call::new("neptune", "delete-db-cluster-snapshot", region)
        .arg("--db-cluster-snapshot-identifier", id)
}

/// The resources tagged [`STACK_TAG`] = `stack` in `region`, as they are now; empty in a dry run (which prints
/// the look-up).
pub fn find(aws: &mut Aws<'_>, stack: &str, region: &str) -> Result<Vec<Leftover>> {
    let lookup = Call::new("resourcegroupstaggingapi", "get-resources", region)
        .args("--tag-filters", [format!("Key={STACK_TAG},Values={stack}")])
        .args(
            "--resource-type-filters",
            ["kms:key", "s3:bucket", "rds:cluster-snapshot"],
        )
        .arg("--query", "ResourceTagMappingList[].ResourceARN");
    let Some(answer) = aws.read(&lookup)? else {
        return Ok(Vec::new());
    };
    let arns: Vec<&str> = answer
        .as_array()
        .map(|arns| arns.iter().filter_map(serde_json::Value::as_str).collect())
        .unwrap_or_default();
    let mut found = Vec::new();
    for arn in arns {
        // The tagging API may still list a resource for a while after it is gone: each is looked at itself.
        let leftover = match arn.split(':').collect::<Vec<_>>().as_slice() {
            [_, _, "kms", .., resource] => match resource.strip_prefix("key/") {
                Some(id) => key(aws, id, region)?,
                None => None,
            },
            [_, _, "s3", _, _, name] => bucket_leftover(aws, name, region)?,
            [_, _, "rds", .., "cluster-snapshot", id] => snapshot(aws, id, region)?,
            _ => None,
        };
        found.extend(leftover);
    }
    found.sort();
    Ok(found)
}

/// A read whose "not found" answer means the resource is gone.
fn read_existing(aws: &mut Aws<'_>, call: &Call) -> Result<Option<serde_json::Value>> {
    match aws.read(call) {
        Ok(answer) => Ok(answer),
        Err(Error::Aws { stderr, .. }) if is_not_found(&stderr) => Ok(None),
        Err(err) => Err(err),
    }
}

fn key(aws: &mut Aws<'_>, id: &str, region: &str) -> Result<Option<Leftover>> {
    let describe = Call::new("kms", "describe-key", region)
        .arg("--key-id", id)
        .arg("--query", "KeyMetadata.[KeyState, DeletionDate]");
    let Some(answer) = read_existing(aws, &describe)? else {
        return Ok(None);
    };
    Ok(match answer[0].as_str() {
        Some("PendingDeletion") => Some(Leftover::Key {
            id: id.to_owned(),
            deletion: Some(
                answer[1]
                    .as_str()
                    .map_or_else(|| answer[1].to_string(), str::to_owned),
            ),
        }),
        _ => Some(Leftover::Key {
            id: id.to_owned(),
            deletion: None,
        }),
    })
}

fn bucket_leftover(aws: &mut Aws<'_>, name: &str, region: &str) -> Result<Option<Leftover>> {
    Ok(size(aws, name, region)?.map(|size| Leftover::Bucket {
        name: name.to_owned(),
        size,
    }))
}

/// What `bucket` stores, every version counted; `None` when it does not exist (or in a dry run).
pub fn size(aws: &mut Aws<'_>, bucket: &str, region: &str) -> Result<Option<Size>> {
    let list = Call::new("s3api", "list-object-versions", region)
        .arg("--bucket", bucket)
        .arg("--query", "Versions[].Size");
    let Some(answer) = read_existing(aws, &list)? else {
        return Ok(None);
    };
    let sizes: Vec<u64> = answer
        .as_array()
        .map(|sizes| sizes.iter().filter_map(serde_json::Value::as_u64).collect())
        .unwrap_or_default();
    Ok(Some(Size {
        versions: sizes.len() as u64,
        bytes: sizes.iter().sum(),
    }))
}

fn snapshot(aws: &mut Aws<'_>, id: &str, region: &str) -> Result<Option<Leftover>> {
    let describe = Call::new("neptune", "describe-db-cluster-snapshots", region)
        .arg("--db-cluster-snapshot-identifier", id)
        .arg("--query", "DBClusterSnapshots[0].AllocatedStorage");
    Ok(
        read_existing(aws, &describe)?.map(|gib| Leftover::Snapshot {
            id: id.to_owned(),
            gib: gib.as_u64(),
        }),
    )
}

/// Prints each leftover with its monthly cost and the command that removes it, and the total.
pub fn report(aws: &mut Aws<'_>, leftovers: &[Leftover], stack: &str, region: &str) -> Result<()> {
    if aws.is_dry_run() {
        return aws.note(
            "a real run lists what the look-up above finds, each with its monthly cost and the command that removes it (or pass --delete-retained)",
        );
    }
    if leftovers.is_empty() {
        return aws.note(format!(
            "nothing tagged {STACK_TAG}={stack} is left in {region} (no key, on-failure bucket or final snapshot)"
        ));
    }
    aws.say(format!(
        "left behind in {region} by stack {stack}, billed until removed (list prices, us-east-1; see `destroy --help`):"
    ))?;
    let mut total = 0.0;
    for leftover in leftovers {
        let (cost, price) = leftover.monthly_cost();
        total += cost;
        aws.say(format!(
            "  {}: ${cost:.2}/month (${} per {} and month)",
            leftover.describe(),
            price.usd,
            price.unit
        ))?;
        match leftover.removal(region) {
            Some(call) => aws.say(format!("    remove: {call}"))?,
            None if matches!(leftover, Leftover::Bucket { .. }) => aws.say(format!(
                "    remove: stream2neptune destroy --region {region} --stack-name {stack} --delete-retained (empties every version, then deletes the bucket)"
            ))?,
            None => {}
        }
    }
    aws.say(format!(
        "  in all ${total:.2}/month; remove everything above: make destroy REGION={region} STACK_NAME={stack} DELETE_RETAINED=1"
    ))
}

/// Removes `leftovers`: the snapshot and the buckets deleted, then the key scheduled for deletion (never deleted
/// at once). A dry run, which found nothing, prints the commands for what the look-up would find.
pub fn remove(aws: &mut Aws<'_>, leftovers: &[Leftover], stack: &str, region: &str) -> Result<()> {
    if aws.is_dry_run() {
        let each = |what: &str| format!("<each {what} tagged {STACK_TAG}={stack} above>");
        aws.run(&delete_snapshot(&each("cluster snapshot"), region))?;
        bucket::delete(aws, &each("bucket"), region)?;
        return aws.run(&schedule_key_deletion(&each("key"), region));
    }
    for leftover in leftovers {
        match leftover {
            Leftover::Snapshot { id, .. } => aws.run(&delete_snapshot(id, region))?,
            Leftover::Bucket { name, .. } => bucket::delete(aws, name, region)?,
            Leftover::Key { .. } => {}
        }
    }
    for leftover in leftovers {
        if let Leftover::Key { id, deletion: None } = leftover {
            aws.run(&schedule_key_deletion(id, region))?;
            aws.note(format!(
                "key {id} is deleted in {KEY_PENDING_WINDOW_DAYS} days; until then `aws kms cancel-key-deletion --region {region} --key-id {id}` keeps it"
            ))?;
        }
    }
    Ok(())
}
