//! `make write-bench` (not criterion): the writer's write throughput into each real engine (Oxigraph for SPARQL,
//! Gremlin Server for Gremlin, Neo4j behind Neptune's openCypher form) beside the engine's own ceiling: the write
//! contenders of `stream2neptune_engines::contenders` (tools/bench/*.py: a plain HTTP client, gremlinpython, the Neo4j
//! Python driver), clients that are not the writer writing the same edges with the same idempotent upserts in the
//! engine's best known forms. Per engine and round a fresh server, started as local mode starts it (Neo4j with its
//! Bolt connector too); before each run the graph is emptied and the data set's people are loaded (as the demo
//! loads them); the writer and the contenders take turns, the order rotated each round. Everyone gets the same
//! edges over the same 4 concurrent clients: the edges are dealt to 4 shards by the MD5 of their partition key
//! (the `from` id), as Kinesis deals them; the writer runs 4 handler invocations at once, one per shard, each with
//! WRITE_CONCURRENCY=1 (4 shards with Lambda's one invocation per shard), and each contender's lane i writes shard
//! i's edges. Per language it prints every runner's median, its rounds and its retries per 1,000 edges (the writer's
//! RetryCount metric, the contenders' conflicts tried again), and ends with
//! `write-bench: LANGUAGE writer W edges/s, best contender NAME C edges/s, ratio R%` (on Gremlin a second line for
//! the writer with GREMLIN_BATCH_FORM=rows, raced beside its default form). `make write-bench` then times the writer's
//! start-up (function/benches/startup.rs).
//!
//! `BENCH_ENGINES` (default `oxigraph,gremlin-server,neo4j`), `BENCH_ROUNDS` (3), `BENCH_EDGES` (20000),
//! `BENCH_BATCH` (100), `BENCH_CONCURRENCY` (4), `BENCH_DATA` (`spread`, `zipf`, `mixed`, comma-separated; default
//! `spread`): `spread` targets people almost uniformly (Zipf exponent 0.01), `zipf` with the demo's skew (exponent
//! 1.0: a few people get most follows, so concurrent shards upsert the same vertex: the hot-key case); `mixed` is
//! the mixed workload of graph operations (`dataset --workload mixed`: `BENCH_EDGES / 2` records of one to three
//! operations on `BENCH_EDGES / 20` customers, in the values the language stores), keyed and dealt to shards by
//! customer, raced by the writer alone (no contender writes graph operations), in operations/s and records/s, the
//! store's graph compared with the workload's model after each run (a difference is printed under the row); `BENCH_PEOPLE_FIRST=0` writes the follows into
//! an empty graph instead. `BENCH_WRITER_VARIANTS=VAR=value,...` races the writer with each setting beside its
//! defaults (e.g. `RETRY_CONFLICT_DELAY_MS=100`, the conflict pause's start before it was 5 ms).
//!
//! Every writer row also gives the transaction conflicts per 1,000 edges (or operations) and the share of the
//! lanes' time spent pausing before retries, both summed from the writer's own retry warnings; a contender pauses
//! 5 ms before trying a conflict again (tools/bench/race.py).

#[path = "../../function/tests/common/mod.rs"]
mod common;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use common::{TestRecord, deps, invocation, metric, sequence_number};
use stream2neptune_engines::contenders::{self, Contender};
use stream2neptune_graph::Graph;
use stream2neptune_local::contender_edges::write_edge_lines;
use stream2neptune_local::edge_store::EdgeStore as _;
use stream2neptune_local::paths::StateDir;
use stream2neptune_local::store::StoreClient;
use stream2neptune_local::store_server::StoreServer;
use stream2neptune_plan::QueryLanguage;
use stream2neptune_workload::dataset::{DatasetArgs, DatasetConfig, DatasetSummary, generate};
use stream2neptune_workload::edges::EdgeReader;
use stream2neptune_workload::mixed::{self, MixedConfig, ValueKinds};
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;
use tracing_subscriber::{EnvFilter, Layer as _};

