//! What every workload's demo runs the same way: the state directory and its log file ([`Session`]), the services
//! ([`start_stack`]), the records driven into the local stream while the local event source mapping runs the writer
//! and the wait for the stream to drain ([`send_and_drain`]), with the progress line, and the report's facts of the
//! run ([`run_facts`]). The workloads' own parts (the data set, what the store is checked against, the summary line)
//! are in [`crate::demo`] (`follows`) and [`crate::demo_mixed`].

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use anyhow::Context as _;
use indicatif::{ProgressBar, ProgressStyle};
use stream2neptune_plan::Name;
use stream2neptune_process::shutdown::{Interrupted, Shutdown};
use stream2neptune_process::terminal;
use stream2neptune_workload::aggregate::AggregatingSink;
use stream2neptune_workload::driver::{DriveArgs, DriveOutcome, DriveSummary, DriverConfig, drive};
use stream2neptune_workload::logs::{self, LogFile};
use stream2neptune_workload::sink::{CallError, EntryOutcome, KinesisSink, PutEntry, RecordSink};

use crate::demo_args::DemoArgs;
use crate::metrics::RunMetrics;
use crate::paths::{StateDir, StateLock};
use crate::settings::LocalPlan;
use crate::stack::{LocalStack, MAPPING_STOP_TIMEOUT, Ports};

/// A demo's plan and its state directory, held for this process and cleared, with the log file the writer's and
/// the mapping's lines go to.
pub struct Session {
    /// The region's plan after `--set`.
    pub plan: LocalPlan,
    /// The state directory.
    pub state: StateDir,
    /// The log file.
    pub log: LogFile,
    _held: StateLock,
}

impl Session {
    /// Loads the plan, takes the state directory and clears it, and sends the log lines to its log file.
    pub fn open(args: &DemoArgs) -> anyhow::Result<Self> {
        let plan = LocalPlan::load(&args.config, &args.region, &args.sets)?;
        let state = StateDir::create(
            args.state_dir
                .clone()
                .unwrap_or_else(StateDir::default_root),
        )?;
        let held = state.lock("demo")?;
        state.reset()?;
        // The writer's and the mapping's lines go to the log file: the terminal is the progress line's.
        let log_path = state.log("pipeline");
        let log = LogFile::attach(&log_path, logs::Terminal::Quiet)
            .with_context(|| format!("creating the log file {}", log_path.display()))?;
        Ok(Session {
            plan,
            state,
            log,
            _held: held,
        })
    }

    /// The region's settings, for the demo's first line.
    pub fn settings(&self) -> String {
        let plan = &self.plan;
        format!(
            "region {} ({} shards, BatchSize {}, BatchWriteSize {}, ParallelizationFactor {}, QueryLanguage {})",
            plan.region,
            plan.shard_count,
            plan.esm.batch_size,
            plan.batch_write_size,
            plan.esm.parallelization_factor,
            plan.query_language,
        )
    }
}

/// Starts the stream server and the store of the session's plan, and says where they are; a signal stops it with
/// nothing sent.
pub async fn start_stack(
    session: &Session,
    args: &DemoArgs,
    shutdown: &Shutdown,
) -> anyhow::Result<LocalStack> {
    let stack = shutdown
        .or_signal(LocalStack::up(
            session.plan.clone(),
            session.state.clone(),
            Ports {
                stream_server: args.stream_server,
                ..Ports::default()
            },
        ))
        .await
        .map_err(|signal| Interrupted {
            signal,
            message: "demo stopped while starting the services; nothing was sent".into(),
        })??;
    let (kinesis_pid, store_pid) = stack.pids();
    terminal::note(format!(
        "demo: {} at {} (pid {}), {} ({}) at {} (pid {}), state in {}",
        stack.kinesis.kind,
        stack.kinesis.endpoint(),
        kinesis_pid.unwrap_or_default(),
        stack.store.name(),
        stack.store.language(),
        stack.store.url(),
        store_pid.unwrap_or_default(),
        session.state.root.display()
    ));
    Ok(stack)
}

