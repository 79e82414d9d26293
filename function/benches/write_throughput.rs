//! Bench command (not criterion): write throughput through the writer's handler into each real engine
//! (Oxigraph for SPARQL, Gremlin Server for Gremlin, Neo4j behind Neptune's openCypher form), beside a bare
//! client posting the same pre-built requests on one keep-alive connection (the store's ceiling), in the same
//! run on the same server; then the bootstrap's start-up time to its first poll of the runtime API.
//! `BENCH_EDGES` (default 20000), `BENCH_ROUNDS` (default 3), `BENCH_BATCH` (default 100) set the size and
//! `BENCH_ENGINES` (default `oxigraph,gremlin-server,neo4j`) the engines.

#[path = "../tests/common/mod.rs"]
mod common;

use std::io::Read;
use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;

/// Every engine, in the order they run.
const ALL_ENGINES: &str = "oxigraph,gremlin-server,neo4j";

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(|a, b| a.total_cmp(b));
    values[values.len() / 2]
}

/// Edges/s through `stream2neptune_writer::handle` on one event of `records` into the emptied `store`.
async fn handler_rate<S: TestStore>(store: &S, records: &[TestRecord], batch: usize) -> f64 {
    store.clear().await;
    let batch = batch.to_string();
    let (deps, _) = store_deps(store, &[("BATCH_WRITE_SIZE", &batch)]);
    let event = invocation(records, Duration::from_secs(900));
    let started = Instant::now();
    let response = stream2neptune_writer::handle(&deps, event).await.unwrap();
    let elapsed = started.elapsed();
    assert!(response.batch_item_failures.is_empty());
    assert_eq!(store.edges().await, records.len() as u64);
    records.len() as f64 / elapsed.as_secs_f64()
}

/// The writer's requests for `records` in batches of `batch`, built and encoded before any timing: (URL,
/// content type, body) each, in the store's language.
fn prebuilt_requests<S: TestStore>(
    store: &S,
    records: &[TestRecord],
    batch: usize,
) -> (String, Vec<(&'static str, Vec<u8>)>) {
    let (deps, _) = store_deps(store, &[]);
    let parsed: Vec<_> = records
        .iter()
        .map(|r| stream2neptune_writer::record::parse_record(&r.data, 65_536).unwrap())
        .collect();
    let requests = parsed
        .chunks(batch)
        .map(|chunk| {
            let query = stream2neptune_writer::handler::build_query(&deps.config, chunk);
            deps.store.request_body(&query)
        })
        .collect();
    (deps.store.url().to_owned(), requests)
}

/// Edges/s of a bare client posting `requests` one after another on one keep-alive connection into the emptied
/// `store`: its ceiling for the writer's requests.
async fn ceiling_rate<S: TestStore>(
    store: &S,
    (url, requests): &(String, Vec<(&'static str, Vec<u8>)>),
    edges: usize,
) -> f64 {
    store.clear().await;
    let client = reqwest::Client::builder()
        .http1_only()
        .pool_max_idle_per_host(1)
        .build()
        .unwrap();
    let started = Instant::now();
    for (content_type, body) in requests {
        let response = client
            .post(url)
            .header("content-type", *content_type)
            .body(body.clone())
            .send()
            .await
            .unwrap();
        let status = response.status();
        let text = response.text().await.unwrap();
        assert!(status.is_success(), "{status}: {text}");
    }
    let elapsed = started.elapsed();
    assert_eq!(store.edges().await, edges as u64);
    edges as f64 / elapsed.as_secs_f64()
}

/// Handler and ceiling on one `store`, `rounds` times each, alternating which goes first; prints the medians.
fn compare<S: TestStore>(
    runtime: &tokio::runtime::Runtime,
    engine: &str,
    store: &S,
    records: &[TestRecord],
    batch: usize,
    rounds: usize,
) {
    let requests = prebuilt_requests(store, records, batch);
    let (mut handler, mut ceiling) = (Vec::new(), Vec::new());
    for round in 0..rounds {
        // Alternate the order so neither side always runs on a warmer store.
        if round % 2 == 0 {
            handler.push(runtime.block_on(handler_rate(store, records, batch)));
            ceiling.push(runtime.block_on(ceiling_rate(store, &requests, records.len())));
        } else {
            ceiling.push(runtime.block_on(ceiling_rate(store, &requests, records.len())));
            handler.push(runtime.block_on(handler_rate(store, records, batch)));
        }
    }
    let (h, c) = (median(handler.clone()), median(ceiling.clone()));
    println!(
        "write throughput into {engine} ({}), {} edges, BATCH_WRITE_SIZE={batch}, WRITE_CONCURRENCY=1, {rounds} rounds (median)",
        S::LANGUAGE,
        records.len()
    );
    println!("  handler (parse + build + HTTP):   {h:>9.0} edges/s   rounds: {handler:.0?}");
    println!("  bare client, pre-built requests:  {c:>9.0} edges/s   rounds: {ceiling:.0?}");
    println!(
        "  handler / ceiling:                {:>9.1} %",
        100.0 * h / c
    );
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
    let edges = env_or("BENCH_EDGES", 20_000);
    let rounds = env_or("BENCH_ROUNDS", 3);
    let batch = env_or("BENCH_BATCH", 100);
    let engines = std::env::var("BENCH_ENGINES").unwrap_or_else(|_| ALL_ENGINES.to_owned());
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let records = csv_records(0..edges);

    for engine in engines.split(',').map(str::trim) {
        match engine {
            "oxigraph" => compare(
                &runtime,
                "Oxigraph",
                &Oxigraph::start(),
                &records,
                batch,
                rounds,
            ),
            // gremlin-lang, as Neptune parses (Groovy would compile each distinct script, see the README).
            "gremlin-server" => compare(
                &runtime,
                "Gremlin Server",
                &GremlinServer::start_with(
                    stream2neptune_local::gremlin_server::Channelizer::GrammarByDefault,
                ),
                &records,
                batch,
                rounds,
            ),
            "neo4j" => compare(
                &runtime,
                "Neo4j",
                &neo4j::CypherServer::start(),
                &records,
                batch,
                rounds,
            ),
            other => panic!("BENCH_ENGINES: unknown engine {other:?}; allowed: {ALL_ENGINES}"),
        }
    }

    let startups: Vec<f64> = (0..10).map(|_| startup_ms()).collect();
    println!(
        "start-up to first poll of the runtime API (bench-profile binary, 10 runs): median {:.1} ms, max {:.1} ms",
        median(startups.clone()),
        startups.iter().cloned().fold(0.0, f64::max)
    );
}