/// Every engine, in the order they run, with the language it speaks.
const ENGINES: &[(&str, QueryLanguage)] = &[
    ("oxigraph", QueryLanguage::Sparql),
    ("gremlin-server", QueryLanguage::Gremlin),
    ("neo4j", QueryLanguage::OpenCypher),
];

/// Where a data set's records come from.
#[derive(Clone, Copy)]
enum Source {
    /// The demo's follows edges; the Zipf exponent of the follows' targets (the generator needs one above 0).
    Follows(f64),
    /// The mixed workload of graph operations.
    Mixed,
}

/// The data sets by name.
const DATA_SETS: &[(&str, Source)] = &[
    ("spread", Source::Follows(0.01)),
    ("zipf", Source::Follows(1.0)),
    ("mixed", Source::Mixed),
];

fn env_or(name: &str, default: usize) -> usize {
    match std::env::var(name) {
        Ok(v) => v.parse().unwrap_or_else(|_| {
            panic!("{name}={v:?} is not allowed: give a whole number (default {default})")
        }),
        Err(_) => default,
    }
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(|a, b| a.total_cmp(b));
    values[values.len() / 2]
}

/// The run's settings, from the environment.
struct Settings {
    edges: u64,
    rounds: usize,
    batch: usize,
    concurrency: usize,
    people_first: bool,
}

/// A data set as everyone gets it: the records dealt to shards, and what the runs are checked against.
struct DataSet {
    name: &'static str,
    /// One event's records per shard, in stream order.
    shards: Vec<Vec<TestRecord>>,
    kind: Kind,
}

/// What a data set holds.
enum Kind {
    /// Follows edges: the generator's files (the people loaded first) and the contenders' data file, `from,to,created`
    /// a line, every edge in stream order (the contenders deal them to lanes as the shards).
    Follows {
        summary: DatasetSummary,
        lines: PathBuf,
    },
    /// Graph operations: how many, in how many records, and the graph the store holds after them.
    Mixed {
        operations: u64,
        records: u64,
        expected: Graph,
    },
}

impl DataSet {
    /// What a run's rate counts: edges, or operations.
    fn units(&self) -> (u64, &'static str) {
        match &self.kind {
            Kind::Follows { summary, .. } => (summary.follows, "edges"),
            Kind::Mixed { operations, .. } => (*operations, "operations"),
        }
    }
}

/// The shard of `shards` equal hash-key ranges Kinesis puts `partition_key` in (tools/bench/edges.py `lane_of`).
fn shard_of(partition_key: &str, shards: usize) -> usize {
    let high = (kpl::hash_key(partition_key) >> 64) as u64;
    ((u128::from(high) * shards as u128) >> 64) as usize
}

/// Deals `records` (partition key, body) to shards in stream order.
fn deal(records: impl Iterator<Item = (String, String)>, shards: usize) -> Vec<Vec<TestRecord>> {
    let mut dealt: Vec<Vec<TestRecord>> = (0..shards).map(|_| Vec::new()).collect();
    for (i, (key, body)) in records.enumerate() {
        dealt[shard_of(&key, shards)].push(TestRecord {
            partition_key: key,
            sequence_number: sequence_number(i),
            data: body.into_bytes(),
        });
    }
    dealt
}

