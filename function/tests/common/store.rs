//! The real stores the writer's tests run against, behind one trait ([`TestStore`]): Oxigraph (SPARQL),
//! TinkerPop's Gremlin Server and Neo4j behind Neptune's openCypher form. Each counts and lists the writer's
//! edges with its own query language, so one scenario ([`crate::common::scenarios`]) checks all three.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use stream2neptune_writer::{Deps, sparql};

use super::{GremlinServer, Oxigraph, deps};
use stream2neptune_testkit::CypherServer;
use stream2neptune_testkit::{Shared, Turn};

/// A real graph store on a free port, killed when dropped.
pub trait TestStore: Sized {
    /// The writer's QUERY_LANGUAGE for this store.
    const LANGUAGE: &'static str;
    /// The same language as the plan names it (for the write contenders of [`stream2neptune_engines::contenders`]).
    const QUERY_LANGUAGE: stream2neptune_plan::QueryLanguage;
    /// BATCH_WRITE_SIZE for the 10,000-edge runs. Gremlin Server compiles each distinct script with Groovy
    /// (Neptune does not), slower than linear in the step chain's length, so it gets smaller batches.
    const BULK_BATCH_WRITE_SIZE: &'static str;

    /// Starts the store and waits until it answers.
    fn start() -> Self;
    /// NEPTUNE_ENDPOINT.
    fn url(&self) -> String;
    /// Stops it, keeping its data (SIGTERM where the store saves only on a clean stop).
    fn stop(&mut self);
    /// Starts it again after [`TestStore::stop`], on the same port and data.
    fn restart(&mut self);
    /// The writer's `follows` edges held.
    async fn edges(&self) -> u64;
    /// The people (vertices) held.
    async fn people(&self) -> u64;
    /// (from id, to id) of every `follows` edge.
    async fn follows_pairs(&self) -> HashSet<(String, String)>;
    /// Every `weight` value of the `follows` edge `from -> to` created 2016-05-21 ([`super::weight_record`]), as
    /// text.
    async fn weights(&self, from: &str, to: &str) -> Vec<String>;
    /// Every edge with its endpoints and properties, sorted: equal snapshots mean an unchanged graph.
    async fn snapshot(&self) -> Vec<String>;
    /// Removes everything the store holds.
    async fn clear(&self);
}

/// This test's turn on the binary's shared `store` ([`Shared`]), emptied of what an earlier test left.
pub async fn shared_turn<S: TestStore + Send>(store: &'static Shared<S>) -> Turn<S> {
    let turn = store.turn().await;
    turn.clear().await;
    turn
}

/// Deps writing to `store` in its language, with `vars` on top (see [`deps`]).
pub fn store_deps<S: TestStore>(
    store: &S,
    vars: &[(&str, &str)],
) -> (Deps, Arc<Mutex<Vec<serde_json::Value>>>) {
    let url = store.url();
    let mut all = vec![
        ("NEPTUNE_ENDPOINT", url.as_str()),
        ("QUERY_LANGUAGE", S::LANGUAGE),
    ];
    all.extend_from_slice(vars);
    deps(&all)
}

fn sorted_text(rows: impl IntoIterator<Item = serde_json::Value>) -> Vec<String> {
    let mut rows: Vec<String> = rows.into_iter().map(|row| row.to_string()).collect();
    rows.sort();
    rows
}

/// `text` as a Gremlin string literal.
fn push_literal_text(text: &str) -> String {
    let mut literal = String::new();
    stream2neptune_writer::gremlin::push_literal(&mut literal, text);
    literal
}

fn id_text(value: &serde_json::Value) -> String {
    value
        .as_str()
        .map_or_else(|| value.to_string(), str::to_owned)
}

impl TestStore for Oxigraph {
    const LANGUAGE: &'static str = "sparql";
    const QUERY_LANGUAGE: stream2neptune_plan::QueryLanguage =
        stream2neptune_plan::QueryLanguage::Sparql;
    const BULK_BATCH_WRITE_SIZE: &'static str = "250";

