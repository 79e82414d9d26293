//! `stream2neptune local up|down|status|query|redrive`: the flags and the commands that start, stop, inspect and
//! query the local services by hand and replay failed batches (`stream2neptune demo` is [`crate::demo`]).

use std::io::Write as _;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use serde::{Deserialize, Serialize};
use stream2neptune_plan::QueryLanguage;
use stream2neptune_process::shutdown::{Interrupted, Shutdown};
use stream2neptune_process::terminal;
use stream2neptune_workload::logs::{self, LogFile};

use crate::edge_store::EdgeStore as _;
use crate::error::LocalError;
use crate::metrics::RunMetrics;
use crate::paths::StateDir;
use crate::services::StreamServerKind;
use crate::settings::LocalPlan;
use crate::stack::{LocalStack, MAPPING_STOP_TIMEOUT, Ports};
use crate::store::StoreClient;

/// `stream2neptune local ...`.
#[derive(Debug, Clone, clap::Subcommand)]
pub enum LocalCommand {
    /// Start the stream server (kinesalite or kinesis-mock), the store of the region's QueryLanguage (Gremlin
    /// Server, Oxigraph or Neo4j) and the event source mapping in the foreground until Ctrl-C.
    Up(UpArgs),
    /// Stop a running `local up`.
    Down(StateArgs),
    /// Show what is running, the shards' checkpoints and what the store holds.
    Status(StateArgs),
    /// Run a query against the local store in its language (Gremlin, SPARQL or openCypher).
    Query(QueryArgs),
    /// Replay the failed batches of the on-failure destination through the writer into the running `local up`'s
    /// store, removing each failure record once its records are written.
    ///
    /// sqs-shaped records (on-failure.jsonl) are read back from the stream by their sequence range; s3-shaped ones
    /// (objects under on-failure/) carry their records. Writes are idempotent: a second redrive is harmless.
    Redrive(RedriveArgs),
}

/// Flags of `local redrive` (the writer settings are those `local up` was started with).
#[derive(Debug, Clone, clap::Args)]
pub struct RedriveArgs {
    #[command(flatten)]
    pub state: StateArgs,
}

/// Where local mode keeps its state.
#[derive(Debug, Clone, clap::Args)]
pub struct StateArgs {
    /// State directory [default: .local at the workspace root].
    #[arg(long)]
    pub state_dir: Option<PathBuf>,
}

impl StateArgs {
    fn state(&self) -> anyhow::Result<StateDir> {
        Ok(StateDir::create(
            self.state_dir
                .clone()
                .unwrap_or_else(StateDir::default_root),
        )?)
    }
}

/// Flags of `local up`.
#[derive(Debug, Clone, clap::Args)]
pub struct UpArgs {
    /// Region whose rendered settings are used.
    #[arg(long, default_value = "us-east-1")]
    pub region: String,
    /// The config file, as for `render`: a `defaults:` table and `regions: <region>: {overrides}`.
    #[arg(long, value_name = "PATH", default_value = "stack.yaml")]
    pub config: PathBuf,
    /// Override a parameter (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub sets: Vec<String>,
    /// The local Kinesis: kinesalite (the faster) or kinesis-mock.
    #[arg(long, value_enum, hide_possible_values = true, default_value_t = StreamServerKind::default())]
    pub stream_server: StreamServerKind,
    /// The stream server's port.
    #[arg(long, default_value_t = 4568)]
    pub kinesis_port: u16,
    /// The store's port (Gremlin Server, Oxigraph or the openCypher adapter).
    #[arg(long, default_value_t = 7878)]
    pub store_port: u16,
    /// Clear the store, checkpoints and files of earlier runs first.
    #[arg(long)]
    pub fresh: bool,
    #[command(flatten)]
    pub state: StateArgs,
}

/// Flags of `local query`.
#[derive(Debug, Clone, clap::Args)]
pub struct QueryArgs {
    /// The query in the store's language: a Gremlin traversal (TinkerPop's grammar, as Neptune parses it), a
    /// SPARQL query (SELECT, ASK, CONSTRUCT or DESCRIBE) or an openCypher query.
    pub query: String,
    /// Store URL [default: the one `local up` started].
    #[arg(long)]
    pub store: Option<String>,
    /// The store's query language [default: the one `local up` runs; needed with --store].
    #[arg(long, value_parser = clap::builder::PossibleValuesParser::new(QueryLanguage::NAMES))]
    pub language: Option<String>,
    #[command(flatten)]
    pub state: StateArgs,
}

