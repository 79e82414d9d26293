//! NQUADS changes: each `data.stmt` is one N-Quads statement, parsed by the Oxigraph project's parser (`oxttl`)
//! and kept as a [`Quad`], so the writer writes it back in its own canonical form: a statement cannot carry
//! anything into the update text but an IRI the parser accepted and a literal it escapes.

use oxrdf::Quad;
use oxttl::NQuadsParser;

use super::error::ChangeError;
use crate::json::excerpt;

/// One quad added or removed, in stream order.
#[derive(Debug, Clone, PartialEq)]
pub struct QuadChange {
    /// `op` ADD (`true`) or REMOVE.
    pub add: bool,
    /// The quad (its graph is the default graph when the statement names none).
    pub quad: Quad,
}

/// The quad of one change's statement, or why it cannot be replayed.
pub fn quad(at: &str, stmt: &str, add: bool) -> Result<QuadChange, ChangeError> {
    let invalid = |allowed: String| ChangeError::Invalid {
        change: at.to_owned(),
        field: "data.stmt",
        value: format!("{:?}", excerpt(stmt)),
        allowed,
    };
    let mut quads = NQuadsParser::new().for_slice(stmt);
    let quad = match (quads.next(), quads.next()) {
        (Some(Ok(quad)), None) => quad,
        (Some(Err(e)), _) => return Err(invalid(format!("one N-Quads statement ({e})"))),
        (None, _) => return Err(invalid("one N-Quads statement; it is empty".into())),
        (Some(Ok(_)), Some(_)) => {
            return Err(invalid(
                "one N-Quads statement per change, not several".into(),
            ));
        }
    };
    if quad.subject.is_blank_node()
        || quad.object.is_blank_node()
        || quad.graph_name.is_blank_node()
    {
        return Err(invalid(
            "IRIs and literals only: a blank node names a different node in every update, so replaying it twice \
             would not leave the same graph and it cannot be removed"
                .into(),
        ));
    }
    Ok(QuadChange { add, quad })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_statement_is_parsed_and_a_hostile_one_stays_a_literal() {
        let change = quad(
            "eventId 1/1",
            "<urn:p7> <urn:name> \"A\\\" } ; DROP ALL ; INSERT DATA { \\\"\" <urn:g1> .\n",
            true,
        )
        .unwrap();
        assert_eq!(
            change.quad.to_string(),
            "<urn:p7> <urn:name> \"A\\\" } ; DROP ALL ; INSERT DATA { \\\"\" <urn:g1>"
        );
        let default_graph = quad(
            "record 0",
            "<urn:a> <urn:b> \"1\"^^<http://www.w3.org/2001/XMLSchema#long> .",
            false,
        )
        .unwrap();
        assert!(default_graph.quad.graph_name.is_default_graph());
    }

    #[test]
    fn what_cannot_be_replayed_is_refused_naming_the_change() {
        for (stmt, names) in [
            (
                "<urn:a> <urn:b> <urn:c> } DROP ALL { <urn:g> .",
                "one N-Quads statement (",
            ),
            ("<urn:a b> <urn:b> <urn:c> .", "one N-Quads statement ("),
            ("", "it is empty"),
            (
                "<urn:a> <urn:b> <urn:c> .\n<urn:a> <urn:b> <urn:d> .",
                "not several",
            ),
            ("_:b1 <urn:b> <urn:c> <urn:g> .", "a blank node"),
        ] {
            let err = quad("eventId 43/1", stmt, true).unwrap_err().to_string();
            assert!(
                err.starts_with("change eventId 43/1: `data.stmt` = "),
                "{err}"
            );
            assert!(err.contains(names), "{stmt}: {err}");
        }
    }
}
