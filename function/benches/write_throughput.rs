//! Bench command (not criterion): write throughput into Oxigraph through the writer's handler,
//! beside a bare client posting the same pre-built updates on one keep-alive connection (the
//! store's ceiling), in the same run; then the bootstrap's start-up time to its first poll of the
//! runtime API. `BENCH_EDGES` (default 20000) and `BENCH_ROUNDS` (default 3) set the size.

#[path = "../tests/common/mod.rs"]
mod common;

use std::io::Read;
use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;

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

async fn handler_rate(records: &[TestRecord], batch: usize) -> f64 {
    let store = Oxigraph::start();
    let url = store.url();
    let batch = batch.to_string();
    let (deps, _) = deps(&[
        ("NEPTUNE_ENDPOINT", &url),
        ("QUERY_LANGUAGE", "sparql"),
        ("BATCH_WRITE_SIZE", &batch),
    ]);
    let event = invocation(records, Duration::from_secs(900));
    let started = Instant::now();
    let response = stream2neptune_writer::handle(&deps, event).await.unwrap();
    let elapsed = started.elapsed();
    assert!(response.batch_item_failures.is_empty());
    assert_eq!(store.edges().await, records.len());
    records.len() as f64 / elapsed.as_secs_f64()
}

async fn ceiling_rate(bodies: &[String], edges: usize) -> f64 {
    let store = Oxigraph::start();
    let client = reqwest::Client::builder()
        .http1_only()
        .pool_max_idle_per_host(1)
        .build()
        .unwrap();
    let url = format!("{}/sparql", store.url());
    let started = Instant::now();
    for body in bodies {
        let response = client
            .post(&url)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body.clone())
            .send()
            .await
            .unwrap();
        assert!(response.status().is_success());
        response.bytes().await.unwrap();
    }
    let elapsed = started.elapsed();
    assert_eq!(store.edges().await, edges);
    edges as f64 / elapsed.as_secs_f64()
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
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let records = csv_records(0..edges);

    // The same update texts the handler sends, built and form-encoded before timing.
    let (config_deps, _) = deps(&[
        ("NEPTUNE_ENDPOINT", "http://127.0.0.1:1"),
        ("QUERY_LANGUAGE", "sparql"),
    ]);
    let parsed: Vec<_> = records
        .iter()
        .map(|r| stream2neptune_writer::record::parse_record(&r.data, 65_536).unwrap())
        .collect();
    let bodies: Vec<String> = parsed
        .chunks(batch)
        .map(|chunk| {
            let update = stream2neptune_writer::handler::build_query(&config_deps.config, chunk);
            format!(
                "update={}",
                url::form_urlencoded::byte_serialize(update.as_bytes()).collect::<String>()
            )
        })
        .collect();

    let (mut handler, mut ceiling) = (Vec::new(), Vec::new());
    for round in 0..rounds {
        // Alternate the order so neither side always runs on a warmer machine.
        if round % 2 == 0 {
            handler.push(runtime.block_on(handler_rate(&records, batch)));
            ceiling.push(runtime.block_on(ceiling_rate(&bodies, edges)));
        } else {
            ceiling.push(runtime.block_on(ceiling_rate(&bodies, edges)));
            handler.push(runtime.block_on(handler_rate(&records, batch)));
        }
    }
    let (h, c) = (median(handler.clone()), median(ceiling.clone()));
    println!(
        "write throughput into Oxigraph, {edges} edges, BATCH_WRITE_SIZE={batch}, WRITE_CONCURRENCY=1, {rounds} rounds (median)"
    );
    println!("  handler (parse + build + HTTP):   {h:>9.0} edges/s   rounds: {handler:.0?}");
    println!("  bare client, pre-built updates:   {c:>9.0} edges/s   rounds: {ceiling:.0?}");
    println!(
        "  handler / ceiling:                {:>9.1} %",
        100.0 * h / c
    );

    let startups: Vec<f64> = (0..10).map(|_| startup_ms()).collect();
    println!(
        "start-up to first poll of the runtime API (bench-profile binary, 10 runs): median {:.1} ms, max {:.1} ms",
        median(startups.clone()),
        startups.iter().cloned().fold(0.0, f64::max)
    );
}
