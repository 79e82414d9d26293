//! `make write-bench` (not criterion): the writer's write throughput into each real engine (Oxigraph for SPARQL,
//! Gremlin Server for Gremlin, Neo4j behind Neptune's openCypher form) beside the engine's own ceiling: the write
//! contenders of `stream2neptune_local::contenders` (tools/bench/*.py: a plain HTTP client, gremlinpython, the Neo4j
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
//! the writer with GREMLIN_BATCH_FORM=rows, raced beside its default form); then the bootstrap's start-up time to its
//! first poll of the runtime API.
//!
//! `BENCH_ENGINES` (default `oxigraph,gremlin-server,neo4j`), `BENCH_ROUNDS` (3), `BENCH_EDGES` (20000),
//! `BENCH_BATCH` (100), `BENCH_CONCURRENCY` (4), `BENCH_DATA` (`spread`, `zipf` or both, comma-separated; default
//! `spread`): `spread` targets people almost uniformly (Zipf exponent 0.01), `zipf` with the demo's skew (exponent
//! 1.0: a few people get most follows, so concurrent shards upsert the same vertex: the hot-key case);
//! `BENCH_PEOPLE_FIRST=0` writes into an empty graph instead.

#[path = "../tests/common/mod.rs"]
mod common;

use std::io::Read;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{TestRecord, deps, invocation, metric, sequence_number};
use stream2neptune_local::contenders::{self, Contender};
use stream2neptune_local::edge_store::EdgeStore as _;
use stream2neptune_local::paths::StateDir;
use stream2neptune_local::store::StoreClient;
use stream2neptune_local::store_server::StoreServer;
use stream2neptune_plan::QueryLanguage;
use stream2neptune_workload::dataset::{DatasetArgs, DatasetConfig, DatasetSummary, generate};
use stream2neptune_workload::edges::EdgeReader;

/// Every engine, in the order they run, with the language it speaks.
const ENGINES: &[(&str, QueryLanguage)] = &[
    ("oxigraph", QueryLanguage::Sparql),
    ("gremlin-server", QueryLanguage::Gremlin),
    ("neo4j", QueryLanguage::OpenCypher),
];

/// The data sets: name and the Zipf exponent of the follows' targets (the generator needs one above 0).
const DATA_SETS: &[(&str, f64)] = &[("spread", 0.01), ("zipf", 1.0)];

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

/// A data set as everyone gets it: the generator's files, the same edges as the writer's records (dealt to shards)
/// and as the contenders' data file.
struct DataSet {
    name: &'static str,
    summary: DatasetSummary,
    /// One event's records per shard, in stream order.
    shards: Vec<Vec<TestRecord>>,
    /// `from,to,created` a line, every edge in stream order (the contenders deal them to lanes as the shards).
    lines: PathBuf,
}

/// The shard of `shards` equal hash-key ranges Kinesis puts `partition_key` in (tools/bench/edges.py `lane_of`).
fn shard_of(partition_key: &str, shards: usize) -> usize {
    let high = (kpl::hash_key(partition_key) >> 64) as u64;
    ((u128::from(high) * shards as u128) >> 64) as usize
}

