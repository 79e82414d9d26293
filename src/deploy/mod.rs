//! `deploy`, `function-deploy` and `destroy`: plans of AWS CLI commands built in Rust, printed by a dry run or
//! run one by one, each printed first.
//!
//! - `deploy` checks every prerequisite before any work (known regions, the AWS CLI, credentials, cargo-lambda and
//!   the build targets), packages once, then for each region renders with the artifact keys, creates the artifact
//!   bucket if needed, uploads what is missing (with `--data`, the data set too), runs `aws cloudformation
//!   deploy` and prints the stack outputs.
//! - `function-deploy` rebuilds the writer and changes the stack's `FunctionCodeKey` alone, with the stack's own
//!   template and every other parameter's previous value, so CloudFormation stays the single source of truth
//!   (no drift between the stack and the running code, and a later `make stack` does not roll the code back).
//! - `destroy` deletes the stack and keeps the artifact bucket unless asked.

pub mod aws;
pub mod bucket;
pub mod data;
pub mod error;
pub mod events;
pub mod stack;
pub mod tags;

use std::io::Write;
use std::path::{Path, PathBuf};

pub use error::{Error, Result};

use crate::cli::ConfigArgs;
use crate::config::{Layer, StackConfig, parse_sets};
use crate::package::{self, Architecture, Artifact, Part, Request};
use crate::{render, validate};
use aws::{Aws, Call};
use stack::{Lookup, StackInfo};

/// The stack name used when none is given.
pub const DEFAULT_STACK_NAME: &str = "stream2neptune";

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
    #[arg(long, value_name = "SECONDS", default_value_t = events::DEFAULT_POLL_SECONDS, value_parser = clap::value_parser!(u64).range(1..))]
    pub events_every: u64,
}

impl TargetArgs {
    /// The time between two reads of the stack events.
    pub fn poll(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.events_every)
    }
}

/// Flags of `deploy`.
#[derive(Debug, clap::Args)]
pub struct DeployArgs {
    /// The config file and --set overrides.
    #[command(flatten)]
    pub config: ConfigArgs,
    /// Deploy to this region (repeatable) [default: every region listed under `regions:` in the config].
    #[arg(long, value_name = "REGION")]
    pub region: Vec<String>,
    /// Stack name, dry run and workspace.
    #[command(flatten)]
    pub target: TargetArgs,
    /// Output folder: templates are rendered to OUT/<region>/.
    #[arg(long, value_name = "OUT", default_value = "out")]
    pub out: PathBuf,
    /// Folder for the packaged artifacts [default: OUT/artifacts].
    #[arg(long, value_name = "DIR")]
    pub artifacts: Option<PathBuf>,
    /// Folder holding templates/ and dashboards/ [default: the config file's folder].
    #[arg(long, value_name = "DIR")]
    pub templates_dir: Option<PathBuf>,
    /// An extra stack tag KEY=VALUE (repeatable); `project=stream2neptune` is always set. Checked before any
    /// build or upload against CloudFormation's limits: at most 50 tags, keys of 1 to 128 characters not
    /// starting with aws:, values of at most 256, each key once.
    #[arg(long = "tag", value_name = "KEY=VALUE")]
    pub tags: Vec<String>,
    /// A data set folder written by `stream2neptune dataset --out DIR`: DIR/follows.csv.gz and DIR/vertices/*
    /// are uploaded to the artifact bucket's data/ keys of each region whose EdgeFileS3Location /
    /// VertexFileS3Location are empty. Without it nothing is uploaded, and deploy warns when the edge file is not
    /// in S3 (the driver would have nothing to send).
    #[arg(long, value_name = "DIR")]
    pub data: Option<PathBuf>,
}

/// Flags of `function-deploy`.
#[derive(Debug, clap::Args)]
pub struct FunctionDeployArgs {
    /// The config file (a dry run reads the architecture and parameter names from it; a real run reads them
    /// from the stack). --set is refused: only FunctionCodeKey changes, every other value stays the stack's.
    #[command(flatten)]
    pub config: ConfigArgs,
    /// The region of the stack.
    #[arg(long, value_name = "REGION")]
    pub region: String,
    /// Stack name, dry run and workspace.
    #[command(flatten)]
    pub target: TargetArgs,
    /// Folder for the packaged artifacts.
    #[arg(long, value_name = "DIR", default_value = "out/artifacts")]
    pub artifacts: PathBuf,
}

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

