//! `deploy`: every prerequisite, then one plan per region (a repeated `--region` once), package once, then
//! each region in turn: the Availability Zones (a new cluster's), render with the artifact keys and zones, bucket,
//! uploads, `aws cloudformation deploy`, outputs.
//! With `--plan`, the last step is [`super::plan`]'s change set preview instead.

use std::io::Write;
use std::path::PathBuf;

use stream2neptune_plan::{Plan, resolve};
use stream2neptune_process::shutdown::Shutdown;

use super::{
    TargetArgs, artifacts_for, bucket, check_region, connect, data, plan, stack, tags, zones,
};
use crate::config_args::{ConfigArgs, print_warnings};
use crate::package::{self, Architecture, Artifact, Part, Request};
use crate::render;

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
    /// Preview instead of deploying: render, package and upload as a deploy does, then per region create a
    /// change set (UPDATE when the stack exists, CREATE otherwise), print the resources it would add, modify
    /// (saying whether they are replaced) and remove, and delete it (with the REVIEW_IN_PROGRESS stack a CREATE
    /// leaves). Nothing is executed.
    #[arg(long)]
    pub plan: bool,
}

/// `deploy`: every prerequisite, then package once, then each region in turn.
pub fn run(
    args: &DeployArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
    shutdown: &Shutdown,
) -> anyhow::Result<()> {
    let (config, sets) = args.config.load()?;
    let regions = config.select_regions(&args.region)?;
    for region in &regions {
        check_region(region)?;
    }
    // Resolve every region once, first: a config error anywhere stops the run before any work.
    let mut plans = regions
        .iter()
        .map(|region| resolve(&config, region, &sets))
        .collect::<std::result::Result<Vec<Plan>, _>>()?;
    let root = args.config.templates_root(args.templates_dir.as_deref());
    render::check_root(&root)?;
    let tags = tags::parse(&args.tags)?;
    let mut writer_archs: Vec<Architecture> =
        plans.iter().map(Plan::function_architecture).collect();
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
        request.check(err, shutdown)?;
    }
    let data = args.data.as_deref().map(data::DataSet::load).transpose()?;
    let (mut aws, account) = connect(&args.target, &regions[0], out, shutdown)?;
    let artifacts = artifacts_for(&request, &mut aws, err)?;
    let env = render::environment(&root);
    for plan in &mut plans {
        deploy_region(
            args,
            plan,
            Shared {
                artifacts: &artifacts,
                artifacts_dir: &artifacts_dir,
                data: data.as_ref(),
                env: &env,
                tags: &tags,
                account: &account,
            },
            &mut aws,
            err,
        )?;
    }
    Ok(())
}

/// What every region's deployment uses.
struct Shared<'a> {
    artifacts: &'a [Artifact],
    artifacts_dir: &'a std::path::Path,
    data: Option<&'a data::DataSet>,
    env: &'a minijinja::Environment<'static>,
    tags: &'a [String],
    account: &'a str,
}

/// One region: its plan with the artifact keys, rendered, its bucket and uploads, the stack and its outputs.
fn deploy_region(
    args: &DeployArgs,
    plan: &mut Plan,
    shared: Shared<'_>,
    aws: &mut super::aws::Aws<'_>,
    err: &mut dyn Write,
) -> anyhow::Result<()> {
    let region = plan.region.clone();
    let region = region.as_str();
    aws.note(format!("region {region}: stack {}", args.target.stack_name))?;
    let architecture = plan.function_architecture();
    let region_artifacts: Vec<&Artifact> = shared
        .artifacts
        .iter()
        .filter(|a| a.part != Part::Writer || a.architecture == Some(architecture))
        .collect();
    for artifact in &region_artifacts {
        plan.set_artifact_key(artifact.part.parameter(), &artifact.key)?;
    }
    if !plan.mode.existing_cluster {
        zones::place(aws, plan, &args.target.stack_name)?;
    }
    print_warnings(plan, err)?;
    let rendered = render::render_region(shared.env, plan)?;
    render::write_region(&args.out, &rendered)?;
    let region_dir = args.out.join(region);
    aws.note(format!(
        "rendered {} with {}",
        region_dir.join(render::TEMPLATE_FILE).display(),
        region_artifacts
            .iter()
            .map(|a| a.set_arg())
            .collect::<Vec<_>>()
            .join(" ")
    ))?;
    let bucket = bucket::bucket_name(plan.artifact_bucket(), shared.account, region);
    let listing = bucket::ensure(aws, &bucket, region)?;
    aws.note("artifacts: content-addressed keys, uploaded unless already there")?;
    for artifact in &region_artifacts {
        bucket::upload(
            aws,
            &listing,
            artifact,
            shared.artifacts_dir,
            &bucket,
            region,
        )?;
    }
    let locations = data::Locations {
        edge: plan.edge_file_s3_location(),
        vertex: plan.vertex_file_s3_location(),
    };
    match shared.data {
        Some(data) => data::upload(aws, &listing, data, &locations, &bucket, region)?,
        None => {
            if let Some(warning) = data::check_present(aws, &listing, &locations, &bucket, region)?
            {
                writeln!(err, "warning: {warning}")?;
            }
        }
    }
    let request = stack::DeployRequest {
        region,
        stack: &args.target.stack_name,
        template: &region_dir.join(render::TEMPLATE_FILE),
        parameters: &region_dir.join(render::PARAMETERS_FILE),
        bucket: &bucket,
        listing: &listing,
        tags: shared.tags,
        poll: args.target.poll(),
    };
    if args.plan {
        return Ok(plan::preview(aws, &request)?);
    }
    stack::deploy(aws, &request)?;
    stack::print_outputs(aws, &args.target.stack_name, region)?;
    Ok(())
}
