//! SPARQL 1.1 Update for a batch of graph operations ([`stream2neptune_graph::Operation`]): one update request of
//! operations separated by ` ;`, which Neptune applies in order in one transaction.
//!
//! The mapping (also in the README, "What is written"), under [`crate::sparql::BASE`], each id, label and
//! property name percent-encoded as in the `follows` scheme:
//! - vertex `V`: the IRI `vertex/{pct(V)}`, its label the class `label/{pct(LABEL)}` (`rdf:type`);
//! - edge `E`: an edge resource `edge/{pct(E)}` typed `label/{pct(LABEL)}`, with `ontology/from` and `ontology/to`
//!   naming its vertices. A resource, not RDF reification or RDF-star: Neptune serves plain triples in every
//!   engine (reification needs four triples and still a resource per edge; RDF-star is no Neptune Database
//!   feature), and a resource carries the edge's id and properties as any vertex does. No direct
//!   `<from> <label> <to>` triple is written: two edges of one label between the same vertices would share it, and
//!   deleting one would delete the other's;
//! - a property: the predicate `property/{pct(NAME)}` to a typed literal (string: a plain literal; integer
//!   `xsd:long`; double `xsd:double`; boolean `xsd:boolean`; date `xsd:date`; date-time `xsd:dateTime`), one
//!   triple per value, so a multi-valued vertex property is several triples.
//!
//! Per operation:
//! - upserts give the label (and an edge its endpoints) only where the element has no `rdf:type` yet
//!   (`INSERT { ... } WHERE { FILTER NOT EXISTS { <x> a ?t } }`); an edge upsert first creates absent endpoints
//!   with `from_label` / `to_label`; a value set on create is one more triple of that creation. Then each other
//!   property change in order: `set` deletes the property's triples (`DELETE WHERE`) and inserts the new ones, `add`
//!   inserts one, `remove` deletes them;
//! - an edge upsert cannot move or relabel an edge (the model's [`stream2neptune_graph::Refusal::EdgeIdTaken`]), and
//!   SPARQL Update has no statement that fails on a condition: so its endpoints are created only while the edge id is
//!   free or held by that edge (same label, from and to), and each of its property changes applies only when the edge
//!   resource is that edge (`... WHERE { <e> a <label> ; from <F> ; to <T> . }`). An upsert naming an edge id another
//!   edge holds changes nothing, in the same request; the record is not rejected (Gremlin and openCypher refuse it);
//! - value changes of an existing element (from change records): an added value is inserted where the element
//!   has an `rdf:type` (an edge's in place of the value it holds), a removed one deleted with `DELETE DATA`;
//! - a vertex delete deletes every triple of the edge resources that start or end at it, then its own;
//!   an edge delete deletes its resource's triples.
//!
//! Consecutive inserts of vertex properties share one `INSERT DATA`. Writing a batch twice leaves the same graph (RDF graphs are sets).

use std::borrow::Borrow;
use std::fmt::Write;

use stream2neptune_graph::{
    Change, Element, Operation, PropertyChange, Unwritable, Value, ValueChange,
};

use crate::record::{DateKind, parse_date};
use crate::sparql::{BASE, FROM, RDF_TYPE, TO, XSD, push_literal, push_pct, xsd_lexical};

/// The language as refusals name it.
pub const LANGUAGE: &str = "SPARQL";

/// IRI of the vertex `id`.
pub fn vertex_iri(id: &str) -> String {
    iri("vertex/", id)
}

/// IRI of the edge resource of the edge `id`.
pub fn edge_iri(id: &str) -> String {
    iri("edge/", id)
}

/// IRI of the class of elements labelled `label`.
pub fn label_iri(label: &str) -> String {
    iri("label/", label)
}

/// IRI of the predicate of the property `name`.
pub fn property_iri(name: &str) -> String {
    iri("property/", name)
}

fn iri(space: &str, part: &str) -> String {
    let mut iri = String::with_capacity(BASE.len() + space.len() + part.len());
    iri.push_str(BASE);
    iri.push_str(space);
    push_pct(&mut iri, part);
    iri
}

