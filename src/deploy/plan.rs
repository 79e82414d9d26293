//! `deploy --plan`: what a deploy would change in a region, from a CloudFormation change set that is read and
//! deleted, never executed.
//!
//! The template is uploaded to the artifact bucket (content-addressed, as `deploy` does: a change set reads it
//! from S3), then `create-change-set` (UPDATE when the stack exists, CREATE otherwise), `wait
//! change-set-create-complete`, `describe-change-set` (the CLI follows its pages), and the resources it would add,
//! modify (with or without replacement) and remove are printed. The change set is then deleted, and for a CREATE
//! so is the REVIEW_IN_PROGRESS stack CloudFormation made to hold it. A change set with no changes fails with a
//! "didn't contain changes" reason: that is reported as "no changes". A signal stops the plan after the clean-up,
//! which runs even then; what could not be cleaned up is named with the command that removes it.

use serde::Deserialize;
use sha2::{Digest as _, Sha256};

use super::aws::{Aws, Call};
use super::error::{Error, Result};
use super::events::StackWatch;
use super::stack::{self, CAPABILITIES, DeployRequest, Lookup, TEMPLATE_PREFIX};

/// The status CloudFormation gives a stack made to hold a CREATE change set.
pub const REVIEW_IN_PROGRESS: &str = "REVIEW_IN_PROGRESS";
/// How long the presigned template URL the change set reads stays valid.
const TEMPLATE_URL_SECONDS: u64 = 3600;

/// A change set's type: it updates a stack, or creates one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeSetType {
    /// The stack exists.
    Update,
    /// The stack does not exist (or only as an earlier plan's REVIEW_IN_PROGRESS stack).
    Create,
}

impl ChangeSetType {
    fn as_str(self) -> &'static str {
        match self {
            ChangeSetType::Update => "UPDATE",
            ChangeSetType::Create => "CREATE",
        }
    }
}

