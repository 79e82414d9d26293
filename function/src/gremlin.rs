//! Gremlin query text for one write batch, with every value escaped into single-quoted literals.
//!
//! Neptune parses Gremlin with the TinkerPop grammar (no Groovy, no bindings), so values must be
//! literals in the text. A string literal is single-quoted; `\` and `'` are backslash-escaped and
//! control characters are written as escapes, so no id can end the literal or add steps.

use std::collections::HashSet;
use std::fmt::Write;

use crate::config::UpsertStyle;
use crate::record::{Edge, PropertyValue};

/// Label of the vertices created for unknown ids.
pub const VERTEX_LABEL: &str = "person";
/// Label of the edges.
pub const EDGE_LABEL: &str = "follows";

/// How edges are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GremlinStyle {
    /// mergeV/mergeE or fold().coalesce().
    pub upsert: UpsertStyle,
    /// CONDITIONAL_CREATE: derived edge ids and upserts (true), or random ids and plain adds.
    pub conditional_create: bool,
}

/// The edge id derived from (from, creationDate, to): `from-creationDate-to` as in the sample, with
/// `%` and `-` in the vertex ids percent-encoded so that two different edges never share an id.
pub fn edge_id(edge: &Edge) -> String {
    let mut id =
        String::with_capacity(edge.from.len() + edge.to.len() + edge.created.text.len() + 2);
    push_id_part(&mut id, &edge.from);
    id.push('-');
    id.push_str(&edge.created.text);
    id.push('-');
    push_id_part(&mut id, &edge.to);
    id
}

fn push_id_part(out: &mut String, part: &str) {
    for c in part.chars() {
        match c {
            '%' => out.push_str("%25"),
            '-' => out.push_str("%2D"),
            c => out.push(c),
        }
    }
}

/// Builds the traversal writing `edges` in one request (one transaction). `random_id` supplies the
/// edge id when `conditional_create` is false.
pub fn batch_query<'a>(
    edges: impl IntoIterator<Item = &'a Edge>,
    style: GremlinStyle,
    mut random_id: impl FnMut() -> String,
) -> String {
    let edges = edges.into_iter();
    let mut q = String::with_capacity(64 + 400 * edges.size_hint().0);
    let mut merged: HashSet<&str> = HashSet::with_capacity(2 * edges.size_hint().0);
    for edge in edges {
        for vertex in [edge.from.as_str(), edge.to.as_str()] {
            if merged.insert(vertex) {
                push_vertex_upsert(&mut q, vertex, style.upsert);
            }
        }
        let id = if style.conditional_create {
            edge_id(edge)
        } else {
            random_id()
        };
        match (style.upsert, style.conditional_create) {
            (UpsertStyle::Merge, true) => {
                q.push_str(step_prefix(&q));
                q.push_str("mergeE([(T.id):");
                push_literal(&mut q, &id);
                q.push_str(",(T.label):");
                push_literal(&mut q, EDGE_LABEL);
                q.push_str(",(Direction.OUT):");
                push_literal(&mut q, &edge.from);
                q.push_str(",(Direction.IN):");
                push_literal(&mut q, &edge.to);
                q.push_str("]).option(Merge.onCreate,[");
                push_properties_map(&mut q, edge);
                q.push_str("])");
                // Last write wins: a matched edge takes the extra properties of this record.
                if !edge.properties.is_empty() {
                    q.push_str(".option(Merge.onMatch,[");
                    push_extra_properties_map(&mut q, edge);
                    q.push_str("])");
                }
            }
            (UpsertStyle::Coalesce, true) => {
                q.push_str(step_prefix(&q));
                q.push_str("V(");
                push_literal(&mut q, &edge.from);
                q.push_str(").outE(");
                push_literal(&mut q, EDGE_LABEL);
                q.push_str(").hasId(");
                push_literal(&mut q, &id);
                q.push_str(").fold().coalesce(__.unfold(),");
                push_add_edge(&mut q, "__.", edge, &id);
                q.push(')');
                // On the found or created edge, so an existing edge takes the new values (edge
                // properties have no cardinality: `property` replaces).
                push_property_steps(&mut q, edge);
            }
            (_, false) => {
                q.push_str(step_prefix(&q));
                push_add_edge(&mut q, "", edge, &id);
                push_property_steps(&mut q, edge);
            }
        }
    }
    q
}

fn step_prefix(q: &str) -> &'static str {
    if q.is_empty() { "g." } else { "." }
}

fn push_vertex_upsert(q: &mut String, id: &str, style: UpsertStyle) {
    q.push_str(step_prefix(q));
    match style {
        UpsertStyle::Merge => {
            q.push_str("mergeV([(T.id):");
            push_literal(q, id);
            q.push_str("]).option(Merge.onCreate,[(T.label):");
            push_literal(q, VERTEX_LABEL);
            q.push_str("])");
        }
        UpsertStyle::Coalesce => {
            q.push_str("V(");
            push_literal(q, id);
            q.push_str(").fold().coalesce(__.unfold(),__.addV(");
            push_literal(q, VERTEX_LABEL);
            q.push_str(").property(T.id,");
            push_literal(q, id);
            q.push_str("))");
        }
    }
}

