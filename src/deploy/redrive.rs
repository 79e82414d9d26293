//! `redrive`: replays the batches a region's event source mapping gave up on, with the AWS CLI. The stack's outputs
//! name the destination: `OnFailureBucketName` (OnFailureDestination s3: each object holds the batch's whole
//! invocation event in `payload`) or `OnFailureQueueUrl` (sqs: each message names a shard and a sequence range, read
//! back from the stream with get-shard-iterator AT_SEQUENCE_NUMBER and get-records while the stream retains it). Each
//! batch goes to the writer function (`aws lambda invoke`, the event Lambda sends); its failure record (object or
//! message) is deleted only when the invocation succeeded with no failed item. The shapes are Lambda's, documented
//! in "Retain discarded batch records for a Kinesis Data Streams event source in Lambda"
//! (https://docs.aws.amazon.com/lambda/latest/dg/kinesis-on-failure-destination.html). The writer's writes are
//! idempotent: a batch replayed twice leaves the same graph, so a second redrive is harmless.

use std::collections::HashSet;
use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use base64::Engine as _;
use stream2neptune_local::esm::destination::{
    KinesisBatchInfo, OnFailureRecord, S3OnFailureRecord,
};
use stream2neptune_local::esm::event::{
    EventSource, MAX_RANGE_READS, RangeRead, StreamRecord, kinesis_event,
};
use stream2neptune_process::shutdown::Shutdown;

use super::aws::{Aws, Call};
use super::error::Error;
use super::stack::{self, output};
use super::{DEFAULT_POLL_SECONDS, StackArgs, TargetArgs, check_region, connect};

/// Where Lambda writes the objects of an S3 on-failure destination.
pub const OBJECT_PREFIX: &str = "aws/lambda/";
/// How long a received message stays hidden while its batch is replayed.
const VISIBILITY_SECONDS: &str = "900";

/// Flags of `redrive`.
#[derive(Debug, clap::Args)]
pub struct RedriveArgs {
    /// The region of the stack.
    #[arg(long, value_name = "REGION")]
    pub region: String,
    /// Stack name and workspace.
    #[command(flatten)]
    pub stack: StackArgs,
    /// Print what would be replayed (the destination and the stream are read) and change nothing: no function is
    /// invoked, no message or object deleted.
    #[arg(long)]
    pub dry_run: bool,
}

/// One failed batch, ready to replay.
struct Batch {
    /// Where its failure record is, for the messages printed.
    from: String,
    info: KinesisBatchInfo,
    event: serde_json::Value,
}

/// What the replays came to.
#[derive(Default)]
struct Tally {
    replayed: usize,
    records: usize,
    kept: usize,
}

/// `redrive`: replays every failed batch of the region's stack.
pub fn run(args: &RedriveArgs, out: &mut dyn Write, shutdown: &Shutdown) -> anyhow::Result<()> {
    let region = args.region.as_str();
    check_region(region)?;
    let target = TargetArgs {
        stack_name: args.stack.stack_name.clone(),
        // The reads run in a dry run too: it shows what would be replayed.
        dry_run: false,
        workspace: args.stack.workspace.clone(),
        events_every: DEFAULT_POLL_SECONDS,
    };
    let (mut aws, _) = connect(&target, region, out, shutdown)?;
    let name = args.stack.stack_name.as_str();
    let info = stack::require(&mut aws, name, region)?;
    let required = |key: &str| {
        info.output(key).map(str::to_owned).ok_or_else(|| {
            anyhow::anyhow!(
                "stack {name} in {region} has no output {key}: deploy the current template first"
            )
        })
    };
    let function = required(output::FUNCTION)?;
    let stream = required(output::STREAM)?;
    let (bucket, queue) = (
        info.output(output::ON_FAILURE_BUCKET),
        info.output(output::ON_FAILURE_QUEUE),
    );
    if bucket.is_none() && queue.is_none() {
        anyhow::bail!(
            "stack {name} in {region} has neither {} nor {}: it has no on-failure destination to redrive",
            output::ON_FAILURE_BUCKET,
            output::ON_FAILURE_QUEUE
        );
    }
    if args.dry_run {
        aws.note("dry run: the failed batches are read and listed; no function is invoked and nothing is deleted")?;
    }
    let files = tempfile::tempdir()?;
    let mut redrive = Redrive {
        aws: &mut aws,
        region,
        function: &function,
        stream: &stream,
        dry_run: args.dry_run,
        files: files.path(),
        tally: Tally::default(),
    };
    if let Some(bucket) = bucket {
        redrive.replay_bucket(bucket)?;
    }
    if let Some(queue) = queue {
        redrive.replay_queue(queue)?;
    }
    let Tally {
        replayed,
        records,
        kept,
    } = redrive.tally;
    let verb = if args.dry_run {
        "would be replayed"
    } else {
        "replayed"
    };
    aws.say(format!(
        "redrive {region}: {replayed} batches {verb} ({records} records), {kept} kept"
    ))?;
    if kept > 0 {
        anyhow::bail!(
            "{kept} failed batches were kept (see above); fix the cause and run `stream2neptune redrive --region {region}` again"
        );
    }
    Ok(())
}