/// Fails on a region the generator does not know, suggesting the nearest.
fn check_region(region: &str) -> Result<()> {
    match crate::regions::partition(region) {
        Some(_) => Ok(()),
        None => Err(Error::UnknownRegion(crate::config::unknown_region(
            region, "--region",
        ))),
    }
}

/// Opens the runner after the AWS prerequisites: in a real run the AWS CLI must be found and credentials must
/// work; returns the runner and the account id (a placeholder in a dry run).
fn connect<'o>(
    target: &TargetArgs,
    region: &str,
    out: &'o mut dyn Write,
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
    let program = package::find_tool(&target.workspace, "aws").ok_or(Error::AwsCliMissing)?;
    let mut aws = Aws::execute(program, out);
    aws.note("prerequisites: the AWS CLI and credentials")?;
    let identity = match aws.read(&identity_call(region)) {
        Ok(identity) => identity,
        Err(Error::Aws { stderr, .. }) => return Err(Error::NoCredentials { detail: stderr }),
        Err(err) => return Err(err),
    };
    let account = identity
        .as_ref()
        .and_then(|id| id.get("Account"))
        .and_then(serde_json::Value::as_str)
        .ok_or_else(|| Error::NoCredentials {
            detail: format!(
                "no Account in its answer: {}",
                identity.clone().unwrap_or_default()
            ),
        })?
        .to_owned();
    Ok((aws, account))
}

fn identity_call(region: &str) -> Call {
    Call::new("sts", "get-caller-identity", region)
}

/// A region's plan: its resolved parameters without the artifact keys, which come from packaging.
struct RegionPlan {
    region: String,
    architecture: Architecture,
    artifact_bucket: String,
    edge_file_location: String,
    vertex_file_location: String,
}

/// `deploy`: every prerequisite, then package once, then each region in turn.
pub fn deploy(args: &DeployArgs, out: &mut dyn Write, err: &mut dyn Write) -> anyhow::Result<()> {
    let config = StackConfig::load(&args.config.config)?;
    let sets = parse_sets(&args.config.sets)?;
    let regions = select_regions(&config, &args.region)?;
    for region in &regions {
        check_region(region)?;
    }
    // Resolve every region first: a config error anywhere stops the run before any work.
    let plans = regions
        .iter()
        .map(|region| plan_region(&config, region, &sets))
        .collect::<Result<Vec<_>>>()?;
    let root = args
        .templates_dir
        .clone()
        .unwrap_or_else(|| config_dir(&args.config.config));
    render::check_root(&root)?;
    let tags = tags::parse(&args.tags)?;
    let mut writer_archs: Vec<Architecture> = plans.iter().map(|p| p.architecture).collect();
    writer_archs.sort();
    writer_archs.dedup();
    let artifacts_dir = args
        .artifacts
        .clone()
        .unwrap_or_else(|| args.out.join("artifacts"));
    let request = Request {
        workspace: args.target.workspace.clone(),
        out: artifacts_dir.clone(),
        parts: package::ALL_PARTS.to_vec(),
        writer_archs,
    };
    if !args.target.dry_run {
        request.check(err)?;
    }
    let data = args.data.as_deref().map(data::DataSet::load).transpose()?;
    let (mut aws, account) = connect(&args.target, &regions[0], out)?;
    let artifacts = artifacts_for(&request, &mut aws, err)?;
    let env = render::environment(&root);
    for plan in &plans {
        let region = plan.region.as_str();
        aws.note(format!("region {region}: stack {}", args.target.stack_name))?;
        let region_artifacts: Vec<&Artifact> = artifacts
            .iter()
            .filter(|a| a.part != Part::Writer || a.architecture == Some(plan.architecture))
            .collect();
        let mut region_sets = sets.clone();
        for artifact in &region_artifacts {
            region_sets.insert(artifact.part.parameter(), artifact.key.clone());
        }
        let resolved = validate::resolve(&config, region, &region_sets)?;
        for warning in &resolved.warnings {
            writeln!(err, "warning: {warning}")?;
        }
        let rendered = render::render_region(&env, &resolved)?;
        render::write_region(&args.out, &rendered)?;
        let region_dir = args.out.join(region);
        aws.note(format!(
            "rendered {} with {}",
            region_dir.join(render::STACK_FILE).display(),
            region_artifacts
                .iter()
                .map(|a| a.set_arg())
                .collect::<Vec<_>>()
                .join(" ")
        ))?;
        let bucket = bucket::bucket_name(&plan.artifact_bucket, &account, region);
        bucket::ensure(&mut aws, &bucket, region)?;
        aws.note("artifacts: content-addressed keys, uploaded unless already there")?;
        for artifact in &region_artifacts {
            bucket::upload(&mut aws, artifact, &artifacts_dir, &bucket, region)?;
        }
        let locations = data::Locations {
            edge: &plan.edge_file_location,
            vertex: &plan.vertex_file_location,
        };
        match &data {
            Some(data) => data::upload(&mut aws, data, &locations, &bucket, region)?,
            None => {
                if let Some(warning) = data::check_present(&mut aws, &locations, &bucket, region)? {
                    writeln!(err, "warning: {warning}")?;
                }
            }
        }
        stack::deploy(
            &mut aws,
            &stack::DeployRequest {
                region,
                stack: &args.target.stack_name,
                template: &region_dir.join(render::STACK_FILE),
                parameters: &region_dir.join(render::PARAMETERS_FILE),
                bucket: &bucket,
                tags: &tags,
                poll: args.target.poll(),
            },
        )?;
        stack::print_outputs(&mut aws, &args.target.stack_name, region)?;
    }
    Ok(())
}

