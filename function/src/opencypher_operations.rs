//! openCypher request for a batch of graph operations ([`stream2neptune_graph::Operation`]): one query and one
//! parameter document, sent as Neptune's form body ([`crate::opencypher::form_body`]) in one request, so the batch
//! is one transaction.
//!
//! Batching (Neptune's "Batch inputs using UNWIND"): the operations are grouped into segments of one shape (kind,
//! labels, and the names of the date-time properties it sets); a segment is one `UNWIND $sN AS r ...` over a
//! parameter list, and segments are joined by `WITH count(*) AS b`, an aggregation that ends one segment before the
//! next starts (Neptune runs only read-only `CALL` subqueries, so they cannot be used instead). A segment never
//! holds one element twice, and an operation joins the first segment of its shape after every segment holding an
//! operation it must follow (`Schedule`: the same element, a vertex and the edges naming it, a vertex delete and
//! edge upserts), so the operations on one key apply in stream order whatever order an engine gives the rows of
//! one `UNWIND`, while independent operations of one shape share a segment however the stream interleaves them.
//! Few segments matter: Neo4j's planning time grows faster than the number of segments (measured on a batch of
//! 100 mixed-workload records, 141 operations: 312 barriers cut in stream order took more than 120 s to plan,
//! 166 after grouping, still 27 - 55 s on a loaded machine; 51 barriers 3.8 s; 125 barriers 14 s; BENCHMARKS.md).
//!
//! Per operation (no value ever enters the query text; labels and date-time property names do, backquoted):
//! - vertex upsert: `OPTIONAL MATCH` the `~id`, `CREATE (:Label {~id})` where absent (the label is given only on
//!   creation, and an existing vertex keeps its own), then `MATCH` the `~id` and `SET n += r.p`, where `p` maps
//!   each property to its last value, or to `null` to remove it (Neptune removes a property set to null);
//! - edge upsert: an edge id taken by an edge of another type or with other endpoints fails the request (below),
//!   the absent endpoints are created the same way (with `from_label`, `to_label`), then
//!   `MERGE (a)-[e:Label {~id}]->(z)` and `SET e += r.p`;
//! - vertex delete: `DETACH DELETE` (with its edges); edge delete: `DELETE` of the relationship with the `~id`;
//! - value changes of an existing element (change records): an added value is set (`SET n += r.p`: a property
//!   holds one value in openCypher, and a source streams the old value's removal before the new one), a removed
//!   one is removed where the property holds it (`WHERE n.k = r.v SET n.k = null`); `MATCH` finds nothing when the
//!   element is absent.
//!
//! An upsert cannot move or relabel an edge (the model's [`stream2neptune_graph::Refusal::EdgeIdTaken`], Gremlin's
//! "already exists"): `MERGE` would look for the edge between the endpoints given, find none and create a second
//! relationship with the id, which Neptune refuses (ids are unique) and an engine without unique relationship ids
//! keeps. So each edge segment first matches the relationships holding its ids and, for one of another type or other
//! endpoints, sets a map as a property value (`edgeIdTaken`, naming the id and the edge holding it), which openCypher
//! refuses on every engine (a property value is a simple literal): the whole request fails and is rolled back, in
//! the same request, and the writer narrows the batch down to the record and rejects it (`StoreRefused`). Neptune's
//! openCypher has no function that raises an error; this refusal is the one that names what is wrong. The match is an
//! id lookup on Neptune; on Neo4j, which indexes relationship properties only per type, it scans the relationships
//! once per segment (measured: about 10 ms more for 100 edge upserts among 20,000 relationships).
//!
//! What Neptune's openCypher cannot store is refused ([`check`]), not mapped to something else: a date (its only
//! temporal type is DateTime), a list value (a multi-valued property; Neptune's openCypher refuses a list as a
//! property value: "Expected a simple literal but found List"), an `add` to a property's set of values. A list of
//! one value is that value. Date-times are set with `datetime(...)` from their ISO-8601 text.

use std::borrow::Borrow;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Write;

use serde_json::{Map, Value as Json};
use stream2neptune_graph::{Change, Element, Operation, PropertyChange, Unwritable, Value};

use crate::opencypher::form_body;

/// The language as refusals name it.
pub const LANGUAGE: &str = "openCypher";

/// The barrier between two segments.
const BARRIER: &str = " WITH count(*) AS b ";

