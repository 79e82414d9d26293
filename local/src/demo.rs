//! `make demo` / `stream2neptune demo`: the whole pipeline end to end on this machine, in the region's
//! QueryLanguage (`--set QueryLanguage=...` picks another). Generates a data set, loads the people into the store
//! of that language, drives the edges through the local stream server at the region's pace, lets the local event
//! source mapping run the writer, waits until the stream is drained, counts what the store holds with the store's
//! own queries, writes `.local/report.html` and prints one summary line. The terminal shows the progress line
//! (retries, and the warnings with the last one's text) and ERROR lines; every log line of the writer and the
//! mapping is in `.local/logs/pipeline.log` (RUST_LOG prints them on the terminal too).

use std::collections::HashSet;
use std::io::Write as _;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use anyhow::Context as _;
use indicatif::{ProgressBar, ProgressStyle};
use stream2neptune_plan::Name;
use stream2neptune_process::shutdown::{Interrupted, Shutdown};
use stream2neptune_process::terminal;
use stream2neptune_workload::aggregate::AggregatingSink;
use stream2neptune_workload::dataset::{DatasetArgs, DatasetConfig, DatasetSummary, generate};
use stream2neptune_workload::driver::{DriveArgs, DriveOutcome, DriveSummary, DriverConfig, drive};
use stream2neptune_workload::edges::EdgeReader;
use stream2neptune_workload::logs::{self, LogFile};
use stream2neptune_workload::sink::{CallError, EntryOutcome, KinesisSink, PutEntry, RecordSink};

use crate::edge_store::EdgeStore as _;
use crate::metrics::RunMetrics;
use crate::paths::StateDir;
use crate::report::{self, ReportSummary};
use crate::services::StreamServerKind;
use crate::settings::LocalPlan;
use crate::stack::{LocalStack, MAPPING_STOP_TIMEOUT, Ports};

/// Flags of `stream2neptune demo`.
#[derive(Debug, Clone, clap::Args)]
pub struct DemoArgs {
    /// Region whose rendered settings (shards, batch sizes, retries...) the local pipeline uses.
    #[arg(long, default_value = "us-east-1")]
    pub region: String,
    /// The config file, as for `render`: a `defaults:` table and `regions: <region>: {overrides}`.
    #[arg(long, value_name = "PATH", default_value = "stack.yaml")]
    pub config: PathBuf,
    /// Override a parameter, as for `render` (repeatable), e.g. --set ParallelizationFactor=2, or --set
    /// QueryLanguage=sparql for another store (gremlin: Gremlin Server, sparql: Oxigraph, opencypher: Neo4j).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub sets: Vec<String>,
    /// Edges to generate and send.
    #[arg(long, default_value_t = 20_000, value_parser = clap::value_parser!(u64).range(1..))]
    pub edges: u64,
    /// People in the data set [default: edges / 10, at least 100].
    #[arg(long)]
    pub people: Option<u32>,
    /// Edges per second; 0 sends as fast as the stream takes them [default: the region's DriverBatchSize per
    /// DriverPeriod].
    #[arg(long)]
    pub rate: Option<f64>,
    /// Seed of the data set.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// State directory; the demo clears it first [default: .local at the workspace root].
    #[arg(long)]
    pub state_dir: Option<PathBuf>,
    /// Longest wait for the stream to drain after the last edge is sent, in seconds.
    #[arg(long, default_value_t = 600)]
    pub drain_timeout_secs: u64,
    /// Hide the progress bar.
    #[arg(long)]
    pub no_progress: bool,
    /// The local Kinesis: kinesalite (the faster) or kinesis-mock.
    #[arg(long, value_enum, hide_possible_values = true, default_value_t = StreamServerKind::default())]
    pub stream_server: StreamServerKind,
    /// Print the query language the demo would run (the region's QueryLanguage after --set) and exit: `make demo`
    /// installs the store of that language only.
    #[arg(long)]
    pub print_language: bool,
}

