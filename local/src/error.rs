//! Typed errors of local mode; every message says what to do next.

use std::path::PathBuf;

/// A failure of local mode.
#[derive(Debug, thiserror::Error)]
pub enum LocalError {
    /// Another local run holds the state directory.
    #[error(
        "the state directory {} is in use by another local run ({owner}); wait for it to end or stop it (Ctrl-C in its terminal, or `stream2neptune local down` for `local up`), or pass --state-dir DIR to run beside it", root.display()
    )]
    StateInUse {
        /// The state directory.
        root: PathBuf,
        /// Who holds it: its pid and command, as it wrote them.
        owner: String,
    },
    /// A data set's edge file could not be read.
    #[error("{0}")]
    EdgeFile(#[from] stream2neptune_workload::error::EdgeFileError),
    /// A service process could not be started.
    #[error("cannot start {service} ({command}): {source}")]
    Spawn {
        /// The service.
        service: &'static str,
        /// The command line.
        command: String,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// A service did not answer in time.
    #[error("{service} did not answer on 127.0.0.1:{port} within {secs} s; see its log {log}")]
    NotReady {
        /// The service.
        service: &'static str,
        /// Its port.
        port: u16,
        /// How long we waited.
        secs: u64,
        /// Its log file.
        log: PathBuf,
    },
    /// A file under the state directory could not be read or written.
    #[error("cannot {action} {path}: {source}")]
    Io {
        /// read, write, create...
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// A Kinesis call failed.
    #[error("kinesis {operation} failed: {message}")]
    Kinesis {
        /// The API operation.
        operation: &'static str,
        /// The error, with its cause chain.
        message: String,
    },
    /// An engine's launcher, a store's reader or client, or a tool the project installs.
    #[error(transparent)]
    Engine(#[from] stream2neptune_engines::EngineError),
    /// A service's port is taken by another process.
    #[error(
        "{service} cannot listen on port {port} of 127.0.0.1: another process has it (is another `local up` \
         running? see `stream2neptune local status`), or give it another port"
    )]
    PortTaken {
        /// The service (`oxigraph`, `kinesalite`, ...).
        service: &'static str,
        /// The port asked for or picked.
        port: u16,
    },
    /// A setting has a value local mode cannot use.
    #[error("invalid {field}={value:?}: expected {allowed}")]
    Invalid {
        /// The setting.
        field: &'static str,
        /// The value found.
        value: String,
        /// What is allowed.
        allowed: String,
    },
    /// The region's plan could not be made (config file, `--set` or a value).
    #[error(transparent)]
    Plan(#[from] stream2neptune_plan::Error),
    /// The people could not be loaded into the local store.
    #[error("loading the people into the local store: {0}")]
    Load(#[from] stream2neptune_workload::error::LoadError),
    /// The writer's configuration was rejected.
    #[error("writer configuration: {0}")]
    WriterConfig(#[from] stream2neptune_writer::ConfigError),
    /// The writer's environment table asks local mode for a variable it has no value for.
    #[error(
        "local mode has no value for the writer's {variable} ({reason}); give it one in local/src/settings.rs or change its row in function/environment/src/lib.rs"
    )]
    WriterVariable {
        /// The variable.
        variable: &'static str,
        /// Why there is none.
        reason: String,
    },
    /// Nothing is running under the state directory.
    #[error("no local services are running (no {0}): start them with `stream2neptune local up`")]
    NotRunning(PathBuf),
}

/// Shorthand for results of this crate.
pub type Result<T, E = LocalError> = std::result::Result<T, E>;

/// Formats an SDK error with its whole source chain (the SDK's Display is terse).
pub use stream2neptune_aws::cause_chain as error_chain;
