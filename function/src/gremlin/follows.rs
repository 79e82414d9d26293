//! Gremlin for the sample's `follows` edges (records decoded by [`crate::record`]).
//!
//! A batch is one traversal in one of two forms ([`GremlinBatchForm`], GREMLIN_BATCH_FORM): chained, one
//! `mergeV()`/`mergeE()` step per vertex and edge, or rows, the batch's vertices and edges as two list
//! literals each unfolded into one `mergeV()`/`mergeE()`. The rows form applies to mergeV/mergeE with derived
//! edge ids; the coalesce style and CONDITIONAL_CREATE=false are always chained. A batch holds the records' graph
//! operations ([`crate::record::Edge::into_operation`]): with mergeV/mergeE and derived ids (the default) they are
//! written by [`super::operations_query`] (chained), as any graph-operation record is, or
//! [`super::rows::rows_query`]; the other forms read each edge back ([`FollowsUpsert`]).

use std::borrow::Borrow;
use std::collections::HashSet;

use stream2neptune_graph::Operation;
use stream2neptune_graph::follows::{CREATION_DATE, FOLLOWS, PERSON};
use stream2neptune_writer_environment::{GremlinBatchForm, GremlinUpsertStyle};

use super::operations::push_value;
use super::rows::rows_query;
use super::{EDGES_PER_TRAVERSAL, operations_query, push_literal};
use crate::follows::FollowsUpsert;

/// How edges are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GremlinStyle {
    /// mergeV/mergeE or fold().coalesce().
    pub upsert: GremlinUpsertStyle,
    /// CONDITIONAL_CREATE: derived edge ids and upserts (true), or random ids and plain adds.
    pub conditional_create: bool,
    /// GREMLIN_BATCH_FORM: chained or rows (rows only with mergeV/mergeE and derived ids).
    pub form: GremlinBatchForm,
}

/// Builds the traversal writing `operations`, the graph operations of follows records, in one request (one
/// transaction). `random_id` supplies the edge id when `conditional_create` is false.
///
/// # Panics
///
/// In the coalesce style or with `conditional_create` false, on an operation that is not a follows edge upsert.
pub fn batch_query<O: Borrow<Operation>>(
    operations: &[O],
    style: GremlinStyle,
    random_id: impl FnMut() -> String,
) -> String {
    if (style.upsert, style.conditional_create) != (GremlinUpsertStyle::Merge, true) {
        return chained_query(operations, style, random_id);
    }
    match style.form {
        // Edge upserts with one endpoint label and single values: always in the rows form.
        GremlinBatchForm::Rows => {
            rows_query(operations).unwrap_or_else(|| operations_query(operations))
        }
        GremlinBatchForm::Chained => operations_query(operations),
    }
}

/// The chained coalesce form, and the plain adds of CONDITIONAL_CREATE=false: one step per vertex (first use) and
/// per edge, in record order.
fn chained_query<O: Borrow<Operation>>(
    operations: &[O],
    style: GremlinStyle,
    mut random_id: impl FnMut() -> String,
) -> String {
    let mut q = String::with_capacity(64 + 400 * operations.len());
    let mut merged: HashSet<&str> = HashSet::with_capacity(2 * operations.len());
    for (index, operation) in operations.iter().enumerate() {
        let edge = FollowsUpsert::of_record(operation.borrow());
        if index > 0 && index % EDGES_PER_TRAVERSAL == 0 {
            q.push_str(".iterate();");
        }
        for vertex in [edge.from, edge.to] {
            if merged.insert(vertex) {
                push_vertex_upsert(&mut q, vertex, style.upsert);
            }
        }
        q.push_str(step_prefix(&q));
        if style.conditional_create {
            // Coalesce: `batch_query` writes the merge style's upserts as graph operations.
            q.push_str("V(");
            push_literal(&mut q, edge.from);
            q.push_str(").outE(");
            push_literal(&mut q, FOLLOWS);
            q.push_str(").hasId(");
            push_literal(&mut q, edge.id);
            q.push_str(").fold().coalesce(__.unfold(),");
            push_add_edge(&mut q, "__.", &edge, edge.id);
            q.push(')');
        } else {
            push_add_edge(&mut q, "", &edge, &random_id());
        }
        // On the found or created edge, so an existing edge takes the new values (edge properties have no
        // cardinality: `property` replaces).
        push_property_steps(&mut q, &edge);
    }
    q
}

// A new traversal starts the text or follows a `;` (a literal never ends the text: it is closed by a step).
fn step_prefix(q: &str) -> &'static str {
    if q.is_empty() || q.ends_with(';') {
        "g."
    } else {
        "."
    }
}