/// The update text of a batch, with its open `INSERT DATA`.
struct Update {
    text: String,
    insert_open: bool,
    started: bool,
}

impl Update {
    /// Starts an operation other than `INSERT DATA`.
    fn operation(&mut self) -> &mut String {
        if self.insert_open {
            self.text.push_str("} ;\n");
            self.insert_open = false;
        } else if self.started {
            self.text.push_str(" ;\n");
        }
        self.started = true;
        &mut self.text
    }

    /// Appends `<s> <p> ` to the open `INSERT DATA` (opening one), for the caller to write the object.
    fn insert(&mut self, s: &str, p: &str) -> &mut String {
        if !self.insert_open {
            if self.started {
                self.text.push_str(" ;\n");
            }
            self.text.push_str("INSERT DATA {\n");
            self.insert_open = true;
            self.started = true;
        }
        for part in ["<", s, "> <", p, "> "] {
            self.text.push_str(part);
        }
        &mut self.text
    }

    fn finish(mut self) -> String {
        if self.insert_open {
            self.text.push('}');
        }
        self.text
    }
}

/// Whether the language can write `operation`; the reason names the field and what to send instead.
pub fn check(operation: &Operation) -> Result<(), Unwritable> {
    let refuse = |field: String, reason: String| Unwritable {
        language: LANGUAGE,
        operation: operation.name(),
        element: operation.element_id().to_owned(),
        field,
        reason,
    };
    let (labels, properties, edge): (Vec<&str>, &[PropertyChange], bool) = match operation {
        Operation::UpsertVertex(v) => (vec![&v.label], &v.properties, false),
        Operation::UpsertEdge(e) => (
            vec![&e.label, &e.from_label, &e.to_label],
            &e.properties,
            true,
        ),
        Operation::DeleteVertex { .. } | Operation::DeleteEdge { .. } => return Ok(()),
        Operation::ChangeValues { changes, .. } => {
            for change in changes {
                if let Err(reason) = literal(&change.value) {
                    return Err(refuse(format!("property {:?}", change.name), reason));
                }
            }
            return Ok(());
        }
    };
    if labels.iter().any(|l| l.is_empty()) {
        return Err(refuse(
            "label".into(),
            "a label cannot be empty; give the element a label".into(),
        ));
    }
    for change in properties {
        let field = format!("property {:?}", change.name);
        let values: Vec<&Value> = match &change.change {
            Change::Remove => continue,
            Change::Add(_) if edge => {
                return Err(refuse(
                    field,
                    "an edge property holds one value; send `set`".into(),
                ));
            }
            Change::Set(Value::List(values)) if edge && values.len() != 1 => {
                return Err(refuse(
                    field,
                    "an edge property holds one value; send one value, not a list".into(),
                ));
            }
            Change::Set(Value::List(values)) if values.is_empty() => {
                return Err(refuse(
                    field,
                    "an empty list stores nothing; send null to remove the property".into(),
                ));
            }
            Change::Set(Value::List(values)) => values.iter().collect(),
            Change::SetOnCreate(Value::List(_)) => {
                return Err(refuse(
                    field,
                    "a value set on create is one value; send one value, not a list".into(),
                ));
            }
            Change::Set(value) | Change::Add(value) | Change::SetOnCreate(value) => vec![value],
        };
        for value in values {
            if let Err(reason) = literal(value) {
                return Err(refuse(field, reason));
            }
        }
    }
    Ok(())
}