fn data_set(
    dir: &Path,
    (name, source): (&'static str, Source),
    language: QueryLanguage,
    settings: &Settings,
) -> DataSet {
    let exponent = match source {
        Source::Follows(exponent) => exponent,
        Source::Mixed => return mixed_data_set(name, language, settings),
    };
    let summary = generate(
        &DatasetConfig::from_args(&DatasetArgs {
            people: (settings.edges / 10).max(100) as u32,
            follows: settings.edges,
            seed: 42,
            out: dir.join(name),
            zipf_exponent: exponent,
            start: "2018-01-01".into(),
            end: "2019-12-31".into(),
            gzip_level: 1,
        })
        .unwrap(),
    )
    .unwrap();
    let lines = dir.join(format!("{name}.csv"));
    write_edge_lines(&summary.follows_gz, &lines).unwrap();
    let mut reader = EdgeReader::open(&summary.follows_gz).unwrap();
    let edges = std::iter::from_fn(|| reader.next_edge().unwrap());
    let shards = deal(
        edges.map(|edge| {
            let body = edge.record_body();
            (edge.from, body)
        }),
        settings.concurrency,
    );
    DataSet {
        name,
        shards,
        kind: Kind::Follows { summary, lines },
    }
}

/// The mixed workload as `dataset --workload mixed` makes it (seed 42, the demo's Zipf exponent 1.0), with the
/// values `language` stores.
fn mixed_data_set(name: &'static str, language: QueryLanguage, settings: &Settings) -> DataSet {
    let records = mixed::generate(&MixedConfig {
        records: (settings.edges / 2).max(1),
        customers: (settings.edges / 20).max(10) as u32,
        zipf_exponent: 1.0,
        seed: 42,
        values: match language {
            QueryLanguage::OpenCypher => ValueKinds::SCALARS,
            _ => ValueKinds::ALL,
        },
    });
    let model = mixed::expected_graph(&records);
    let expected = stream2neptune_engines::read_store::stored_form(language, &model);
    let operations = records.iter().map(|r| r.operations.len() as u64).sum();
    let shards = deal(
        records.iter().map(|r| {
            (
                r.partition_key.clone(),
                stream2neptune_graph::encode(&r.operations)
                    .expect("the mixed workload makes no value changes"),
            )
        }),
        settings.concurrency,
    );
    DataSet {
        name,
        shards,
        kind: Kind::Mixed {
            operations,
            records: records.len() as u64,
            expected,
        },
    }
}

/// Who writes: the writer's handler or a contender.
#[derive(Clone, Copy)]
enum Runner {
    /// The writer with its default settings, or with one setting changed (name, variable, value).
    Writer(Option<WriterVariant>),
    Contender(&'static Contender),
}

/// A writer setting raced beside the default: the runner's name and the variable it sets.
#[derive(Clone, Copy)]
struct WriterVariant {
    name: &'static str,
    variable: &'static str,
    value: &'static str,
}

/// Gremlin's batch forms: the default (`chained`, Neptune's documented native form) and `rows`, the inject/unfold
/// form the contenders send, so the table shows what the form alone costs on this engine.
const GREMLIN_ROWS: WriterVariant = WriterVariant {
    name: "writer GREMLIN_BATCH_FORM=rows",
    variable: "GREMLIN_BATCH_FORM",
    value: "rows",
};

/// `BENCH_WRITER_VARIANTS`: `VAR=value` settings, comma-separated, each raced as a writer of its own.
fn writer_variants() -> Vec<WriterVariant> {
    let Ok(list) = std::env::var("BENCH_WRITER_VARIANTS") else {
        return Vec::new();
    };
    list.split(',')
        .filter(|item| !item.trim().is_empty())
        .map(|item| {
            let item: &'static str = item.trim().to_owned().leak();
            let (variable, value) = item.split_once('=').unwrap_or_else(|| {
                panic!("BENCH_WRITER_VARIANTS: {item:?} is not allowed: give VAR=value, e.g. RETRY_CONFLICT_DELAY_MS=100")
            });
            WriterVariant {
                name: format!("writer {item}").leak(),
                variable,
                value,
            }
        })
        .collect()
}

impl Runner {
    fn name(self) -> &'static str {
        match self {
            Runner::Writer(None) => "writer",
            Runner::Writer(Some(variant)) => variant.name,
            Runner::Contender(c) => c.name,
        }
    }

    fn is_writer(self) -> bool {
        matches!(self, Runner::Writer(_))
    }
}

/// One run's units/s (edges or operations), retries, conflicts, pauses and the records it left unwritten (the
/// writer gives up on a batch whose conflicts outlast its retries: the hot-key case; the contenders try again until
/// they land).
#[derive(Default)]
struct Run {
    rate: f64,
    seconds: f64,
    retries: u64,
    /// The writer's: retries for a transaction conflict, and the time its lanes paused before retries.
    conflicts: u64,
    paused: Duration,
    unwritten: u64,
    /// Mixed workload: how the store's graph differs from the model after the run (the first few).
    differences: Vec<String>,
}

/// The writer's retry warnings (`write failed, retrying`, stream2neptune_writer::retry) since the last
/// [`Pauses::take`]: how many were for a conflict, and the pauses they announced, in µs.
struct Pauses {
    conflicts: AtomicU64,
    paused_us: AtomicU64,
}

static PAUSES: Pauses = Pauses {
    conflicts: AtomicU64::new(0),
    paused_us: AtomicU64::new(0),
};

impl Pauses {
    /// The conflicts and pauses counted since the last call, the counters reset.
    fn take(&self) -> (u64, Duration) {
        (
            self.conflicts.swap(0, Ordering::Relaxed),
            Duration::from_micros(self.paused_us.swap(0, Ordering::Relaxed)),
        )
    }
}

/// Counts the writer's retry warnings into [`PAUSES`].
struct PauseLayer;

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for PauseLayer {
    fn on_event(&self, event: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        #[derive(Default)]
        struct Fields {
            conflict: bool,
            delay_ms: f64,
        }
        impl tracing::field::Visit for Fields {
            fn record_bool(&mut self, field: &tracing::field::Field, value: bool) {
                if field.name() == "conflict" {
                    self.conflict = value;
                }
            }
            fn record_f64(&mut self, field: &tracing::field::Field, value: f64) {
                if field.name() == "delay_ms" {
                    self.delay_ms = value;
                }
            }
            fn record_debug(&mut self, _: &tracing::field::Field, _: &dyn std::fmt::Debug) {}
        }
        let mut fields = Fields::default();
        event.record(&mut fields);
        PAUSES
            .conflicts
            .fetch_add(u64::from(fields.conflict), Ordering::Relaxed);
        PAUSES
            .paused_us
            .fetch_add((fields.delay_ms * 1e3) as u64, Ordering::Relaxed);
    }
}

/// The writer: one handler invocation per shard, all at once, each event built before timing.
async fn writer_run(
    url: &str,
    language: QueryLanguage,
    variant: Option<WriterVariant>,
    data: &DataSet,
    batch: usize,
) -> Run {
    let batch = batch.to_string();
    let mut vars = vec![
        ("NEPTUNE_ENDPOINT", url),
        ("QUERY_LANGUAGE", language.as_str()),
        ("BATCH_WRITE_SIZE", batch.as_str()),
        ("WRITE_CONCURRENCY", "1"),
    ];
    vars.extend(variant.map(|v| (v.variable, v.value)));
    let (deps, docs) = deps(&vars);
    let events: Vec<_> = data
        .shards
        .iter()
        .map(|records| invocation(records, Duration::from_secs(900)))
        .collect();
    PAUSES.take();
    let started = Instant::now();
    let responses = futures_util::future::join_all(
        events
            .into_iter()
            .map(|event| stream2neptune_writer::handle(&deps, event)),
    )
    .await;
    let elapsed = started.elapsed();
    let (conflicts, paused) = PAUSES.take();
    // A shard whose batch failed checkpoints at its first unwritten record: that record and the rest of the shard
    // are what Lambda would deliver again.
    let unwritten = responses
        .into_iter()
        .zip(&data.shards)
        .map(|(response, records)| {
            let failed = response.unwrap().batch_item_failures;
            failed
                .first()
                .and_then(|f| f.item_identifier.as_deref())
                .and_then(|first| records.iter().position(|r| r.sequence_number == first))
                .map_or(0, |at| (records.len() - at) as u64)
        })
        .sum();
    Run {
        rate: data.units().0 as f64 / elapsed.as_secs_f64(),
        seconds: elapsed.as_secs_f64(),
        retries: metric(&docs, "RetryCount"),
        conflicts,
        paused,
        unwritten,
        differences: Vec::new(),
    }
}

/// Empties the store (everything it holds).
async fn clear(client: &StoreClient) {
    match client {
        StoreClient::Sparql(c) => c.update("CLEAR ALL").await.unwrap(),
        StoreClient::Gremlin(c) => drop(c.submit("g.V().drop()").await.unwrap()),
        StoreClient::OpenCypher(c) => drop(
            c.query_with("MATCH (n) DETACH DELETE n", &serde_json::json!({}))
                .await
                .unwrap(),
        ),
    }
}

/// The whole graph the store at `url` holds.
async fn read_graph(language: QueryLanguage, url: &str) -> Graph {
    stream2neptune_engines::read_store::read_graph(language, url)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
}

/// One run of `runner` on the emptied `server` (the people loaded first unless told otherwise), what it wrote
/// checked: every edge counted (a wrong count stops the bench), or the graph compared with the model (the
/// differences go to the table).
async fn one_run(runner: Runner, server: &StoreServer, data: &DataSet, settings: &Settings) -> Run {
    let client = StoreClient::new(server.language(), &server.url());
    clear(&client).await;
    if let (Kind::Follows { summary, .. }, true) = (&data.kind, settings.people_first) {
        client.load_people(summary).await.unwrap();
    }
    let mut run = match (runner, &data.kind) {
        (Runner::Writer(variant), _) => {
            writer_run(
                &server.url(),
                server.language(),
                variant,
                data,
                settings.batch,
            )
            .await
        }
        (Runner::Contender(contender), Kind::Follows { lines, .. }) => {
            let run = contender
                .run(
                    &server.url(),
                    server.bolt_url().as_deref(),
                    lines,
                    settings.batch,
                    settings.concurrency,
                )
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            Run {
                rate: run.edges_per_s,
                seconds: data.units().0 as f64 / run.edges_per_s,
                retries: run.retries,
                ..Run::default()
            }
        }
        (Runner::Contender(_), Kind::Mixed { .. }) => {
            unreachable!("no contender writes graph operations")
        }
    };
    if run.unwritten > 0 {
        // Its rate is then over the records it did write, and the store holds fewer: the table says so.
        return run;
    }
    match &data.kind {
        Kind::Follows { summary, .. } => {
            let counts = client.edge_counts().await.unwrap();
            assert_eq!(
                (counts.follows, counts.edge_resources),
                (summary.follows, summary.follows),
                "{} left the wrong edges",
                runner.name()
            );
        }
        Kind::Mixed { expected, .. } => {
            // Not an assertion: the table says it beside the rate, and the other engines still run.
            let read = read_graph(server.language(), &server.url()).await;
            run.differences = expected
                .differences(&read)
                .iter()
                .map(ToString::to_string)
                .collect();
        }
    }
    run
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}

/// Each writer runner's median rate by name, then the best contender's name and median, if any raced.
type RaceResult = (Vec<(&'static str, f64)>, Option<(&'static str, f64)>);

/// Every round of every runner on `engine` with `data`; prints the table and returns (writers, best contender).
fn race(
    runtime: &tokio::runtime::Runtime,
    dir: &Path,
    (engine, language): (&str, QueryLanguage),
    data: &DataSet,
    settings: &Settings,
    variants: &[WriterVariant],
) -> RaceResult {
    let mut runners = vec![Runner::Writer(None)];
    if language == QueryLanguage::Gremlin {
        runners.push(Runner::Writer(Some(GREMLIN_ROWS)));
    }
    // A variant the race already holds (GREMLIN_BATCH_FORM=rows on Gremlin) would only run it twice.
    for variant in variants {
        if !runners.iter().any(|r| r.name() == variant.name) {
            runners.push(Runner::Writer(Some(*variant)));
        }
    }
    if let Kind::Follows { .. } = data.kind {
        runners.extend(contenders::of(language).map(Runner::Contender));
    }
    let mut runs: Vec<Vec<Run>> = runners.iter().map(|_| Vec::new()).collect();
    let load_before = load_average();
    for round in 0..settings.rounds {
        let root = dir.join(format!("{engine}-{}-{round}", data.name));
        let state = StateDir::create(&root).unwrap();
        let server = runtime
            .block_on(StoreServer::start_with(language, &state, 0, true))
            .unwrap();
        // Rotate who goes first so that no runner always meets the freshest (or the warmest) server.
        for k in 0..runners.len() {
            let index = (k + round) % runners.len();
            runs[index].push(runtime.block_on(one_run(runners[index], &server, data, settings)));
        }
        runtime.block_on(server.stop());
        // A round's store is hundreds of MB (Neo4j's logs, Oxigraph's RocksDB): gone before the next one starts.
        std::fs::remove_dir_all(&root).unwrap();
    }
    let (units, unit) = data.units();
    let what = match &data.kind {
        Kind::Follows { summary, .. } => format!(
            "{} edges, {} people{}, most followed person {} followers",
            summary.follows,
            summary.people,
            if settings.people_first {
                ", loaded first"
            } else {
                ", empty graph"
            },
            summary.max_followers
        ),
        Kind::Mixed {
            operations,
            records,
            expected,
        } => format!(
            "{records} records of {operations} graph operations, leaving {} vertices, {} edges, {} properties",
            expected.vertices.len(),
            expected.edges.len(),
            expected.property_count()
        ),
    };
    println!(
        "{engine} ({}), data set {} ({what}), batches of {}, {} concurrent clients (the writer: {} invocations at \
         once, one per shard, WRITE_CONCURRENCY=1), {} rounds on a fresh server each; load average {load_before} \
         before, {} after",
        language.as_str(),
        data.name,
        settings.batch,
        settings.concurrency,
        settings.concurrency,
        settings.rounds,
        load_average(),
    );
    let per_thousand = |n: u64| 1000.0 * n as f64 / (units as f64 * settings.rounds as f64);
    for (index, runner) in runners.iter().enumerate() {
        let rates: Vec<f64> = runs[index].iter().map(|r| r.rate).collect();
        let retries = runs[index].iter().map(|r| r.retries).sum();
        let unwritten: u64 = runs[index].iter().map(|r| r.unwritten).sum();
        let per_record = match &data.kind {
            Kind::Mixed {
                operations,
                records,
                ..
            } => format!(
                " ({:.0} records/s)",
                median(rates.clone()) * *records as f64 / *operations as f64
            ),
            Kind::Follows { .. } => String::new(),
        };
        let pauses = if runner.is_writer() {
            let conflicts = runs[index].iter().map(|r| r.conflicts).sum();
            let paused: f64 = runs[index].iter().map(|r| r.paused.as_secs_f64()).sum();
            let lane_time: f64 =
                runs[index].iter().map(|r| r.seconds).sum::<f64>() * settings.concurrency as f64;
            format!(
                ", conflicts {:.1}, paused {:.1} s of the lanes' {:.1} s ({:.1} %)",
                per_thousand(conflicts),
                paused,
                lane_time,
                100.0 * paused / lane_time
            )
        } else {
            String::new()
        };
        println!(
            "  {:<31} {:>8.0} {unit}/s{per_record}   rounds: {:>6.0?}   per 1,000 {unit}: retries {:.1}{pauses}{}",
            runner.name(),
            median(rates.clone()),
            rates,
            per_thousand(retries),
            match unwritten {
                0 => String::new(),
                n => format!(
                    "   UNWRITTEN: {n} records left for redelivery (conflicts outlasted the retries; the rate counts all)"
                ),
            }
        );
        for (round, run) in runs[index].iter().enumerate() {
            if let Some(first) = run.differences.first() {
                println!(
                    "    round {}: THE GRAPH DIFFERS FROM THE MODEL: {} differences, the first: {first}",
                    round + 1,
                    run.differences.len()
                );
            }
        }
    }
    let median_of = |i: usize| median(runs[i].iter().map(|r| r.rate).collect());
    let writers = (0..runners.len())
        .filter(|&i| runners[i].is_writer())
        .map(|i| (runners[i].name(), median_of(i)))
        .collect();
    let best = (0..runners.len())
        .filter(|&i| !runners[i].is_writer())
        .map(|i| (runners[i].name(), median_of(i)))
        .max_by(|a, b| a.1.total_cmp(&b.1));
    (writers, best)
}

/// The entries of `table` named in the comma-separated variable `var` (unset: `default`, or every entry), or a panic
/// naming the unknown `what` and the allowed names.
fn chosen<T: Copy>(
    var: &str,
    default: Option<&str>,
    what: &str,
    table: &[(&'static str, T)],
) -> Vec<(&'static str, T)> {
    let allowed = table.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(",");
    std::env::var(var)
        .unwrap_or_else(|_| default.map_or_else(|| allowed.clone(), str::to_owned))
        .split(',')
        .map(|name| {
            *table
                .iter()
                .find(|(n, _)| *n == name.trim())
                .unwrap_or_else(|| panic!("{var}: unknown {what} {name:?}; allowed: {allowed}"))
        })
        .collect()
}

fn main() {
    // `cargo bench` passes `--bench`; any other argument is a name filter we do not use.
    let settings = Settings {
        edges: env_or("BENCH_EDGES", 20_000) as u64,
        rounds: env_or("BENCH_ROUNDS", 3).max(1),
        batch: env_or("BENCH_BATCH", 100).max(1),
        concurrency: env_or("BENCH_CONCURRENCY", 4).max(1),
        people_first: env_or("BENCH_PEOPLE_FIRST", 1) != 0,
    };
    let engines = chosen("BENCH_ENGINES", None, "engine", ENGINES);
    let data_sets = chosen("BENCH_DATA", Some("spread"), "data set", DATA_SETS);
    let variants = writer_variants();
    let dir = tempfile::tempdir().unwrap();
    // The writer's retry warnings would bury the tables (PauseLayer counts them); RUST_LOG=warn shows them.
    let _ = tracing_subscriber::registry()
        .with(tracing_subscriber::fmt::layer().with_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("error")),
        ))
        .with(PauseLayer.with_filter(EnvFilter::new("stream2neptune_writer::retry=warn")))
        .try_init();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    println!(
        "write-bench: {} cores, load average {}",
        std::thread::available_parallelism().map_or(1, |n| n.get()),
        load_average()
    );

    for &engine in &engines {
        // The first follows data set gives the language's last line; the others (the hot-key case) print their
        // table, the mixed workload its own line.
        let mut lines = Vec::new();
        for &source in &data_sets {
            let data = data_set(dir.path(), source, engine.1, &settings);
            let (writers, best) = race(&runtime, dir.path(), engine, &data, &settings, &variants);
            lines.push((data.name, data.units().1, writers, best));
        }
        if let Some((_, _, writers, Some((best, rate)))) =
            lines.iter().find(|(_, _, _, best)| best.is_some())
        {
            for (name, writer) in writers {
                println!(
                    "write-bench: {} {name} {writer:.0} edges/s, best contender {best} {rate:.0} edges/s, ratio {:.0}%",
                    engine.1.as_str(),
                    100.0 * writer / rate
                );
            }
        }
        for (name, unit, writers, _) in lines.iter().filter(|(_, _, _, best)| best.is_none()) {
            for (writer, rate) in writers {
                println!(
                    "write-bench: {} {writer} {rate:.0} {unit}/s on the {name} workload (no contender writes graph operations)",
                    engine.1.as_str(),
                );
            }
        }
    }
}
