//! The flags of `stream2neptune demo` ([`DemoArgs`]), which both workloads' demos read.

use std::path::PathBuf;

use stream2neptune_workload::dataset::Workload;

use crate::services::StreamServerKind;

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
    /// What to send: follows, the sample's people and `follows` edges (--edges), or mixed, graph operations on
    /// customers, devices and orders (--ops) checked against the model of the graph they leave.
    #[arg(long, value_enum, hide_possible_values = true, default_value_t = Workload::Follows)]
    pub workload: Workload,
    /// Edges to generate and send (the follows workload).
    #[arg(long, default_value_t = 20_000, value_parser = clap::value_parser!(u64).range(1..))]
    pub edges: u64,
    /// Graph operations to generate and send (the mixed workload): records of one to three operations keyed by
    /// their customer, the last one cut to make the count [default: 2000].
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    pub ops: Option<u64>,
    /// People in the data set [default: edges / 10, at least 100].
    #[arg(long)]
    pub people: Option<u32>,
    /// Records (edges, or the mixed workload's records) per second; 0 sends as fast as the stream takes them
    /// [default: the region's DriverBatchSize per DriverPeriod].
    #[arg(long)]
    pub rate: Option<f64>,
    /// Seed of the data set.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// State directory; the demo clears it first [default: .local at the workspace root].
    #[arg(long)]
    pub state_dir: Option<PathBuf>,
    /// Longest wait for the stream to drain after the last record is sent, in seconds.
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
