//! Local mode: the whole pipeline on one machine. kinesalite or kinesis-mock stands in for Kinesis, an Oxigraph
//! server for Neptune, and a local event source mapping ([`esm`]) invokes the writer's own
//! handler in process with the settings rendered for a region ([`settings`]).
//!
//! Entry points for the root CLI: [`cli::LocalCommand`] (`local up|down|status|query`) with
//! [`cli::run_local`], and [`demo::DemoArgs`] with [`demo::run_demo`]. Settings come from the region's plan
//! ([`stream2neptune_plan::Plan`]), the one the generator renders.

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

pub use cli::{LocalCommand, run_local};
pub use demo::{DemoArgs, run_demo};
pub use error::LocalError;
pub use settings::LocalPlan;
pub use stack::{LocalStack, Ports};