/// What a demo sends and what its progress line counts.
pub struct Sending<'a> {
    /// The driver's input: an edge file, or an operations file.
    pub file: &'a Path,
    /// The records in it.
    pub records: u64,
    /// What they are, in the messages ("edges", "records").
    pub record_unit: &'static str,
    /// What the progress line counts to: edges, or operations.
    pub total: u64,
    /// What it counts, in the messages ("edges", "operations").
    pub unit: &'static str,
    /// The run metric the progress line shows written.
    pub written: fn(&RunMetrics) -> &AtomicU64,
    /// How the progress line names the records the stream accepted.
    pub sent_label: &'static str,
}

/// The records sent and the stream drained: the run's metrics and the driver's summary.
pub struct Sent {
    /// The run's metrics (the writer's EMF, the mapping's counts, the records sent).
    pub metrics: Arc<RunMetrics>,
    /// The driver's summary.
    pub driven: DriveSummary,
}

/// Starts the mapping, drives `sending.file` into the stream at the demo's rate, waits until the stream is drained
/// and stops the mapping; a service that dies ends the run at once, a signal stops it in order.
pub async fn send_and_drain(
    stack: &LocalStack,
    args: &DemoArgs,
    sending: &Sending<'_>,
    shutdown: &Shutdown,
) -> anyhow::Result<Sent> {
    let (plan, state) = (&stack.plan, &stack.state);
    let metrics = Arc::new(RunMetrics::keeping_on_failure_edges());
    let mut mapping = stack
        .start_mapping(stack.writer_deps()?, Arc::clone(&metrics))
        .await?;

    let rate = match args.rate {
        Some(rate) => Some(rate),
        None => Some(plan.driver_batch_size as f64 * 1000.0 / plan.driver_period_ms.max(1) as f64),
    }
    .filter(|r| *r > 0.0);
    let progress = Progress::start(sending, args.no_progress, Arc::clone(&metrics));
    let drive_and_drain = async {
        let driven = drive_edges(stack, sending.file, rate, Arc::clone(&metrics), shutdown).await;
        let drained = match &driven {
            Ok(d) if d.outcome == DriveOutcome::Complete => {
                shutdown
                    .or_signal(mapping.wait_drained(Duration::from_secs(args.drain_timeout_secs)))
                    .await
            }
            _ => Ok(Ok(false)),
        };
        (driven, drained)
    };
    // A service that dies ends the run at once, rather than after the driver's and the drain's time-outs.
    let ran = tokio::select! {
        ran = drive_and_drain => Ok(ran),
        exited = stack.first_exit() => Err(exited),
    };
    drop(progress);
    let stop = tokio::time::timeout(MAPPING_STOP_TIMEOUT, mapping.stop()).await;
    let unit = sending.unit;
    let (driven, drained) = match ran {
        Ok(ran) => ran,
        Err(exited) => anyhow::bail!(
            "{} exited during the run, after {} of {} {} were sent and {} {unit} written; see its log {}; services stopped (a new `demo` starts over)",
            exited.service,
            RunMetrics::get(&metrics.sent),
            sending.records,
            sending.record_unit,
            RunMetrics::get((sending.written)(&metrics)),
            exited.log.display()
        ),
    };
    let files = format!(
        "checkpoints in {}, on-failure records in {}",
        state.checkpoints().display(),
        state.on_failure_paths()
    );
    if let Some(signal) = shutdown.received() {
        let sent = RunMetrics::get(&metrics.sent);
        return Err(Interrupted {
            signal,
            message: format!(
                "demo stopped after {sent} of {} {} were sent; services stopped; {files}, the driver's unsent {} in {} (a new `demo` starts over)",
                sending.records,
                sending.record_unit,
                sending.record_unit,
                stack.state.root.join("drive.resume.json").display()
            ),
        }
        .into());
    }
    let driven = driven?;
    let drained = drained.unwrap_or(Ok(false))?;
    match stop {
        Ok(stopped) => stopped?,
        Err(_) => anyhow::bail!(
            "the event source mapping did not stop within {} s; {files}",
            MAPPING_STOP_TIMEOUT.as_secs()
        ),
    }
    if !drained {
        anyhow::bail!(
            "the stream was not drained within {} s (see the logs in {} and the iterator ages above)",
            args.drain_timeout_secs,
            state.root.join("logs").display()
        );
    }
    Ok(Sent { metrics, driven })
}

