//! Local mode: the whole pipeline on one machine. kinesis-mock stands in for Kinesis, an Oxigraph
//! server for Neptune, and a local event source mapping ([`esm`]) invokes the writer's own
//! handler in process with the settings rendered for a region ([`settings`]).
//!
//! Entry points for the root CLI: [`cli::LocalCommand`] (`local up|down|status|query`) with
//! [`cli::run_local`], and [`cli::DemoArgs`] with [`demo::run_demo`].

pub mod cli;
pub mod demo;
pub mod error;
pub mod esm;
pub mod kinesis;
pub mod metrics;
pub mod orphans;
pub mod paths;
pub mod procfs;
pub mod report;
pub mod services;
pub mod settings;
pub mod sparql;
pub mod stack;

pub use cli::{DemoArgs, LocalCommand, run_local};
pub use demo::run_demo;
pub use error::LocalError;
pub use settings::{LocalPlan, Parameters, ResolveParameters};
pub use stack::{LocalStack, Ports};
