//! `destroy`: delete a region's stack and wait; the artifact bucket stays unless `--delete-bucket`.

use std::io::Write;

use stream2neptune_workload::shutdown::Shutdown;

use super::stack::{self, Lookup};
use super::{TargetArgs, bucket, check_region, connect};

/// Flags of `destroy`.
#[derive(Debug, clap::Args)]
pub struct DestroyArgs {
    /// The region of the stack.
    #[arg(long, value_name = "REGION")]
    pub region: String,
    /// Stack name, dry run and workspace.
    #[command(flatten)]
    pub target: TargetArgs,
    /// Also delete the artifact bucket, every object version in it included.
    #[arg(long)]
    pub delete_bucket: bool,
}

/// `destroy`: delete the stack and wait; the artifact bucket stays unless `--delete-bucket`.
pub fn run(args: &DestroyArgs, out: &mut dyn Write, shutdown: &Shutdown) -> anyhow::Result<()> {
    let region = args.region.as_str();
    check_region(region)?;
    let stack_name = args.target.stack_name.as_str();
    let (mut aws, account) = connect(&args.target, region, out, shutdown)?;
    aws.note(format!("stack {stack_name} in {region}"))?;
    let bucket = match stack::describe(&mut aws, stack_name, region)? {
        Lookup::Found(info) => {
            let bucket = info
                .output(stack::output::ARTIFACT_BUCKET)
                .map(str::to_owned);
            stack::delete(&mut aws, stack_name, region, args.target.poll())?;
            bucket
        }
        Lookup::Missing => {
            aws.note(format!(
                "stack {stack_name} does not exist in {region}: nothing to delete"
            ))?;
            None
        }
        Lookup::Unknown => {
            stack::delete(&mut aws, stack_name, region, args.target.poll())?;
            None
        }
    };
    aws.note(
        "kept by design: the Neptune cluster's final snapshot and the KMS key encrypting it (DeletionPolicy Snapshot \
         and Retain); delete them when the graph is no longer wanted",
    )?;
    let bucket = bucket.unwrap_or_else(|| bucket::bucket_name("", &account, region));
    if args.delete_bucket {
        aws.note(format!(
            "delete artifact bucket {bucket} and every object version in it"
        ))?;
        bucket::delete(&mut aws, &bucket, region)?;
    } else {
        aws.note(format!(
            "artifact bucket {bucket} is kept (pass --delete-bucket, or DELETE_BUCKET=1 to make, to delete it)"
        ))?;
    }
    Ok(())
}
