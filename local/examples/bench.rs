//! `make local-bench`: local-mode figures for BENCHMARKS.md ("Local pipeline"), printed as Markdown. In one
//! run, in the region's query language (or --language) and so its store: the store's own ceiling (each write
//! contender of the language, clients that are not the writer: `stream2neptune_engines::contenders`, tools/bench/, on
//! the same edges, BatchWriteSize edges a request over one client per shard, each on a fresh store; the ceiling is
//! the best of them); end-to-end edges/s from driver to store
//! (driver -> local stream -> local event source mapping -> writer -> store, every edge checked in the store)
//! per stream server, with and without KPL aggregation; the CPU each part used; the iterator age p95 at steady
//! driver paces. The last line is `local-bench: end-to-end E edges/s, store ceiling C edges/s (best contender NAME),
//! ratio R%`, E being the first stream server's run with aggregation (goal: R >= 80).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Parser;
use stream2neptune_engines::contenders::{self, Contender, ContenderRun};
use stream2neptune_engines::tools::workspace_root;
use stream2neptune_local::contender_edges::write_edge_lines;
use stream2neptune_local::demo::verify;
use stream2neptune_local::demo_run::drive_edges;
use stream2neptune_local::edge_store::EdgeStore as _;
use stream2neptune_local::metrics::RunMetrics;
use stream2neptune_local::paths::StateDir;
use stream2neptune_local::services::StreamServerKind;
use stream2neptune_local::store::StoreClient;
use stream2neptune_local::store_server::StoreServer;
use stream2neptune_local::{LocalPlan, LocalStack, Ports};
use stream2neptune_plan::QueryLanguage;
use stream2neptune_process::procfs;
use stream2neptune_process::shutdown::Shutdown;
use stream2neptune_workload::dataset::{DatasetArgs, DatasetConfig, DatasetSummary, generate};

/// Local pipeline benchmarks.
#[derive(Debug, Parser)]
struct Cli {
    /// Region whose settings are used.
    #[arg(long, default_value = "eu-west-1")]
    region: String,
    /// Edges per end-to-end run.
    #[arg(long, default_value_t = 100_000)]
    edges: u64,
    /// Shards of the end-to-end runs.
    #[arg(long, default_value_t = 4)]
    shards: u32,
    /// Stream servers to measure; the first one gives the last line's figure and the steady runs.
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        default_value = "kinesalite,kinesis-mock"
    )]
    stream_servers: Vec<StreamServerKind>,
    /// Driver paces of the iterator-age runs, edges/s.
    #[arg(long, value_delimiter = ',', default_value = "1000,10000")]
    steady_rates: Vec<f64>,
    /// Length of each iterator-age run, seconds (0 skips them).
    #[arg(long, default_value_t = 20)]
    steady_secs: u64,
    /// Query language, and so the store (gremlin: Gremlin Server, sparql: Oxigraph, opencypher: Neo4j)
    /// [default: the region's QueryLanguage].
    #[arg(long, value_parser = clap::builder::PossibleValuesParser::new(QueryLanguage::NAMES))]
    language: Option<String>,
    /// Parameter overrides, as `demo --set` takes them (e.g. GremlinBatchForm=rows); repeatable.
    #[arg(long = "set", value_name = "NAME=VALUE")]
    sets: Vec<String>,
}

fn dataset(
    dir: &std::path::Path,
    name: &str,
    edges: u64,
    seed: u64,
) -> anyhow::Result<DatasetSummary> {
    Ok(generate(&DatasetConfig::from_args(&DatasetArgs {
        people: (edges / 10).max(100) as u32,
        follows: edges,
        seed,
        out: dir.join(name),
        zipf_exponent: 1.0,
        start: "2018-01-01".into(),
        end: "2019-12-31".into(),
        gzip_level: 1,
    })?)?)
}

