//! The graph-operation document: a record body that is one JSON operation object or a JSON array of them, applied
//! in order. [`decode`] reads it into [`Operation`]s, [`encode`] writes operations back (the workload generator's
//! records); `schemas/graph-operations.schema.json` beside this crate's Cargo.toml describes the same document for
//! producers.
//!
//! ```json
//! {"op": "upsertVertex", "id": "d1", "label": "device",
//!  "properties": {"name": "x", "tags": ["a", "b"], "seen": {"date": "2024-01-02"},
//!                 "at": {"dateTime": "2024-01-02T03:04:05Z"}, "visits": {"add": 3}, "old": null}}
//! {"op": "upsertEdge", "label": "owns", "from": "c1", "to": "d1", "fromLabel": "customer", "toLabel": "device",
//!  "key": "2024", "properties": {"since": {"date": "2024-01-02"}}}
//! {"op": "deleteVertex", "id": "d1"}
//! {"op": "deleteEdge", "id": "e1"}
//! {"op": "deleteEdge", "from": "c1", "label": "owns", "to": "d1", "key": "2024"}
//! ```
//!
//! - `upsertVertex`: `id`, `label` (used when the vertex is created), optional `properties`.
//! - `upsertEdge`: `label`, `from`, `to`; optional `fromLabel`/`toLabel` (labels of endpoints it creates, default
//!   `vertex`, TinkerPop's and Neptune's default label), optional `properties`; the edge id is `id` when given, else
//!   [`derived_edge_id`] of from, label, to and the optional `key` (so a re-sent edge is the same edge). `id` and
//!   `key` exclude each other.
//! - `deleteVertex`: `id` (its edges go with it). `deleteEdge`: `id`, or `from`, `label`, `to` and optional `key`.
//! - A property value is a string, a number, a boolean, `{"date": "YYYY-MM-DD"}`, `{"dateTime": "<ISO-8601>"}`
//!   (the forms of [`crate::date`]), a list of those (a vertex property's set of values, replacing every value; not
//!   empty, no nested lists), `{"add": value}` (one more value of a vertex property), `{"onCreate": value}` (one
//!   value set only when the upsert creates the element: an existing element keeps its own) or `null` (remove the
//!   property). A whole number is an integer that must fit 64 bits (Neptune's Long); any other number is a finite
//!   double. Edge properties hold one value: lists and `add` are refused there.
//! - Ids, labels and property names are non-empty strings; labels and property names do not start with `~`
//!   (reserved by Neptune and TinkerPop: `~id`, `~label`, `~from`, `~to`), labels do not contain `::` (Neptune's
//!   multi-label separator), ids do not start with `neptune_reserved` (Neptune refuses them).
//! - Every member is named once; an unknown member is refused. Operations are numbered from 0 in errors.

use serde_json::value::RawValue;

use crate::date::date_kind;
use crate::json::{Members, excerpt, is_integer_text, string};
use crate::operation::{
    Change, EdgeUpsert, Operation, PropertyChange, Value, VertexUpsert, derived_edge_id,
};

/// The label of an endpoint vertex an edge upsert creates when the record names none.
pub const DEFAULT_VERTEX_LABEL: &str = "vertex";

/// Why a graph-operation document is refused. Each names the operation (its index from 0), the field, the value
/// (cut to 64 characters) and what is allowed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DocumentError {
    /// The body is not JSON.
    #[error(
        "the record is not JSON ({message}); a graph-operation record is one JSON object or an array of them"
    )]
    NotJson {
        /// The parser's message.
        message: String,
    },
    /// The body is JSON but neither an object nor an array of objects (or an empty array).
    #[error(
        "the record is {value}; a graph-operation record is one JSON object or a non-empty array of them"
    )]
    NotOperations {
        /// The value (cut).
        value: String,
    },
    /// A member an operation needs is absent.
    #[error("operation {index} ({op}): member `{field}` is missing; {allowed}")]
    Missing {
        /// The operation's index.
        index: usize,
        /// The operation's name (`op`), or `?` when that is what is missing.
        op: String,
        /// The missing member.
        field: String,
        /// What the operation needs.
        allowed: String,
    },
    /// A member or property is named twice.
    #[error("operation {index}: `{field}` is given twice; name each member and property once")]
    Repeated {
        /// The operation's index.
        index: usize,
        /// The repeated member (`properties.<name>` for a property).
        field: String,
    },
    /// A member has a value that is not allowed there.
    #[error("operation {index} ({op}): `{field}` = {value} is not allowed; {allowed}")]
    Invalid {
        /// The operation's index.
        index: usize,
        /// The operation's name.
        op: String,
        /// The member (`properties.<name>` for a property).
        field: String,
        /// The value as written (cut).
        value: String,
        /// What is allowed instead.
        allowed: String,
    },
}

