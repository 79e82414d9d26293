//! The CloudFormation side: deploying a rendered template with a change set, reading a stack's parameters and
//! outputs, updating only the function's code key, and deleting the stack.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use serde::Deserialize;

use stream2neptune_plan::Name;

use super::aws::{Aws, Call};
use super::error::{Error, Result};
use super::events::StackWatch;

/// The parameter that carries the writer function's code key.
pub const FUNCTION_CODE_KEY: &str = Name::FunctionCodeKey.as_str();
/// The stack output naming the artifact bucket.
pub const BUCKET_OUTPUT: &str = "ArtifactBucketName";
/// Folder of the artifact bucket where `aws cloudformation deploy` puts the template (needed above 51,200 bytes).
pub const TEMPLATE_PREFIX: &str = "cloudformation";
/// Capabilities the stack needs: it creates named IAM roles.
pub const CAPABILITIES: &str = "CAPABILITY_NAMED_IAM";

/// What a stack looks like now.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StackInfo {
    /// The stack's status, e.g. `CREATE_COMPLETE` or `REVIEW_IN_PROGRESS`.
    pub status: String,
    /// Parameter values, by name.
    pub parameters: BTreeMap<String, String>,
    /// Outputs, in the stack's order, as (key, value).
    pub outputs: Vec<(String, String)>,
}

impl StackInfo {
    /// An output's value.
    pub fn output(&self, key: &str) -> Option<&str> {
        self.outputs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// The answer to "does the stack exist, and how does it look?".
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    /// It exists.
    Found(StackInfo),
    /// CloudFormation says it does not exist.
    Missing,
    /// A dry run: AWS was not asked.
    Unknown,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DescribedStack {
    #[serde(default)]
    stack_status: String,
    #[serde(default)]
    parameters: Vec<DescribedParameter>,
    #[serde(default)]
    outputs: Vec<DescribedOutput>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DescribedParameter {
    parameter_key: String,
    #[serde(default)]
    parameter_value: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DescribedOutput {
    output_key: String,
    #[serde(default)]
    output_value: String,
}

/// `aws cloudformation describe-stacks` for one stack.
pub fn describe(aws: &mut Aws<'_>, stack: &str, region: &str) -> Result<Lookup> {
    let call = Call::new("cloudformation", "describe-stacks", region)
        .arg("--stack-name", stack)
        .arg("--query", "Stacks[0]");
    match aws.read(&call) {
        Ok(None) => Ok(Lookup::Unknown),
        Ok(Some(value)) => {
            let described: DescribedStack =
                serde_json::from_value(value.clone()).map_err(|err| Error::AwsOutput {
                    command: call.to_string(),
                    detail: err.to_string(),
                    stdout: value.to_string(),
                })?;
            Ok(Lookup::Found(StackInfo {
                status: described.stack_status,
                parameters: described
                    .parameters
                    .into_iter()
                    .map(|p| (p.parameter_key, p.parameter_value))
                    .collect(),
                outputs: described
                    .outputs
                    .into_iter()
                    .map(|o| (o.output_key, o.output_value))
                    .collect(),
            }))
        }
        Err(Error::Aws { stderr, .. }) if super::aws::is_not_found(&stderr) => Ok(Lookup::Missing),
        Err(err) => Err(err),
    }
}

/// One resource of a stack.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct StackResource {
    /// Its name in the template, e.g. `WriterFunction`.
    pub logical_resource_id: String,
    /// Its name or id in its service (a function name, a queue URL, a mapping's UUID).
    #[serde(default)]
    pub physical_resource_id: String,
    /// Its type, e.g. `AWS::Lambda::Function`.
    pub resource_type: String,
    /// Its status, e.g. `CREATE_COMPLETE`.
    #[serde(default)]
    pub resource_status: String,
}

/// Every resource of a stack (`aws cloudformation list-stack-resources`, every page; nothing in a dry run).
pub fn resources(aws: &mut Aws<'_>, stack: &str, region: &str) -> Result<Vec<StackResource>> {
    let call =
        Call::new("cloudformation", "list-stack-resources", region).arg("--stack-name", stack);
    let Some(answer) = aws.read_quietly(&call)? else {
        return Ok(Vec::new());
    };
    let summaries = answer
        .get("StackResourceSummaries")
        .cloned()
        .unwrap_or(serde_json::Value::Array(Vec::new()));
    serde_json::from_value(summaries).map_err(|err| Error::AwsOutput {
        command: call.to_string(),
        detail: err.to_string(),
        stdout: answer.to_string(),
    })
}

/// The physical id of the resource named `logical` in the template, when the stack has it.
pub fn physical_id<'r>(resources: &'r [StackResource], logical: &str) -> Option<&'r str> {
    resources
        .iter()
        .find(|r| r.logical_resource_id == logical && !r.physical_resource_id.is_empty())
        .map(|r| r.physical_resource_id.as_str())
}

/// `Key=Value` overrides from a rendered parameters.json (`[{"ParameterKey": .., "ParameterValue": ..}]`).
pub fn parameter_overrides(path: &Path) -> Result<Vec<String>> {
    #[derive(Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct Entry {
        parameter_key: String,
        parameter_value: String,
    }
    let error = |detail: String| Error::Parameters {
        path: path.to_owned(),
        detail,
    };
    let text = std::fs::read_to_string(path).map_err(|err| error(err.to_string()))?;
    let entries: Vec<Entry> = serde_json::from_str(&text).map_err(|err| error(err.to_string()))?;
    Ok(entries
        .into_iter()
        .map(|e| format!("{}={}", e.parameter_key, e.parameter_value))
        .collect())
}

