//! A small client of the local store (Oxigraph): counting the writer's edges, running any SPARQL
//! query or update.

use std::collections::HashSet;
use std::time::Duration;

use crate::error::{LocalError, Result};

/// The client.
#[derive(Debug, Clone)]
pub struct StoreClient {
    base: String,
    http: reqwest::Client,
}

/// What the store holds of the writer's edges.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EdgeCounts {
    /// `follows` triples (distinct (from, to) pairs).
    pub follows: u64,
    /// Edge resources (one per (from, creationDate, to)); more than `follows` means an edge was
    /// written twice under different identities.
    pub edge_resources: u64,
}

impl EdgeCounts {
    /// Edges present more than once.
    pub fn duplicated(&self) -> u64 {
        self.edge_resources.saturating_sub(self.follows)
    }
}

impl StoreClient {
    /// A client of the store at `base` (e.g. `http://127.0.0.1:7878`).
    pub fn new(base: &str) -> Self {
        StoreClient {
            base: base.trim_end_matches('/').to_owned(),
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(300))
                .build()
                .unwrap_or_default(),
        }
    }

    fn unreachable(&self, e: reqwest::Error) -> LocalError {
        LocalError::StoreUnreachable {
            url: self.base.clone(),
            message: crate::error::error_chain(&e),
        }
    }

    async fn checked(&self, url: String, response: reqwest::Response) -> Result<String> {
        let status = response.status();
        let body = response.text().await.map_err(|e| self.unreachable(e))?;
        if status.is_success() {
            Ok(body)
        } else {
            Err(LocalError::Store {
                url,
                status: status.as_u16(),
                body: body.chars().take(500).collect(),
            })
        }
    }

    /// Runs a query; `accept` picks the result format (e.g. `application/sparql-results+json`, `text/csv`).
    pub async fn query(&self, query: &str, accept: &str) -> Result<String> {
        let url = format!("{}/query", self.base);
        let response = self
            .http
            .post(&url)
            .header("content-type", "application/sparql-query")
            .header("accept", accept)
            .body(query.to_owned())
            .send()
            .await
            .map_err(|e| self.unreachable(e))?;
        self.checked(url, response).await
    }

    /// Runs a SELECT and returns each row's values (as strings) in the order of `vars`.
    pub async fn select(&self, query: &str, vars: &[&str]) -> Result<Vec<Vec<String>>> {
        let text = self.query(query, "application/sparql-results+json").await?;
        let doc: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| LocalError::Store {
                url: format!("{}/query", self.base),
                status: 200,
                body: format!("not SPARQL JSON results: {e}"),
            })?;
        let rows = doc["results"]["bindings"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        Ok(rows
            .iter()
            .map(|row| {
                vars.iter()
                    .map(|v| row[*v]["value"].as_str().unwrap_or_default().to_owned())
                    .collect()
            })
            .collect())
    }

    async fn count(&self, query: &str) -> Result<u64> {
        let rows = self.select(query, &["n"]).await?;
        Ok(rows
            .first()
            .and_then(|r| r.first())
            .and_then(|n| n.parse().ok())
            .unwrap_or(0))
    }

    /// Counts the writer's `follows` triples and edge resources.
    pub async fn edge_counts(&self) -> Result<EdgeCounts> {
        let follows = self
            .count(&format!(
                "SELECT (COUNT(*) AS ?n) WHERE {{ ?a <{}> ?b }}",
                stream2neptune_writer::sparql::FOLLOWS
            ))
            .await?;
        let edge_resources = self
            .count(&format!(
                "SELECT (COUNT(DISTINCT ?e) AS ?n) WHERE {{ ?e a <{}> }}",
                stream2neptune_writer::sparql::FOLLOWS_CLASS
            ))
            .await?;
        Ok(EdgeCounts {
            follows,
            edge_resources,
        })
    }

    /// Every `follows` pair as (from IRI, to IRI).
    pub async fn follows_pairs(&self) -> Result<HashSet<(String, String)>> {
        let rows = self
            .select(
                &format!(
                    "SELECT ?a ?b WHERE {{ ?a <{}> ?b }}",
                    stream2neptune_writer::sparql::FOLLOWS
                ),
                &["a", "b"],
            )
            .await?;
        Ok(rows
            .into_iter()
            .map(|mut r| (std::mem::take(&mut r[0]), std::mem::take(&mut r[1])))
            .collect())
    }

    /// Posts a SPARQL update (used by benchmarks to measure the store's own ceiling).
    pub async fn update(&self, update: &str) -> Result<()> {
        let url = format!("{}/update", self.base);
        let response = self
            .http
            .post(&url)
            .header("content-type", "application/sparql-update")
            .body(update.to_owned())
            .send()
            .await
            .map_err(|e| self.unreachable(e))?;
        self.checked(url, response).await.map(|_| ())
    }
}