/// Whether the language can write `operation`; the reason names the field and what to send instead.
pub fn check(operation: &Operation) -> Result<(), Unwritable> {
    let refuse = |field: String, reason: &str| Unwritable {
        language: LANGUAGE,
        operation: operation.name(),
        element: operation.element_id().to_owned(),
        field,
        reason: reason.to_owned(),
    };
    let (labels, properties): (Vec<&str>, &[PropertyChange]) = match operation {
        Operation::UpsertVertex(v) => (vec![&v.label], &v.properties),
        Operation::UpsertEdge(e) => (vec![&e.label, &e.from_label, &e.to_label], &e.properties),
        Operation::DeleteVertex { .. } | Operation::DeleteEdge { .. } => return Ok(()),
        Operation::ChangeValues { changes, .. } => {
            for change in changes {
                let field = format!("property {:?}", change.name);
                if change.name.starts_with('~') {
                    return Err(refuse(
                        field,
                        "names starting with `~` are Neptune's own (`~id`, `~label`); rename the property",
                    ));
                }
                if let Err(reason) = single(&change.value) {
                    return Err(refuse(field, reason));
                }
            }
            return Ok(());
        }
    };
    if labels.iter().any(|l| l.is_empty()) {
        return Err(refuse(
            "label".into(),
            "a label cannot be empty; give the element a label",
        ));
    }
    for change in properties {
        let field = format!("property {:?}", change.name);
        if change.name.starts_with('~') {
            return Err(refuse(
                field,
                "names starting with `~` are Neptune's own (`~id`, `~label`); rename the property",
            ));
        }
        match &change.change {
            Change::Remove => {}
            Change::Add(_) => {
                return Err(refuse(
                    field,
                    "openCypher on Neptune cannot add a value to a multi-valued property (a property holds one \
                     value there); send `set`, or write this graph with Gremlin or SPARQL",
                ));
            }
            Change::Set(value) => {
                if let Err(reason) = single(value) {
                    return Err(refuse(field, reason));
                }
            }
        }
    }
    Ok(())
}

/// The one value a set writes, or why openCypher cannot store it.
fn single(value: &Value) -> Result<&Value, &'static str> {
    match value {
        Value::List(values) if values.len() == 1 => single(&values[0]),
        Value::List(_) => Err(
            "Neptune's openCypher refuses a list as a property value (it stores no multi-valued property it did \
             not get from Gremlin); send one value, or write this graph with Gremlin or SPARQL",
        ),
        Value::Date(_) => Err(
            "Neptune's openCypher has no date type (its temporal type is DateTime); send a date-time such as \
             2024-05-01T00:00:00Z, or the date as a string",
        ),
        value => Ok(value),
    }
}

/// The complete form body writing `operations` in order, in one request (one transaction); they may be borrowed
/// from several records.
pub fn batch_request<O: Borrow<Operation>>(operations: &[O]) -> Result<String, Unwritable> {
    let (query, parameters) = batch_query(operations)?;
    Ok(form_body(&query, &parameters))
}

/// What one segment does.
#[derive(Debug, Clone, PartialEq)]
enum Kind<'a> {
    UpsertVertex {
        label: &'a str,
    },
    UpsertEdge {
        label: &'a str,
        from_label: &'a str,
        to_label: &'a str,
    },
    DeleteVertex,
    DeleteEdge,
    /// Values set on an existing element (a change record's added values).
    AddValues {
        element: Element,
    },
    /// A property removed from an existing element where it holds the row's value.
    RemoveValue {
        element: Element,
        name: &'a str,
        datetime: bool,
    },
}

/// Operations of one shape on distinct ids, in stream order.
struct Segment<'a> {
    kind: Kind<'a>,
    /// The date-time properties every row sets, in this order (`r.d[i]`).
    datetimes: Vec<&'a str>,
    rows: Vec<Json>,
    /// Edge segments: endpoints to create where absent, each once, with the label its first mention gives.
    from_ids: Vec<&'a str>,
    to_ids: Vec<&'a str>,
    endpoints: HashSet<&'a str>,
}

