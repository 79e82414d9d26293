//! The change records Neptune Streams holds for a change of a graph, in PG_JSON: what a source graph streams when
//! it goes from one state to the next in one commit. Tests build a source graph's stream with it and replay it.
//!
//! The order is Neptune's for a commit: edges removed (their properties, then the edge), vertices removed (their
//! property values, then the label: a vertex drop), vertices added and changed (label, then values removed and
//! added), edges added and changed (edge, then property values). A vertex or edge whose label or ends change is
//! removed and added.

use serde_json::{Value as Json, json};

use crate::model::{Edge, Graph, Vertex, value_key};
use crate::operation::Value;

/// The `value` object of a change: `{"value": ..., "dataType": ...}` (integers as Long, dates as Date).
fn typed(value: &Value) -> Json {
    let (value, data_type) = match value {
        Value::String(s) => (json!(s), "String"),
        Value::Integer(i) => (json!(i), "Long"),
        Value::Double(d) => (json!(d), "Double"),
        Value::Boolean(b) => (json!(b), "Boolean"),
        Value::Date(d) | Value::DateTime(d) => (json!(d), "Date"),
        Value::List(_) => unreachable!("a graph holds a vertex property's values one by one"),
    };
    json!({"value": value, "dataType": data_type})
}

/// The change records of one commit (`commit_num`) taking `before` to `after`, numbered from opNum 1, the last
/// one marked `isLastOp`.
pub fn between(before: &Graph, after: &Graph, commit_num: u64) -> Vec<Json> {
    let mut data: Vec<(&str, Json)> = Vec::new();
    let pg = |id: &str, kind: &str, key: &str, value: &Value| json!({"id": id, "type": kind, "key": key, "value": typed(value)});
    let label = |l: &str| Value::String(l.to_owned());
    let edge_record = |id: &str, edge: &Edge| {
        let mut e = pg(id, "e", "label", &label(&edge.label));
        e["from"] = json!(edge.from);
        e["to"] = json!(edge.to);
        e
    };
    // The values of `values` that `others` does not hold.
    let missing = |values: &'_ [Value], others: Option<&Vec<Value>>| {
        let others = others.map(Vec::as_slice).unwrap_or_default();
        values
            .iter()
            .filter(|v| !others.iter().any(|o| value_key(o) == value_key(v)))
            .cloned()
            .collect::<Vec<_>>()
    };
    let same_edge = |a: &Edge, b: &Edge| a.label == b.label && a.from == b.from && a.to == b.to;
    let kept_edge =
        |id: &String, edge: &Edge| after.edges.get(id).is_some_and(|e| same_edge(e, edge));
    let kept_vertex = |id: &String, vertex: &Vertex| {
        after
            .vertices
            .get(id)
            .is_some_and(|v| v.label == vertex.label)
    };
    for (id, edge) in &before.edges {
        if !kept_edge(id, edge) {
            for (name, value) in &edge.properties {
                data.push(("REMOVE", pg(id, "ep", name, value)));
            }
            data.push(("REMOVE", edge_record(id, edge)));
        }
    }
    for (id, vertex) in &before.vertices {
        if !kept_vertex(id, vertex) {
            for (name, values) in &vertex.properties {
                for value in values {
                    data.push(("REMOVE", pg(id, "vp", name, value)));
                }
            }
            data.push(("REMOVE", pg(id, "vl", "label", &label(&vertex.label))));
        }
    }
    let empty = Vertex::default();
    for (id, vertex) in &after.vertices {
        let old = before.vertices.get(id).filter(|v| v.label == vertex.label);
        if old.is_none() {
            data.push(("ADD", pg(id, "vl", "label", &label(&vertex.label))));
        }
        let old = old.unwrap_or(&empty);
        for (name, values) in &old.properties {
            for value in missing(values, vertex.properties.get(name)) {
                data.push(("REMOVE", pg(id, "vp", name, &value)));
            }
        }
        for (name, values) in &vertex.properties {
            for value in missing(values, old.properties.get(name)) {
                data.push(("ADD", pg(id, "vp", name, &value)));
            }
        }
    }
    for (id, edge) in &after.edges {
        let old = before.edges.get(id).filter(|old| same_edge(old, edge));
        if old.is_none() {
            data.push(("ADD", edge_record(id, edge)));
        }
        for (name, value) in old.map(|o| &o.properties).into_iter().flatten() {
            if edge.properties.get(name).map(value_key) != Some(value_key(value)) {
                data.push(("REMOVE", pg(id, "ep", name, value)));
            }
        }
        for (name, value) in &edge.properties {
            let was = old.and_then(|o| o.properties.get(name));
            if was.map(value_key) != Some(value_key(value)) {
                data.push(("ADD", pg(id, "ep", name, value)));
            }
        }
    }
    let last = data.len();
    data.into_iter()
        .enumerate()
        .map(|(i, (op, data))| {
            let mut record = json!({
                "commitTimestamp": 1_767_225_600_000_u64 + commit_num,
                "eventId": {"commitNum": commit_num, "opNum": i + 1},
                "op": op,
                "data": data,
            });
            if i + 1 == last {
                record["isLastOp"] = json!(true);
            }
            record
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::operation::{EdgeUpsert, Operation, PropertyChange, VertexUpsert};

    /// Operations applied one commit each to a source graph; the stream of every commit, replayed, gives the
    /// source graph, and replayed again changes nothing.
    #[test]
    fn a_replayed_stream_gives_the_source_graph() {
        let vertex = |id: &str, label: &str, properties| {
            Operation::UpsertVertex(VertexUpsert {
                id: id.into(),
                label: label.into(),
                properties,
            })
        };
        let operations = [
            vertex(
                "a",
                "person",
                vec![
                    PropertyChange::set("n", Value::Integer(1)),
                    PropertyChange::set(
                        "t",
                        Value::List(vec![Value::String("x".into()), Value::Boolean(true)]),
                    ),
                    PropertyChange::set("d", Value::Date("2024-05-01".into())),
                ],
            ),
            Operation::UpsertEdge(EdgeUpsert {
                id: "e".into(),
                label: "knows".into(),
                from: "a".into(),
                to: "b".into(),
                from_label: "person".into(),
                to_label: "robot".into(),
                properties: vec![PropertyChange::set("w", Value::Double(0.5))],
            }),
            vertex(
                "a",
                "person",
                vec![
                    PropertyChange::set("n", Value::Integer(2)),
                    PropertyChange::remove("t"),
                ],
            ),
            Operation::DeleteVertex { id: "b".into() },
            vertex("b", "person", vec![]),
        ];
        let mut source = Graph::default();
        let mut stream = Vec::new();
        for (commit, operation) in operations.iter().enumerate() {
            let before = source.clone();
            source.apply(operation).unwrap();
            stream.extend(between(&before, &source, commit as u64 + 1));
        }
        let body = Json::Array(stream).to_string();
        let super::super::Replay::Operations(replay) = super::super::decode(&body).unwrap() else {
            panic!("PG_JSON changes replay as operations");
        };
        let mut copy = Graph::default();
        for _ in 0..2 {
            for operation in &replay {
                copy.apply(operation).unwrap();
            }
            assert_eq!(copy.differences(&source), vec![]);
        }
    }
}
