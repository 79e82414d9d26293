//! SPARQL 1.1 Update text (`DELETE`/`INSERT DATA`) for one write batch, under a fixed IRI scheme.
//!
//! IRI scheme (also in docs/writer.md):
//! - person `P`:   `http://stream2neptune.example/person/{pct(P)}`, typed `ontology/Person`;
//! - the edge:     `<person/FROM> <http://stream2neptune.example/ontology/follows> <person/TO>`;
//! - edge resource `http://stream2neptune.example/follows/{pct(FROM)}/{pct(DATE)}/{pct(TO)}`, typed
//!   `ontology/Follows`, with `ontology/from`, `ontology/to`, `ontology/creationDate` (xsd:date or
//!   xsd:dateTime) and one `http://stream2neptune.example/property/{pct(NAME)}` per extra property.
//!
//! `pct` percent-encodes every byte of the UTF-8 id except `A-Z a-z 0-9 - . _ ~`, so IRIs are plain
//! ASCII with no `>`, space or backslash. Everything is derived from (from, created, to), so writing
//! the same record twice leaves the same graph (RDF graphs are sets of triples). Extra properties
//! are last-write-wins: each write first deletes the values the edge had for the properties it
//! carries, so the value of the last record written stays.
//!
//! The update is built from each edge's graph operation ([`Edge::into_operation`], read back by
//! [`FollowsUpsert`]): this vocabulary is how SPARQL writes the follows graph (the creation date
//! typed as `xsd:date` or `xsd:dateTime`, integers as `xsd:integer`), where graph-operation records
//! get the generic mapping of [`crate::sparql_operations`].

use std::borrow::Borrow;
use std::fmt::Write;

use stream2neptune_graph::{Operation, Value};

use crate::follows::FollowsUpsert;
use crate::record::{DateKind, Edge};

// The scheme's IRIs, which the data set's people and the reader of a SPARQL store share, are defined once, in the
// graph crate.
use stream2neptune_graph::iri::CREATION_DATE;
pub use stream2neptune_graph::iri::{
    BASE, FOLLOWS, FOLLOWS_CLASS, FROM, PERSON_CLASS, RDF_TYPE, TO, XSD, person_iri, push_pct,
};

/// IRI of the edge resource of `edge`.
pub fn edge_iri(edge: &Edge) -> String {
    follows_iri(&edge.from, &edge.created.text, &edge.to)
}

/// IRI of the edge resource from `from` to `to` created on `created` (the record's text).
fn follows_iri(from: &str, created: &str, to: &str) -> String {
    let mut iri = String::with_capacity(BASE.len() + 11 + from.len() + to.len() + created.len());
    iri.push_str(BASE);
    iri.push_str("follows/");
    push_pct(&mut iri, from);
    iri.push('/');
    push_pct(&mut iri, created);
    iri.push('/');
    push_pct(&mut iri, to);
    iri
}

fn push_triple(u: &mut String, s: &str, p: &str, o: &str) {
    for part in ["<", s, "> <", p, "> <", o, "> .\n"] {
        u.push_str(part);
    }
}

/// Builds one SPARQL Update writing `operations`, the graph operations of follows records
/// ([`Edge::into_operation`]), in order, as one request (one transaction).
///
/// Edge properties are last-write-wins: before an edge carrying extra properties is inserted, a
/// `DELETE { <edge> <prop> ?old } WHERE { <edge> <prop> ?old }` per property removes the value
/// any earlier write (in this batch or before) left. Operations are separated by ` ;` and run in
/// order; consecutive edges without extra properties share one `INSERT DATA`.
///
/// # Panics
///
/// On an operation that is not such an upsert: the caller holds only the operations of follows records.
pub fn batch_update<O: Borrow<Operation>>(operations: &[O]) -> String {
    let mut u = String::with_capacity(64 + 900 * operations.len());
    let mut insert_open = false;
    for operation in operations {
        let edge = FollowsUpsert::of_record(operation.borrow());
        let e = follows_iri(edge.from, edge.created, edge.to);
        if !edge.extras.is_empty() {
            if insert_open {
                u.push_str("} ;\n");
                insert_open = false;
            }
            for (key, _) in edge.extra_values() {
                let mut pattern = String::with_capacity(e.len() + key.len() + 64);
                for part in ["<", &e, "> <", BASE, "property/"] {
                    pattern.push_str(part);
                }
                push_pct(&mut pattern, key);
                pattern.push_str("> ?old");
                for part in ["DELETE { ", &pattern, " } WHERE { ", &pattern, " } ;\n"] {
                    u.push_str(part);
                }
            }
        }
        if !insert_open {
            u.push_str("INSERT DATA {\n");
            insert_open = true;
        }
        let from = person_iri(edge.from);
        let to = person_iri(edge.to);
        push_triple(&mut u, &from, RDF_TYPE, PERSON_CLASS);
        push_triple(&mut u, &to, RDF_TYPE, PERSON_CLASS);
        push_triple(&mut u, &from, FOLLOWS, &to);
        push_triple(&mut u, &e, RDF_TYPE, FOLLOWS_CLASS);
        push_triple(&mut u, &e, FROM, &from);
        push_triple(&mut u, &e, TO, &to);
        for part in ["<", &e, "> <", CREATION_DATE, "> "] {
            u.push_str(part);
        }
        push_date(&mut u, edge.created, edge.created_kind);
        u.push_str(" .\n");
        for (key, value) in edge.extra_values() {
            for part in ["<", &e, "> <", BASE, "property/"] {
                u.push_str(part);
            }
            push_pct(&mut u, key);
            u.push_str("> ");
            push_value(&mut u, value);
            u.push_str(" .\n");
        }
    }
    if !insert_open {
        u.push_str("INSERT DATA {\n");
    }
    u.push('}');
    u
}

