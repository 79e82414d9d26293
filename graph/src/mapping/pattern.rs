//! The pattern of a mapping: which event fields make which vertex and edge, after the Neo4j Connector for Kafka's
//! pattern strategy, with one label per vertex and edge (Neptune's multi-label separator `::` is refused).
//!
//! ```text
//! pattern   := node | node edge node
//! node      := '(' ':' name '{' [selector (',' selector)*] '}' ')'
//! edge      := '-[' ':' name ['{' [selector (',' selector)*] '}'] ']->'      the first node is the start
//!            | '<-[' ':' name ['{' [selector (',' selector)*] '}'] ']-'      the second node is the start
//! selector  := '!' [name ':'] path        a key (part of the element's id, stored as a property too)
//!            | [name ':'] path            a property: `name: path` stores the field at `path` as `name`
//!            | '*'                        every top-level field not otherwise used
//!            | '-' name                   not this top-level field (with `*`, or with no property selected)
//! path      := name ('.' name)*           a dotted path into nested objects
//! name      := [A-Za-z0-9_]+ | '`' any characters but '`' '`'
//! ```
//!
//! White space may separate any two tokens. A vertex needs at least one key. In a relationship pattern the two
//! vertices take keys and named properties only (no `*`, no `-`), as the peer's do.

use crate::mapping::MappingError;

/// A parsed pattern: one vertex, or an edge between two.
#[derive(Debug, Clone, PartialEq)]
// Compiled once per stack and only borrowed afterwards: the size of a variant costs nothing.
#[allow(clippy::large_enum_variant)]
pub enum Pattern {
    /// `(:Label{...})`.
    Node(Element),
    /// `(:A{...})-[:L{...}]->(:B{...})`, normalised so `from` is the start of the edge.
    Relationship {
        /// The vertex the edge starts at.
        from: Element,
        /// The edge.
        edge: Element,
        /// The vertex the edge ends at.
        to: Element,
    },
}

/// One vertex or edge of a pattern.
#[derive(Debug, Clone, PartialEq)]
pub struct Element {
    /// Its label.
    pub label: String,
    /// Key fields, in pattern order.
    pub keys: Vec<Field>,
    /// Property fields, in pattern order.
    pub properties: Vec<Field>,
    /// The column of `*`, if written.
    pub all: Option<usize>,
    /// Top-level fields excluded with `-`, with their columns.
    pub excluded: Vec<(String, usize)>,
}

/// One selected field: the event's `path`, stored as property `name`.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    /// The property name.
    pub name: String,
    /// The path in the event.
    pub path: Vec<String>,
    /// The 1-based column of the selector in the pattern.
    pub column: usize,
}

impl Element {
    fn bare(label: String) -> Self {
        Element {
            label,
            keys: Vec::new(),
            properties: Vec::new(),
            all: None,
            excluded: Vec::new(),
        }
    }

    /// Whether every top-level field not otherwise used becomes a property: `*` written, or no property named
    /// (the peer's rule: with no explicit include, every field is included).
    pub fn takes_all(&self) -> bool {
        self.all.is_some() || self.properties.is_empty()
    }
}

impl Field {
    /// The path as written, dotted.
    pub fn dotted(&self) -> String {
        self.path.join(".")
    }
}

/// Parses `text`, the pattern of the mapping named `mapping` (which only names it in errors).
pub fn parse(mapping: &str, text: &str) -> Result<Pattern, MappingError> {
    let mut parser = Parser {
        mapping,
        chars: text.chars().collect(),
        at: 0,
    };
    let first = parser.node()?;
    parser.blank();
    if parser.at == parser.chars.len() {
        return Ok(Pattern::Node(first));
    }
    let (edge, forward) = parser.edge()?;
    let second = parser.node()?;
    parser.blank();
    if parser.at != parser.chars.len() {
        return Err(parser.error("the end of the pattern"));
    }
    for node in [&first, &second] {
        if let Some(column) = node
            .all
            .or(node.excluded.first().map(|(_, column)| *column))
        {
            return Err(MappingError::Pattern {
                mapping: mapping.to_owned(),
                column,
                problem: "the vertices of a relationship pattern take keys and named properties only (no `*`, no `-`)".into(),
            });
        }
    }
    let (from, to) = if forward {
        (first, second)
    } else {
        (second, first)
    };
    Ok(Pattern::Relationship { from, edge, to })
}

