//! The RDF form of people for the SPARQL path: IRIs and N-Triples lines.
//!
//! The IRI scheme matches the writer's (function/src/sparql.rs): a person is
//! `http://stream2neptune.example/person/<percent-encoded id>`, typed
//! `http://stream2neptune.example/ontology/Person`, names under `ontology/name`.
//! Ids are percent-encoded except RFC 3986 unreserved characters, so any id gives a valid IRI.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// Prefix of every person IRI; the percent-encoded id follows.
pub const PERSON_IRI_PREFIX: &str = "http://stream2neptune.example/person/";
/// The class of people.
pub const PERSON_CLASS_IRI: &str = "http://stream2neptune.example/ontology/Person";
/// The predicate of a person's display name.
pub const NAME_PREDICATE_IRI: &str = "http://stream2neptune.example/ontology/name";
/// The `follows` predicate the writer uses between two people.
pub const FOLLOWS_PREDICATE_IRI: &str = "http://stream2neptune.example/ontology/follows";
/// `rdf:type`.
pub const RDF_TYPE_IRI: &str = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type";

/// Everything but RFC 3986 unreserved characters is percent-encoded.
const ID_ENCODE_SET: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// The IRI of the person with this id.
pub fn person_iri(id: &str) -> String {
    format!(
        "{PERSON_IRI_PREFIX}{}",
        utf8_percent_encode(id, ID_ENCODE_SET)
    )
}

/// An N-Triples string literal (quotes included) with the N-Triples escapes applied.
pub fn ntriples_literal(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The N-Triples lines (two triples) describing one person.
pub fn person_triples(id: &str, name: &str) -> String {
    let iri = person_iri(id);
    format!(
        "<{iri}> <{RDF_TYPE_IRI}> <{PERSON_CLASS_IRI}> .\n<{iri}> <{NAME_PREDICATE_IRI}> {} .\n",
        ntriples_literal(name)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_percent_encoded_into_iris() {
        for (id, iri) in [
            ("p1", "http://stream2neptune.example/person/p1"),
            ("a b", "http://stream2neptune.example/person/a%20b"),
            ("x>y", "http://stream2neptune.example/person/x%3Ey"),
            (
                "é/~-._",
                "http://stream2neptune.example/person/%C3%A9%2F~-._",
            ),
        ] {
            assert_eq!(person_iri(id), iri, "id {id:?}");
        }
    }

    #[test]
    fn literals_are_escaped() {
        assert_eq!(ntriples_literal("a\"b\\c\nd"), "\"a\\\"b\\\\c\\nd\"");
    }

    #[test]
    fn a_person_is_two_triples() {
        assert_eq!(
            person_triples("p1", "Ann Lee"),
            "<http://stream2neptune.example/person/p1> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <http://stream2neptune.example/ontology/Person> .\n\
             <http://stream2neptune.example/person/p1> <http://stream2neptune.example/ontology/name> \"Ann Lee\" .\n"
        );
    }
}
