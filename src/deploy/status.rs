//! `status`: a deployed region on one screen, read from the stack (its outputs and its resources' physical ids):
//! the stack's status and outputs, the event source mapping's state and last processing result, the writer's
//! iterator age over the last minutes, the depths of the rejected-records queue and of the on-failure
//! destination (an SQS queue, or the objects of an S3 bucket), and the Neptune cluster's status.
//!
//! `--output json` prints one object of a stable shape (see [`Status`]); a part that cannot be read is `null`
//! and a line of `notes` says why. No stack is an error naming the region, the stack and what to run.

use std::io::Write;

use serde::Serialize;
use serde_json::Value;
use stream2neptune_plan::Name;
use stream2neptune_process::shutdown::Shutdown;

use super::aws::{Aws, Call};
use super::error::{Error, Result};
use super::stack::{self, logical, output, physical_id};
use super::{StackArgs, check_region, connect_quietly};

/// Objects counted in the on-failure bucket before `status` says "at least".
const MAX_COUNTED_OBJECTS: u32 = 1000;

/// How `status` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Output {
    /// Lines for a person.
    Text,
    /// One JSON object, of the shape this help describes above.
    Json,
}

/// Flags of `status`.
#[derive(Debug, clap::Args)]
pub struct StatusArgs {
    /// The region of the stack.
    #[arg(long, value_name = "REGION")]
    pub region: String,
    /// Stack name and workspace.
    #[command(flatten)]
    pub stack: StackArgs,
    /// How many minutes of the writer's iterator age to show.
    #[arg(long, value_name = "MINUTES", default_value_t = 15, value_parser = clap::value_parser!(u32).range(1..=1440))]
    pub minutes: u32,
    /// Text for a person, or one JSON object.
    #[arg(long, value_enum, default_value = "text")]
    pub output: Output,
}

/// What `status --output json` prints. Every part that could not be read is `null`, with a line in `notes`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Status {
    /// The region.
    pub region: String,
    /// The stack.
    pub stack: StackPart,
    /// The writer's event source mapping.
    pub mapping: Option<MappingPart>,
    /// The writer's IteratorAge (AWS/Lambda), maximum per minute.
    pub iterator_age: Option<IteratorAgePart>,
    /// The rejected-records queue (output `RejectedQueueUrl`).
    pub rejected_queue: Option<QueuePart>,
    /// The on-failure destination: a queue (output `OnFailureQueueUrl`) or a bucket (`OnFailureBucketName`).
    pub on_failure: Option<OnFailurePart>,
    /// The Neptune cluster.
    pub neptune: Option<NeptunePart>,
    /// Why a part is missing, one line each.
    pub notes: Vec<String>,
}

/// The stack.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StackPart {
    /// Its name.
    pub name: String,
    /// Its status, e.g. `CREATE_COMPLETE`.
    pub status: String,
    /// Its outputs, in the stack's order.
    pub outputs: Vec<NamedValue>,
}

/// One stack output.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NamedValue {
    /// The output's key.
    pub key: String,
    /// Its value.
    pub value: String,
}

/// The event source mapping.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MappingPart {
    /// Its UUID.
    pub uuid: String,
    /// `Enabled`, `Disabled`, `Creating`, ...
    pub state: String,
    /// Why it is in that state.
    pub state_transition_reason: Option<String>,
    /// `OK`, `PROBLEM: ...` or none yet.
    pub last_processing_result: Option<String>,
}

/// The writer's iterator age.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IteratorAgePart {
    /// The function.
    pub function: String,
    /// The window, in minutes.
    pub minutes: u32,
    /// The maximum per minute, oldest first.
    pub points: Vec<AgePoint>,
}

/// One minute's maximum iterator age.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AgePoint {
    /// The minute (RFC 3339).
    pub time: String,
    /// The maximum, in milliseconds.
    pub maximum_ms: f64,
}

/// An SQS queue's depth.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QueuePart {
    /// Its URL.
    pub url: String,
    /// Messages ready to be read (ApproximateNumberOfMessages).
    pub messages: u64,
    /// Messages being read now (ApproximateNumberOfMessagesNotVisible).
    pub in_flight: u64,
}