/// What `aws cloudformation deploy` needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeployRequest<'a> {
    /// The region.
    pub region: &'a str,
    /// The stack name.
    pub stack: &'a str,
    /// The rendered template.
    pub template: &'a Path,
    /// The rendered parameters file.
    pub parameters: &'a Path,
    /// The bucket `deploy` uploads the template to.
    pub bucket: &'a str,
    /// Stack tags as `Key=Value`.
    pub tags: &'a [String],
    /// How often the stack events are read while CloudFormation works.
    pub poll: Duration,
}

/// Creates or updates the stack through a change set and waits for it; an unchanged stack is not an error.
pub fn deploy(aws: &mut Aws<'_>, request: &DeployRequest<'_>) -> Result<()> {
    let call = Call::new("cloudformation", "deploy", request.region)
        .arg("--stack-name", request.stack)
        .arg("--template-file", request.template.display().to_string())
        .arg("--s3-bucket", request.bucket)
        .arg("--s3-prefix", TEMPLATE_PREFIX)
        .arg("--capabilities", CAPABILITIES)
        .word("--no-fail-on-empty-changeset")
        .args(
            "--parameter-overrides",
            parameter_overrides(request.parameters)?,
        )
        .args("--tags", request.tags.iter().cloned());
    aws.note("creates or updates the stack with a change set and waits (a new Neptune cluster takes 15-25 minutes); the AWS CLI's output and the new stack events are printed as they come")?;
    watched(
        aws,
        &call,
        "deploy",
        request.stack,
        request.region,
        request.poll,
    )
}

/// Runs a long CloudFormation command with the stack watched; a failure is explained from the stack events.
fn watched(
    aws: &mut Aws<'_>,
    call: &Call,
    action: &'static str,
    stack: &str,
    region: &str,
    poll: Duration,
) -> Result<()> {
    let mut watch = StackWatch::start(aws, stack, region, poll);
    match aws.run_watched(call, &mut watch) {
        Err(err @ Error::Aws { .. }) => Err(watch.failure(aws, action, err)),
        other => other,
    }
}

/// Points the stack at a new function code key and nothing else: the stack's own template and every other
/// parameter's previous value, then waits for the update.
pub fn update_function_code_key(
    aws: &mut Aws<'_>,
    stack: &str,
    region: &str,
    parameter_names: &[String],
    key: &str,
    poll: Duration,
) -> Result<()> {
    let parameters = parameter_names.iter().map(|name| {
        if name == FUNCTION_CODE_KEY {
            format!("ParameterKey={name},ParameterValue={key}")
        } else {
            format!("ParameterKey={name},UsePreviousValue=true")
        }
    });
    aws.run(
        &Call::new("cloudformation", "update-stack", region)
            .arg("--stack-name", stack)
            .word("--use-previous-template")
            .arg("--capabilities", CAPABILITIES)
            .args("--parameters", parameters),
    )?;
    watched(
        aws,
        &Call::new("cloudformation", "wait", region)
            .word("stack-update-complete")
            .arg("--stack-name", stack),
        "update",
        stack,
        region,
        poll,
    )
}

/// Prints the stack's outputs as `Key = Value` lines (nothing in a dry run, which only shows the command).
pub fn print_outputs(aws: &mut Aws<'_>, stack: &str, region: &str) -> Result<()> {
    aws.note(format!("outputs of stack {stack} in {region}"))?;
    if let Lookup::Found(info) = describe(aws, stack, region)? {
        for (key, value) in &info.outputs {
            aws.say(format!("{key} = {value}"))?;
        }
    }
    Ok(())
}

/// Deletes the stack and waits until it is gone.
pub fn delete(aws: &mut Aws<'_>, stack: &str, region: &str, poll: Duration) -> Result<()> {
    let mut watch = StackWatch::start(aws, stack, region, poll);
    aws.run(&Call::new("cloudformation", "delete-stack", region).arg("--stack-name", stack))?;
    aws.note("waits until every resource is deleted (the Neptune cluster takes several minutes); the new stack events are printed as they come")?;
    let wait = Call::new("cloudformation", "wait", region)
        .word("stack-delete-complete")
        .arg("--stack-name", stack);
    match aws.run_watched(&wait, &mut watch) {
        Err(err @ Error::Aws { .. }) => Err(watch.failure(aws, "delete", err)),
        other => other,
    }
}
