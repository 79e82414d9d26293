//! Clients of the local store in its own query language, behind one small trait ([`EdgeStore`]): counting the
//! writer's edges (the demo's summary and `local status`), loading the people, and running a user's query
//! (`local query`). One file per language: [`crate::sparql`], [`crate::gremlin`], [`crate::opencypher`].

use std::collections::HashSet;
use std::future::Future;
use std::path::Path;
use std::time::Duration;

use stream2neptune_plan::QueryLanguage;
use stream2neptune_workload::dataset::DatasetSummary;

use crate::error::{LocalError, Result};
use crate::gremlin::GremlinClient;
use crate::opencypher::CypherClient;
use crate::sparql::SparqlClient;

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

/// The HTTP client every store client uses (a long timeout: counting 20,000 edges takes a while on a busy
/// machine).
pub(crate) fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(300))
        .build()
        .unwrap_or_default()
}

/// Sends `request` to `url` and returns the body of a 2xx answer; any other answer is [`LocalError::Store`] with
/// the start of its body, no answer [`LocalError::StoreUnreachable`].
pub(crate) async fn send(request: reqwest::RequestBuilder, url: &str) -> Result<String> {
    let unreachable = |e: reqwest::Error| LocalError::StoreUnreachable {
        url: url.to_owned(),
        message: crate::error::error_chain(&e),
    };
    let response = request.send().await.map_err(unreachable)?;
    let status = response.status();
    let body = response.text().await.map_err(unreachable)?;
    if status.is_success() {
        Ok(body)
    } else {
        Err(LocalError::Store {
            url: url.to_owned(),
            status: status.as_u16(),
            body: body.chars().take(500).collect(),
        })
    }
}

/// Parses a store's JSON answer.
pub(crate) fn json(url: &str, text: &str, what: &str) -> Result<serde_json::Value> {
    serde_json::from_str(text).map_err(|e| LocalError::Store {
        url: url.to_owned(),
        status: 200,
        body: format!("not {what}: {e}"),
    })
}

/// An element id from a store's JSON answer as text (ids are strings; anything else is shown as JSON).
pub(crate) fn id_text(value: &serde_json::Value) -> String {
    value
        .as_str()
        .map_or_else(|| value.to_string(), str::to_owned)
}

/// One person of the data set's vertex file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    /// `~id`.
    pub id: String,
    /// `name`.
    pub name: String,
    /// `firstName`.
    pub first_name: String,
    /// `lastName`.
    pub last_name: String,
}

/// Reads the people CSV (`~id,~label,name:String,firstName:String,lastName:String`, the dataset's format).
pub fn read_people(path: &Path) -> Result<Vec<Person>> {
    let text = std::fs::read_to_string(path).map_err(|source| LocalError::Io {
        action: "read",
        path: path.to_owned(),
        source,
    })?;
    text.lines()
        .skip(1)
        .filter(|line| !line.trim().is_empty())
        .enumerate()
        .map(|(n, line)| match line.split(',').collect::<Vec<_>>()[..] {
            [id, _label, name, first, last] => Ok(Person {
                id: id.to_owned(),
                name: name.to_owned(),
                first_name: first.to_owned(),
                last_name: last.to_owned(),
            }),
            _ => Err(LocalError::Invalid {
                field: "people CSV line",
                value: format!("{}:{}: {line}", path.display(), n + 2),
                allowed: stream2neptune_workload::dataset::PEOPLE_CSV_HEADER.into(),
            }),
        })
        .collect()
}
