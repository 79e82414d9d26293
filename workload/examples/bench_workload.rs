//! Workload benchmark (`make bench-workload`): data set generation rate for the sample's size
//! (2 million edges) and driver throughput against kinesis-mock, with the CPU time each side
//! used so the bottleneck is named. Prints one line per figure; run in release mode.
//!
//! Usage: bench_workload [EDGES_TO_DRIVE [GZIP_LEVEL]] (defaults 10000, since kinesis-mock slows
//! down as its stream grows (see BENCHMARKS.md), and 1, the `dataset` default)

#[path = "../tests/support/mod.rs"]
mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use stream2neptune_process::procfs;
use stream2neptune_workload::dataset::{DatasetArgs, DatasetConfig, generate};
use stream2neptune_workload::driver::{DriverConfig, Pacing, drive};
use stream2neptune_workload::schedule::Backoff;
use stream2neptune_workload::sink::{CallError, EntryOutcome, KinesisSink, PutEntry, RecordSink};

/// Accepts every record at once: measures the driver's own ceiling (reading, queueing, batching).
struct AcceptAll;

impl RecordSink for AcceptAll {
    async fn put_records(&self, entries: Vec<PutEntry>) -> Result<Vec<EntryOutcome>, CallError> {
        Ok(vec![EntryOutcome::Accepted; entries.len()])
    }
}

fn unpaced(
    edges: &std::path::Path,
    resume: std::path::PathBuf,
    concurrency: usize,
) -> DriverConfig {
    DriverConfig {
        edge_file: edges.to_owned(),
        resume_file: resume,
        pacing: Pacing::Unpaced,
        concurrency,
        max_queued: 500 * concurrency * 4,
        retry_deadline: Duration::from_secs(60),
        backoff: Backoff {
            base: Duration::from_millis(100),
            cap: Duration::from_secs(10),
        },
        show_progress: false,
        checkpoint_every: None,
    }
}

/// CPU seconds (user + system) used so far by process `pid`, from /proc (0 once it is gone).
fn cpu_secs(pid: u32) -> f64 {
    procfs::stat(pid).map_or(0.0, |stat| stat.cpu_seconds())
}

#[tokio::main]
async fn main() {
    let drive_edges: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(10_000);
    let gzip_level: u32 = std::env::args()
        .nth(2)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1);
    let dir = tempfile::tempdir().expect("a temporary directory");

    // Data set: the sample's size.
    let args = DatasetArgs {
        people: 100_000,
        follows: 2_000_000,
        seed: 42,
        out: dir.path().join("full"),
        zipf_exponent: 1.0,
        start: "2018-01-01".into(),
        end: "2019-12-31".into(),
        gzip_level,
    };
    let cpu_before = cpu_secs(std::process::id());
    let summary =
        generate(&DatasetConfig::from_args(&args).expect("valid flags")).expect("generated");
    let cpu = cpu_secs(std::process::id()) - cpu_before;
    let size = std::fs::metadata(&summary.follows_gz)
        .map(|m| m.len())
        .unwrap_or(0);
    println!(
        "dataset: 100000 people, 2000000 edges in {:.2} s ({:.0} edges/s, {:.2} CPU s), follows.csv.gz {:.1} MB at gzip level {gzip_level}, most followed person {} followers",
        summary.elapsed_secs,
        2_000_000.0 / summary.elapsed_secs,
        cpu,
        size as f64 / 1e6,
        summary.max_followers
    );

    // Driver alone: the 2 million edges into a sink that accepts everything.
    let config = unpaced(&summary.follows_gz, dir.path().join("null.resume.json"), 4);
    let (own_cpu, started) = (cpu_secs(std::process::id()), Instant::now());
    let result = drive(Arc::new(AcceptAll), &config, std::future::pending())
        .await
        .expect("all accepted");
    println!(
        "driver ceiling: {} edges into an in-process sink in {:.2} s ({:.0} records/s, {:.2} CPU s)",
        result.accepted,
        started.elapsed().as_secs_f64(),
        result.rate(),
        cpu_secs(std::process::id()) - own_cpu
    );

    // Driver: unpaced against kinesis-mock.
    let small = DatasetArgs {
        people: 100_000,
        follows: drive_edges,
        out: dir.path().join("drive"),
        ..args
    };
    let edges = generate(&DatasetConfig::from_args(&small).expect("valid flags"))
        .expect("generated")
        .follows_gz;
    for concurrency in [1usize, 4] {
        let stream = format!("bench{concurrency}");
        let mock = support::kinesis_mock(&[(stream.as_str(), 4)]).await;
        let sink = Arc::new(KinesisSink::new(support::client(&mock.url()), &stream));
        let config = unpaced(
            &edges,
            dir.path().join(format!("{stream}.resume.json")),
            concurrency,
        );
        let pid = mock.pid();
        let (mock_cpu, own_cpu, started) =
            (cpu_secs(pid), cpu_secs(std::process::id()), Instant::now());
        let result = drive(sink, &config, std::future::pending())
            .await
            .expect("all sent");
        let wall = started.elapsed().as_secs_f64();
        println!(
            "driver: {} edges, concurrency {concurrency}, 4 shards: {:.0} records/s over {:.1} s; CPU: kinesis-mock {:.1} s ({:.0} % of a core), driver {:.1} s ({:.0} %); {} calls",
            result.accepted,
            result.rate(),
            wall,
            cpu_secs(pid) - mock_cpu,
            100.0 * (cpu_secs(pid) - mock_cpu) / wall,
            cpu_secs(std::process::id()) - own_cpu,
            100.0 * (cpu_secs(std::process::id()) - own_cpu) / wall,
            result.calls
        );
    }
}