/// The artifacts of `request`: packaged (built unless reusable) in a real run; in a dry run, which builds
/// nothing, those of the manifest built from the current sources, the others marked as built at deploy time.
fn artifacts_for(
    request: &Request,
    aws: &mut Aws<'_>,
    log: &mut dyn Write,
) -> Result<Vec<Artifact>> {
    if !aws.is_dry_run() {
        return Ok(package::package(request, log)?);
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
            arch.rust_target()
        ))?;
    }
    Ok(planned.iter().map(package::Planned::artifact).collect())
}

fn plan_region(config: &StackConfig, region: &str, sets: &Layer) -> Result<RegionPlan> {
    let resolved = validate::resolve(config, region, sets)?;
    let text = |name: &str| {
        resolved
            .get(name)
            .map(|p| p.value.to_string())
            .unwrap_or_default()
    };
    let architecture =
        Architecture::parse(&text("FunctionArchitecture")).unwrap_or(Architecture::X86_64);
    Ok(RegionPlan {
        region: region.to_owned(),
        architecture,
        artifact_bucket: text("ArtifactBucket"),
        edge_file_location: text("EdgeFileS3Location"),
        vertex_file_location: text("VertexFileS3Location"),
    })
}

fn select_regions(config: &StackConfig, asked: &[String]) -> anyhow::Result<Vec<String>> {
    if !asked.is_empty() {
        return Ok(asked.to_vec());
    }
    anyhow::ensure!(
        !config.regions.is_empty(),
        "{} lists no regions under `regions:`; add one or pass --region REGION",
        config.path.display()
    );
    Ok(config.regions.keys().cloned().collect())
}

fn config_dir(config: &Path) -> PathBuf {
    match config.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_owned(),
        _ => PathBuf::from("."),
    }
}