// `<anon>V(from).addE('follows').to(__.V(to)).property(T.id,id).property('creationDate',date)`
fn push_add_edge(q: &mut String, anon: &str, edge: &Edge, id: &str) {
    q.push_str(anon);
    q.push_str("V(");
    push_literal(q, &edge.from);
    q.push_str(").addE(");
    push_literal(q, EDGE_LABEL);
    q.push_str(").to(__.V(");
    push_literal(q, &edge.to);
    q.push_str(")).property(T.id,");
    push_literal(q, id);
    q.push_str(").property('creationDate',");
    push_literal(q, &edge.created.text);
    q.push(')');
}

// `.property(k,v)...` for the extra properties.
fn push_property_steps(q: &mut String, edge: &Edge) {
    for (key, value) in &edge.properties {
        q.push_str(".property(");
        push_literal(q, key);
        q.push(',');
        push_value(q, value);
        q.push(')');
    }
}

fn push_properties_map(q: &mut String, edge: &Edge) {
    q.push_str("'creationDate':");
    push_literal(q, &edge.created.text);
    if !edge.properties.is_empty() {
        q.push(',');
        push_extra_properties_map(q, edge);
    }
}

// `k:v,...` for the extra properties (non-empty).
fn push_extra_properties_map(q: &mut String, edge: &Edge) {
    for (i, (key, value)) in edge.properties.iter().enumerate() {
        if i > 0 {
            q.push(',');
        }
        push_literal(q, key);
        q.push(':');
        push_value(q, value);
    }
}

fn push_value(q: &mut String, value: &PropertyValue) {
    match value {
        PropertyValue::Text(s) => push_literal(q, s),
        PropertyValue::Integer(i) if i32::try_from(*i).is_ok() => {
            let _ = write!(q, "{i}");
        }
        PropertyValue::Integer(i) => {
            let _ = write!(q, "{i}L");
        }
        // Finite by construction (the parser rejects NaN and infinities).
        PropertyValue::Float(x) => {
            let _ = write!(q, "{x:?}d");
        }
        PropertyValue::Bool(b) => {
            let _ = write!(q, "{b}");
        }
    }
}

