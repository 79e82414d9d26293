//! Local mode: the whole pipeline on one machine. kinesalite or kinesis-mock stands in for Kinesis, the engine of the
//! region's QueryLanguage for Neptune ([`store_server`]: Gremlin Server, Oxigraph or Neo4j behind Neptune's openCypher
//! form, launched through [`stream2neptune_engines`]), and a local event source mapping ([`esm`]) invokes the
//! writer's own handler in process with the settings rendered for a region ([`settings`]). The store is read in its own language ([`store`], [`edge_store`]).
//!
//! Entry points for the root CLI: [`cli::LocalCommand`] (`local up|down|status|query`) with
//! [`cli::run_local`], and [`demo::DemoArgs`] with [`demo::run_demo`] (the `follows` demo in [`demo`], the mixed
//! workload's in [`demo_mixed`], what they share in [`demo_run`]). Settings come from the region's plan
//! ([`stream2neptune_plan::Plan`]), the one the generator renders.

pub mod cli;
pub mod contender_edges;
pub mod demo;
pub mod demo_args;
pub mod demo_mixed;
pub mod demo_run;
pub mod edge_store;
pub mod error;
pub mod esm;
pub mod gremlin;
pub mod kinesis;
pub mod metrics;
pub mod opencypher;
pub mod paths;
pub mod people;
pub mod redrive;
pub mod report;
pub mod services;
pub mod settings;
pub mod sparql;
pub mod stack;
pub mod store;
pub mod store_server;

pub use cli::{LocalCommand, run_local};
pub use demo::{DemoArgs, run_demo};
pub use error::LocalError;
pub use settings::LocalPlan;
pub use stack::{LocalStack, Ports};