/// What one row touches, for [`Schedule`].
#[derive(Clone, Copy)]
enum Touch<'a> {
    /// Upsert or value change of the vertex with this id.
    Vertex(&'a str),
    /// Delete of the vertex with this id, with its edges (whose ids the batch may not name).
    DeleteVertex(&'a str),
    /// Delete or value change of the edge with this id.
    Edge(&'a str),
    /// Upsert of the edge with this id between these endpoints (created where absent).
    UpsertEdge {
        id: &'a str,
        from: &'a str,
        to: &'a str,
    },
}

/// Where each row goes: the first segment of its shape after every segment holding a row it must follow, so the
/// operations of a batch form as few segments as their dependencies allow (a query's planning time grows faster
/// than its number of segments on Neo4j). A row follows every earlier row on the same element; a vertex's rows
/// and the upserts of edges naming it as an endpoint follow each other, except that edge upserts sharing an
/// endpoint may share a segment (the first mention creates it); a vertex delete and an edge upsert follow each
/// other whatever their ids (the delete may remove the edge the upsert's moved-edge check reads: the batch does not
/// know the edge's endpoints before it). An edge delete or value change commutes with a vertex delete (the edge is
/// gone either way). Rows that do not depend on each other commute, so the graph, and a refusal, are the ones
/// stream order gives.
#[derive(Default)]
struct Schedule<'a> {
    segments: Vec<Segment<'a>>,
    /// The last segment holding a row of the vertex, of the edge, or an upsert of an edge naming the vertex.
    vertices: HashMap<&'a str, usize>,
    edges: HashMap<&'a str, usize>,
    endpoints: HashMap<&'a str, usize>,
    /// The last segment holding a vertex delete, and one holding an edge upsert.
    vertex_delete: Option<usize>,
    edge_upsert: Option<usize>,
}

impl<'a> Schedule<'a> {
    /// The segment a row of `kind` setting the date-times `datetimes` and touching `touch` joins.
    fn segment(
        &mut self,
        kind: Kind<'a>,
        datetimes: Vec<&'a str>,
        touch: Touch<'a>,
    ) -> &mut Segment<'a> {
        let after = |last: Option<&usize>| last.map_or(0, |i| i + 1);
        let first = match touch {
            Touch::Vertex(id) | Touch::DeleteVertex(id) => {
                let mut first = after(self.vertices.get(id)).max(after(self.endpoints.get(id)));
                if matches!(touch, Touch::DeleteVertex(_)) {
                    first = first.max(after(self.edge_upsert.as_ref()));
                }
                first
            }
            Touch::Edge(id) => after(self.edges.get(id)),
            Touch::UpsertEdge { id, from, to } => [
                after(self.edges.get(id)),
                after(self.vertex_delete.as_ref()),
                after(self.vertices.get(from)),
                after(self.vertices.get(to)),
                self.endpoints.get(from).copied().unwrap_or(0),
                self.endpoints.get(to).copied().unwrap_or(0),
            ]
            .into_iter()
            .max()
            .unwrap_or(0),
        };
        let found = self.segments[first.min(self.segments.len())..]
            .iter()
            .position(|s| s.kind == kind && s.datetimes == datetimes)
            .map(|i| first + i);
        let index = found.unwrap_or_else(|| {
            self.segments.push(Segment {
                kind,
                datetimes,
                rows: Vec::new(),
                from_ids: Vec::new(),
                to_ids: Vec::new(),
                endpoints: HashSet::new(),
            });
            self.segments.len() - 1
        });
        let mark = |map: &mut HashMap<&'a str, usize>, id: &'a str| {
            let last = map.entry(id).or_insert(index);
            *last = (*last).max(index);
        };
        match touch {
            Touch::Vertex(id) => mark(&mut self.vertices, id),
            Touch::DeleteVertex(id) => {
                mark(&mut self.vertices, id);
                self.vertex_delete = self.vertex_delete.max(Some(index));
            }
            Touch::Edge(id) => mark(&mut self.edges, id),
            Touch::UpsertEdge { id, from, to } => {
                mark(&mut self.edges, id);
                mark(&mut self.endpoints, from);
                mark(&mut self.endpoints, to);
                self.edge_upsert = self.edge_upsert.max(Some(index));
            }
        }
        &mut self.segments[index]
    }
}

/// The last change of each property of an upsert: its value as JSON (`null` removes it) or a date-time.
fn final_changes(properties: &[PropertyChange]) -> (Map<String, Json>, BTreeMap<&str, &str>) {
    let mut last: BTreeMap<&str, &Change> = BTreeMap::new();
    for change in properties {
        last.insert(&change.name, &change.change);
    }
    let mut plain = Map::new();
    let mut datetimes = BTreeMap::new();
    for (name, change) in last {
        match change {
            Change::Set(value) | Change::Add(value) => match single(value) {
                Ok(Value::DateTime(text)) => {
                    datetimes.insert(name, text.as_str());
                }
                Ok(value) => {
                    plain.insert(name.to_owned(), json_value(value));
                }
                // `check` refused it before.
                Err(_) => {}
            },
            Change::Remove => {
                plain.insert(name.to_owned(), Json::Null);
            }
        }
    }
    (plain, datetimes)
}