/// Decodes a graph-operation document into its operations, in order.
pub fn decode(body: &str) -> Result<Vec<Operation>, DocumentError> {
    let not_json = |e: serde_json::Error| DocumentError::NotJson {
        message: e.to_string(),
    };
    let text = body.trim_matches([' ', '\t', '\n', '\r']);
    match text.as_bytes().first() {
        Some(b'{') => Ok(vec![decode_operation(0, text, true)?]),
        Some(b'[') => {
            let items: Vec<&RawValue> = serde_json::from_str(text).map_err(not_json)?;
            if items.is_empty() {
                return Err(DocumentError::NotOperations {
                    value: "an empty array".into(),
                });
            }
            items
                .iter()
                .enumerate()
                .map(|(index, item)| decode_operation(index, item.get(), false))
                .collect()
        }
        _ => {
            let value: &RawValue = serde_json::from_str(text).map_err(not_json)?;
            Err(DocumentError::NotOperations {
                value: excerpt(value.get()),
            })
        }
    }
}

/// The members of one operation object, read once.
struct Fields<'a> {
    index: usize,
    op: &'a str,
    members: &'a [(String, &'a RawValue)],
}

impl<'a> Fields<'a> {
    fn invalid(&self, field: &str, value: &str, allowed: impl Into<String>) -> DocumentError {
        DocumentError::Invalid {
            index: self.index,
            op: self.op.to_owned(),
            field: field.to_owned(),
            value: excerpt(value),
            allowed: allowed.into(),
        }
    }

    /// [`Fields::invalid`] for the property `name` (field `properties.<name>`).
    fn invalid_property(
        &self,
        name: &str,
        value: &str,
        allowed: impl Into<String>,
    ) -> DocumentError {
        self.invalid(&format!("properties.{name}"), value, allowed)
    }

    fn raw(&self, field: &str) -> Option<&'a RawValue> {
        self.members
            .iter()
            .find(|(name, _)| name == field)
            .map(|(_, value)| *value)
    }

    fn string(&self, field: &str) -> Result<Option<String>, DocumentError> {
        let Some(raw) = self.raw(field) else {
            return Ok(None);
        };
        match string(raw.get()) {
            Some(text) if !text.is_empty() => Ok(Some(text)),
            _ => Err(self.invalid(field, raw.get(), "a non-empty string")),
        }
    }

    fn required(&self, field: &str, needs: &str) -> Result<String, DocumentError> {
        self.string(field)?.ok_or_else(|| DocumentError::Missing {
            index: self.index,
            op: self.op.to_owned(),
            field: field.to_owned(),
            allowed: format!("`{}` needs {needs}", self.op),
        })
    }

    fn id(&self, field: &str, needs: &str) -> Result<String, DocumentError> {
        let id = self.required(field, needs)?;
        self.check_id(field, id)
    }

    fn check_id(&self, field: &str, id: String) -> Result<String, DocumentError> {
        if id.starts_with("neptune_reserved") {
            return Err(self.invalid(
                field,
                &id,
                "an id that does not start with `neptune_reserved` (Neptune refuses those)",
            ));
        }
        Ok(id)
    }

    fn label(&self, field: &str, label: String) -> Result<String, DocumentError> {
        if label.starts_with('~') || label.contains("::") {
            return Err(self.invalid(
                field,
                &label,
                "a label that does not start with `~` (reserved) and has no `::` (Neptune's multi-label separator)",
            ));
        }
        Ok(label)
    }

    fn only(&self, allowed: &[&str]) -> Result<(), DocumentError> {
        for (name, value) in self.members {
            if name != "op" && !allowed.contains(&name.as_str()) {
                return Err(self.invalid(
                    name,
                    value.get(),
                    format!(
                        "`{}` takes the members op, {}; remove `{name}`",
                        self.op,
                        allowed.join(", ")
                    ),
                ));
            }
        }
        Ok(())
    }
}

const OPERATIONS: &str = "one of upsertVertex, upsertEdge, deleteVertex, deleteEdge";

/// Decodes one operation object: the whole body (`whole`, which may not be JSON at all) or an item of an array.
fn decode_operation(index: usize, text: &str, whole: bool) -> Result<Operation, DocumentError> {
    let members = match serde_json::from_str::<Members>(text) {
        Ok(members) => members,
        Err(e) if whole => {
            return Err(DocumentError::NotJson {
                message: e.to_string(),
            });
        }
        Err(_) => {
            return Err(DocumentError::NotOperations {
                value: format!("an array whose item {index} is {}", excerpt(text)),
            });
        }
    };
    operation_from_members(index, members)
}

/// Decodes a document that is one operation object whose members a caller has read already (the writer reads them
/// to tell the form of a record), without reading them again.
pub fn decode_object(members: Members) -> Result<Vec<Operation>, DocumentError> {
    Ok(vec![operation_from_members(0, members)?])
}

