//! Reads a whole graph back from a Gremlin store (Gremlin Server, Neptune's HTTP endpoint) into the model's
//! [`Graph`], typed, so a test or the demo can compare it with the model of what was written
//! ([`Graph::differences`]).
//!
//! Two read traversals, parsed by the grammar (`gremlin-lang`) and answered in typed GraphSON 3 (what Neptune
//! answers a string request with), so a Long, a Double, a String, a Boolean and a Date stay apart: each vertex with
//! its label and every value of every property, each edge with its label, ends and properties. Integers of any width
//! are [`Value::Integer`], floats and doubles [`Value::Double`], a `Date` is [`Value::DateTime`] of its instant
//! (`YYYY-MM-DDTHH:MM:SS.mmmZ`, UTC: compare with [`Graph::with_instant_dates`] of the model). Any other type (a
//! list or map stored as a value, a UUID) is an error naming the element and property. The whole graph is read in one
//! answer each for vertices and edges: a test's or a demo's graph, not a production one.

use std::collections::BTreeMap;

use serde_json::Value as Json;
use stream2neptune_graph::model::{Edge, Vertex};
use stream2neptune_graph::{Graph, Value};

use crate::error::{EngineError, Result};
use crate::store_http::{http_client, json, send};

/// Every vertex: `{id, label, p: {key: [values]}}`.
const VERTICES: &str = "g.V().project('id','label','p').by(T.id).by(T.label)\
    .by(__.properties().group().by(T.key).by(__.value().fold()))";

/// Every edge: `{id, label, from, to, p: {key: value}}`.
const EDGES: &str = "g.E().project('id','label','from','to','p').by(T.id).by(T.label)\
    .by(__.outV().id()).by(__.inV().id()).by(__.valueMap())";

/// Reads every vertex and edge of the Gremlin store at `base` (e.g. `http://127.0.0.1:8182`).
pub async fn read_graph(base: &str) -> Result<Graph> {
    let url = format!("{}/gremlin", base.trim_end_matches('/'));
    let http = http_client();
    let mut graph = Graph::default();
    for row in rows(&http, &url, VERTICES).await? {
        let id = text(&url, &row, "id")?;
        let mut properties = BTreeMap::new();
        for (name, values) in map_entries(&url, &row["p"])? {
            let values = list(&values)
                .ok_or_else(|| bad(&url, format!("vertex {id:?} property {name:?}"), &values))?
                .iter()
                .map(|v| {
                    value(v).ok_or_else(|| bad(&url, format!("vertex {id:?} property {name:?}"), v))
                })
                .collect::<Result<Vec<Value>>>()?;
            properties.insert(name, stream2neptune_graph::model::set_of(values));
        }
        let label = text(&url, &row, "label")?;
        graph.vertices.insert(id, Vertex { label, properties });
    }
    for row in rows(&http, &url, EDGES).await? {
        let id = text(&url, &row, "id")?;
        let mut properties = BTreeMap::new();
        for (name, v) in map_entries(&url, &row["p"])? {
            let v =
                value(&v).ok_or_else(|| bad(&url, format!("edge {id:?} property {name:?}"), &v))?;
            properties.insert(name, v);
        }
        let edge = Edge {
            label: text(&url, &row, "label")?,
            from: text(&url, &row, "from")?,
            to: text(&url, &row, "to")?,
            properties,
        };
        graph.edges.insert(id, edge);
    }
    Ok(graph)
}

/// Runs `gremlin` and returns its rows, each a projected map as a plain object of typed values.
async fn rows(
    http: &reqwest::Client,
    url: &str,
    gremlin: &str,
) -> Result<Vec<BTreeMap<String, Json>>> {
    let request = http
        .post(url)
        .header("content-type", "application/json")
        .header("accept", "application/vnd.gremlin-v3.0+json")
        .body(serde_json::json!({ "gremlin": gremlin, "language": "gremlin-lang" }).to_string());
    let answer = json(url, &send(request, url).await?, "a typed GraphSON 3 answer")?;
    let data = &answer["result"]["data"];
    let rows = list(data).ok_or_else(|| bad(url, "the answer's result.data".into(), data))?;
    rows.iter()
        .map(|row| Ok(map_entries(url, row)?.into_iter().collect()))
        .collect()
}