/// The region's plan with `shards` shards and DriverAggregation `aggregation`.
fn plan(cli: &Cli, shards: u32, aggregation: bool) -> anyhow::Result<LocalPlan> {
    let mut sets = vec![
        format!("ShardCount={shards}"),
        format!("DriverAggregation={aggregation}"),
    ];
    sets.extend(cli.language.iter().map(|l| format!("QueryLanguage={l}")));
    sets.extend(cli.sets.iter().cloned());
    Ok(LocalPlan::load(
        &workspace_root().join("stack.yaml"),
        &cli.region,
        &sets,
    )?)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    anyhow::ensure!(!cli.stream_servers.is_empty(), "--stream-servers is empty");
    let dir = tempfile::tempdir()?;
    let data = dataset(dir.path(), "dataset", cli.edges, 42)?;
    let base = plan(&cli, cli.shards, true)?;
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());

    // The contenders' data file: the same edges as the driver sends, `from,to,created` a line.
    let lines = dir.path().join("follows.csv");
    write_edge_lines(&data.follows_gz, &lines)?;
    println!(
        "Local pipeline benchmarks: region {}, {} into {} (BatchReadSize {} edges, BatchWriteSize {}, WriteConcurrency {}{}), {} edges, {} shards, {} cores\n",
        base.region,
        base.query_language.as_str(),
        store_name(base.query_language),
        plan(&cli, cli.shards, false)?.esm.batch_size,
        base.batch_write_size,
        base.write_concurrency,
        cli.sets
            .iter()
            .map(|s| format!(", {s}"))
            .collect::<String>(),
        cli.edges,
        cli.shards,
        cores
    );
    println!("| measurement | edges/s |\n|---|---|");
    let mut ceiling: (&str, f64) = ("", 0.0);
    for contender in contenders::of(base.query_language) {
        let run = contender_ceiling(
            dir.path(),
            &base,
            contender,
            &lines,
            cli.shards as usize,
            cli.edges,
        )
        .await?;
        println!(
            "| store ceiling: contender {}, {} clients, batches of {}, {} conflicts tried again | {:.0} |",
            contender.name, cli.shards, base.batch_write_size, run.retries, run.edges_per_s
        );
        if run.edges_per_s > ceiling.1 {
            ceiling = (contender.name, run.edges_per_s);
        }
    }

    let mut headline = None;
    let mut cpu_rows = Vec::new();
    for &server in &cli.stream_servers {
        for aggregation in [true, false] {
            let plan = plan(&cli, cli.shards, aggregation)?;
            let batch_size = plan.esm.batch_size;
            let state = StateDir::create(dir.path().join(format!("{server}-{aggregation}")))?;
            let ports = Ports {
                stream_server: server,
                ..Ports::default()
            };
            let stack = LocalStack::up(plan, state, ports).await?;
            let metrics = Arc::new(RunMetrics::default());
            let mut mapping = stack
                .start_mapping(stack.writer_deps()?, Arc::clone(&metrics))
                .await?;
            let cpu_before = CpuUse::now(&stack);
            let started = Instant::now();
            let driven = drive_edges(
                &stack,
                &data.follows_gz,
                None,
                Arc::clone(&metrics),
                &Shutdown::never(),
            )
            .await?;
            let drained = mapping.wait_drained(Duration::from_secs(1800)).await?;
            let elapsed = started.elapsed().as_secs_f64();
            let cpu = CpuUse::now(&stack).since(&cpu_before);
            mapping.stop().await?;
            let outcome = verify(&stack, &data.follows_gz, &metrics).await?;
            stack.stop().await;
            anyhow::ensure!(
                drained && outcome.is_clean() && outcome.terms.lost == 0,
                "{server}, aggregation {aggregation}: {}",
                outcome.line()
            );
            let rate = cli.edges as f64 / elapsed;
            println!(
                "| end to end, {server}, {}, {} shards, BatchSize {batch_size}: driver unpaced ({:.0} edges/s accepted), {} invocations, lost {} | {rate:.0} |",
                if aggregation {
                    "KPL aggregation"
                } else {
                    "plain records"
                },
                cli.shards,
                driven.rate(),
                metrics
                    .invocations
                    .load(std::sync::atomic::Ordering::Relaxed),
                outcome.terms.lost,
            );
            cpu_rows.push(format!(
                "| {server}, {} | {elapsed:.1} | {:.1} | {:.1} | {:.1} | {:.0} % |",
                if aggregation { "aggregation" } else { "plain" },
                cpu.pipeline,
                cpu.stream_server,
                cpu.store,
                100.0 * cpu.total() / (elapsed * cores as f64),
            ));
            if aggregation && headline.is_none() {
                headline = Some(rate);
            }
        }
    }

    println!(
        "\nCPU seconds used in each end-to-end run (the pipeline: this process's driver, mapping and writer)\n"
    );
    println!(
        "| run | wall s | pipeline | stream server | store | of {cores} cores busy |\n|---|---|---|---|---|---|"
    );
    for row in &cpu_rows {
        println!("{row}");
    }

    // Iterator age at steady paces, on the first stream server, with aggregation.
    let server = cli.stream_servers[0];
    println!(
        "\nIterator age at a steady pace ({server}, KPL aggregation, {} shards, {} s each): per-shard maximum of each second, in ms\n",
        cli.shards, cli.steady_secs
    );
    println!(
        "| driver pace | achieved edges/s | shard | median | p95 | max |\n|---|---|---|---|---|---|"
    );
    let steady_rates = if cli.steady_secs == 0 {
        &[][..]
    } else {
        &cli.steady_rates[..]
    };
    for (n, &pace) in steady_rates.iter().enumerate() {
        let steady_edges = (pace * cli.steady_secs as f64) as u64;
        let steady = dataset(
            dir.path(),
            &format!("steady-{n}"),
            steady_edges,
            7 + n as u64,
        )?;
        let state = StateDir::create(dir.path().join(format!("steady-state-{n}")))?;
        let ports = Ports {
            stream_server: server,
            ..Ports::default()
        };
        let stack = LocalStack::up(base.clone(), state, ports).await?;
        let metrics = Arc::new(RunMetrics::default());
        let mut mapping = stack
            .start_mapping(stack.writer_deps()?, Arc::clone(&metrics))
            .await?;
        let driven = drive_edges(
            &stack,
            &steady.follows_gz,
            Some(pace),
            Arc::clone(&metrics),
            &Shutdown::never(),
        )
        .await?;
        let drained = mapping.wait_drained(Duration::from_secs(600)).await?;
        let seconds = metrics.seconds();
        mapping.stop().await?;
        stack.stop().await;
        anyhow::ensure!(drained, "the steady run at {pace} edges/s did not drain");
        let mut per_shard: BTreeMap<String, Vec<u64>> = BTreeMap::new();
        for second in &seconds {
            for (shard, age) in &second.iterator_age_ms {
                per_shard.entry(shard.clone()).or_default().push(*age);
            }
        }
        for (shard, mut ages) in per_shard {
            ages.sort_unstable();
            let at = |q: f64| ages[((ages.len() - 1) as f64 * q).round() as usize];
            println!(
                "| {pace:.0} | {:.0} | {shard} | {} | {} | {} |",
                driven.rate(),
                at(0.5),
                at(0.95),
                at(1.0)
            );
        }
    }

    let end_to_end = headline.expect("every server runs with aggregation");
    println!(
        "\nlocal-bench: end-to-end {end_to_end:.0} edges/s, store ceiling {:.0} edges/s (best contender {}), ratio {:.0}%",
        ceiling.1,
        ceiling.0,
        100.0 * end_to_end / ceiling.1
    );
    Ok(())
}