/// The typed literal of `value`, or why it cannot be one.
fn literal(value: &Value) -> Result<String, String> {
    let mut out = String::new();
    match value {
        Value::String(s) => push_literal(&mut out, s),
        Value::Integer(i) => {
            let _ = write!(out, "\"{i}\"^^<{XSD}long>");
        }
        Value::Double(x) => {
            let _ = write!(out, "\"{x:e}\"^^<{XSD}double>");
        }
        Value::Boolean(b) => {
            let _ = write!(out, "\"{b}\"^^<{XSD}boolean>");
        }
        Value::Date(text) | Value::DateTime(text) => {
            let want = if matches!(value, Value::Date(_)) {
                DateKind::Date
            } else {
                DateKind::DateTime
            };
            let parsed = parse_date(text)
                .ok()
                .filter(|d| d.kind == want)
                .ok_or_else(|| {
                    format!(
                        "{value} is not an ISO-8601 {} (YYYY-MM-DD{})",
                        if want == DateKind::Date {
                            "date"
                        } else {
                            "date-time"
                        },
                        if want == DateKind::Date {
                            ""
                        } else {
                            "THH:MM[:SS[.fff]][Z|±HH:MM]"
                        }
                    )
                })?;
            let (lexical, datatype) = xsd_lexical(&parsed.text, parsed.kind);
            push_literal(&mut out, &lexical);
            for part in ["^^<", XSD, datatype, ">"] {
                out.push_str(part);
            }
        }
        Value::List(_) => return Err("a list cannot hold lists; send plain values".into()),
    }
    Ok(out)
}

/// The edge resource `s` as an edge upsert names it: `<s> a <label> ; <from> <F> ; <to> <T>`.
struct EdgeShape<'a> {
    s: &'a str,
    label: &'a str,
    from: &'a str,
    to: &'a str,
}

impl EdgeShape<'_> {
    /// The triple pattern matching the edge resource when it is this edge.
    fn push_pattern(&self, text: &mut String) {
        for part in [
            "<", self.s, "> <", RDF_TYPE, "> <", self.label, "> ; <", FROM, "> <", self.from,
            "> ; <", TO, "> <", self.to, "> . ",
        ] {
            text.push_str(part);
        }
    }
}

/// `INSERT { <s> a <label> [; more] } WHERE { FILTER NOT EXISTS { <s> a ?t } }`: the element's creation, with its
/// values set on create (`on_create`: predicate and literal pairs); with `edge`, only while the edge's id is free or
/// held by that edge.
fn create_absent(
    u: &mut Update,
    s: &str,
    label: &str,
    endpoints: Option<(&str, &str)>,
    edge: Option<&EdgeShape>,
    on_create: &[(String, String)],
) {
    let text = u.operation();
    for part in ["INSERT { <", s, "> <", RDF_TYPE, "> <", label, ">"] {
        text.push_str(part);
    }
    if let Some((from, to)) = endpoints {
        for part in [" ; <", FROM, "> <", from, "> ; <", TO, "> <", to, ">"] {
            text.push_str(part);
        }
    }
    for (p, literal) in on_create {
        for part in [" ; <", p, "> ", literal] {
            text.push_str(part);
        }
    }
    for part in [
        " } WHERE { FILTER NOT EXISTS { <",
        s,
        "> <",
        RDF_TYPE,
        "> ?t }",
    ] {
        text.push_str(part);
    }
    if let Some(edge) = edge {
        for part in [
            " FILTER (NOT EXISTS { <",
            edge.s,
            "> <",
            RDF_TYPE,
            "> ?u } || EXISTS { ",
        ] {
            text.push_str(part);
        }
        edge.push_pattern(text);
        text.push_str("})");
    }
    text.push_str(" }");
}

/// The predicate and literal of each value set on create in `properties` ([`check`]ed: each is one literal).
fn on_create(properties: &[PropertyChange]) -> Vec<(String, String)> {
    properties
        .iter()
        .filter_map(|change| match &change.change {
            Change::SetOnCreate(value) => Some((
                property_iri(&change.name),
                literal(value).unwrap_or_default(),
            )),
            Change::Set(_) | Change::Add(_) | Change::Remove => None,
        })
        .collect()
}