fn data_set(dir: &Path, name: &'static str, exponent: f64, settings: &Settings) -> DataSet {
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
    let mut shards: Vec<Vec<TestRecord>> = (0..settings.concurrency).map(|_| Vec::new()).collect();
    let lines = dir.join(format!("{name}.csv"));
    contenders::write_edge_lines(&summary.follows_gz, &lines).unwrap();
    let mut reader = EdgeReader::open(&summary.follows_gz).unwrap();
    let mut i = 0;
    while let Some(edge) = reader.next_edge().unwrap() {
        let body = edge.record_body();
        shards[shard_of(&edge.from, settings.concurrency)].push(TestRecord {
            partition_key: edge.from.clone(),
            sequence_number: sequence_number(i),
            data: body.into_bytes(),
        });
        i += 1;
    }
    DataSet {
        name,
        summary,
        shards,
        lines,
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

/// One run's edges/s, retries and the records it left unwritten (the writer gives up on a batch whose conflicts
/// outlast its retries: the hot-key case; the contenders try again until they land).
struct Run {
    rate: f64,
    retries: u64,
    unwritten: u64,
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
    let started = Instant::now();
    let responses = futures_util::future::join_all(
        events
            .into_iter()
            .map(|event| stream2neptune_writer::handle(&deps, event)),
    )
    .await;
    let elapsed = started.elapsed();
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
        rate: data.summary.follows as f64 / elapsed.as_secs_f64(),
        retries: metric(&docs, "RetryCount"),
        unwritten,
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

/// One run of `runner` on the emptied `server` (the people loaded first unless told otherwise), its edges checked.
async fn one_run(runner: Runner, server: &StoreServer, data: &DataSet, settings: &Settings) -> Run {
    let client = StoreClient::new(server.language(), &server.url());
    clear(&client).await;
    if settings.people_first {
        client.load_people(&data.summary).await.unwrap();
    }
    let run = match runner {
        Runner::Writer(variant) => {
            writer_run(
                &server.url(),
                server.language(),
                variant,
                data,
                settings.batch,
            )
            .await
        }
        Runner::Contender(contender) => {
            let run = contender
                .run(
                    &server.url(),
                    server.bolt_url().as_deref(),
                    &data.lines,
                    settings.batch,
                    settings.concurrency,
                )
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            Run {
                rate: run.edges_per_s,
                retries: run.retries,
                unwritten: 0,
            }
        }
    };
    if run.unwritten > 0 {
        // Its edges/s is then over the edges it did write, and the store holds fewer: the table says so.
        return run;
    }
    let counts = client.edge_counts().await.unwrap();
    assert_eq!(
        (counts.follows, counts.edge_resources),
        (data.summary.follows, data.summary.follows),
        "{} left the wrong edges",
        runner.name()
    );
    run
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}

/// Each writer runner's median edges/s by name, then the best contender's name and median.
type RaceResult = (Vec<(&'static str, f64)>, &'static str, f64);

/// Every round of every runner on `engine` with `data`; prints the table and returns (writer, best contender).
fn race(
    runtime: &tokio::runtime::Runtime,
    dir: &Path,
    (engine, language): (&str, QueryLanguage),
    data: &DataSet,
    settings: &Settings,
) -> RaceResult {
    let mut runners = vec![Runner::Writer(None)];
    if language == QueryLanguage::Gremlin {
        runners.push(Runner::Writer(Some(GREMLIN_ROWS)));
    }
    runners.extend(contenders::of(language).map(Runner::Contender));
    let mut rates: Vec<Vec<f64>> = vec![Vec::new(); runners.len()];
    let mut retries: Vec<u64> = vec![0; runners.len()];
    let mut unwritten: Vec<u64> = vec![0; runners.len()];
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
            let run = runtime.block_on(one_run(runners[index], &server, data, settings));
            rates[index].push(run.rate);
            retries[index] += run.retries;
            unwritten[index] += run.unwritten;
        }
        runtime.block_on(server.stop());
        // A round's store is hundreds of MB (Neo4j's logs, Oxigraph's RocksDB): gone before the next one starts.
        std::fs::remove_dir_all(&root).unwrap();
    }
    println!(
        "{engine} ({}), data set {} ({} edges, {} people{}, most followed person {} followers), batches of {}, \
         {} concurrent clients (the writer: {} invocations at once, one per shard, WRITE_CONCURRENCY=1), {} rounds \
         on a fresh server each; load average {load_before} before, {} after",
        language.as_str(),
        data.name,
        data.summary.follows,
        data.summary.people,
        if settings.people_first {
            ", loaded first"
        } else {
            ", empty graph"
        },
        data.summary.max_followers,
        settings.batch,
        settings.concurrency,
        settings.concurrency,
        settings.rounds,
        load_average(),
    );
    let edges_written = data.summary.follows as f64 * settings.rounds as f64;
    for (index, runner) in runners.iter().enumerate() {
        println!(
            "  {:<31} {:>8.0} edges/s   rounds: {:>6.0?}   retries per 1,000 edges: {:.1}{}",
            runner.name(),
            median(rates[index].clone()),
            rates[index],
            1000.0 * retries[index] as f64 / edges_written,
            match unwritten[index] {
                0 => String::new(),
                n => format!(
                    "   UNWRITTEN: {n} records left for redelivery (conflicts outlasted the retries; edges/s counts all)"
                ),
            }
        );
    }
    let writers = (0..runners.len())
        .filter(|&i| runners[i].is_writer())
        .map(|i| (runners[i].name(), median(rates[i].clone())))
        .collect();
    let (best, rate) = (0..runners.len())
        .filter(|&i| !runners[i].is_writer())
        .map(|i| (runners[i].name(), median(rates[i].clone())))
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .expect("every language has contenders");
    (writers, best, rate)
}

fn startup_ms() -> f64 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let started = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_stream2neptune-writer"))
        .env("AWS_LAMBDA_RUNTIME_API", format!("http://127.0.0.1:{port}"))
        .env("AWS_LAMBDA_FUNCTION_NAME", "bench")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "1")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "512")
        .env(
            "NEPTUNE_ENDPOINT",
            "db.cluster-x.us-east-1.neptune.amazonaws.com",
        )
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "AKID")
        .env("AWS_SECRET_ACCESS_KEY", "secret")
        .env("AWS_SESSION_TOKEN", "token")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let (mut stream, _) = listener.accept().unwrap();
    let mut buffer = [0u8; 256];
    let n = stream.read(&mut buffer).unwrap();
    let elapsed = started.elapsed();
    let head = String::from_utf8_lossy(&buffer[..n]);
    assert!(
        head.starts_with("GET /2018-06-01/runtime/invocation/next"),
        "{head}"
    );
    let _ = child.kill();
    let _ = child.wait();
    elapsed.as_secs_f64() * 1000.0
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
    fn names<T>(list: &[(&str, T)]) -> String {
        list.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(",")
    }
    let engines: Vec<(&str, QueryLanguage)> = std::env::var("BENCH_ENGINES")
        .unwrap_or_else(|_| names(ENGINES))
        .split(',')
        .map(|name| {
            *ENGINES
                .iter()
                .find(|(n, _)| *n == name.trim())
                .unwrap_or_else(|| {
                    panic!(
                        "BENCH_ENGINES: unknown engine {name:?}; allowed: {}",
                        names(ENGINES)
                    )
                })
        })
        .collect();
    let data_names = std::env::var("BENCH_DATA").unwrap_or_else(|_| "spread".into());
    let dir = tempfile::tempdir().unwrap();
    let data_sets: Vec<DataSet> = data_names
        .split(',')
        .map(|name| {
            let (name, exponent) = *DATA_SETS
                .iter()
                .find(|(n, _)| *n == name.trim())
                .unwrap_or_else(|| {
                    panic!(
                        "BENCH_DATA: unknown data set {name:?}; allowed: {}",
                        names(DATA_SETS)
                    )
                });
            data_set(dir.path(), name, exponent, &settings)
        })
        .collect();
    // The writer's retry warnings would bury the tables (its RetryCount counts them); RUST_LOG=warn shows them.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("error")),
        )
        .try_init();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    println!(
        "write-bench: {} cores, load average {}",
        std::thread::available_parallelism().map_or(1, |n| n.get()),
        load_average()
    );

    for &engine in &engines {
        // The first data set gives the language's last line; the others (the hot-key case) print their table.
        let mut lines = Vec::new();
        for data in &data_sets {
            lines.push(race(&runtime, dir.path(), engine, data, &settings));
        }
        let (writers, best, rate) = &lines[0];
        for (name, writer) in writers {
            println!(
                "write-bench: {} {name} {writer:.0} edges/s, best contender {best} {rate:.0} edges/s, ratio {:.0}%",
                engine.1.as_str(),
                100.0 * writer / rate
            );
        }
    }

    let startups: Vec<f64> = (0..10).map(|_| startup_ms()).collect();
    println!(
        "start-up to first poll of the runtime API (bench-profile binary, 10 runs): median {:.1} ms, max {:.1} ms",
        median(startups.clone()),
        startups.iter().cloned().fold(0.0, f64::max)
    );
}
