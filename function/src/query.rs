//! What the configured query language makes of records: which graph operations it can store ([`writable`], checked
//! when a record is decoded), and the text of one write of records of one form ([`build_query`]).

use std::borrow::Borrow;

use stream2neptune_graph::{Operation, Unwritable};
use stream2neptune_writer_environment::QueryLanguage;

use crate::config::Config;
use crate::gremlin::{self, GremlinStyle};
use crate::opencypher_operations::EdgeIds;
use crate::record::{RejectReason, Write};
use crate::{opencypher, opencypher_operations, sparql, sparql_operations, sparql_quads};

/// The language's check of one graph operation: `Err` names what it cannot store and what to send instead.
/// Gremlin stores every operation a document can hold.
pub fn writable(language: QueryLanguage) -> fn(&Operation) -> Result<(), Unwritable> {
    match language {
        QueryLanguage::Gremlin => |_| Ok(()),
        QueryLanguage::OpenCypher => opencypher_operations::check,
        QueryLanguage::Sparql => sparql_operations::check,
    }
}

/// `write` when the language can store its form: NQUADS change records' quads are RDF, for SPARQL only; any other
/// language rejects them as `Unwritable`, naming the first statement's subject.
pub fn takes(language: QueryLanguage, write: Write) -> Result<Write, RejectReason> {
    match (&write, language) {
        (Write::Quads(quads), QueryLanguage::Gremlin | QueryLanguage::OpenCypher) => {
            Err(RejectReason::Unwritable {
                index: 0,
                reason: Unwritable {
                    language: match language {
                        QueryLanguage::Gremlin => "Gremlin",
                        _ => opencypher_operations::LANGUAGE,
                    },
                    operation: "an NQUADS change",
                    element: quads.first().map_or_else(String::new, |q| q.quad.subject.to_string()),
                    field: "data.stmt".into(),
                    reason: "NQUADS change records are RDF statements: replay them into a SPARQL stack \
                             (QUERY_LANGUAGE sparql); a Gremlin or openCypher stack takes PG_JSON change records"
                        .into(),
                },
            })
        }
        _ => Ok(write),
    }
}

/// The write text for `writes`, records of one form (the handler cuts its writes where the form changes): the
/// Gremlin traversal, the SPARQL update, or the openCypher form body (`query=...&parameters=...`). `follows` edges
/// in the forms the configuration picks; graph operations, every record's in order, in one request; quads (SPARQL
/// only, see [`takes`]) likewise.
pub fn build_query(config: &Config, writes: &[&Write]) -> String {
    debug_assert!(
        writes.windows(2).all(|w| w[0].same_form(w[1])),
        "a write holds records of one form"
    );
    match writes.first() {
        Some(Write::Operations(_)) => {
            let operations: Vec<&Operation> = writes
                .iter()
                .flat_map(|write| match write {
                    Write::Operations(operations) => operations.as_slice(),
                    Write::Follows(_) | Write::Quads(_) => &[],
                })
                .collect();
            operations_query(config.query_language, &operations)
        }
        // `takes` let quads through for SPARQL only.
        Some(Write::Quads(_)) => sparql_quads::batch_update(
            &writes
                .iter()
                .flat_map(|write| match write {
                    Write::Quads(quads) => quads.as_slice(),
                    Write::Follows(_) | Write::Operations(_) => &[],
                })
                .collect::<Vec<_>>(),
        ),
        _ => follows_query(
            config,
            &writes
                .iter()
                .filter_map(|write| match write {
                    Write::Follows(operation) => Some(operation),
                    Write::Operations(_) | Write::Quads(_) => None,
                })
                .collect::<Vec<_>>(),
        ),
    }
}

/// How many of `writes` (records of one form, in stream order) one request of `language` takes: on openCypher, the
/// records of graph operations whose rounds stay within the bound of its query texts
/// ([`opencypher_operations::fitting`]); every one otherwise.
pub fn fitting<'a>(
    language: QueryLanguage,
    writes: impl Iterator<Item = &'a Write> + Clone,
) -> usize {
    let operations: Option<Vec<&[Operation]>> = writes
        .clone()
        .map(|write| match write {
            Write::Operations(operations) => Some(operations.as_slice()),
            Write::Follows(_) | Write::Quads(_) => None,
        })
        .collect();
    match (language, operations) {
        (QueryLanguage::OpenCypher, Some(records)) => opencypher_operations::fitting(records),
        _ => writes.count(),
    }
}

/// The write text for graph operations, checked by [`writable`] when their records were decoded.
fn operations_query<O: Borrow<Operation>>(language: QueryLanguage, operations: &[O]) -> String {
    let checked = "operations are checked with `writable` when their record is decoded";
    match language {
        QueryLanguage::Gremlin => gremlin::operations_query(operations),
        QueryLanguage::OpenCypher => {
            opencypher_operations::batch_request(operations, EdgeIds::Given).expect(checked)
        }
        QueryLanguage::Sparql => sparql_operations::batch_update(operations).expect(checked),
    }
}

