//! Reads the whole graph of the openCypher stand-in (Neo4j behind the `NeptuneOpenCypher` adapter) into a
//! [`Graph`], to compare with the model of what was written ([`Graph::differences`]).
//!
//! Every node and relationship is read with its `~id` (Neptune's element id, a property in Neo4j), its labels or
//! type, and each property with its Cypher type (Neo4j's `valueType`), so a string that looks like a number or a
//! date stays a string: `INTEGER` is an integer, `FLOAT` a double, `ZONED DATETIME` a date-time and `DATE` a date
//! (as Cypher's `toString` writes them), a `LIST` several values of a vertex property. A node with several labels
//! reads as their names joined by `::` (Neptune's spelling), so it differs from any one label; the adapter's
//! hidden `~vertex` label is not one of them.

use std::collections::BTreeMap;

use serde_json::Value as Json;
use stream2neptune_graph::model::{Edge, Vertex, set_of};
use stream2neptune_graph::{Graph, Value};

use crate::error::{EngineError, Result};
use crate::store_http::{http_client, id_text, json, send};

/// `[name, type, value]` of each property but `~id`, temporal values as text.
const PROPERTIES: &str = "[k IN keys(x) WHERE k <> '~id' | [k, valueType(x[k]), \
CASE WHEN valueType(x[k]) IN ['ZONED DATETIME NOT NULL', 'DATE NOT NULL'] THEN toString(x[k]) ELSE x[k] END]]";

/// The adapter's hidden label of every node keyed by `~id` (it stands in for Neptune's id index), not a label of
/// the graph.
const VERTEX_LABEL: &str = "~vertex";

/// Reads every vertex and edge of the openCypher endpoint at `base` (e.g. `http://127.0.0.1:8182`).
pub async fn read_graph(base: &str) -> Result<Graph> {
    let url = format!("{}/openCypher", base.trim_end_matches('/'));
    let http = http_client();
    let rows = |query: String| {
        let request = http
            .post(&url)
            .form(&[("query", query.as_str()), ("parameters", "{}")]);
        let url = url.clone();
        async move {
            let text = send(request, &url).await?;
            let doc = json(&url, &text, "an openCypher response")?;
            Ok::<_, EngineError>(doc["results"].as_array().cloned().unwrap_or_default())
        }
    };
    let unexpected = |what: String| EngineError::Store {
        url: url.clone(),
        status: 200,
        body: what,
    };

    let mut graph = Graph::default();
    let nodes = rows(format!(
        "MATCH (x) RETURN coalesce(x.`~id`, elementId(x)) AS id, [l IN labels(x) WHERE l <> '{VERTEX_LABEL}'] AS labels, \
         {PROPERTIES} AS properties"
    ))
    .await?;
    for row in nodes {
        let id = id_text(&row["id"]);
        let labels: Vec<String> = row["labels"]
            .as_array()
            .map(|labels| labels.iter().map(id_text).collect())
            .unwrap_or_default();
        let mut properties = BTreeMap::new();
        for (name, values) in read_properties(&row["properties"]).map_err(&unexpected)? {
            properties.insert(name, set_of(values));
        }
        graph.vertices.insert(
            id,
            Vertex {
                label: labels.join("::"),
                properties,
            },
        );
    }

    let relationships = rows(format!(
        "MATCH (a)-[x]->(z) RETURN coalesce(x.`~id`, elementId(x)) AS id, type(x) AS label, \
         coalesce(a.`~id`, elementId(a)) AS from, coalesce(z.`~id`, elementId(z)) AS to, {PROPERTIES} AS properties"
    ))
    .await?;
    for row in relationships {
        let mut properties = BTreeMap::new();
        for (name, mut values) in read_properties(&row["properties"]).map_err(&unexpected)? {
            let value = if values.len() == 1 {
                values.remove(0)
            } else {
                Value::List(values)
            };
            properties.insert(name, value);
        }
        graph.edges.insert(
            id_text(&row["id"]),
            Edge {
                label: id_text(&row["label"]),
                from: id_text(&row["from"]),
                to: id_text(&row["to"]),
                properties,
            },
        );
    }
    Ok(graph)
}

/// Each `[name, type, value]` as the property's name and values (a list gives several).
fn read_properties(properties: &Json) -> std::result::Result<Vec<(String, Vec<Value>)>, String> {
    let mut out = Vec::new();
    for property in properties.as_array().into_iter().flatten() {
        let (name, kind, value) = (
            id_text(&property[0]),
            property[1].as_str().unwrap_or_default(),
            &property[2],
        );
        let kind = kind.strip_suffix(" NOT NULL").unwrap_or(kind);
        let values = match kind.strip_prefix("LIST<").and_then(|k| k.strip_suffix('>')) {
            Some(element) => {
                let element = element.strip_suffix(" NOT NULL").unwrap_or(element);
                value
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|v| typed(element, v))
                    .collect::<Option<Vec<_>>>()
            }
            None => typed(kind, value).map(|v| vec![v]),
        }
        .ok_or_else(|| format!("property {name:?} holds {value} of Cypher type {kind}, which the graph model has no type for"))?;
        out.push((name, values));
    }
    Ok(out)
}

/// A value of Cypher type `kind`.
fn typed(kind: &str, value: &Json) -> Option<Value> {
    Some(match kind {
        "STRING" => Value::String(value.as_str()?.to_owned()),
        "INTEGER" => Value::Integer(value.as_i64()?),
        "FLOAT" => Value::Double(value.as_f64()?),
        "BOOLEAN" => Value::Boolean(value.as_bool()?),
        "ZONED DATETIME" => Value::DateTime(value.as_str()?.to_owned()),
        "DATE" => Value::Date(value.as_str()?.to_owned()),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_properties_and_lists_become_values() {
        let properties = serde_json::json!([
            ["s", "STRING NOT NULL", "12"],
            ["i", "INTEGER NOT NULL", 12],
            ["f", "FLOAT NOT NULL", 0.5],
            ["b", "BOOLEAN NOT NULL", true],
            ["t", "ZONED DATETIME NOT NULL", "2024-05-01T10:11:12Z"],
            ["d", "DATE NOT NULL", "2024-05-01"],
            ["l", "LIST<INTEGER NOT NULL> NOT NULL", [2, 1]]
        ]);
        assert_eq!(
            read_properties(&properties).unwrap(),
            vec![
                ("s".into(), vec![Value::String("12".into())]),
                ("i".into(), vec![Value::Integer(12)]),
                ("f".into(), vec![Value::Double(0.5)]),
                ("b".into(), vec![Value::Boolean(true)]),
                (
                    "t".into(),
                    vec![Value::DateTime("2024-05-01T10:11:12Z".into())]
                ),
                ("d".into(), vec![Value::Date("2024-05-01".into())]),
                ("l".into(), vec![Value::Integer(2), Value::Integer(1)]),
            ]
        );
        let point = serde_json::json!([["p", "POINT NOT NULL", "point({x: 1, y: 2})"]]);
        let refused = read_properties(&point).unwrap_err();
        assert!(
            refused.contains("\"p\"") && refused.contains("POINT"),
            "{refused}"
        );
    }
}
