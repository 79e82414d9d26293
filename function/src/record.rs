//! Decoding one Kinesis record body into what it asks the writer to write ([`Write`]), or a typed [`RejectReason`].
//!
//! With RECORD_FORMAT=mapping every body is an application's JSON event, turned into graph operations by the first
//! of the stack's mappings that applies ([`stream2neptune_graph::mapping`]); one that none applies to, or whose
//! field the mapping cannot take, is refused ([`RejectReason::MappingMismatch`]).
//!
//! Otherwise (RECORD_FORMAT=auto), which form a body is ([`decode_record`]): a JSON array, or a JSON object with an
//! `op` member, is a graph-operation document ([`stream2neptune_graph::document`]), except that an object with `op`
//! ADD or REMOVE, a stream API response (an array `records`, no `op`) or an array of such objects is Neptune Streams
//! change records ([`stream2neptune_graph::change`]); anything else is the sample's `follows` edge
//! ([`parse_record`]). Change records are refused whole when one cannot be read
//! ([`RejectReason::BadChangeRecord`]). A graph-operation record is refused whole when the document is malformed
//! ([`RejectReason::BadOperation`]) or when one of its operations is one the configured language cannot store
//! ([`RejectReason::Unwritable`]).
//!
//! The `follows` forms (documented in docs/writer.md, "Accepted records"):
//! - CSV, the sample's form: `fromId,toId,creationDate` (fields trimmed, one pair of surrounding
//!   double quotes removed, an optional trailing newline);
//! - JSON: `{"from": "...", "to": "...", "created": "...", ...}` where `creationDate` is accepted for
//!   `created` and any other member with a string, number or boolean value is an edge property
//!   (kept sorted by name, so the query text does not depend on member order). Each member is named
//!   once; a numeric id is a whole number kept as its digits; an integer property fits an i64 (Neptune's
//!   Long); a property name does not start with `~` (Neptune's and TinkerPop's reserved names).
//!
//! Dates: `YYYY-MM-DD`, or a date-time `YYYY-MM-DD[T| ]HH:MM[:SS[.fraction]][Z|±HH:MM|±HHMM]`.

use std::fmt;

use stream2neptune_graph::change::{self, QuadChange, Replay};
use stream2neptune_graph::date::date_kind;
use stream2neptune_graph::json::{Members, excerpt, is_integer_text};
use stream2neptune_graph::mapping::{EventError, Mappings};
use stream2neptune_graph::{ChangeError, DocumentError, Operation, Unwritable};

/// What one record asks the writer to write.
#[derive(Debug, Clone, PartialEq)]
pub enum Write {
    /// The sample's `follows` edge (CSV or JSON), as its graph operation ([`Edge::into_operation`]).
    Follows(Operation),
    /// Graph operations, applied in order (a graph-operation document, PG_JSON change records).
    Operations(Vec<Operation>),
    /// Quads added and removed in order (NQUADS change records), written in SPARQL only.
    Quads(Vec<QuadChange>),
}

impl Write {
    /// The write of a `follows` record's edge.
    pub fn follows(edge: Edge) -> Write {
        Write::Follows(edge.into_operation())
    }

    /// Whether two records are of one form, so one request can write both.
    pub fn same_form(&self, other: &Write) -> bool {
        matches!(
            (self, other),
            (Write::Follows(_), Write::Follows(_))
                | (Write::Operations(_), Write::Operations(_))
                | (Write::Quads(_), Write::Quads(_))
        )
    }
}

/// A `follows` edge decoded from one record.
#[derive(Debug, Clone, PartialEq)]
pub struct Edge {
    /// Id of the follower vertex.
    pub from: String,
    /// Id of the followed vertex.
    pub to: String,
    /// When the edge was created, as validated from the record.
    pub created: CreationDate,
    /// Optional extra properties (JSON form only), sorted by name.
    pub properties: Vec<(String, PropertyValue)>,
}

/// A validated creation date; `text` is exactly the record's text (it is part of the edge id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreationDate {
    /// The date as written in the record (trimmed).
    pub text: String,
    /// Whether it is a date or a date-time, and whether it carries a time zone.
    pub kind: DateKind,
}

/// The shape of a [`CreationDate`], which picks its XSD datatype in SPARQL.
pub use stream2neptune_graph::date::DateKind;

/// A scalar edge property value from the JSON form.
#[derive(Debug, Clone, PartialEq)]
pub enum PropertyValue {
    /// A JSON string.
    Text(String),
    /// A JSON integer that fits in i64.
    Integer(i64),
    /// Any other JSON number.
    Float(f64),
    /// A JSON boolean.
    Bool(bool),
}