/// What a running `local up` writes to `.local/services.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RunningServices {
    /// Process id of `local up`.
    pub pid: u32,
    /// Start time of `local up` (clock ticks since boot, from /proc): `local down` signals `pid` only while it is
    /// still this process.
    #[serde(default)]
    pub start_time: Option<u64>,
    /// Process id of the stream server.
    #[serde(default)]
    pub kinesis_pid: Option<u32>,
    /// Process id of the store.
    #[serde(default)]
    pub store_pid: Option<u32>,
    /// The region of the plan.
    pub region: String,
    /// The stream.
    pub stream: String,
    /// The stream server's endpoint.
    pub kinesis_endpoint: String,
    /// The store's URL.
    pub store_url: String,
    /// The store's query language (files of earlier versions: sparql, the only one they ran).
    #[serde(default = "sparql")]
    pub query_language: String,
    /// The config file `local up` read (absolute), for the writer settings of `local redrive`.
    #[serde(default)]
    pub config: Option<PathBuf>,
    /// Its `--set` overrides.
    #[serde(default)]
    pub sets: Vec<String>,
}

fn sparql() -> String {
    QueryLanguage::Sparql.as_str().into()
}

impl RunningServices {
    /// Whether the recorded `local up` still runs (the same process, not a later one with its pid).
    pub fn is_running(&self) -> bool {
        self.start_time
            .is_some_and(|t| stream2neptune_process::procfs::is_same_process(self.pid, t))
    }

    /// A client of the recorded store in its language.
    fn store_client(&self) -> anyhow::Result<StoreClient> {
        Ok(StoreClient::new(
            parse_language(&self.query_language)?,
            &self.store_url,
        ))
    }

    fn read(state: &StateDir) -> anyhow::Result<Self> {
        let path = state.services_file();
        let text =
            std::fs::read_to_string(&path).map_err(|_| LocalError::NotRunning(path.clone()))?;
        serde_json::from_str(&text)
            .with_context(|| format!("{} is not valid; delete it", path.display()))
    }
}

/// Runs `stream2neptune local ...`; a signal of `shutdown` stops `local up` in order.
pub async fn run_local(command: LocalCommand, shutdown: Shutdown) -> anyhow::Result<()> {
    let quick = match command {
        LocalCommand::Up(args) => return run_up(args, shutdown).await,
        LocalCommand::Down(args) => shutdown.or_signal(run_down(args)).await,
        LocalCommand::Status(args) => shutdown.or_signal(run_status(args)).await,
        LocalCommand::Query(args) => shutdown.or_signal(run_query(args)).await,
        LocalCommand::Redrive(args) => shutdown.or_signal(run_redrive(args)).await,
    };
    quick.map_err(|signal| Interrupted {
        signal,
        message: "nothing was changed".into(),
    })?
}