/// The entries of a `g:Map` (`@value` is `[key, value, key, value, ...]`), keys as text.
fn map_entries(url: &str, map: &Json) -> Result<Vec<(String, Json)>> {
    let flat = match (map["@type"].as_str(), map["@value"].as_array()) {
        (Some("g:Map"), Some(flat)) if flat.len() % 2 == 0 => flat,
        _ => return Err(bad(url, "a map".into(), map)),
    };
    flat.chunks(2)
        .map(|pair| match &pair[0] {
            Json::String(key) => Ok((key.clone(), pair[1].clone())),
            other => Err(bad(url, "a map key".into(), other)),
        })
        .collect()
}

/// The items of a `g:List` (or `g:Set`).
fn list(value: &Json) -> Option<&Vec<Json>> {
    match value["@type"].as_str() {
        Some("g:List" | "g:Set") => value["@value"].as_array(),
        _ => None,
    }
}

/// A property value, typed; `None` for a type [`Value`] has no place for.
fn value(v: &Json) -> Option<Value> {
    match v {
        Json::String(s) => Some(Value::String(s.clone())),
        Json::Bool(b) => Some(Value::Boolean(*b)),
        Json::Object(_) => {
            let raw = &v["@value"];
            match v["@type"].as_str()? {
                "g:Int64" | "g:Int32" | "gx:Int16" | "gx:Byte" => raw.as_i64().map(Value::Integer),
                "g:Double" | "g:Float" => raw.as_f64().map(Value::Double),
                "g:Date" | "g:Timestamp" => {
                    let instant = chrono::DateTime::from_timestamp_millis(raw.as_i64()?)?;
                    Some(Value::DateTime(
                        instant.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
                    ))
                }
                _ => None,
            }
        }
        _ => None,
    }
}

/// The text member `field` of a row (an id or a label; an id of another type is shown as its JSON).
fn text(url: &str, row: &BTreeMap<String, Json>, field: &str) -> Result<String> {
    match row.get(field) {
        Some(Json::String(s)) => Ok(s.clone()),
        Some(Json::Object(o)) if o.contains_key("@value") => Ok(o["@value"].to_string()),
        other => Err(bad(
            url,
            format!("the {field} of a row"),
            other.unwrap_or(&Json::Null),
        )),
    }
}

fn bad(url: &str, what: String, found: &Json) -> EngineError {
    let mut found = found.to_string();
    found.truncate(200);
    EngineError::Store {
        url: url.to_owned(),
        status: 200,
        body: format!(
            "{what} holds {found}, which the graph model cannot hold (a string, integer, double, boolean or date)"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_graphson_values_map_to_the_model_types() {
        let cases = [
            (serde_json::json!("x"), Some(Value::String("x".into()))),
            (serde_json::json!(true), Some(Value::Boolean(true))),
            (
                serde_json::json!({"@type": "g:Int64", "@value": 7}),
                Some(Value::Integer(7)),
            ),
            (
                serde_json::json!({"@type": "g:Int32", "@value": -7}),
                Some(Value::Integer(-7)),
            ),
            (
                serde_json::json!({"@type": "g:Double", "@value": 0.5}),
                Some(Value::Double(0.5)),
            ),
            (
                serde_json::json!({"@type": "g:Date", "@value": 1704161045500_i64}),
                Some(Value::DateTime("2024-01-02T02:04:05.500Z".into())),
            ),
            (
                serde_json::json!({"@type": "g:List", "@value": ["a"]}),
                None,
            ),
            (serde_json::json!({"@type": "g:UUID", "@value": "x"}), None),
            (serde_json::json!(null), None),
        ];
        for (json, expected) in cases {
            assert_eq!(value(&json), expected, "{json}");
        }
    }
}