/// Why a record was rejected. Rejected records are never retried: they go to the rejects sink.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RejectReason {
    /// The body is larger than MAX_RECORD_BYTES.
    #[error("record is {size} bytes, larger than the limit of {limit} bytes (MAX_RECORD_BYTES)")]
    Oversize {
        /// Body size in bytes.
        size: usize,
        /// The configured limit.
        limit: usize,
    },
    /// The body is not valid UTF-8.
    #[error("record is not valid UTF-8 (invalid byte at offset {valid_up_to})")]
    NotUtf8 {
        /// Offset of the first invalid byte.
        valid_up_to: usize,
    },
    /// CSV form with a column count other than 3.
    #[error("CSV record has {found} columns, expected 3: fromId,toId,creationDate")]
    WrongColumnCount {
        /// Columns found.
        found: usize,
    },
    /// `from` or `to` is empty (or missing in JSON).
    #[error("field `{field}` is empty; a vertex id must be a non-empty string")]
    EmptyId {
        /// `from` or `to`.
        field: &'static str,
    },
    /// The creation date is not one of the accepted forms.
    #[error(
        "creation date {value:?} is not YYYY-MM-DD or an ISO-8601 date-time (YYYY-MM-DDTHH:MM[:SS[.f]][Z|±HH:MM])"
    )]
    BadDate {
        /// The offending value (truncated to 64 characters).
        value: String,
    },
    /// JSON form that is not an object with the expected members.
    #[error("bad JSON record: {message}")]
    BadJson {
        /// What is wrong.
        message: String,
    },
    /// A KPL aggregated record that cannot be read; it is rejected whole.
    #[error("{0}")]
    CorruptedAggregate(#[from] kpl::DecodeError),
    /// A graph-operation document that cannot be read: the decoder's message names the operation's index, the
    /// member, the value and what is allowed.
    #[error("bad graph-operation record: {0}")]
    BadOperation(#[from] DocumentError),
    /// An event no mapping applies to, or with a field its mapping cannot take: the message names the mapping, the
    /// event field (a dotted path) and its value.
    #[error("event not mapped: {0}")]
    MappingMismatch(#[from] EventError),
    /// Neptune Streams change records that cannot be read: the message names the change (eventId or index), the
    /// field, the value and what is allowed.
    #[error("bad change record: {0}")]
    BadChangeRecord(#[from] ChangeError),
    /// A graph operation the configured query language cannot store.
    #[error("operation {index}: {reason}")]
    Unwritable {
        /// The operation's index in the record, from 0.
        index: usize,
        /// What the language refuses, and what to send instead.
        reason: Unwritable,
    },
    /// The store refused this record on its own with a non-retryable error (e.g. a malformed query).
    #[error("the graph store refused the record: {message}")]
    StoreRefused {
        /// The store's error.
        message: String,
    },
}

impl RejectReason {
    /// A stable machine-readable code for the reason (used in rejects and logs).
    pub fn code(&self) -> &'static str {
        match self {
            RejectReason::Oversize { .. } => "Oversize",
            RejectReason::NotUtf8 { .. } => "NotUtf8",
            RejectReason::WrongColumnCount { .. } => "WrongColumnCount",
            RejectReason::EmptyId { .. } => "EmptyId",
            RejectReason::BadDate { .. } => "BadDate",
            RejectReason::BadJson { .. } => "BadJson",
            RejectReason::CorruptedAggregate(_) => "CorruptedAggregate",
            RejectReason::BadOperation(_) => "BadOperation",
            RejectReason::MappingMismatch(_) => "MappingMismatch",
            RejectReason::BadChangeRecord(_) => "BadChangeRecord",
            RejectReason::Unwritable { .. } => "Unwritable",
            RejectReason::StoreRefused { .. } => "StoreRefused",
        }
    }
}

/// Decodes one record body (already base64-decoded by aws_lambda_events) in whichever form it is (see the module
/// docs): through `mappings` when the stack maps events (RECORD_FORMAT=mapping); `writable` is the configured
/// language's check of one graph operation.
pub fn decode_record(
    data: &[u8],
    max_bytes: usize,
    mappings: Option<&Mappings>,
    writable: impl Fn(&Operation) -> Result<(), Unwritable>,
) -> Result<Write, RejectReason> {
    let body = body(data, max_bytes)?;
    if let Some(mappings) = mappings {
        return writable_operations(mappings.apply(body)?, writable);
    }
    let operations = match body.as_bytes().first() {
        Some(b'{') => {
            let members: Members =
                serde_json::from_str(body).map_err(|e| bad_json(e.to_string()))?;
            match members.0.iter().find(|(name, _)| name == "op") {
                Some((_, op)) if change::is_change_op(op.get()) => return changes(body, writable),
                Some(_) => stream2neptune_graph::document::decode_object(members)?,
                // A stream API response: `records` is an array (a follows property never is).
                None if members
                    .0
                    .iter()
                    .any(|(name, value)| name == "records" && value.get().starts_with('[')) =>
                {
                    return changes(body, writable);
                }
                None => return parse_json(members.0).map(Write::follows),
            }
        }
        Some(b'[') => match stream2neptune_graph::decode(body) {
            Ok(operations) => operations,
            // Not graph operations: change records, when the first item is one.
            Err(_) if change::is_changes(body) => return changes(body, writable),
            // Not JSON: a CSV record whose first id starts with `[`, or else a broken document.
            Err(not_json @ DocumentError::NotJson { .. }) => {
                return parse_csv(body)
                    .map(Write::follows)
                    .map_err(|_| not_json.into());
            }
            Err(err) => return Err(err.into()),
        },
        _ => return parse_csv(body).map(Write::follows),
    };
    writable_operations(operations, writable)
}

/// The write of change records: their operations, each one the configured language can store, or their quads.
fn changes(
    body: &str,
    writable: impl Fn(&Operation) -> Result<(), Unwritable>,
) -> Result<Write, RejectReason> {
    match change::decode(body)? {
        Replay::Operations(operations) => writable_operations(operations, writable),
        Replay::Quads(quads) => Ok(Write::Quads(quads)),
    }
}

/// The operations of a record, each one the configured language can store.
fn writable_operations(
    operations: Vec<Operation>,
    writable: impl Fn(&Operation) -> Result<(), Unwritable>,
) -> Result<Write, RejectReason> {
    for (index, operation) in operations.iter().enumerate() {
        writable(operation).map_err(|reason| RejectReason::Unwritable { index, reason })?;
    }
    Ok(Write::Operations(operations))
}

/// Decodes one record body in the `follows` form (CSV, or JSON when it starts with `{`).
pub fn parse_record(data: &[u8], max_bytes: usize) -> Result<Edge, RejectReason> {
    let body = body(data, max_bytes)?;
    if body.starts_with('{') {
        let Members(members) = serde_json::from_str(body).map_err(|e| bad_json(e.to_string()))?;
        parse_json(members)
    } else {
        parse_csv(body)
    }
}

/// The text of a record body within the size limit, without a byte-order mark and surrounding white space.
fn body(data: &[u8], max_bytes: usize) -> Result<&str, RejectReason> {
    if data.len() > max_bytes {
        return Err(RejectReason::Oversize {
            size: data.len(),
            limit: max_bytes,
        });
    }
    let text = std::str::from_utf8(data).map_err(|e| RejectReason::NotUtf8 {
        valid_up_to: e.valid_up_to(),
    })?;
    Ok(text.trim_start_matches('\u{feff}').trim())
}

fn parse_csv(body: &str) -> Result<Edge, RejectReason> {
    let mut fields = body.split(',');
    let (Some(from), Some(to), Some(date), None) =
        (fields.next(), fields.next(), fields.next(), fields.next())
    else {
        return Err(RejectReason::WrongColumnCount {
            found: body.split(',').count(),
        });
    };
    Ok(Edge {
        from: non_empty_id("from", clean_csv_field(from))?,
        to: non_empty_id("to", clean_csv_field(to))?,
        created: parse_date(clean_csv_field(date))?,
        properties: Vec::new(),
    })
}

// Same clean-up as the sample's driver: trim and drop the surrounding double quotes.
fn clean_csv_field(field: &str) -> &str {
    let field = field.trim();
    field
        .strip_prefix('"')
        .and_then(|f| f.strip_suffix('"'))
        .unwrap_or(field)
}

fn non_empty_id(field: &'static str, value: &str) -> Result<String, RejectReason> {
    if value.trim().is_empty() {
        Err(RejectReason::EmptyId { field })
    } else {
        Ok(value.to_owned())
    }
}

/// The `follows` edge of a JSON record's members.
fn parse_json(members: Vec<(String, &serde_json::value::RawValue)>) -> Result<Edge, RejectReason> {
    let mut seen = std::collections::HashSet::with_capacity(members.len());
    for (name, _) in &members {
        if !seen.insert(name.as_str()) {
            return Err(bad_json(format!(
                "member `{name}` is given twice; a record names each member once"
            )));
        }
    }
    if seen.contains("created") && seen.contains("creationDate") {
        return Err(bad_json(
            "both `created` and `creationDate` are given; send one of them".into(),
        ));
    }
    let mut from = None;
    let mut to = None;
    let mut created = None;
    let mut properties = Vec::new();
    for (key, value) in members {
        match key.as_str() {
            "from" => from = Some(json_id("from", value)?),
            "to" => to = Some(json_id("to", value)?),
            "created" | "creationDate" => {
                let Ok(text) = serde_json::from_str::<String>(value.get()) else {
                    return Err(bad_json(format!(
                        "`{key}` must be a string date, got {}",
                        excerpt(value.get())
                    )));
                };
                created = Some(parse_date(text.trim())?);
            }
            _ => {
                if key.is_empty() {
                    return Err(bad_json("a property name is empty".into()));
                }
                if key.starts_with('~') {
                    return Err(bad_json(format!(
                        "property name `{key}` starts with `~`, which Neptune and TinkerPop keep for ids, labels and edge ends (~id, ~label, ~from, ~to); rename the property"
                    )));
                }
                let value = property_value(&key, value.get())?;
                properties.push((key, value));
            }
        }
    }
    properties.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(Edge {
        from: from.ok_or(RejectReason::EmptyId { field: "from" })?,
        to: to.ok_or(RejectReason::EmptyId { field: "to" })?,
        created: created.ok_or_else(|| RejectReason::BadJson {
            message: "missing `created` (or `creationDate`)".into(),
        })?,
        properties,
    })
}

fn bad_json(message: String) -> RejectReason {
    RejectReason::BadJson { message }
}

fn property_value(key: &str, text: &str) -> Result<PropertyValue, RejectReason> {
    match text.as_bytes()[0] {
        b'"' => serde_json::from_str(text)
            .map(PropertyValue::Text)
            .map_err(|e| bad_json(e.to_string())),
        b't' | b'f' => Ok(PropertyValue::Bool(text == "true")),
        b'-' | b'0'..=b'9' if is_integer_text(text) => text.parse().map(PropertyValue::Integer).map_err(|_| {
            bad_json(format!(
                "property `{key}` = {} does not fit a 64-bit integer (Neptune's Long, from -9223372036854775808 to 9223372036854775807); send it as a string to keep it exact",
                excerpt(text)
            ))
        }),
        b'-' | b'0'..=b'9' => match text.parse::<f64>() {
            Ok(x) if x.is_finite() => Ok(PropertyValue::Float(x)),
            _ => Err(bad_json(format!("property `{key}` is not a finite number"))),
        },
        _ => Err(bad_json(format!(
            "property `{key}` must be a string, number or boolean, got {}",
            excerpt(text)
        ))),
    }
}

/// A vertex id from a JSON member: a non-empty string, or a whole number kept as its decimal text at any length
/// (two ids that differ past a double's 17 digits stay two ids).
fn json_id(
    field: &'static str,
    value: &serde_json::value::RawValue,
) -> Result<String, RejectReason> {
    let text = value.get();
    match text.as_bytes()[0] {
        b'"' => {
            let id: String = serde_json::from_str(text).map_err(|e| bad_json(e.to_string()))?;
            non_empty_id(field, &id).map(|_| id)
        }
        b'-' | b'0'..=b'9' if is_integer_text(text) => Ok(text.to_owned()),
        b'-' | b'0'..=b'9' => Err(bad_json(format!(
            "`{field}` is the number {}, which is not whole; a numeric id must be a whole number (send other ids as strings)",
            excerpt(text)
        ))),
        _ => Err(bad_json(format!(
            "`{field}` must be a string or a number, got {}",
            excerpt(text)
        ))),
    }
}

/// Validates a creation date in one of the accepted forms (see the module docs).
pub fn parse_date(text: &str) -> Result<CreationDate, RejectReason> {
    match date_kind(text) {
        Some(kind) => Ok(CreationDate {
            text: text.to_owned(),
            kind,
        }),
        None => Err(RejectReason::BadDate {
            value: text.chars().take(64).collect(),
        }),
    }
}

impl fmt::Display for PropertyValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PropertyValue::Text(s) => f.write_str(s),
            PropertyValue::Integer(i) => write!(f, "{i}"),
            PropertyValue::Float(x) => write!(f, "{x:?}"),
            PropertyValue::Bool(b) => write!(f, "{b}"),
        }
    }
}

