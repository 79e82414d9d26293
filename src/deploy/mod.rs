//! `deploy` (and its `--plan` preview), `function-deploy`, `destroy`, `status` and `logs`: plans of AWS CLI commands built in Rust, printed by a dry run or
//! run one by one, each printed first. Each command is in its own module with its flags; this module holds what
//! they share: the target flags, the region check, the connection to AWS and the artifacts.
//!
//! - [`command`] (`deploy`) checks every prerequisite before any work (known regions, the AWS CLI, credentials,
//!   cargo-lambda and the build targets), packages once, then for each region renders with the artifact keys,
//!   creates the artifact bucket if needed, uploads what is missing (with `--data`, the data set too), runs `aws
//!   cloudformation deploy` and prints the stack outputs.
//! - [`function_deploy`] rebuilds the writer and changes the stack's `FunctionCodeKey` alone, with the stack's own
//!   template and every other parameter's previous value, so CloudFormation stays the single source of truth
//!   (no drift between the stack and the running code, and a later `make stack` does not roll the code back).
//! - [`destroy`] deletes the stack, lists what it leaves behind ([`leftovers`], priced by [`prices`]) and removes
//!   that, and the artifact bucket, only when asked.
//! - [`plan`] (`deploy --plan`) creates a change set per region, prints what it would add, modify and remove,
//!   and deletes it: nothing is executed.
//! - [`status`] shows a deployed stack on one screen: its outputs, the mapping, iterator age, both queues and
//!   the Neptune cluster; [`logs`] prints (and follows) the writer's log readably.
//! - [`zones`] picks a new stack's two Availability Zones among those offering its instance classes.
//! - [`redrive`] replays the batches the event source mapping sent to the stack's on-failure destination.

pub mod aws;
pub mod bucket;
pub mod command;
pub mod data;
pub mod destroy;
pub mod error;
pub mod events;
pub mod function_deploy;
pub mod leftovers;
pub mod logs;
pub mod plan;
pub mod prices;
pub mod redrive;
pub mod stack;
pub mod status;
pub mod tags;
pub mod zones;

use std::io::Write;
use std::path::PathBuf;

pub use error::{Error, Result};

use crate::package::{self, Artifact, Part, Request, rust_target};
use aws::{Aws, Call};
use stream2neptune_process::shutdown::Shutdown;
use stream2neptune_process::tools::find_tool;

/// The stack name used when none is given.
pub const DEFAULT_STACK_NAME: &str = "stream2neptune";

/// How often the stack events are read by default while CloudFormation works (each read is one
/// `describe-stack-events` call; CloudFormation's own console refreshes about as often).
pub const DEFAULT_POLL_SECONDS: u64 = 10;

/// Flags shared by the three commands.
#[derive(Debug, clap::Args)]
pub struct TargetArgs {
    /// The CloudFormation stack name (the same name in every region).
    #[arg(long, value_name = "NAME", default_value = DEFAULT_STACK_NAME)]
    pub stack_name: String,
    /// Print every AWS command with its arguments and run none; nothing is built (artifact keys come from the
    /// manifest when their sources are unchanged, else they are marked as built at deploy time).
    #[arg(long)]
    pub dry_run: bool,
    /// The workspace root: holds Cargo.toml, notebooks/ and .venv/ (where `aws` and cargo-lambda are looked for
    /// first).
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub workspace: PathBuf,
    /// How often the stack events are read (and new ones printed) while CloudFormation works.
    #[arg(long, value_name = "SECONDS", default_value_t = DEFAULT_POLL_SECONDS, value_parser = clap::value_parser!(u64).range(1..))]
    pub events_every: u64,
}

/// Flags of the commands that look at a deployed stack (`status`, `logs`, `redrive`).
#[derive(Debug, clap::Args)]
pub struct StackArgs {
    /// The CloudFormation stack name (as given to `deploy`).
    #[arg(long, value_name = "NAME", default_value = DEFAULT_STACK_NAME)]
    pub stack_name: String,
    /// The workspace root, where `aws` is looked for first (in .venv/bin).
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub workspace: PathBuf,
}

impl TargetArgs {
    /// The time between two reads of the stack events.
    pub fn poll(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.events_every)
    }
}

/// Fails on a region the generator does not know, suggesting the nearest.
fn check_region(region: &str) -> Result<()> {
    match stream2neptune_plan::regions::partition(region) {
        Some(_) => Ok(()),
        None => Err(Error::UnknownRegion(
            stream2neptune_plan::config::unknown_region(region, "--region"),
        )),
    }
}

