//! The Gremlin store's client (Gremlin Server): `POST /gremlin {"gremlin": ..., "language": "gremlin-lang"}`, so
//! every query local mode sends, and every query `local query` passes on, is parsed by TinkerPop's grammar as
//! Neptune parses it (no Groovy).

use std::collections::HashSet;

use serde_json::Value;
use stream2neptune_engines::EngineError;
use stream2neptune_engines::store_http::{http_client, id_text, json, send};
use stream2neptune_graph::follows::{FOLLOWS, PERSON};
use stream2neptune_workload::dataset::DatasetSummary;
use stream2neptune_writer::gremlin::push_literal;

use crate::edge_store::{EdgeCounts, EdgeStore};
use crate::error::Result;
use crate::people::read_people;

/// People per loading request.
const PEOPLE_PER_REQUEST: usize = 200;

/// The client.
#[derive(Debug, Clone)]
pub struct GremlinClient {
    url: String,
    http: reqwest::Client,
}

impl GremlinClient {
    /// A client of the Gremlin Server at `base` (e.g. `http://127.0.0.1:8182`).
    pub fn new(base: &str) -> Self {
        GremlinClient {
            url: format!("{}/gremlin", base.trim_end_matches('/')),
            http: http_client(),
        }
    }

    /// Runs `gremlin` and returns `result.data` (GraphSON without types, as plain JSON).
    pub async fn submit(&self, gremlin: &str) -> Result<Vec<Value>> {
        let request = self
            .http
            .post(&self.url)
            .header("content-type", "application/json")
            .body(
                serde_json::json!({ "gremlin": gremlin, "language": "gremlin-lang" }).to_string(),
            );
        let text = send(request, &self.url).await?;
        let doc = json(&self.url, &text, "a Gremlin Server response")?;
        Ok(doc["result"]["data"]
            .as_array()
            .cloned()
            .unwrap_or_default())
    }

    async fn count(&self, gremlin: &str) -> Result<u64> {
        let data = self.submit(gremlin).await?;
        data.first().and_then(Value::as_u64).ok_or_else(|| {
            EngineError::Store {
                url: self.url.clone(),
                status: 200,
                body: format!("{gremlin} did not return a count: {data:?}"),
            }
            .into()
        })
    }
}

/// `g.E().hasLabel('follows')`.
fn follows_edges() -> String {
    let mut q = String::from("g.E().hasLabel(");
    push_literal(&mut q, FOLLOWS);
    q.push(')');
    q
}

/// Each follows edge as `{a: from id, b: to id}`.
fn endpoint_pairs() -> String {
    follows_edges() + ".project('a','b').by(__.outV().id()).by(__.inV().id())"
}

impl EdgeStore for GremlinClient {
    fn person(&self, id: &str) -> String {
        id.to_owned()
    }

    /// Distinct (out, in) pairs of `follows` edges, and `follows` edges.
    async fn edge_counts(&self) -> Result<EdgeCounts> {
        let follows = self
            .count(&format!("{}.dedup().count()", endpoint_pairs()))
            .await?;
        let edge_resources = self.count(&format!("{}.count()", follows_edges())).await?;
        Ok(EdgeCounts {
            follows,
            edge_resources,
        })
    }

    async fn follows_pairs(&self) -> Result<HashSet<(String, String)>> {
        Ok(self
            .submit(&endpoint_pairs())
            .await?
            .iter()
            .map(|pair| (id_text(&pair["a"]), id_text(&pair["b"])))
            .collect())
    }

    /// `person` vertices with the people's ids and names, upserted (`mergeV`), a few hundred per request.
    async fn load_people(&self, dataset: &DatasetSummary) -> Result<u64> {
        let people = read_people(&dataset.people_csv)?;
        for chunk in people.chunks(PEOPLE_PER_REQUEST) {
            let mut q = String::from("g");
            for person in chunk {
                q.push_str(".mergeV([(T.id):");
                push_literal(&mut q, &person.id);
                q.push_str("]).option(Merge.onCreate,[(T.label):");
                push_literal(&mut q, PERSON);
                for (key, value) in [
                    ("name", &person.name),
                    ("firstName", &person.first_name),
                    ("lastName", &person.last_name),
                ] {
                    q.push(',');
                    push_literal(&mut q, key);
                    q.push(':');
                    push_literal(&mut q, value);
                }
                q.push_str("])");
            }
            q.push_str(".count()");
            self.submit(&q).await?;
        }
        Ok(people.len() as u64)
    }

    /// `result.data` as indented JSON.
    async fn run_query(&self, query: &str) -> Result<String> {
        let data = self.submit(query).await?;
        Ok(serde_json::to_string_pretty(&data).unwrap_or_default() + "\n")
    }
}