/// The `xsd:date` / `xsd:dateTime` lexical form of a validated date of `kind` (`T` separator, seconds
/// and a `±HH:MM` zone written out).
pub fn xsd_lexical(text: &str, kind: DateKind) -> (String, &'static str) {
    match kind {
        DateKind::Date => (text.to_owned(), "date"),
        DateKind::DateTime => {
            let t = text;
            let mut out = String::with_capacity(t.len() + 6);
            out.push_str(&t[..10]);
            out.push('T');
            out.push_str(&t[11..16]);
            let rest = &t[16..];
            let (seconds, zone) = match rest.find(['Z', '+', '-']) {
                Some(i) => rest.split_at(i),
                None => (rest, ""),
            };
            out.push_str(if seconds.is_empty() { ":00" } else { seconds });
            match zone.len() {
                5 => {
                    out.push_str(&zone[..3]);
                    out.push(':');
                    out.push_str(&zone[3..]);
                }
                _ => out.push_str(zone),
            }
            (out, "dateTime")
        }
    }
}

fn push_date(u: &mut String, text: &str, kind: DateKind) {
    let (lexical, datatype) = xsd_lexical(text, kind);
    push_literal(u, &lexical);
    for part in ["^^<", XSD, datatype, ">"] {
        u.push_str(part);
    }
}

/// An extra property's value (text, an integer, a double or a boolean: what a follows record holds), integers as
/// `xsd:integer`.
fn push_value(u: &mut String, value: &Value) {
    match value {
        Value::Integer(i) => {
            let _ = write!(u, "\"{i}\"^^<{XSD}integer>");
        }
        Value::Double(x) => {
            let _ = write!(u, "\"{x:e}\"^^<{XSD}double>");
        }
        Value::Boolean(b) => {
            let _ = write!(u, "\"{b}\"^^<{XSD}boolean>");
        }
        Value::String(s) | Value::Date(s) | Value::DateTime(s) => push_literal(u, s),
        Value::List(_) => unreachable!("a follows record's property holds one value"),
    }
}