/// `function-deploy`: rebuild the writer for the stack's architecture, upload it, and point the stack's
/// `FunctionCodeKey` at it with everything else unchanged.
pub fn function_deploy(
    args: &FunctionDeployArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> anyhow::Result<()> {
    if !args.config.sets.is_empty() {
        return Err(Error::SetRefused {
            sets: args.config.sets.join(" "),
            region: args.region.clone(),
        }
        .into());
    }
    let region = args.region.as_str();
    check_region(region)?;
    let stack_name = args.target.stack_name.as_str();
    // The local config stands in for the stack in a dry run (and checks the config is sound).
    let config = StackConfig::load(&args.config.config)?;
    let sets = parse_sets(&args.config.sets)?;
    let local = validate::resolve(&config, region, &sets)?;
    // cargo-lambda must be there before anything is asked of AWS.
    package::Builder::find(&args.target.workspace).map_err(Error::from)?;
    let (mut aws, account) = connect(&args.target, region, out)?;
    aws.note(format!(
        "stack {stack_name} in {region}: its parameters, outputs and current function code key"
    ))?;
    let current = match stack::describe(&mut aws, stack_name, region)? {
        Lookup::Found(info) => Some(info),
        Lookup::Missing => {
            return Err(Error::NoStack {
                stack: stack_name.to_owned(),
                region: region.to_owned(),
            }
            .into());
        }
        Lookup::Unknown => None,
    };
    let (architecture, parameter_names, bucket, current_key) = match &current {
        Some(info) => stack_facts(info, stack_name, &account, region)?,
        None => {
            let text = |name: &str| {
                local
                    .get(name)
                    .map(|p| p.value.to_string())
                    .unwrap_or_default()
            };
            (
                Architecture::parse(&text("FunctionArchitecture")).unwrap_or(Architecture::X86_64),
                local.in_scope().map(|p| p.param.name.to_owned()).collect(),
                bucket::bucket_name(&text("ArtifactBucket"), &account, region),
                None,
            )
        }
    };
    let request = Request {
        workspace: args.target.workspace.clone(),
        out: args.artifacts.clone(),
        parts: vec![Part::Writer],
        writer_archs: vec![architecture],
    };
    let artifact = artifacts_for(&request, &mut aws, err)?
        .into_iter()
        .next()
        .expect("a writer request packages one artifact");
    if current_key.as_deref() == Some(artifact.key.as_str()) {
        aws.note(format!(
            "the function code is unchanged ({}={}): nothing to update",
            stack::FUNCTION_CODE_KEY,
            artifact.key
        ))?;
        return Ok(());
    }
    aws.note(format!("upload the new writer to bucket {bucket}"))?;
    bucket::upload(&mut aws, &artifact, &args.artifacts, &bucket, region)?;
    aws.note(format!(
        "update {} alone: the stack's own template, every other parameter's previous value",
        stack::FUNCTION_CODE_KEY
    ))?;
    stack::update_function_code_key(
        &mut aws,
        stack_name,
        region,
        &parameter_names,
        &artifact.key,
        args.target.poll(),
    )?;
    stack::print_outputs(&mut aws, stack_name, region)?;
    Ok(())
}

/// What function-deploy reads from a live stack: architecture, parameter names, bucket and current code key.
fn stack_facts(
    info: &StackInfo,
    stack_name: &str,
    account: &str,
    region: &str,
) -> Result<(Architecture, Vec<String>, String, Option<String>)> {
    let arch_value = info
        .parameters
        .get("FunctionArchitecture")
        .cloned()
        .unwrap_or_else(|| Architecture::X86_64.as_str().to_owned());
    let architecture = Architecture::parse(&arch_value).ok_or_else(|| Error::BadArchitecture {
        stack: stack_name.to_owned(),
        value: arch_value.clone(),
    })?;
    let bucket = match info.output(stack::BUCKET_OUTPUT) {
        Some(bucket) => bucket.to_owned(),
        None => bucket::bucket_name(
            info.parameters
                .get("ArtifactBucket")
                .map_or("", String::as_str),
            account,
            region,
        ),
    };
    Ok((
        architecture,
        info.parameters.keys().cloned().collect(),
        bucket,
        info.parameters.get(stack::FUNCTION_CODE_KEY).cloned(),
    ))
}

/// `destroy`: delete the stack and wait; the artifact bucket stays unless `--delete-bucket`.
pub fn destroy(args: &DestroyArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let region = args.region.as_str();
    check_region(region)?;
    let stack_name = args.target.stack_name.as_str();
    let (mut aws, account) = connect(&args.target, region, out)?;
    aws.note(format!("stack {stack_name} in {region}"))?;
    let bucket = match stack::describe(&mut aws, stack_name, region)? {
        Lookup::Found(info) => {
            let bucket = info.output(stack::BUCKET_OUTPUT).map(str::to_owned);
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
