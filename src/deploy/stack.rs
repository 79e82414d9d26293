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
/// Folder of the artifact bucket where `aws cloudformation deploy` puts the template (needed above 51,200 bytes).
pub const TEMPLATE_PREFIX: &str = "cloudformation";
/// Capabilities the stack needs: it creates IAM roles and an instance profile, none of them with a name of its own
/// (which would need CAPABILITY_NAMED_IAM; tests/iam.rs checks that no IAM resource is named).
pub const CAPABILITIES: &str = "CAPABILITY_IAM";

/// The stack outputs the deploy commands read (templates/partials/outputs.yaml.j2).
pub mod output {
    /// The artifact bucket's name.
    pub const ARTIFACT_BUCKET: &str = "ArtifactBucketName";
    /// The writer function's name.
    pub const FUNCTION: &str = "FunctionName";
    /// The stream's name.
    pub const STREAM: &str = "StreamName";
    /// The rejected-records queue's URL.
    pub const REJECTED_QUEUE: &str = "RejectedQueueUrl";
    /// The on-failure queue's URL (OnFailureDestination=sqs).
    pub const ON_FAILURE_QUEUE: &str = "OnFailureQueueUrl";
    /// The on-failure bucket's name (OnFailureDestination=s3).
    pub const ON_FAILURE_BUCKET: &str = "OnFailureBucketName";
}

/// The template's logical ids (templates/partials) the deploy commands find resources by.
pub mod logical {
    /// The writer function.
    pub const FUNCTION: &str = "WriterFunction";
    /// The writer's event source mapping on the stream.
    pub const MAPPING: &str = "WriterEventSourceMapping";
    /// The writer's own log group.
    pub const LOG_GROUP: &str = "WriterLogGroup";
    /// The Neptune cluster (absent with UseExistingCluster=true).
    pub const CLUSTER: &str = "NeptuneCluster";
    /// The rejected-records queue (its physical id is its URL).
    pub const REJECTED_QUEUE: &str = "RejectedQueue";
    /// The on-failure queue (OnFailureDestination=sqs).
    pub const ON_FAILURE_QUEUE: &str = "OnFailureQueue";
    /// The on-failure bucket (OnFailureDestination=s3; its physical id is its name).
    pub const ON_FAILURE_BUCKET: &str = "OnFailureBucket";
}

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
            let described: DescribedStack = super::aws::parse_answer(&call, value)?;
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

/// The stack `stack` as it is now; a stack that does not exist (or a dry run, which cannot tell) is
/// [`Error::NoStack`], for the commands that read a deployed stack (`status`, `logs`, `redrive`).
pub fn require(aws: &mut Aws<'_>, stack: &str, region: &str) -> Result<StackInfo> {
    match describe(aws, stack, region)? {
        Lookup::Found(info) => Ok(info),
        Lookup::Missing | Lookup::Unknown => Err(Error::NoStack {
            stack: stack.to_owned(),
            region: region.to_owned(),
        }),
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

/// What deploying one region needs: [`deploy`] runs it, [`super::plan::preview`] (`deploy --plan`) previews it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeployRequest<'a> {
    /// The region.
    pub region: &'a str,
    /// The stack name.
    pub stack: &'a str,
    /// The rendered template.
    pub template: &'a Path,
    /// The rendered parameters file (`[{"ParameterKey", "ParameterValue"}]`, as create-change-set reads it).
    pub parameters: &'a Path,
    /// The artifact bucket the template is uploaded to.
    pub bucket: &'a str,
    /// What the bucket held when the command started (the preview uploads its template unless it is there).
    pub listing: &'a super::bucket::Listing,
    /// Stack tags as `Key=Value`.
    pub tags: &'a [String],
    /// How often the stack events are read while CloudFormation works (or creates the change set).
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

#[cfg(test)]
mod tests {
    use super::*;

    fn templates() -> String {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("templates/partials");
        let mut text = String::new();
        for entry in std::fs::read_dir(dir).unwrap() {
            text.push_str(&std::fs::read_to_string(entry.unwrap().path()).unwrap());
        }
        text
    }

    #[test]
    fn the_names_read_are_the_templates_outputs_and_logical_ids() {
        let outputs = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("templates/partials/outputs.yaml.j2"),
        )
        .unwrap();
        for name in [
            output::ARTIFACT_BUCKET,
            output::FUNCTION,
            output::STREAM,
            output::REJECTED_QUEUE,
            output::ON_FAILURE_QUEUE,
            output::ON_FAILURE_BUCKET,
        ] {
            assert!(
                outputs.contains(&format!("\n  {name}:\n")),
                "no output {name}"
            );
        }
        let templates = templates();
        for id in [
            logical::FUNCTION,
            logical::MAPPING,
            logical::LOG_GROUP,
            logical::CLUSTER,
            logical::REJECTED_QUEUE,
            logical::ON_FAILURE_QUEUE,
            logical::ON_FAILURE_BUCKET,
        ] {
            assert!(
                templates.contains(&format!("\n  {id}:\n")),
                "no resource {id}"
            );
        }
    }
}