/// Deletes the property `p` of `s`; with `edge`, only when `s` is that edge.
fn delete_property(u: &mut Update, s: &str, p: &str, edge: Option<&EdgeShape>) {
    let text = u.operation();
    let Some(edge) = edge else {
        for part in ["DELETE WHERE { <", s, "> <", p, "> ?o }"] {
            text.push_str(part);
        }
        return;
    };
    for part in ["DELETE { <", s, "> <", p, "> ?o } WHERE { "] {
        text.push_str(part);
    }
    edge.push_pattern(text);
    for part in ["<", s, "> <", p, "> ?o }"] {
        text.push_str(part);
    }
}

/// The property changes of `s` in order; with `edge`, each only when `s` is that edge (an edge upsert naming an
/// edge id another edge holds changes nothing).
fn changes(
    u: &mut Update,
    s: &str,
    properties: &[PropertyChange],
    edge: Option<&EdgeShape>,
) -> Result<(), String> {
    for change in properties {
        let p = property_iri(&change.name);
        let values: Vec<&Value> = match &change.change {
            // Written by the element's creation (`create_absent`).
            Change::SetOnCreate(_) => continue,
            Change::Remove => {
                delete_property(u, s, &p, edge);
                continue;
            }
            Change::Set(value) => {
                delete_property(u, s, &p, edge);
                match value {
                    Value::List(values) => values.iter().collect(),
                    value => vec![value],
                }
            }
            Change::Add(value) => vec![value],
        };
        for value in values {
            let literal = literal(value)?;
            let text = match edge {
                None => u.insert(s, &p),
                Some(edge) => {
                    let text = u.operation();
                    for part in ["INSERT { <", s, "> <", &p, "> ", &literal, " } WHERE { "] {
                        text.push_str(part);
                    }
                    edge.push_pattern(text);
                    text.push('}');
                    continue;
                }
            };
            text.push_str(&literal);
            text.push_str(" .\n");
        }
    }
    Ok(())
}

// Each change of an element that exists (has an `rdf:type`): an added value is inserted (on an edge, in place of
// the value it holds); a removed one is deleted (`DELETE DATA` of an absent triple changes nothing).
fn value_changes(
    u: &mut Update,
    element: Element,
    id: &str,
    changes: &[ValueChange],
) -> Result<(), String> {
    let s = match element {
        Element::Vertex => vertex_iri(id),
        Element::Edge => edge_iri(id),
    };
    for change in changes {
        let (p, literal) = (property_iri(&change.name), literal(&change.value)?);
        let text = u.operation();
        let parts: &[&str] = match (change.add, element) {
            (false, _) => &["DELETE DATA { <", &s, "> <", &p, "> ", &literal, " }"],
            (true, Element::Vertex) => &[
                "INSERT { <",
                &s,
                "> <",
                &p,
                "> ",
                &literal,
                " } WHERE { <",
                &s,
                "> a ?t }",
            ],
            (true, Element::Edge) => &[
                "DELETE { <",
                &s,
                "> <",
                &p,
                "> ?o } INSERT { <",
                &s,
                "> <",
                &p,
                "> ",
                &literal,
                " } WHERE { <",
                &s,
                "> a ?t OPTIONAL { <",
                &s,
                "> <",
                &p,
                "> ?o } }",
            ],
        };
        for part in parts {
            text.push_str(part);
        }
    }
    Ok(())
}