fn push_vertex_upsert(q: &mut String, id: &str, style: GremlinUpsertStyle) {
    q.push_str(step_prefix(q));
    match style {
        GremlinUpsertStyle::Merge => {
            q.push_str("mergeV([(T.id):");
            push_literal(q, id);
            q.push_str("]).option(Merge.onCreate,[(T.label):");
            push_literal(q, PERSON);
            q.push_str("])");
        }
        GremlinUpsertStyle::Coalesce => {
            q.push_str("V(");
            push_literal(q, id);
            q.push_str(").fold().coalesce(__.unfold(),__.addV(");
            push_literal(q, PERSON);
            q.push_str(").property(T.id,");
            push_literal(q, id);
            q.push_str("))");
        }
    }
}

// `<anon>V(from).addE('follows').to(__.V(to)).property(T.id,id).property('creationDate',date)`
fn push_add_edge(q: &mut String, anon: &str, edge: &FollowsUpsert, id: &str) {
    q.push_str(anon);
    q.push_str("V(");
    push_literal(q, edge.from);
    q.push_str(").addE(");
    push_literal(q, FOLLOWS);
    q.push_str(").to(__.V(");
    push_literal(q, edge.to);
    q.push_str(")).property(T.id,");
    push_literal(q, id);
    q.push_str(").property(");
    push_literal(q, CREATION_DATE);
    q.push(',');
    push_literal(q, edge.created);
    q.push(')');
}