/// The write text for the graph operations of `follows` records.
fn follows_query(config: &Config, operations: &[&Operation]) -> String {
    match config.query_language {
        QueryLanguage::Gremlin => gremlin::batch_query(
            operations,
            GremlinStyle {
                upsert: config.upsert_style,
                conditional_create: config.conditional_create,
                form: config.batch_form,
            },
            || uuid::Uuid::new_v4().to_string(),
        ),
        QueryLanguage::Sparql => sparql::batch_update(operations),
        QueryLanguage::OpenCypher => {
            opencypher::batch_request(operations, config.conditional_create, || {
                uuid::Uuid::new_v4().to_string()
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::test_edge;

    fn config(language: &str) -> Config {
        Config::from_lookup(|name| match name {
            "NEPTUNE_ENDPOINT" => Some("http://127.0.0.1:1".into()),
            "QUERY_LANGUAGE" => Some(language.into()),
            "IAM_AUTH" => Some("false".into()),
            _ => None,
        })
        .unwrap()
    }

    #[test]
    fn a_write_of_operations_is_every_records_operations_in_order_in_one_request() {
        let first = stream2neptune_graph::decode(
            r#"[{"op":"upsertVertex","id":"a","label":"l"},{"op":"deleteEdge","id":"e"}]"#,
        )
        .unwrap();
        let second = stream2neptune_graph::decode(r#"{"op":"deleteVertex","id":"b"}"#).unwrap();
        let all: Vec<Operation> = first.iter().chain(&second).cloned().collect();
        let writes = [Write::Operations(first), Write::Operations(second)];
        let writes: Vec<&Write> = writes.iter().collect();
        for (language, expected) in [
            ("gremlin", gremlin::operations_query(&all)),
            ("sparql", sparql_operations::batch_update(&all).unwrap()),
        ] {
            assert_eq!(
                build_query(&config(language), &writes),
                expected,
                "{language}"
            );
        }
        // openCypher's parameter document holds no random part: the same text.
        assert_eq!(
            build_query(&config("opencypher"), &writes),
            opencypher_operations::batch_request(&all, EdgeIds::Given).unwrap()
        );
    }

    #[test]
    fn an_opencypher_write_of_operations_ends_at_the_rounds_bound_and_other_writes_do_not() {
        // Each record upserts and deletes one vertex: one round more than the record before it.
        let churn = || {
            Write::Operations(
                stream2neptune_graph::decode(
                    r#"[{"op":"upsertVertex","id":"a","label":"l"},{"op":"deleteVertex","id":"a"}]"#,
                )
                .unwrap(),
            )
        };
        let writes: Vec<Write> = (0..20).map(|_| churn()).collect();
        let follows: Vec<Write> = (0..20)
            .map(|i| Write::follows(test_edge("a", &format!("b{i}"), "2016-05-21")))
            .collect();
        assert_eq!(
            fitting(QueryLanguage::OpenCypher, writes.iter()),
            opencypher_operations::MAX_ROUNDS - 1
        );
        assert_eq!(fitting(QueryLanguage::OpenCypher, follows.iter()), 20);
        assert_eq!(fitting(QueryLanguage::Gremlin, writes.iter()), 20);
        assert_eq!(fitting(QueryLanguage::Sparql, writes.iter()), 20);
    }

    #[test]
    fn a_write_of_follows_edges_is_the_follows_form() {
        let edges = [
            test_edge("a", "b", "2016-05-21"),
            test_edge("c", "d", "2016-05-22"),
        ];
        let writes: Vec<Write> = edges.iter().cloned().map(Write::follows).collect();
        let writes: Vec<&Write> = writes.iter().collect();
        assert_eq!(
            build_query(&config("sparql"), &writes),
            sparql::batch_update(&crate::record::test_operations(&edges))
        );
    }

    #[test]
    fn quads_are_written_in_sparql_only() {
        let body = r#"{"op":"ADD","data":{"stmt":"<urn:a> <urn:b> \"c\" <urn:g> ."}}"#;
        let Ok(write @ Write::Quads(_)) =
            crate::record::decode_record(body.as_bytes(), 1000, None, |_| Ok(()))
        else {
            panic!("{body}");
        };
        let sparql = takes(QueryLanguage::Sparql, write.clone()).unwrap();
        assert_eq!(
            build_query(&config("sparql"), &[&sparql]),
            "INSERT DATA {\nGRAPH <urn:g> { <urn:a> <urn:b> \"c\" . }\n}"
        );
        for language in [QueryLanguage::Gremlin, QueryLanguage::OpenCypher] {
            let refused = takes(language, write.clone()).unwrap_err();
            assert_eq!(refused.code(), "Unwritable");
            assert!(
                refused
                    .to_string()
                    .contains("data.stmt: NQUADS change records are RDF statements"),
                "{refused}"
            );
        }
    }

    #[test]
    fn each_language_checks_what_it_can_store() {
        let date = stream2neptune_graph::decode(
            r#"{"op":"upsertVertex","id":"a","label":"l","properties":{"d":{"date":"2024-01-02"}}}"#,
        )
        .unwrap();
        assert!(writable(QueryLanguage::Gremlin)(&date[0]).is_ok());
        assert!(writable(QueryLanguage::Sparql)(&date[0]).is_ok());
        let refused = writable(QueryLanguage::OpenCypher)(&date[0]).unwrap_err();
        assert_eq!(refused.language, "openCypher");
        assert_eq!(refused.field, "property \"d\"");
    }
}
