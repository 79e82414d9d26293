//! PG_JSON changes as graph operations, in order: consecutive changes of one element fold into one operation
//! (the mapping is in the [`super`] module docs).

use super::error::ChangeError;
use super::read::{Change, Data, PgData, PgType};
use crate::document::DEFAULT_VERTEX_LABEL;
use crate::operation::{
    Change as PropertyEffect, EdgeUpsert, Element, Operation, PropertyChange, Value, ValueChange,
    VertexUpsert,
};

/// The operation being folded from consecutive changes of one element.
enum Group {
    /// A vertex created here (`vl` ADD) and the values its `vp` ADDs give it.
    Vertex(VertexUpsert),
    /// An edge created here (`e` ADD) and the values its `ep` ADDs give it.
    Edge(EdgeUpsert),
    /// Value changes of an element not created in this run of changes.
    Values {
        element: Element,
        id: String,
        changes: Vec<ValueChange>,
    },
}

impl Group {
    fn is_about(&self, element: Element, id: &str) -> bool {
        match self {
            Group::Vertex(v) => element == Element::Vertex && v.id == id,
            Group::Edge(e) => element == Element::Edge && e.id == id,
            Group::Values {
                element: e, id: i, ..
            } => *e == element && i == id,
        }
    }

    fn into_operation(self) -> Operation {
        match self {
            Group::Vertex(v) => Operation::UpsertVertex(v),
            Group::Edge(e) => Operation::UpsertEdge(e),
            Group::Values {
                element,
                id,
                changes,
            } => Operation::ChangeValues {
                element,
                id,
                changes,
            },
        }
    }
}

/// The operations of PG_JSON changes, in order.
pub fn operations(changes: Vec<Change>) -> Result<Vec<Operation>, ChangeError> {
    let mut out = Vec::with_capacity(changes.len());
    let mut group: Option<Group> = None;
    for change in changes {
        let Data::Pg(data) = change.data else {
            return Err(ChangeError::Invalid {
                change: change.at,
                field: "data",
                value: "an NQUADS change (stmt)".into(),
                allowed: "changes of one format in a record: PG_JSON (id, type, key, value) here"
                    .into(),
            });
        };
        let PgData {
            id,
            kind,
            key,
            value,
            ends,
        } = data;
        let element = match kind {
            PgType::VertexLabel | PgType::VertexProperty => Element::Vertex,
            PgType::Edge | PgType::EdgeProperty => Element::Edge,
        };
        let same = group.as_ref().is_some_and(|g| g.is_about(element, &id));
        match (kind, change.add) {
            (PgType::VertexLabel, true) => {
                let label = label(value);
                if let Some(Group::Vertex(v)) = &group
                    && same
                {
                    if v.label == label {
                        continue;
                    }
                    return Err(ChangeError::Invalid {
                        change: change.at,
                        field: "data.value.value",
                        value: format!("{label:?}"),
                        allowed: format!(
                            "one label per vertex: vertex {id:?} has label {:?} in this record, and the writer's graph holds one label per vertex (a multi-label vertex cannot be replayed)",
                            v.label
                        ),
                    });
                }
                flush(&mut out, &mut group);
                group = Some(Group::Vertex(VertexUpsert {
                    id,
                    label,
                    properties: Vec::new(),
                }));
            }
            (PgType::Edge, true) => {
                flush(&mut out, &mut group);
                let (from, to) = ends.expect("read requires an edge ADD's ends");
                group = Some(Group::Edge(EdgeUpsert {
                    id,
                    label: label(value),
                    from,
                    to,
                    from_label: DEFAULT_VERTEX_LABEL.into(),
                    to_label: DEFAULT_VERTEX_LABEL.into(),
                    properties: Vec::new(),
                }));
            }
            (PgType::VertexLabel, false) | (PgType::Edge, false) => {
                // The delete takes the element's values with it: changes of it just before are moot.
                if same {
                    group = None;
                }
                flush(&mut out, &mut group);
                out.push(if element == Element::Vertex {
                    Operation::DeleteVertex { id }
                } else {
                    Operation::DeleteEdge { id }
                });
            }
            (PgType::VertexProperty | PgType::EdgeProperty, add) => {
                match &mut group {
                    // A vertex created here holds exactly the values its changes give it.
                    Some(Group::Vertex(v)) if same && add => {
                        match v.properties.iter_mut().find(|p| p.name == key) {
                            Some(PropertyChange {
                                change: PropertyEffect::Set(Value::List(values)),
                                ..
                            }) => values.push(value),
                            Some(PropertyChange {
                                change: PropertyEffect::Set(first),
                                ..
                            }) => *first = Value::List(vec![first.clone(), value]),
                            _ => v.properties.push(PropertyChange::set(&key, value)),
                        }
                    }
                    Some(Group::Edge(e)) if same && add => {
                        e.properties.push(PropertyChange::set(&key, value))
                    }
                    Some(Group::Values { changes, .. }) if same => changes.push(ValueChange {
                        name: key,
                        add,
                        value,
                    }),
                    _ => {
                        flush(&mut out, &mut group);
                        group = Some(Group::Values {
                            element,
                            id,
                            changes: vec![ValueChange {
                                name: key,
                                add,
                                value,
                            }],
                        });
                    }
                }
            }
        }
    }
    flush(&mut out, &mut group);
    Ok(out)
}

fn flush(out: &mut Vec<Operation>, group: &mut Option<Group>) {
    if let Some(group) = group.take() {
        out.push(group.into_operation());
    }
}

/// A label's text.
fn label(value: Value) -> String {
    match value {
        Value::String(label) => label,
        other => unreachable!("read checks that a label is a String, not {other}"),
    }
}
