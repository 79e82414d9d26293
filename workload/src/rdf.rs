//! The RDF form of people for the SPARQL path: IRIs and N-Triples lines.
//!
//! The IRI scheme is the writer's, defined once in [`stream2neptune_graph::iri`]: a person is
//! `http://stream2neptune.example/person/<percent-encoded id>`, typed
//! `http://stream2neptune.example/ontology/Person`, names under `ontology/name`.

use stream2neptune_graph::iri::{NAME, PERSON_CLASS, RDF_TYPE, person_iri};

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
        "<{iri}> <{RDF_TYPE}> <{PERSON_CLASS}> .\n<{iri}> <{NAME}> {} .\n",
        ntriples_literal(name)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

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
