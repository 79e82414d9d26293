//! Reading a Kinesis record body into Neptune Streams change records, in order: one change record object, a JSON
//! array of them, or a whole stream API response (`{"records": [...], "format": ..., "lastEventId": ...}`).

use serde_json::Value as Json;

use super::error::ChangeError;
use serde_json::value::RawValue;

use super::value::{allowed_data_types, kind, read};
use crate::json::{excerpt, string};
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

/// A change record as written: each member's JSON text, read when it is interpreted (members not listed, such as
/// `commitTimestamp` and `isLastOp`, are skipped).
#[derive(serde::Deserialize)]
struct Wire<'a> {
    #[serde(borrow)]
    op: Option<&'a RawValue>,
    #[serde(borrow, rename = "eventId")]
    event_id: Option<&'a RawValue>,
    #[serde(borrow)]
    data: Option<&'a RawValue>,
    /// A stream API response's changes.
    #[serde(borrow)]
    records: Option<Vec<&'a RawValue>>,
}

/// A change's `data`, each member's JSON text.
#[derive(serde::Deserialize)]
struct WireData<'a> {
    #[serde(borrow)]
    id: Option<&'a RawValue>,
    #[serde(borrow, rename = "type")]
    kind: Option<&'a RawValue>,
    #[serde(borrow)]
    key: Option<&'a RawValue>,
    #[serde(borrow)]
    value: Option<&'a RawValue>,
    #[serde(borrow)]
    from: Option<&'a RawValue>,
    #[serde(borrow)]
    to: Option<&'a RawValue>,
    #[serde(borrow)]
    stmt: Option<&'a RawValue>,
}

/// A PG_JSON `value`, each member's JSON text.
#[derive(serde::Deserialize)]
struct WireValue<'a> {
    #[serde(borrow)]
    value: Option<&'a RawValue>,
    #[serde(borrow, rename = "dataType")]
    data_type: Option<&'a RawValue>,
}

/// An `eventId`, each member's JSON text.
#[derive(serde::Deserialize)]
struct WireEvent<'a> {
    #[serde(borrow, rename = "commitNum")]
    commit_num: Option<&'a RawValue>,
    #[serde(borrow, rename = "opNum")]
    op_num: Option<&'a RawValue>,
}