/// The on-failure destination's depth.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum OnFailurePart {
    /// OnFailureDestination=sqs.
    Sqs(QueuePart),
    /// OnFailureDestination=s3: the failed batches' objects.
    S3 {
        /// The bucket.
        bucket: String,
        /// Objects counted (at most 1,000).
        objects: u64,
        /// Whether there are more than were counted.
        more: bool,
    },
}

/// The Neptune cluster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NeptunePart {
    /// Its identifier.
    pub cluster: String,
    /// `available`, `creating`, `modifying`, ...
    pub status: String,
    /// The engine version.
    pub engine_version: Option<String>,
    /// Its instances.
    pub members: Vec<NeptuneMember>,
}

/// One instance of the cluster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NeptuneMember {
    /// Its identifier.
    pub instance: String,
    /// Whether it is the writer.
    pub writer: bool,
}

/// `status`: reads the region's stack and its parts, and prints them.
pub fn run(args: &StatusArgs, out: &mut dyn Write, shutdown: &Shutdown) -> anyhow::Result<()> {
    let region = args.region.as_str();
    check_region(region)?;
    let mut sink = std::io::sink();
    let mut aws = connect_quietly(&args.stack, region, &mut sink, shutdown)?;
    let status = read(&mut aws, &args.stack.stack_name, region, args.minutes)?;
    match args.output {
        Output::Json => writeln!(out, "{}", serde_json::to_string_pretty(&status)?)?,
        Output::Text => {
            for line in text(&status) {
                writeln!(out, "{line}")?;
            }
        }
    }
    Ok(())
}

/// Reads every part of the status; a part that cannot be read becomes a note, a signal stops it all.
pub fn read(aws: &mut Aws<'_>, stack_name: &str, region: &str, minutes: u32) -> Result<Status> {
    let info = stack::require(aws, stack_name, region)?;
    let mut notes = Vec::new();
    let resources = part(&mut notes, "the stack's resources", || {
        stack::resources(aws, stack_name, region)
    })?
    .unwrap_or_default();
    let function = info
        .output(output::FUNCTION)
        .or_else(|| physical_id(&resources, logical::FUNCTION))
        .map(str::to_owned);

    let mapping = match physical_id(&resources, logical::MAPPING) {
        Some(uuid) => part(&mut notes, "the event source mapping", || {
            mapping(aws, uuid, region)
        })?,
        None => {
            notes.push(format!(
                "the stack has no {} resource: no event source mapping to show",
                logical::MAPPING
            ));
            None
        }
    };
    let iterator_age = match &function {
        Some(function) => part(&mut notes, "the iterator age", || {
            iterator_age(aws, function, region, minutes)
        })?,
        None => {
            notes.push(format!(
                "the stack has no {} output: no iterator age to show",
                output::FUNCTION
            ));
            None
        }
    };
    // The outputs first; a queue's physical id is its URL too, a bucket's its name.
    let rejected_queue = match info
        .output(output::REJECTED_QUEUE)
        .or_else(|| physical_id(&resources, logical::REJECTED_QUEUE))
    {
        Some(url) => part(&mut notes, "the rejected-records queue", || {
            queue(aws, url, region)
        })?,
        None => {
            notes.push(format!(
                "the stack has no {} output: no rejected-records queue to show",
                output::REJECTED_QUEUE
            ));
            None
        }
    };
    let destination = info
        .parameters
        .get(Name::OnFailureDestination.as_str())
        .map(String::as_str);
    let on_failure = match (
        destination,
        info.output(output::ON_FAILURE_QUEUE)
            .or_else(|| physical_id(&resources, logical::ON_FAILURE_QUEUE)),
        info.output(output::ON_FAILURE_BUCKET)
            .or_else(|| physical_id(&resources, logical::ON_FAILURE_BUCKET)),
    ) {
        (Some("s3") | None, _, Some(bucket)) => part(&mut notes, "the on-failure bucket", || {
            objects(aws, bucket, region)
        })?,
        (Some("sqs") | None, Some(url), _) => part(&mut notes, "the on-failure queue", || {
            queue(aws, url, region).map(OnFailurePart::Sqs)
        })?,
        (destination, _, _) => {
            notes.push(format!(
                "the stack has no {} output{}: no on-failure destination to show",
                match destination {
                    Some("s3") => output::ON_FAILURE_BUCKET,
                    _ => output::ON_FAILURE_QUEUE,
                },
                destination
                    .map(|d| format!(" (OnFailureDestination={d})"))
                    .unwrap_or_default()
            ));
            None
        }
    };
    let cluster = physical_id(&resources, logical::CLUSTER).map(ClusterRef::Id);
    let cluster = cluster.or_else(|| {
        let existing = info.parameters.get(Name::UseExistingCluster.as_str())? == "true";
        let id = info
            .parameters
            .get(Name::ExistingClusterResourceId.as_str())?;
        (existing && !id.is_empty()).then_some(ClusterRef::ResourceId(id))
    });
    let neptune = match cluster {
        Some(cluster) => part(&mut notes, "the Neptune cluster", || {
            neptune(aws, cluster, region)
        })?,
        None => {
            notes.push(format!(
                "the stack has no {} resource and no existing cluster: no Neptune cluster to show",
                logical::CLUSTER
            ));
            None
        }
    };
    Ok(Status {
        region: region.to_owned(),
        stack: StackPart {
            name: stack_name.to_owned(),
            status: info.status.clone(),
            outputs: info
                .outputs
                .iter()
                .map(|(key, value)| NamedValue {
                    key: key.clone(),
                    value: value.clone(),
                })
                .collect(),
        },
        mapping,
        iterator_age,
        rejected_queue,
        on_failure,
        neptune,
        notes,
    })
}

