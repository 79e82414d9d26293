//! Watching a stack while CloudFormation works on it: the new stack events (resource, type, status, reason), each
//! printed once with the region and the time since the command started, and when it fails, the reasons of the
//! resources that failed and what to do next.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use serde::Deserialize;

use super::aws::{Aws, Call, Watch, is_not_found};
use super::error::{Error, StackFailure};

/// How many of the newest events one look reads: far more than a stack makes between two looks.
const EVENTS_PER_LOOK: &str = "100";

/// One stack event as `describe-stack-events` gives it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct StackEvent {
    /// Unique per event.
    pub event_id: String,
    /// The resource's logical id (the stack's name for the stack itself).
    #[serde(default)]
    pub logical_resource_id: String,
    /// e.g. `AWS::Lambda::Function`.
    #[serde(default)]
    pub resource_type: String,
    /// e.g. `CREATE_IN_PROGRESS`, `CREATE_FAILED`.
    #[serde(default)]
    pub resource_status: String,
    /// Why, when CloudFormation says.
    #[serde(default)]
    pub resource_status_reason: Option<String>,
}

impl StackEvent {
    /// Whether this event is a resource (or the stack) failing.
    pub fn is_failure(&self) -> bool {
        self.resource_status.ends_with("_FAILED")
    }
}

impl std::fmt::Display for StackEvent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} ({}) {}",
            self.logical_resource_id, self.resource_type, self.resource_status
        )?;
        match self.resource_status_reason.as_deref() {
            Some(reason) if !reason.is_empty() => write!(f, ": {reason}"),
            _ => Ok(()),
        }
    }
}

/// The watcher of one stack in one region while a command works on it.
pub struct StackWatch {
    stack: String,
    region: String,
    start: Instant,
    every: Duration,
    /// Events already there when the watch began, or already printed.
    seen: HashSet<String>,
    /// The new events, oldest first.
    new: Vec<StackEvent>,
    /// Whether a failed look was already reported (it is said once, not every poll).
    warned: bool,
}

impl StackWatch {
    /// Starts watching: the events already there are not new (read without printing the command; none in a dry
    /// run or for a stack that does not exist yet).
    pub fn start(aws: &mut Aws<'_>, stack: &str, region: &str, every: Duration) -> Self {
        let mut watch = StackWatch {
            stack: stack.to_owned(),
            region: region.to_owned(),
            start: Instant::now(),
            every,
            seen: HashSet::new(),
            new: Vec::new(),
            warned: false,
        };
        if let Ok(events) = watch.look(aws) {
            watch.seen = events.into_iter().map(|e| e.event_id).collect();
        }
        watch
    }

    /// The events newer than the start, newest first as CloudFormation lists them; none for a stack that is
    /// gone.
    fn look(&self, aws: &mut Aws<'_>) -> Result<Vec<StackEvent>, Error> {
        let call = Call::new("cloudformation", "describe-stack-events", &self.region)
            .arg("--stack-name", &self.stack)
            .arg("--max-items", EVENTS_PER_LOOK);
        let answer = match aws.read_quietly(&call) {
            Ok(Some(answer)) => answer,
            Ok(None) => return Ok(Vec::new()),
            Err(Error::Aws { stderr, .. }) if is_not_found(&stderr) => return Ok(Vec::new()),
            Err(err) => return Err(err),
        };
        let events = answer
            .get("StackEvents")
            .cloned()
            .unwrap_or(serde_json::Value::Array(Vec::new()));
        serde_json::from_value(events).map_err(|err| Error::AwsOutput {
            command: call.to_string(),
            detail: err.to_string(),
            stdout: answer.to_string(),
        })
    }

    /// The events that failed since the watch began, oldest (the first cause) first.
    pub fn failures(&self) -> Vec<&StackEvent> {
        self.new.iter().filter(|e| e.is_failure()).collect()
    }