/// The operation of one object's members (item `index` of the document).
fn operation_from_members(index: usize, members: Members) -> Result<Operation, DocumentError> {
    if let Some(field) = members.repeated() {
        return Err(DocumentError::Repeated {
            index,
            field: field.to_owned(),
        });
    }
    let Members(members) = members;
    let fields = Fields {
        index,
        op: "?",
        members: &members,
    };
    let op = fields.string("op").map_err(|_| {
        fields.invalid(
            "op",
            fields.raw("op").map(RawValue::get).unwrap_or_default(),
            OPERATIONS,
        )
    })?;
    let Some(op) = op else {
        return Err(DocumentError::Missing {
            index,
            op: "?".into(),
            field: "op".into(),
            allowed: format!("every operation names its kind: {OPERATIONS}"),
        });
    };
    let fields = Fields {
        index,
        op: &op,
        members: &members,
    };
    match op.as_str() {
        "upsertVertex" => {
            fields.only(&["id", "label", "properties"])?;
            let id = fields.id("id", "the vertex `id`")?;
            let label = fields.required("label", "the vertex `label` (used when it is created)")?;
            Ok(Operation::UpsertVertex(VertexUpsert {
                id,
                label: fields.label("label", label)?,
                properties: properties(&fields, Element::Vertex)?,
            }))
        }
        "upsertEdge" => {
            fields.only(&[
                "id",
                "key",
                "label",
                "from",
                "to",
                "fromLabel",
                "toLabel",
                "properties",
            ])?;
            let (id, label, from, to) = edge_identity(&fields)?;
            let endpoint_label = |field: &str| match fields.string(field)? {
                Some(label) => fields.label(field, label),
                None => Ok(DEFAULT_VERTEX_LABEL.to_owned()),
            };
            Ok(Operation::UpsertEdge(EdgeUpsert {
                id,
                from_label: endpoint_label("fromLabel")?,
                to_label: endpoint_label("toLabel")?,
                properties: properties(&fields, Element::Edge)?,
                label,
                from,
                to,
            }))
        }
        "deleteVertex" => {
            fields.only(&["id"])?;
            Ok(Operation::DeleteVertex {
                id: fields.id("id", "the vertex `id`")?,
            })
        }
        "deleteEdge" => {
            fields.only(&["id", "key", "label", "from", "to"])?;
            let (id, ..) = edge_identity(&fields)?;
            Ok(Operation::DeleteEdge { id })
        }
        _ => Err(fields.invalid("op", &format!("{op:?}"), OPERATIONS)),
    }
}

/// An edge's id, label, from and to: `id` given, or derived from from/label/to/key. A deleteEdge with an `id`
/// needs nothing else (and takes nothing else).
fn edge_identity(fields: &Fields) -> Result<(String, String, String, String), DocumentError> {
    let given = fields.string("id")?;
    let key = fields.string("key")?;
    if let (Some(_), Some(key)) = (&given, &key) {
        return Err(fields.invalid(
            "key",
            key,
            "either `id` (the edge id) or `key` (part of a derived id), not both",
        ));
    }
    if fields.op == "deleteEdge"
        && let Some(id) = given
    {
        if let Some((name, value)) = fields
            .members
            .iter()
            .find(|(name, _)| name != "op" && name != "id")
        {
            return Err(fields.invalid(
                name,
                value.get(),
                "nothing beside `id`: a deleteEdge names the edge by `id` or by from, label, to and key",
            ));
        }
        return Ok((
            fields.check_id("id", id)?,
            String::new(),
            String::new(),
            String::new(),
        ));
    }
    let needs = "`label`, `from` and `to` (and an optional `id` or `key`)";
    let label = fields.required("label", needs)?;
    let label = fields.label("label", label)?;
    let from = fields.id("from", needs)?;
    let to = fields.id("to", needs)?;
    let id = match given {
        Some(id) => fields.check_id("id", id)?,
        None => derived_edge_id(&from, &label, &to, key.as_deref()),
    };
    Ok((id, label, from, to))
}

#[derive(Clone, Copy, PartialEq)]
enum Element {
    Vertex,
    Edge,
}

fn properties(fields: &Fields, element: Element) -> Result<Vec<PropertyChange>, DocumentError> {
    let Some(raw) = fields.raw("properties") else {
        return Ok(Vec::new());
    };
    let Ok(members) = serde_json::from_str::<Members>(raw.get()) else {
        return Err(fields.invalid(
            "properties",
            raw.get(),
            "an object of property names to values",
        ));
    };
    if let Some(name) = members.repeated() {
        return Err(DocumentError::Repeated {
            index: fields.index,
            field: format!("properties.{name}"),
        });
    }
    let Members(members) = members;
    members
        .iter()
        .map(|(name, value)| {
            if name.is_empty() || name.starts_with('~') {
                return Err(fields.invalid_property(
                    name,
                    value.get(),
                    "a property name that is not empty and does not start with `~` (reserved: ~id, ~label, ~from, ~to)",
                ));
            }
            Ok(PropertyChange {
                name: name.clone(),
                change: change(fields, name, value.get(), element)?,
            })
        })
        .collect()
}