/// Appends `s` as a double-quoted SPARQL string literal.
///
/// SPARQL 1.1 (section 19.2) lets a parser replace `\uXXXX` codepoint escapes in the whole query
/// text before parsing. A `u` or `U` right after an escaped backslash is therefore written as
/// `\u0075` / `\u0055`: parsers of both kinds then read a backslash followed by the letter, and
/// no id can smuggle a `"` past the escaping. (Oxigraph parses escapes in place; the integration
/// test checks the round trip there.)
pub fn push_literal(u: &mut String, s: &str) {
    u.push('"');
    // Fast path: plain printable ASCII needs no escape.
    if s.bytes()
        .all(|b| (0x20..0x7f).contains(&b) && b != b'"' && b != b'\\')
    {
        u.push_str(s);
        u.push('"');
        return;
    }
    let mut after_backslash = false;
    for c in s.chars() {
        match c {
            '"' => u.push_str("\\\""),
            '\\' => u.push_str("\\\\"),
            '\n' => u.push_str("\\n"),
            '\r' => u.push_str("\\r"),
            '\t' => u.push_str("\\t"),
            '\u{8}' => u.push_str("\\b"),
            '\u{c}' => u.push_str("\\f"),
            'u' if after_backslash => u.push_str("\\u0075"),
            'U' if after_backslash => u.push_str("\\u0055"),
            c if c.is_control() => {
                let _ = write!(u, "\\u{:04X}", c as u32);
            }
            c => u.push(c),
        }
        after_backslash = c == '\\';
    }
    u.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{PropertyValue, parse_date, test_edge as edge, test_operations};

    /// The update writing the records of `edges`.
    fn update(edges: &[Edge]) -> String {
        batch_update(&test_operations(edges))
    }

    #[test]
    fn exact_update_for_one_edge() {
        let mut e = edge("1", "2", "2016-05-21");
        e.properties = vec![
            ("via".into(), PropertyValue::Text("app".into())),
            ("n".into(), PropertyValue::Integer(3)),
            ("w".into(), PropertyValue::Float(0.5)),
            ("ok".into(), PropertyValue::Bool(true)),
        ];
        let expected = "DELETE { <http://stream2neptune.example/follows/1/2016-05-21/2> <http://stream2neptune.example/property/via> ?old } WHERE { <http://stream2neptune.example/follows/1/2016-05-21/2> <http://stream2neptune.example/property/via> ?old } ;
DELETE { <http://stream2neptune.example/follows/1/2016-05-21/2> <http://stream2neptune.example/property/n> ?old } WHERE { <http://stream2neptune.example/follows/1/2016-05-21/2> <http://stream2neptune.example/property/n> ?old } ;
DELETE { <http://stream2neptune.example/follows/1/2016-05-21/2> <http://stream2neptune.example/property/w> ?old } WHERE { <http://stream2neptune.example/follows/1/2016-05-21/2> <http://stream2neptune.example/property/w> ?old } ;
DELETE { <http://stream2neptune.example/follows/1/2016-05-21/2> <http://stream2neptune.example/property/ok> ?old } WHERE { <http://stream2neptune.example/follows/1/2016-05-21/2> <http://stream2neptune.example/property/ok> ?old } ;
INSERT DATA {
<http://stream2neptune.example/person/1> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <http://stream2neptune.example/ontology/Person> .
<http://stream2neptune.example/person/2> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <http://stream2neptune.example/ontology/Person> .
<http://stream2neptune.example/person/1> <http://stream2neptune.example/ontology/follows> <http://stream2neptune.example/person/2> .
<http://stream2neptune.example/follows/1/2016-05-21/2> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <http://stream2neptune.example/ontology/Follows> .
<http://stream2neptune.example/follows/1/2016-05-21/2> <http://stream2neptune.example/ontology/from> <http://stream2neptune.example/person/1> .
<http://stream2neptune.example/follows/1/2016-05-21/2> <http://stream2neptune.example/ontology/to> <http://stream2neptune.example/person/2> .
<http://stream2neptune.example/follows/1/2016-05-21/2> <http://stream2neptune.example/ontology/creationDate> \"2016-05-21\"^^<http://www.w3.org/2001/XMLSchema#date> .
<http://stream2neptune.example/follows/1/2016-05-21/2> <http://stream2neptune.example/property/via> \"app\" .
<http://stream2neptune.example/follows/1/2016-05-21/2> <http://stream2neptune.example/property/n> \"3\"^^<http://www.w3.org/2001/XMLSchema#integer> .
<http://stream2neptune.example/follows/1/2016-05-21/2> <http://stream2neptune.example/property/w> \"5e-1\"^^<http://www.w3.org/2001/XMLSchema#double> .
<http://stream2neptune.example/follows/1/2016-05-21/2> <http://stream2neptune.example/property/ok> \"true\"^^<http://www.w3.org/2001/XMLSchema#boolean> .
}";
        assert_eq!(update(&[e]), expected);
    }

    #[test]
    fn property_deletes_precede_each_edge_that_carries_properties() {
        let a = edge("a", "b", "2016-05-21");
        let mut b = edge("a", "c", "2016-05-21");
        b.properties = vec![("we ight".into(), PropertyValue::Integer(1))];
        let mut b2 = b.clone();
        b2.properties = vec![("we ight".into(), PropertyValue::Integer(2))];
        let c = edge("a", "d", "2016-05-21");
        let u = update(&[a.clone(), b, b2, c.clone()]);
        let operations: Vec<&str> = u.split(" ;\n").collect();
        let delete = format!(
            "DELETE {{ <{e}> <{BASE}property/we%20ight> ?old }} WHERE {{ <{e}> <{BASE}property/we%20ight> ?old }}",
            e = format!("{BASE}follows/a/2016-05-21/c")
        );
        assert_eq!(operations.len(), 5, "{u}");
        assert!(operations[0].starts_with("INSERT DATA {\n"), "{u}");
        assert!(operations[0].contains(&edge_iri(&a)), "{u}");
        assert_eq!(operations[1], delete);
        assert!(operations[2].starts_with("INSERT DATA {\n"), "{u}");
        assert!(operations[2].ends_with("integer> .\n}"), "{u}");
        assert!(operations[2].contains("\"1\"^^"), "{u}");
        assert_eq!(operations[3], delete);
        assert!(operations[4].contains("\"2\"^^"), "{u}");
        assert!(operations[4].contains(&edge_iri(&c)), "{u}");
        assert!(operations[4].ends_with('}'), "{u}");
        assert_eq!(update(&[]), "INSERT DATA {\n}");
    }

    /// Hostile ids and the IRI each must become.
    const HOSTILE_IRIS: &[(&str, &str)] = &[
        ("a>b", "person/a%3Eb"),
        ("a b", "person/a%20b"),
        (
            "x> } ; DROP ALL ; INSERT DATA { <y",
            "person/x%3E%20%7D%20%3B%20DROP%20ALL%20%3B%20INSERT%20DATA%20%7B%20%3Cy",
        ),
        ("it's \"q\"", "person/it%27s%20%22q%22"),
        ("back\\slash\\u0022", "person/back%5Cslash%5Cu0022"),
        ("new\nline", "person/new%0Aline"),
        ("a/../b", "person/a%2F..%2Fb"),
        ("ünï 🚀", "person/%C3%BCn%C3%AF%20%F0%9F%9A%80"),
        ("${x}//#?", "person/%24%7Bx%7D%2F%2F%23%3F"),
    ];

    #[test]
    fn hostile_ids_are_percent_encoded() {
        for (raw, iri) in HOSTILE_IRIS {
            assert_eq!(person_iri(raw), format!("{BASE}{iri}"), "{raw:?}");
            let iri = person_iri(raw);
            assert!(
                iri.chars()
                    .all(|c| c.is_ascii_graphic() && !"<>\"{}|\\^`".contains(c)),
                "{iri}"
            );
        }
    }

    #[test]
    fn hostile_literals_are_escaped() {
        let table: &[(&str, &str)] = &[
            ("plain", "\"plain\""),
            ("q\"uote", r#""q\"uote""#),
            ("back\\slash", r#""back\\slash""#),
            ("new\nline\r\t", r#""new\nline\r\t""#),
            ("\\u0022 } ; DROP ALL", r#""\\\u00750022 } ; DROP ALL""#),
            ("\\U0000005C", r#""\\\u00550000005C""#),
            ("bell\u{7}", r#""bell\u0007""#),
            ("ünï 🚀", "\"ünï 🚀\""),
        ];
        for (raw, expected) in table {
            let mut out = String::new();
            push_literal(&mut out, raw);
            assert_eq!(&out, expected, "{raw:?}");
        }
    }

    #[test]
    fn date_times_get_their_xsd_lexical_form() {
        let table = [
            ("2016-05-21", "2016-05-21", "date"),
            ("2016-05-21T10:11", "2016-05-21T10:11:00", "dateTime"),
            ("2016-05-21 10:11:12", "2016-05-21T10:11:12", "dateTime"),
            (
                "2016-05-21T10:11:12.5Z",
                "2016-05-21T10:11:12.5Z",
                "dateTime",
            ),
            (
                "2016-05-21T10:11-0530",
                "2016-05-21T10:11:00-05:30",
                "dateTime",
            ),
            (
                "2016-05-21T10:11:12+02:00",
                "2016-05-21T10:11:12+02:00",
                "dateTime",
            ),
        ];
        for (text, lexical, datatype) in table {
            let date = parse_date(text).unwrap();
            assert_eq!(
                xsd_lexical(&date.text, date.kind),
                (lexical.to_string(), datatype),
                "{text}"
            );
        }
    }

    #[test]
    fn edge_iri_separates_its_parts() {
        let a = edge("a/b", "c", "2016-05-21");
        let b = edge("a", "b/c", "2016-05-21");
        assert_ne!(edge_iri(&a), edge_iri(&b));
        assert_eq!(edge_iri(&a), format!("{BASE}follows/a%2Fb/2016-05-21/c"));
    }
}