/// Runs one part's reads: an AWS failure becomes a note naming the part, anything else (a signal) stops.
fn part<T>(
    notes: &mut Vec<String>,
    what: &str,
    read: impl FnOnce() -> Result<T>,
) -> Result<Option<T>> {
    match read() {
        Ok(value) => Ok(Some(value)),
        Err(err @ (Error::Aws { .. } | Error::AwsOutput { .. })) => {
            notes.push(format!("cannot read {what}: {err}"));
            Ok(None)
        }
        Err(err) => Err(err),
    }
}

fn answer(aws: &mut Aws<'_>, call: &Call) -> Result<Value> {
    Ok(aws.read_quietly(call)?.unwrap_or(Value::Null))
}

fn text_field(value: &Value, field: &str) -> Option<String> {
    value
        .get(field)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

fn mapping(aws: &mut Aws<'_>, uuid: &str, region: &str) -> Result<MappingPart> {
    let answer = answer(
        aws,
        &Call::new("lambda", "get-event-source-mapping", region).arg("--uuid", uuid),
    )?;
    Ok(MappingPart {
        uuid: uuid.to_owned(),
        state: text_field(&answer, "State").unwrap_or_else(|| "unknown".to_owned()),
        state_transition_reason: text_field(&answer, "StateTransitionReason"),
        last_processing_result: text_field(&answer, "LastProcessingResult"),
    })
}

fn iterator_age(
    aws: &mut Aws<'_>,
    function: &str,
    region: &str,
    minutes: u32,
) -> Result<IteratorAgePart> {
    let end = chrono::Utc::now();
    let start = end - chrono::Duration::minutes(i64::from(minutes));
    let format =
        |t: chrono::DateTime<chrono::Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let call = Call::new("cloudwatch", "get-metric-statistics", region)
        .arg("--namespace", "AWS/Lambda")
        .arg("--metric-name", "IteratorAge")
        .arg(
            "--dimensions",
            format!("Name=FunctionName,Value={function}"),
        )
        .arg("--start-time", format(start))
        .arg("--end-time", format(end))
        .arg("--period", "60")
        .arg("--statistics", "Maximum");
    let answer = answer(aws, &call)?;
    let mut points: Vec<AgePoint> = answer
        .get("Datapoints")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|point| {
            Some(AgePoint {
                time: point.get("Timestamp")?.as_str()?.to_owned(),
                maximum_ms: point.get("Maximum")?.as_f64()?,
            })
        })
        .collect();
    // CloudWatch returns the points in no order; RFC 3339 times of one zone sort as text.
    points.sort_by(|a, b| a.time.cmp(&b.time));
    Ok(IteratorAgePart {
        function: function.to_owned(),
        minutes,
        points,
    })
}

