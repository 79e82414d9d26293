//! What local mode asks of a store, in the store's own language ([`EdgeStore`]), and what it reads back
//! ([`EdgeCounts`]). Each language's client implements it (`sparql.rs`, `gremlin.rs`, `opencypher.rs`);
//! `store.rs` picks the client of a query language.

use std::collections::HashSet;
use std::future::Future;

use stream2neptune_workload::dataset::DatasetSummary;

use crate::error::Result;

/// What the store holds of the writer's edges.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EdgeCounts {
    /// `follows` edges between distinct (from, to) pairs.
    pub follows: u64,
    /// Stored edges (SPARQL: edge resources, one per (from, creationDate, to)); more than `follows` means an edge
    /// was written twice under different identities.
    pub edge_resources: u64,
}

impl EdgeCounts {
    /// Edges present more than once.
    pub fn duplicated(&self) -> u64 {
        self.edge_resources.saturating_sub(self.follows)
    }
}

/// What local mode asks of a store, each in the store's own language.
pub trait EdgeStore {
    /// How [`EdgeStore::follows_pairs`] names the person with id `id` (an IRI in SPARQL, the id itself elsewhere).
    fn person(&self, id: &str) -> String;

    /// Counts the writer's `follows` edges.
    fn edge_counts(&self) -> impl Future<Output = Result<EdgeCounts>> + Send;

    /// Every `follows` edge as (from, to), named as [`EdgeStore::person`] does.
    fn follows_pairs(&self) -> impl Future<Output = Result<HashSet<(String, String)>>> + Send;

    /// Loads the data set's people (the sample's vertex file) and returns how many statements or vertices were
    /// sent.
    fn load_people(&self, dataset: &DatasetSummary) -> impl Future<Output = Result<u64>> + Send;

    /// Runs a query a person typed and returns the result as text to print.
    fn run_query(&self, query: &str) -> impl Future<Output = Result<String>> + Send;
}
