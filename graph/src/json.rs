//! Reading JSON records exactly: an object's members in the order written with a repeated name kept (so it can be
//! refused), each value as its JSON text (so a number is read from its digits rather than through a double).

use std::fmt;

use serde_json::value::RawValue;

/// A JSON object's members in the order written, a repeated name kept (serde's maps keep only the last), each value
/// as its JSON text.
pub struct Members(pub Vec<(String, Box<RawValue>)>);

impl<'de> serde::Deserialize<'de> for Members {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = Members;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Members, A::Error> {
                let mut members = Vec::with_capacity(map.size_hint().unwrap_or(4));
                while let Some(member) = map.next_entry()? {
                    members.push(member);
                }
                Ok(Members(members))
            }
        }
        deserializer.deserialize_map(Visitor)
    }
}

impl Members {
    /// The first name given more than once, if any.
    pub fn repeated(&self) -> Option<&str> {
        let mut seen = std::collections::HashSet::with_capacity(self.0.len());
        self.0
            .iter()
            .map(|(name, _)| name.as_str())
            .find(|name| !seen.insert(*name))
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
    }
}