struct Parser<'a> {
    mapping: &'a str,
    chars: Vec<char>,
    at: usize,
}

impl Parser<'_> {
    fn error(&self, expected: &str) -> MappingError {
        let found = match self.chars.get(self.at) {
            Some('`') => "a backquote".to_owned(),
            Some(c) => format!("`{c}`"),
            None => "the end of the pattern".to_owned(),
        };
        MappingError::Pattern {
            mapping: self.mapping.to_owned(),
            column: self.at + 1,
            problem: format!("found {found}, expected {expected}"),
        }
    }

    fn blank(&mut self) {
        while self.chars.get(self.at).is_some_and(|c| c.is_whitespace()) {
            self.at += 1;
        }
    }

    fn peek(&mut self) -> Option<char> {
        self.blank();
        self.chars.get(self.at).copied()
    }

    fn eat(&mut self, c: char) -> bool {
        if self.peek() == Some(c) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    fn expect(&mut self, text: &str, expected: &str) -> Result<(), MappingError> {
        self.blank();
        for c in text.chars() {
            if self.chars.get(self.at) != Some(&c) {
                return Err(self.error(expected));
            }
            self.at += 1;
        }
        Ok(())
    }

    fn name(&mut self, what: &str) -> Result<String, MappingError> {
        self.blank();
        let start = self.at;
        if self.chars.get(self.at) == Some(&'`') {
            self.at += 1;
            let inner = self.at;
            while self.chars.get(self.at).is_some_and(|c| *c != '`') {
                self.at += 1;
            }
            if self.at == self.chars.len() {
                self.at = start;
                return Err(self.error(&format!("{what} whose closing '`' follows")));
            }
            let name: String = self.chars[inner..self.at].iter().collect();
            self.at += 1;
            if name.is_empty() {
                self.at = start;
                return Err(self.error(&format!("{what}, not empty")));
            }
            return Ok(name);
        }
        while self
            .chars
            .get(self.at)
            .is_some_and(|c| c.is_ascii_alphanumeric() || *c == '_')
        {
            self.at += 1;
        }
        if self.at == start {
            return Err(self.error(&format!(
                "{what}: letters, digits and `_`, or any text in backquotes"
            )));
        }
        Ok(self.chars[start..self.at].iter().collect())
    }

    fn label(&mut self) -> Result<String, MappingError> {
        self.expect(":", "`:` and a label")?;
        let start = self.at;
        let label = self.name("a label")?;
        if label.starts_with('~') || label.contains("::") {
            self.at = start;
            self.blank();
            return Err(MappingError::Pattern {
                mapping: self.mapping.to_owned(),
                column: self.at + 1,
                problem: format!(
                    "label `{label}` is not allowed: a label does not start with `~` (reserved) and has no `::` (Neptune's multi-label separator)"
                ),
            });
        }
        Ok(label)
    }

    fn node(&mut self) -> Result<Element, MappingError> {
        self.expect("(", "`(` starting a vertex `(:Label{!key, property})`")?;
        let label = self.label()?;
        self.expect("{", "`{` and the vertex's keys and properties")?;
        let element = self.selectors(label)?;
        self.expect(")", "`)` closing the vertex")?;
        if element.keys.is_empty() {
            return Err(MappingError::Pattern {
                mapping: self.mapping.to_owned(),
                column: self.at,
                problem: format!(
                    "vertex `{}` has no key; mark the field(s) that make its id with `!` (`!id` or `!id: userId`)",
                    element.label
                ),
            });
        }
        Ok(element)
    }

    /// The edge, and whether it points from the first vertex to the second.
    fn edge(&mut self) -> Result<(Element, bool), MappingError> {
        let forward = if self.eat('<') {
            self.expect("-[", "`-[` after `<`")?;
            false
        } else {
            self.expect("-[", "`-[:LABEL]->` or `<-[:LABEL]-` between two vertices")?;
            true
        };
        let label = self.label()?;
        let element = if self.eat('{') {
            self.selectors(label)?
        } else {
            Element::bare(label)
        };
        if forward {
            self.expect("]->", "`]->` closing the edge")?;
        } else {
            self.expect("]-", "`]-` closing the edge")?;
        }
        Ok((element, forward))
    }

    /// The selectors after `{`, through `}`.
    fn selectors(&mut self, label: String) -> Result<Element, MappingError> {
        let mut element = Element::bare(label);
        if self.eat('}') {
            return Ok(element);
        }
        loop {
            self.blank();
            let column = self.at + 1;
            if self.eat('*') {
                element.all = Some(column);
            } else if self.eat('-') {
                element
                    .excluded
                    .push((self.name("the field to exclude")?, column));
            } else {
                let key = self.eat('!');
                let first = self.name("a field name")?;
                let (name, path) = if self.eat(':') {
                    (first, self.path()?)
                } else {
                    let mut path = vec![first];
                    while self.eat('.') {
                        path.push(self.name("a field name after `.`")?);
                    }
                    (path.join("."), path)
                };
                if name.starts_with('~') {
                    return Err(MappingError::Pattern {
                        mapping: self.mapping.to_owned(),
                        column,
                        problem: format!(
                            "property name `{name}` is not allowed: it starts with `~` (reserved: ~id, ~label, ~from, ~to)"
                        ),
                    });
                }
                if element
                    .keys
                    .iter()
                    .chain(&element.properties)
                    .any(|f| f.name == name)
                {
                    return Err(MappingError::Pattern {
                        mapping: self.mapping.to_owned(),
                        column,
                        problem: format!(
                            "property `{name}` is selected twice in `{}`; select each property once",
                            element.label
                        ),
                    });
                }
                let field = Field { name, path, column };
                if key {
                    element.keys.push(field);
                } else {
                    element.properties.push(field);
                }
            }
            if self.eat('}') {
                return Ok(element);
            }
            self.expect(",", "`,` and another selector, or `}`")?;
        }
    }

    fn path(&mut self) -> Result<Vec<String>, MappingError> {
        let mut path = vec![self.name("a field name")?];
        while self.eat('.') {
            path.push(self.name("a field name after `.`")?);
        }
        Ok(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(name: &str, path: &str, column: usize) -> Field {
        Field {
            name: name.into(),
            path: path.split('.').map(str::to_owned).collect(),
            column,
        }
    }

    #[test]
    fn a_node_pattern_with_keys_renames_paths_and_exclusions() {
        let pattern = parse(
            "m",
            "(:User{!id: userId, name, city: address.city, *, -secret})",
        )
        .unwrap();
        let Pattern::Node(node) = pattern else {
            panic!("{pattern:?}")
        };
        assert_eq!(node.label, "User");
        assert_eq!(node.keys, [field("id", "userId", 8)]);
        assert_eq!(
            node.properties,
            [field("name", "name", 21), field("city", "address.city", 27)]
        );
        assert_eq!(node.all, Some(47));
        assert_eq!(node.excluded, [("secret".to_owned(), 50)]);
        assert!(node.takes_all());
        // A dotted path without a rename is stored under the path as written; backquotes take any name.
        let Pattern::Node(node) = parse("m", " ( :`my label` { !`the id` , a.b } ) ").unwrap()
        else {
            panic!()
        };
        assert_eq!(node.label, "my label");
        assert_eq!(node.keys[0].name, "the id");
        assert_eq!(node.properties, [field("a.b", "a.b", 30)]);
        assert!(!node.takes_all());
    }

    #[test]
    fn a_relationship_pattern_is_normalised_to_start_at_from() {
        let forward = parse(
            "m",
            "(:User{!id: uid})-[:LIVES_IN{since}]->(:City{!name: city})",
        )
        .unwrap();
        let backward = parse(
            "m",
            "(:City{!name: city})<-[:LIVES_IN{since}]-(:User{!id: uid})",
        )
        .unwrap();
        let (
            Pattern::Relationship { from, edge, to },
            Pattern::Relationship {
                from: f2, to: t2, ..
            },
        ) = (&forward, &backward)
        else {
            panic!("{forward:?}")
        };
        assert_eq!((from.label.as_str(), to.label.as_str()), ("User", "City"));
        assert_eq!((f2.label.as_str(), t2.label.as_str()), ("User", "City"));
        assert_eq!(edge.label, "LIVES_IN");
        assert_eq!(edge.properties[0].name, "since");
        // An edge with no braces takes every field the vertices do not use.
        let Pattern::Relationship { edge, .. } = parse("m", "(:A{!a})-[:R]->(:B{!b})").unwrap()
        else {
            panic!()
        };
        assert!(edge.keys.is_empty() && edge.takes_all());
    }

    /// Malformed patterns and the exact message of each: the mapping, the 1-based column, what was found and what
    /// is allowed.
    const REFUSED: &[(&str, &str)] = &[
        (
            "",
            "mapping `m`: pattern column 1: found the end of the pattern, expected `(` starting a vertex `(:Label{!key, property})`",
        ),
        (
            "(User{!id})",
            "mapping `m`: pattern column 2: found `U`, expected `:` and a label",
        ),
        (
            "(:User{!id}",
            "mapping `m`: pattern column 12: found the end of the pattern, expected `)` closing the vertex",
        ),
        (
            "(:User{name})",
            "mapping `m`: pattern column 13: vertex `User` has no key; mark the field(s) that make its id with `!` (`!id` or `!id: userId`)",
        ),
        (
            "(:User{!id name})",
            "mapping `m`: pattern column 12: found `n`, expected `,` and another selector, or `}`",
        ),
        (
            "(:User{!id, !id: x})",
            "mapping `m`: pattern column 13: property `id` is selected twice in `User`; select each property once",
        ),
        (
            "(:User{!id, `~label`})",
            "mapping `m`: pattern column 13: property name `~label` is not allowed: it starts with `~` (reserved: ~id, ~label, ~from, ~to)",
        ),
        (
            "(:`A::B`{!id})",
            "mapping `m`: pattern column 3: label `A::B` is not allowed: a label does not start with `~` (reserved) and has no `::` (Neptune's multi-label separator)",
        ),
        (
            "(:User{!id, a.})",
            "mapping `m`: pattern column 15: found `}`, expected a field name after `.`: letters, digits and `_`, or any text in backquotes",
        ),
        (
            "(:User{!`id})",
            "mapping `m`: pattern column 9: found a backquote, expected a field name whose closing '`' follows",
        ),
        (
            "(:A{!a}) (:B{!b})",
            "mapping `m`: pattern column 10: found `(`, expected `-[:LABEL]->` or `<-[:LABEL]-` between two vertices",
        ),
        (
            "(:A{!a})-[:R]-(:B{!b})",
            "mapping `m`: pattern column 15: found `(`, expected `]->` closing the edge",
        ),
        (
            "(:A{!a})-[:R]->(:B{!b}) x",
            "mapping `m`: pattern column 25: found `x`, expected the end of the pattern",
        ),
        (
            "(:A{!a, *})-[:R]->(:B{!b})",
            "mapping `m`: pattern column 9: the vertices of a relationship pattern take keys and named properties only (no `*`, no `-`)",
        ),
        (
            "(:A{!a})-[:R]->(:B{!b, -c})",
            "mapping `m`: pattern column 24: the vertices of a relationship pattern take keys and named properties only (no `*`, no `-`)",
        ),
    ];

    #[test]
    fn malformed_patterns_name_the_mapping_and_the_column() {
        for (text, message) in REFUSED {
            let err = parse("m", text).expect_err(text);
            assert_eq!(err.to_string(), *message, "{text}");
        }
    }
}
