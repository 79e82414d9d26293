//! The `drive` subcommand: puts the edge file (or the mixed workload's operations file, [`crate::records`]) on a
//! Kinesis stream at a set pace without losing or reordering anything.
//!
//! Every `period` the driver admits `batch size` edges (or `rate x period`) from the edge file
//! into an ordered queue; up to `concurrency` PutRecords calls drain it, 500 records at most per
//! call. Entries the stream refuses go back to the queue at their place and are resent with
//! exponential back-off and full jitter; later records of the same partition key wait (see
//! [`crate::schedule`]). When an edge keeps failing past the retry deadline, on a fatal error or
//! on Ctrl-C, the driver lets the calls in flight finish and writes everything not accepted to
//! the resume file; running the same command again sends exactly that, then the rest of the file.
//! The resume file is also saved every [`CHECKPOINT_INTERVAL`] with the calls in flight counted as
//! unsent, so a driver killed outright (or its instance lost) resumes without losing an edge; the
//! edges of those calls may then be sent twice, which the writer's idempotent writes absorb.

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};
use tokio::task::JoinSet;

use crate::aggregate::{AggregatingSink, EDGES_PER_CALL};
use crate::error::{DriveError, ResumeError};
use crate::records::{RecordReader, StreamRecord};
use crate::resume::{RESUME_FORMAT_VERSION, ResumeState, default_resume_path};
use crate::schedule::{Backoff, OrderedQueue, Pending};
use crate::sink::{
    CallError, EntryOutcome, KinesisSink, MAX_RECORDS_PER_CALL, MAX_REQUEST_BYTES, RecordSink,
    kinesis_client,
};
use stream2neptune_process::shutdown::{Interrupted, Shutdown, Signal};

/// Flags of `stream2neptune drive` (each also read from the environment variable shown, as the
/// EC2 driver's wrapper exports them from the stack's DriverSettings parameter).
#[derive(Debug, Clone, clap::Args)]
pub struct DriveArgs {
    /// Kinesis stream to put the edges on.
    #[arg(long, env = "STREAM_NAME")]
    pub stream: String,
    /// Edge file in the sample's layout (follows.csv.gz), or the mixed workload's operations.jsonl.gz (each record
    /// keyed by its partitionKey); gzip or plain.
    #[arg(long, env = "EDGE_FILE")]
    pub edges: PathBuf,
    /// Milliseconds between two batches (the sample's DriverPeriod); 0 sends as fast as the
    /// stream accepts.
    #[arg(long, env = "DRIVER_PERIOD_MS", default_value_t = 100)]
    pub period_ms: u64,
    /// Edges per period (the sample's DriverBatchSize, 1-3000).
    #[arg(long, env = "DRIVER_BATCH_SIZE", default_value_t = 100)]
    pub batch_size: u32,
    /// Target edges per second instead of --batch-size (edges per period = rate x period).
    #[arg(long, env = "DRIVER_RATE")]
    pub rate: Option<f64>,
    /// AWS region of the stream [default: the SDK's region chain].
    #[arg(long, env = "AWS_REGION")]
    pub region: Option<String>,
    /// Kinesis endpoint URL, e.g. http://127.0.0.1:4568 for kinesis-mock.
    #[arg(long)]
    pub endpoint_url: Option<String>,
    /// Where unsent edges are saved on stop and read back on start [default: <edges>.resume.json].
    #[arg(long, env = "RESUME_FILE")]
    pub resume_file: Option<PathBuf>,
    /// PutRecords calls in flight at once (1-64).
    #[arg(long, default_value_t = 4)]
    pub concurrency: usize,
    /// Give up on an edge that has failed for this many seconds (the rest goes to the resume file).
    #[arg(long, default_value_t = 300)]
    pub retry_deadline_secs: u64,
    /// Hide the progress bar.
    #[arg(long)]
    pub no_progress: bool,
    /// Put the edges as KPL aggregated records of up to 1,000 edges of one shard (the writer
    /// deaggregates them), to go past the 1,000 records/s a shard takes.
    #[arg(long, env = "DRIVER_AGGREGATION")]
    pub aggregate: bool,
}

/// How edges are admitted into the send queue.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Pacing {
    /// As fast as the stream accepts them.
    Unpaced,
    /// `edges` edges every `period` (fractions carry over to the next period).
    Every {
        /// Time between admissions.
        period: Duration,
        /// Edges per admission.
        edges: f64,
    },
}