fn count(attributes: &Value, name: &str) -> u64 {
    attributes
        .get(name)
        .and_then(Value::as_str)
        .and_then(|n| n.parse().ok())
        .unwrap_or_default()
}

fn queue(aws: &mut Aws<'_>, url: &str, region: &str) -> Result<QueuePart> {
    let answer = answer(
        aws,
        &Call::new("sqs", "get-queue-attributes", region)
            .arg("--queue-url", url)
            .args(
                "--attribute-names",
                [
                    "ApproximateNumberOfMessages",
                    "ApproximateNumberOfMessagesNotVisible",
                ],
            ),
    )?;
    let attributes = answer.get("Attributes").cloned().unwrap_or(Value::Null);
    Ok(QueuePart {
        url: url.to_owned(),
        messages: count(&attributes, "ApproximateNumberOfMessages"),
        in_flight: count(&attributes, "ApproximateNumberOfMessagesNotVisible"),
    })
}

fn objects(aws: &mut Aws<'_>, bucket: &str, region: &str) -> Result<OnFailurePart> {
    let answer = answer(
        aws,
        &Call::new("s3api", "list-objects-v2", region)
            .arg("--bucket", bucket)
            .arg("--max-items", MAX_COUNTED_OBJECTS.to_string()),
    )?;
    let objects = answer
        .get("Contents")
        .and_then(Value::as_array)
        .map_or(0, Vec::len) as u64;
    Ok(OnFailurePart::S3 {
        bucket: bucket.to_owned(),
        objects,
        more: answer.get("NextToken").is_some_and(|t| !t.is_null()),
    })
}

/// How the cluster is found: the stack's own, or an existing one by its resource id.
enum ClusterRef<'a> {
    Id(&'a str),
    ResourceId(&'a str),
}

fn neptune(aws: &mut Aws<'_>, cluster: ClusterRef<'_>, region: &str) -> Result<NeptunePart> {
    let call = Call::new("neptune", "describe-db-clusters", region);
    let (call, query) = match cluster {
        ClusterRef::Id(id) => (call.arg("--db-cluster-identifier", id), id),
        ClusterRef::ResourceId(id) => (
            call.arg(
                "--query",
                format!("{{DBClusters: DBClusters[?DbClusterResourceId=='{id}']}}"),
            ),
            id,
        ),
    };
    let answer = answer(aws, &call)?;
    let Some(found) = answer
        .get("DBClusters")
        .and_then(Value::as_array)
        .and_then(|c| c.first())
    else {
        return Err(Error::AwsOutput {
            command: call.to_string(),
            detail: format!("no cluster {query}"),
            stdout: answer.to_string(),
        });
    };
    Ok(NeptunePart {
        cluster: text_field(found, "DBClusterIdentifier").unwrap_or_else(|| query.to_owned()),
        status: text_field(found, "Status").unwrap_or_else(|| "unknown".to_owned()),
        engine_version: text_field(found, "EngineVersion"),
        members: found
            .get("DBClusterMembers")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|member| {
                Some(NeptuneMember {
                    instance: text_field(member, "DBInstanceIdentifier")?,
                    writer: member.get("IsClusterWriter")?.as_bool().unwrap_or(false),
                })
            })
            .collect(),
    })
}

/// Milliseconds as a person reads them: `850 ms`, `12.5 s`, `3.2 min`, `1.5 h`.
pub fn age(ms: f64) -> String {
    if ms < 1_000.0 {
        format!("{ms:.0} ms")
    } else if ms < 60_000.0 {
        format!("{:.1} s", ms / 1_000.0)
    } else if ms < 3_600_000.0 {
        format!("{:.1} min", ms / 60_000.0)
    } else {
        format!("{:.1} h", ms / 3_600_000.0)
    }
}

fn messages(queue: &QueuePart) -> String {
    format!(
        "{} message{} waiting, {} in flight ({})",
        queue.messages,
        if queue.messages == 1 { "" } else { "s" },
        queue.in_flight,
        queue.url
    )
}

