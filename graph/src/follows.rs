//! The sample's `follows` edge in the graph: its labels, its property name and its id, which every language writes
//! and reads (a `follows` record is an upsert of one such edge between two `person` vertices).

use crate::operation::push_id_part;

/// The label of the vertices a `follows` edge creates.
pub const PERSON: &str = "person";
/// The label of the edges.
pub const FOLLOWS: &str = "follows";
/// The edge property holding the record's creation date, exactly as the record wrote it.
pub const CREATION_DATE: &str = "creationDate";

/// The edge id of (from, creationDate, to): `from-creationDate-to` as in the sample, with `%` and `-` in the vertex
/// ids percent-encoded so that two different edges never share an id (the date's own `-` cannot be confused: it
/// sits between the two encoded ids). An edge re-sent with the same creation date is the same edge.
pub fn edge_id(from: &str, created: &str, to: &str) -> String {
    let mut id = String::with_capacity(from.len() + to.len() + created.len() + 2);
    push_id_part(&mut id, from);
    id.push('-');
    id.push_str(created);
    id.push('-');
    push_id_part(&mut id, to);
    id
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edge_ids_are_the_samples_and_unambiguous() {
        assert_eq!(edge_id("1", "2016-05-21", "2"), "1-2016-05-21-2");
        let (a, b) = (
            edge_id("a-2016-05-21-b", "2016-05-21", "c"),
            edge_id("a", "2016-05-21", "b-2016-05-21-c"),
        );
        assert_ne!(a, b);
        assert_eq!(a, "a%2D2016%2D05%2D21%2Db-2016-05-21-c");
        assert_ne!(edge_id("50%", "d", "x"), edge_id("50%25", "d", "x"));
    }
}
