//! `make demo` / `stream2neptune demo`: the whole pipeline end to end on this machine, in the region's
//! QueryLanguage (`--set QueryLanguage=...` picks another). Generates a data set, loads the people into the store
//! of that language, drives the edges through the local stream server at the region's pace, lets the local event
//! source mapping run the writer, waits until the stream is drained, counts what the store holds with the store's
//! own queries, writes `.local/report.html` and prints one summary line. The terminal shows the progress line
//! (retries, and the warnings with the last one's text) and ERROR lines; every log line of the writer and the
//! mapping is in `.local/logs/pipeline.log` (RUST_LOG prints them on the terminal too).

use std::collections::HashSet;
use std::io::Write as _;
use std::sync::atomic::Ordering;

use anyhow::Context as _;
use stream2neptune_process::shutdown::{Interrupted, Shutdown};
use stream2neptune_process::terminal;
use stream2neptune_workload::dataset::{
    DatasetArgs, DatasetConfig, DatasetSummary, Workload, generate,
};
use stream2neptune_workload::edges::EdgeReader;
use stream2neptune_workload::logs::LogFile;

pub use crate::demo_args::DemoArgs;
use crate::demo_run::{Sending, Session, note_finished, run_facts, send_and_drain, start_stack};
use crate::edge_store::EdgeStore as _;
use crate::metrics::RunMetrics;
use crate::paths::StateDir;
use crate::report::{self, ReportSummary};
use crate::settings::LocalPlan;
use crate::stack::LocalStack;

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

/// Runs the demo of `--workload` with the region's plan; a signal of `shutdown` stops it in order: the driver saves its resume
/// file, the mapping its checkpoints, and every service is stopped.
pub async fn run_demo(args: DemoArgs, shutdown: Shutdown) -> anyhow::Result<()> {
    if args.print_language {
        let plan = LocalPlan::load(&args.config, &args.region, &args.sets)?;
        let _ = writeln!(std::io::stdout(), "{}", plan.query_language);
        return Ok(());
    }
    match (args.workload, args.ops) {
        (Workload::Mixed, _) => return crate::demo_mixed::run(&args, &shutdown).await,
        (Workload::Follows, Some(ops)) => anyhow::bail!(
            "--ops {ops} counts the graph operations of the mixed workload: add --workload mixed (make demo WORKLOAD=mixed OPS={ops}), or give the follows workload its size with --edges"
        ),
        (Workload::Follows, None) => {}
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
    let session = Session::open(args)?;
    let people = args
        .people
        .unwrap_or_else(|| (args.edges / 10).clamp(100, 1_000_000) as u32);
    let dataset = DatasetConfig::from_args(&DatasetArgs {
        people,
        follows: args.edges,
        seed: args.seed,
        out: session.state.dataset(),
        zipf_exponent: 1.0,
        start: "2018-01-01".into(),
        end: "2019-12-31".into(),
        gzip_level: 1,
    })?;
    let summary = generate(&dataset)?;
    terminal::note(format!(
        "demo: {}, {} people, {} edges in {}",
        session.settings(),
        summary.people,
        summary.follows,
        summary.follows_gz.display()
    ));
    let stack = start_stack(&session, args, shutdown).await?;
    let outcome = run_pipeline(&stack, args, &summary, &session.log, shutdown).await;
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
    let stopped = |signal, what: &str| Interrupted {
        signal,
        message: format!("demo stopped {what}; services stopped (a new `demo` starts over)"),
    };
    shutdown
        .or_signal(stack.store_client().load_people(summary))
        .await
        .map_err(|signal| stopped(signal, "while loading the people"))?
        .context("loading the people into the local store")?;

    let sent = send_and_drain(
        stack,
        args,
        &Sending {
            file: &summary.follows_gz,
            records: args.edges,
            record_unit: "edges",
            total: args.edges,
            unit: "edges",
            written: |m| &m.written,
            sent_label: "sent",
        },
        shutdown,
    )
    .await?;
    let outcome = shutdown
        .or_signal(verify(stack, &summary.follows_gz, &sent.metrics))
        .await
        .map_err(|signal| stopped(signal, "while counting the store"))??;
    let report_path = stack.state.report();
    let facts = run_facts(
        stack,
        &sent,
        "edges",
        vec![(
            "on-failure records".into(),
            outcome.on_failure_records.to_string(),
        )],
    );
    report::write(
        &report_path,
        &sent.metrics,
        &ReportSummary {
            headline: outcome.line(),
            facts,
        },
    )?;
    note_finished(&sent, "edges", &report_path, log);
    Ok(outcome)
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
}