/// The status as lines for a person.
pub fn text(status: &Status) -> Vec<String> {
    let mut lines = vec![format!(
        "stack {} in {}: {}",
        status.stack.name, status.region, status.stack.status
    )];
    for output in &status.stack.outputs {
        lines.push(format!("  {} = {}", output.key, output.value));
    }
    lines.push(match &status.mapping {
        Some(m) => format!(
            "event source mapping {}: {}{}; last processing result: {}",
            m.uuid,
            m.state,
            m.state_transition_reason
                .as_deref()
                .map(|r| format!(" ({r})"))
                .unwrap_or_default(),
            m.last_processing_result.as_deref().unwrap_or("none yet")
        ),
        None => "event source mapping: not shown (see notes)".to_owned(),
    });
    lines.push(match &status.iterator_age {
        Some(a) if a.points.is_empty() => format!(
            "iterator age of {} (last {} min): no data points (no batch read in that time)",
            a.function, a.minutes
        ),
        Some(a) => {
            let latest = a.points.last().expect("not empty");
            let highest = a
                .points
                .iter()
                .map(|p| p.maximum_ms)
                .fold(0.0_f64, f64::max);
            format!(
                "iterator age of {} (last {} min, maximum per minute): now {} ({}), highest {}",
                a.function,
                a.minutes,
                age(latest.maximum_ms),
                latest.time,
                age(highest)
            )
        }
        None => "iterator age: not shown (see notes)".to_owned(),
    });
    lines.push(match &status.rejected_queue {
        Some(q) => format!("rejected records queue: {}", messages(q)),
        None => "rejected records queue: not shown (see notes)".to_owned(),
    });
    lines.push(match &status.on_failure {
        Some(OnFailurePart::Sqs(q)) => format!("on-failure queue: {}", messages(q)),
        Some(OnFailurePart::S3 {
            bucket,
            objects,
            more,
        }) => format!(
            "on-failure bucket: {}{objects} failed batch object{} (s3://{bucket})",
            if *more { "more than " } else { "" },
            if *objects == 1 && !more { "" } else { "s" }
        ),
        None => "on-failure destination: not shown (see notes)".to_owned(),
    });
    lines.push(match &status.neptune {
        Some(n) => {
            let members: Vec<String> = n
                .members
                .iter()
                .map(|m| {
                    format!(
                        "{} ({})",
                        m.instance,
                        if m.writer { "writer" } else { "reader" }
                    )
                })
                .collect();
            format!(
                "Neptune cluster {}: {}{}; instances: {}",
                n.cluster,
                n.status,
                n.engine_version
                    .as_deref()
                    .map(|v| format!(", engine {v}"))
                    .unwrap_or_default(),
                if members.is_empty() {
                    "none".to_owned()
                } else {
                    members.join(", ")
                }
            )
        }
        None => "Neptune cluster: not shown (see notes)".to_owned(),
    });
    if !status.notes.is_empty() {
        lines.push("notes:".to_owned());
        lines.extend(status.notes.iter().map(|n| format!("  - {n}")));
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_read_in_the_unit_that_fits() {
        assert_eq!(age(850.0), "850 ms");
        assert_eq!(age(12_500.0), "12.5 s");
        assert_eq!(age(192_000.0), "3.2 min");
        assert_eq!(age(5_400_000.0), "1.5 h");
    }

    #[test]
    fn the_on_failure_part_names_its_kind_in_json() {
        let s3 = OnFailurePart::S3 {
            bucket: "b".to_owned(),
            objects: 3,
            more: false,
        };
        assert_eq!(
            serde_json::to_value(&s3).unwrap(),
            serde_json::json!({"kind": "s3", "bucket": "b", "objects": 3, "more": false})
        );
        let sqs = OnFailurePart::Sqs(QueuePart {
            url: "u".to_owned(),
            messages: 1,
            in_flight: 0,
        });
        assert_eq!(
            serde_json::to_value(&sqs).unwrap(),
            serde_json::json!({"kind": "sqs", "url": "u", "messages": 1, "in_flight": 0})
        );
    }
}