fn json_value(value: &Value) -> Json {
    match value {
        Value::String(s) => Json::String(s.clone()),
        Value::Integer(i) => Json::from(*i),
        // Finite by construction (records refuse NaN and infinities).
        Value::Double(d) => serde_json::Number::from_f64(*d).map_or(Json::Null, Json::Number),
        Value::Boolean(b) => Json::Bool(*b),
        Value::Date(s) | Value::DateTime(s) => Json::String(s.clone()),
        Value::List(values) => Json::Array(values.iter().map(json_value).collect()),
    }
}

/// The query text and the `parameters` JSON writing `operations` in order; every operation is [`check`]ed first.
pub fn batch_query<O: Borrow<Operation>>(operations: &[O]) -> Result<(String, String), Unwritable> {
    let mut schedule = Schedule::default();
    for operation in operations.iter().map(Borrow::borrow) {
        check(operation)?;
        if let Operation::ChangeValues {
            element,
            id,
            changes,
        } = operation
        {
            for change in changes {
                let datetime = matches!(single(&change.value), Ok(Value::DateTime(_)));
                let value = single(&change.value).map_or(Json::Null, json_value);
                let (kind, datetimes, row) = match (change.add, datetime) {
                    (true, true) => (
                        Kind::AddValues { element: *element },
                        vec![change.name.as_str()],
                        serde_json::json!({"id": id, "p": {}, "d": [value]}),
                    ),
                    (true, false) => (
                        Kind::AddValues { element: *element },
                        vec![],
                        serde_json::json!({"id": id, "p": {change.name.as_str(): value}, "d": []}),
                    ),
                    (false, _) => (
                        Kind::RemoveValue {
                            element: *element,
                            name: &change.name,
                            datetime,
                        },
                        vec![],
                        serde_json::json!({"id": id, "v": value}),
                    ),
                };
                let touch = match element {
                    Element::Vertex => Touch::Vertex(id),
                    Element::Edge => Touch::Edge(id),
                };
                schedule.segment(kind, datetimes, touch).rows.push(row);
            }
            continue;
        }
        let (kind, id, properties) = match operation {
            Operation::UpsertVertex(v) => (
                Kind::UpsertVertex { label: &v.label },
                v.id.as_str(),
                Some(&v.properties),
            ),
            Operation::UpsertEdge(e) => (
                Kind::UpsertEdge {
                    label: &e.label,
                    from_label: &e.from_label,
                    to_label: &e.to_label,
                },
                e.id.as_str(),
                Some(&e.properties),
            ),
            Operation::DeleteVertex { id } => (Kind::DeleteVertex, id.as_str(), None),
            Operation::DeleteEdge { id } => (Kind::DeleteEdge, id.as_str(), None),
            Operation::ChangeValues { .. } => unreachable!("value changes are written above"),
        };
        let (plain, datetimes) = properties.map(|p| final_changes(p)).unwrap_or_default();
        let datetime_names: Vec<&str> = datetimes.keys().copied().collect();
        let touch = match operation {
            Operation::UpsertVertex(_) => Touch::Vertex(id),
            Operation::UpsertEdge(e) => Touch::UpsertEdge {
                id,
                from: &e.from,
                to: &e.to,
            },
            Operation::DeleteVertex { .. } => Touch::DeleteVertex(id),
            _ => Touch::Edge(id),
        };
        let segment = schedule.segment(kind, datetime_names, touch);
        let row = match operation {
            Operation::UpsertVertex(_) => serde_json::json!({
                "id": id, "p": plain, "d": datetimes.values().collect::<Vec<_>>()
            }),
            Operation::UpsertEdge(e) => {
                if segment.endpoints.insert(&e.from) {
                    segment.from_ids.push(&e.from);
                }
                if segment.endpoints.insert(&e.to) {
                    segment.to_ids.push(&e.to);
                }
                serde_json::json!({
                    "id": id, "from": e.from, "to": e.to, "p": plain,
                    "d": datetimes.values().collect::<Vec<_>>()
                })
            }
            Operation::DeleteVertex { .. } | Operation::DeleteEdge { .. } => Json::from(id),
            Operation::ChangeValues { .. } => unreachable!("value changes are written above"),
        };
        segment.rows.push(row);
    }

    let segments = schedule.segments;
    let mut query = String::with_capacity(256 * segments.len());
    let mut parameters = Map::new();
    for (i, segment) in segments.into_iter().enumerate() {
        if i > 0 {
            query.push_str(BARRIER);
        }
        let rows = format!("s{i}");
        match segment.kind {
            Kind::UpsertVertex { label } => {
                push_create_absent(&mut query, &rows, "r.id", label, "r");
                query.push_str(BARRIER);
                let _ = write!(
                    query,
                    "UNWIND ${rows} AS r MATCH (n {{`~id`: r.id}}) SET n += r.p"
                );
                push_datetimes(&mut query, "n", &segment.datetimes);
            }
            Kind::UpsertEdge {
                label,
                from_label,
                to_label,
            } => {
                let _ = write!(
                    query,
                    "UNWIND ${rows} AS r MATCH (p)-[o {{`~id`: r.id}}]->(q) \
                     WHERE type(o) <> ${rows}l OR p.`~id` <> r.from OR q.`~id` <> r.to \
                     SET o.edgeIdTaken = {{edgeIdTaken: r.id, by: type(o), from: p.`~id`, to: q.`~id`}}"
                );
                query.push_str(BARRIER);
                parameters.insert(format!("{rows}l"), Json::from(label));
                for (suffix, ids, endpoint_label) in [
                    ("f", segment.from_ids, from_label),
                    ("t", segment.to_ids, to_label),
                ] {
                    if ids.is_empty() {
                        continue;
                    }
                    let name = format!("{rows}{suffix}");
                    push_create_absent(&mut query, &name, "v", endpoint_label, "v");
                    query.push_str(BARRIER);
                    parameters.insert(name, Json::from(ids));
                }
                let _ = write!(
                    query,
                    "UNWIND ${rows} AS r MATCH (a {{`~id`: r.from}}), (z {{`~id`: r.to}}) \
                     MERGE (a)-[e:{} {{`~id`: r.id}}]->(z) SET e += r.p",
                    symbolic_name(label)
                );
                push_datetimes(&mut query, "e", &segment.datetimes);
            }
            Kind::DeleteVertex => {
                let _ = write!(
                    query,
                    "UNWIND ${rows} AS v MATCH (n {{`~id`: v}}) DETACH DELETE n"
                );
            }
            Kind::DeleteEdge => {
                let _ = write!(
                    query,
                    "UNWIND ${rows} AS v MATCH ()-[e {{`~id`: v}}]->() DELETE e"
                );
            }
            Kind::AddValues { element } => {
                let _ = write!(
                    query,
                    "UNWIND ${rows} AS r MATCH {} SET n += r.p",
                    element_pattern(element)
                );
                push_datetimes(&mut query, "n", &segment.datetimes);
            }
            Kind::RemoveValue {
                element,
                name,
                datetime,
            } => {
                let name = symbolic_name(name);
                let value = if datetime { "datetime(r.v)" } else { "r.v" };
                let _ = write!(
                    query,
                    "UNWIND ${rows} AS r MATCH {} WHERE n.{name} = {value} SET n.{name} = null",
                    element_pattern(element)
                );
            }
        }
        parameters.insert(rows, Json::Array(segment.rows));
    }
    // A JSON map of strings, numbers, booleans and nulls always serialises.
    let parameters = serde_json::to_string(&parameters).unwrap_or_default();
    Ok((query, parameters))
}