/// `local up`: services and mapping in the foreground until a signal (Ctrl-C, or SIGTERM from `local down`).
pub async fn run_up(args: UpArgs, shutdown: Shutdown) -> anyhow::Result<()> {
    let plan = LocalPlan::load(&args.config, &args.region, &args.sets)?;
    let state = args.state.state()?;
    let _held = state.lock("local up")?;
    if args.fresh {
        state.reset()?;
    }
    // The terminal keeps its lines (no progress line owns it); the file keeps them all.
    let log_path = state.log("pipeline");
    let _log = LogFile::attach(&log_path, logs::Terminal::Unchanged)
        .with_context(|| format!("creating the log file {}", log_path.display()))?;
    let ports = Ports {
        stream_server: args.stream_server,
        kinesis: args.kinesis_port,
        store: args.store_port,
    };
    let stack = shutdown
        .or_signal(LocalStack::up(plan.clone(), state.clone(), ports))
        .await
        .map_err(|signal| Interrupted {
            signal,
            message: "stopped while starting the services; none is left running".into(),
        })??;
    let metrics = Arc::new(RunMetrics::default());
    let mapping = stack.start_mapping(stack.writer_deps()?, metrics).await?;
    let (kinesis_pid, store_pid) = stack.pids();
    let running = RunningServices {
        pid: std::process::id(),
        start_time: stream2neptune_process::procfs::stat(std::process::id()).map(|s| s.start_time),
        kinesis_pid,
        store_pid,
        region: plan.region.clone(),
        stream: plan.stream_name.clone(),
        kinesis_endpoint: stack.kinesis.endpoint(),
        store_url: stack.store.url(),
        query_language: stack.store.language().as_str().into(),
        config: Some(std::path::absolute(&args.config)?),
        sets: args.sets.clone(),
    };
    let services_file = state.services_file();
    std::fs::write(&services_file, serde_json::to_string_pretty(&running)?)
        .with_context(|| format!("writing {}", services_file.display()))?;
    let _ = writeln!(
        std::io::stdout(),
        "local: stream {} ({} shards) on {} ({}), store {} ({} at {}); the mapping writes with the settings of {} and logs to {}.\n\
         put edges with: AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local stream2neptune drive --stream {} --endpoint-url {} --region {}{} --edges FILE\n\
         stop with Ctrl-C or `stream2neptune local down`",
        running.stream,
        plan.shard_count,
        running.kinesis_endpoint,
        args.stream_server,
        stack.store.name(),
        running.query_language,
        running.store_url,
        plan.region,
        log_path.display(),
        running.stream,
        running.kinesis_endpoint,
        plan.region,
        if plan.driver_aggregation {
            " --aggregate"
        } else {
            ""
        }
    );
    let signal = shutdown.wait().await;
    let stopped = tokio::time::timeout(MAPPING_STOP_TIMEOUT, mapping.stop()).await;
    stack.stop().await;
    let _ = std::fs::remove_file(&services_file);
    match stopped {
        Ok(result) => result?,
        Err(_) => terminal::note(format!(
            "local: the mapping did not stop within {} s; its last batch is read again from the checkpoint on the next start",
            MAPPING_STOP_TIMEOUT.as_secs()
        )),
    }
    Err(Interrupted {
        signal,
        message: format!(
            "local services stopped; checkpoints are in {}, on-failure records in {}",
            state.checkpoints().display(),
            state.on_failure_paths()
        ),
    }
    .into())
}