/// One SPARQL Update writing `operations` in order, as one request (one transaction); every operation is
/// [`check`]ed first.
pub fn batch_update<O: Borrow<Operation>>(operations: &[O]) -> Result<String, Unwritable> {
    let mut u = Update {
        text: String::with_capacity(512 * operations.len()),
        insert_open: false,
        started: false,
    };
    for operation in operations.iter().map(Borrow::borrow) {
        check(operation)?;
        // `check` validated every literal, so `changes` cannot fail here.
        let _ = match operation {
            Operation::UpsertVertex(v) => {
                let s = vertex_iri(&v.id);
                let created = on_create(&v.properties);
                create_absent(&mut u, &s, &label_iri(&v.label), None, None, &created);
                changes(&mut u, &s, &v.properties, None)
            }
            Operation::UpsertEdge(e) => {
                let (from, to) = (vertex_iri(&e.from), vertex_iri(&e.to));
                let (s, label) = (edge_iri(&e.id), label_iri(&e.label));
                let edge = EdgeShape {
                    s: &s,
                    label: &label,
                    from: &from,
                    to: &to,
                };
                create_absent(
                    &mut u,
                    &from,
                    &label_iri(&e.from_label),
                    None,
                    Some(&edge),
                    &[],
                );
                create_absent(&mut u, &to, &label_iri(&e.to_label), None, Some(&edge), &[]);
                let created = on_create(&e.properties);
                create_absent(&mut u, &s, &label, Some((&from, &to)), None, &created);
                changes(&mut u, &s, &e.properties, Some(&edge))
            }
            Operation::DeleteVertex { id } => {
                let v = vertex_iri(id);
                for end in [FROM, TO] {
                    let text = u.operation();
                    for part in [
                        "DELETE { ?e ?p ?o } WHERE { ?e <",
                        end,
                        "> <",
                        &v,
                        "> . ?e ?p ?o }",
                    ] {
                        text.push_str(part);
                    }
                }
                let text = u.operation();
                for part in ["DELETE WHERE { <", &v, "> ?p ?o }"] {
                    text.push_str(part);
                }
                Ok(())
            }
            Operation::DeleteEdge { id } => {
                let text = u.operation();
                for part in ["DELETE WHERE { <", &edge_iri(id), "> ?p ?o }"] {
                    text.push_str(part);
                }
                Ok(())
            }
            Operation::ChangeValues {
                element,
                id,
                changes,
            } => value_changes(&mut u, *element, id, changes),
        };
    }
    Ok(u.finish())
}

#[cfg(test)]
mod tests {
    use super::*;
    use stream2neptune_graph::{EdgeUpsert, VertexUpsert};

    fn change(name: &str, change: Change) -> PropertyChange {
        PropertyChange {
            name: name.into(),
            change,
        }
    }