// `.property(k,v)...` for the extra properties.
fn push_property_steps(q: &mut String, edge: &FollowsUpsert) {
    for (key, value) in edge.extra_values() {
        q.push_str(".property(");
        push_literal(q, key);
        q.push(',');
        push_value(q, value);
        q.push(')');
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gremlin::literal::tests::{HOSTILE, skeleton};
    use crate::record::{Edge, PropertyValue, test_edge, test_operations};

    fn edge(from: &str, to: &str) -> Edge {
        test_edge(from, to, "2016-05-21")
    }

    /// The traversal writing the records of `edges`.
    fn query(edges: &[Edge], style: GremlinStyle, random_id: impl FnMut() -> String) -> String {
        batch_query(&test_operations(edges), style, random_id)
    }

    const MERGE: GremlinStyle = GremlinStyle {
        upsert: GremlinUpsertStyle::Merge,
        conditional_create: true,
        form: GremlinBatchForm::Chained,
    };
    const ROWS: GremlinStyle = GremlinStyle {
        form: GremlinBatchForm::Rows,
        ..MERGE
    };
    const COALESCE: GremlinStyle = GremlinStyle {
        upsert: GremlinUpsertStyle::Coalesce,
        conditional_create: true,
        form: GremlinBatchForm::Chained,
    };

    fn no_random() -> String {
        unreachable!("conditional create never draws a random id")
    }

    #[test]
    fn merge_style_exact_text() {
        let q = query(&[edge("1", "2"), edge("1", "3")], MERGE, no_random);
        assert_eq!(
            q,
            "g.mergeV([(T.id):'1']).option(Merge.onCreate,[(T.label):'person'])\
             .mergeV([(T.id):'2']).option(Merge.onCreate,[(T.label):'person'])\
             .mergeE([(T.id):'1-2016-05-21-2',(T.label):'follows',(Direction.OUT):'1',(Direction.IN):'2']).option(Merge.onCreate,['creationDate':'2016-05-21'])\
             .mergeV([(T.id):'3']).option(Merge.onCreate,[(T.label):'person'])\
             .mergeE([(T.id):'1-2016-05-21-3',(T.label):'follows',(Direction.OUT):'1',(Direction.IN):'3']).option(Merge.onCreate,['creationDate':'2016-05-21'])"
        );
    }

    #[test]
    fn a_batch_is_written_as_traversals_of_ten_edges_in_one_request() {
        // 21 edges from one vertex: three traversals, the vertex merged once, in the first
        let edges: Vec<Edge> = (0..21).map(|i| edge("hub", &i.to_string())).collect();
        for style in [MERGE, COALESCE] {
            let q = query(&edges, style, no_random);
            let traversals: Vec<&str> = q.split(".iterate();").collect();
            assert_eq!(traversals.len(), 3, "{q}");
            for (i, traversal) in traversals.iter().enumerate() {
                assert!(traversal.starts_with("g."), "{traversal}");
                assert!(!traversal.contains(';'), "{traversal}");
                let written = (10 * i..(10 * i + 10).min(21))
                    .map(|to| format!("'hub-2016-05-21-{to}'"))
                    .collect::<Vec<_>>();
                for id in &written {
                    assert!(traversal.contains(id.as_str()), "{id} in {traversal}");
                }
                let hub_upsert = if style == MERGE {
                    "mergeV([(T.id):'hub'])"
                } else {
                    "property(T.id,'hub'))"
                };
                assert_eq!(traversal.contains(hub_upsert), i == 0, "{traversal}");
            }
        }
        // A literal ending in `;` starts no traversal.
        let q = query(&[edge("a;", "b;")], MERGE, no_random);
        assert!(
            q.starts_with("g.mergeV([(T.id):'a;'])") && !q.contains(".iterate()"),
            "{q}"
        );
    }

    #[test]
    fn coalesce_style_exact_text() {
        let q = query(&[edge("1", "2")], COALESCE, no_random);
        assert_eq!(
            q,
            "g.V('1').fold().coalesce(__.unfold(),__.addV('person').property(T.id,'1'))\
             .V('2').fold().coalesce(__.unfold(),__.addV('person').property(T.id,'2'))\
             .V('1').outE('follows').hasId('1-2016-05-21-2').fold().coalesce(__.unfold(),\
             __.V('1').addE('follows').to(__.V('2')).property(T.id,'1-2016-05-21-2').property('creationDate','2016-05-21'))"
        );
    }

    #[test]
    fn unconditional_create_uses_the_random_id_and_still_creates_vertices() {
        // The rows form applies only with derived ids: the same chained text.
        for form in [GremlinBatchForm::Chained, GremlinBatchForm::Rows] {
            let style = GremlinStyle {
                upsert: GremlinUpsertStyle::Merge,
                conditional_create: false,
                form,
            };
            let q = query(&[edge("1", "2")], style, || "r-1".to_string());
            assert_eq!(
                q,
                "g.mergeV([(T.id):'1']).option(Merge.onCreate,[(T.label):'person'])\
                 .mergeV([(T.id):'2']).option(Merge.onCreate,[(T.label):'person'])\
                 .V('1').addE('follows').to(__.V('2')).property(T.id,'r-1').property('creationDate','2016-05-21')"
            );
        }
        let coalesce_rows = GremlinStyle {
            form: GremlinBatchForm::Rows,
            ..COALESCE
        };
        assert_eq!(
            query(&[edge("1", "2")], coalesce_rows, no_random),
            query(&[edge("1", "2")], COALESCE, no_random)
        );
    }

    #[test]
    fn rows_form_exact_text() {
        let q = query(&[edge("1", "2"), edge("1", "3")], ROWS, no_random);
        assert_eq!(
            q,
            "g.inject([['m':[(T.id):'1']],['m':[(T.id):'2']],['m':[(T.id):'3']]]).unfold()\
             .mergeV(select('m')).option(Merge.onCreate,[(T.label):'person']).fold()\
             .constant([['m':[(T.id):'1-2016-05-21-2',(T.label):'follows',(Direction.OUT):'1',(Direction.IN):'2'],'c':['creationDate':'2016-05-21'],'u':[:]],\
             ['m':[(T.id):'1-2016-05-21-3',(T.label):'follows',(Direction.OUT):'1',(Direction.IN):'3'],'c':['creationDate':'2016-05-21'],'u':[:]]]).unfold()\
             .mergeE(select('m')).option(Merge.onCreate,select('c')).option(Merge.onMatch,select('u')).id().count()"
        );
    }

    #[test]
    fn rows_form_sorts_and_deduplicates_and_the_last_record_wins() {
        // GIVEN records out of order, one edge three times with changing and new properties
        let mut first = edge("b", "a");
        first.properties = vec![
            ("note".into(), PropertyValue::Text("old".into())),
            ("weight".into(), PropertyValue::Integer(1)),
        ];
        let mut second = edge("b", "a");
        second.properties = vec![("weight".into(), PropertyValue::Integer(2))];
        let mut third = edge("b", "a");
        third.properties = vec![("extra".into(), PropertyValue::Bool(true))];
        let records = [edge("c", "b"), first, edge("a", "c"), second, third];

        // WHEN the rows form is built
        let q = query(&records, ROWS, no_random);

        // THEN each vertex is one row, by id; each edge one row, by id, with every property, the last value winning
        assert!(
            q.starts_with(
                "g.inject([['m':[(T.id):'a']],['m':[(T.id):'b']],['m':[(T.id):'c']]]).unfold()"
            ),
            "{q}"
        );
        let edge_ids: Vec<&str> = q
            .match_indices("(T.id):'")
            .map(|(i, _)| &q[i + 8..])
            .map(|s| &s[..s.find('\'').unwrap()])
            .collect();
        assert_eq!(
            edge_ids,
            [
                "a",
                "b",
                "c",
                "a-2016-05-21-c",
                "b-2016-05-21-a",
                "c-2016-05-21-b"
            ]
        );
        assert!(
            q.contains(
                "'c':['creationDate':'2016-05-21','extra':true,'note':'old','weight':2L],'u':['extra':true,'note':'old','weight':2L]]"
            ),
            "{q}"
        );
        // AND the same records in another order build the same text except for the winning values
        let reordered = [
            records[2].clone(),
            records[0].clone(),
            records[1].clone(),
            records[3].clone(),
            records[4].clone(),
        ];
        assert_eq!(query(&reordered, ROWS, no_random), q);
    }

    #[test]
    fn properties_are_typed_literals() {
        let mut e = edge("a", "b");
        e.properties = vec![
            ("via".into(), PropertyValue::Text("it's".into())),
            ("n".into(), PropertyValue::Integer(7)),
            ("big".into(), PropertyValue::Integer(1 << 40)),
            ("w".into(), PropertyValue::Float(0.5)),
            ("ok".into(), PropertyValue::Bool(false)),
        ];
        let q = query(&[e], MERGE, no_random);
        assert!(
            q.ends_with(".option(Merge.onCreate,['creationDate':'2016-05-21','via':'it\\'s','n':7L,'big':1099511627776L,'w':0.5d,'ok':false])\
                .option(Merge.onMatch,['via':'it\\'s','n':7L,'big':1099511627776L,'w':0.5d,'ok':false])"),
            "{q}"
        );
    }

    #[test]
    fn properties_are_last_write_wins_in_every_style() {
        let mut e = edge("1", "2");
        e.properties = vec![("weight".into(), PropertyValue::Integer(3))];
        let merge = query(std::slice::from_ref(&e), MERGE, no_random);
        assert!(
            merge.ends_with(
                ".mergeE([(T.id):'1-2016-05-21-2',(T.label):'follows',(Direction.OUT):'1',(Direction.IN):'2'])\
                 .option(Merge.onCreate,['creationDate':'2016-05-21','weight':3L])\
                 .option(Merge.onMatch,['weight':3L])"
            ),
            "{merge}"
        );
        assert_eq!(
            query(std::slice::from_ref(&e), COALESCE, no_random),
            "g.V('1').fold().coalesce(__.unfold(),__.addV('person').property(T.id,'1'))\
             .V('2').fold().coalesce(__.unfold(),__.addV('person').property(T.id,'2'))\
             .V('1').outE('follows').hasId('1-2016-05-21-2').fold().coalesce(__.unfold(),\
             __.V('1').addE('follows').to(__.V('2')).property(T.id,'1-2016-05-21-2').property('creationDate','2016-05-21'))\
             .property('weight',3L)"
        );
        assert!(
            query(std::slice::from_ref(&e), ROWS, no_random).contains(
                "'c':['creationDate':'2016-05-21','weight':3L],'u':['weight':3L]]]).unfold().mergeE(select('m'))"
            )
        );
        let style = GremlinStyle {
            upsert: GremlinUpsertStyle::Coalesce,
            conditional_create: false,
            form: GremlinBatchForm::Chained,
        };
        assert!(
            query(&[e], style, || "r-1".to_string()).ends_with(
                ".V('1').addE('follows').to(__.V('2')).property(T.id,'r-1').property('creationDate','2016-05-21').property('weight',3L)"
            )
        );
    }

    #[test]
    fn hostile_ids_become_exact_literals() {
        for (raw, literal) in HOSTILE {
            let mut out = String::new();
            push_literal(&mut out, raw);
            assert_eq!(&out, literal, "literal for {raw:?}");
            let q = query(&[edge(raw, "2")], MERGE, no_random);
            assert!(
                q.starts_with(&format!("g.mergeV([(T.id):{literal}])")),
                "{q}"
            );
            let q = query(&[edge(raw, "2")], ROWS, no_random);
            assert!(q.contains(&format!("['m':[(T.id):{literal}]]")), "{q}");
        }
    }

    #[test]
    fn hostile_ids_never_leave_their_literal() {
        let mut reference_edge = edge("a", "b");
        reference_edge.properties = vec![("note".into(), PropertyValue::Text("n".into()))];
        for style in [MERGE, ROWS, COALESCE] {
            let reference = skeleton(&query(
                std::slice::from_ref(&reference_edge),
                style,
                no_random,
            ));
            for (raw, _) in HOSTILE {
                let mut e = edge(raw, &format!("{raw}!"));
                e.properties = vec![("note".into(), PropertyValue::Text((*raw).into()))];
                assert_eq!(
                    skeleton(&query(&[e], style, no_random)),
                    reference,
                    "{style:?} {raw:?}"
                );
            }
        }
    }

    #[test]
    fn edge_ids_are_unambiguous() {
        let mut a = edge("a-2016-05-21-b", "c");
        let mut b = edge("a", "b-2016-05-21-c");
        assert_ne!(a.id(), b.id());
        assert_eq!(a.id(), "a%2D2016%2D05%2D21%2Db-2016-05-21-c");
        a.from = "50%".into();
        b.from = "50%25".into();
        assert_ne!(a.id(), b.id());
    }
}