/// `local down`: asks a running `local up` to stop (SIGTERM), after checking the recorded pid is still that
/// `local up`, and waits until it has exited.
pub async fn run_down(args: StateArgs) -> anyhow::Result<()> {
    let state = args.state()?;
    let running = RunningServices::read(&state)?;
    let file = state.services_file();
    let Some(start_time) = running.start_time else {
        anyhow::bail!(
            "{} does not record the start time of `local up` (pid {}), so it cannot be told from another process with that pid: stop `local up` with Ctrl-C in its terminal, or delete the file if it is not running",
            file.display(),
            running.pid
        );
    };
    if !running.is_running() {
        let _ = std::fs::remove_file(&file);
        anyhow::bail!(
            "`local up` (pid {}) is not running; removed the stale {}",
            running.pid,
            file.display()
        );
    }
    // SAFETY: kill(2) on a pid just checked to be the recorded `local up`.
    if unsafe { libc::kill(running.pid as libc::pid_t, libc::SIGTERM) } != 0 {
        anyhow::bail!(
            "cannot signal `local up` (pid {}): {}",
            running.pid,
            std::io::Error::last_os_error()
        );
    }
    let started = Instant::now();
    while stream2neptune_process::procfs::is_same_process(running.pid, start_time) {
        if started.elapsed() > Duration::from_secs(30) {
            anyhow::bail!(
                "`local up` (pid {}) did not stop within 30 s; see its terminal, or `kill -9 {}` (its services die with it)",
                running.pid,
                running.pid
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    println!("local: stopped (pid {})", running.pid);
    Ok(())
}

/// `local status`.
pub async fn run_status(args: StateArgs) -> anyhow::Result<()> {
    let state = args.state()?;
    let running = RunningServices::read(&state)?;
    let alive = running.is_running();
    println!(
        "local up: pid {} {}\nregion: {}\nstream: {} at {}\nstore: {} ({})",
        running.pid,
        if alive {
            "running"
        } else {
            "NOT running (stale services.json)"
        },
        running.region,
        running.stream,
        running.kinesis_endpoint,
        running.store_url,
        running.query_language
    );
    let checkpoints = state.checkpoints().join(&running.stream);
    if let Ok(entries) = std::fs::read_dir(&checkpoints) {
        let mut lines: Vec<String> = entries
            .filter_map(|e| e.ok())
            .filter_map(|e| std::fs::read_to_string(e.path()).ok())
            .collect();
        lines.sort();
        for line in lines {
            println!("checkpoint: {line}");
        }
    }
    let counts = running.store_client()?.edge_counts().await?;
    println!(
        "store: {} follows edges ({} stored edges, counted in {}); rejected records: {}; on-failure batches: {}",
        counts.follows,
        counts.edge_resources,
        running.query_language,
        crate::paths::count_lines(&state.rejected())?,
        state.on_failure_paths().batches()?
    );
    Ok(())
}

/// `local query`: prints the result (SPARQL: CSV for SELECT, N-Triples for graphs, JSON for ASK; Gremlin and
/// openCypher: the result rows as JSON).
pub async fn run_query(args: QueryArgs) -> anyhow::Result<()> {
    let client = match (args.store, args.language) {
        (Some(url), Some(language)) => StoreClient::new(parse_language(&language)?, &url),
        (Some(url), None) => anyhow::bail!(
            "--store {url} needs --language (one of {}): the store's query language",
            QueryLanguage::NAMES.join(", ")
        ),
        (None, language) => {
            let mut running = RunningServices::read(&args.state.state()?)?;
            if let Some(language) = language {
                running.query_language = language;
            }
            running.store_client()?
        }
    };
    print!("{}", client.run_query(&args.query).await?);
    Ok(())
}

/// `local redrive`: replays into the running `local up`'s store, from its stream.
pub async fn run_redrive(args: RedriveArgs) -> anyhow::Result<()> {
    let state = args.state.state()?;
    let running = RunningServices::read(&state)?;
    if !running.is_running() {
        anyhow::bail!(
            "`local up` (pid {}) is not running: start it (`stream2neptune local up --region {}`), then redrive; \
             the failed batches are replayed from its stream into its store",
            running.pid,
            running.region
        );
    }
    let config = running.config.clone().ok_or_else(|| {
        anyhow::anyhow!(
            "{} does not record the settings `local up` runs with: restart `local up`, then redrive",
            state.services_file().display()
        )
    })?;
    let plan = LocalPlan::load(&config, &running.region, &running.sets)?;
    let config = plan.writer_config(&running.store_url, &state.rejected())?;
    let mut deps = stream2neptune_writer::Deps::new(config);
    // The writer's metrics stay in memory: the outcome lines below say what was written.
    deps.metrics = stream2neptune_writer::MetricsOutput::Memory(Default::default());
    let client = crate::kinesis::client(&running.kinesis_endpoint, &running.region);
    let outcomes = crate::redrive::redrive(
        &deps,
        &client,
        &state.on_failure_paths(),
        plan.esm.function_timeout,
    )
    .await?;
    for outcome in &outcomes {
        println!("local redrive: {outcome}");
    }
    let kept = outcomes.iter().filter(|o| o.written.is_err()).count();
    let records: usize = outcomes
        .iter()
        .filter_map(|o| o.written.as_ref().ok())
        .sum();
    println!(
        "local redrive: {} batches replayed ({records} records), {kept} kept",
        outcomes.len() - kept
    );
    if kept > 0 {
        anyhow::bail!(
            "{kept} failed batches could not be replayed (see above); fix the cause and run `stream2neptune local redrive` again"
        );
    }
    Ok(())
}

fn parse_language(text: &str) -> anyhow::Result<QueryLanguage> {
    QueryLanguage::parse(text).ok_or_else(|| {
        LocalError::Invalid {
            field: "query language",
            value: text.to_owned(),
            allowed: format!("one of {}", QueryLanguage::NAMES.join(", ")),
        }
        .into()
    })
}