struct Redrive<'a, 'o> {
    aws: &'a mut Aws<'o>,
    region: &'a str,
    function: &'a str,
    stream: &'a str,
    dry_run: bool,
    files: &'a Path,
    tally: Tally,
}

impl Redrive<'_, '_> {
    /// Replays each object of the S3 destination, deleting it once written.
    fn replay_bucket(&mut self, bucket: &str) -> anyhow::Result<()> {
        let list = Call::new("s3api", "list-objects-v2", self.region)
            .arg("--bucket", bucket)
            .arg("--prefix", OBJECT_PREFIX);
        let listed = self.aws.read(&list)?.unwrap_or_default();
        let keys: Vec<String> = listed["Contents"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|o| o["Key"].as_str().map(str::to_owned))
            .collect();
        self.aws.note(format!(
            "s3://{bucket}: {} failed batches (whole payloads)",
            keys.len()
        ))?;
        for key in keys {
            let from = format!("s3://{bucket}/{key}");
            let file = self.files.join("object.json");
            let get = Call::new("s3api", "get-object", self.region)
                .arg("--bucket", bucket)
                .arg("--key", &key)
                .word(file.display().to_string());
            let read = self
                .aws
                .read(&get)
                .map_err(anyhow::Error::from)
                .and_then(|_| {
                    let record: S3OnFailureRecord = serde_json::from_slice(&std::fs::read(&file)?)?;
                    Ok(record)
                });
            let record = match read {
                Ok(record) => record,
                Err(e) => {
                    self.keep(&from, &format!("not Lambda's S3 invocation record: {e:#}"))?;
                    continue;
                }
            };
            let batch = Batch {
                from: from.clone(),
                info: record.record.kinesis_batch_info,
                event: serde_json::to_value(&record.payload)?,
            };
            if self.replay(&batch)? {
                let delete = Call::new("s3api", "delete-object", self.region)
                    .arg("--bucket", bucket)
                    .arg("--key", &key);
                self.aws.run(&delete)?;
            }
        }
        Ok(())
    }

