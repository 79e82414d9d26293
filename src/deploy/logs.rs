//! `logs`: the writer's log since a while ago, read with `aws logs filter-log-events` (the AWS CLI v1 has no
//! `logs tail`), its JSON lines (tracing's JSON: `level` and `fields`, see function/src/main.rs) printed as
//! `time LEVEL message key=value ...`, any other line (Lambda's START/END/REPORT, EMF metrics) as it is after
//! its time. `--follow` reads again every few seconds until a signal, which ends it with 128 + the signal's
//! number and a one-line note.
//!
//! The log group is the stack's `WriterLogGroup` (the template gives the function a log group of its own), else
//! Lambda's default `/aws/lambda/<FunctionName>`.

use std::collections::HashSet;
use std::io::Write;
use std::time::Duration;

use serde::Deserialize;
use serde_json::Value;
use stream2neptune_process::shutdown::{Interrupted, Shutdown};

use super::aws::{Aws, Call, is_not_found};
use super::error::{Error, Result};
use super::stack::{self, logical, output, physical_id};
use super::{StackArgs, check_region, connect_quietly};

/// How often `--follow` reads new events.
const FOLLOW_EVERY: Duration = Duration::from_secs(2);
/// How often a wait looks for a signal.
const SIGNAL_CHECK: Duration = Duration::from_millis(100);

/// Flags of `logs`.
#[derive(Debug, clap::Args)]
pub struct LogsArgs {
    /// The region of the stack.
    #[arg(long, value_name = "REGION")]
    pub region: String,
    /// Stack name and workspace.
    #[command(flatten)]
    pub stack: StackArgs,
    /// Keep reading new lines (every 2 seconds) until Ctrl-C.
    #[arg(long)]
    pub follow: bool,
    /// How far back to start: a number and a unit, s, m, h or d (30s, 10m, 2h, 1d).
    #[arg(long, value_name = "AGO", default_value = "10m", value_parser = parse_since)]
    pub since: Duration,
}

/// Reads `30s`, `10m`, `2h` or `1d`.
pub fn parse_since(text: &str) -> std::result::Result<Duration, Error> {
    let bad = || Error::BadSince(text.to_owned());
    let split = text.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
    let (number, unit) = text.split_at(split);
    let number: u64 = number.parse().map_err(|_| bad())?;
    let seconds = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3_600,
        "d" => 86_400,
        _ => return Err(bad()),
    };
    if number == 0 {
        return Err(bad());
    }
    number
        .checked_mul(seconds)
        .map(Duration::from_secs)
        .ok_or_else(bad)
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
struct LogEvent {
    #[serde(default)]
    event_id: String,
    timestamp: i64,
    #[serde(default)]
    message: String,
}

/// `logs`: prints the writer's log since `--since`, and with `--follow` what comes after, until a signal.
pub fn run(args: &LogsArgs, out: &mut dyn Write, shutdown: &Shutdown) -> anyhow::Result<()> {
    let region = args.region.as_str();
    check_region(region)?;
    let mut sink = std::io::sink();
    let mut aws = connect_quietly(&args.stack, region, &mut sink, shutdown)?;
    let result = follow(&mut aws, args, out, shutdown);
    match result {
        Err(err) if err.stopped_by().is_some() => Err(Interrupted {
            signal: err.stopped_by().expect("checked above"),
            message: "the log was printed up to here".to_owned(),
        }
        .into()),
        other => Ok(other?),
    }
}

fn follow(
    aws: &mut Aws<'_>,
    args: &LogsArgs,
    out: &mut dyn Write,
    shutdown: &Shutdown,
) -> Result<()> {
    let (region, stack_name) = (args.region.as_str(), args.stack.stack_name.as_str());
    let group = log_group(aws, stack_name, region)?;
    let now = chrono::Utc::now().timestamp_millis();
    let mut start = now - i64::try_from(args.since.as_millis()).unwrap_or(i64::MAX);
    // Events at the last timestamp read are read again (the next start): their ids tell which were printed.
    let mut printed: HashSet<String> = HashSet::new();
    let mut said_missing = false;
    loop {
        let call = Call::new("logs", "filter-log-events", region)
            .arg("--log-group-name", &group)
            .arg("--start-time", start.to_string());
        match aws.read_quietly(&call) {
            Ok(answer) => {
                let events = answer
                    .as_ref()
                    .and_then(|a| a.get("events"))
                    .cloned()
                    .unwrap_or(Value::Array(Vec::new()));
                let mut events: Vec<LogEvent> = super::aws::parse_answer(&call, events)?;
                events.sort_by_key(|e| e.timestamp);
                let newest = events.last().map(|e| e.timestamp);
                for event in &events {
                    if printed.contains(&event.event_id) {
                        continue;
                    }
                    writeln!(out, "{}", format_line(event.timestamp, &event.message))
                        .map_err(Error::Output)?;
                }
                out.flush().map_err(Error::Output)?;
                if let Some(newest) = newest.filter(|n| *n > start) {
                    start = newest;
                    printed.clear();
                }
                printed.extend(
                    events
                        .iter()
                        .filter(|e| e.timestamp == start)
                        .map(|e| e.event_id.clone()),
                );
            }
            // The group appears with the function's first line.
            Err(Error::Aws { stderr, .. }) if is_not_found(&stderr) && !said_missing => {
                said_missing = true;
                stream2neptune_process::terminal::note(format!(
                    "log group {group} does not exist yet: the writer has logged nothing{}",
                    if args.follow { "; waiting for it" } else { "" }
                ));
            }
            Err(Error::Aws { stderr, .. }) if is_not_found(&stderr) => {}
            Err(err) => return Err(err),
        }
        if !args.follow {
            return Ok(());
        }
        wait(shutdown, FOLLOW_EVERY, &call)?;
    }
}