    fn start() -> Self {
        Oxigraph::start()
    }
    fn url(&self) -> String {
        Oxigraph::url(self)
    }
    fn stop(&mut self) {
        Oxigraph::stop(self);
    }
    fn restart(&mut self) {
        Oxigraph::restart(self);
    }
    /// Edge resources: one per distinct (from, created, to).
    async fn edges(&self) -> u64 {
        self.count(&format!("?e a <{}>", sparql::FOLLOWS_CLASS))
            .await as u64
    }
    async fn people(&self) -> u64 {
        self.count(&format!("?p a <{}>", sparql::PERSON_CLASS))
            .await as u64
    }
    /// Ids are the person IRIs' last segment (the tests' ids need no percent-decoding).
    async fn follows_pairs(&self) -> HashSet<(String, String)> {
        let person = sparql::person_iri("");
        let id = |iri: &str| {
            iri.strip_prefix(&person)
                .unwrap_or_else(|| panic!("{iri} is not a person IRI"))
                .to_owned()
        };
        self.select(&format!(
            "SELECT ?a ?b WHERE {{ ?a <{}> ?b }}",
            sparql::FOLLOWS
        ))
        .await
        .into_iter()
        .map(|row| (id(&row["a"]), id(&row["b"])))
        .collect()
    }
    async fn weights(&self, from: &str, to: &str) -> Vec<String> {
        let edge = stream2neptune_writer::record::Edge {
            from: from.into(),
            to: to.into(),
            created: stream2neptune_writer::record::parse_date("2016-05-21").unwrap(),
            properties: Vec::new(),
        };
        self.select(&format!(
            "SELECT ?w WHERE {{ <{}> <{}property/weight> ?w }}",
            sparql::edge_iri(&edge),
            sparql::BASE
        ))
        .await
        .into_iter()
        .map(|row| row["w"].clone())
        .collect()
    }
    /// Every triple.
    async fn snapshot(&self) -> Vec<String> {
        let rows = self.select("SELECT ?s ?p ?o WHERE { ?s ?p ?o }").await;
        sorted_text(rows.into_iter().map(|row| serde_json::json!(row)))
    }
    async fn clear(&self) {
        self.update("CLEAR ALL").await;
    }
}

impl TestStore for GremlinServer {
    const LANGUAGE: &'static str = "gremlin";
    const QUERY_LANGUAGE: stream2neptune_plan::QueryLanguage =
        stream2neptune_plan::QueryLanguage::Gremlin;
    const BULK_BATCH_WRITE_SIZE: &'static str = "40";

    fn start() -> Self {
        GremlinServer::start()
    }
    fn url(&self) -> String {
        GremlinServer::url(self)
    }
    /// SIGTERM: the server stops taking requests and saves its graph (a restart loads it).
    fn stop(&mut self) {
        GremlinServer::stop(self);
    }
    fn restart(&mut self) {
        GremlinServer::restart(self);
    }
    async fn edges(&self) -> u64 {
        GremlinServer::edges(self).await
    }
    async fn people(&self) -> u64 {
        self.vertices().await
    }
    async fn follows_pairs(&self) -> HashSet<(String, String)> {
        self.query(
            "g.E().hasLabel('follows').project('a','b').by(__.outV().id()).by(__.inV().id())",
        )
        .await
        .iter()
        .map(|row| (id_text(&row["a"]), id_text(&row["b"])))
        .collect()
    }
    async fn weights(&self, from: &str, to: &str) -> Vec<String> {
        let (from, to) = (push_literal_text(from), push_literal_text(to));
        self.query(&format!(
            "g.V({from}).outE('follows').where(__.inV().hasId({to})).values('weight')"
        ))
        .await
        .iter()
        .map(id_text)
        .collect()
    }
    /// Edge ids with their out-vertex, in-vertex and property map.
    async fn snapshot(&self) -> Vec<String> {
        sorted_text(
            self.query("g.E().project('id','out','in','p').by(T.id).by(__.outV().id()).by(__.inV().id()).by(__.valueMap())")
                .await,
        )
    }
    async fn clear(&self) {
        self.query("g.V().drop()").await;
    }
}

impl TestStore for CypherServer {
    const LANGUAGE: &'static str = "opencypher";
    const QUERY_LANGUAGE: stream2neptune_plan::QueryLanguage =
        stream2neptune_plan::QueryLanguage::OpenCypher;
    const BULK_BATCH_WRITE_SIZE: &'static str = "250";

    fn start() -> Self {
        CypherServer::start()
    }
    fn url(&self) -> String {
        CypherServer::url(self)
    }
    /// SIGTERM: Neo4j shuts down and keeps its data.
    fn stop(&mut self) {
        CypherServer::stop(self);
    }
    fn restart(&mut self) {
        CypherServer::restart(self);
    }
    async fn edges(&self) -> u64 {
        CypherServer::edges(self).await
    }
    async fn people(&self) -> u64 {
        self.vertices().await
    }
    async fn follows_pairs(&self) -> HashSet<(String, String)> {
        self.query("MATCH (a)-[:follows]->(b) RETURN a.`~id` AS a, b.`~id` AS b")
            .await
            .iter()
            .map(|row| (id_text(&row["a"]), id_text(&row["b"])))
            .collect()
    }
    async fn weights(&self, from: &str, to: &str) -> Vec<String> {
        self.query_with(
            "MATCH (:person {`~id`: $from})-[r:follows]->(:person {`~id`: $to}) RETURN r.weight AS w",
            serde_json::json!({"from": from, "to": to}),
        )
        .await
        .iter()
        .map(|row| id_text(&row["w"]))
        .collect()
    }
    /// (edge `~id`, from `~id`, to `~id`, properties) of every follows relationship.
    async fn snapshot(&self) -> Vec<String> {
        sorted_text(
            self.query("MATCH (a)-[r:follows]->(b) RETURN r.`~id` AS id, a.`~id` AS out, b.`~id` AS in, properties(r) AS p")
                .await,
        )
    }
    async fn clear(&self) {
        self.query("MATCH (n) DETACH DELETE n").await;
    }
}