/// An edge without properties created on `date`, for the unit tests of the query builders.
#[cfg(test)]
pub(crate) fn test_edge(from: &str, to: &str, date: &str) -> Edge {
    Edge {
        from: from.into(),
        to: to.into(),
        created: parse_date(date).expect("a valid test date"),
        properties: Vec::new(),
    }
}

/// The graph operations of `edges`, as their records decode.
#[cfg(test)]
pub(crate) fn test_operations(edges: &[Edge]) -> Vec<Operation> {
    edges.iter().cloned().map(Edge::into_operation).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAX: usize = 1024;

    #[test]
    fn csv_sample_form_is_accepted() {
        let edge = parse_record(b"1234,5678,2016-05-21\n", MAX).unwrap();
        assert_eq!(edge.from, "1234");
        assert_eq!(edge.to, "5678");
        assert_eq!(edge.created.text, "2016-05-21");
        assert_eq!(edge.created.kind, DateKind::Date);
        assert!(edge.properties.is_empty());
    }

    #[test]
    fn csv_fields_are_trimmed_and_unquoted() {
        let edge = parse_record(br#" "a b" , "c",  "2016-05-21T10:11:12Z" "#, MAX).unwrap();
        assert_eq!((edge.from.as_str(), edge.to.as_str()), ("a b", "c"));
        assert_eq!(edge.created.text, "2016-05-21T10:11:12Z");
        assert_eq!(edge.created.kind, DateKind::DateTime);
    }

    #[test]
    fn json_form_with_properties_is_accepted() {
        let edge = parse_record(
            br#"{"from":"a","to":7,"created":"2020-02-29","weight":0.5,"n":3,"ok":true,"via":"app"}"#,
            MAX,
        )
        .unwrap();
        assert_eq!(edge.from, "a");
        assert_eq!(edge.to, "7");
        assert_eq!(
            edge.properties,
            vec![
                ("n".into(), PropertyValue::Integer(3)),
                ("ok".into(), PropertyValue::Bool(true)),
                ("via".into(), PropertyValue::Text("app".into())),
                ("weight".into(), PropertyValue::Float(0.5)),
            ]
        );
        let alias = parse_record(br#"{"from":"a","to":"b","creationDate":"2020-01-01"}"#, MAX);
        assert_eq!(alias.unwrap().created.text, "2020-01-01");
    }

    fn json_reject(body: &str) -> String {
        match parse_record(body.as_bytes(), MAX) {
            Err(RejectReason::BadJson { message }) => message,
            other => panic!("{body}: {other:?}"),
        }
    }

    #[test]
    fn numeric_ids_are_kept_as_their_digits_at_any_length() {
        let one = r#"{"from": 123456789012345678901 , "to": -5, "created": "2020-01-01"}"#;
        let two = r#"{"from": 123456789012345678902, "to": -5, "created": "2020-01-01"}"#;
        let (one, two) = (
            parse_record(one.as_bytes(), MAX).unwrap(),
            parse_record(two.as_bytes(), MAX).unwrap(),
        );
        assert_eq!(
            (one.from.as_str(), one.to.as_str()),
            ("123456789012345678901", "-5")
        );
        assert_eq!(two.from, "123456789012345678902");
        assert_eq!(
            json_reject(r#"{"from": 1.5, "to": "b", "created": "2020-01-01"}"#),
            "`from` is the number 1.5, which is not whole; a numeric id must be a whole number (send other ids as strings)"
        );
        assert_eq!(
            json_reject(r#"{"from": "a", "to": 1e3, "created": "2020-01-01"}"#),
            "`to` is the number 1e3, which is not whole; a numeric id must be a whole number (send other ids as strings)"
        );
        assert_eq!(
            json_reject(r#"{"from": null, "to": "b", "created": "2020-01-01"}"#),
            "`from` must be a string or a number, got null"
        );
    }

    #[test]
    fn an_integer_property_is_exact_or_refused() {
        let edge = parse_record(
            br#"{"from":"a","to":"b","created":"2020-01-01","max":9223372036854775807,"min":-9223372036854775808}"#,
            MAX,
        )
        .unwrap();
        assert_eq!(
            edge.properties,
            vec![
                ("max".into(), PropertyValue::Integer(i64::MAX)),
                ("min".into(), PropertyValue::Integer(i64::MIN)),
            ]
        );
        assert_eq!(
            json_reject(r#"{"from":"a","to":"b","created":"2020-01-01","n":18446744073709551615}"#),
            "property `n` = 18446744073709551615 does not fit a 64-bit integer (Neptune's Long, from -9223372036854775808 to 9223372036854775807); send it as a string to keep it exact"
        );
        assert_eq!(
            json_reject(r#"{"from":"a","to":"b","created":"2020-01-01","x":1e999}"#),
            "property `x` is not a finite number"
        );
        assert_eq!(
            json_reject(r#"{"from":"a","to":"b","created":"2020-01-01","x":[1]}"#),
            "property `x` must be a string, number or boolean, got [1]"
        );
    }

    #[test]
    fn a_member_given_twice_or_both_date_names_are_refused() {
        assert_eq!(
            json_reject(r#"{"from":"a","to":"b","from":"c","created":"2020-01-01"}"#),
            "member `from` is given twice; a record names each member once"
        );
        // Escapes name the same member.
        assert_eq!(
            json_reject(r#"{"from":"a","to":"b","created":"2020-01-01","w":1,"\u0077":2}"#),
            "member `w` is given twice; a record names each member once"
        );
        assert_eq!(
            json_reject(
                r#"{"from":"a","to":"b","created":"2020-01-01","creationDate":"2021-01-01"}"#
            ),
            "both `created` and `creationDate` are given; send one of them"
        );
    }

    #[test]
    fn reserved_property_names_are_refused() {
        for name in ["~id", "~label", "~from", "~to", "~x"] {
            assert_eq!(
                json_reject(&format!(
                    r#"{{"from":"a","to":"b","created":"2020-01-01","{name}":"v"}}"#
                )),
                format!(
                    "property name `{name}` starts with `~`, which Neptune and TinkerPop keep for ids, labels and edge ends (~id, ~label, ~from, ~to); rename the property"
                )
            );
        }
    }

    #[test]
    fn every_accepted_date_form() {
        for ok in [
            "2016-05-21",
            "2016-05-21T10:11",
            "2016-05-21T10:11:12",
            "2016-05-21 10:11:12",
            "2016-05-21T10:11:12.123",
            "2016-05-21T10:11:12.123456789Z",
            "2016-05-21T10:11:12+02:00",
            "2016-05-21T10:11:12-0530",
            "2016-05-21T10:11Z",
        ] {
            assert!(parse_date(ok).is_ok(), "{ok} should be accepted");
        }
    }

    #[test]
    fn every_rejected_date_form() {
        for bad in [
            "",
            "yesterday",
            "2016/05/21",
            "2016-5-21",
            "2016-02-30",
            "2016-13-01",
            "2016-05-21T",
            "2016-05-21T25:00",
            "2016-05-21T10:61",
            "2016-05-21T10:11:12.",
            "2016-05-21T10:11:12+2",
            "2016-05-21T10:11:12 UTC",
            "2016-05-21x",
            "１２３４-05-21",
        ] {
            assert!(
                matches!(parse_date(bad), Err(RejectReason::BadDate { .. })),
                "{bad:?} should be rejected"
            );
        }
    }

    #[test]
    fn every_rejected_record_form() {
        let cases: &[(&[u8], &str)] = &[
            (b"\xff\xfe,b,2016-01-01", "NotUtf8"),
            (b"a,b", "WrongColumnCount"),
            (b"a,b,2016-01-01,extra", "WrongColumnCount"),
            (b"", "WrongColumnCount"),
            (b" ,b,2016-01-01", "EmptyId"),
            (b"a,\"\",2016-01-01", "EmptyId"),
            (b"a,b,not-a-date", "BadDate"),
            (br#"{"from":"a","to":"b"}"#, "BadJson"),
            (br#"{"from":"a","to":"b","created":"2016-01-01""#, "BadJson"),
            (br#"{"from":"","to":"b","created":"2016-01-01"}"#, "EmptyId"),
            (br#"{"to":"b","created":"2016-01-01"}"#, "EmptyId"),
            (
                br#"{"from":null,"to":"b","created":"2016-01-01"}"#,
                "BadJson",
            ),
            (
                br#"{"from":"a","to":"b","created":"2016-01-01","x":[1]}"#,
                "BadJson",
            ),
            (
                br#"{"from":"a","to":"b","created":"2016-01-01","":1}"#,
                "BadJson",
            ),
            (br#"{"from":"a","to":"b","created":20160101}"#, "BadJson"),
            (
                br#"{"from":"a","to":"b","created":"01/01/2016"}"#,
                "BadDate",
            ),
            (br#"["a","b"]"#, "WrongColumnCount"),
        ];
        for (data, code) in cases {
            let err = parse_record(data, MAX).expect_err(&String::from_utf8_lossy(data));
            assert_eq!(
                err.code(),
                *code,
                "{:?}: {err}",
                String::from_utf8_lossy(data)
            );
        }
    }

    /// [`decode_record`] for a language that stores every operation.
    fn decode_any(body: &str) -> Result<Write, RejectReason> {
        decode_record(body.as_bytes(), MAX, None, |_| Ok(()))
    }

    #[test]
    fn an_array_or_an_object_with_op_is_a_graph_operation_document() {
        let one = r#"{"op":"upsertVertex","id":"d1","label":"device","properties":{"n":1}}"#;
        let Ok(Write::Operations(operations)) = decode_any(one) else {
            panic!("{one}: {:?}", decode_any(one));
        };
        assert_eq!(operations, stream2neptune_graph::decode(one).unwrap());
        // Surrounding white space and a byte-order mark are no part of the document.
        let array = "\u{feff} [{\"op\":\"deleteVertex\",\"id\":\"a\"},{\"op\":\"deleteEdge\",\"id\":\"e\"}]\n";
        assert!(matches!(decode_any(array), Ok(Write::Operations(ops)) if ops.len() == 2));
        // `op` decides wherever it stands among the members.
        let last = r#"{"id":"a","op":"deleteVertex"}"#;
        assert!(matches!(decode_any(last), Ok(Write::Operations(_))));
    }

    #[test]
    fn everything_else_is_the_follows_form_as_before() {
        for body in [
            "1234,5678,2016-05-21",
            r#"{"from":"a","to":"b","created":"2016-05-21","weight":2}"#,
            r#" "[a]",b,2016-05-21"#,
            "[a],b,2016-05-21",
        ] {
            assert_eq!(
                decode_any(body),
                parse_record(body.as_bytes(), MAX).map(Write::follows),
                "{body}"
            );
            assert!(matches!(decode_any(body), Ok(Write::Follows(_))), "{body}");
        }
        // A broken follows record keeps its follows reason.
        for (body, code) in [
            (r#"{"from":"a","to":"b""#, "BadJson"),
            (r#"{"from":"a","to":"b"}"#, "BadJson"),
            ("a,b", "WrongColumnCount"),
        ] {
            assert_eq!(decode_any(body).unwrap_err().code(), code, "{body}");
        }
    }

    #[test]
    fn change_records_are_told_from_documents_by_op_and_refused_naming_the_change() {
        let vertex = r#"{"eventId":{"commitNum":5,"opNum":1},"op":"ADD","data":{"id":"p","type":"vl","key":"label","value":{"value":"Person","dataType":"String"}}}"#;
        for body in [
            vertex.to_owned(),
            format!("[{vertex}]"),
            format!(r#"{{"format":"PG_JSON","records":[{vertex}]}}"#),
        ] {
            assert_eq!(
                decode_any(&body),
                Ok(match change::decode(vertex).unwrap() {
                    Replay::Operations(operations) => Write::Operations(operations),
                    Replay::Quads(quads) => Write::Quads(quads),
                }),
                "{body}"
            );
        }
        let bad = vertex.replace("String", "Char");
        let err = decode_any(&format!("[{bad}]")).unwrap_err();
        assert_eq!(err.code(), "BadChangeRecord");
        assert!(
            err.to_string().starts_with(
                "bad change record: change eventId 5/1: `data.value.dataType` = \"Char\""
            ),
            "{err}"
        );
        // A follows edge with a property named `records` stays a follows edge.
        let follows = r#"{"from":"a","to":"b","created":"2016-05-21","records":5}"#;
        assert!(
            matches!(decode_any(follows), Ok(Write::Follows(_))),
            "{follows}"
        );
        // A graph-operation document keeps its own messages.
        let err = decode_any(r#"[{"op":"merge","id":"a"}]"#).unwrap_err();
        assert_eq!(err.code(), "BadOperation");
    }

    #[test]
    fn a_malformed_document_is_rejected_with_the_decoders_message() {
        for (body, names) in [
            (
                r#"{"op":"upsertVertex","label":"x"}"#,
                "member `id` is missing",
            ),
            (
                r#"{"op":"merge","id":"a"}"#,
                "`op` = \"merge\" is not allowed",
            ),
            (
                r#"[{"op":"deleteVertex","id":"a"},{"op":"deleteEdge"}]"#,
                "operation 1 (deleteEdge)",
            ),
            (r#"["a","b"]"#, "item 0 is \"a\""),
            ("[]", "an empty array"),
            (r#"[{"op":"deleteVertex","id":"a"}"#, "not JSON"),
            (
                r#"{"op":"deleteVertex","id":"a","op":"deleteEdge"}"#,
                "`op` is given twice",
            ),
        ] {
            let err = decode_any(body).unwrap_err();
            assert_eq!(err.code(), "BadOperation", "{body}: {err}");
            assert!(err.to_string().contains(names), "{body}: {err}");
        }
    }

    #[test]
    fn an_operation_the_language_cannot_store_is_rejected_naming_its_index() {
        let refuse_dates = |operation: &Operation| match operation {
            Operation::UpsertVertex(v) if v.properties.iter().any(|p| p.name == "d") => {
                Err(Unwritable {
                    language: "test",
                    operation: operation.name(),
                    element: v.id.clone(),
                    field: "property \"d\"".into(),
                    reason: "no dates here".into(),
                })
            }
            _ => Ok(()),
        };
        let body = r#"[{"op":"upsertVertex","id":"a","label":"l"},
                       {"op":"upsertVertex","id":"b","label":"l","properties":{"d":{"date":"2024-01-02"}}}]"#;
        let err = decode_record(body.as_bytes(), MAX, None, refuse_dates).unwrap_err();
        assert_eq!(err.code(), "Unwritable");
        assert_eq!(
            err.to_string(),
            "operation 1: test cannot write upsertVertex of \"b\": property \"d\": no dates here"
        );
        // Follows records are not graph operations: the check does not apply to them.
        assert!(
            decode_record(b"a,b,2016-05-21", MAX, None, |_| Err(refuse_dates(
                &stream2neptune_graph::decode(body).unwrap()[1]
            )
            .unwrap_err()))
            .is_ok()
        );
    }

    #[test]
    fn with_mappings_every_record_is_an_event_through_the_first_mapping_that_applies() {
        let mappings = Mappings::compile(
            r#"[{"name":"users","pattern":"(:User{!id, name})","when":{"type":"user"}}]"#,
        )
        .unwrap();
        let decode = |body: &[u8]| decode_record(body, MAX, Some(&mappings), |_| Ok(()));
        let Ok(Write::Operations(ops)) = decode(br#" {"type":"user","id":"u1","name":"Ann"} "#)
        else {
            panic!()
        };
        assert_eq!(ops[0].element_id(), "User:u1");
        // A graph-operation document or a follows edge is an event like any other here.
        let err = decode(br#"{"op":"deleteVertex","id":"a"}"#).unwrap_err();
        assert_eq!(err.code(), "MappingMismatch");
        assert_eq!(
            err.to_string(),
            "event not mapped: no mapping applies to the event (tried `users` when type = \"user\"); add a mapping whose `when` matches it, or send it to another stream"
        );
        let err = decode(br#"{"type":"user","id":1.5}"#).unwrap_err();
        assert_eq!(
            err.to_string(),
            "event not mapped: mapping `users`: event field `id` = 1.5 is not allowed; a key of `User` is a non-empty string or an integer"
        );
        assert_eq!(
            decode(b"a,b,2016-05-21").unwrap_err().code(),
            "MappingMismatch"
        );
        // The size and encoding checks come first, as for every form.
        assert_eq!(decode(b"{\xff}").unwrap_err().code(), "NotUtf8");
        // And the language's check of each operation.
        let err = decode_record(
            br#"{"type":"user","id":"u1"}"#,
            MAX,
            Some(&mappings),
            |op| {
                Err(Unwritable {
                    language: "test",
                    operation: op.name(),
                    element: op.element_id().into(),
                    field: "label".into(),
                    reason: "no".into(),
                })
            },
        )
        .unwrap_err();
        assert_eq!(err.code(), "Unwritable");
    }

    #[test]
    fn size_and_encoding_are_checked_before_the_form() {
        let big = format!(r#"{{"op":"deleteVertex","id":"{}"}}"#, "a".repeat(MAX));
        assert_eq!(decode_any(&big).unwrap_err().code(), "Oversize");
        let err = decode_record(b"[\xff]", MAX, None, |_| Ok(())).unwrap_err();
        assert_eq!(err.code(), "NotUtf8");
    }

    #[test]
    fn oversize_is_checked_before_decoding() {
        let big = vec![b'a'; 65];
        let err = parse_record(&big, 64).unwrap_err();
        assert_eq!(
            err,
            RejectReason::Oversize {
                size: 65,
                limit: 64
            }
        );
        assert!(err.to_string().contains("MAX_RECORD_BYTES"));
    }
}
