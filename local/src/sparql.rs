//! The SPARQL store's client (Oxigraph): counting the writer's edges, loading the people's N-Triples, running any
//! SPARQL query or update.

use std::collections::HashSet;

use stream2neptune_engines::store_http::{http_client, json, send};
use stream2neptune_workload::dataset::DatasetSummary;

use crate::edge_store::{EdgeCounts, EdgeStore};
use crate::error::Result;

/// The client.
#[derive(Debug, Clone)]
pub struct SparqlClient {
    base: String,
    http: reqwest::Client,
}

impl SparqlClient {
    /// A client of the store at `base` (e.g. `http://127.0.0.1:7878`).
    pub fn new(base: &str) -> Self {
        SparqlClient {
            base: base.trim_end_matches('/').to_owned(),
            http: http_client(),
        }
    }

    /// Runs a query; `accept` picks the result format (e.g. `application/sparql-results+json`, `text/csv`).
    pub async fn query(&self, query: &str, accept: &str) -> Result<String> {
        let url = format!("{}/query", self.base);
        let request = self
            .http
            .post(&url)
            .header("content-type", "application/sparql-query")
            .header("accept", accept)
            .body(query.to_owned());
        Ok(send(request, &url).await?)
    }

    /// Runs a SELECT and returns each row's values (as strings) in the order of `vars`.
    pub async fn select(&self, query: &str, vars: &[&str]) -> Result<Vec<Vec<String>>> {
        let text = self.query(query, "application/sparql-results+json").await?;
        let doc = json(
            &format!("{}/query", self.base),
            &text,
            "SPARQL JSON results",
        )?;
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

    /// Posts a SPARQL update (used by benchmarks to measure the store's own ceiling).
    pub async fn update(&self, update: &str) -> Result<()> {
        let url = format!("{}/update", self.base);
        let request = self
            .http
            .post(&url)
            .header("content-type", "application/sparql-update")
            .body(update.to_owned());
        send(request, &url).await?;
        Ok(())
    }
}

impl EdgeStore for SparqlClient {
    fn person(&self, id: &str) -> String {
        stream2neptune_writer::sparql::person_iri(id)
    }

    /// `follows` triples, and edge resources (`?e a Follows`).
    async fn edge_counts(&self) -> Result<EdgeCounts> {
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

    async fn follows_pairs(&self) -> Result<HashSet<(String, String)>> {
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

    /// The people's N-Triples into the default graph.
    async fn load_people(&self, dataset: &DatasetSummary) -> Result<u64> {
        Ok(stream2neptune_workload::loader::load_local(&self.base, &dataset.people_nt).await?)
    }

    /// CSV for SELECT, N-Triples for graphs, JSON for ASK.
    async fn run_query(&self, query: &str) -> Result<String> {
        self.query(
            query,
            "text/csv, application/n-triples;q=0.9, application/sparql-results+json;q=0.8",
        )
        .await
    }
}