/// The report's facts of a run: the settings, the driver's rate, the invocations, then `extra`, then the run time.
pub fn run_facts(
    stack: &LocalStack,
    sent: &Sent,
    unit: &str,
    extra: Vec<(String, String)>,
) -> Vec<(String, String)> {
    let plan = &stack.plan;
    let mut facts = vec![
        ("region".into(), plan.region.clone()),
        (
            Name::QueryLanguage.to_string(),
            format!("{} ({})", plan.query_language, stack.store.name()),
        ),
        ("shards".into(), plan.shard_count.to_string()),
        ("BatchSize".into(), plan.esm.batch_size.to_string()),
        (
            Name::DriverAggregation.to_string(),
            plan.driver_aggregation.to_string(),
        ),
        (
            Name::BatchWriteSize.to_string(),
            plan.batch_write_size.to_string(),
        ),
        (
            Name::ParallelizationFactor.to_string(),
            plan.esm.parallelization_factor.to_string(),
        ),
        (
            "driver rate".into(),
            format!("{:.0} {unit}/s", sent.driven.rate()),
        ),
        (
            "invocations".into(),
            sent.metrics.invocations.load(Ordering::Relaxed).to_string(),
        ),
    ];
    facts.extend(extra);
    facts.push((
        "run time".into(),
        format!("{:.1} s", sent.metrics.elapsed_secs()),
    ));
    facts
}

/// The demo's last note before its summary line: the driver's rate, where the report and the log are.
pub fn note_finished(sent: &Sent, unit: &str, report: &Path, log: &LogFile) {
    terminal::note(format!(
        "demo: {} {unit}/s sent for {:.1} s; report in {}; log in {} ({} warnings)",
        sent.driven.rate().round(),
        sent.driven.elapsed.as_secs_f64(),
        report.display(),
        log.path().display(),
        logs::warnings().count
    ));
}

/// Counts accepted records into the run metrics on their way to Kinesis.
struct CountingSink<S> {
    inner: S,
    metrics: Arc<RunMetrics>,
}

impl<S: RecordSink> RecordSink for CountingSink<S> {
    fn edges_per_call(&self) -> usize {
        self.inner.edges_per_call()
    }

    async fn put_records(&self, entries: Vec<PutEntry>) -> Result<Vec<EntryOutcome>, CallError> {
        let outcomes = self.inner.put_records(entries).await?;
        let accepted = outcomes
            .iter()
            .filter(|o| **o == EntryOutcome::Accepted)
            .count();
        self.metrics
            .sent
            .fetch_add(accepted as u64, Ordering::Relaxed);
        Ok(outcomes)
    }
}

