//! stream2neptune writer: reads Kinesis batches and writes their records (the sample's `follows` edges, or graph
//! operations) to Amazon Neptune (or any SPARQL 1.1 store) in small idempotent batch transactions.
//!
//! [`Config::from_env`] resolves the settings once, [`Deps::new`] builds the HTTP client and
//! signers once per execution environment, and [`handle`] serves each invocation. Local mode calls
//! the same [`handle`] in process.

pub mod batching;
pub mod config;
pub mod deaggregation;
pub mod error;
pub mod follows;
pub mod form;
pub mod gremlin;
pub mod handler;
pub mod metrics;
pub mod opencypher;
pub mod opencypher_operations;
pub mod query;
pub mod record;
pub mod rejects;
pub mod retry;
pub mod sparql;
pub mod sparql_operations;
pub mod sparql_quads;
pub mod store;

pub use config::{Config, ConfigError};
pub use handler::{Deps, handle};
pub use metrics::MetricsOutput;
pub use store::{GraphStore, HttpStore};
