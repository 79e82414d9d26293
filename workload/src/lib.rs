//! Workload for stream2neptune: a synthetic social graph ([`dataset`]), a loss-free Kinesis driver
//! ([`driver`]) and a Neptune bulk-load / local SPARQL load client ([`loader`]). (The terminal's one writer and
//! the signal handling every long command shares are in `stream2neptune_process`.)
//!
//! Each subcommand exposes a clap `*Args` struct and a `run_*` function that the root binary
//! wires in; the library functions underneath return typed errors ([`error`]) and are what the
//! tests call.

pub mod aggregate;
pub mod dataset;
pub mod driver;
pub mod edges;
pub mod error;
pub mod loader;
pub mod logs;
pub mod mixed;
pub mod partial;
pub mod rdf;
pub mod records;
pub mod resume;
pub mod sampling;
pub mod schedule;
pub mod sink;

pub use dataset::{DatasetArgs, DatasetCommand, run_dataset};
pub use driver::{DriveArgs, run_drive};
pub use loader::{LoadArgs, run_load};
