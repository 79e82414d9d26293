//! Reading a Kinesis record body into Neptune Streams change records, in order: one change record object, a JSON
//! array of them, or a whole stream API response (`{"records": [...], "format": ..., "lastEventId": ...}`).

use serde_json::Value as Json;

use super::error::ChangeError;
use super::value::{allowed_data_types, kind, read, shown};
use crate::operation::Value;

/// One change record.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    /// The change as messages name it: `eventId 42/3`, or `record 2` (its index in the body) without an eventId.
    pub at: String,
    /// `op`: ADD (`true`) or REMOVE.
    pub add: bool,
    /// What changed.
    pub data: Data,
}

/// A change's `data`.
#[derive(Debug, Clone, PartialEq)]
pub enum Data {
    /// A PG_JSON change of a property graph (Gremlin, openCypher).
    Pg(PgData),
    /// An NQUADS change: one N-Quads statement (`data.stmt`), as written.
    Quad(String),
}

/// The kind of element part a PG_JSON change is about (`data.type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PgType {
    /// `vl`: a vertex label.
    VertexLabel,
    /// `vp`: a vertex property value.
    VertexProperty,
    /// `e`: an edge, with its label and ends.
    Edge,
    /// `ep`: an edge property value.
    EdgeProperty,
}

/// A PG_JSON change's `data`.
#[derive(Debug, Clone, PartialEq)]
pub struct PgData {
    /// The element id.
    pub id: String,
    /// What part of the element.
    pub kind: PgType,
    /// The property name; `label` for `vl` and `e`.
    pub key: String,
    /// The value: the label for `vl` and `e`.
    pub value: Value,
    /// An edge's ends (`e` ADD only).
    pub ends: Option<(String, String)>,
}

/// Whether a JSON object's `op` text names a change record's operation (rather than a graph operation's).
pub fn is_change_op(op_text: &str) -> bool {
    matches!(op_text, "\"ADD\"" | "\"REMOVE\"")
}

/// Whether a JSON body is change records (see [`changes`]): an object with `op` ADD or REMOVE, a stream API
/// response (an object with an array `records` and no `op`), or an array whose first item is such an object.
pub fn is_changes(body: &str) -> bool {
    let is_change = |json: &Json| matches!(json.get("op"), Some(Json::String(op)) if op == "ADD" || op == "REMOVE");
    match serde_json::from_str::<Json>(body) {
        Ok(Json::Array(items)) => items.first().is_some_and(is_change),
        Ok(json @ Json::Object(_)) => {
            is_change(&json)
                || (json.get("op").is_none() && json.get("records").is_some_and(Json::is_array))
        }
        _ => false,
    }
}

/// The change records of a body, in order.
pub fn changes(body: &str) -> Result<Vec<Change>, ChangeError> {
    let json: Json = serde_json::from_str(body).map_err(|e| ChangeError::Unreadable {
        message: e.to_string(),
    })?;
    let records = match &json {
        Json::Object(object) if !object.contains_key("op") => match object.get("records") {
            Some(Json::Array(records)) => records.as_slice(),
            _ => {
                return Err(ChangeError::Unreadable {
                    message: "an object without `op` or a `records` array".into(),
                });
            }
        },
        Json::Object(_) => std::slice::from_ref(&json),
        Json::Array(records) => records.as_slice(),
        other => {
            return Err(ChangeError::Unreadable {
                message: format!("the body is {}", shown(other)),
            });
        }
    };
    if records.is_empty() {
        return Err(ChangeError::Unreadable {
            message: "it holds no change".into(),
        });
    }
    records
        .iter()
        .enumerate()
        .map(|(index, record)| change(index, record))
        .collect()
}

