//! Finds a key written twice in one YAML mapping. serde's typed maps keep the last of two equal keys without a
//! word, while YAML says keys are unique: a doubled key in stack.yaml is a mistake to report with both lines.
//!
//! Keys are compared as YAML resolves them, from a YAML parser's events with their positions, so every spelling
//! counts: plain, quoted and escaped (`"Re\x67ion"` is `Region`), explicit (`? key`), flow mappings over several
//! lines, and aliases of an anchored scalar.

use std::collections::HashMap;

use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::Marker;

/// A key found twice in the same mapping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Duplicate {
    /// The key.
    pub key: String,
    /// Line of the first occurrence, 1-based.
    pub first: usize,
    /// Line of the second occurrence, 1-based.
    pub second: usize,
}

/// The text is not YAML this parser reads: its message, with line and column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unreadable(pub String);

/// The first duplicate key of `text`, if any.
pub fn first_duplicate(text: &str) -> Result<Option<Duplicate>, Unreadable> {
    let mut finder = Finder::default();
    Parser::new_from_str(text)
        .load(&mut finder, true)
        .map_err(|err| {
            let at = err.marker();
            Unreadable(format!(
                "{} at line {} column {}",
                err.info(),
                at.line(),
                at.col() + 1
            ))
        })?;
    Ok(finder.found)
}

/// An open collection: a mapping knows its keys (with their lines) and whether its next node is a key.
enum Open {
    Mapping {
        keys: HashMap<String, usize>,
        next_is_key: bool,
    },
    Sequence,
}

#[derive(Default)]
struct Finder {
    open: Vec<Open>,
    /// Scalars by anchor id, so that `*a` used as a key is compared as the text it stands for.
    anchored: HashMap<usize, String>,
    found: Option<Duplicate>,
}

impl Finder {
    /// A node (scalar, alias or a whole collection) has ended in the innermost open collection; `key` is its text
    /// when it is a scalar.
    fn node_done(&mut self, key: Option<String>, line: usize) {
        let Some(Open::Mapping { keys, next_is_key }) = self.open.last_mut() else {
            return;
        };
        if *next_is_key
            && let Some(key) = key
            && self.found.is_none()
        {
            if let Some(first) = keys.get(&key) {
                self.found = Some(Duplicate {
                    key,
                    first: *first,
                    second: line,
                });
            } else {
                keys.insert(key, line);
            }
        }
        *next_is_key = !*next_is_key;
    }
}

impl MarkedEventReceiver for Finder {
    fn on_event(&mut self, event: Event, mark: Marker) {
        match event {
            Event::Scalar(text, _, anchor, _) => {
                if anchor > 0 {
                    self.anchored.insert(anchor, text.clone());
                }
                self.node_done(Some(text), mark.line());
            }
            Event::Alias(anchor) => {
                let text = self.anchored.get(&anchor).cloned();
                self.node_done(text, mark.line());
            }
            Event::MappingStart(..) => self.open.push(Open::Mapping {
                keys: HashMap::new(),
                next_is_key: true,
            }),
            Event::SequenceStart(..) => self.open.push(Open::Sequence),
            Event::MappingEnd | Event::SequenceEnd => {
                self.open.pop();
                self.node_done(None, mark.line());
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dup(text: &str) -> Option<(String, usize, usize)> {
        first_duplicate(text)
            .expect("readable YAML")
            .map(|d| (d.key, d.first, d.second))
    }

    #[test]
    fn block_mappings() {
        assert_eq!(
            dup("defaults:\n  ShardCount: 4\n  BatchReadSize: 10\n  ShardCount: 8\n"),
            Some(("ShardCount".into(), 2, 4))
        );
        assert_eq!(
            dup("regions:\n  eu-west-1: {}\n  us-east-1:\n    A: 1\n  eu-west-1:\n    A: 2\n"),
            Some(("eu-west-1".into(), 2, 5))
        );
        // The same key in two different mappings is fine.
        assert_eq!(
            dup(
                "defaults:\n  A: 1 # A: 2\nregions:\n  eu-west-1:\n    A: 2\n  us-east-1:\n    A: 3\n"
            ),
            None
        );
        assert_eq!(dup("\"A\": 1\n'A': 2\n"), Some(("A".into(), 1, 2)));
        assert_eq!(dup("a: 'x: y'\nb: \"#: z\"\n"), None);
        // A value equal to a key is not a key.
        assert_eq!(dup("a: b\nb: a\n"), None);
    }

    #[test]
    fn sequences_start_new_mappings() {
        assert_eq!(dup("l:\n  - a: 1\n    b: 2\n  - a: 3\n"), None);
        assert_eq!(dup("l:\n  - a: 1\n    a: 2\n"), Some(("a".into(), 2, 3)));
    }

    #[test]
    fn flow_mappings() {
        assert_eq!(
            dup("defaults: {ShardCount: 1, ShardCount: 2}\n"),
            Some(("ShardCount".into(), 1, 1))
        );
        assert_eq!(
            dup("regions: {eu-west-1: {A: 1}, us-east-1: {A: [1, 2], B: 'x,y:'}}\n"),
            None
        );
    }

    #[test]
    fn every_spelling_of_a_key_is_the_key() {
        // Escaped in double quotes.
        assert_eq!(
            dup("defaults:\n  ShardCount: 1\n  \"Shard\\x43ount\": 2\n"),
            Some(("ShardCount".into(), 2, 3))
        );
        // Explicit keys.
        assert_eq!(
            dup("defaults:\n  ? ShardCount\n  : 1\n  ShardCount: 2\n"),
            Some(("ShardCount".into(), 2, 4))
        );
        // A flow mapping over several lines.
        assert_eq!(
            dup("defaults: {\n  ShardCount: 1,\n  ShardCount: 2\n}\n"),
            Some(("ShardCount".into(), 2, 3))
        );
        // An alias of an anchored scalar.
        assert_eq!(
            dup("names: [&k ShardCount]\ndefaults:\n  ShardCount: 1\n  *k : 2\n"),
            Some(("ShardCount".into(), 3, 4))
        );
        // Collections as keys are not compared, and the mapping goes on after them.
        assert_eq!(dup("? [a, b]\n: 1\nc: 2\nc: 3\n"), Some(("c".into(), 3, 4)));
    }

    #[test]
    fn unreadable_text_says_where() {
        let err = first_duplicate("a: [1, 2\n").unwrap_err();
        assert!(err.0.contains("line"), "{err:?}");
    }
}
