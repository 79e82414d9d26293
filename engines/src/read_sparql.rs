//! Reads the graph a SPARQL store holds under the writer's graph-operation mapping (its `sparql_operations`, IRIs
//! under [`stream2neptune_graph::iri`]) into a [`Graph`], to compare with the model of what was written
//! ([`Graph::differences`]).
//!
//! One `SELECT ?s ?p ?o` over every triple; subjects under `vertex/` are vertices and under `edge/` edge resources
//! (ids percent-decoded), `rdf:type` under `label/` is the label, `ontology/from` and `ontology/to` an edge's
//! endpoints, predicates under `property/` properties, each typed literal a value by its datatype. Triples of
//! other subjects (the `follows` scheme) are not part of this graph; any other triple of a vertex or edge resource
//! is an error naming it.

use std::collections::BTreeMap;

use percent_encoding::percent_decode_str;
use serde_json::Value as Json;
use stream2neptune_graph::iri::{BASE, FROM, RDF_TYPE, TO, XSD};
use stream2neptune_graph::model::{Edge, Vertex, set_of};
use stream2neptune_graph::{Graph, Value};

use crate::error::{EngineError, Result};
use crate::store_http::{http_client, json, send};

/// An element read so far.
#[derive(Default)]
struct Element {
    label: Vec<String>,
    from: Option<String>,
    to: Option<String>,
    properties: BTreeMap<String, Vec<Value>>,
}

/// Reads every vertex and edge the SPARQL endpoint at `base` holds (`POST {base}/sparql`, form `query=`).
pub async fn read_graph(base: &str) -> Result<Graph> {
    let url = format!("{}/sparql", base.trim_end_matches('/'));
    let request = http_client()
        .post(&url)
        .header("accept", "application/sparql-results+json")
        .form(&[("query", "SELECT ?s ?p ?o WHERE { ?s ?p ?o }")]);
    let text = send(request, &url).await?;
    let doc = json(&url, &text, "SPARQL JSON results")?;
    let unexpected = |what: String| EngineError::Store {
        url: url.clone(),
        status: 200,
        body: what,
    };
    let (vertex, edge, label, property) = (
        format!("{BASE}vertex/"),
        format!("{BASE}edge/"),
        format!("{BASE}label/"),
        format!("{BASE}property/"),
    );

    let mut vertices: BTreeMap<String, Element> = BTreeMap::new();
    let mut edges: BTreeMap<String, Element> = BTreeMap::new();
    for row in doc["results"]["bindings"].as_array().into_iter().flatten() {
        let (s, p, o) = (&row["s"], &row["p"], &row["o"]);
        let subject = s["value"].as_str().unwrap_or_default();
        let element = if let Some(id) = subject.strip_prefix(&vertex) {
            vertices.entry(decode(id)).or_default()
        } else if let Some(id) = subject.strip_prefix(&edge) {
            edges.entry(decode(id)).or_default()
        } else {
            continue;
        };
        let predicate = p["value"].as_str().unwrap_or_default();
        let object = o["value"].as_str().unwrap_or_default();
        let is_iri = o["type"] == "uri";
        let triple = || format!("<{subject}> <{predicate}> {o}");
        if predicate == RDF_TYPE && is_iri {
            let name = object
                .strip_prefix(&label)
                .ok_or_else(|| unexpected(format!("{} is not typed by a label class", triple())))?;
            element.label.push(decode(name));
        } else if (predicate == FROM || predicate == TO) && is_iri {
            let id = object.strip_prefix(&vertex).ok_or_else(|| {
                unexpected(format!("{}: an edge's end is not a vertex IRI", triple()))
            })?;
            *(if predicate == FROM {
                &mut element.from
            } else {
                &mut element.to
            }) = Some(decode(id));
        } else if let Some(name) = predicate.strip_prefix(&property).filter(|_| !is_iri) {
            let value = literal(o).ok_or_else(|| {
                unexpected(format!(
                    "{}: a literal of a datatype the graph model has no type for",
                    triple()
                ))
            })?;
            element
                .properties
                .entry(decode(name))
                .or_default()
                .push(value);
        } else {
            return Err(unexpected(format!(
                "{} is not part of the graph-operation mapping",
                triple()
            )));
        }
    }

    let label = |element: &Element| {
        let mut labels = element.label.clone();
        labels.sort();
        labels.join("::")
    };
    let mut graph = Graph::default();
    for (id, element) in vertices {
        graph.vertices.insert(
            id,
            Vertex {
                label: label(&element),
                properties: element
                    .properties
                    .into_iter()
                    .map(|(name, values)| (name, set_of(values)))
                    .collect(),
            },
        );
    }
    for (id, element) in edges {
        graph.edges.insert(
            id,
            Edge {
                label: label(&element),
                from: element.from.clone().unwrap_or_default(),
                to: element.to.clone().unwrap_or_default(),
                properties: element
                    .properties
                    .into_iter()
                    .map(|(name, values)| {
                        let mut values = set_of(values);
                        let value = if values.len() == 1 {
                            values.remove(0)
                        } else {
                            Value::List(values)
                        };
                        (name, value)
                    })
                    .collect(),
            },
        );
    }
    Ok(graph)
}

fn decode(part: &str) -> String {
    percent_decode_str(part).decode_utf8_lossy().into_owned()
}

/// The value of a SPARQL JSON literal term, by its datatype.
fn literal(term: &Json) -> Option<Value> {
    let text = term["value"].as_str()?;
    let datatype = term["datatype"].as_str();
    let xsd = datatype.and_then(|d| d.strip_prefix(XSD));
    Some(match xsd {
        None if datatype.is_none() => Value::String(text.to_owned()),
        Some("string") => Value::String(text.to_owned()),
        Some("long" | "integer" | "int" | "short" | "byte") => Value::Integer(text.parse().ok()?),
        Some("double" | "float") => Value::Double(text.parse().ok()?),
        Some("boolean") => Value::Boolean(match text {
            "true" | "1" => true,
            "false" | "0" => false,
            _ => return None,
        }),
        Some("date") => Value::Date(text.to_owned()),
        Some("dateTime") => Value::DateTime(text.to_owned()),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_become_values_by_their_datatype() {
        let term = |value: &str, datatype: Option<&str>| {
            let mut term = serde_json::json!({"type": "literal", "value": value});
            if let Some(d) = datatype {
                term["datatype"] = Json::from(format!("{XSD}{d}"));
            }
            term
        };
        let table = [
            (term("12", None), Some(Value::String("12".into()))),
            (term("12", Some("long")), Some(Value::Integer(12))),
            (term("5.0E-1", Some("double")), Some(Value::Double(0.5))),
            (term("1", Some("boolean")), Some(Value::Boolean(true))),
            (
                term("2024-05-01", Some("date")),
                Some(Value::Date("2024-05-01".into())),
            ),
            (
                term("2024-05-01T10:11:12Z", Some("dateTime")),
                Some(Value::DateTime("2024-05-01T10:11:12Z".into())),
            ),
            (term("P1D", Some("duration")), None),
            (term("x", Some("long")), None),
        ];
        for (term, expected) in table {
            assert_eq!(literal(&term), expected, "{term}");
        }
        assert_eq!(decode("a%20b%2F%C3%BC"), "a b/ü");
    }
}
