//! The openCypher store's client (Neo4j behind the adapter): Neptune's form `POST /openCypher` with `query=` and
//! `parameters=`, answered `{"results": [...]}`. `~id` is Neptune's element id; in Neo4j it is an ordinary property.

use std::collections::HashSet;

use serde_json::Value;
use stream2neptune_engines::EngineError;
use stream2neptune_engines::store_http::{http_client, id_text, json, send};
use stream2neptune_workload::dataset::DatasetSummary;

use crate::edge_store::{EdgeCounts, EdgeStore};
use crate::error::Result;
use crate::people::read_people;

/// People per loading request.
const PEOPLE_PER_REQUEST: usize = 1000;

/// Upserts the people of `$people` by `~id`.
const LOAD_PEOPLE: &str = "UNWIND $people AS p \
MERGE (n:person {`~id`: p.id}) \
SET n.name = p.name, n.firstName = p.firstName, n.lastName = p.lastName";

/// The client.
#[derive(Debug, Clone)]
pub struct CypherClient {
    url: String,
    http: reqwest::Client,
}

impl CypherClient {
    /// A client of the openCypher endpoint at `base` (e.g. `http://127.0.0.1:8182`).
    pub fn new(base: &str) -> Self {
        CypherClient {
            url: format!("{}/openCypher", base.trim_end_matches('/')),
            http: http_client(),
        }
    }

    /// Runs `query` with `parameters` and returns `results`, one JSON object per row.
    pub async fn query_with(&self, query: &str, parameters: &Value) -> Result<Vec<Value>> {
        let request = self
            .http
            .post(&self.url)
            .form(&[("query", query), ("parameters", &parameters.to_string())]);
        let text = send(request, &self.url).await?;
        let doc = json(&self.url, &text, "an openCypher response")?;
        Ok(doc["results"].as_array().cloned().unwrap_or_default())
    }

    async fn count(&self, query: &str) -> Result<u64> {
        let rows = self.query_with(query, &serde_json::json!({})).await?;
        rows.first()
            .and_then(|row| row["n"].as_u64())
            .ok_or_else(|| {
                EngineError::Store {
                    url: self.url.clone(),
                    status: 200,
                    body: format!("{query} did not return a count n: {rows:?}"),
                }
                .into()
            })
    }
}

impl EdgeStore for CypherClient {
    fn person(&self, id: &str) -> String {
        id.to_owned()
    }

    /// Distinct (from, to) pairs joined by `follows`, and `follows` relationships.
    async fn edge_counts(&self) -> Result<EdgeCounts> {
        let follows = self
            .count(
                "MATCH (a:person)-[:follows]->(b:person) WITH DISTINCT a, b RETURN count(*) AS n",
            )
            .await?;
        let edge_resources = self
            .count("MATCH ()-[r:follows]->() RETURN count(r) AS n")
            .await?;
        Ok(EdgeCounts {
            follows,
            edge_resources,
        })
    }

    async fn follows_pairs(&self) -> Result<HashSet<(String, String)>> {
        let rows = self
            .query_with(
                "MATCH (a:person)-[:follows]->(b:person) RETURN a.`~id` AS a, b.`~id` AS b",
                &serde_json::json!({}),
            )
            .await?;
        Ok(rows
            .iter()
            .map(|row| (id_text(&row["a"]), id_text(&row["b"])))
            .collect())
    }

    /// `person` nodes with the people's `~id` and names, merged on `~id`, a thousand per request.
    async fn load_people(&self, dataset: &DatasetSummary) -> Result<u64> {
        let people = read_people(&dataset.people_csv)?;
        for chunk in people.chunks(PEOPLE_PER_REQUEST) {
            let rows: Vec<Value> = chunk
                .iter()
                .map(|p| {
                    serde_json::json!({
                        "id": p.id, "name": p.name, "firstName": p.first_name, "lastName": p.last_name
                    })
                })
                .collect();
            self.query_with(LOAD_PEOPLE, &serde_json::json!({ "people": rows }))
                .await?;
        }
        Ok(people.len() as u64)
    }

    /// `results` as indented JSON.
    async fn run_query(&self, query: &str) -> Result<String> {
        let rows = self.query_with(query, &serde_json::json!({})).await?;
        Ok(serde_json::to_string_pretty(&rows).unwrap_or_default() + "\n")
    }
}