/// What the demo found, counted from the store and the sinks independently: every edge sent is held by the store,
/// rejected with its record in the rejects file, waiting in the on-failure destination, or lost, and no term is
/// computed from another.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoOutcome {
    /// The terms of `sent`: held, rejected, on-failure, lost (and unaccounted).
    pub terms: Terms,
    /// `follows` edges in the store (distinct pairs).
    pub stored: u64,
    /// Edges in the store more than once.
    pub duplicated: u64,
    /// Edges in the store that were never sent.
    pub unexpected: u64,
    /// Kinesis records sent to the on-failure destination.
    pub on_failure_records: u64,
}

impl DemoOutcome {
    /// The one summary line: the terms of `sent`, then what the store holds.
    pub fn line(&self) -> String {
        let t = &self.terms;
        let unaccounted = if t.unaccounted > 0 {
            format!(", unaccounted {}", t.unaccounted)
        } else {
            String::new()
        };
        format!(
            "demo: sent {} edges = held {} + rejected {} + on-failure {} + lost {}{unaccounted}; store holds {} follows edges, duplicated {}, unexpected {}",
            t.sent,
            t.held,
            t.rejected,
            t.on_failure,
            t.lost,
            self.stored,
            self.duplicated,
            self.unexpected
        )
    }

    /// Every edge sent is in the store once, and nothing else is.
    pub fn is_clean(&self) -> bool {
        let t = &self.terms;
        t.lost == 0
            && t.unaccounted == 0
            && t.rejected == 0
            && t.on_failure == 0
            && self.duplicated == 0
            && self.unexpected == 0
    }
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

/// Runs the demo with the region's plan; a signal of `shutdown` stops it in order: the driver saves its resume
/// file, the mapping its checkpoints, and every service is stopped.
pub async fn run_demo(args: DemoArgs, shutdown: Shutdown) -> anyhow::Result<()> {
    if args.print_language {
        let plan = LocalPlan::load(&args.config, &args.region, &args.sets)?;
        let _ = writeln!(std::io::stdout(), "{}", plan.query_language);
        return Ok(());
    }
    let outcome = demo(&args, &shutdown).await?;
    let _ = writeln!(std::io::stdout(), "{}", outcome.line());
    if !outcome.is_clean() {
        let state = args
            .state_dir
            .clone()
            .unwrap_or_else(StateDir::default_root);
        anyhow::bail!(
            "the store does not hold exactly what was sent: lost {}, unaccounted {}, rejected {}, on-failure {} ({} records), duplicated {}, unexpected {}; see the logs in {}, the rejects in {} and the on-failure destination, {} (s3) or {} (sqs), which `stream2neptune local redrive` replays",
            outcome.terms.lost,
            outcome.terms.unaccounted,
            outcome.terms.rejected,
            outcome.terms.on_failure,
            outcome.on_failure_records,
            outcome.duplicated,
            outcome.unexpected,
            state.join("logs").display(),
            state.join("rejected.jsonl").display(),
            state.join("on-failure").display(),
            state.join("on-failure.jsonl").display(),
        );
    }
    Ok(())
}

/// The demo itself; returns what the store holds.
pub async fn demo(args: &DemoArgs, shutdown: &Shutdown) -> anyhow::Result<DemoOutcome> {
    let plan = LocalPlan::load(&args.config, &args.region, &args.sets)?;
    let state = StateDir::create(
        args.state_dir
            .clone()
            .unwrap_or_else(StateDir::default_root),
    )?;
    let _held = state.lock("demo")?;
    state.reset()?;
    // The writer's and the mapping's lines go to the log file: the terminal is the progress line's.
    let log_path = state.log("pipeline");
    let log = LogFile::attach(&log_path, logs::Terminal::Quiet)
        .with_context(|| format!("creating the log file {}", log_path.display()))?;

    let people = args
        .people
        .unwrap_or_else(|| (args.edges / 10).clamp(100, 1_000_000) as u32);
    let dataset = DatasetConfig::from_args(&DatasetArgs {
        people,
        follows: args.edges,
        seed: args.seed,
        out: state.dataset(),
        zipf_exponent: 1.0,
        start: "2018-01-01".into(),
        end: "2019-12-31".into(),
        gzip_level: 1,
    })?;
    let summary = generate(&dataset)?;
    terminal::note(format!(
        "demo: region {} ({} shards, BatchSize {}, BatchWriteSize {}, ParallelizationFactor {}, QueryLanguage {}), {} people, {} edges in {}",
        plan.region,
        plan.shard_count,
        plan.esm.batch_size,
        plan.batch_write_size,
        plan.esm.parallelization_factor,
        plan.query_language,
        summary.people,
        summary.follows,
        summary.follows_gz.display()
    ));

    let stack = shutdown
        .or_signal(LocalStack::up(
            plan.clone(),
            state.clone(),
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
        state.root.display()
    ));
    let outcome = run_pipeline(&stack, args, &summary, &log, shutdown).await;
    stack.stop().await;
    outcome
}

/// The demo's part with the services up: people, mapping, driver, drain, count, report.
async fn run_pipeline(
    stack: &LocalStack,
    args: &DemoArgs,
    summary: &DatasetSummary,
    log: &LogFile,
    shutdown: &Shutdown,
) -> anyhow::Result<DemoOutcome> {
    let (plan, state) = (&stack.plan, &stack.state);
    let stopped = |signal, what: &str| Interrupted {
        signal,
        message: format!("demo stopped {what}; services stopped (a new `demo` starts over)"),
    };
    shutdown
        .or_signal(stack.store_client().load_people(summary))
        .await
        .map_err(|signal| stopped(signal, "while loading the people"))?
        .context("loading the people into the local store")?;

    let metrics = Arc::new(RunMetrics::keeping_on_failure_edges());
    let mut mapping = stack
        .start_mapping(stack.writer_deps()?, Arc::clone(&metrics))
        .await?;

    let rate = match args.rate {
        Some(rate) => Some(rate),
        None => Some(plan.driver_batch_size as f64 * 1000.0 / plan.driver_period_ms.max(1) as f64),
    }
    .filter(|r| *r > 0.0);
    let progress = Progress::start(args.edges, args.no_progress, Arc::clone(&metrics));
    let drive_and_drain = async {
        let driven = drive_edges(
            stack,
            &summary.follows_gz,
            rate,
            Arc::clone(&metrics),
            shutdown,
        )
        .await;
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
    let (driven, drained) = match ran {
        Ok(ran) => ran,
        Err(exited) => anyhow::bail!(
            "{} exited during the run, after {} of {} edges were sent and {} written; see its log {}; services stopped (a new `demo` starts over)",
            exited.service,
            RunMetrics::get(&metrics.sent),
            args.edges,
            RunMetrics::get(&metrics.written),
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
                "demo stopped after {sent} of {} edges were sent; services stopped; {files}, the driver's unsent edges in {} (a new `demo` starts over)",
                args.edges,
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

    let outcome = shutdown
        .or_signal(verify(stack, &summary.follows_gz, &metrics))
        .await
        .map_err(|signal| stopped(signal, "while counting the store"))??;
    let report_path = state.report();
    report::write(
        &report_path,
        &metrics,
        &ReportSummary {
            headline: outcome.line(),
            facts: vec![
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
                    format!("{:.0} edges/s", driven.rate()),
                ),
                (
                    "invocations".into(),
                    metrics.invocations.load(Ordering::Relaxed).to_string(),
                ),
                (
                    "on-failure records".into(),
                    outcome.on_failure_records.to_string(),
                ),
                (
                    "run time".into(),
                    format!("{:.1} s", metrics.elapsed_secs()),
                ),
            ],
        },
    )?;
    terminal::note(format!(
        "demo: {} edges/s sent for {:.1} s; report in {}; log in {} ({} warnings)",
        driven.rate().round(),
        driven.elapsed.as_secs_f64(),
        report_path.display(),
        log.path().display(),
        logs::warnings().count
    ));
    Ok(outcome)
}

/// Drives `edge_file` into the stack's stream with the workload's driver (`rate` edges/s, `None`
/// = as fast as the stream takes them), counting accepted records into `metrics.sent`. A signal of
/// `shutdown` stops it after the calls in flight, with the unsent edges in `drive.resume.json` of the state dir.
pub async fn drive_edges(
    stack: &LocalStack,
    edge_file: &std::path::Path,
    rate: Option<f64>,
    metrics: Arc<RunMetrics>,
    shutdown: &Shutdown,
) -> anyhow::Result<DriveSummary> {
    let plan = &stack.plan;
    let resume_file = stack.state.root.join("drive.resume.json");
    // A resume file of an earlier, interrupted run would replay its edges: this run starts over.
    let _ = std::fs::remove_file(&resume_file);
    let driver = DriverConfig::from_args(&DriveArgs {
        stream: plan.stream_name.clone(),
        edges: edge_file.to_owned(),
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
    .with_context(|| format!("driving the edges into {}", stack.kinesis.kind))
}

/// Counts from the store, in its own language, and from the sinks: each edge of the edge file that the store does
/// not hold is looked for in the rejected-records file, then among the on-failure destination's records.
pub async fn verify(
    stack: &LocalStack,
    edge_file: &std::path::Path,
    metrics: &RunMetrics,
) -> anyhow::Result<DemoOutcome> {
    let store = stack.store_client();
    let counts = store.edge_counts().await?;
    let stored = store.follows_pairs().await?;
    let mut expected = HashSet::new();
    let mut reader = EdgeReader::open(edge_file)?;
    while let Some(edge) = reader.next_edge()? {
        expected.insert((store.person(&edge.from), store.person(&edge.to)));
    }
    let rejected_edges = rejected_edges(&stack.state.rejected())?;
    let on_failure_edges = metrics
        .on_failure_edges
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .clone();
    let as_stored = |(from, to): (String, String)| (store.person(&from), store.person(&to));
    let terms = Terms::count(
        metrics.sent.load(Ordering::Relaxed),
        &expected,
        &stored,
        rejected_edges.into_iter().map(as_stored),
        on_failure_edges.into_iter().map(as_stored),
    );
    Ok(DemoOutcome {
        terms,
        stored: counts.follows,
        duplicated: counts.duplicated(),
        unexpected: stored.difference(&expected).count() as u64,
        on_failure_records: metrics.on_failure.load(Ordering::Relaxed),
    })
}

/// The terms of `sent`, each counted on its own from the store and the sinks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Terms {
    /// Edges the stream accepted.
    pub sent: u64,
    /// Edges of the data set the store holds.
    pub held: u64,
    /// Edges of the data set the store does not hold whose record is in the rejected-records file.
    pub rejected: u64,
    /// Edges of the data set the store does not hold, not rejected, whose record went to the on-failure destination.
    pub on_failure: u64,
    /// Edges sent that nothing accounts for: `sent - held - rejected - on_failure`.
    pub lost: u64,
    /// How far `held + rejected + on_failure` exceeds `sent`: a count that does not add up.
    pub unaccounted: u64,
}

impl Terms {
    /// `expected`: the data set's (from, to) pairs; `stored`: the store's; `rejected` and `on_failure`: the pairs of
    /// the records each sink holds. A sink's record counts only for an edge of the data set the store lacks, and
    /// once, so a reject of something else cannot hide a lost edge.
    fn count(
        sent: u64,
        expected: &HashSet<(String, String)>,
        stored: &HashSet<(String, String)>,
        rejected: impl IntoIterator<Item = (String, String)>,
        on_failure: impl IntoIterator<Item = (String, String)>,
    ) -> Self {
        let held = expected.intersection(stored).count() as u64;
        let mut missing: HashSet<_> = expected.difference(stored).collect();
        let mut take = |pairs: &mut dyn Iterator<Item = (String, String)>| {
            pairs.filter(|pair| missing.remove(pair)).count() as u64
        };
        let rejected = take(&mut rejected.into_iter());
        let on_failure = take(&mut on_failure.into_iter());
        let accounted = held + rejected + on_failure;
        Terms {
            sent,
            held,
            rejected,
            on_failure,
            lost: sent.saturating_sub(accounted),
            unaccounted: accounted.saturating_sub(sent),
        }
    }
}

/// The (from, to) ids of the edges whose records are in the rejected-records file (a record that is no edge, or is
/// split over several lines, holds none).
fn rejected_edges(path: &std::path::Path) -> anyhow::Result<Vec<(String, String)>> {
    use base64::Engine as _;
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
    };
    let mut edges = Vec::new();
    for (number, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let reject: stream2neptune_writer::rejects::RejectedRecord = serde_json::from_str(line)
            .with_context(|| format!("reading line {} of {}", number + 1, path.display()))?;
        if reject.data_parts != 1 {
            continue;
        }
        let Ok(data) = base64::engine::general_purpose::STANDARD.decode(&reject.data) else {
            continue;
        };
        if let Ok(edge) = stream2neptune_writer::record::parse_record(&data, usize::MAX) {
            edges.push((edge.from, edge.to));
        }
    }
    Ok(edges)
}

/// The demo's progress bar and the task that refreshes it from the run metrics; dropping it clears the bar.
struct Progress {
    bar: ProgressBar,
    metrics: Arc<RunMetrics>,
    ticker: tokio::task::JoinHandle<()>,
}

impl Progress {
    fn start(edges: u64, hidden: bool, metrics: Arc<RunMetrics>) -> Self {
        let bar = terminal::show(progress_bar(edges, hidden));
        let ticker = {
            let (bar, metrics) = (bar.clone(), Arc::clone(&metrics));
            tokio::spawn(async move {
                loop {
                    show_progress(&bar, &metrics);
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
            })
        };
        Progress {
            bar,
            metrics,
            ticker,
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.ticker.abort();
        show_progress(&self.bar, &self.metrics);
        self.bar.finish_and_clear();
    }
}

fn progress_bar(edges: u64, hidden: bool) -> ProgressBar {
    if hidden {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(edges);
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] [{bar:30}] {pos}/{len} written ({per_sec}) {msg}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    bar
}

fn show_progress(bar: &ProgressBar, metrics: &RunMetrics) {
    let get = RunMetrics::get;
    bar.set_position(get(&metrics.written));
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
        "· sent {} · rejected {} · on-failure {} · iterator age s [{}] · retries {} · warnings {}{last}",
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

    fn pairs(ids: &[(&str, &str)]) -> Vec<(String, String)> {
        ids.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn each_term_of_sent_is_counted_on_its_own() {
        let expected: HashSet<_> = pairs(&[("1", "2"), ("2", "3"), ("3", "4"), ("4", "5")])
            .into_iter()
            .collect();
        let stored: HashSet<_> = pairs(&[("1", "2")]).into_iter().collect();
        // Rejects of records that are not the missing edges (malformed lines, a written edge) hide nothing.
        let terms = Terms::count(
            4,
            &expected,
            &stored,
            pairs(&[("1", "2"), ("9", "9"), ("2", "3"), ("2", "3")]),
            pairs(&[("3", "4"), ("2", "3")]),
        );
        assert_eq!(
            terms,
            Terms {
                sent: 4,
                held: 1,
                rejected: 1,
                on_failure: 1,
                lost: 1,
                unaccounted: 0
            }
        );
        // More held than sent: the count does not add up, and says so.
        let all: HashSet<_> = expected.clone();
        let terms = Terms::count(3, &expected, &all, Vec::new(), Vec::new());
        assert_eq!((terms.lost, terms.unaccounted), (0, 1));
    }

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