const VALUES: &str =
    "a string, a number, a boolean, {\"date\": \"YYYY-MM-DD\"} or {\"dateTime\": \"<ISO-8601>\"}";

fn change(
    fields: &Fields,
    name: &str,
    text: &str,
    element: Element,
) -> Result<Change, DocumentError> {
    let allowed = || match element {
        Element::Vertex => format!(
            "{VALUES}, a non-empty list of those, {{\"add\": value}}, {{\"onCreate\": value}} or null (remove)"
        ),
        Element::Edge => format!(
            "{VALUES}, {{\"onCreate\": value}} or null (remove); an edge property holds one value (no list, no add)"
        ),
    };
    match text.as_bytes()[0] {
        b'n' => Ok(Change::Remove),
        b'[' => {
            if element == Element::Edge {
                return Err(fields.invalid_property(name, text, allowed()));
            }
            let items: Vec<&RawValue> = serde_json::from_str(text)
                .map_err(|_| fields.invalid_property(name, text, allowed()))?;
            if items.is_empty() {
                return Err(fields.invalid_property(
                    name,
                    text,
                    "a non-empty list (send null to remove the property)",
                ));
            }
            items
                .iter()
                .map(|item| scalar(fields, name, item.get(), &allowed))
                .collect::<Result<_, _>>()
                .map(|values| Change::Set(Value::List(values)))
        }
        b'{' => {
            let Ok(Members(members)) = serde_json::from_str::<Members>(text) else {
                return Err(fields.invalid_property(name, text, allowed()));
            };
            if let [(member, value)] = members.as_slice()
                && member == "add"
            {
                if element == Element::Edge {
                    return Err(fields.invalid_property(name, text, allowed()));
                }
                return scalar(fields, name, value.get(), &allowed).map(Change::Add);
            }
            if let [(member, value)] = members.as_slice()
                && member == "onCreate"
            {
                return scalar(fields, name, value.get(), &allowed).map(Change::SetOnCreate);
            }
            scalar(fields, name, text, &allowed).map(Change::Set)
        }
        _ => scalar(fields, name, text, &allowed).map(Change::Set),
    }
}

/// One value that is not a list.
fn scalar(
    fields: &Fields,
    name: &str,
    text: &str,
    allowed: &dyn Fn() -> String,
) -> Result<Value, DocumentError> {
    match text.as_bytes()[0] {
        b'"' => string(text)
            .map(Value::String)
            .ok_or_else(|| fields.invalid_property(name, text, allowed())),
        b't' => Ok(Value::Boolean(true)),
        b'f' => Ok(Value::Boolean(false)),
        b'-' | b'0'..=b'9' if is_integer_text(text) => text.parse().map(Value::Integer).map_err(|_| {
            fields.invalid_property(name,
                text,
                "an integer from -9223372036854775808 to 9223372036854775807 (Neptune's Long); send a larger one as a string to keep it exact",
            )
        }),
        b'-' | b'0'..=b'9' => match text.parse::<f64>() {
            Ok(x) if x.is_finite() => Ok(Value::Double(x)),
            _ => Err(fields.invalid_property(name, text, "a finite number (a 64-bit double)")),
        },
        b'{' => {
            let members = match serde_json::from_str::<Members>(text) {
                Ok(Members(members)) => members,
                Err(_) => return Err(fields.invalid_property(name, text, allowed())),
            };
            let [(kind, value)] = members.as_slice() else {
                return Err(fields.invalid_property(name, text, allowed()));
            };
            let date = string(value.get());
            match (kind.as_str(), date) {
                ("date", Some(date)) if date.len() == 10 && date_kind(&date).is_some() => Ok(Value::Date(date)),
                ("dateTime", Some(date)) if date.len() > 10 && date_kind(&date).is_some() => {
                    Ok(Value::DateTime(date))
                }
                ("date", _) => Err(fields.invalid_property(name, value.get(), "a date \"YYYY-MM-DD\" (a real calendar day)")),
                ("dateTime", _) => Err(fields.invalid_property(name,
                    value.get(),
                    "a date-time \"YYYY-MM-DDTHH:MM[:SS[.fraction]][Z|±HH:MM]\"",
                )),
                _ => Err(fields.invalid_property(name, text, allowed())),
            }
        }
        _ => Err(fields.invalid_property(name, text, allowed())),
    }
}

