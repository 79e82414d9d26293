//! The IRIs the writer mints in RDF and a SPARQL store's reader reads back: the root every IRI is under, an edge
//! resource's ends, `rdf:type` and the XML Schema datatypes' namespace. One definition for the writer's SPARQL
//! forms and for the reader that compares a store with the model.

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_ontology_iri_is_under_the_root() {
        for iri in [FROM, TO] {
            assert!(iri.starts_with(BASE), "{iri}");
        }
    }
}
