//! Reading JSON records exactly: an object's members in the order written with a repeated name kept (so it can be
//! refused), each value as its JSON text (so a number is read from its digits rather than through a double).

use std::fmt;

use serde_json::value::RawValue;

/// A JSON object's members in the order written, a repeated name kept (serde's maps keep only the last), each value
/// as its JSON text, borrowed from the text parsed (read it with `serde_json::from_str`).
pub struct Members<'a>(pub Vec<(String, &'a RawValue)>);

impl<'de: 'a, 'a> serde::Deserialize<'de> for Members<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> serde::de::Visitor<'de> for Visitor<'a> {
            type Value = Members<'a>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Members<'a>, A::Error> {
                let mut members = Vec::with_capacity(map.size_hint().unwrap_or(4));
                while let Some(member) = map.next_entry()? {
                    members.push(member);
                }
                Ok(Members(members))
            }
        }
        deserializer.deserialize_map(Visitor(std::marker::PhantomData))
    }
}

impl Members<'_> {
    /// The first name given more than once, if any.
    pub fn repeated(&self) -> Option<&str> {
        // Records' objects are small: comparing each name with the ones before beats hashing them.
        self.0
            .iter()
            .enumerate()
            .find(|(i, (name, _))| self.0[..*i].iter().any(|(before, _)| before == name))
            .map(|(_, (name, _))| name.as_str())
    }
}

/// The string a JSON value's text holds, or `None` when it is not a string. Text already checked as JSON (a
/// [`RawValue`]) without escapes is its own content.
pub fn string(text: &str) -> Option<String> {
    match text.as_bytes() {
        [b'"', inner @ .., b'"'] if !inner.contains(&b'\\') => {
            Some(text[1..text.len() - 1].to_owned())
        }
        [b'"', ..] => serde_json::from_str(text).ok(),
        _ => None,
    }
}

/// At most 64 characters of a text (a JSON value's, an id), for a message.
pub fn excerpt(text: &str) -> String {
    let mut short: String = text.chars().take(64).collect();
    if short.len() < text.len() {
        short.push_str("...");
    }
    short
}

/// Whether JSON number text is a whole number as written: an optional minus and digits, no fraction or exponent.
pub fn is_integer_text(text: &str) -> bool {
    let digits = text.strip_prefix('-').unwrap_or(text);
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_keep_order_repeats_and_raw_numbers() {
        let Members(members) =
            serde_json::from_str(r#"{"b": 123456789012345678901, "a": 1.50, "b": null}"#).unwrap();
        let texts: Vec<(&str, &str)> = members.iter().map(|(k, v)| (k.as_str(), v.get())).collect();
        assert_eq!(
            texts,
            [("b", "123456789012345678901"), ("a", "1.50"), ("b", "null")]
        );
        assert_eq!(Members(members).repeated(), Some("b"));
        assert!(is_integer_text("-12") && !is_integer_text("1e3") && !is_integer_text("-"));
        assert_eq!(excerpt(&"x".repeat(70)), format!("{}...", "x".repeat(64)));
        assert_eq!(string(r#""a\"b""#).as_deref(), Some("a\"b"));
        assert_eq!(string(r#""ü""#).as_deref(), Some("ü"));
        assert_eq!(string("7"), None);
    }
}
