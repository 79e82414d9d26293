//! The engines that stand in for Neptune on one machine, as local mode, the writer's tests and the benchmarks run
//! them: the launchers of TinkerPop's Gremlin Server ([`gremlin_server`]) and of Neo4j behind Neptune's openCypher
//! form ([`neo4j`]) (Oxigraph, a single binary, needs none), the readers of a store's whole graph in its language
//! ([`read_store`]: [`read_gremlin`], [`read_opencypher`], [`read_sparql`], over [`store_http`]) and the write
//! contenders of the benchmarks ([`contenders`]), with where their tools are ([`tools`]).
//!
//! It depends on neither the writer nor local mode nor the workload, so the writer's tests build it and nothing
//! else of local mode.

pub mod contenders;
pub mod error;
pub mod gremlin_server;
pub mod neo4j;
pub mod read_gremlin;
pub mod read_opencypher;
pub mod read_sparql;
pub mod read_store;
pub mod store_http;
pub mod tools;

pub use error::{EngineError, Result};
