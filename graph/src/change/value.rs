//! A PG_JSON change's `value` (`{"value": ..., "dataType": ...}`) as a graph [`Value`]: the table of the data
//! types read ([`DATA_TYPES`]), each with the JSON forms its value may take.

use crate::date::{DateKind, date_kind};
use crate::json::{is_integer_text, string};
use crate::operation::Value;

/// What a data type becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A string.
    String,
    /// A boolean (JSON `true`/`false`, or the string `"true"`/`"false"`).
    Boolean,
    /// An integer (a JSON whole number, or a string of one) that fits 64 bits: Neptune's Long.
    Integer,
    /// A finite double (a JSON number, or a string of one).
    Double,
    /// A date or a date-time: an ISO-8601 string (the forms of [`crate::date`]) or milliseconds since the epoch
    /// (Gremlin's `Date` is an instant), which becomes a UTC date-time.
    Date,
}

/// The `dataType` names read, and what each becomes. Any other is refused naming the change.
pub const DATA_TYPES: &[(&str, Kind)] = &[
    ("String", Kind::String),
    ("Boolean", Kind::Boolean),
    ("Byte", Kind::Integer),
    ("Short", Kind::Integer),
    ("Integer", Kind::Integer),
    ("Long", Kind::Integer),
    ("Float", Kind::Double),
    ("Double", Kind::Double),
    ("Date", Kind::Date),
];

/// The allowed `dataType` names, for messages.
pub fn allowed_data_types() -> String {
    let names: Vec<&str> = DATA_TYPES.iter().map(|(name, _)| *name).collect();
    format!("one of {}", names.join(", "))
}

/// The [`Kind`] of a `dataType`, if it is one read.
pub fn kind(data_type: &str) -> Option<Kind> {
    DATA_TYPES
        .iter()
        .find(|(name, _)| *name == data_type)
        .map(|(_, kind)| *kind)
}

/// A value's JSON text read as `kind`, or what is allowed instead.
pub fn read(kind: Kind, json: &str) -> Result<Value, &'static str> {
    let text = string(json);
    let number = !json.starts_with('"');
    match kind {
        Kind::String => text.map(Value::String).ok_or("a JSON string"),
        Kind::Boolean => match (json, text.as_deref()) {
            ("true", _) | (_, Some("true")) => Ok(Value::Boolean(true)),
            ("false", _) | (_, Some("false")) => Ok(Value::Boolean(false)),
            _ => Err("true or false"),
        },
        Kind::Integer => {
            let digits = if number { Some(json) } else { text.as_deref() };
            digits
                .filter(|d| is_integer_text(d))
                .and_then(|d| d.parse().ok())
                .map(Value::Integer)
                .ok_or("a whole number from -9223372036854775808 to 9223372036854775807 (Neptune's Long)")
        }
        Kind::Double => {
            let digits = if number { Some(json) } else { text.as_deref() };
            match digits.and_then(|d| d.parse::<f64>().ok()) {
                Some(x) if x.is_finite() => Ok(Value::Double(x)),
                _ => Err("a finite number"),
            }
        }
        Kind::Date => {
            const ALLOWED: &str = "a date YYYY-MM-DD, a date-time YYYY-MM-DDTHH:MM[:SS[.fraction]][Z|±HH:MM] or milliseconds since the epoch";
            match text {
                Some(t) => match date_kind(&t) {
                    Some(DateKind::Date) => Ok(Value::Date(t)),
                    Some(DateKind::DateTime) => Ok(Value::DateTime(t)),
                    None => Err(ALLOWED),
                },
                None if is_integer_text(json) => json
                    .parse()
                    .ok()
                    .and_then(chrono::DateTime::from_timestamp_millis)
                    .map(|t| Value::DateTime(t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()))
                    .ok_or("milliseconds since the epoch within chrono's range"),
                None => Err(ALLOWED),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value as Json, json};

    #[test]
    fn every_data_type_row_reads_its_forms() {
        let rows: &[(&str, Json, Value)] = &[
            ("String", json!("a \"b\""), Value::String("a \"b\"".into())),
            ("Boolean", json!(true), Value::Boolean(true)),
            ("Boolean", json!("false"), Value::Boolean(false)),
            ("Byte", json!(-7), Value::Integer(-7)),
            ("Short", json!("300"), Value::Integer(300)),
            ("Integer", json!(2147483647), Value::Integer(2147483647)),
            (
                "Long",
                json!("9223372036854775807"),
                Value::Integer(i64::MAX),
            ),
            ("Float", json!(0.5), Value::Double(0.5)),
            ("Double", json!("-2.25"), Value::Double(-2.25)),
            ("Double", json!(3), Value::Double(3.0)),
            (
                "Date",
                json!("2024-05-01"),
                Value::Date("2024-05-01".into()),
            ),
            (
                "Date",
                json!("2024-05-01T10:11:12Z"),
                Value::DateTime("2024-05-01T10:11:12Z".into()),
            ),
            (
                "Date",
                json!(1714558272123_i64),
                Value::DateTime("2024-05-01T10:11:12.123Z".into()),
            ),
        ];
        for (data_type, value, expected) in rows {
            let kind = kind(data_type).unwrap_or_else(|| panic!("{data_type}"));
            assert_eq!(
                read(kind, &value.to_string()).as_ref(),
                Ok(expected),
                "{data_type} {value}"
            );
        }
        // Every row of the table is read by a case above.
        for (name, _) in DATA_TYPES {
            assert!(
                rows.iter().any(|(data_type, ..)| data_type == name),
                "{name}"
            );
        }
    }

    #[test]
    fn values_a_type_cannot_hold_are_refused() {
        for (data_type, value) in [
            ("String", json!(1)),
            ("Boolean", json!("yes")),
            ("Long", json!("9223372036854775808")),
            ("Integer", json!(1.5)),
            ("Double", json!("NaN")),
            ("Double", json!(null)),
            ("Date", json!("2024-13-01")),
            ("Date", json!(true)),
        ] {
            assert!(
                read(kind(data_type).unwrap(), &value.to_string()).is_err(),
                "{data_type} {value}"
            );
        }
        assert_eq!(kind("Character"), None);
        assert!(allowed_data_types().contains("Long"));
    }
}