    #[test]
    fn value_changes_touch_existing_elements_only() {
        let operations = [
            Operation::ChangeValues {
                element: Element::Vertex,
                id: "v".into(),
                changes: vec![
                    ValueChange::removed("n", Value::Integer(1)),
                    ValueChange::added("n", Value::Integer(2)),
                ],
            },
            Operation::ChangeValues {
                element: Element::Edge,
                id: "e".into(),
                changes: vec![ValueChange::added("w", Value::String("x".into()))],
            },
        ];
        let b = BASE;
        assert_eq!(
            batch_update(&operations).unwrap(),
            format!(
                "DELETE DATA {{ <{b}vertex/v> <{b}property/n> \"1\"^^<{XSD}long> }} ;
INSERT {{ <{b}vertex/v> <{b}property/n> \"2\"^^<{XSD}long> }} WHERE {{ <{b}vertex/v> a ?t }} ;
DELETE {{ <{b}edge/e> <{b}property/w> ?o }} INSERT {{ <{b}edge/e> <{b}property/w> \"x\" }} WHERE {{ <{b}edge/e> a ?t OPTIONAL {{ <{b}edge/e> <{b}property/w> ?o }} }}"
            )
        );
    }

    #[test]
    fn a_value_set_on_create_is_a_triple_of_the_elements_creation() {
        let operations = [
            Operation::UpsertVertex(VertexUpsert {
                id: "v".into(),
                label: "device".into(),
                properties: vec![change("first", Change::SetOnCreate(Value::Integer(1)))],
            }),
            Operation::UpsertEdge(EdgeUpsert {
                id: "e".into(),
                label: "reads".into(),
                from: "v".into(),
                to: "s".into(),
                from_label: "device".into(),
                to_label: "sensor".into(),
                properties: vec![change(
                    "first",
                    Change::SetOnCreate(Value::String("x".into())),
                )],
            }),
        ];
        let b = BASE;
        let update = batch_update(&operations).unwrap();
        assert!(
            update.starts_with(&format!(
                "INSERT {{ <{b}vertex/v> <{RDF_TYPE}> <{b}label/device> ; <{b}property/first> \"1\"^^<{XSD}long> }} \
                 WHERE {{ FILTER NOT EXISTS {{ <{b}vertex/v> <{RDF_TYPE}> ?t }} }} ;"
            )),
            "{update}"
        );
        assert!(
            update.ends_with(&format!(
                "INSERT {{ <{b}edge/e> <{RDF_TYPE}> <{b}label/reads> ; <{FROM}> <{b}vertex/v> ; <{TO}> <{b}vertex/s> \
                 ; <{b}property/first> \"x\" }} WHERE {{ FILTER NOT EXISTS {{ <{b}edge/e> <{RDF_TYPE}> ?t }} }}"
            )),
            "{update}"
        );
        assert_eq!(update.matches("property/first").count(), 2, "{update}");
        let mut list = operations[0].clone();
        if let Operation::UpsertVertex(v) = &mut list {
            v.properties = vec![change("first", Change::SetOnCreate(Value::List(vec![])))];
        }
        assert!(check(&list).unwrap_err().reason.contains("one value"));
    }

    #[test]
    fn exact_update_for_a_mixed_batch() {
        let operations = [
            Operation::UpsertVertex(VertexUpsert {
                id: "v 1".into(),
                label: "device".into(),
                properties: vec![
                    change(
                        "tags",
                        Change::Set(Value::List(vec![
                            Value::String("a".into()),
                            Value::Integer(2),
                        ])),
                    ),
                    change("tags", Change::Add(Value::Boolean(true))),
                    change("on", Change::Set(Value::Date("2024-05-01".into()))),
                ],
            }),
            Operation::UpsertEdge(EdgeUpsert {
                id: "e1".into(),
                label: "reads".into(),
                from: "v 1".into(),
                to: "s".into(),
                from_label: "device".into(),
                to_label: "sensor".into(),
                properties: vec![
                    change("w", Change::Set(Value::Double(0.5))),
                    change("x", Change::Remove),
                ],
            }),
            Operation::DeleteEdge { id: "e0".into() },
            Operation::DeleteVertex { id: "v9".into() },
        ];
        let b = BASE;
        // The edge resource when it is the upsert's edge: its changes apply only then.
        let e1 = format!(
            "<{b}edge/e1> <{RDF_TYPE}> <{b}label/reads> ; <{FROM}> <{b}vertex/v%201> ; <{TO}> <{b}vertex/s> . "
        );
        let expected = format!(
            "INSERT {{ <{b}vertex/v%201> <{RDF_TYPE}> <{b}label/device> }} WHERE {{ FILTER NOT EXISTS {{ <{b}vertex/v%201> <{RDF_TYPE}> ?t }} }} ;
DELETE WHERE {{ <{b}vertex/v%201> <{b}property/tags> ?o }} ;
INSERT DATA {{
<{b}vertex/v%201> <{b}property/tags> \"a\" .
<{b}vertex/v%201> <{b}property/tags> \"2\"^^<{XSD}long> .
<{b}vertex/v%201> <{b}property/tags> \"true\"^^<{XSD}boolean> .
}} ;
DELETE WHERE {{ <{b}vertex/v%201> <{b}property/on> ?o }} ;
INSERT DATA {{
<{b}vertex/v%201> <{b}property/on> \"2024-05-01\"^^<{XSD}date> .
}} ;
INSERT {{ <{b}vertex/v%201> <{RDF_TYPE}> <{b}label/device> }} WHERE {{ FILTER NOT EXISTS {{ <{b}vertex/v%201> <{RDF_TYPE}> ?t }} FILTER (NOT EXISTS {{ <{b}edge/e1> <{RDF_TYPE}> ?u }} || EXISTS {{ {e1}}}) }} ;
INSERT {{ <{b}vertex/s> <{RDF_TYPE}> <{b}label/sensor> }} WHERE {{ FILTER NOT EXISTS {{ <{b}vertex/s> <{RDF_TYPE}> ?t }} FILTER (NOT EXISTS {{ <{b}edge/e1> <{RDF_TYPE}> ?u }} || EXISTS {{ {e1}}}) }} ;
INSERT {{ <{b}edge/e1> <{RDF_TYPE}> <{b}label/reads> ; <{FROM}> <{b}vertex/v%201> ; <{TO}> <{b}vertex/s> }} WHERE {{ FILTER NOT EXISTS {{ <{b}edge/e1> <{RDF_TYPE}> ?t }} }} ;
DELETE {{ <{b}edge/e1> <{b}property/w> ?o }} WHERE {{ {e1}<{b}edge/e1> <{b}property/w> ?o }} ;
INSERT {{ <{b}edge/e1> <{b}property/w> \"5e-1\"^^<{XSD}double> }} WHERE {{ {e1}}} ;
DELETE {{ <{b}edge/e1> <{b}property/x> ?o }} WHERE {{ {e1}<{b}edge/e1> <{b}property/x> ?o }} ;
DELETE WHERE {{ <{b}edge/e0> ?p ?o }} ;
DELETE {{ ?e ?p ?o }} WHERE {{ ?e <{FROM}> <{b}vertex/v9> . ?e ?p ?o }} ;
DELETE {{ ?e ?p ?o }} WHERE {{ ?e <{TO}> <{b}vertex/v9> . ?e ?p ?o }} ;
DELETE WHERE {{ <{b}vertex/v9> ?p ?o }}"
        );
        assert_eq!(batch_update(&operations).unwrap(), expected);
        assert_eq!(batch_update::<Operation>(&[]).unwrap(), "");
    }

    #[test]
    fn what_the_mapping_cannot_carry_is_refused_naming_the_field() {
        let vertex = |change: PropertyChange| {
            Operation::UpsertVertex(VertexUpsert {
                id: "v".into(),
                label: "l".into(),
                properties: vec![change],
            })
        };
        let edge = |change: PropertyChange| {
            Operation::UpsertEdge(EdgeUpsert {
                id: "e".into(),
                label: "l".into(),
                from: "a".into(),
                to: "b".into(),
                from_label: "l".into(),
                to_label: "".into(),
                properties: vec![change],
            })
        };
        let table: Vec<(Operation, &str)> = vec![
            (
                vertex(change("d", Change::Set(Value::Date("2024-13-01".into())))),
                "property \"d\": date 2024-13-01 is not an ISO-8601 date",
            ),
            (
                vertex(change(
                    "t",
                    Change::Set(Value::DateTime("2024-05-01".into())),
                )),
                "property \"t\": datetime 2024-05-01 is not an ISO-8601 date-time",
            ),
            (
                vertex(change("t", Change::Set(Value::List(vec![])))),
                "property \"t\": an empty list stores nothing",
            ),
            (
                edge(change("w", Change::Remove)),
                "label: a label cannot be empty",
            ),
        ];
        for (operation, expected) in table {
            let text = batch_update(std::slice::from_ref(&operation))
                .unwrap_err()
                .to_string();
            assert!(
                text.starts_with("SPARQL cannot write ") && text.contains(expected),
                "{text}"
            );
        }
        let mut edge_add = edge(change("w", Change::Add(Value::Integer(1))));
        if let Operation::UpsertEdge(e) = &mut edge_add {
            e.to_label = "l".into();
        }
        assert!(
            batch_update(&[edge_add])
                .unwrap_err()
                .to_string()
                .contains("an edge property holds one value")
        );
    }

    #[test]
    fn hostile_ids_labels_and_names_become_plain_iris() {
        for raw in [
            "a>b",
            "x> } ; DROP ALL ; INSERT DATA { <y",
            "ü 🚀",
            "a/b#c?",
        ] {
            for iri in [
                vertex_iri(raw),
                edge_iri(raw),
                label_iri(raw),
                property_iri(raw),
            ] {
                assert!(
                    iri.chars()
                        .all(|c| c.is_ascii_graphic() && !"<>\"{}|\\^`".contains(c)),
                    "{iri}"
                );
            }
        }
        assert_ne!(vertex_iri("a"), edge_iri("a"));
    }
}
