//! SPARQL 1.1 Update for NQUADS change records' quads ([`stream2neptune_graph::change::QuadChange`]), in order, in
//! one request: each run of additions is one `INSERT DATA`, each run of removals one `DELETE DATA`, a quad of a
//! named graph inside `GRAPH <g> { ... }`. Each term is written in oxrdf's canonical N-Triples form (IRIs the
//! N-Quads parser checked, literals escaped), which SPARQL reads as the same term. Inserting a quad present and
//! deleting one absent change nothing, so a batch written twice leaves the same store.

use std::borrow::Borrow;
use std::fmt::Write;

use oxrdf::{GraphName, Triple};
use stream2neptune_graph::change::QuadChange;

/// The update writing `changes` in order, as one request (one transaction).
pub fn batch_update<Q: Borrow<QuadChange>>(changes: &[Q]) -> String {
    let mut text = String::with_capacity(128 * changes.len());
    let mut open: Option<bool> = None;
    for change in changes.iter().map(Borrow::borrow) {
        if open != Some(change.add) {
            if open.is_some() {
                text.push_str("} ;\n");
            }
            text.push_str(if change.add {
                "INSERT DATA {\n"
            } else {
                "DELETE DATA {\n"
            });
            open = Some(change.add);
        }
        let quad = &change.quad;
        let triple = Triple::new(
            quad.subject.clone(),
            quad.predicate.clone(),
            quad.object.clone(),
        );
        let _ = match &quad.graph_name {
            GraphName::NamedNode(graph) => writeln!(text, "GRAPH {graph} {{ {triple} . }}"),
            // The N-Quads parser gives a default or a named graph; blank graph names are refused with the record.
            _ => writeln!(text, "{triple} ."),
        };
    }
    if open.is_some() {
        text.push('}');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use stream2neptune_graph::change::{Replay, decode};

    #[test]
    fn runs_of_additions_and_removals_in_order_with_their_graphs() {
        let body = r#"[
            {"op":"ADD","data":{"stmt":"<urn:a> <urn:n> \"x \\\" } ; DROP ALL ; {\" <urn:g> .\n"}},
            {"op":"ADD","data":{"stmt":"<urn:a> <urn:n> \"2\"^^<http://www.w3.org/2001/XMLSchema#long> ."}},
            {"op":"REMOVE","data":{"stmt":"<urn:a> <urn:n> \"x\"@en <urn:g> ."}},
            {"op":"ADD","data":{"stmt":"<urn:a> <urn:k> <urn:b> <urn:g> ."}}
        ]"#;
        let Ok(Replay::Quads(quads)) = decode(body) else {
            panic!("{:?}", decode(body));
        };
        assert_eq!(
            batch_update(&quads),
            "INSERT DATA {\n\
             GRAPH <urn:g> { <urn:a> <urn:n> \"x \\\" } ; DROP ALL ; {\" . }\n\
             <urn:a> <urn:n> \"2\"^^<http://www.w3.org/2001/XMLSchema#long> .\n\
             } ;\nDELETE DATA {\n\
             GRAPH <urn:g> { <urn:a> <urn:n> \"x\"@en . }\n\
             } ;\nINSERT DATA {\n\
             GRAPH <urn:g> { <urn:a> <urn:k> <urn:b> . }\n\
             }"
        );
    }
}
