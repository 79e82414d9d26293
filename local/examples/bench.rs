//! `make local-bench`: local-mode figures for BENCHMARKS.md ("Local pipeline"), printed as
//! Markdown. In one run: the store's own ceiling (pre-built SPARQL updates posted straight to
//! Oxigraph), end-to-end edges/s from driver to store with 1, 2 and 4 shards, and the iterator
//! age per shard at a steady driver pace.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Parser;
use stream2neptune_local::demo::{drive_edges, verify};
use stream2neptune_local::metrics::RunMetrics;
use stream2neptune_local::paths::{StateDir, workspace_root};
use stream2neptune_local::sparql::SparqlClient;
use stream2neptune_local::store::EdgeStore as _;
use stream2neptune_local::store_server::StoreServer;
use stream2neptune_local::{LocalPlan, LocalStack, Ports};
use stream2neptune_plan::QueryLanguage;
use stream2neptune_workload::dataset::{DatasetArgs, DatasetConfig, generate};
use stream2neptune_workload::edges::EdgeReader;
use stream2neptune_workload::shutdown::Shutdown;

/// Local pipeline benchmarks.
#[derive(Debug, Parser)]
struct Cli {
    /// Region whose settings are used.
    #[arg(long, default_value = "eu-west-1")]
    region: String,
    /// Edges per throughput run.
    #[arg(long, default_value_t = 20_000)]
    edges: u64,
    /// Shard counts to measure.
    #[arg(long, value_delimiter = ',', default_value = "1,2,4")]
    shards: Vec<u32>,
    /// Driver pace of the iterator-age run, edges/s.
    #[arg(long, default_value_t = 1000.0)]
    steady_rate: f64,
    /// Length of the iterator-age run, seconds.
    #[arg(long, default_value_t = 30)]
    steady_secs: u64,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let dir = tempfile::tempdir()?;
    let config = workspace_root().join("stack.yaml");
    let base = LocalPlan::load(&config, &cli.region, &[])?;
    let data = generate(&DatasetConfig::from_args(&DatasetArgs {
        people: (cli.edges / 10).max(100) as u32,
        follows: cli.edges,
        seed: 42,
        out: dir.path().join("dataset"),
        zipf_exponent: 1.0,
        start: "2018-01-01".into(),
        end: "2019-12-31".into(),
        gzip_level: 1,
    })?)?;

