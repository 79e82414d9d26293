//! Typed errors of the engines' launchers, readers and contenders; every message says what to do next.

use std::path::PathBuf;

/// A failure of an engine's launcher, a store reader or a write contender.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// A tool the project installs is missing.
    #[error("{tool} not found at {looked_in} or on PATH: run `make tools`")]
    ToolMissing {
        /// The tool's name.
        tool: String,
        /// Where it was looked for first.
        looked_in: PathBuf,
    },
    /// An engine's file could not be read or written.
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
    /// A write contender (tools/bench/) failed or printed no result.
    #[error(
        "write contender {name} failed: {detail}; run it by hand (`.venv/bin/python tools/bench/<script> --help`) to see why"
    )]
    Contender {
        /// The contender's name.
        name: &'static str,
        /// Its exit status and error output, or what was wrong with its result line.
        detail: String,
    },
    /// The local store answered with an error.
    #[error("local store {url} answered {status}: {body}")]
    Store {
        /// The URL.
        url: String,
        /// The HTTP status.
        status: u16,
        /// The start of the body.
        body: String,
    },
    /// The local store could not be reached.
    #[error(
        "cannot reach the local store at {url}: {message}; is it running (`stream2neptune local status`)?"
    )]
    StoreUnreachable {
        /// The URL.
        url: String,
        /// What failed.
        message: String,
    },
}

/// Shorthand for results of this crate.
pub type Result<T, E = EngineError> = std::result::Result<T, E>;