/// The change records of a body, in order.
pub fn changes(body: &str) -> Result<Vec<Change>, ChangeError> {
    let unreadable = |e: serde_json::Error| ChangeError::Unreadable {
        message: e.to_string(),
    };
    let records: Vec<&RawValue> = match body.as_bytes().first() {
        Some(b'[') => serde_json::from_str(body).map_err(unreadable)?,
        Some(b'{') => {
            let whole: &RawValue = serde_json::from_str(body).map_err(unreadable)?;
            let wire: Wire = serde_json::from_str(whole.get()).map_err(unreadable)?;
            match (wire.op, wire.records) {
                (None, Some(records)) => records,
                (None, None) => {
                    return Err(ChangeError::Unreadable {
                        message: "an object without `op` or a `records` array".into(),
                    });
                }
                (Some(_), _) => vec![whole],
            }
        }
        _ => {
            let value: &RawValue = serde_json::from_str(body).map_err(unreadable)?;
            return Err(ChangeError::Unreadable {
                message: format!("the body is {}", excerpt(value.get())),
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
        .map(|(index, record)| change(index, record.get()))
        .collect()
}

/// The JSON text of a string, read; `None` when it is not one.
fn text_of(raw: Option<&RawValue>) -> Option<String> {
    raw.and_then(|r| string(r.get()))
}

fn change(index: usize, record: &str) -> Result<Change, ChangeError> {
    let not_object = |what: &str, text: &str| ChangeError::Invalid {
        change: format!("record {index}"),
        field: "record",
        value: excerpt(text),
        allowed: format!("{what} is a JSON object"),
    };
    let wire: Wire =
        serde_json::from_str(record).map_err(|_| not_object("a change record", record))?;
    let at = match wire.event_id {
        Some(event) => match serde_json::from_str::<WireEvent>(event.get()) {
            Ok(WireEvent {
                commit_num: Some(commit),
                op_num: Some(op),
            }) => format!("eventId {}/{}", commit.get(), op.get()),
            _ => format!("record {index} (eventId {})", excerpt(event.get())),
        },
        None => format!("record {index}"),
    };
    let missing = |field, allowed| ChangeError::Missing {
        change: at.clone(),
        field,
        allowed,
    };
    let invalid = |field, value: &RawValue, allowed: &str| ChangeError::Invalid {
        change: at.clone(),
        field,
        value: excerpt(value.get()),
        allowed: allowed.to_owned(),
    };
    let add = match wire.op {
        Some(op) if op.get() == "\"ADD\"" => true,
        Some(op) if op.get() == "\"REMOVE\"" => false,
        Some(op) => return Err(invalid("op", op, "ADD or REMOVE")),
        None => return Err(missing("op", "a change record's `op` is ADD or REMOVE")),
    };
    let Some(data) = wire.data else {
        return Err(missing(
            "data",
            "a change record's `data` is a PG_JSON change (id, type, key, value) or an NQUADS one (stmt)",
        ));
    };
    let data: WireData = serde_json::from_str(data.get()).map_err(|_| {
        invalid(
            "data",
            data,
            "a PG_JSON change (id, type, key, value) or an NQUADS one (stmt)",
        )
    })?;
    if let Some(stmt) = data.stmt {
        return match string(stmt.get()) {
            Some(stmt) => Ok(Change {
                at,
                add,
                data: Data::Quad(stmt),
            }),
            None => Err(invalid(
                "data.stmt",
                stmt,
                "one N-Quads statement as a string",
            )),
        };
    }
    let text = |field: &'static str, raw: Option<&RawValue>, allowed: &'static str| match raw {
        Some(r) => match string(r.get()) {
            Some(s) if !s.is_empty() => Ok(s),
            _ => Err(invalid(field, r, allowed)),
        },
        None => Err(missing(field, allowed)),
    };
    let id = text("data.id", data.id, "the element id, a non-empty string")?;
    let kind_text = text("data.type", data.kind, "vl, vp, e or ep")?;
    let kind = match kind_text.as_str() {
        "vl" => PgType::VertexLabel,
        "vp" => PgType::VertexProperty,
        "e" => PgType::Edge,
        "ep" => PgType::EdgeProperty,
        _ => {
            return Err(invalid(
                "data.type",
                data.kind.expect("read above"),
                "vl, vp, e or ep",
            ));
        }
    };
    let key_allowed = "the property name, or `label` for vl and e";
    let key = text("data.key", data.key, key_allowed)?;
    let key_raw = data.key.expect("read above");
    let labelled = matches!(kind, PgType::VertexLabel | PgType::Edge);
    if labelled && key != "label" {
        return Err(invalid("data.key", key_raw, "`label` for vl and e changes"));
    }
    if !labelled && key.starts_with('~') {
        return Err(invalid(
            "data.key",
            key_raw,
            "a property name not starting with `~` (Neptune's own: ~id, ~label, ~from, ~to)",
        ));
    }
    let Some(value_raw) = data.value else {
        return Err(missing("data.value", "{\"value\": ..., \"dataType\": ...}"));
    };
    let value: WireValue = serde_json::from_str(value_raw.get()).map_err(|_| {
        invalid(
            "data.value",
            value_raw,
            "{\"value\": ..., \"dataType\": ...}",
        )
    })?;
    let Some(data_type_raw) = value.data_type else {
        return Err(missing(
            "data.value.dataType",
            "the value's data type, e.g. String or Long",
        ));
    };
    let data_type = text_of(Some(data_type_raw)).unwrap_or_default();
    let Some(kind_of_value) = self::kind(&data_type) else {
        return Err(invalid(
            "data.value.dataType",
            data_type_raw,
            &allowed_data_types(),
        ));
    };
    let Some(raw) = value.value else {
        return Err(missing("data.value.value", "the value itself"));
    };
    let typed = read(kind_of_value, raw.get()).map_err(|allowed| {
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
            text(
                "data.from",
                data.from,
                "an edge's start vertex id, a non-empty string",
            )?,
            text(
                "data.to",
                data.to,
                "an edge's end vertex id, a non-empty string",
            )?,
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
