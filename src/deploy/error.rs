//! Typed errors of the deploy commands. Each message says what to do next.

use std::path::PathBuf;

/// Errors of `deploy`, `function-deploy` and `destroy`.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The AWS CLI is neither in the workspace's .venv nor on PATH.
    #[error(
        "the AWS CLI (`aws`) was not found in .venv/bin nor on PATH: install it (https://docs.aws.amazon.com/cli/latest/userguide/getting-started-install.html) or run `make tools`"
    )]
    AwsCliMissing,
    /// `aws sts get-caller-identity` failed: no usable credentials.
    #[error(
        "no usable AWS credentials (`aws sts get-caller-identity` failed: {detail}); run `aws configure` or `aws sso login`, set AWS_PROFILE, or export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
    )]
    NoCredentials {
        /// What the CLI said.
        detail: String,
    },
    /// `--tag` arguments that CloudFormation would refuse.
    #[error("--tag: {}", match .0.as_slice() {
        [one] => one.clone(),
        many => format!("{} problems:\n  - {}", many.len(), many.join("\n  - ")),
    })]
    BadTags(Vec<String>),
    /// A region the generator does not know.
    #[error("{0}")]
    UnknownRegion(stream2neptune_plan::Problem),
    /// An AWS CLI command failed.
    #[error("`{command}` failed ({status}): {stderr}")]
    Aws {
        /// The command line.
        command: String,
        /// Its exit status.
        status: String,
        /// What it printed on stderr.
        stderr: String,
    },
    /// CloudFormation could not deploy, update or delete the stack.
    #[error("{0}")]
    StackFailed(Box<StackFailure>),
    /// An AWS CLI command printed something that is not the JSON asked for.
    #[error("`{command}` printed unexpected output ({detail}): {stdout}")]
    AwsOutput {
        /// The command line.
        command: String,
        /// What was wrong.
        detail: String,
        /// What it printed.
        stdout: String,
    },
    /// The AWS CLI could not be started.
    #[error("cannot start `{command}`")]
    Spawn {
        /// The command line.
        command: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A signal (Ctrl-C, SIGTERM, SIGHUP) stopped the command; CloudFormation goes on with what it was doing.
    #[error(
        "stopped by {signal} while running `{command}`: a stack operation already started goes on in CloudFormation; run the same command again to follow it to its end"
    )]
    Stopped {
        /// The signal.
        signal: stream2neptune_process::shutdown::Signal,
        /// The AWS CLI command that was running or next.
        command: String,
    },
    /// `deploy --plan` could not create its change set.
    #[error(
        "stack {stack} in {region}: the plan's change set could not be created (status {status}): {reason}; fix the cause and run the plan again"
    )]
    ChangeSetFailed {
        /// The stack name.
        stack: String,
        /// The region.
        region: String,
        /// The change set's status.
        status: String,
        /// CloudFormation's reason.
        reason: String,
    },
    /// `deploy --plan` could not delete what it created.
    #[error(
        "the plan could not delete the {what} ({detail}): nothing was executed; remove it with {commands}"
    )]
    PlanLeftBehind {
        /// What is left.
        what: String,
        /// The commands that remove it.
        commands: String,
        /// Why the delete failed.
        detail: String,
    },
    /// A signal stopped `deploy --plan`; its clean-up ran.
    #[error("stopped by {signal}: nothing was executed; {cleaned}")]
    PlanStopped {
        /// The signal.
        signal: stream2neptune_process::shutdown::Signal,
        /// What was cleaned up, or what is left and how to remove it.
        cleaned: String,
    },
    /// `logs --since` is not a duration this command reads.
    #[error(
        "`{0}` is not a duration: expected a whole number above 0 and a unit, s (seconds), m (minutes), h (hours) or d (days), e.g. 30s, 10m, 2h, 1d"
    )]
    BadSince(String),
    /// `function-deploy` was given `--set`: it changes the function code alone.
    #[error(
        "function-deploy changes FunctionCodeKey alone and keeps every other parameter's value, so it takes no --set ({sets}); to change parameters, deploy the stack: `make stack REGION={region} SET=\"{sets}\"` (stream2neptune deploy --set ...)"
    )]
    SetRefused {
        /// The --set arguments given.
        sets: String,
        /// The region.
        region: String,
    },
    /// The stack the command works on does not exist.
    #[error(
        "stack {stack} does not exist in {region}: deploy it first with `make stack REGION={region}` (or name a deployed one with --stack-name)"
    )]
    NoStack {
        /// The stack name.
        stack: String,
        /// The region.
        region: String,
    },
    /// The bucket exists but is not ours to use.
    #[error(
        "artifact bucket {bucket} exists but this account cannot use it ({detail}); set ArtifactBucket to a bucket you own (stack.yaml or --set ArtifactBucket=NAME)"
    )]
    BucketNotUsable {
        /// The bucket name.
        bucket: String,
        /// What S3 said.
        detail: String,
    },
    /// function-deploy found no artifact bucket where the stack reads its code.
    #[error(
        "artifact bucket {bucket} of stack {stack} in {region} does not exist; deploy the whole stack again (make stack REGION={region} STACK_NAME={stack}), which creates it"
    )]
    BucketMissing {
        /// The bucket name.
        bucket: String,
        /// The stack.
        stack: String,
        /// The region.
        region: String,
    },
    /// The stack's FunctionArchitecture is not one the packager knows.
    #[error("stack {stack} has FunctionArchitecture = `{value}`; allowed is x86_64 or arm64")]
    BadArchitecture {
        /// The stack name.
        stack: String,
        /// The value found.
        value: String,
    },
    /// No two Availability Zones of the region offer what the stack places in its subnets.
    #[error(
        "region {region}: no two Availability Zones offer every instance class the stack places in its subnets ({offered}); choose classes offered in two zones (each zone's classes: `aws ec2 describe-instance-type-offerings --location-type availability-zone-id --region {region}`, `aws neptune describe-orderable-db-instance-options --engine neptune --region {region}`) with --set or in stack.yaml, or deploy to another region"
    )]
    NoZones {
        /// The region.
        region: String,
        /// Each checked class and the zones offering it.
        offered: String,
    },
    /// The AZ IDs given in the config do not offer what the stack places there.
    #[error(
        "region {region}: AvailabilityZoneId1/AvailabilityZoneId2 as configured will not do: {missing} (where each class is offered: {offered}); set other AZ IDs, or neither to let deploy choose"
    )]
    ZonesNotOffering {
        /// Each zone and the class it lacks.
        missing: String,
        /// The region.
        region: String,
        /// Each checked class and the zones offering it.
        offered: String,
    },
    /// The config moves a deployed stack's subnets to other zones.
    #[error(
        "stack {stack} in {region} has its subnets in {deployed}; the config sets {given}, which would replace the subnets (their address ranges would clash) and the Neptune instances in them: leave AvailabilityZoneId1 and AvailabilityZoneId2 unset (deploy keeps the stack's), or destroy the stack and deploy it again in the new zones"
    )]
    ZonesOfDeployedStack {
        /// The stack name.
        stack: String,
        /// The region.
        region: String,
        /// The stack's zones, in words.
        deployed: String,
        /// The configured zones, in words.
        given: String,
    },
    /// The rendered parameters file could not be read.
    #[error("cannot read {}: {detail}; render it again with `make render`", path.display())]
    Parameters {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        detail: String,
    },
    /// `--data DIR` has no follows.csv.gz.
    #[error(
        "--data {}: {} does not exist; run `stream2neptune dataset --out {}` first",
        dir.display(),
        path.display(),
        dir.display()
    )]
    DataSetMissing {
        /// The missing edge file.
        path: PathBuf,
        /// The data set folder given.
        dir: PathBuf,
    },
    /// A data set file or folder could not be read.
    #[error("cannot read {path}")]
    DataSetRead {
        /// The file or folder.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A temporary file could not be written.
    #[error("cannot write a temporary file for the AWS CLI")]
    TempFile(#[source] std::io::Error),
    /// Output could not be written.
    #[error("cannot write the command output")]
    Output(#[source] std::io::Error),
    /// Packaging failed.
    #[error(transparent)]
    Package(#[from] crate::package::Error),
    /// The config or rendering failed.
    #[error(transparent)]
    Generator(#[from] crate::error::Error),
}

impl Error {
    /// The signal that stopped the command, when one did (here or in the build it ran).
    pub fn stopped_by(&self) -> Option<stream2neptune_process::shutdown::Signal> {
        match self {
            Error::Stopped { signal, .. } | Error::PlanStopped { signal, .. } => Some(*signal),
            Error::Package(package) => package.stopped_by(),
            _ => None,
        }
    }
}

/// Why CloudFormation could not deploy, update or delete a stack, and what to do next.
#[derive(Debug, thiserror::Error)]
#[error(
    "stack {stack} in {region}: the {action} failed (stack status {status}); {cause}\nnext: {next}"
)]
pub struct StackFailure {
    /// `deploy`, `update` or `delete`.
    pub action: &'static str,
    /// The stack name.
    pub stack: String,
    /// The region.
    pub region: String,
    /// The stack's status after the failure.
    pub status: String,
    /// The failed resources and their reasons, or what the AWS CLI said.
    pub cause: String,
    /// What to do next.
    pub next: String,
}

/// Result alias of the deploy commands.
pub type Result<T, E = Error> = std::result::Result<T, E>;