/// Opens the runner after the AWS prerequisites: in a real run the AWS CLI must be found and credentials must
/// work; returns the runner and the account id (a placeholder in a dry run).
fn connect<'o>(
    target: &TargetArgs,
    region: &str,
    out: &'o mut dyn Write,
    shutdown: &Shutdown,
) -> Result<(Aws<'o>, String)> {
    if target.dry_run {
        let mut aws = Aws::dry_run(out);
        aws.note("dry run: every AWS command is printed, none is run")?;
        aws.note(
            "prerequisites: the AWS CLI and credentials (the account id is shown as <account-id>)",
        )?;
        aws.read(&identity_call(region))?;
        return Ok((aws, bucket::ACCOUNT_PLACEHOLDER.to_owned()));
    }
    let program = find_tool(&target.workspace, "aws").ok_or(Error::AwsCliMissing)?;
    let mut aws = Aws::execute(program, out, shutdown.clone());
    aws.note("prerequisites: the AWS CLI and credentials")?;
    let identity = aws.read(&identity_call(region));
    let account = account_of(identity)?;
    Ok((aws, account))
}

/// Opens a runner that prints nothing of its own (for `status` and `logs`, which print what they read): the AWS
/// CLI must be found and credentials must work.
fn connect_quietly<'o>(
    stack: &StackArgs,
    region: &str,
    sink: &'o mut dyn Write,
    shutdown: &Shutdown,
) -> Result<Aws<'o>> {
    let program = find_tool(&stack.workspace, "aws").ok_or(Error::AwsCliMissing)?;
    let mut aws = Aws::execute(program, sink, shutdown.clone());
    let identity = aws.read_quietly(&identity_call(region));
    account_of(identity)?;
    Ok(aws)
}

/// The account id in the answer of `aws sts get-caller-identity`, or why credentials do not work.
fn account_of(identity: Result<Option<serde_json::Value>>) -> Result<String> {
    let identity = match identity {
        Ok(identity) => identity,
        Err(Error::Aws { stderr, .. }) => return Err(Error::NoCredentials { detail: stderr }),
        Err(err) => return Err(err),
    };
    Ok(identity
        .as_ref()
        .and_then(|id| id.get("Account"))
        .and_then(serde_json::Value::as_str)
        .ok_or_else(|| Error::NoCredentials {
            detail: format!(
                "no Account in its answer: {}",
                identity.clone().unwrap_or_default()
            ),
        })?
        .to_owned())
}

fn identity_call(region: &str) -> Call {
    Call::new("sts", "get-caller-identity", region)
}

/// The artifacts of `request`: packaged (built unless reusable) in a real run; in a dry run, which builds
/// nothing, those of the manifest built from the current sources, the others marked as built at deploy time.
fn artifacts_for(
    request: &Request,
    aws: &mut Aws<'_>,
    log: &mut dyn Write,
) -> Result<Vec<Artifact>> {
    if !aws.is_dry_run() {
        return Ok(package::package(request, log, aws.shutdown())?);
    }
    let planned = package::plan(request, log)?;
    let manifest = request.out.join(package::manifest::MANIFEST_FILE);
    let builder = package::Builder::find(&request.workspace).ok();
    let mut missing_targets = Vec::new();
    for item in &planned {
        let artifact = item.artifact();
        let arch = artifact
            .architecture
            .map(|a| format!(" ({a})"))
            .unwrap_or_default();
        match item {
            package::Planned::Ready(_) if artifact.part == Part::Notebooks => aws.note(format!(
                "{}: {} (packaged now: copied, not built)",
                artifact.part, artifact.key
            ))?,
            package::Planned::Ready(_) => aws.note(format!(
                "{}{arch}: {} from {} (its sources and build settings are unchanged)",
                artifact.part,
                artifact.key,
                manifest.display()
            ))?,
            package::Planned::Pending { architecture, .. } => {
                aws.note(format!(
                    "{}{arch}: built at deploy time with cargo-lambda (not packaged yet, or its sources changed); its key is shown as {}",
                    artifact.part, artifact.key
                ))?;
                if let Some(builder) = &builder
                    && builder.check_target(*architecture).is_err()
                    && !missing_targets.contains(architecture)
                {
                    missing_targets.push(*architecture);
                }
            }
        }
    }
    let pending = planned
        .iter()
        .any(|item| matches!(item, package::Planned::Pending { .. }));
    if pending && builder.is_none() {
        aws.note(
            "cargo-lambda is not installed: a real run stops here; run `make tools` (it installs cargo-lambda into .venv/bin)",
        )?;
    }
    for arch in missing_targets {
        aws.note(format!(
            "the Rust target for {arch} is not installed: a real run first runs `rustup target add {}`",
            rust_target(arch)
        ))?;
    }
    Ok(planned.iter().map(package::Planned::artifact).collect())
}