/// A resolved driver configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct DriverConfig {
    /// The edge file.
    pub edge_file: PathBuf,
    /// The resume file.
    pub resume_file: PathBuf,
    /// Admission pace.
    pub pacing: Pacing,
    /// PutRecords calls in flight at once.
    pub concurrency: usize,
    /// Edges queued (not yet accepted) at most; admission waits above it.
    pub max_queued: usize,
    /// How long an edge may keep failing.
    pub retry_deadline: Duration,
    /// Back-off between attempts of an edge.
    pub backoff: Backoff,
    /// Show the progress bar.
    pub show_progress: bool,
    /// Save the resume file this often during the run (with the calls in flight counted as
    /// unsent), so a killed driver loses nothing; `None` saves only when stopping.
    pub checkpoint_every: Option<Duration>,
}

/// How often `drive` saves the resume file while running.
pub const CHECKPOINT_INTERVAL: Duration = Duration::from_secs(10);

impl DriverConfig {
    /// Validates the flags (stream, region and endpoint are the client's business).
    pub fn from_args(args: &DriveArgs) -> Result<Self, DriveError> {
        let invalid = |field, value: String, allowed: &str| DriveError::InvalidParameter {
            field,
            value,
            allowed: allowed.to_owned(),
        };
        if args.period_ms > 60_000 {
            return Err(invalid(
                "--period-ms",
                args.period_ms.to_string(),
                "0 (unpaced) to 60000",
            ));
        }
        if !(1..=3000).contains(&args.batch_size) {
            return Err(invalid(
                "--batch-size",
                args.batch_size.to_string(),
                "1 to 3000 (the sample's DriverBatchSize range)",
            ));
        }
        if !(1..=64).contains(&args.concurrency) {
            return Err(invalid(
                "--concurrency",
                args.concurrency.to_string(),
                "1 to 64",
            ));
        }
        if args.retry_deadline_secs == 0 {
            return Err(invalid(
                "--retry-deadline-secs",
                "0".into(),
                "at least 1 second",
            ));
        }
        let pacing = match (args.rate, args.period_ms) {
            (Some(rate), _) if !(rate > 0.0 && rate <= 1_000_000.0) => {
                return Err(invalid(
                    "--rate",
                    rate.to_string(),
                    "edges per second, more than 0 and at most 1000000",
                ));
            }
            (Some(rate), period_ms) => {
                let period = Duration::from_millis(if period_ms == 0 { 100 } else { period_ms });
                Pacing::Every {
                    period,
                    edges: rate * period.as_secs_f64(),
                }
            }
            (None, 0) => Pacing::Unpaced,
            (None, period_ms) => Pacing::Every {
                period: Duration::from_millis(period_ms),
                edges: f64::from(args.batch_size),
            },
        };
        let per_period = match pacing {
            Pacing::Every { edges, .. } => edges.ceil() as usize,
            Pacing::Unpaced => 0,
        };
        let edges_per_call = if args.aggregate {
            EDGES_PER_CALL
        } else {
            MAX_RECORDS_PER_CALL
        };
        Ok(Self {
            resume_file: args
                .resume_file
                .clone()
                .unwrap_or_else(|| default_resume_path(&args.edges)),
            edge_file: args.edges.clone(),
            pacing,
            concurrency: args.concurrency,
            max_queued: (edges_per_call * args.concurrency * 4).max(per_period * 2),
            retry_deadline: Duration::from_secs(args.retry_deadline_secs),
            backoff: Backoff {
                base: Duration::from_millis(100),
                cap: Duration::from_secs(10),
            },
            show_progress: !args.no_progress,
            checkpoint_every: Some(CHECKPOINT_INTERVAL),
        })
    }
}

/// How a drive ended without error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DriveOutcome {
    /// Every edge of the file was accepted; the resume file is deleted.
    Complete,
    /// Stopped on request; `unsent` edges are in `resume_file`.
    Interrupted {
        /// Edges read or resumed but not accepted.
        unsent: usize,
        /// Where they are.
        resume_file: PathBuf,
    },
}

