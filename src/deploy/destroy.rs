//! `destroy`: delete a region's stack and wait, then list what it leaves behind (its KMS key, on-failure bucket
//! and Neptune final snapshot, found by their tag also when the stack is gone) with their monthly cost and the
//! commands that remove them; `--delete-retained` removes them, `--delete-bucket` the artifact bucket.

use std::io::Write;

use stream2neptune_process::shutdown::Shutdown;

use super::stack::{self, Lookup};
use super::{TargetArgs, bucket, check_region, connect, leftovers, prices};

/// Flags of `destroy`.
#[derive(Debug, clap::Args)]
#[command(after_help = price_note())]
pub struct DestroyArgs {
    /// The region of the stack.
    #[arg(long, value_name = "REGION")]
    pub region: String,
    /// Stack name, dry run and workspace.
    #[command(flatten)]
    pub target: TargetArgs,
    /// Also delete the artifact bucket, every object version in it included (the region's stacks share it).
    #[arg(long)]
    pub delete_bucket: bool,
    /// Also remove what the stack keeps by design: delete its Neptune final snapshot and its on-failure bucket
    /// (every version), and schedule its KMS key for deletion in 30 days (cancellable until then).
    #[arg(long)]
    pub delete_retained: bool,
}

/// The prices `destroy` quotes, with their sources and dates.
fn price_note() -> String {
    let mut note = String::from("Monthly costs are quoted at these list prices:");
    for price in prices::ALL {
        let read = match price.read_on {
            Some(date) => format!("read {date}"),
            None => "not yet checked against that page".to_owned(),
        };
        note.push_str(&format!(
            "\n  ${} per {} and month: {} ({}, {read})",
            price.usd, price.unit, price.what, price.source
        ));
    }
    note
}

/// `destroy`: delete the stack and wait, list what it leaves behind and remove what is asked.
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
                "stack {stack_name} does not exist in {region}: nothing to delete; looking for what an earlier stack of that name left"
            ))?;
            None
        }
        Lookup::Unknown => {
            stack::delete(&mut aws, stack_name, region, args.target.poll())?;
            None
        }
    };
    let left = leftovers::find(&mut aws, stack_name, region)?;
    if args.delete_retained {
        leftovers::remove(&mut aws, &left, stack_name, region)?;
    } else {
        leftovers::report(&mut aws, &left, stack_name, region)?;
    }
    let bucket = bucket.unwrap_or_else(|| bucket::bucket_name("", &account, region));
    if args.delete_bucket {
        aws.note(format!(
            "delete artifact bucket {bucket} and every object version in it"
        ))?;
        bucket::delete(&mut aws, &bucket, region)?;
    } else {
        let held = match leftovers::size(&mut aws, &bucket, region)? {
            Some(size) => format!(
                ": {size}, ${:.2}/month",
                prices::S3_STANDARD.monthly(size.bytes as f64 / 1e9)
            ),
            None if aws.is_dry_run() => String::new(),
            None => {
                return aws
                    .note(format!("artifact bucket {bucket} does not exist"))
                    .map_err(Into::into);
            }
        };
        aws.note(format!(
            "artifact bucket {bucket} is kept{held} (the region's stacks share it; pass --delete-bucket, or DELETE_BUCKET=1 to make, to delete it)"
        ))?;
    }
    Ok(())
}