    /// Explains a failed command: the stack's status now, the failed resources and their reasons, and what to
    /// do next. `cli_error` is what the AWS CLI said.
    pub fn failure(&mut self, aws: &mut Aws<'_>, action: &'static str, cli_error: Error) -> Error {
        self.poll(aws);
        let status = stack_status(aws, &self.stack, &self.region);
        let failures: Vec<String> = self.failures().iter().map(|e| e.to_string()).collect();
        let cause = if failures.is_empty() {
            // Nothing failed inside CloudFormation (a bad template or parameter, a permission): the CLI says why.
            match cli_error {
                Error::Aws { stderr, .. } if !stderr.is_empty() => {
                    format!("the AWS CLI said: {stderr}")
                }
                other => other.to_string(),
            }
        } else {
            format!(
                "the resources that failed, first cause first:\n  - {}",
                failures.join("\n  - ")
            )
        };
        Error::StackFailed(Box::new(StackFailure {
            action,
            stack: self.stack.clone(),
            region: self.region.clone(),
            status: status.clone().unwrap_or_else(|| "unknown".to_owned()),
            cause,
            next: next_step(status.as_deref(), &self.stack, &self.region),
        }))
    }
}

impl Watch for StackWatch {
    fn label(&self) -> String {
        let elapsed = self.start.elapsed().as_secs();
        format!("[{} +{:02}:{:02}]", self.region, elapsed / 60, elapsed % 60)
    }

    fn every(&self) -> Duration {
        self.every
    }

    fn poll(&mut self, aws: &mut Aws<'_>) {
        let events = match self.look(aws) {
            Ok(events) => events,
            Err(err) => {
                if !self.warned {
                    self.warned = true;
                    let _ = aws.note(format!(
                        "cannot read the stack events (the command goes on): {err}"
                    ));
                }
                return;
            }
        };
        let label = self.label();
        for event in events.into_iter().rev() {
            if self.seen.insert(event.event_id.clone()) {
                let _ = aws.say(format!("{label} {event}"));
                self.new.push(event);
            }
        }
    }
}

/// The stack's status now, if it can be read.
fn stack_status(aws: &mut Aws<'_>, stack: &str, region: &str) -> Option<String> {
    let call = Call::new("cloudformation", "describe-stacks", region)
        .arg("--stack-name", stack)
        .arg("--query", "Stacks[0].StackStatus");
    match aws.read_quietly(&call) {
        Ok(Some(serde_json::Value::String(status))) => Some(status),
        Err(Error::Aws { stderr, .. }) if is_not_found(&stderr) => Some("gone".to_owned()),
        _ => None,
    }
}

/// What to do after a failure, by the stack's status.
pub fn next_step(status: Option<&str>, stack: &str, region: &str) -> String {
    let make_args = if stack == super::DEFAULT_STACK_NAME {
        format!("REGION={region}")
    } else {
        format!("REGION={region} STACK_NAME={stack}")
    };
    match status.unwrap_or_default() {
        "ROLLBACK_COMPLETE" | "ROLLBACK_FAILED" => format!(
            "a stack whose first create failed cannot be updated: delete it with `make destroy {make_args}`, fix the cause above, then deploy again with `make stack {make_args}`"
        ),
        "UPDATE_ROLLBACK_COMPLETE" => format!(
            "the stack is back as it was before this update: fix the cause above, then deploy again with `make stack {make_args}`"
        ),
        "UPDATE_ROLLBACK_FAILED" => format!(
            "the rollback itself failed: fix what blocks it, run `aws cloudformation continue-update-rollback --stack-name {stack} --region {region}` (with --resources-to-skip for resources that cannot roll back), then deploy again"
        ),
        "DELETE_FAILED" => format!(
            "remove what keeps the resources above from being deleted (for example objects in a bucket the stack created), then run `make destroy {make_args}` again"
        ),
        status if status.ends_with("_IN_PROGRESS") => format!(
            "CloudFormation is still working on the stack: follow it with `aws cloudformation describe-stack-events --stack-name {stack} --region {region}` or in the console, then run the command again"
        ),
        _ => format!(
            "fix the cause above and run the command again; `aws cloudformation describe-stack-events --stack-name {stack} --region {region}` lists every event"
        ),
    }
}