/// Sleeps `every`, or less when a signal comes.
fn wait(shutdown: &Shutdown, every: Duration, call: &Call) -> Result<()> {
    let until = std::time::Instant::now() + every;
    while std::time::Instant::now() < until {
        if let Some(signal) = shutdown.received() {
            return Err(Error::Stopped {
                signal,
                command: call.to_string(),
            });
        }
        std::thread::sleep(SIGNAL_CHECK);
    }
    Ok(())
}

/// The writer's log group: the stack's `WriterLogGroup`, else `/aws/lambda/<FunctionName>`.
fn log_group(aws: &mut Aws<'_>, stack_name: &str, region: &str) -> Result<String> {
    let info = stack::require(aws, stack_name, region)?;
    let resources = stack::resources(aws, stack_name, region)?;
    if let Some(group) = physical_id(&resources, logical::LOG_GROUP) {
        return Ok(group.to_owned());
    }
    let function = info
        .output(output::FUNCTION)
        .or_else(|| physical_id(&resources, logical::FUNCTION))
        .ok_or_else(|| Error::AwsOutput {
            command: format!("aws cloudformation list-stack-resources --stack-name {stack_name}"),
            detail: format!(
                "stack {stack_name} has no {} nor {} resource",
                logical::LOG_GROUP,
                logical::FUNCTION
            ),
            stdout: String::new(),
        })?;
    Ok(format!("/aws/lambda/{function}"))
}

/// One log event as a line: its time (UTC, milliseconds), then for the writer's JSON lines the level, the
/// message and the other fields as `key=value`; any other line as it is.
pub fn format_line(timestamp_ms: i64, message: &str) -> String {
    let time = chrono::DateTime::from_timestamp_millis(timestamp_ms)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
        .unwrap_or_else(|| timestamp_ms.to_string());
    let message = message.trim_end_matches(['\n', '\r']);
    match tracing_line(message) {
        Some(readable) => format!("{time} {readable}"),
        None => format!("{time} {message}"),
    }
}

/// A tracing JSON line (`{"level": .., "fields": {"message": .., ...}}`) as `LEVEL message key=value ...`.
fn tracing_line(message: &str) -> Option<String> {
    let Value::Object(line) = serde_json::from_str::<Value>(message.trim()).ok()? else {
        return None;
    };
    let level = line.get("level")?.as_str()?;
    let Value::Object(fields) = line.get("fields")? else {
        return None;
    };
    let mut text = format!("{level:<5}");
    if let Some(message) = fields.get("message") {
        text.push(' ');
        text.push_str(&value_text(message));
    }
    for (key, value) in fields.iter().filter(|(key, _)| *key != "message") {
        text.push_str(&format!(" {key}={}", quoted(&value_text(value))));
    }
    Some(text)
}

fn value_text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// A field value quoted when it holds spaces or quotes, so `key=value` pairs stay apart.
fn quoted(text: &str) -> String {
    if text.is_empty() || text.contains([' ', '"', '=']) {
        format!("{text:?}")
    } else {
        text.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_takes_a_number_and_a_unit() {
        assert_eq!(parse_since("30s").unwrap(), Duration::from_secs(30));
        assert_eq!(parse_since("10m").unwrap(), Duration::from_secs(600));
        assert_eq!(parse_since("2h").unwrap(), Duration::from_secs(7_200));
        assert_eq!(parse_since("1d").unwrap(), Duration::from_secs(86_400));
        for bad in [
            "",
            "10",
            "m",
            "10 m",
            "1.5h",
            "10min",
            "-1m",
            "0m",
            "1w",
            "99999999999999999999d",
        ] {
            let err = parse_since(bad).unwrap_err().to_string();
            assert!(
                err.starts_with(&format!(
                    "`{bad}` is not a duration: expected a whole number"
                )) && err.contains("30s, 10m, 2h, 1d"),
                "{bad}: {err}"
            );
        }
    }

    #[test]
    fn the_writers_json_lines_read_as_level_message_and_fields() {
        let line = r#"{"level":"INFO","fields":{"message":"invocation done","records":3,"edges_written":3,"first_unwritten":null}}"#;
        assert_eq!(
            format_line(1_764_611_636_123, line),
            "2025-12-01T17:53:56.123Z INFO  invocation done edges_written=3 first_unwritten=null records=3"
        );
        let error = "{\"level\":\"ERROR\",\"fields\":{\"message\":\"write failed\",\"error\":\"store said: no\",\"sequence_number\":\"4956\"}}\n";
        assert_eq!(
            format_line(1_764_611_636_000, error),
            "2025-12-01T17:53:56.000Z ERROR write failed error=\"store said: no\" sequence_number=4956"
        );
    }

    #[test]
    fn other_lines_are_printed_as_they_are() {
        for line in [
            "START RequestId: 8f5c Version: $LATEST",
            r#"{"_aws":{"Timestamp":1},"EdgesWritten":3}"#,
            "{not json",
        ] {
            assert_eq!(
                format_line(1_764_611_636_000, &format!("{line}\n")),
                format!("2025-12-01T17:53:56.000Z {line}")
            );
        }
    }
}