    // The store's ceiling: the same edges as pre-built updates of BatchWriteSize edges.
    let writer_config = base.writer_config("http://127.0.0.1:1", &dir.path().join("r.jsonl"))?;
    let mut parsed = Vec::new();
    let mut reader = EdgeReader::open(&data.follows_gz)?;
    while let Some(edge) = reader.next_edge()? {
        let edge =
            stream2neptune_writer::record::parse_record(edge.record_body().as_bytes(), 65_536)
                .map_err(|e| anyhow::anyhow!("{e}"))?;
        parsed.push(edge);
    }
    let updates: Vec<String> = parsed
        .chunks(base.batch_write_size)
        .map(|chunk| stream2neptune_writer::handler::build_query(&writer_config, chunk))
        .collect();
    println!(
        "Local pipeline benchmarks: region {} (BatchSize {}, BatchWriteSize {}, WriteConcurrency {}), {} edges, {} cores\n",
        base.region,
        base.esm.batch_size,
        base.batch_write_size,
        base.write_concurrency,
        cli.edges,
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    println!("| measurement | edges/s |\n|---|---|");
    for connections in [1usize, 4] {
        let rate = store_ceiling(dir.path(), &updates, connections, cli.edges).await?;
        println!("| store ceiling: pre-built updates, {connections} connection(s) | {rate:.0} |");
    }

    // kinesis-mock alone: the driver with no mapping reading, on the largest shard count.
    if let Some(&shards) = cli.shards.iter().max() {
        let plan = LocalPlan::load(&config, &cli.region, &[format!("ShardCount={shards}")])?;
        let state = StateDir::create(dir.path().join(format!("driver-only-{shards}")))?;
        let stack = LocalStack::up(plan, state, Ports::default()).await?;
        let driven = drive_edges(
            &stack,
            &data.follows_gz,
            None,
            Arc::new(RunMetrics::default()),
            &Shutdown::never(),
        )
        .await?;
        println!(
            "| driver alone into kinesis-mock, {shards} shard(s), no mapping reading | {:.0} |",
            driven.rate()
        );
    }

    for &shards in &cli.shards {
        let sets = vec![format!("ShardCount={shards}")];
        let plan = LocalPlan::load(&config, &cli.region, &sets)?;
        let state = StateDir::create(dir.path().join(format!("shards-{shards}")))?;
        let stack = LocalStack::up(plan, state, Ports::default()).await?;
        let metrics = Arc::new(RunMetrics::default());
        let mut mapping = stack
            .start_mapping(stack.writer_deps()?, Arc::clone(&metrics))
            .await?;
        let started = Instant::now();
        let driven = drive_edges(
            &stack,
            &data.follows_gz,
            None,
            Arc::clone(&metrics),
            &Shutdown::never(),
        )
        .await?;
        let drained = mapping.wait_drained(Duration::from_secs(900)).await?;
        let elapsed = started.elapsed().as_secs_f64();
        mapping.stop().await?;
        let outcome = verify(&stack, &data.follows_gz, &metrics).await?;
        anyhow::ensure!(
            drained && outcome.is_clean(),
            "run with {shards} shards: {}",
            outcome.line()
        );
        println!(
            "| end to end, {shards} shard(s): driver unpaced ({:.0} edges/s accepted by kinesis-mock), {} invocations | {:.0} |",
            driven.rate(),
            metrics
                .invocations
                .load(std::sync::atomic::Ordering::Relaxed),
            cli.edges as f64 / elapsed
        );
    }

    // Iterator age at a steady pace, with the region's own shard count.
    let steady_edges = (cli.steady_rate * cli.steady_secs as f64) as u64;
    let steady = generate(&DatasetConfig::from_args(&DatasetArgs {
        people: (steady_edges / 10).max(100) as u32,
        follows: steady_edges,
        seed: 7,
        out: dir.path().join("steady"),
        zipf_exponent: 1.0,
        start: "2018-01-01".into(),
        end: "2019-12-31".into(),
        gzip_level: 1,
    })?)?;
    let state = StateDir::create(dir.path().join("steady-state"))?;
    let stack = LocalStack::up(base.clone(), state, Ports::default()).await?;
    let metrics = Arc::new(RunMetrics::default());
    let mut mapping = stack
        .start_mapping(stack.writer_deps()?, Arc::clone(&metrics))
        .await?;
    let sampler = {
        let metrics = Arc::clone(&metrics);
        tokio::spawn(async move {
            let mut samples: BTreeMap<String, Vec<u64>> = BTreeMap::new();
            loop {
                tokio::time::sleep(Duration::from_millis(250)).await;
                for (shard, age) in metrics.iterator_ages() {
                    samples.entry(shard).or_default().push(age);
                }
                if samples.values().map(Vec::len).sum::<usize>() > 1_000_000 {
                    return samples;
                }
            }
        })
    };
    let driven = drive_edges(
        &stack,
        &steady.follows_gz,
        Some(cli.steady_rate),
        Arc::clone(&metrics),
        &Shutdown::never(),
    )
    .await?;
    let drained = mapping.wait_drained(Duration::from_secs(300)).await?;
    sampler.abort();
    let seconds = metrics.seconds();
    mapping.stop().await?;
    anyhow::ensure!(drained, "the steady run did not drain");
    println!(
        "\nIterator age at a steady {:.0} edges/s ({} s, {} shards, driver achieved {:.0} edges/s): per-shard maximum of each second, in ms\n",
        cli.steady_rate,
        cli.steady_secs,
        base.shard_count,
        driven.rate()
    );
    println!("| shard | median | p95 | max |\n|---|---|---|---|");
    let mut per_shard: BTreeMap<String, Vec<u64>> = BTreeMap::new();
    for second in &seconds {
        for (shard, age) in &second.iterator_age_ms {
            per_shard.entry(shard.clone()).or_default().push(*age);
        }
    }
    for (shard, mut ages) in per_shard {
        ages.sort_unstable();
        let at = |q: f64| ages[((ages.len() - 1) as f64 * q).round() as usize];
        println!("| {shard} | {} | {} | {} |", at(0.5), at(0.95), at(1.0));
    }
    Ok(())
}

/// Posts `updates` to a fresh Oxigraph over `connections` keep-alive connections; edges/s.
async fn store_ceiling(
    dir: &std::path::Path,
    updates: &[String],
    connections: usize,
    edges: u64,
) -> anyhow::Result<f64> {
    let state = StateDir::create(dir.join(format!("ceiling-{connections}")))?;
    let server = StoreServer::start(QueryLanguage::Sparql, &state, 0).await?;
    let updates = Arc::new(updates.to_vec());
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for lane in 0..connections {
        let (client, updates) = (SparqlClient::new(&server.url()), Arc::clone(&updates));
        tasks.spawn(async move {
            for update in updates.iter().skip(lane).step_by(connections) {
                client.update(update).await?;
            }
            anyhow::Ok(())
        });
    }
    while let Some(done) = tasks.join_next().await {
        done??;
    }
    let rate = edges as f64 / started.elapsed().as_secs_f64();
    let counts = SparqlClient::new(&server.url()).edge_counts().await?;
    anyhow::ensure!(
        counts.follows == edges,
        "ceiling run wrote {} of {edges} edges",
        counts.follows
    );
    Ok(rate)
}