/// One resource change of a change set, as `describe-change-set` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ResourceChange {
    /// `Add`, `Modify`, `Remove` (or `Import`, `Dynamic`).
    pub action: String,
    /// The resource's name in the template.
    pub logical_resource_id: String,
    /// Its type.
    #[serde(default)]
    pub resource_type: String,
    /// For a modification: `True`, `False` or `Conditional`.
    #[serde(default)]
    pub replacement: Option<String>,
    /// What of it changes (`Properties`, `Tags`, ...).
    #[serde(default)]
    pub scope: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Change {
    resource_change: Option<ResourceChange>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DescribedChangeSet {
    #[serde(default)]
    status: String,
    #[serde(default)]
    status_reason: Option<String>,
    #[serde(default)]
    changes: Vec<Change>,
}

/// The plan of one region: prints what a deploy of `request` would change, and leaves nothing behind.
pub fn preview(aws: &mut Aws<'_>, request: &DeployRequest<'_>) -> Result<()> {
    let (region, stack_name) = (request.region, request.stack);
    let kind = match stack::describe(aws, stack_name, region)? {
        Lookup::Found(info) if info.status != REVIEW_IN_PROGRESS => ChangeSetType::Update,
        Lookup::Found(_) | Lookup::Missing => ChangeSetType::Create,
        Lookup::Unknown => {
            aws.note(
                "the change set type is UPDATE when the stack exists, CREATE otherwise (shown: UPDATE)",
            )?;
            ChangeSetType::Update
        }
    };
    let name = change_set_name();
    aws.note(format!(
        "plan: change set {name} ({}) of stack {stack_name}, read and then deleted; nothing is executed",
        kind.as_str()
    ))?;
    let url = upload_template(aws, request)?;
    let outcome = create_and_read(aws, request, kind, &name, &url);
    let cleanup = clean_up(aws, request, kind, &name);
    match (outcome, cleanup) {
        (Err(err), Ok(cleaned)) if err.stopped_by().is_some() => Err(Error::PlanStopped {
            signal: err.stopped_by().expect("checked above"),
            cleaned,
        }),
        (Err(err), Err(left)) if err.stopped_by().is_some() => Err(Error::PlanStopped {
            signal: err.stopped_by().expect("checked above"),
            cleaned: left.to_string(),
        }),
        (Err(err), _) => Err(err),
        (Ok(_), Err(left)) => Err(left),
        (Ok(Read::DryRun), Ok(_)) => aws.note(format!(
            "plan {region}: the resources the change set would add, modify and remove are printed here"
        )),
        (Ok(Read::NoChanges), Ok(_)) => {
            for line in describe_changes(region, stack_name, kind, None) {
                aws.say(line)?;
            }
            Ok(())
        }
        (Ok(Read::Changes(changes)), Ok(_)) => {
            for line in describe_changes(region, stack_name, kind, Some(&changes)) {
                aws.say(line)?;
            }
            Ok(())
        }
    }
}

/// A change set name of its own for each run: `stream2neptune-plan-<unix seconds>`.
fn change_set_name() -> String {
    let seconds = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default();
    format!("stream2neptune-plan-{seconds}")
}

/// Uploads the template under `cloudformation/<sha256>.yaml` unless it is there, and returns a presigned URL
/// CloudFormation reads it from (a placeholder in a dry run).
fn upload_template(aws: &mut Aws<'_>, request: &DeployRequest<'_>) -> Result<String> {
    let bytes = std::fs::read(request.template).map_err(|err| Error::Parameters {
        path: request.template.to_owned(),
        detail: err.to_string(),
    })?;
    let key = format!(
        "{TEMPLATE_PREFIX}/{}.yaml",
        hex::encode(Sha256::digest(&bytes))
    );
    aws.note("the template: uploaded for the change set to read (content-addressed, unless already there)")?;
    super::bucket::upload_file(
        aws,
        request.listing,
        request.template,
        request.bucket,
        &key,
        request.region,
        super::bucket::Unless::Present,
    )?;
    let presign = Call::new("s3", "presign", request.region)
        .word(format!("s3://{}/{key}", request.bucket))
        .arg("--expires-in", TEMPLATE_URL_SECONDS.to_string());
    Ok(aws
        .read_text(&presign)?
        .unwrap_or_else(|| "<the presigned URL above>".to_owned()))
}

/// What a change set holds.
enum Read {
    /// Its resource changes.
    Changes(Vec<ResourceChange>),
    /// It failed for holding no changes.
    NoChanges,
    /// A dry run: AWS was not asked.
    DryRun,
}

/// Creates the change set, waits for it and reads its changes.
fn create_and_read(
    aws: &mut Aws<'_>,
    request: &DeployRequest<'_>,
    kind: ChangeSetType,
    name: &str,
    url: &str,
) -> Result<Read> {
    let (region, stack_name) = (request.region, request.stack);
    let tags = request.tags.iter().map(|tag| {
        let (key, value) = tag.split_once('=').unwrap_or((tag, ""));
        format!("Key={key},Value={value}")
    });
    aws.run(
        &Call::new("cloudformation", "create-change-set", region)
            .arg("--stack-name", stack_name)
            .arg("--change-set-name", name)
            .arg("--change-set-type", kind.as_str())
            .arg("--template-url", url)
            .arg(
                "--parameters",
                format!("file://{}", request.parameters.display()),
            )
            .arg("--capabilities", CAPABILITIES)
            .args("--tags", tags)
            .arg(
                "--description",
                "stream2neptune deploy --plan: read, then deleted; never executed",
            ),
    )?;
    let wait = Call::new("cloudformation", "wait", region)
        .word("change-set-create-complete")
        .arg("--stack-name", stack_name)
        .arg("--change-set-name", name);
    let mut watch = StackWatch::start(aws, stack_name, region, request.poll);
    let waited = aws.run_watched(&wait, &mut watch);
    let describe = Call::new("cloudformation", "describe-change-set", region)
        .arg("--stack-name", stack_name)
        .arg("--change-set-name", name);
    let described = match waited {
        Ok(()) => aws.read(&describe)?,
        // A change set that cannot be created ends FAILED, and the waiter with it: its reason says why.
        Err(Error::Aws { stderr, .. }) => {
            let described = aws.read(&describe)?;
            let failed = parse(&describe, described.as_ref())?;
            let reason = failed.status_reason.unwrap_or(stderr);
            if is_no_changes(&reason) {
                return Ok(Read::NoChanges);
            }
            return Err(Error::ChangeSetFailed {
                stack: stack_name.to_owned(),
                region: region.to_owned(),
                status: failed.status,
                reason,
            });
        }
        Err(err) => return Err(err),
    };
    let Some(described) = described else {
        return Ok(Read::DryRun);
    };
    let described = parse(&describe, Some(&described))?;
    Ok(Read::Changes(
        described
            .changes
            .into_iter()
            .filter_map(|change| change.resource_change)
            .collect(),
    ))
}

fn parse(call: &Call, answer: Option<&serde_json::Value>) -> Result<DescribedChangeSet> {
    super::aws::parse_answer(call, answer.cloned().unwrap_or(serde_json::Value::Null))
}

/// Whether a failed change set's reason says it holds no changes.
pub fn is_no_changes(reason: &str) -> bool {
    reason.contains("didn't contain changes") || reason.contains("No updates are to be performed")
}

/// Deletes the change set, and for a CREATE the REVIEW_IN_PROGRESS stack holding it; runs even after a signal.
/// Returns what was cleaned up, or an error naming what is left and the commands that remove it.
fn clean_up(
    aws: &mut Aws<'_>,
    request: &DeployRequest<'_>,
    kind: ChangeSetType,
    name: &str,
) -> Result<String> {
    let (region, stack_name) = (request.region, request.stack);
    let delete_change_set = Call::new("cloudformation", "delete-change-set", region)
        .arg("--stack-name", stack_name)
        .arg("--change-set-name", name);
    let delete_stack =
        Call::new("cloudformation", "delete-stack", region).arg("--stack-name", stack_name);
    let left = |what: String, commands: Vec<&Call>, err: Error| Error::PlanLeftBehind {
        what,
        commands: commands
            .iter()
            .map(|c| format!("`{c}`"))
            .collect::<Vec<_>>()
            .join(" then "),
        detail: err.to_string(),
    };
    if let Err(err) = aws.run_despite_signal(&delete_change_set) {
        let mut commands = vec![&delete_change_set];
        if kind == ChangeSetType::Create {
            commands.push(&delete_stack);
        }
        return Err(left(
            format!("change set {name} of stack {stack_name} in {region}"),
            commands,
            err,
        ));
    }
    if kind == ChangeSetType::Update && aws.is_dry_run() {
        aws.note(format!(
            "when the type is CREATE, the {REVIEW_IN_PROGRESS} stack holding the change set is deleted too:"
        ))?;
        aws.run(&delete_stack)?;
    }
    if kind == ChangeSetType::Update {
        return Ok(format!("change set {name} was deleted"));
    }
    aws.note(format!(
        "a CREATE change set leaves stack {stack_name} in {REVIEW_IN_PROGRESS}, with no resources: deleted"
    ))?;
    if let Err(err) = aws.run_despite_signal(&delete_stack) {
        return Err(left(
            format!("stack {stack_name} in {region} ({REVIEW_IN_PROGRESS}, no resources)"),
            vec![&delete_stack],
            err,
        ));
    }
    Ok(format!(
        "change set {name} and the {REVIEW_IN_PROGRESS} stack {stack_name} were deleted"
    ))
}

/// The lines a plan prints for a region: each resource it would add, modify (saying whether it is replaced)
/// and remove, then the counts. `None` is a change set with no changes.
pub fn describe_changes(
    region: &str,
    stack: &str,
    kind: ChangeSetType,
    changes: Option<&[ResourceChange]>,
) -> Vec<String> {
    let Some(changes) = changes else {
        return vec![format!(
            "plan {region}: stack {stack}: no changes (the stack already matches the template and parameters)"
        )];
    };
    let verb = match kind {
        ChangeSetType::Update => "would update stack",
        ChangeSetType::Create => "would create stack",
    };
    let mut lines = vec![format!("plan {region}: {verb} {stack}:")];
    let order = |action: &str| match action {
        "Add" => 0,
        "Modify" => 1,
        "Remove" => 2,
        _ => 3,
    };
    let mut sorted: Vec<&ResourceChange> = changes.iter().collect();
    sorted.sort_by_key(|c| (order(&c.action), c.logical_resource_id.clone()));
    for change in &sorted {
        let action = match change.action.as_str() {
            "Add" => "add".to_owned(),
            "Modify" => "modify".to_owned(),
            "Remove" => "remove".to_owned(),
            other => other.to_lowercase(),
        };
        let mut line = format!(
            "  {action:<7} {} ({})",
            change.logical_resource_id, change.resource_type
        );
        if change.action == "Modify" {
            let scope = if change.scope.is_empty() {
                String::new()
            } else {
                format!(", changes {}", change.scope.join(", "))
            };
            match change.replacement.as_deref() {
                Some("True") => line.push_str(&format!(": REPLACED (a new resource){scope}")),
                Some("Conditional") => line.push_str(&format!(
                    ": may be REPLACED (Replacement Conditional: depends on values known at deploy){scope}"
                )),
                Some(_) => line.push_str(&format!(": in place{scope}")),
                None => line.push_str(&scope.replacen(", ", ": ", 1)),
            }
        }
        lines.push(line);
    }
    let count = |action: &str| changes.iter().filter(|c| c.action == action).count();
    let replaced = changes
        .iter()
        .filter(|c| c.action == "Modify" && c.replacement.as_deref() == Some("True"))
        .count();
    let conditional = changes
        .iter()
        .filter(|c| c.action == "Modify" && c.replacement.as_deref() == Some("Conditional"))
        .count();
    lines.push(format!(
        "plan {region}: {} to add, {} to modify ({replaced} replaced, {conditional} maybe replaced), {} to remove; nothing was executed",
        count("Add"),
        count("Modify"),
        count("Remove"),
    ));
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(action: &str, id: &str, replacement: Option<&str>) -> ResourceChange {
        ResourceChange {
            action: action.to_owned(),
            logical_resource_id: id.to_owned(),
            resource_type: "AWS::Test::Thing".to_owned(),
            replacement: replacement.map(str::to_owned),
            scope: if action == "Modify" {
                vec!["Properties".to_owned()]
            } else {
                Vec::new()
            },
        }
    }

    #[test]
    fn changes_are_listed_add_modify_remove_with_the_replacement_said() {
        let changes = [
            change("Remove", "Old", None),
            change("Modify", "Cluster", Some("True")),
            change("Modify", "Function", Some("False")),
            change("Modify", "Mapping", Some("Conditional")),
            change("Add", "Queue", None),
        ];
        let lines = describe_changes("eu-west-1", "s", ChangeSetType::Update, Some(&changes));
        assert_eq!(
            lines,
            [
                "plan eu-west-1: would update stack s:",
                "  add     Queue (AWS::Test::Thing)",
                "  modify  Cluster (AWS::Test::Thing): REPLACED (a new resource), changes Properties",
                "  modify  Function (AWS::Test::Thing): in place, changes Properties",
                "  modify  Mapping (AWS::Test::Thing): may be REPLACED (Replacement Conditional: depends on values known at deploy), changes Properties",
                "  remove  Old (AWS::Test::Thing)",
                "plan eu-west-1: 1 to add, 3 to modify (1 replaced, 1 maybe replaced), 1 to remove; nothing was executed",
            ]
        );
    }

    #[test]
    fn a_change_set_without_changes_is_no_changes() {
        assert!(is_no_changes(
            "The submitted information didn't contain changes. Submit different information to create a change set."
        ));
        assert!(!is_no_changes("Template format error"));
        let lines = describe_changes("us-east-1", "s", ChangeSetType::Update, None);
        assert_eq!(
            lines,
            [
                "plan us-east-1: stack s: no changes (the stack already matches the template and parameters)"
            ]
        );
    }

    #[test]
    fn the_describe_answer_is_read_with_its_replacement() {
        let answer = serde_json::json!({
            "Status": "CREATE_COMPLETE",
            "Changes": [{"Type": "Resource", "ResourceChange": {
                "Action": "Modify", "LogicalResourceId": "WriterFunction",
                "ResourceType": "AWS::Lambda::Function", "Replacement": "False", "Scope": ["Properties"]
            }}]
        });
        let call = Call::new("cloudformation", "describe-change-set", "eu-west-1");
        let described = parse(&call, Some(&answer)).unwrap();
        let change = described.changes[0].resource_change.clone().unwrap();
        assert_eq!(change.replacement.as_deref(), Some("False"));
        assert_eq!(change.scope, ["Properties"]);
    }
}