/// The pattern matching the element `n` whose `~id` is `r.id` (nothing when it is absent).
fn element_pattern(element: Element) -> &'static str {
    match element {
        Element::Vertex => "(n {`~id`: r.id})",
        Element::Edge => "()-[n {`~id`: r.id}]->()",
    }
}

/// `UNWIND $list AS var` creating `(:label {~id: id})` for each id no vertex has.
fn push_create_absent(query: &mut String, list: &str, id: &str, label: &str, var: &str) {
    let _ = write!(
        query,
        "UNWIND ${list} AS {var} OPTIONAL MATCH (x {{`~id`: {id}}}) WITH {var}, x WHERE x IS NULL \
         CREATE (:{} {{`~id`: {id}}})",
        symbolic_name(label)
    );
}

fn push_datetimes(query: &mut String, element: &str, names: &[&str]) {
    for (i, name) in names.iter().enumerate() {
        let _ = write!(
            query,
            " SET {element}.{} = datetime(r.d[{i}])",
            symbolic_name(name)
        );
    }
}

/// A label or property name as an escaped symbolic name: backquoted, a backquote doubled (openCypher 9).
pub fn symbolic_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 2);
    out.push('`');
    for c in name.chars() {
        if c == '`' {
            out.push('`');
        }
        out.push(c);
    }
    out.push('`');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use stream2neptune_graph::{EdgeUpsert, VertexUpsert};

    fn vertex(id: &str, label: &str, properties: Vec<PropertyChange>) -> Operation {
        Operation::UpsertVertex(VertexUpsert {
            id: id.into(),
            label: label.into(),
            properties,
        })
    }

    fn edge(id: &str, from: &str, to: &str, properties: Vec<PropertyChange>) -> Operation {
        Operation::UpsertEdge(EdgeUpsert {
            id: id.into(),
            label: "knows".into(),
            from: from.into(),
            to: to.into(),
            from_label: "person".into(),
            to_label: "person".into(),
            properties,
        })
    }

    #[test]
    fn exact_query_and_parameters_for_a_mixed_batch() {
        let operations = [
            vertex(
                "v1",
                "device",
                vec![
                    PropertyChange::set("name", Value::String("a".into())),
                    PropertyChange::set("seen", Value::DateTime("2024-05-01T10:11:12Z".into())),
                    PropertyChange {
                        name: "old".into(),
                        change: Change::Remove,
                    },
                ],
            ),
            vertex(
                "v2",
                "device",
                vec![PropertyChange::set(
                    "seen",
                    Value::DateTime("2024-05-02T10:11:12Z".into()),
                )],
            ),
            edge(
                "e1",
                "v1",
                "v3",
                vec![PropertyChange::set("w", Value::Double(0.5))],
            ),
            Operation::DeleteEdge { id: "e0".into() },
            Operation::DeleteVertex { id: "v9".into() },
        ];
        let (query, parameters) = batch_query(&operations).unwrap();
        assert_eq!(
            query,
            "UNWIND $s0 AS r OPTIONAL MATCH (x {`~id`: r.id}) WITH r, x WHERE x IS NULL CREATE (:`device` {`~id`: r.id}) \
             WITH count(*) AS b \
             UNWIND $s0 AS r MATCH (n {`~id`: r.id}) SET n += r.p SET n.`seen` = datetime(r.d[0]) \
             WITH count(*) AS b \
             UNWIND $s1 AS r MATCH (p)-[o {`~id`: r.id}]->(q) WHERE type(o) <> $s1l OR p.`~id` <> r.from OR q.`~id` <> r.to \
             SET o.edgeIdTaken = {edgeIdTaken: r.id, by: type(o), from: p.`~id`, to: q.`~id`} \
             WITH count(*) AS b \
             UNWIND $s1f AS v OPTIONAL MATCH (x {`~id`: v}) WITH v, x WHERE x IS NULL CREATE (:`person` {`~id`: v}) \
             WITH count(*) AS b \
             UNWIND $s1t AS v OPTIONAL MATCH (x {`~id`: v}) WITH v, x WHERE x IS NULL CREATE (:`person` {`~id`: v}) \
             WITH count(*) AS b \
             UNWIND $s1 AS r MATCH (a {`~id`: r.from}), (z {`~id`: r.to}) MERGE (a)-[e:`knows` {`~id`: r.id}]->(z) SET e += r.p \
             WITH count(*) AS b \
             UNWIND $s2 AS v MATCH ()-[e {`~id`: v}]->() DELETE e \
             WITH count(*) AS b \
             UNWIND $s3 AS v MATCH (n {`~id`: v}) DETACH DELETE n"
        );
        let parameters: Json = serde_json::from_str(&parameters).unwrap();
        assert_eq!(
            parameters,
            serde_json::json!({
                "s0": [
                    {"id": "v1", "p": {"name": "a", "old": null}, "d": ["2024-05-01T10:11:12Z"]},
                    {"id": "v2", "p": {}, "d": ["2024-05-02T10:11:12Z"]}
                ],
                "s1l": "knows",
                "s1f": ["v1"],
                "s1t": ["v3"],
                "s1": [{"id": "e1", "from": "v1", "to": "v3", "p": {"w": 0.5}, "d": []}],
                "s2": ["e0"],
                "s3": ["v9"]
            })
        );
    }

    #[test]
    fn value_changes_set_and_remove_where_the_element_holds_the_value() {
        use stream2neptune_graph::ValueChange;
        let operations = [
            Operation::ChangeValues {
                element: Element::Vertex,
                id: "v1".into(),
                changes: vec![
                    ValueChange::removed("n", Value::Integer(1)),
                    ValueChange::added("n", Value::Integer(2)),
                ],
            },
            Operation::ChangeValues {
                element: Element::Vertex,
                id: "v2".into(),
                changes: vec![ValueChange::added("n", Value::Integer(3))],
            },
            Operation::ChangeValues {
                element: Element::Edge,
                id: "e1".into(),
                changes: vec![
                    ValueChange::added("at", Value::DateTime("2024-05-01T10:11:12Z".into())),
                    ValueChange::removed("at", Value::DateTime("2024-05-01T10:11:12Z".into())),
                ],
            },
        ];
        let (query, parameters) = batch_query(&operations).unwrap();
        assert_eq!(
            query,
            "UNWIND $s0 AS r MATCH (n {`~id`: r.id}) WHERE n.`n` = r.v SET n.`n` = null \
             WITH count(*) AS b \
             UNWIND $s1 AS r MATCH (n {`~id`: r.id}) SET n += r.p \
             WITH count(*) AS b \
             UNWIND $s2 AS r MATCH ()-[n {`~id`: r.id}]->() SET n += r.p SET n.`at` = datetime(r.d[0]) \
             WITH count(*) AS b \
             UNWIND $s3 AS r MATCH ()-[n {`~id`: r.id}]->() WHERE n.`at` = datetime(r.v) SET n.`at` = null"
        );
        assert_eq!(
            serde_json::from_str::<Json>(&parameters).unwrap(),
            serde_json::json!({
                "s0": [{"id": "v1", "v": 1}],
                "s1": [{"id": "v1", "p": {"n": 2}, "d": []}, {"id": "v2", "p": {"n": 3}, "d": []}],
                "s2": [{"id": "e1", "p": {}, "d": ["2024-05-01T10:11:12Z"]}],
                "s3": [{"id": "e1", "v": "2024-05-01T10:11:12Z"}]
            })
        );
        let date = Operation::ChangeValues {
            element: Element::Vertex,
            id: "v".into(),
            changes: vec![ValueChange::added("d", Value::Date("2024-05-01".into()))],
        };
        assert_eq!(check(&date).unwrap_err().field, "property \"d\"");
    }

    #[test]
    fn a_repeated_id_a_new_kind_label_or_date_time_property_starts_a_segment() {
        let upsert = |id: &str, label: &str| vertex(id, label, vec![]);
        let segments = |operations: &[Operation]| {
            let (query, _) = batch_query(operations).unwrap();
            query.matches("SET n += r.p").count() + query.matches("DETACH DELETE").count()
        };
        assert_eq!(segments(&[upsert("a", "l"), upsert("b", "l")]), 1);
        assert_eq!(segments(&[upsert("a", "l"), upsert("a", "l")]), 2);
        assert_eq!(segments(&[upsert("a", "l"), upsert("b", "m")]), 2);
        assert_eq!(
            segments(&[
                upsert("a", "l"),
                Operation::DeleteVertex { id: "a".into() },
                upsert("a", "l")
            ]),
            3
        );
        let dated = vertex(
            "b",
            "l",
            vec![PropertyChange::set(
                "t",
                Value::DateTime("2024-01-01T00:00:01Z".into()),
            )],
        );
        assert_eq!(segments(&[upsert("a", "l"), dated]), 2);
    }

    /// The ids of each segment's rows, in query order.
    fn segment_ids(operations: &[Operation]) -> Vec<Vec<String>> {
        let (_, parameters) = batch_query(operations).unwrap();
        let parameters: Json = serde_json::from_str(&parameters).unwrap();
        (0..)
            .map_while(|i| parameters.get(format!("s{i}")).and_then(Json::as_array))
            .map(|rows| {
                rows.iter()
                    .map(|row| row.get("id").unwrap_or(row).as_str().unwrap().to_owned())
                    .collect()
            })
            .collect()
    }

    #[test]
    fn rows_join_the_first_segment_of_their_shape_after_every_row_they_must_follow() {
        let upsert = |id: &str| vertex(id, "l", vec![]);
        let delete = |id: &str| Operation::DeleteVertex { id: id.into() };
        let delete_edge = |id: &str| Operation::DeleteEdge { id: id.into() };
        let ids = |segments: &[&[&str]]| -> Vec<Vec<String>> {
            segments
                .iter()
                .map(|s| s.iter().map(|id| id.to_string()).collect())
                .collect()
        };
        let table: Vec<(Vec<Operation>, Vec<Vec<String>>)> = vec![
            // Independent rows of one shape share a segment whatever lies between them.
            (
                vec![upsert("a"), delete("x"), upsert("b"), delete("y")],
                ids(&[&["a", "b"], &["x", "y"]]),
            ),
            // A row follows the earlier rows on its element.
            (
                vec![upsert("a"), delete("a"), upsert("a"), upsert("b")],
                ids(&[&["a", "b"], &["a"], &["a"]]),
            ),
            // An edge upsert follows its endpoints' vertex rows, and a vertex row the upserts naming it.
            (
                vec![upsert("a"), edge("e1", "a", "b", vec![]), upsert("b")],
                ids(&[&["a"], &["e1"], &["b"]]),
            ),
            // Edge upserts sharing an endpoint share a segment.
            (
                vec![edge("e1", "a", "b", vec![]), edge("e2", "a", "c", vec![])],
                ids(&[&["e1", "e2"]]),
            ),
            // A vertex delete and edge upserts follow each other, whatever their ids.
            (
                vec![
                    edge("e1", "a", "b", vec![]),
                    delete("x"),
                    edge("e2", "c", "d", vec![]),
                ],
                ids(&[&["e1"], &["x"], &["e2"]]),
            ),
            // An edge delete commutes with a vertex delete, and follows the rows on its edge.
            (
                vec![
                    delete_edge("e0"),
                    delete("x"),
                    delete_edge("e3"),
                    edge("e4", "a", "b", vec![]),
                    delete_edge("e4"),
                ],
                ids(&[&["e0", "e3"], &["x"], &["e4"], &["e4"]]),
            ),
        ];
        for (operations, expected) in table {
            assert_eq!(segment_ids(&operations), expected, "{operations:?}");
        }
    }

    #[test]
    fn the_last_change_of_a_property_wins_and_a_list_of_one_is_its_value() {
        let operations = [vertex(
            "v",
            "l",
            vec![
                PropertyChange::set("x", Value::Integer(1)),
                PropertyChange {
                    name: "x".into(),
                    change: Change::Remove,
                },
                PropertyChange::set("y", Value::Integer(1)),
                PropertyChange::set("y", Value::List(vec![Value::Boolean(true)])),
            ],
        )];
        let (_, parameters) = batch_query(&operations).unwrap();
        assert_eq!(
            serde_json::from_str::<Json>(&parameters).unwrap(),
            serde_json::json!({"s0": [{"id": "v", "p": {"x": null, "y": true}, "d": []}]})
        );
    }

    #[test]
    fn an_endpoint_named_twice_in_a_segment_is_created_once_with_its_first_label() {
        let operations = [edge("e1", "a", "b", vec![]), edge("e2", "b", "a", vec![])];
        let (_, parameters) = batch_query(&operations).unwrap();
        let parameters: Json = serde_json::from_str(&parameters).unwrap();
        assert_eq!(parameters["s0f"], serde_json::json!(["a"]));
        assert_eq!(parameters["s0t"], serde_json::json!(["b"]));
    }

    #[test]
    fn what_neptune_cannot_store_is_refused_naming_the_field() {
        let table: Vec<(Operation, &str)> = vec![
            (
                vertex(
                    "v",
                    "l",
                    vec![PropertyChange::set("d", Value::Date("2024-05-01".into()))],
                ),
                "property \"d\": Neptune's openCypher has no date type",
            ),
            (
                vertex(
                    "v",
                    "l",
                    vec![PropertyChange::set(
                        "tags",
                        Value::List(vec![Value::Integer(1), Value::Integer(2)]),
                    )],
                ),
                "property \"tags\": Neptune's openCypher refuses a list",
            ),
            (
                vertex(
                    "v",
                    "l",
                    vec![PropertyChange {
                        name: "tags".into(),
                        change: Change::Add(Value::Integer(1)),
                    }],
                ),
                "property \"tags\": openCypher on Neptune cannot add a value",
            ),
            (vertex("v", "", vec![]), "label: a label cannot be empty"),
            (
                vertex(
                    "v",
                    "l",
                    vec![PropertyChange::set("~label", Value::Integer(1))],
                ),
                "property \"~label\": names starting with `~`",
            ),
        ];
        for (operation, expected) in table {
            let refused = batch_query(std::slice::from_ref(&operation)).unwrap_err();
            let text = refused.to_string();
            assert!(
                text.starts_with("openCypher cannot write upsertVertex of \"v\": ")
                    && text.contains(expected),
                "{text}"
            );
        }
    }

    #[test]
    fn labels_and_names_are_escaped_symbolic_names() {
        assert_eq!(symbolic_name("a`b"), "`a``b`");
        assert_eq!(
            symbolic_name("x) DETACH DELETE (y"),
            "`x) DETACH DELETE (y`"
        );
        let (query, _) = batch_query(&[vertex("v", "it`s) MATCH (n", vec![])]).unwrap();
        assert!(
            query.contains("CREATE (:`it``s) MATCH (n` {`~id`: r.id})"),
            "{query}"
        );
    }
}