/// Encodes operations as a graph-operation document (one object for one operation, else an array) that
/// [`decode`] reads back to the same operations, properties in their order. Edge operations carry their id as `id`.
/// [`Operation::ChangeValues`], which only change records carry ([`crate::change`]), has no document form: its
/// operations are refused whole.
pub fn encode(operations: &[Operation]) -> Result<String, NoDocumentForm> {
    if let Some((index, Operation::ChangeValues { id, .. })) = operations
        .iter()
        .enumerate()
        .find(|(_, operation)| matches!(operation, Operation::ChangeValues { .. }))
    {
        return Err(NoDocumentForm {
            index,
            id: id.clone(),
        });
    }
    let mut out = String::with_capacity(128 * operations.len());
    if operations.len() != 1 {
        out.push('[');
    }
    for (i, operation) in operations.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str("{\"op\":");
        push_json(&mut out, operation.name());
        let mut member = |name: &str, value: &str| {
            out.push_str(",\"");
            out.push_str(name);
            out.push_str("\":");
            push_json(&mut out, value);
        };
        match operation {
            Operation::UpsertVertex(v) => {
                member("id", &v.id);
                member("label", &v.label);
                push_properties(&mut out, &v.properties);
            }
            Operation::UpsertEdge(e) => {
                for (name, value) in [
                    ("id", &e.id),
                    ("label", &e.label),
                    ("from", &e.from),
                    ("to", &e.to),
                    ("fromLabel", &e.from_label),
                    ("toLabel", &e.to_label),
                ] {
                    member(name, value);
                }
                push_properties(&mut out, &e.properties);
            }
            Operation::DeleteVertex { id } | Operation::DeleteEdge { id } => member("id", id),
            Operation::ChangeValues { .. } => unreachable!("refused above"),
        }
        out.push('}');
    }
    if operations.len() != 1 {
        out.push(']');
    }
    Ok(out)
}

/// Operations [`encode`] cannot write as a document: value changes, which come from change records only.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "operation {index} adds or removes single values of {id:?}, which only Neptune Streams change records carry: \
     a graph-operation document has no form for it; send the change record itself, or an upsertVertex/upsertEdge \
     that sets the property's whole value"
)]
pub struct NoDocumentForm {
    /// The 0-based position of the first such operation.
    pub index: usize,
    /// The id of the element whose values it changes.
    pub id: String,
}

fn push_json(out: &mut String, text: &str) {
    out.push_str(&serde_json::Value::from(text).to_string());
}

fn push_properties(out: &mut String, changes: &[PropertyChange]) {
    out.push_str(",\"properties\":{");
    for (i, c) in changes.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_json(out, &c.name);
        out.push(':');
        match &c.change {
            Change::Set(value) => push_value(out, value),
            Change::Add(value) => {
                out.push_str("{\"add\":");
                push_value(out, value);
                out.push('}');
            }
            Change::SetOnCreate(value) => {
                out.push_str("{\"onCreate\":");
                push_value(out, value);
                out.push('}');
            }
            Change::Remove => out.push_str("null"),
        }
    }
    out.push('}');
}