    /// Replays each message of the SQS destination, reading its range from the stream, deleting it once written.
    fn replay_queue(&mut self, queue: &str) -> anyhow::Result<()> {
        self.aws.note(format!(
            "{queue}: failed batches as sequence ranges, read back from stream {}",
            self.stream
        ))?;
        let mut seen = HashSet::new();
        loop {
            // A dry run leaves each message visible; a real run hides it while its batch is replayed.
            let visibility = if self.dry_run {
                "0"
            } else {
                VISIBILITY_SECONDS
            };
            let receive = Call::new("sqs", "receive-message", self.region)
                .arg("--queue-url", queue)
                .arg("--max-number-of-messages", "10")
                .arg("--wait-time-seconds", "1")
                .arg("--visibility-timeout", visibility);
            let received = self.aws.read(&receive)?.unwrap_or_default();
            let (messages, again): (Vec<serde_json::Value>, Vec<serde_json::Value>) =
                received["Messages"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .cloned()
                    .partition(|m| {
                        seen.insert(m["MessageId"].as_str().unwrap_or_default().to_owned())
                    });
            // A message kept earlier in this run, received again: visible again at once, for the next redrive.
            for message in &again {
                self.release(queue, message["ReceiptHandle"].as_str().unwrap_or_default())?;
            }
            if messages.is_empty() {
                return Ok(());
            }
            for message in messages {
                let id = message["MessageId"].as_str().unwrap_or_default();
                let handle = message["ReceiptHandle"].as_str().unwrap_or_default();
                let from = format!("message {id}");
                let written = match serde_json::from_str::<OnFailureRecord>(
                    message["Body"].as_str().unwrap_or_default(),
                ) {
                    Err(e) => {
                        self.keep(&from, &format!("not Lambda's invocation record: {e}"))?;
                        false
                    }
                    Ok(record) => match self.read_range(&record.kinesis_batch_info)? {
                        Err(reason) => {
                            self.keep(&from, &reason)?;
                            false
                        }
                        Ok(event) => self.replay(&Batch {
                            from: from.clone(),
                            info: record.kinesis_batch_info,
                            event,
                        })?,
                    },
                };
                if written {
                    let delete = Call::new("sqs", "delete-message", self.region)
                        .arg("--queue-url", queue)
                        .arg("--receipt-handle", handle);
                    self.aws.run(&delete)?;
                } else {
                    self.release(queue, handle)?;
                }
            }
        }
    }

    /// Makes a received message visible again at once (a dry run received it visible).
    fn release(&mut self, queue: &str, handle: &str) -> anyhow::Result<()> {
        if !self.dry_run {
            let show = Call::new("sqs", "change-message-visibility", self.region)
                .arg("--queue-url", queue)
                .arg("--receipt-handle", handle)
                .arg("--visibility-timeout", "0");
            self.aws.run(&show)?;
        }
        Ok(())
    }

    /// Reads a batch's range from its shard into the event Lambda would send. `Ok(Err)` names the shard and the
    /// range when the stream no longer holds them.
    fn read_range(
        &mut self,
        info: &KinesisBatchInfo,
    ) -> anyhow::Result<Result<serde_json::Value, String>> {
        let (shard, start, end) = (
            &info.shard_id,
            &info.start_sequence_number,
            &info.end_sequence_number,
        );
        let gone = |why: String| {
            format!(
                "the stream no longer holds shard {shard} sequence {start}..{end} ({why}): past the stream's retention \
                 these records cannot be replayed; the message is left in the queue (OnFailureDestination s3 keeps \
                 whole batches)"
            )
        };
        let iterator = Call::new("kinesis", "get-shard-iterator", self.region)
            .arg("--stream-name", self.stream)
            .arg("--shard-id", shard)
            .arg("--shard-iterator-type", "AT_SEQUENCE_NUMBER")
            .arg("--starting-sequence-number", start);
        let mut iterator = match self.aws.read(&iterator) {
            Ok(answer) => answer.unwrap_or_default()["ShardIterator"]
                .as_str()
                .map(str::to_owned),
            Err(Error::Aws { stderr, .. }) => return Ok(Err(gone(stderr))),
            Err(e) => return Err(e.into()),
        };
        let mut range = RangeRead::new(start, end);
        let engine = base64::engine::general_purpose::STANDARD;
        for _ in 0..MAX_RANGE_READS {
            let Some(current) = iterator.take() else {
                break;
            };
            let call = Call::new("kinesis", "get-records", self.region)
                .arg("--shard-iterator", current)
                .arg("--limit", "10000");
            let answer = match self.aws.read(&call) {
                Ok(answer) => answer.unwrap_or_default(),
                Err(Error::Aws { stderr, .. }) => return Ok(Err(gone(stderr))),
                Err(e) => return Err(e.into()),
            };
            let got = answer["Records"].as_array().cloned().unwrap_or_default();
            for record in &got {
                let taken = range.take(
                    record["SequenceNumber"].as_str().unwrap_or_default(),
                    record["PartitionKey"].as_str().unwrap_or_default(),
                    engine.decode(record["Data"].as_str().unwrap_or_default())?,
                    arrival_ms(&record["ApproximateArrivalTimestamp"]),
                );
                match taken {
                    Err(why) => return Ok(Err(gone(why))),
                    Ok(true) => return Ok(Ok(Self::event(info, &range.into_records())?)),
                    Ok(false) => {}
                }
            }
            if got.is_empty() && answer["MillisBehindLatest"].as_i64().unwrap_or(0) == 0 {
                break;
            }
            iterator = answer["NextShardIterator"].as_str().map(str::to_owned);
        }
        Ok(Err(gone(range.unfinished())))
    }

    /// The event Lambda would send for `records`, the batch's range read back from its shard.
    fn event(
        info: &KinesisBatchInfo,
        records: &[Arc<StreamRecord>],
    ) -> anyhow::Result<serde_json::Value> {
        let source = EventSource::of_stream(&info.stream_arn);
        Ok(serde_json::to_value(kinesis_event(
            &source,
            &info.shard_id,
            records,
        ))?)
    }

    /// Invokes the writer with the batch (in a dry run, only says so); true when it was written.
    fn replay(&mut self, batch: &Batch) -> anyhow::Result<bool> {
        let info = &batch.info;
        let count = batch.event["Records"].as_array().map_or(0, Vec::len);
        let what = format!(
            "{} sequence {}..{} ({count} records, from {})",
            info.shard_id, info.start_sequence_number, info.end_sequence_number, batch.from
        );
        if self.dry_run {
            self.aws.say(format!("would replay {what}"))?;
            self.tally.replayed += 1;
            self.tally.records += count;
            return Ok(false);
        }
        let payload = self.files.join("event.json");
        let response = self.files.join("response.json");
        std::fs::write(&payload, serde_json::to_vec(&batch.event)?)?;
        let invoke = Call::new("lambda", "invoke", self.region)
            .arg("--function-name", self.function)
            .arg("--payload", format!("fileb://{}", payload.display()))
            .word(response.display().to_string());
        let answer = self.aws.read(&invoke)?.unwrap_or_default();
        let body = std::fs::read_to_string(&response).unwrap_or_default();
        match not_written(&answer, &body) {
            Some(reason) => {
                self.keep(&what, &reason)?;
                Ok(false)
            }
            None => {
                self.aws.say(format!("replayed {what}"))?;
                self.tally.replayed += 1;
                self.tally.records += count;
                Ok(true)
            }
        }
    }

    fn keep(&mut self, what: &str, reason: &str) -> anyhow::Result<()> {
        self.tally.kept += 1;
        let note = if self.dry_run {
            "".to_owned()
        } else {
            "; its failure record is kept for the next redrive".to_owned()
        };
        self.aws.say(format!("kept {what}: {reason}{note}"))?;
        Ok(())
    }
}

/// Why an invocation did not write its batch, from the CLI's answer (`FunctionError`) and the function's response
/// (a partial batch response naming failed items); `None` when it was written.
fn not_written(answer: &serde_json::Value, body: &str) -> Option<String> {
    if let Some(error) = answer["FunctionError"].as_str() {
        return Some(format!("the writer failed ({error}): {}", body.trim()));
    }
    let response: serde_json::Value = serde_json::from_str(body).unwrap_or_default();
    let failures = response["batchItemFailures"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    if failures.is_empty() {
        None
    } else {
        let ids: Vec<&str> = failures
            .iter()
            .map(|f| f["itemIdentifier"].as_str().unwrap_or_default())
            .collect();
        Some(format!("the writer reported failed items {ids:?}"))
    }
}

/// ApproximateArrivalTimestamp as the CLI prints it (epoch seconds, or ISO 8601 with cli_timestamp_format), in ms.
fn arrival_ms(value: &serde_json::Value) -> i64 {
    match value {
        serde_json::Value::Number(n) => (n.as_f64().unwrap_or_default() * 1000.0) as i64,
        serde_json::Value::String(text) => chrono::DateTime::parse_from_rfc3339(text)
            .map(|t| t.timestamp_millis())
            .unwrap_or_default(),
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_function_error_or_failed_items_mean_not_written() {
        assert_eq!(
            not_written(&json!({"StatusCode": 200}), r#"{"batchItemFailures": []}"#),
            None
        );
        assert_eq!(not_written(&json!({"StatusCode": 200}), "null"), None);
        let error = not_written(
            &json!({"StatusCode": 200, "FunctionError": "Unhandled"}),
            r#"{"errorMessage": "boom"}"#,
        )
        .unwrap();
        assert!(
            error.contains("Unhandled") && error.contains("boom"),
            "{error}"
        );
        let failed = not_written(
            &json!({"StatusCode": 200}),
            r#"{"batchItemFailures": [{"itemIdentifier": "4960"}]}"#,
        )
        .unwrap();
        assert!(failed.contains("4960"), "{failed}");
    }

    #[test]
    fn arrival_times_read_in_both_cli_formats() {
        assert_eq!(arrival_ms(&json!(1573691884.835)), 1_573_691_884_835);
        assert_eq!(
            arrival_ms(&json!("2019-11-14T00:38:04.835000+00:00")),
            1_573_691_884_835
        );
    }
}
