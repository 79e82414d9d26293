//! `function-deploy`: rebuild the writer for the stack's architecture, upload it, and change the stack's
//! `FunctionCodeKey` alone, with the stack's own template and every other parameter's previous value.

use std::io::Write;
use std::path::PathBuf;

use stream2neptune_plan::{Name, resolve};
use stream2neptune_process::shutdown::Shutdown;

use super::stack::{Lookup, StackInfo};
use super::{Error, Result, TargetArgs, artifacts_for, bucket, check_region, connect, stack};
use crate::config_args::ConfigArgs;
use crate::package::{self, Architecture, Part, Request};

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

/// `function-deploy`: rebuild the writer for the stack's architecture, upload it, and point the stack's
/// `FunctionCodeKey` at it with everything else unchanged.
pub fn run(
    args: &FunctionDeployArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
    shutdown: &Shutdown,
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
    let (config, sets) = args.config.load()?;
    let local = resolve(&config, region, &sets)?;
    // cargo-lambda must be there before anything is asked of AWS.
    package::Builder::find(&args.target.workspace).map_err(Error::from)?;
    let (mut aws, account) = connect(&args.target, region, out, shutdown)?;
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
        None => (
            local.function_architecture(),
            local.in_scope().map(|p| p.param.name.to_string()).collect(),
            bucket::bucket_name(local.artifact_bucket(), &account, region),
            None,
        ),
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
    let listing = bucket::list(&mut aws, &bucket, region)?.ok_or_else(|| Error::BucketMissing {
        bucket: bucket.clone(),
        stack: stack_name.to_owned(),
        region: region.to_owned(),
    })?;
    bucket::upload(
        &mut aws,
        &listing,
        &artifact,
        &args.artifacts,
        &bucket,
        region,
    )?;
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
        .get(Name::FunctionArchitecture.as_str())
        .cloned()
        .unwrap_or_else(|| Architecture::X86_64.as_str().to_owned());
    let architecture = Architecture::parse(&arch_value).ok_or_else(|| Error::BadArchitecture {
        stack: stack_name.to_owned(),
        value: arch_value.clone(),
    })?;
    let bucket = match info.output(stack::output::ARTIFACT_BUCKET) {
        Some(bucket) => bucket.to_owned(),
        None => bucket::bucket_name(
            info.parameters
                .get(Name::ArtifactBucket.as_str())
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
