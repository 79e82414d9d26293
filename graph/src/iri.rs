//! The IRIs the writer mints in RDF, the workload's people and a SPARQL store's reader read back: the root every
//! IRI is under, the `follows` scheme's vocabulary and person IRIs, an edge resource's ends, `rdf:type`, the XML
//! Schema datatypes' namespace, and the percent-encoding every id, label and name goes through. One definition for
//! the writer's SPARQL forms, the data set's N-Triples and the reader that compares a store with the model.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// Root of every IRI the writer mints.
pub const BASE: &str = "http://stream2neptune.example/";
/// The start vertex of an edge resource.
pub const FROM: &str = "http://stream2neptune.example/ontology/from";
/// The end vertex of an edge resource.
pub const TO: &str = "http://stream2neptune.example/ontology/to";
/// `rdf:type`.
pub const RDF_TYPE: &str = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type";
/// The XML Schema datatypes' namespace.
pub const XSD: &str = "http://www.w3.org/2001/XMLSchema#";

/// The `follows` scheme: the predicate between two people.
pub const FOLLOWS: &str = "http://stream2neptune.example/ontology/follows";
/// The `follows` scheme: the class of edge resources.
pub const FOLLOWS_CLASS: &str = "http://stream2neptune.example/ontology/Follows";
/// The `follows` scheme: the class of people.
pub const PERSON_CLASS: &str = "http://stream2neptune.example/ontology/Person";
/// The `follows` scheme: a person's display name (the data set's, bulk loaded).
pub const NAME: &str = "http://stream2neptune.example/ontology/name";
/// The `follows` scheme: an edge resource's creation date.
pub const CREATION_DATE: &str = "http://stream2neptune.example/ontology/creationDate";

// RFC 3986 unreserved characters stay as they are.
const ID_SET: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Appends `part` percent-encoded as an IRI segment (everything but RFC 3986's unreserved characters), so any id
/// gives a plain ASCII IRI with no `>`, space or backslash.
pub fn push_pct(out: &mut String, part: &str) {
    // Fast path: ids made only of unreserved characters are written as they are.
    if part
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
    {
        out.push_str(part);
    } else {
        out.extend(utf8_percent_encode(part, ID_SET));
    }
}

/// The IRI of the person with this id in the `follows` scheme: `BASE` `person/` and the percent-encoded id.
pub fn person_iri(id: &str) -> String {
    let mut iri = String::with_capacity(BASE.len() + 7 + id.len());
    iri.push_str(BASE);
    iri.push_str("person/");
    push_pct(&mut iri, id);
    iri
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_minted_iri_is_under_the_root() {
        for iri in [
            FROM,
            TO,
            FOLLOWS,
            FOLLOWS_CLASS,
            PERSON_CLASS,
            NAME,
            CREATION_DATE,
        ] {
            assert!(iri.starts_with(BASE), "{iri}");
        }
    }

    #[test]
    fn ids_are_percent_encoded_into_person_iris() {
        for (id, iri) in [
            ("p1", "http://stream2neptune.example/person/p1"),
            ("a b", "http://stream2neptune.example/person/a%20b"),
            ("x>y", "http://stream2neptune.example/person/x%3Ey"),
            (
                "é/~-._",
                "http://stream2neptune.example/person/%C3%A9%2F~-._",
            ),
            ("%41", "http://stream2neptune.example/person/%2541"),
            (
                "back\\slash",
                "http://stream2neptune.example/person/back%5Cslash",
            ),
        ] {
            assert_eq!(person_iri(id), iri, "id {id:?}");
        }
    }
}