/// Drives `file` (an edge file, or an operations file) into the stack's stream with the workload's driver (`rate`
/// records/s, `None` = as fast as the stream takes them), counting accepted records into `metrics.sent`. A signal
/// of `shutdown` stops it after the calls in flight, with the unsent records in `drive.resume.json` of the state
/// dir.
pub async fn drive_edges(
    stack: &LocalStack,
    file: &Path,
    rate: Option<f64>,
    metrics: Arc<RunMetrics>,
    shutdown: &Shutdown,
) -> anyhow::Result<DriveSummary> {
    let plan = &stack.plan;
    let resume_file = stack.state.root.join("drive.resume.json");
    // A resume file of an earlier, interrupted run would replay its records: this run starts over.
    let _ = std::fs::remove_file(&resume_file);
    let driver = DriverConfig::from_args(&DriveArgs {
        stream: plan.stream_name.clone(),
        edges: file.to_owned(),
        period_ms: if rate.is_some() { 100 } else { 0 },
        batch_size: 100,
        rate,
        region: Some(plan.region.clone()),
        endpoint_url: Some(stack.kinesis.endpoint()),
        resume_file: Some(resume_file),
        concurrency: 4,
        retry_deadline_secs: 300,
        no_progress: true,
        aggregate: plan.driver_aggregation,
    })?;
    let stop = async {
        shutdown.wait().await;
    };
    if plan.driver_aggregation {
        let inner = AggregatingSink::new(stack.client.clone(), &plan.stream_name);
        drive(Arc::new(CountingSink { inner, metrics }), &driver, stop).await
    } else {
        let inner = KinesisSink::new(stack.client.clone(), &plan.stream_name);
        drive(Arc::new(CountingSink { inner, metrics }), &driver, stop).await
    }
    .with_context(|| format!("driving {} into {}", file.display(), stack.kinesis.kind))
}

/// The demo's progress bar and the task that refreshes it from the run metrics; dropping it clears the bar.
struct Progress {
    bar: ProgressBar,
    metrics: Arc<RunMetrics>,
    line: Line,
    ticker: tokio::task::JoinHandle<()>,
}

/// What the progress line shows: the metric written, and how it names the records sent.
#[derive(Clone, Copy)]
struct Line {
    written: fn(&RunMetrics) -> &AtomicU64,
    sent_label: &'static str,
}

impl Progress {
    fn start(sending: &Sending<'_>, hidden: bool, metrics: Arc<RunMetrics>) -> Self {
        let bar = terminal::show(progress_bar(sending.total, hidden));
        let line = Line {
            written: sending.written,
            sent_label: sending.sent_label,
        };
        let ticker = {
            let (bar, metrics) = (bar.clone(), Arc::clone(&metrics));
            tokio::spawn(async move {
                loop {
                    show_progress(&bar, &metrics, line);
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
            })
        };
        Progress {
            bar,
            metrics,
            line,
            ticker,
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.ticker.abort();
        show_progress(&self.bar, &self.metrics, self.line);
        self.bar.finish_and_clear();
    }
}

fn progress_bar(total: u64, hidden: bool) -> ProgressBar {
    if hidden {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(total);
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] [{bar:30}] {pos}/{len} written ({per_sec}) {msg}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    bar
}

fn show_progress(bar: &ProgressBar, metrics: &RunMetrics, line: Line) {
    let get = RunMetrics::get;
    bar.set_position(get((line.written)(metrics)));
    let ages: Vec<String> = metrics
        .iterator_ages()
        .values()
        .map(|ms| format!("{:.1}", *ms as f64 / 1000.0))
        .collect();
    let warnings = logs::warnings();
    let last = warnings
        .last
        .map(|reason| format!(", last: {}", shorten(&reason, LAST_WARNING_CHARS)))
        .unwrap_or_default();
    bar.set_message(format!(
        "· {} {} · rejected {} · on-failure {} · iterator age s [{}] · retries {} · warnings {}{last}",
        line.sent_label,
        get(&metrics.sent),
        get(&metrics.rejected),
        get(&metrics.on_failure),
        ages.join(" "),
        get(&metrics.retries),
        warnings.count,
    ));
}

/// How much of the last warning the progress line shows (the whole one is in the log file).
const LAST_WARNING_CHARS: usize = 60;

/// `text` on one line, cut to `max` characters with an ellipsis.
fn shorten(text: &str, max: usize) -> String {
    let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() <= max {
        return one_line;
    }
    let mut cut: String = one_line.chars().take(max.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_warning_is_shown_on_one_line_cut_to_its_width() {
        assert_eq!(shorten("store\n  slow", 60), "store slow");
        assert_eq!(
            shorten("write failed, retrying: Conflict", 14),
            "write failed,…"
        );
        assert_eq!(shorten("exactly", 7), "exactly");
    }
}
