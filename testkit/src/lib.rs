//! The test kit of the stream2neptune workspace (a dev-dependency only): free loopback ports
//! ([`free_port`]), the tools `make tools` installs into the workspace ([`tools`]), and the test
//! servers, each spawned by [`process::Server`] in its own process group with the parent-death
//! signal set, so none outlives its test even after `kill -9` of the test binary: [`Oxigraph`],
//! [`KinesisMock`] (kinesis-mock, npm `kinesis-local`), [`Kinesalite`] (npm `kinesalite`), [`Moto`] (moto_server,
//! plain HTTP), [`GremlinServer`] (TinkerPop's, HTTP and WebSocket on one port, configured as local mode configures
//! it), [`CypherServer`] (Neo4j behind Neptune's openCypher form); both Java engines are launched through the one
//! copy of their commands (`stream2neptune_engines::{gremlin_server, neo4j}`). [`tls`] puts TLS in front of any of them: a CA
//! made per test run and a TLS-terminating proxy presenting a certificate it issued. [`Shared`] gives the tests of
//! one binary one server, taking turns, instead of one each.

pub mod gremlin_server;
pub mod kinesalite;
pub mod kinesis_mock;
pub mod moto;
pub mod neo4j;
pub mod oxigraph;
pub mod process;
pub mod shared;
pub mod tls;
pub mod tools;

pub use gremlin_server::GremlinServer;
pub use kinesalite::Kinesalite;
pub use kinesis_mock::KinesisMock;
pub use moto::Moto;
pub use neo4j::CypherServer;
pub use oxigraph::Oxigraph;
pub use process::Server;
pub use shared::{Shared, Turn};
pub use tls::{TestCa, TlsProxy};
pub use tools::{tool, workspace_root};

/// A free TCP port on 127.0.0.1 (bound, read, released).
pub fn free_port() -> u16 {
    stream2neptune_process::tools::free_port().expect("bind a loopback port")
}
