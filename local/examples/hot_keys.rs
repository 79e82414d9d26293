//! Hot keys: a Zipf-skewed data set (the demo's, from the workload crate) written by several shards at once into
//! TinkerPop's Gremlin Server (TinkerTransactionGraph, parsed by `gremlin-lang` as on Neptune), each shard with
//! its own writer (one Lambda execution environment per shard) handling its records in invocations one after
//! another, a failed batch delivered again from its checkpoint as Lambda does. Popular people are followed from
//! every shard, so their vertex is written by concurrent transactions, which conflict ("element modified in
//! another transaction"). Prints one line per run: time, edges/s, the writer's retries (on this store each is a
//! conflict) and failed batches per 1,000 edges, and the slowest invocation.
//!
//! `cargo run -p stream2neptune-local --example hot_keys`; `HOT_EDGES` (default 10000), `HOT_SHARDS` (4),
//! `HOT_READ` (records per invocation, 500), `HOT_ROUNDS` (1), `HOT_ZIPF` (the exponent, 1.0); the writer's
//! `BATCH_WRITE_SIZE`, `WRITE_CONCURRENCY` and `RETRY_*` variables are passed on.

#[path = "../../function/tests/common/mod.rs"]
mod common;

use std::time::{Duration, Instant};

use common::*;
use stream2neptune_engines::gremlin_server::Channelizer;
use stream2neptune_workload::dataset::{DatasetArgs, DatasetConfig, generate};
use stream2neptune_workload::edges::EdgeReader;
use stream2neptune_writer::batching::lane_of;

/// Writer variables taken from the environment.
const PASSED_ON: &[&str] = &[
    "BATCH_WRITE_SIZE",
    "WRITE_CONCURRENCY",
    "RETRY_MAX_ATTEMPTS",
    "RETRY_BASE_DELAY_MS",
    "RETRY_MAX_DELAY_MS",
    "RETRY_CONFLICT_DELAY_MS",
];

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// What one shard did.
#[derive(Default)]
struct ShardRun {
    invocations: u64,
    redeliveries: u64,
    slowest: Duration,
}

/// Writes `records` (one shard's, in stream order) in invocations of `read` records, each failed batch
/// delivered again from its checkpoint.
async fn shard(url: &str, records: &[TestRecord], read: usize) -> (ShardRun, u64, u64) {
    let mut vars = vec![
        ("NEPTUNE_ENDPOINT", url.to_owned()),
        ("QUERY_LANGUAGE", "gremlin".to_owned()),
    ];
    for name in PASSED_ON {
        if let Ok(value) = std::env::var(name) {
            vars.push((name, value));
        }
    }
    let vars: Vec<(&str, &str)> = vars.iter().map(|(n, v)| (*n, v.as_str())).collect();
    let (deps, metrics) = deps(&vars);
    let mut run = ShardRun::default();
    let mut at = 0;
    while at < records.len() {
        let batch = &records[at..(at + read).min(records.len())];
        let started = Instant::now();
        let response =
            stream2neptune_writer::handle(&deps, invocation(batch, ENGINE_INVOCATION_TIME))
                .await
                .unwrap();
        run.slowest = run.slowest.max(started.elapsed());
        run.invocations += 1;
        match failures(&response).first() {
            None => at += batch.len(),
            Some(failed) => {
                run.redeliveries += 1;
                at += batch
                    .iter()
                    .position(|r| &r.sequence_number == failed)
                    .unwrap();
            }
        }
    }
    let retries = metric(&metrics, "RetryCount");
    let failed = metric(&metrics, "BatchesFailed");
    (run, retries, failed)
}

#[tokio::main]
async fn main() {
    let edges: u64 = env_or("HOT_EDGES", 10_000);
    let shards: usize = env_or("HOT_SHARDS", 4);
    let read: usize = env_or("HOT_READ", 500);
    let rounds: usize = env_or("HOT_ROUNDS", 1);
    let zipf: f64 = env_or("HOT_ZIPF", 1.0);

    let dir = tempfile::tempdir().unwrap();
    let summary = generate(
        &DatasetConfig::from_args(&DatasetArgs {
            people: (edges / 10).max(100) as u32,
            follows: edges,
            seed: 42,
            out: dir.path().join("data"),
            zipf_exponent: zipf,
            start: "2018-01-01".into(),
            end: "2019-12-31".into(),
            gzip_level: 1,
        })
        .unwrap(),
    )
    .unwrap();
    // Each edge goes to its follower's shard (the partition key), in file order.
    let mut by_shard: Vec<Vec<TestRecord>> = (0..shards).map(|_| Vec::new()).collect();
    for (i, edge) in EdgeReader::open(&summary.follows_gz).unwrap().enumerate() {
        let edge = edge.unwrap();
        by_shard[lane_of(&edge.from, shards)].push(TestRecord {
            partition_key: edge.from.clone(),
            sequence_number: sequence_number(i),
            data: edge.record_body().into_bytes(),
        });
    }

    let mut server = GremlinServer::start_with(Channelizer::GrammarByDefault);
    let url = server.url();
    for round in 0..rounds {
        server.query("g.V().drop()").await;
        let started = Instant::now();
        let runs = futures_util::future::join_all(
            by_shard.iter().map(|records| shard(&url, records, read)),
        )
        .await;
        let elapsed = started.elapsed().as_secs_f64();
        assert_eq!(server.edges().await, edges, "every edge lands");
        let per_1000 = |n: u64| n as f64 * 1_000.0 / edges as f64;
        let retries: u64 = runs.iter().map(|(_, r, _)| r).sum();
        let failed: u64 = runs.iter().map(|(_, _, f)| f).sum();
        let invocations: u64 = runs.iter().map(|(r, _, _)| r.invocations).sum();
        let redeliveries: u64 = runs.iter().map(|(r, _, _)| r.redeliveries).sum();
        let slowest = runs.iter().map(|(r, _, _)| r.slowest).max().unwrap();
        println!(
            "hot-keys round {round}: {edges} edges, {shards} shards, {:.1} s, {:.0} edges/s, retries {retries} ({:.1} per 1,000 edges), failed batches {failed} ({:.2} per 1,000), invocations {invocations} (redelivered {redeliveries}), slowest invocation {:.1} s, top person followed {} times",
            elapsed,
            edges as f64 / elapsed,
            per_1000(retries),
            per_1000(failed),
            slowest.as_secs_f64(),
            summary.max_followers,
        );
    }
    server.stop();
}