fn push_value(out: &mut String, value: &Value) {
    match value {
        Value::String(s) => push_json(out, s),
        Value::Integer(i) => out.push_str(&i.to_string()),
        // Finite (the decoder refuses others); serde_json writes the shortest text that reads back to it.
        Value::Double(d) => out.push_str(&serde_json::Value::from(*d).to_string()),
        Value::Boolean(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Date(d) => {
            out.push_str("{\"date\":");
            push_json(out, d);
            out.push('}');
        }
        Value::DateTime(d) => {
            out.push_str("{\"dateTime\":");
            push_json(out, d);
            out.push('}');
        }
        Value::List(values) => {
            out.push('[');
            for (i, v) in values.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                push_value(out, v);
            }
            out.push(']');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The producers' schema, as the repository ships it.
    const SCHEMA: &str = include_str!("../schemas/graph-operations.schema.json");

    #[test]
    fn every_operation_and_value_decodes() {
        let body = r#"[
          {"op":"upsertVertex","id":"d1","label":"device","properties":{"name":"x","tags":["a",2,{"date":"2024-01-02"}],
           "seen":{"date":"2024-01-02"},"at":{"dateTime":"2024-01-02T03:04:05Z"},"visits":{"add":3},"old":null,
           "w":-0.5,"big":-9223372036854775808,"ok":false,"first":{"onCreate":"x"}}},
          {"op":"upsertEdge","label":"owns","from":"c1","to":"d1","fromLabel":"customer","key":"2024","properties":{"since":1.0e3,"gone":null,"at":{"onCreate":{"date":"2024-01-02"}}}},
          {"op":"upsertEdge","id":"e1","label":"owns","from":"c1","to":"d2"},
          {"op":"deleteVertex","id":"d1"},
          {"op":"deleteEdge","id":"e1"},
          {"op":"deleteEdge","from":"c1","label":"owns","to":"d1","key":"2024"}
        ]"#;
        let ops = decode(body).unwrap();
        let Operation::UpsertVertex(vertex) = &ops[0] else {
            panic!("{ops:?}")
        };
        assert_eq!(
            vertex.properties,
            vec![
                PropertyChange::set("name", Value::String("x".into())),
                PropertyChange::set(
                    "tags",
                    Value::List(vec![
                        Value::String("a".into()),
                        Value::Integer(2),
                        Value::Date("2024-01-02".into())
                    ])
                ),
                PropertyChange::set("seen", Value::Date("2024-01-02".into())),
                PropertyChange::set("at", Value::DateTime("2024-01-02T03:04:05Z".into())),
                PropertyChange {
                    name: "visits".into(),
                    change: Change::Add(Value::Integer(3))
                },
                PropertyChange {
                    name: "old".into(),
                    change: Change::Remove
                },
                PropertyChange::set("w", Value::Double(-0.5)),
                PropertyChange::set("big", Value::Integer(i64::MIN)),
                PropertyChange::set("ok", Value::Boolean(false)),
                PropertyChange::set_on_create("first", Value::String("x".into())),
            ]
        );
        assert_eq!(
            ops[1],
            Operation::UpsertEdge(EdgeUpsert {
                id: "c1-owns-d1-2024".into(),
                label: "owns".into(),
                from: "c1".into(),
                to: "d1".into(),
                from_label: "customer".into(),
                to_label: DEFAULT_VERTEX_LABEL.into(),
                properties: vec![
                    PropertyChange::set("since", Value::Double(1000.0)),
                    PropertyChange {
                        name: "gone".into(),
                        change: Change::Remove
                    },
                    PropertyChange::set_on_create("at", Value::Date("2024-01-02".into())),
                ],
            })
        );
        assert_eq!(ops[2].element_id(), "e1");
        assert_eq!(ops[3], Operation::DeleteVertex { id: "d1".into() });
        assert_eq!(ops[4], Operation::DeleteEdge { id: "e1".into() });
        assert_eq!(
            ops[5],
            Operation::DeleteEdge {
                id: "c1-owns-d1-2024".into()
            }
        );
        // One object is one operation.
        assert_eq!(
            decode(r#" {"op":"deleteVertex","id":"d1"} "#).unwrap(),
            vec![Operation::DeleteVertex { id: "d1".into() }]
        );
    }

    /// Refused documents and the exact message of each.
    const REFUSED: &[(&str, &str)] = &[
        (
            "nope",
            "the record is not JSON (expected ident at line 1 column 2); a graph-operation record is one JSON object or an array of them",
        ),
        (
            "[]",
            "the record is an empty array; a graph-operation record is one JSON object or a non-empty array of them",
        ),
        (
            "7",
            "the record is 7; a graph-operation record is one JSON object or a non-empty array of them",
        ),
        (
            r#"[{"op":"deleteVertex","id":"a"},"x"]"#,
            "the record is an array whose item 1 is \"x\"; a graph-operation record is one JSON object or a non-empty array of them",
        ),
        (
            r#"{"id":"a"}"#,
            "operation 0 (?): member `op` is missing; every operation names its kind: one of upsertVertex, upsertEdge, deleteVertex, deleteEdge",
        ),
        (
            r#"{"op":"mergeVertex","id":"a"}"#,
            "operation 0 (mergeVertex): `op` = \"mergeVertex\" is not allowed; one of upsertVertex, upsertEdge, deleteVertex, deleteEdge",
        ),
        (
            r#"{"op":"deleteVertex","id":"a","id":"b"}"#,
            "operation 0: `id` is given twice; name each member and property once",
        ),
        (
            r#"{"op":"upsertVertex","id":"a","label":"l","properties":{"p":1,"p":2}}"#,
            "operation 0: `properties.p` is given twice; name each member and property once",
        ),
        (
            r#"{"op":"upsertVertex","id":"a"}"#,
            "operation 0 (upsertVertex): member `label` is missing; `upsertVertex` needs the vertex `label` (used when it is created)",
        ),
        (
            r#"{"op":"upsertVertex","id":"","label":"l"}"#,
            "operation 0 (upsertVertex): `id` = \"\" is not allowed; a non-empty string",
        ),
        (
            r#"{"op":"upsertVertex","id":5,"label":"l"}"#,
            "operation 0 (upsertVertex): `id` = 5 is not allowed; a non-empty string",
        ),
        (
            r#"{"op":"upsertVertex","id":"neptune_reserved_1","label":"l"}"#,
            "operation 0 (upsertVertex): `id` = neptune_reserved_1 is not allowed; an id that does not start with `neptune_reserved` (Neptune refuses those)",
        ),
        (
            r#"{"op":"upsertVertex","id":"a","label":"A::B"}"#,
            "operation 0 (upsertVertex): `label` = A::B is not allowed; a label that does not start with `~` (reserved) and has no `::` (Neptune's multi-label separator)",
        ),
        (
            r#"{"op":"upsertVertex","id":"a","label":"l","color":"red"}"#,
            "operation 0 (upsertVertex): `color` = \"red\" is not allowed; `upsertVertex` takes the members op, id, label, properties; remove `color`",
        ),
        (
            r#"{"op":"upsertVertex","id":"a","label":"l","properties":{"~id":"x"}}"#,
            "operation 0 (upsertVertex): `properties.~id` = \"x\" is not allowed; a property name that is not empty and does not start with `~` (reserved: ~id, ~label, ~from, ~to)",
        ),
        (
            r#"{"op":"upsertVertex","id":"a","label":"l","properties":{"n":18446744073709551615}}"#,
            "operation 0 (upsertVertex): `properties.n` = 18446744073709551615 is not allowed; an integer from -9223372036854775808 to 9223372036854775807 (Neptune's Long); send a larger one as a string to keep it exact",
        ),
        (
            r#"{"op":"upsertVertex","id":"a","label":"l","properties":{"x":1e999}}"#,
            "operation 0 (upsertVertex): `properties.x` = 1e999 is not allowed; a finite number (a 64-bit double)",
        ),
        (
            r#"{"op":"upsertVertex","id":"a","label":"l","properties":{"x":[[1]]}}"#,
            "operation 0 (upsertVertex): `properties.x` = [1] is not allowed; a string, a number, a boolean, {\"date\": \"YYYY-MM-DD\"} or {\"dateTime\": \"<ISO-8601>\"}, a non-empty list of those, {\"add\": value}, {\"onCreate\": value} or null (remove)",
        ),
        (
            r#"{"op":"upsertVertex","id":"a","label":"l","properties":{"x":[]}}"#,
            "operation 0 (upsertVertex): `properties.x` = [] is not allowed; a non-empty list (send null to remove the property)",
        ),
        (
            r#"{"op":"upsertVertex","id":"a","label":"l","properties":{"x":{"date":"2021-02-29"}}}"#,
            "operation 0 (upsertVertex): `properties.x` = \"2021-02-29\" is not allowed; a date \"YYYY-MM-DD\" (a real calendar day)",
        ),
        (
            r#"{"op":"upsertVertex","id":"a","label":"l","properties":{"x":{"dateTime":"2021-02-28"}}}"#,
            "operation 0 (upsertVertex): `properties.x` = \"2021-02-28\" is not allowed; a date-time \"YYYY-MM-DDTHH:MM[:SS[.fraction]][Z|±HH:MM]\"",
        ),
        (
            r#"{"op":"upsertEdge","label":"l","from":"a","to":"b","properties":{"x":{"onCreate":null}}}"#,
            "operation 0 (upsertEdge): `properties.x` = null is not allowed; a string, a number, a boolean, {\"date\": \"YYYY-MM-DD\"} or {\"dateTime\": \"<ISO-8601>\"}, {\"onCreate\": value} or null (remove); an edge property holds one value (no list, no add)",
        ),
        (
            r#"{"op":"upsertVertex","id":"a","label":"l","properties":{"x":{"add":[1]}}}"#,
            "operation 0 (upsertVertex): `properties.x` = [1] is not allowed; a string, a number, a boolean, {\"date\": \"YYYY-MM-DD\"} or {\"dateTime\": \"<ISO-8601>\"}, a non-empty list of those, {\"add\": value}, {\"onCreate\": value} or null (remove)",
        ),
        (
            r#"{"op":"upsertEdge","label":"l","from":"a","to":"b","properties":{"x":["a"]}}"#,
            "operation 0 (upsertEdge): `properties.x` = [\"a\"] is not allowed; a string, a number, a boolean, {\"date\": \"YYYY-MM-DD\"} or {\"dateTime\": \"<ISO-8601>\"}, {\"onCreate\": value} or null (remove); an edge property holds one value (no list, no add)",
        ),
        (
            r#"{"op":"upsertEdge","label":"l","from":"a","to":"b","properties":{"x":{"add":1}}}"#,
            "operation 0 (upsertEdge): `properties.x` = {\"add\":1} is not allowed; a string, a number, a boolean, {\"date\": \"YYYY-MM-DD\"} or {\"dateTime\": \"<ISO-8601>\"}, {\"onCreate\": value} or null (remove); an edge property holds one value (no list, no add)",
        ),
        (
            r#"{"op":"upsertEdge","label":"l","from":"a"}"#,
            "operation 0 (upsertEdge): member `to` is missing; `upsertEdge` needs `label`, `from` and `to` (and an optional `id` or `key`)",
        ),
        (
            r#"{"op":"upsertEdge","label":"l","from":"a","to":"b","id":"e","key":"k"}"#,
            "operation 0 (upsertEdge): `key` = k is not allowed; either `id` (the edge id) or `key` (part of a derived id), not both",
        ),
        (
            r#"{"op":"deleteEdge","id":"e","label":"l"}"#,
            "operation 0 (deleteEdge): `label` = \"l\" is not allowed; nothing beside `id`: a deleteEdge names the edge by `id` or by from, label, to and key",
        ),
        (
            r#"[{"op":"deleteVertex","id":"a"},{"op":"deleteEdge","label":"l","to":"b"}]"#,
            "operation 1 (deleteEdge): member `from` is missing; `deleteEdge` needs `label`, `from` and `to` (and an optional `id` or `key`)",
        ),
    ];

    #[test]
    fn bad_documents_are_refused_naming_the_operation_field_value_and_what_is_allowed() {
        for (body, message) in REFUSED {
            let refused = decode(body).expect_err(body);
            assert_eq!(refused.to_string(), *message, "{body}");
        }
        // A long value is cut in the message.
        let long = format!(
            r#"{{"op":"deleteVertex","id":"neptune_reserved{}"}}"#,
            "x".repeat(200)
        );
        assert!(
            decode(&long)
                .unwrap_err()
                .to_string()
                .contains("xxx... is not allowed")
        );
    }

    #[test]
    fn encode_then_decode_gives_the_same_operations() {
        let ops = decode(
            r#"[{"op":"upsertVertex","id":"it's \"q\"\n","label":"l","properties":{"z":0.1,"a":[1,"x",true,{"dateTime":"2024-01-02T03:04:05.5+01:00"}],
                "n":{"add":{"date":"2024-01-02"}},"r":null,"d":1e300,"neg":-0.0,"i":9223372036854775807}},
               {"op":"upsertEdge","label":"e","from":"a-b","to":"%","key":"k","properties":{"w":2,"x":null}},
               {"op":"deleteEdge","label":"e","from":"a-b","to":"%"},{"op":"deleteVertex","id":"🚀"}]"#,
        )
        .unwrap();
        let text = encode(&ops).unwrap();
        assert_eq!(decode(&text).unwrap(), ops, "{text}");
        assert_eq!(decode(&encode(&ops[3..]).unwrap()).unwrap(), ops[3..]);
        assert!(encode(&ops[3..]).unwrap().starts_with('{'));
    }

    #[test]
    fn value_changes_have_no_document_form_and_are_refused_naming_the_element() {
        let mut ops = decode(r#"{"op":"deleteVertex","id":"a"}"#).unwrap();
        ops.push(Operation::ChangeValues {
            element: crate::operation::Element::Vertex,
            id: "v-1".into(),
            changes: vec![crate::ValueChange::added("p", crate::Value::Integer(1))],
        });
        let refused = encode(&ops).unwrap_err();
        assert_eq!((refused.index, refused.id.as_str()), (1, "v-1"));
        assert!(
            refused
                .to_string()
                .starts_with("operation 1 adds or removes single values of \"v-1\""),
            "{refused}"
        );
    }

    #[test]
    fn the_schema_and_the_decoder_agree_on_every_document() {
        let schema: serde_json::Value = serde_json::from_str(SCHEMA).unwrap();
        let validator = jsonschema::draft202012::new(&schema).unwrap();
        let good = [
            r#"{"op":"upsertVertex","id":"d1","label":"device","properties":{"name":"x","tags":["a","b"],"seen":{"date":"2024-01-02"},"at":{"dateTime":"2024-01-02T03:04:05Z"},"visits":{"add":3},"old":null}}"#,
            r#"[{"op":"upsertEdge","label":"owns","from":"c1","to":"d1","fromLabel":"customer","toLabel":"device","key":"2024","properties":{"since":{"date":"2024-01-02"},"w":0.5,"gone":null}}]"#,
            r#"{"op":"upsertEdge","label":"owns","from":"c1","to":"d1","id":"e1"}"#,
            r#"[{"op":"deleteVertex","id":"d1"},{"op":"deleteEdge","id":"e1"},{"op":"deleteEdge","from":"c1","label":"owns","to":"d1","key":"2024"}]"#,
            r#"{"op":"upsertVertex","id":"a","label":"l","properties":{"t":{"dateTime":"2020-01-01 10:11:12.123-0800"}}}"#,
        ];
        for body in good {
            let value: serde_json::Value = serde_json::from_str(body).unwrap();
            assert!(validator.is_valid(&value), "schema refuses {body}");
            decode(body).unwrap_or_else(|e| panic!("decoder refuses {body}: {e}"));
        }
        // Every refused document the schema can judge (JSON, not a repeated member, a date that is not a calendar
        // day or an integer beyond 64 bits, which only the decoder sees): the schema refuses it too.
        let decoder_only = ["given twice", "18446744073709551615", "1e999", "2021-02-29"];
        let mut judged = 0;
        for (body, message) in REFUSED {
            let Ok(value) = serde_json::from_str::<serde_json::Value>(body) else {
                continue;
            };
            if decoder_only.iter().any(|only| message.contains(only)) {
                continue;
            }
            judged += 1;
            assert!(
                !validator.is_valid(&value),
                "schema accepts {body} ({message})"
            );
        }
        assert_eq!(judged, REFUSED.len() - 6);
    }
}