/// CPU seconds used so far by each part of a local stack's pipeline.
struct CpuUse {
    /// This process: the driver, the event source mapping and the writer.
    pipeline: f64,
    stream_server: f64,
    store: f64,
}

impl CpuUse {
    fn now(stack: &LocalStack) -> Self {
        let group = |pid: Option<u32>| pid.map_or(0.0, procfs::group_cpu_seconds);
        CpuUse {
            pipeline: procfs::stat(std::process::id()).map_or(0.0, |s| s.cpu_seconds()),
            stream_server: group(stack.kinesis.pid()),
            store: group(stack.store.pid()),
        }
    }

    fn since(&self, before: &CpuUse) -> CpuUse {
        CpuUse {
            pipeline: self.pipeline - before.pipeline,
            stream_server: self.stream_server - before.stream_server,
            store: self.store - before.store,
        }
    }

    fn total(&self) -> f64 {
        self.pipeline + self.stream_server + self.store
    }
}

/// The store local mode runs for `language`, as the tables name it.
fn store_name(language: QueryLanguage) -> &'static str {
    match language {
        QueryLanguage::Gremlin => "Gremlin Server",
        QueryLanguage::Sparql => "Oxigraph",
        QueryLanguage::OpenCypher => "Neo4j",
    }
}

/// Runs `contender` on the edges of `lines` into a fresh, empty store of `plan`'s language (as the end-to-end runs
/// meet it), `plan`'s BatchWriteSize edges a request over `clients` clients; checks every edge landed.
async fn contender_ceiling(
    dir: &std::path::Path,
    plan: &LocalPlan,
    contender: &Contender,
    lines: &std::path::Path,
    clients: usize,
    edges: u64,
) -> anyhow::Result<ContenderRun> {
    let state = StateDir::create(dir.join(format!("ceiling-{}", contender.name)))?;
    let server = StoreServer::start_with(plan.query_language, &state, 0, true).await?;
    let run = contender
        .run(
            &server.url(),
            server.bolt_url().as_deref(),
            lines,
            plan.batch_write_size,
            clients,
        )
        .await;
    let counts = StoreClient::new(plan.query_language, &server.url())
        .edge_counts()
        .await;
    server.stop().await;
    let (run, counts) = (run?, counts?);
    anyhow::ensure!(
        counts.follows == edges,
        "contender {} wrote {} of {edges} edges",
        contender.name,
        counts.follows
    );
    Ok(run)
}