/// Counters of a drive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DriveSummary {
    /// Edges the stream accepted in this run.
    pub accepted: u64,
    /// Edges taken over from the resume file.
    pub resumed: u64,
    /// Entries sent again after a failure.
    pub retries: u64,
    /// Entries refused with ProvisionedThroughputExceeded (per entry or per call).
    pub throttled: u64,
    /// PutRecords calls made.
    pub calls: u64,
    /// PutRecords calls that failed as a whole.
    pub failed_calls: u64,
    /// Time spent.
    pub elapsed: Duration,
    /// How it ended.
    pub outcome: DriveOutcome,
}

impl DriveSummary {
    /// Accepted edges per second.
    pub fn rate(&self) -> f64 {
        self.accepted as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

/// Where admitted edges come from: first the resume file's unsent edges, then the edge file.
struct EdgeSource {
    backlog: VecDeque<StreamRecord>,
    reader: RecordReader,
    edges_read: u64,
    exhausted: bool,
}

impl EdgeSource {
    fn next(&mut self) -> Result<Option<StreamRecord>, DriveError> {
        if let Some(edge) = self.backlog.pop_front() {
            return Ok(Some(edge));
        }
        if self.exhausted {
            return Ok(None);
        }
        match self.reader.next_record()? {
            Some(edge) => {
                self.edges_read += 1;
                Ok(Some(edge))
            }
            None => {
                self.exhausted = true;
                Ok(None)
            }
        }
    }

    fn is_done(&self) -> bool {
        self.exhausted && self.backlog.is_empty()
    }
}

fn edge_file_identity(path: &Path) -> String {
    std::fs::canonicalize(path)
        .unwrap_or_else(|_| path.to_owned())
        .display()
        .to_string()
}

fn open_source(config: &DriverConfig) -> Result<(EdgeSource, u64), DriveError> {
    let mut reader = RecordReader::open(&config.edge_file)?;
    let identity = edge_file_identity(&config.edge_file);
    let (backlog, edges_read) = match ResumeState::load(&config.resume_file)? {
        Some(state) => {
            if state.edge_file != identity {
                return Err(ResumeError::OtherEdgeFile {
                    path: config.resume_file.clone(),
                    recorded: state.edge_file,
                    given: identity,
                }
                .into());
            }
            reader.skip(state.edges_read)?;
            (VecDeque::from(state.unsent), state.edges_read)
        }
        None => (VecDeque::new(), 0),
    };
    let resumed = backlog.len() as u64;
    Ok((
        EdgeSource {
            backlog,
            reader,
            edges_read,
            exhausted: false,
        },
        resumed,
    ))
}

fn progress_bar(show: bool) -> ProgressBar {
    if !show {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::no_length();
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {human_pos} edges accepted ({per_sec}) {msg}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    let bar = stream2neptune_process::terminal::show(bar);
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}

/// Why the loop stopped early.
enum Stop {
    Requested,
    Input(DriveError),
    Deadline { last_error: String },
    Fatal(String),
}

/// The answer of one PutRecords task, with the task's id.
type Joined =
    Result<(tokio::task::Id, Result<Vec<EntryOutcome>, CallError>), tokio::task::JoinError>;

/// The state of one drive: where edges come from, the queue, the calls in flight, the counters.
struct Run<'a, S> {
    config: &'a DriverConfig,
    sink: Arc<S>,
    source: EdgeSource,
    queue: OrderedQueue,
    in_flight: HashMap<tokio::task::Id, Vec<Pending>>,
    calls: JoinSet<Result<Vec<EntryOutcome>, CallError>>,
    summary: DriveSummary,
    stop: Option<Stop>,
    credit: f64,
    bar: ProgressBar,
    /// Whether the endpoint has answered a call at all.
    answered: bool,
}

impl<S: RecordSink> Run<'_, S> {
    /// Edges queued or in flight.
    fn pending(&self) -> usize {
        self.queue.len() + self.in_flight.values().map(Vec::len).sum::<usize>()
    }

    /// Moves up to `count` edges from the source into the queue, fewer when it is full.
    fn admit(&mut self, count: usize) {
        let count = count.min(self.config.max_queued.saturating_sub(self.pending()));
        for _ in 0..count {
            match self.source.next() {
                Ok(Some(edge)) => self.queue.push(edge),
                Ok(None) => break,
                Err(e) => {
                    self.stop = Some(Stop::Input(e));
                    break;
                }
            }
        }
    }

    /// Admits one period's edges; a fraction carries over to the next period.
    fn admit_period(&mut self, edges: f64) {
        self.credit += edges;
        let whole = self.credit.floor();
        self.credit -= whole;
        self.admit(whole as usize);
    }

    /// Starts calls while there is room for one and something ready to send.
    fn dispatch(&mut self, now: Instant) {
        while self.stop.is_none() && self.calls.len() < self.config.concurrency {
            let batch = self
                .queue
                .take_batch(now, self.sink.edges_per_call(), MAX_REQUEST_BYTES);
            if batch.is_empty() {
                break;
            }
            self.summary.retries += batch.iter().filter(|p| p.failures > 0).count() as u64;
            self.summary.calls += 1;
            let entries = batch.iter().map(Pending::entry).collect();
            let sink = Arc::clone(&self.sink);
            let handle = self
                .calls
                .spawn(async move { sink.put_records(entries).await });
            self.in_flight.insert(handle.id(), batch);
        }
    }

    /// Settles a finished call: accepted edges leave, failed ones wait for their retry.
    fn on_call_done(&mut self, joined: Joined) {
        let (id, result) = match joined {
            Ok((id, result)) => (id, result),
            Err(e) => (
                e.id(),
                Err(CallError::Retryable {
                    throttled: false,
                    message: format!("PutRecords task failed: {e}"),
                }),
            ),
        };
        let batch = self.in_flight.remove(&id).unwrap_or_default();
        let now = Instant::now();
        let backoff = &self.config.backoff;
        match result {
            Ok(outcomes) => {
                self.answered = true;
                let settled = self
                    .queue
                    .settle(batch.into_iter().zip(outcomes), now, backoff);
                self.summary.accepted += settled.accepted;
                self.summary.throttled += settled.throttled;
            }
            // An endpoint that never answered is a wrong endpoint or region, not a busy stream: say so at once
            // instead of retrying until the deadline. Once it has answered, a lost connection is retried.
            Err(CallError::Unreachable(message)) if !self.answered => {
                self.summary.failed_calls += 1;
                self.queue.release(batch);
                self.stop.get_or_insert(Stop::Fatal(format!(
                    "cannot reach the Kinesis endpoint ({message}); check --endpoint-url, --region and that this machine can reach the endpoint (a refused connection is not a throttle)"
                )));
            }
            Err(CallError::Unreachable(message)) => self.retry_later(batch, false, &message, now),
            Err(CallError::Retryable { throttled, message }) => {
                self.retry_later(batch, throttled, &message, now)
            }
            Err(CallError::Fatal(message)) => {
                self.summary.failed_calls += 1;
                self.queue.release(batch);
                self.stop.get_or_insert(Stop::Fatal(message));
            }
        }
        self.bar.set_position(self.summary.accepted);
        self.bar.set_message(format!(
            "throttled {} · retries {} · queued {}",
            self.summary.throttled,
            self.summary.retries,
            self.pending()
        ));
    }

    /// Puts back a batch whose whole call failed, to be sent again after its backoff.
    fn retry_later(&mut self, batch: Vec<Pending>, throttled: bool, message: &str, now: Instant) {
        self.summary.failed_calls += 1;
        if throttled {
            self.summary.throttled += batch.len() as u64;
        }
        let failed = batch.into_iter().map(|p| {
            let outcome = EntryOutcome::Failed {
                code: "CallFailed".into(),
                message: message.to_owned(),
            };
            (p, outcome)
        });
        self.queue.settle(failed, now, &self.config.backoff);
    }

    /// Stops the run when the edge failing the longest is past the retry deadline.
    fn check_deadline(&mut self) {
        if self.stop.is_none()
            && let Some(p) = self.queue.longest_failing()
            && p.first_failure
                .is_some_and(|t| t.elapsed() > self.config.retry_deadline)
        {
            self.stop = Some(Stop::Deadline {
                last_error: p.last_error.clone().unwrap_or_default(),
            });
        }
    }

    /// What a later run needs: every edge not accepted yet (those of the calls in flight
    /// included) in send order, and how far the edge file was read.
    fn resume_state(&self) -> ResumeState {
        let mut unsent = self.queue.unsent_with(self.in_flight.values().flatten());
        unsent.extend(self.source.backlog.iter().cloned());
        ResumeState {
            version: RESUME_FORMAT_VERSION,
            edge_file: edge_file_identity(&self.config.edge_file),
            edges_read: self.source.edges_read,
            unsent,
        }
    }

    /// Ends the run: deletes the resume file after a complete run, writes it otherwise.
    fn finish(mut self, elapsed: Duration) -> Result<DriveSummary, DriveError> {
        self.summary.elapsed = elapsed;
        self.bar.finish_and_clear();
        let resume_file = self.config.resume_file.clone();
        let Some(stop) = self.stop.take() else {
            ResumeState::remove(&resume_file)?;
            return Ok(self.summary);
        };
        let state = self.resume_state();
        let unsent = state.unsent.len();
        state.save(&resume_file)?;
        match stop {
            Stop::Requested => {
                self.summary.outcome = DriveOutcome::Interrupted {
                    unsent,
                    resume_file,
                };
                Ok(self.summary)
            }
            Stop::Input(err) => Err(err),
            Stop::Deadline { last_error } => Err(DriveError::DeadlineExceeded {
                unsent,
                deadline_secs: self.config.retry_deadline.as_secs(),
                last_error,
                resume_file,
            }),
            Stop::Fatal(message) => Err(DriveError::Fatal {
                message,
                resume_file,
            }),
        }
    }
}

fn interval(first: tokio::time::Instant, period: Duration) -> tokio::time::Interval {
    let mut interval = tokio::time::interval_at(first, period);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    interval
}

/// Drives the edge file into `sink` until every edge is accepted, `shutdown` completes, an edge
/// fails past the retry deadline, the edge file has a bad line or a fatal error occurs. On every
/// early stop the calls in flight finish and the unsent edges are saved to the resume file.
pub async fn drive<S: RecordSink>(
    sink: Arc<S>,
    config: &DriverConfig,
    shutdown: impl Future<Output = ()>,
) -> Result<DriveSummary, DriveError> {
    let started = Instant::now();
    let (source, resumed) = open_source(config)?;
    let mut run = Run {
        config,
        sink,
        source,
        queue: OrderedQueue::new(),
        in_flight: HashMap::new(),
        calls: JoinSet::new(),
        summary: DriveSummary {
            accepted: 0,
            resumed,
            retries: 0,
            throttled: 0,
            calls: 0,
            failed_calls: 0,
            elapsed: Duration::ZERO,
            outcome: DriveOutcome::Complete,
        },
        stop: None,
        credit: 0.0,
        answered: false,
        bar: progress_bar(config.show_progress),
    };
    let start = tokio::time::Instant::now();
    let (mut tick, per_period) = match config.pacing {
        Pacing::Every { period, edges } => (Some(interval(start, period)), edges),
        Pacing::Unpaced => (None, 0.0),
    };
    let mut checkpoint = config
        .checkpoint_every
        .map(|every| interval(start + every, every));
    let mut shutdown = std::pin::pin!(shutdown);

    loop {
        if run.stop.is_none() && tick.is_none() {
            run.admit(usize::MAX);
        }
        let now = Instant::now();
        run.dispatch(now);
        let drained = run.source.is_done() && run.queue.is_empty();
        if run.calls.is_empty() && (run.stop.is_some() || drained) {
            break;
        }
        let running = run.stop.is_none();
        let wake = if running && run.calls.len() < config.concurrency {
            run.queue.next_ready_at(now)
        } else {
            None
        };
        let admitting = running && !run.source.is_done() && tick.is_some();
        tokio::select! {
            Some(joined) = run.calls.join_next_with_id(), if !run.calls.is_empty() => {
                run.on_call_done(joined);
            }
            _ = async { tick.as_mut().expect("admitting implies a tick").tick().await }, if admitting => {
                run.admit_period(per_period);
            }
            _ = async { checkpoint.as_mut().expect("guarded by is_some").tick().await }, if running && checkpoint.is_some() => {
                if let Err(e) = run.resume_state().save(&config.resume_file) {
                    run.stop = Some(Stop::Input(e.into()));
                }
            }
            _ = tokio::time::sleep_until(wake.unwrap_or(now).into()), if wake.is_some() => {}
            _ = &mut shutdown, if running => {
                run.stop = Some(Stop::Requested);
            }
        }
        run.check_deadline();
    }
    run.finish(started.elapsed())
}

/// Runs `stream2neptune drive`: on a signal of `shutdown` it stops after the calls in flight and saves the rest
/// to the resume file.
pub async fn run_drive(args: DriveArgs, shutdown: Shutdown) -> anyhow::Result<()> {
    let config = DriverConfig::from_args(&args)?;
    let client = kinesis_client(args.region.clone(), args.endpoint_url.clone()).await;
    let stop = async {
        shutdown.wait().await;
    };
    let (summary, aggregates) = if args.aggregate {
        let sink = Arc::new(AggregatingSink::new(client, &args.stream));
        let summary = drive(Arc::clone(&sink), &config, stop).await?;
        (summary, Some(sink.aggregates_accepted()))
    } else {
        let sink = Arc::new(KinesisSink::new(client, &args.stream));
        (drive(sink, &config, stop).await?, None)
    };
    // Not println!: after SIGHUP stdout may be a closed terminal, and the resume file must still be reported.
    let _ = writeln!(
        std::io::stdout(),
        "{} edges accepted by {} in {:.1} s ({:.0}/s){}; {} resumed from the last run, {} PutRecords calls ({} failed), {} entries throttled, {} resent",
        summary.accepted,
        args.stream,
        summary.elapsed.as_secs_f64(),
        summary.rate(),
        aggregates.map_or(String::new(), |n| format!(" in {n} KPL aggregated records")),
        summary.resumed,
        summary.calls,
        summary.failed_calls,
        summary.throttled,
        summary.retries
    );
    match summary.outcome {
        DriveOutcome::Complete => Ok(()),
        DriveOutcome::Interrupted {
            unsent,
            resume_file,
        } => Err(Interrupted {
            signal: shutdown.received().unwrap_or(Signal::Interrupt),
            message: format!(
                "{unsent} edges not sent yet are saved in {}; run the same command again to resume",
                resume_file.display()
            ),
        }
        .into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        drive: DriveArgs,
    }

    fn parse(extra: &[&str]) -> Result<DriverConfig, DriveError> {
        let mut argv = vec!["x", "--stream", "s", "--edges", "/d/follows.csv.gz"];
        argv.extend_from_slice(extra);
        DriverConfig::from_args(&Cli::parse_from(argv).drive)
    }

    #[test]
    fn defaults_follow_the_sample() {
        let c = parse(&[]).unwrap();
        assert_eq!(
            c.pacing,
            Pacing::Every {
                period: Duration::from_millis(100),
                edges: 100.0
            }
        );
        assert_eq!(
            c.resume_file,
            PathBuf::from("/d/follows.csv.gz.resume.json")
        );
    }

    #[test]
    fn rate_and_unpaced_modes() {
        assert_eq!(
            parse(&["--rate", "25", "--period-ms", "200"])
                .unwrap()
                .pacing,
            Pacing::Every {
                period: Duration::from_millis(200),
                edges: 5.0
            }
        );
        assert_eq!(
            parse(&["--period-ms", "0"]).unwrap().pacing,
            Pacing::Unpaced
        );
    }

    #[test]
    fn aggregation_queues_room_for_every_call_in_flight() {
        assert_eq!(parse(&[]).unwrap().max_queued, MAX_RECORDS_PER_CALL * 4 * 4);
        assert_eq!(
            parse(&["--aggregate", "--concurrency", "2"])
                .unwrap()
                .max_queued,
            EDGES_PER_CALL * 2 * 4
        );
    }

    #[test]
    fn bad_flags_name_the_flag_value_and_range() {
        for (argv, expected) in [
            (
                &["--batch-size", "0"][..],
                "invalid --batch-size = 0: 1 to 3000",
            ),
            (
                &["--period-ms", "70000"][..],
                "invalid --period-ms = 70000: 0 (unpaced) to 60000",
            ),
            (
                &["--concurrency", "0"][..],
                "invalid --concurrency = 0: 1 to 64",
            ),
            (&["--rate=-1"][..], "invalid --rate = -1: edges per second"),
            (
                &["--retry-deadline-secs", "0"][..],
                "invalid --retry-deadline-secs = 0",
            ),
        ] {
            let err = parse(argv).unwrap_err().to_string();
            assert!(
                err.starts_with(expected),
                "{err:?} should start with {expected:?}"
            );
        }
    }
}
