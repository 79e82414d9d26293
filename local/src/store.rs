//! The client of the local store in its own query language ([`StoreClient`]): one per language
//! ([`crate::sparql`], [`crate::gremlin`], [`crate::opencypher`]), each behind [`EdgeStore`] (counting the
//! writer's edges for the demo's summary and `local status`, loading the people, running a user's query for
//! `local query`); this file only picks the client and dispatches to it.

use std::collections::HashSet;

use stream2neptune_plan::QueryLanguage;
use stream2neptune_workload::dataset::DatasetSummary;

use crate::edge_store::{EdgeCounts, EdgeStore};
use crate::error::Result;
use crate::gremlin::GremlinClient;
use crate::opencypher::CypherClient;
use crate::sparql::SparqlClient;

/// The client of the store of one query language.
#[derive(Debug, Clone)]
pub enum StoreClient {
    /// Oxigraph.
    Sparql(SparqlClient),
    /// Gremlin Server.
    Gremlin(GremlinClient),
    /// Neo4j behind the openCypher adapter.
    OpenCypher(CypherClient),
}

impl StoreClient {
    /// A client of the `language` store at `base` (e.g. `http://127.0.0.1:7878`).
    pub fn new(language: QueryLanguage, base: &str) -> Self {
        match language {
            QueryLanguage::Sparql => StoreClient::Sparql(SparqlClient::new(base)),
            QueryLanguage::Gremlin => StoreClient::Gremlin(GremlinClient::new(base)),
            QueryLanguage::OpenCypher => StoreClient::OpenCypher(CypherClient::new(base)),
        }
    }
}

impl EdgeStore for StoreClient {
    fn person(&self, id: &str) -> String {
        match self {
            StoreClient::Sparql(c) => c.person(id),
            StoreClient::Gremlin(c) => c.person(id),
            StoreClient::OpenCypher(c) => c.person(id),
        }
    }

    async fn edge_counts(&self) -> Result<EdgeCounts> {
        match self {
            StoreClient::Sparql(c) => c.edge_counts().await,
            StoreClient::Gremlin(c) => c.edge_counts().await,
            StoreClient::OpenCypher(c) => c.edge_counts().await,
        }
    }

    async fn follows_pairs(&self) -> Result<HashSet<(String, String)>> {
        match self {
            StoreClient::Sparql(c) => c.follows_pairs().await,
            StoreClient::Gremlin(c) => c.follows_pairs().await,
            StoreClient::OpenCypher(c) => c.follows_pairs().await,
        }
    }

    async fn load_people(&self, dataset: &DatasetSummary) -> Result<u64> {
        match self {
            StoreClient::Sparql(c) => c.load_people(dataset).await,
            StoreClient::Gremlin(c) => c.load_people(dataset).await,
            StoreClient::OpenCypher(c) => c.load_people(dataset).await,
        }
    }

    async fn run_query(&self, query: &str) -> Result<String> {
        match self {
            StoreClient::Sparql(c) => c.run_query(query).await,
            StoreClient::Gremlin(c) => c.run_query(query).await,
            StoreClient::OpenCypher(c) => c.run_query(query).await,
        }
    }
}