/// Appends `s` as a single-quoted Gremlin string literal.
pub fn push_literal(q: &mut String, s: &str) {
    q.push('\'');
    // Fast path: plain printable ASCII needs no escape.
    if s.bytes()
        .all(|b| (0x20..0x7f).contains(&b) && b != b'\'' && b != b'\\')
    {
        q.push_str(s);
        q.push('\'');
        return;
    }
    for c in s.chars() {
        match c {
            '\'' => q.push_str("\\'"),
            '\\' => q.push_str("\\\\"),
            '\n' => q.push_str("\\n"),
            '\r' => q.push_str("\\r"),
            '\t' => q.push_str("\\t"),
            '\u{8}' => q.push_str("\\b"),
            '\u{c}' => q.push_str("\\f"),
            c if c.is_control() || c == '\u{2028}' || c == '\u{2029}' => {
                let _ = write!(q, "\\u{:04x}", c as u32);
            }
            c => q.push(c),
        }
    }
    q.push('\'');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::test_edge;

    fn edge(from: &str, to: &str) -> Edge {
        test_edge(from, to, "2016-05-21")
    }

    const MERGE: GremlinStyle = GremlinStyle {
        upsert: UpsertStyle::Merge,
        conditional_create: true,
    };
    const COALESCE: GremlinStyle = GremlinStyle {
        upsert: UpsertStyle::Coalesce,
        conditional_create: true,
    };

    fn no_random() -> String {
        unreachable!("conditional create never draws a random id")
    }

    #[test]
    fn merge_style_exact_text() {
        let q = batch_query(&[edge("1", "2"), edge("1", "3")], MERGE, no_random);
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
    fn coalesce_style_exact_text() {
        let q = batch_query(&[edge("1", "2")], COALESCE, no_random);
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
        let style = GremlinStyle {
            upsert: UpsertStyle::Merge,
            conditional_create: false,
        };
        let q = batch_query(&[edge("1", "2")], style, || "r-1".to_string());
        assert_eq!(
            q,
            "g.mergeV([(T.id):'1']).option(Merge.onCreate,[(T.label):'person'])\
             .mergeV([(T.id):'2']).option(Merge.onCreate,[(T.label):'person'])\
             .V('1').addE('follows').to(__.V('2')).property(T.id,'r-1').property('creationDate','2016-05-21')"
        );
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
        let q = batch_query(&[e], MERGE, no_random);
        assert!(
            q.ends_with(".option(Merge.onCreate,['creationDate':'2016-05-21','via':'it\\'s','n':7,'big':1099511627776L,'w':0.5d,'ok':false])\
                .option(Merge.onMatch,['via':'it\\'s','n':7,'big':1099511627776L,'w':0.5d,'ok':false])"),
            "{q}"
        );
    }

    #[test]
    fn properties_are_last_write_wins_in_every_style() {
        let mut e = edge("1", "2");
        e.properties = vec![("weight".into(), PropertyValue::Integer(3))];
        let merge = batch_query(std::slice::from_ref(&e), MERGE, no_random);
        assert!(
            merge.ends_with(
                ".mergeE([(T.id):'1-2016-05-21-2',(T.label):'follows',(Direction.OUT):'1',(Direction.IN):'2'])\
                 .option(Merge.onCreate,['creationDate':'2016-05-21','weight':3])\
                 .option(Merge.onMatch,['weight':3])"
            ),
            "{merge}"
        );
        assert_eq!(
            batch_query(std::slice::from_ref(&e), COALESCE, no_random),
            "g.V('1').fold().coalesce(__.unfold(),__.addV('person').property(T.id,'1'))\
             .V('2').fold().coalesce(__.unfold(),__.addV('person').property(T.id,'2'))\
             .V('1').outE('follows').hasId('1-2016-05-21-2').fold().coalesce(__.unfold(),\
             __.V('1').addE('follows').to(__.V('2')).property(T.id,'1-2016-05-21-2').property('creationDate','2016-05-21'))\
             .property('weight',3)"
        );
        let style = GremlinStyle {
            upsert: UpsertStyle::Coalesce,
            conditional_create: false,
        };
        assert!(
            batch_query(&[e], style, || "r-1".to_string()).ends_with(
                ".V('1').addE('follows').to(__.V('2')).property(T.id,'r-1').property('creationDate','2016-05-21').property('weight',3)"
            )
        );
    }

    /// Hostile ids and the exact literal each must become.
    const HOSTILE: &[(&str, &str)] = &[
        ("it's", r"'it\'s'"),
        ("a\\b", r"'a\\b'"),
        ("\\'", r"'\\\''"),
        ("line\nbreak\r\t", r"'line\nbreak\r\t'"),
        ("x')).drop().V('y", r"'x\')).drop().V(\'y'"),
        ("a // comment", "'a // comment'"),
        ("${System.exit(0)}", "'${System.exit(0)}'"),
        ("\"double\"", "'\"double\"'"),
        ("ünïcødé 🚀 名前", "'ünïcødé 🚀 名前'"),
        ("nul\u{0}bell\u{7}", r"'nul\u0000bell\u0007'"),
        ("sep\u{2028}", r"'sep\u2028'"),
        ("\\u0027", r"'\\u0027'"),
    ];

    #[test]
    fn hostile_ids_become_exact_literals() {
        for (raw, literal) in HOSTILE {
            let mut out = String::new();
            push_literal(&mut out, raw);
            assert_eq!(&out, literal, "literal for {raw:?}");
            let q = batch_query(&[edge(raw, "2")], MERGE, no_random);
            assert!(
                q.starts_with(&format!("g.mergeV([(T.id):{literal}])")),
                "{q}"
            );
        }
    }

    #[test]
    fn hostile_ids_never_leave_their_literal() {
        // Walk the query like the grammar's lexer: outside literals only the fixed step text may
        // appear, so stripping literal contents must give the same skeleton for any id.
        fn skeleton(q: &str) -> String {
            let mut out = String::new();
            let mut chars = q.chars();
            let mut inside = false;
            while let Some(c) = chars.next() {
                match (inside, c) {
                    (false, '\'') => {
                        inside = true;
                        out.push_str("'…'");
                    }
                    (false, c) => out.push(c),
                    (true, '\\') => {
                        chars.next();
                    }
                    (true, '\'') => inside = false,
                    (true, _) => {}
                }
            }
            out
        }
        let reference = skeleton(&batch_query(&[edge("a", "b")], MERGE, no_random));
        let reference_c = skeleton(&batch_query(&[edge("a", "b")], COALESCE, no_random));
        for (raw, _) in HOSTILE {
            let e = edge(raw, &format!("{raw}!"));
            assert_eq!(
                skeleton(&batch_query(std::slice::from_ref(&e), MERGE, no_random)),
                reference,
                "{raw:?}"
            );
            assert_eq!(
                skeleton(&batch_query(&[e], COALESCE, no_random)),
                reference_c,
                "{raw:?}"
            );
        }
    }

    #[test]
    fn edge_ids_are_unambiguous() {
        let mut a = edge("a-2016-05-21-b", "c");
        let mut b = edge("a", "b-2016-05-21-c");
        assert_ne!(edge_id(&a), edge_id(&b));
        assert_eq!(edge_id(&a), "a%2D2016%2D05%2D21%2Db-2016-05-21-c");
        a.from = "50%".into();
        b.from = "50%25".into();
        assert_ne!(edge_id(&a), edge_id(&b));
    }
}