fn change(index: usize, record: &Json) -> Result<Change, ChangeError> {
    let at = match record.get("eventId") {
        Some(event) => match (event.get("commitNum"), event.get("opNum")) {
            (Some(commit), Some(op)) => format!("eventId {commit}/{op}"),
            _ => format!("record {index} (eventId {})", shown(event)),
        },
        None => format!("record {index}"),
    };
    let missing = |field, allowed| ChangeError::Missing {
        change: at.clone(),
        field,
        allowed,
    };
    let invalid = |field, value: &Json, allowed: &str| ChangeError::Invalid {
        change: at.clone(),
        field,
        value: shown(value),
        allowed: allowed.to_owned(),
    };
    if !record.is_object() {
        return Err(invalid(
            "record",
            record,
            "a change record is a JSON object",
        ));
    }
    let add = match record.get("op") {
        Some(Json::String(op)) if op == "ADD" => true,
        Some(Json::String(op)) if op == "REMOVE" => false,
        Some(op) => return Err(invalid("op", op, "ADD or REMOVE")),
        None => return Err(missing("op", "a change record's `op` is ADD or REMOVE")),
    };
    let Some(data) = record.get("data") else {
        return Err(missing(
            "data",
            "a change record's `data` is a PG_JSON change (id, type, key, value) or an NQUADS one (stmt)",
        ));
    };
    if let Some(stmt) = data.get("stmt") {
        return match stmt {
            Json::String(stmt) => Ok(Change {
                at,
                add,
                data: Data::Quad(stmt.clone()),
            }),
            other => Err(invalid(
                "data.stmt",
                other,
                "one N-Quads statement as a string",
            )),
        };
    }
    let text = |field: &'static str, allowed: &'static str| match data.get(&field[5..]) {
        Some(Json::String(s)) if !s.is_empty() => Ok(s.clone()),
        Some(other) => Err(invalid(field, other, allowed)),
        None => Err(missing(field, allowed)),
    };
    let id = text("data.id", "the element id, a non-empty string")?;
    let kind_text = text("data.type", "vl, vp, e or ep")?;
    let kind = match kind_text.as_str() {
        "vl" => PgType::VertexLabel,
        "vp" => PgType::VertexProperty,
        "e" => PgType::Edge,
        "ep" => PgType::EdgeProperty,
        _ => return Err(invalid("data.type", &data["type"], "vl, vp, e or ep")),
    };
    let key = text("data.key", "the property name, or `label` for vl and e")?;
    let labelled = matches!(kind, PgType::VertexLabel | PgType::Edge);
    if labelled && key != "label" {
        return Err(invalid(
            "data.key",
            &data["key"],
            "`label` for vl and e changes",
        ));
    }
    if !labelled && key.starts_with('~') {
        return Err(invalid(
            "data.key",
            &data["key"],
            "a property name not starting with `~` (Neptune's own: ~id, ~label, ~from, ~to)",
        ));
    }
    let Some(value) = data.get("value") else {
        return Err(missing("data.value", "{\"value\": ..., \"dataType\": ...}"));
    };
    let data_type = match value.get("dataType") {
        Some(Json::String(name)) => name,
        Some(other) => return Err(invalid("data.value.dataType", other, &allowed_data_types())),
        None => {
            return Err(missing(
                "data.value.dataType",
                "the value's data type, e.g. String or Long",
            ));
        }
    };
    let Some(kind_of_value) = self::kind(data_type) else {
        return Err(invalid(
            "data.value.dataType",
            &value["dataType"],
            &allowed_data_types(),
        ));
    };
    let Some(raw) = value.get("value") else {
        return Err(missing("data.value.value", "the value itself"));
    };
    let typed = read(kind_of_value, raw).map_err(|allowed| {
        invalid(
            "data.value.value",
            raw,
            &format!("a {data_type} value: {allowed}"),
        )
    })?;
    if labelled {
        match &typed {
            Value::String(label)
                if !label.is_empty() && !label.starts_with('~') && !label.contains("::") => {}
            _ => {
                return Err(invalid(
                    "data.value.value",
                    raw,
                    "a label: a non-empty String, not starting with `~` and without `::` (each of a vertex's labels is its own vl change)",
                ));
            }
        }
    }
    // A removal names the edge by its id; its ends are not needed.
    let ends = if kind == PgType::Edge && add {
        Some((
            text("data.from", "an edge's start vertex id, a non-empty string")?,
            text("data.to", "an edge's end vertex id, a non-empty string")?,
        ))
    } else {
        None
    };
    Ok(Change {
        at,
        add,
        data: Data::Pg(PgData {
            id,
            kind,
            key,
            value: typed,
            ends,
        }),
    })
}
