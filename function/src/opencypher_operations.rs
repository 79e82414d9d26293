//! openCypher request for a batch of graph operations ([`stream2neptune_graph::Operation`]): one query and one
//! parameter document, sent as Neptune's form body ([`crate::form::opencypher_body`]) in one request, so the batch
//! is one transaction.
//!
//! The query text comes from a small set that does not depend on the batch's ids or values, so an engine plans
//! each text once and then answers from its plan cache (Neo4j planned every earlier, batch-shaped text afresh: 27 -
//! 55 s for a 100-record mixed batch, against 0.06 - 0.5 s for the same text again; BENCHMARKS.md). A write is laid
//! out in rounds ([`Schedule`]); a round is a fixed sequence of parts, each one `UNWIND $w.rI_J AS r ...` over a
//! list in the one map parameter `w` ([`LISTS`]; an empty list does nothing), joined by `WITH count(*) AS b`, an aggregation that ends one part
//! before the next starts (Neptune runs only read-only `CALL` subqueries and has no `FOREACH`, so they cannot be
//! used instead). The parts, in round order ([`Part`]):
//! 1. the moved-edge check of each edge upsert (below);
//! 2. edge deletes (`DELETE` of the relationship with the `~id`);
//! 3. vertex deletes (`DETACH DELETE`, with its edges);
//! 4. per vertex label, `CREATE (:Label {~id})` of each id no vertex has (`OPTIONAL MATCH`, `WHERE x IS NULL`): the
//!    vertices upserted and the edges' endpoints (with `from_label`, `to_label`), each once a round, with the label
//!    its first mention gives (an existing vertex keeps its own); a part of its own per label sets the values set on
//!    create of the creating upsert (`SET n += r.c`);
//! 5. vertex properties: `MATCH` the `~id` and `SET n += r.p`, where `p` maps each property to its last value, or to
//!    `null` to remove it (Neptune removes a property set to null): vertex upserts and a change record's added
//!    values;
//! 6. per edge type, `MERGE (a)-[e:Type {~id}]->(z)` between the endpoints and `SET e += r.p` (a part of its own per
//!    type for upserts with values set on create: `ON CREATE SET e += r.c` first);
//! 7. edge properties of existing edges (a change record's added values);
//! 8. per element kind and date-time property name, `SET n.name = datetime(r.v)` from the ISO-8601 text (a
//!    parameter is JSON, which has no date-time);
//! 9. per element kind and property name, a change record's removed value: `WHERE n.name = r.v SET n.name = null`.
//!
//! A write's text is its rounds' parts, one per label, edge type (each with or without values set on create) and
//! name the write holds (labels cannot be
//! parameters; the property names in parts 8 and 9 neither: openCypher has no dynamic property write), and its
//! rounds rounded up to a power of two (the spare rounds' lists are empty). So the texts an engine sees are bounded
//! by the stream's labels, edge types and date-time and removed-value property names, times the few round counts:
//! not by its ids, values or order. [`fitting`] bounds the rounds: the handler ends a write at the record that would
//! need more than [`MAX_ROUNDS`] rounds (a record needing more on its own is written alone, in as many as it needs).
//!
//! Order: a part never holds one element twice, and an operation goes into the first round in which every one of
//! its parts comes after every part holding an operation it must follow ([`Schedule`]), so the operations on one
//! key apply in stream order whatever order an engine gives the rows of one `UNWIND`. A vertex upsert and the edge
//! upserts naming the vertex commute (whichever mentions it first in the stream creates it, the others find it); an
//! upsert of an element whose last operation in the write is an upsert of it (the same endpoints and type for an
//! edge, no delete of an endpoint since) joins that upsert's row: the last value of each property wins, as in
//! stream order. Rows that do not depend on each other commute, so the graph, and a refusal, are the ones stream
//! order gives.
//!
//! No value ever enters the query text; labels, edge types and those property names do, backquoted
//! ([`symbolic_name`]), so no id, label or name can change the query.
//!
//! An upsert cannot move or relabel an edge (the model's [`stream2neptune_graph::Refusal::EdgeIdTaken`], Gremlin's
//! "already exists"): `MERGE` would look for the edge between the endpoints given, find none and create a second
//! relationship with the id, which Neptune refuses (ids are unique) and an engine without unique relationship ids
//! keeps. So each round first matches the relationships holding its edge upserts' ids and, for one of another type
//! or other endpoints, sets a map as a property value (`edgeIdTaken`, naming the id and the edge holding it), which
//! openCypher refuses on every engine (a property value is a simple literal): the whole request fails and is rolled
//! back, and the writer narrows the batch down to the record and rejects it (`StoreRefused`). The check comes before
//! the round's vertex deletes and skips a relationship with an endpoint that a delete earlier in the stream, in the
//! same round, removes (the row's `g`), so it reads what stream order would; that lets vertex deletes and edge
//! upserts share rounds. Neptune's openCypher has no function that raises an error; this refusal is the one that
//! names what is wrong. The match is an id lookup on Neptune; on Neo4j, which indexes relationship properties only
//! per type, it scans the relationships once per round. A write whose edge ids are built from their ends
//! ([`EdgeIds::FromEnds`], the sample's `follows` edges) leaves the check out.
//!
//! What Neptune's openCypher cannot store is refused ([`check`]), not mapped to something else: a date (its only
//! temporal type is DateTime), a list value (a multi-valued property; Neptune's openCypher refuses a list as a
//! property value: "Expected a simple literal but found List"), an `add` to a property's set of values, a date-time
//! set on create (date-times are written by part 8, after the element exists). A list of one value is that value.
//!
//! A value set on create is written only by the creation of the upsert that creates the element: not by an upsert
//! that joins an earlier upsert's row (the earlier one created it, or found it), nor when an earlier mention in
//! the round creates the vertex (an edge naming it, in stream order before).

use std::borrow::Borrow;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write;

use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};
#[cfg(test)]
use serde_json::Value as Json;
use stream2neptune_graph::{Change, Element, Operation, PropertyChange, Unwritable, Value};

use crate::form::opencypher_body;

/// The language as refusals name it.
pub const LANGUAGE: &str = "openCypher";

/// The barrier between two parts.
const BARRIER: &str = " WITH count(*) AS b ";

/// The one parameter, a map holding every part's list (`$w.r0_3`): Neo4j keys its plan cache by the text and the
/// type and size class of each parameter, so lists of their own, empty in one write and not in the next, planned
/// the same text again for most writes (4 - 6 s for 72 parts); one map parameter keeps one plan per text. Neptune
/// documents the `.` operator on a nested literal map.
const LISTS: &str = "w";

/// Rounds a write holds at most, unless one record needs more ([`fitting`]): 4 rounds of the mixed workload's 9
/// parts plan in 1.5 - 2.5 s on Neo4j, once, and take 76 of its records a write on average (8 rounds: 4 - 11 s, 98
/// records; 2 rounds: 33 records; BENCHMARKS.md). Measured before the workload set values on create, which adds a
/// creation part and a merge part to its rounds (not measured since).
pub const MAX_ROUNDS: usize = 4;

/// Where a write's edge ids come from, which decides whether its rounds check for moved edges (module docs).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum EdgeIds {
    /// Given by the records (graph operations, mappings, change records): each round refuses an edge upsert whose
    /// id another edge holds, of another type or between other endpoints.
    #[default]
    Given,
    /// Built from each edge's ends, as the `follows` edge id is ([`stream2neptune_graph::follows::edge_id`]): an
    /// edge holding one has those ends unless a record of another form gave it that id, so the check is left out
    /// (Neptune's ids are unique, so it refuses such a move itself; an engine without unique relationship ids keeps
    /// a second relationship). It saves a relationship scan per write on engines that index relationship
    /// properties per type only, as Neo4j does: 46 edges/s with the check, 3,814 without it, writing 20,000
    /// follows edges (BENCHMARKS.md, session 15).
    FromEnds,
}

/// Whether the language can write `operation`; the reason names the field and what to send instead.
pub fn check(operation: &Operation) -> Result<(), Unwritable> {
    let refuse = |field: String, reason: &str| Unwritable {
        language: LANGUAGE,
        operation: operation.name(),
        element: operation.element_id().to_owned(),
        field,
        reason: reason.to_owned(),
    };
    let (labels, properties): ([&str; 3], &[PropertyChange]) = match operation {
        // The vertex's one label, in each of the three places an edge's labels take.
        Operation::UpsertVertex(v) => ([&v.label; 3], &v.properties),
        Operation::UpsertEdge(e) => ([&e.label, &e.from_label, &e.to_label], &e.properties),
        Operation::DeleteVertex { .. } | Operation::DeleteEdge { .. } => return Ok(()),
        Operation::ChangeValues { changes, .. } => {
            for change in changes {
                let field = || format!("property {:?}", change.name);
                if change.name.starts_with('~') {
                    return Err(refuse(
                        field(),
                        "names starting with `~` are Neptune's own (`~id`, `~label`); rename the property",
                    ));
                }
                if let Err(reason) = single(&change.value) {
                    return Err(refuse(field(), reason));
                }
            }
            return Ok(());
        }
    };
    if labels.iter().any(|l| l.is_empty()) {
        return Err(refuse(
            "label".into(),
            "a label cannot be empty; give the element a label",
        ));
    }
    for change in properties {
        let field = || format!("property {:?}", change.name);
        if change.name.starts_with('~') {
            return Err(refuse(
                field(),
                "names starting with `~` are Neptune's own (`~id`, `~label`); rename the property",
            ));
        }
        match &change.change {
            Change::Remove => {}
            Change::SetOnCreate(Value::List(_)) => {
                return Err(refuse(
                    field(),
                    "a value set on create is one value; send one value, not a list",
                ));
            }
            Change::SetOnCreate(Value::DateTime(_)) => {
                return Err(refuse(
                    field(),
                    "openCypher writes a date-time in a step after the element exists, so it cannot set one only \
                     on create; send a plain set, or the date-time as a string",
                ));
            }
            Change::Add(_) => {
                return Err(refuse(
                    field(),
                    "openCypher on Neptune cannot add a value to a multi-valued property (a property holds one \
                     value there); send `set`, or write this graph with Gremlin or SPARQL",
                ));
            }
            Change::Set(value) | Change::SetOnCreate(value) => {
                if let Err(reason) = single(value) {
                    return Err(refuse(field(), reason));
                }
            }
        }
    }
    Ok(())
}

/// The one value a set writes, or why openCypher cannot store it.
fn single(value: &Value) -> Result<&Value, &'static str> {
    match value {
        Value::List(values) if values.len() == 1 => single(&values[0]),
        Value::List(_) => Err(
            "Neptune's openCypher refuses a list as a property value (it stores no multi-valued property it did \
             not get from Gremlin); send one value, or write this graph with Gremlin or SPARQL",
        ),
        Value::Date(_) => Err(
            "Neptune's openCypher has no date type (its temporal type is DateTime); send a date-time such as \
             2024-05-01T00:00:00Z, or the date as a string",
        ),
        value => Ok(value),
    }
}

/// The complete form body writing `operations` in order, in one request (one transaction); they may be borrowed
/// from several records.
pub fn batch_request<O: Borrow<Operation>>(
    operations: &[O],
    edge_ids: EdgeIds,
) -> Result<String, Unwritable> {
    let (query, parameters) = batch_query(operations, edge_ids)?;
    Ok(opencypher_body(&query, &parameters))
}

/// How many of `records` (each its operations, in stream order) one write takes: every one while their schedule
/// needs at most [`MAX_ROUNDS`] rounds, and at least the first.
pub fn fitting<'a>(records: impl IntoIterator<Item = &'a [Operation]>) -> usize {
    let mut schedule = Schedule::default();
    let mut taken = 0;
    for operations in records {
        for operation in operations {
            let _ = schedule.add(operation);
        }
        if taken > 0 && schedule.rounds > MAX_ROUNDS {
            break;
        }
        taken += 1;
    }
    taken
}

/// One part of a round; the order of the variants is the order of the parts in a round.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Part<'a> {
    Check,
    DeleteEdge,
    DeleteVertex,
    /// Vertices with this label, created where absent; with their values set on create (`true`), or none.
    Create(&'a str, bool),
    SetVertex,
    /// Edges of this type, merged between their endpoints; with their values set on create (`true`), or none.
    Merge(&'a str, bool),
    SetEdge,
    DateTime {
        edge: bool,
        name: &'a str,
    },
    RemoveValue {
        edge: bool,
        name: &'a str,
        datetime: bool,
    },
}

/// Where a part runs: the same for every label or name of its kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Slot {
    Check,
    DeleteEdge,
    DeleteVertex,
    Create,
    SetVertex,
    Merge,
    SetEdge,
    DateTime,
    RemoveValue,
}

/// A round and a slot in it.
type Position = (usize, Slot);

/// The first round in which `slot` comes after `position`.
fn round_after(position: Option<Position>, slot: Slot) -> usize {
    match position {
        None => 0,
        Some((round, at)) if slot > at => round,
        Some((round, _)) => round + 1,
    }
}

/// One row of a part's parameter list, serialised as the JSON object the part reads (its keys in sorted order, as
/// a JSON map, serde_json's default, would write them; no value copied on the way).
#[derive(Debug)]
enum Row<'a> {
    /// An id (deletes, creations).
    Id(&'a str),
    /// A creation with the values set on create.
    Create {
        id: &'a str,
        values: Vec<(&'a str, &'a Value)>,
    },
    /// An edge upsert's moved-edge check, skipping relationships of the vertices in `gone`.
    Check {
        id: &'a str,
        label: &'a str,
        from: &'a str,
        to: &'a str,
        gone: Vec<&'a str>,
    },
    /// Property changes, in stream order (`None` removes; [`parameter_lists`] reduces them to each property's last
    /// value but date-times); an edge upsert's with its endpoints and the values it sets when it creates the edge.
    Set {
        id: &'a str,
        endpoints: Option<(&'a str, &'a str)>,
        changes: Vec<(&'a str, Option<&'a Value>)>,
        on_create: Vec<(&'a str, &'a Value)>,
    },
    /// A value: removed where the element holds it, or a date-time set (its ISO-8601 text).
    Value { id: &'a str, value: &'a Value },
}

/// What the schedule knows of one vertex id.
#[derive(Default)]
struct VertexState {
    /// The last delete or value change: every later row on the vertex comes after it.
    fixed: Option<Position>,
    /// The last part writing its properties (or deleting it).
    props: Option<Position>,
    /// The last part creating it where absent or merging an edge naming it (or deleting it).
    mention: Option<Position>,
    /// The round whose creation part holds it (since its last delete).
    created: Option<usize>,
    /// The upsert row a later upsert joins while `props` is still that upsert's: its round and index.
    open: Option<(usize, usize)>,
}

/// An edge upsert's row a later upsert of the edge joins.
struct OpenEdge<'a> {
    round: usize,
    index: usize,
    /// The row's part: whether it sets values on create.
    on_create: bool,
    label: &'a str,
    from: &'a str,
    to: &'a str,
    /// The endpoints' `fixed` when the row was written: a delete of an endpoint since closes the row.
    fixed: (Option<Position>, Option<Position>),
}

/// What the schedule knows of one edge id.
#[derive(Default)]
struct EdgeState<'a> {
    last: Option<Position>,
    open: Option<OpenEdge<'a>>,
}

/// The rounds of a write: each operation goes into the first round in which its parts come after the parts holding
/// every operation it must follow. A row follows every earlier row on its element, except that upserts of a vertex
/// and of edges naming it commute (creation takes the first mention's label) and an upsert joins the previous
/// upsert's row when nothing but such upserts touched the element since; a vertex delete follows the rows naming the
/// vertex and every earlier edge upsert's check; an edge upsert's check comes in the round of the latest earlier
/// vertex delete or after (skipping the edges of the vertices deleted earlier in the same round, `g`). An edge
/// delete or value change commutes with a vertex delete (the edge is gone either way).
#[derive(Default)]
struct Schedule<'a> {
    parts: BTreeMap<(usize, Part<'a>), Vec<Row<'a>>>,
    vertices: HashMap<&'a str, VertexState>,
    edges: HashMap<&'a str, EdgeState<'a>>,
    /// Per round, the vertices deleted in it so far (stream order).
    deleted: Vec<Vec<&'a str>>,
    /// The latest round holding a vertex delete, and one holding an edge upsert's check.
    last_delete: usize,
    last_check: usize,
    /// Rounds used.
    rounds: usize,
    /// Whether edge upserts are checked for moved edges ([`EdgeIds::Given`]).
    edge_ids: EdgeIds,
}

impl<'a> Schedule<'a> {
    fn push(&mut self, round: usize, part: Part<'a>, row: Row<'a>) -> usize {
        self.rounds = self.rounds.max(round + 1);
        let rows = self.parts.entry((round, part)).or_default();
        rows.push(row);
        rows.len() - 1
    }

    fn set_row(
        &mut self,
        round: usize,
        part: Part<'a>,
        index: usize,
    ) -> &mut Vec<(&'a str, Option<&'a Value>)> {
        match self
            .parts
            .get_mut(&(round, part))
            .and_then(|rows| rows.get_mut(index))
        {
            Some(Row::Set { changes, .. }) => changes,
            _ => unreachable!("an open row is a set row of its part"),
        }
    }

    /// Creates `id` with `label` and the `values` set on create where absent in `round`, unless the round creates it
    /// already (an earlier mention in stream order creates it, without these values).
    fn create(
        &mut self,
        round: usize,
        id: &'a str,
        label: &'a str,
        values: Vec<(&'a str, &'a Value)>,
    ) {
        let state = self.vertices.entry(id).or_default();
        if state.created != Some(round) {
            state.created = Some(round);
            if values.is_empty() {
                self.push(round, Part::Create(label, false), Row::Id(id));
            } else {
                self.push(round, Part::Create(label, true), Row::Create { id, values });
            }
        }
    }

    /// Schedules `operation` (already [`check`]ed) after the ones added before it; the round it joins (its last,
    /// for a value change's several values).
    fn add(&mut self, operation: &'a Operation) -> usize {
        match operation {
            Operation::UpsertVertex(v) => {
                let changes = property_changes(&v.properties);
                let state = self.vertices.entry(&v.id).or_default();
                if let Some((round, index)) = state.open
                    && state.props == Some((round, Slot::DateTime))
                {
                    self.set_row(round, Part::SetVertex, index).extend(changes);
                    return round;
                }
                let round = round_after(state.fixed, Slot::Create)
                    .max(state.mention.map_or(0, |(r, _)| r))
                    .max(round_after(state.props, Slot::SetVertex));
                self.create(round, &v.id, &v.label, values_on_create(&v.properties));
                let index = self.push(
                    round,
                    Part::SetVertex,
                    Row::Set {
                        id: &v.id,
                        endpoints: None,
                        changes,
                        on_create: Vec::new(),
                    },
                );
                let state = self.vertices.entry(&v.id).or_default();
                state.open = Some((round, index));
                state.props = Some((round, Slot::DateTime));
                state.mention = state.mention.max(Some((round, Slot::Create)));
                round
            }
            Operation::UpsertEdge(e) => {
                let changes = property_changes(&e.properties);
                let fixed = |id: &str| self.vertices.get(id).and_then(|v| v.fixed);
                let endpoints_fixed = (fixed(&e.from), fixed(&e.to));
                let state = self.edges.entry(&e.id).or_default();
                if let Some(open) = &state.open
                    && state.last == Some((open.round, Slot::DateTime))
                    && (open.label, open.from, open.to) == (&e.label, &e.from, &e.to)
                    && open.fixed == endpoints_fixed
                {
                    let (round, part) = (open.round, Part::Merge(&e.label, open.on_create));
                    let index = open.index;
                    self.set_row(round, part, index).extend(changes);
                    return round;
                }
                let mut round = round_after(state.last, Slot::Check).max(self.last_delete);
                for id in [&e.from, &e.to] {
                    if let Some(v) = self.vertices.get(id.as_str()) {
                        round = round
                            .max(round_after(v.fixed, Slot::Create))
                            .max(v.mention.map_or(0, |(r, _)| r));
                    }
                }
                if self.edge_ids == EdgeIds::Given {
                    let gone = self.deleted.get(round).cloned().unwrap_or_default();
                    self.push(
                        round,
                        Part::Check,
                        Row::Check {
                            id: &e.id,
                            label: &e.label,
                            from: &e.from,
                            to: &e.to,
                            gone,
                        },
                    );
                }
                self.create(round, &e.from, &e.from_label, Vec::new());
                self.create(round, &e.to, &e.to_label, Vec::new());
                let on_create = values_on_create(&e.properties);
                let with_values = !on_create.is_empty();
                let index = self.push(
                    round,
                    Part::Merge(&e.label, with_values),
                    Row::Set {
                        id: &e.id,
                        endpoints: Some((&e.from, &e.to)),
                        changes,
                        on_create,
                    },
                );
                for id in [&e.from, &e.to] {
                    let v = self.vertices.entry(id).or_default();
                    v.mention = v.mention.max(Some((round, Slot::Merge)));
                }
                self.edges.insert(
                    &e.id,
                    EdgeState {
                        last: Some((round, Slot::DateTime)),
                        open: Some(OpenEdge {
                            round,
                            index,
                            on_create: with_values,
                            label: &e.label,
                            from: &e.from,
                            to: &e.to,
                            fixed: endpoints_fixed,
                        }),
                    },
                );
                self.last_check = self.last_check.max(round);
                round
            }
            Operation::DeleteVertex { id } => {
                let state = self.vertices.entry(id).or_default();
                let round = [state.fixed, state.props, state.mention]
                    .into_iter()
                    .map(|p| round_after(p, Slot::DeleteVertex))
                    .max()
                    .unwrap_or(0)
                    .max(self.last_check);
                let at = Some((round, Slot::DeleteVertex));
                *state = VertexState {
                    fixed: at,
                    props: at,
                    mention: at,
                    created: None,
                    open: None,
                };
                self.push(round, Part::DeleteVertex, Row::Id(id));
                if self.deleted.len() <= round {
                    self.deleted.resize_with(round + 1, Vec::new);
                }
                self.deleted[round].push(id);
                self.last_delete = self.last_delete.max(round);
                round
            }
            Operation::DeleteEdge { id } => {
                let state = self.edges.entry(id).or_default();
                let round = round_after(state.last, Slot::DeleteEdge);
                *state = EdgeState {
                    last: Some((round, Slot::DeleteEdge)),
                    open: None,
                };
                self.push(round, Part::DeleteEdge, Row::Id(id));
                round
            }
            Operation::ChangeValues {
                element,
                id,
                changes,
            } => {
                let edge = *element == Element::Edge;
                let mut last_round = 0;
                for change in changes {
                    let value = single(&change.value).unwrap_or(&change.value);
                    let (part, slot, row) = if change.add {
                        let part = if edge { Part::SetEdge } else { Part::SetVertex };
                        let row = Row::Set {
                            id,
                            endpoints: None,
                            changes: vec![(&change.name, Some(value))],
                            on_create: Vec::new(),
                        };
                        (
                            part,
                            if edge { Slot::SetEdge } else { Slot::SetVertex },
                            row,
                        )
                    } else {
                        let part = Part::RemoveValue {
                            edge,
                            name: &change.name,
                            datetime: matches!(value, Value::DateTime(_)),
                        };
                        (part, Slot::RemoveValue, Row::Value { id, value })
                    };
                    // An added date-time lands in the date-time part, after its slot.
                    let last = if change.add { Slot::DateTime } else { slot };
                    let round = if edge {
                        let state = self.edges.entry(id).or_default();
                        let round = round_after(state.last, slot);
                        *state = EdgeState {
                            last: Some((round, last)),
                            open: None,
                        };
                        round
                    } else {
                        let state = self.vertices.entry(id).or_default();
                        let round = [state.fixed, state.props, state.mention]
                            .into_iter()
                            .map(|p| round_after(p, slot))
                            .max()
                            .unwrap_or(0);
                        state.fixed = Some((round, last));
                        state.props = Some((round, last));
                        state.open = None;
                        round
                    };
                    self.push(round, part, row);
                    last_round = round;
                }
                last_round
            }
        }
    }
}

/// An upsert's property changes but those set on create: the value each sets (`None` removes).
fn property_changes(properties: &[PropertyChange]) -> Vec<(&str, Option<&Value>)> {
    properties
        .iter()
        .filter_map(|change| match &change.change {
            Change::Set(value) | Change::Add(value) => {
                Some((change.name.as_str(), Some(single(value).unwrap_or(value))))
            }
            Change::Remove => Some((change.name.as_str(), None)),
            Change::SetOnCreate(_) => None,
        })
        .collect()
}

/// An upsert's values set on create ([`check`]ed: one value each, no date-time).
fn values_on_create(properties: &[PropertyChange]) -> Vec<(&str, &Value)> {
    properties
        .iter()
        .filter_map(|change| match &change.change {
            Change::SetOnCreate(value) => Some((change.name.as_str(), value)),
            Change::Set(_) | Change::Add(_) | Change::Remove => None,
        })
        .collect()
}

/// The query text and the `parameters` JSON writing `operations` in order; every operation is [`check`]ed first.
pub fn batch_query<O: Borrow<Operation>>(
    operations: &[O],
    edge_ids: EdgeIds,
) -> Result<(String, String), Unwritable> {
    let mut schedule = Schedule {
        edge_ids,
        // Every operation names at most two vertices and one edge: no map grows while the schedule is built.
        vertices: HashMap::with_capacity(2 * operations.len()),
        edges: HashMap::with_capacity(operations.len()),
        ..Schedule::default()
    };
    for operation in operations.iter().map(Borrow::borrow) {
        check(operation)?;
        let _ = schedule.add(operation);
    }
    let rounds = schedule.rounds.max(1).next_power_of_two();
    let mut lists = parameter_lists(schedule.parts);
    let template: BTreeSet<Part> = lists.keys().map(|(_, part)| *part).collect();
    let mut query = String::with_capacity(160 * rounds * template.len());
    let mut parameters = BTreeMap::new();
    for round in 0..rounds {
        for (j, part) in template.iter().enumerate() {
            if !query.is_empty() {
                query.push_str(BARRIER);
            }
            let name = format!("r{round}_{j}");
            push_part(&mut query, &format!("{LISTS}.{name}"), part);
            let rows = lists.remove(&(round, *part)).unwrap_or_default();
            parameters.insert(name, rows);
        }
    }
    // Strings, numbers, booleans and nulls always serialise.
    let parameters =
        serde_json::to_string(&BTreeMap::from([(LISTS, parameters)])).unwrap_or_default();
    Ok((query, parameters))
}

/// A value as JSON (a date or date-time as its ISO-8601 text).
#[derive(Debug, Clone, Copy)]
pub(crate) struct JsonValue<'a>(pub(crate) &'a Value);

impl Serialize for JsonValue<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Value::String(s) | Value::Date(s) | Value::DateTime(s) => serializer.serialize_str(s),
            Value::Integer(i) => serializer.serialize_i64(*i),
            // Finite by construction (records refuse NaN and infinities; serde_json writes a non-finite as null).
            Value::Double(d) => serializer.serialize_f64(*d),
            Value::Boolean(b) => serializer.serialize_bool(*b),
            Value::List(values) => serializer.collect_seq(values.iter().map(JsonValue)),
        }
    }
}

/// Named values as a JSON map: sorted by name, the last value of a name winning.
struct ValueMap<'r, 'a>(&'r [(&'a str, &'a Value)]);

impl Serialize for ValueMap<'_, '_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if let [(name, value)] = self.0 {
            return serializer.collect_map([(name, JsonValue(value))]);
        }
        let sorted: BTreeMap<&str, &Value> = self.0.iter().copied().collect();
        serializer.collect_map(
            sorted
                .into_iter()
                .map(|(name, value)| (name, JsonValue(value))),
        )
    }
}

impl Serialize for Row<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let map = match self {
            Row::Id(id) => return serializer.serialize_str(id),
            Row::Create { id, values } => {
                let mut map = serializer.serialize_map(Some(2))?;
                map.serialize_entry("c", &ValueMap(values))?;
                map.serialize_entry("id", id)?;
                map
            }
            Row::Check {
                id,
                label,
                from,
                to,
                gone,
            } => {
                let mut map = serializer.serialize_map(Some(5))?;
                map.serialize_entry("from", from)?;
                map.serialize_entry("g", gone)?;
                map.serialize_entry("id", id)?;
                map.serialize_entry("l", label)?;
                map.serialize_entry("to", to)?;
                map
            }
            Row::Value { id, value } => {
                let mut map = serializer.serialize_map(Some(2))?;
                map.serialize_entry("id", id)?;
                map.serialize_entry("v", &JsonValue(value))?;
                map
            }
            Row::Set {
                id,
                endpoints,
                changes,
                on_create,
            } => {
                let mut map = serializer.serialize_map(None)?;
                if !on_create.is_empty() {
                    map.serialize_entry("c", &ValueMap(on_create))?;
                }
                if let Some((from, _)) = endpoints {
                    map.serialize_entry("from", from)?;
                }
                map.serialize_entry("id", id)?;
                map.serialize_entry("p", &LastValues(changes))?;
                if let Some((_, to)) = endpoints {
                    map.serialize_entry("to", to)?;
                }
                map
            }
        };
        map.end()
    }
}

/// A set row's `p`: each property's last value, `null` to remove it ([`parameter_lists`] leaves them so).
struct LastValues<'r, 'a>(&'r [(&'a str, Option<&'a Value>)]);

impl Serialize for LastValues<'_, '_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(
            self.0
                .iter()
                .map(|(name, value)| (name, value.map(JsonValue))),
        )
    }
}

/// Each part's rows, each set row's changes reduced to the last value of each property, by name, and its
/// date-times moved to the round's date-time parts.
fn parameter_lists<'a>(
    mut parts: BTreeMap<(usize, Part<'a>), Vec<Row<'a>>>,
) -> BTreeMap<(usize, Part<'a>), Vec<Row<'a>>> {
    let mut date_times: Vec<((usize, Part<'a>), Row<'a>)> = Vec::new();
    for ((round, part), rows) in &mut parts {
        let edge = matches!(part, Part::Merge(..) | Part::SetEdge);
        for row in rows {
            if let Row::Set { id, changes, .. } = row {
                let last: BTreeMap<&str, Option<&Value>> = changes.drain(..).collect();
                for (name, value) in last {
                    match value {
                        Some(value @ Value::DateTime(_)) => date_times.push((
                            (*round, Part::DateTime { edge, name }),
                            Row::Value { id, value },
                        )),
                        value => changes.push((name, value)),
                    }
                }
            }
        }
    }
    for (key, row) in date_times {
        parts.entry(key).or_default().push(row);
    }
    parts
}

/// Appends `part`'s clause over the parameter list `$list`.
fn push_part(query: &mut String, list: &str, part: &Part) {
    let _ = match part {
        Part::Check => write!(
            query,
            "UNWIND ${list} AS r MATCH (p)-[o {{`~id`: r.id}}]->(q) \
             WHERE (type(o) <> r.l OR p.`~id` <> r.from OR q.`~id` <> r.to) \
             AND NOT p.`~id` IN r.g AND NOT q.`~id` IN r.g \
             SET o.edgeIdTaken = {{edgeIdTaken: r.id, by: type(o), from: p.`~id`, to: q.`~id`}}"
        ),
        Part::DeleteEdge => write!(
            query,
            "UNWIND ${list} AS v MATCH ()-[e {{`~id`: v}}]->() DELETE e"
        ),
        Part::DeleteVertex => write!(
            query,
            "UNWIND ${list} AS v MATCH (n {{`~id`: v}}) DETACH DELETE n"
        ),
        Part::Create(label, false) => write!(
            query,
            "UNWIND ${list} AS v OPTIONAL MATCH (x {{`~id`: v}}) WITH v, x WHERE x IS NULL \
             CREATE (:{} {{`~id`: v}})",
            symbolic_name(label)
        ),
        Part::Create(label, true) => write!(
            query,
            "UNWIND ${list} AS r OPTIONAL MATCH (x {{`~id`: r.id}}) WITH r, x WHERE x IS NULL \
             CREATE (n:{} {{`~id`: r.id}}) SET n += r.c",
            symbolic_name(label)
        ),
        Part::SetVertex => write!(
            query,
            "UNWIND ${list} AS r MATCH {} SET n += r.p",
            element_pattern(false)
        ),
        Part::Merge(label, on_create) => write!(
            query,
            "UNWIND ${list} AS r MATCH (a {{`~id`: r.from}}), (z {{`~id`: r.to}}) \
             MERGE (a)-[e:{} {{`~id`: r.id}}]->(z) {}SET e += r.p",
            symbolic_name(label),
            if *on_create {
                "ON CREATE SET e += r.c "
            } else {
                ""
            }
        ),
        Part::SetEdge => write!(
            query,
            "UNWIND ${list} AS r MATCH {} SET n += r.p",
            element_pattern(true)
        ),
        Part::DateTime { edge, name } => write!(
            query,
            "UNWIND ${list} AS r MATCH {} SET n.{} = datetime(r.v)",
            element_pattern(*edge),
            symbolic_name(name)
        ),
        Part::RemoveValue {
            edge,
            name,
            datetime,
        } => {
            let name = symbolic_name(name);
            let value = if *datetime { "datetime(r.v)" } else { "r.v" };
            write!(
                query,
                "UNWIND ${list} AS r MATCH {} WHERE n.{name} = {value} SET n.{name} = null",
                element_pattern(*edge)
            )
        }
    };
}

/// The pattern matching the element `n` whose `~id` is `r.id` (nothing when it is absent).
fn element_pattern(edge: bool) -> &'static str {
    if edge {
        "()-[n {`~id`: r.id}]->()"
    } else {
        "(n {`~id`: r.id})"
    }
}

/// A label or property name as an escaped symbolic name: backquoted, a backquote doubled (openCypher 9).
pub fn symbolic_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 2);
    out.push('`');
    for c in name.chars() {
        if c == '`' {
            out.push('`');
        }
        out.push(c);
    }
    out.push('`');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use stream2neptune_graph::{EdgeUpsert, ValueChange, VertexUpsert};

    fn vertex(id: &str, label: &str, properties: Vec<PropertyChange>) -> Operation {
        Operation::UpsertVertex(VertexUpsert {
            id: id.into(),
            label: label.into(),
            properties,
        })
    }

    fn edge(id: &str, from: &str, to: &str, properties: Vec<PropertyChange>) -> Operation {
        Operation::UpsertEdge(EdgeUpsert {
            id: id.into(),
            label: "knows".into(),
            from: from.into(),
            to: to.into(),
            from_label: "person".into(),
            to_label: "person".into(),
            properties,
        })
    }

    fn delete(id: &str) -> Operation {
        Operation::DeleteVertex { id: id.into() }
    }

    fn delete_edge(id: &str) -> Operation {
        Operation::DeleteEdge { id: id.into() }
    }

    /// Each part with rows: its round, its clause up to the first `MATCH` or `OPTIONAL MATCH`, and its rows.
    fn parts(operations: &[Operation]) -> Vec<(usize, String, Json)> {
        parts_with(operations, EdgeIds::Given)
    }

    fn parts_with(operations: &[Operation], edge_ids: EdgeIds) -> Vec<(usize, String, Json)> {
        let (query, parameters) = batch_query(operations, edge_ids).unwrap();
        let parameters: Json = serde_json::from_str(&parameters).unwrap();
        query
            .split(BARRIER)
            .filter_map(|clause| {
                let name = clause.strip_prefix("UNWIND $w.")?.split(' ').next()?;
                let rows = &parameters["w"][name];
                let round = name[1..].split('_').next()?.parse().ok()?;
                let rest = clause.split_once(" AS ")?.1;
                (rows != &Json::Array(vec![])).then(|| (round, rest.to_owned(), rows.clone()))
            })
            .collect()
    }

    #[test]
    fn edge_ids_built_from_their_ends_leave_out_only_the_moved_edge_check() {
        let operations = [
            edge("e1", "v1", "v2", vec![]),
            vertex("v3", "person", vec![]),
            edge("e2", "v2", "v3", vec![]),
        ];
        let mut given = parts_with(&operations, EdgeIds::Given);
        assert!(given[0].1.contains("edgeIdTaken"), "{given:?}");
        given.remove(0);
        assert_eq!(parts_with(&operations, EdgeIds::FromEnds), given);
        assert!(
            !batch_query(&operations, EdgeIds::FromEnds)
                .unwrap()
                .0
                .contains("edgeIdTaken")
        );
    }

    #[test]
    fn values_set_on_create_go_with_the_creation_of_the_upsert_that_creates_the_element() {
        let first = |value| PropertyChange::set_on_create("first", Value::Integer(value));
        let parts = parts(&[
            // v2 is first mentioned by the edge, which creates it without values.
            edge("e1", "v1", "v2", vec![first(1)]),
            vertex("v2", "person", vec![first(2)]),
            vertex("v3", "person", vec![first(3)]),
            // Joins v3's row: v3 was created (or found) by the upsert before.
            vertex("v3", "person", vec![first(4)]),
            // Joins e1's row likewise.
            edge(
                "e1",
                "v1",
                "v2",
                vec![first(5), PropertyChange::set("n", Value::Integer(5))],
            ),
        ]);
        let clauses: Vec<(&str, &Json)> = parts
            .iter()
            .map(|(_, c, rows)| (c.as_str(), rows))
            .collect();
        assert_eq!(
            clauses,
            [
                (
                    "r MATCH (p)-[o {`~id`: r.id}]->(q) WHERE (type(o) <> r.l OR p.`~id` <> r.from OR q.`~id` <> r.to) \
                  AND NOT p.`~id` IN r.g AND NOT q.`~id` IN r.g \
                  SET o.edgeIdTaken = {edgeIdTaken: r.id, by: type(o), from: p.`~id`, to: q.`~id`}",
                    &serde_json::json!([{"id": "e1", "l": "knows", "from": "v1", "to": "v2", "g": []}])
                ),
                (
                    "v OPTIONAL MATCH (x {`~id`: v}) WITH v, x WHERE x IS NULL CREATE (:`person` {`~id`: v})",
                    &serde_json::json!(["v1", "v2"])
                ),
                (
                    "r OPTIONAL MATCH (x {`~id`: r.id}) WITH r, x WHERE x IS NULL CREATE (n:`person` {`~id`: r.id}) SET n += r.c",
                    &serde_json::json!([{"id": "v3", "c": {"first": 3}}])
                ),
                (
                    "r MATCH (n {`~id`: r.id}) SET n += r.p",
                    &serde_json::json!([{"id": "v2", "p": {}}, {"id": "v3", "p": {}}])
                ),
                (
                    "r MATCH (a {`~id`: r.from}), (z {`~id`: r.to}) MERGE (a)-[e:`knows` {`~id`: r.id}]->(z) \
                  ON CREATE SET e += r.c SET e += r.p",
                    &serde_json::json!([{"id": "e1", "from": "v1", "to": "v2", "p": {"n": 5}, "c": {"first": 1}}])
                ),
            ]
        );
        let refused = check(&vertex(
            "v",
            "person",
            vec![PropertyChange::set_on_create(
                "at",
                Value::DateTime("2024-05-01T10:11:12Z".into()),
            )],
        ))
        .unwrap_err();
        assert!(
            refused.reason.contains("cannot set one only on create"),
            "{refused}"
        );
        let list = check(&vertex(
            "v",
            "person",
            vec![PropertyChange::set_on_create(
                "n",
                Value::List(vec![Value::Integer(1)]),
            )],
        ))
        .unwrap_err();
        assert!(list.reason.contains("one value"), "{list}");
    }

    #[test]
    fn exact_query_and_parameters_for_a_mixed_batch() {
        let operations = [
            vertex(
                "v1",
                "device",
                vec![
                    PropertyChange::set("name", Value::String("a".into())),
                    PropertyChange::set("seen", Value::DateTime("2024-05-01T10:11:12Z".into())),
                    PropertyChange::remove("old"),
                ],
            ),
            vertex(
                "v2",
                "device",
                vec![PropertyChange::set(
                    "seen",
                    Value::DateTime("2024-05-02T10:11:12Z".into()),
                )],
            ),
            edge(
                "e1",
                "v1",
                "v3",
                vec![PropertyChange::set("w", Value::Double(0.5))],
            ),
            delete_edge("e0"),
            delete("v9"),
        ];
        let (query, parameters) = batch_query(&operations, EdgeIds::Given).unwrap();
        assert_eq!(
            query,
            "UNWIND $w.r0_0 AS r MATCH (p)-[o {`~id`: r.id}]->(q) \
             WHERE (type(o) <> r.l OR p.`~id` <> r.from OR q.`~id` <> r.to) AND NOT p.`~id` IN r.g AND NOT q.`~id` IN r.g \
             SET o.edgeIdTaken = {edgeIdTaken: r.id, by: type(o), from: p.`~id`, to: q.`~id`} \
             WITH count(*) AS b \
             UNWIND $w.r0_1 AS v MATCH ()-[e {`~id`: v}]->() DELETE e \
             WITH count(*) AS b \
             UNWIND $w.r0_2 AS v MATCH (n {`~id`: v}) DETACH DELETE n \
             WITH count(*) AS b \
             UNWIND $w.r0_3 AS v OPTIONAL MATCH (x {`~id`: v}) WITH v, x WHERE x IS NULL CREATE (:`device` {`~id`: v}) \
             WITH count(*) AS b \
             UNWIND $w.r0_4 AS v OPTIONAL MATCH (x {`~id`: v}) WITH v, x WHERE x IS NULL CREATE (:`person` {`~id`: v}) \
             WITH count(*) AS b \
             UNWIND $w.r0_5 AS r MATCH (n {`~id`: r.id}) SET n += r.p \
             WITH count(*) AS b \
             UNWIND $w.r0_6 AS r MATCH (a {`~id`: r.from}), (z {`~id`: r.to}) MERGE (a)-[e:`knows` {`~id`: r.id}]->(z) SET e += r.p \
             WITH count(*) AS b \
             UNWIND $w.r0_7 AS r MATCH (n {`~id`: r.id}) SET n.`seen` = datetime(r.v)"
        );
        assert_eq!(
            serde_json::from_str::<Json>(&parameters).unwrap(),
            serde_json::json!({"w": {
                "r0_0": [{"id": "e1", "l": "knows", "from": "v1", "to": "v3", "g": []}],
                "r0_1": ["e0"],
                "r0_2": ["v9"],
                "r0_3": ["v1", "v2"],
                "r0_4": ["v3"],
                "r0_5": [{"id": "v1", "p": {"name": "a", "old": null}}, {"id": "v2", "p": {}}],
                "r0_6": [{"id": "e1", "from": "v1", "to": "v3", "p": {"w": 0.5}}],
                "r0_7": [
                    {"id": "v1", "v": "2024-05-01T10:11:12Z"},
                    {"id": "v2", "v": "2024-05-02T10:11:12Z"}
                ]
            }})
        );
    }

    #[test]
    fn the_text_is_the_same_for_batches_of_other_ids_values_and_order() {
        let batch = |ids: [&str; 4], value: i64| {
            vec![
                vertex(
                    ids[0],
                    "l",
                    vec![PropertyChange::set("n", Value::Integer(value))],
                ),
                edge(ids[1], ids[0], ids[2], vec![]),
                delete(ids[3]),
            ]
        };
        let (first, first_parameters) =
            batch_query(&batch(["a", "e", "b", "x"], 1), EdgeIds::Given).unwrap();
        let (second, second_parameters) =
            batch_query(&batch(["c", "f", "d", "y"], 2), EdgeIds::Given).unwrap();
        assert_eq!(first, second);
        assert_ne!(first_parameters, second_parameters);
        // One more round: the same parts again, over lists of their own.
        let mut third = batch(["c", "f", "d", "y"], 2);
        third.push(delete("c"));
        assert_eq!(
            batch_query(&third, EdgeIds::Given).unwrap().0,
            format!("{first}{BARRIER}{}", first.replace("$w.r0_", "$w.r1_"))
        );
    }

    #[test]
    fn a_write_ends_before_the_record_that_needs_more_than_the_rounds_allowed() {
        let churn = [vertex("a", "l", vec![]), delete("a")];
        // Each record needs one round more than the one before it.
        let records = vec![churn.as_slice(); 20];
        assert_eq!(fitting(records.iter().copied()), MAX_ROUNDS - 1);
        let alone: Vec<Operation> = churn.iter().cycle().take(40).cloned().collect();
        assert_eq!(fitting([alone.as_slice(), &churn]), 1);
        assert!(parts(&alone).iter().map(|(round, ..)| round).max() > Some(&MAX_ROUNDS));
        let independent: Vec<Vec<Operation>> = (0..100)
            .map(|i| vec![vertex(&format!("v{i}"), "l", vec![])])
            .collect();
        assert_eq!(fitting(independent.iter().map(Vec::as_slice)), 100);
    }

    /// Each operation's round.
    fn rounds(operations: &[Operation]) -> Vec<usize> {
        let mut schedule = Schedule::default();
        operations
            .iter()
            .map(|operation| schedule.add(operation))
            .collect()
    }

    #[test]
    fn rows_join_the_first_round_in_which_they_follow_every_row_they_must_follow() {
        let upsert = |id: &str| vertex(id, "l", vec![]);
        let table: Vec<(&str, Vec<Operation>, Vec<usize>)> = vec![
            (
                "independent rows share a round",
                vec![upsert("a"), delete("x"), upsert("b"), delete("y")],
                vec![0, 0, 0, 0],
            ),
            (
                "a row follows the earlier rows on its element; a create may follow a delete in its round",
                vec![upsert("a"), delete("a"), upsert("a"), upsert("b")],
                vec![0, 1, 1, 0],
            ),
            (
                "a vertex upsert and the edge upserts naming it share a round",
                vec![
                    upsert("a"),
                    edge("e1", "a", "b", vec![]),
                    upsert("b"),
                    edge("e2", "b", "a", vec![]),
                ],
                vec![0, 0, 0, 0],
            ),
            (
                "a vertex delete follows the edges naming it; an edge upsert may follow it in its round",
                vec![
                    edge("e1", "a", "b", vec![]),
                    delete("a"),
                    edge("e2", "a", "c", vec![]),
                ],
                vec![0, 1, 1],
            ),
            (
                "a vertex delete and edge upserts of other vertices share a round",
                vec![
                    edge("e1", "a", "b", vec![]),
                    delete("x"),
                    edge("e2", "c", "d", vec![]),
                ],
                vec![0, 0, 0],
            ),
            (
                "a later edge upsert's check comes no earlier than a vertex delete before it",
                vec![upsert("x"), delete("x"), edge("e1", "a", "b", vec![])],
                vec![0, 1, 1],
            ),
            (
                "an edge delete commutes with a vertex delete and follows the rows on its edge",
                vec![
                    delete_edge("e0"),
                    delete("x"),
                    delete_edge("e3"),
                    edge("e4", "a", "b", vec![]),
                    delete_edge("e4"),
                ],
                vec![0, 0, 0, 0, 1],
            ),
            (
                "an upsert moving an edge does not join its row",
                vec![edge("e1", "a", "b", vec![]), edge("e1", "a", "c", vec![])],
                vec![0, 1],
            ),
            (
                "a delete of an endpoint closes an edge's row",
                vec![
                    edge("e1", "a", "b", vec![]),
                    delete("a"),
                    edge("e1", "a", "b", vec![]),
                ],
                vec![0, 1, 1],
            ),
            (
                "a removed value follows an upsert in its round and closes its row",
                vec![
                    upsert("a"),
                    Operation::ChangeValues {
                        element: Element::Vertex,
                        id: "a".into(),
                        changes: vec![ValueChange::removed("n", Value::Integer(1))],
                    },
                    upsert("a"),
                ],
                vec![0, 0, 1],
            ),
        ];
        for (case, operations, expected) in table {
            assert_eq!(rounds(&operations), expected, "{case}");
        }
    }

    #[test]
    fn an_upsert_joins_the_row_of_the_last_upsert_of_its_element_and_the_last_change_wins() {
        let operations = [
            vertex(
                "v",
                "l",
                vec![
                    PropertyChange::set("x", Value::Integer(1)),
                    PropertyChange::set("y", Value::Integer(1)),
                ],
            ),
            edge(
                "e",
                "v",
                "w",
                vec![PropertyChange::set("k", Value::Integer(1))],
            ),
            vertex(
                "v",
                "other",
                vec![
                    PropertyChange::remove("x"),
                    PropertyChange::set("y", Value::List(vec![Value::Boolean(true)])),
                ],
            ),
            edge(
                "e",
                "v",
                "w",
                vec![PropertyChange::set("k", Value::Integer(2))],
            ),
        ];
        assert_eq!(rounds(&operations), vec![0, 0, 0, 0]);
        assert_eq!(
            parts(&operations)
                .into_iter()
                .map(|(_, clause, rows)| (
                    clause.split(' ').take(3).collect::<Vec<_>>().join(" "),
                    rows
                ))
                .collect::<Vec<_>>(),
            vec![
                (
                    "r MATCH (p)-[o".into(),
                    serde_json::json!([{"id": "e", "l": "knows", "from": "v", "to": "w", "g": []}])
                ),
                ("v OPTIONAL MATCH".into(), serde_json::json!(["v"])),
                ("v OPTIONAL MATCH".into(), serde_json::json!(["w"])),
                (
                    "r MATCH (n".into(),
                    serde_json::json!([{"id": "v", "p": {"x": null, "y": true}}])
                ),
                (
                    "r MATCH (a".into(),
                    serde_json::json!([{"id": "e", "from": "v", "to": "w", "p": {"k": 2}}])
                ),
            ]
        );
    }

    #[test]
    fn value_changes_set_and_remove_where_the_element_holds_the_value() {
        let operations = [
            Operation::ChangeValues {
                element: Element::Vertex,
                id: "v1".into(),
                changes: vec![
                    ValueChange::removed("n", Value::Integer(1)),
                    ValueChange::added("n", Value::Integer(2)),
                ],
            },
            Operation::ChangeValues {
                element: Element::Vertex,
                id: "v2".into(),
                changes: vec![ValueChange::added("n", Value::Integer(3))],
            },
            Operation::ChangeValues {
                element: Element::Edge,
                id: "e1".into(),
                changes: vec![
                    ValueChange::added("at", Value::DateTime("2024-05-01T10:11:12Z".into())),
                    ValueChange::removed("at", Value::DateTime("2024-05-01T10:11:12Z".into())),
                ],
            },
        ];
        assert_eq!(
            parts(&operations),
            vec![
                (0, "r MATCH (n {`~id`: r.id}) SET n += r.p".into(), serde_json::json!([{"id": "v2", "p": {"n": 3}}])),
                (0, "r MATCH ()-[n {`~id`: r.id}]->() SET n += r.p".into(), serde_json::json!([{"id": "e1", "p": {}}])),
                (
                    0,
                    "r MATCH ()-[n {`~id`: r.id}]->() SET n.`at` = datetime(r.v)".into(),
                    serde_json::json!([{"id": "e1", "v": "2024-05-01T10:11:12Z"}])
                ),
                (
                    0,
                    "r MATCH (n {`~id`: r.id}) WHERE n.`n` = r.v SET n.`n` = null".into(),
                    serde_json::json!([{"id": "v1", "v": 1}])
                ),
                (
                    0,
                    "r MATCH ()-[n {`~id`: r.id}]->() WHERE n.`at` = datetime(r.v) SET n.`at` = null".into(),
                    serde_json::json!([{"id": "e1", "v": "2024-05-01T10:11:12Z"}])
                ),
                (1, "r MATCH (n {`~id`: r.id}) SET n += r.p".into(), serde_json::json!([{"id": "v1", "p": {"n": 2}}])),
            ]
        );
        let date = Operation::ChangeValues {
            element: Element::Vertex,
            id: "v".into(),
            changes: vec![ValueChange::added("d", Value::Date("2024-05-01".into()))],
        };
        assert_eq!(check(&date).unwrap_err().field, "property \"d\"");
    }

    #[test]
    fn a_vertex_named_twice_in_a_round_is_created_once_with_its_first_label() {
        let mut second = edge("e2", "b", "a", vec![]);
        if let Operation::UpsertEdge(e) = &mut second {
            e.from_label = "robot".into();
        }
        let operations = [
            edge("e1", "a", "b", vec![]),
            second,
            vertex("a", "thing", vec![]),
        ];
        let creations: Vec<(String, Json)> = parts(&operations)
            .into_iter()
            .filter(|(_, clause, _)| clause.contains("CREATE"))
            .map(|(_, clause, rows)| (clause, rows))
            .collect();
        assert_eq!(creations.len(), 1, "{creations:?}");
        assert!(
            creations[0].0.contains("CREATE (:`person`"),
            "{creations:?}"
        );
        assert_eq!(creations[0].1, serde_json::json!(["a", "b"]));
    }

    #[test]
    fn an_edge_upsert_after_a_vertex_delete_in_its_round_skips_that_vertex_in_its_check() {
        let operations = [
            delete("x"),
            edge("e1", "a", "b", vec![]),
            delete("y"),
            edge("e2", "c", "d", vec![]),
        ];
        assert_eq!(rounds(&operations), vec![0, 0, 0, 0]);
        assert_eq!(
            parts(&operations)[0].2,
            serde_json::json!([
                {"id": "e1", "l": "knows", "from": "a", "to": "b", "g": ["x"]},
                {"id": "e2", "l": "knows", "from": "c", "to": "d", "g": ["x", "y"]}
            ])
        );
    }

    #[test]
    fn what_neptune_cannot_store_is_refused_naming_the_field() {
        let table: Vec<(Operation, &str)> = vec![
            (
                vertex(
                    "v",
                    "l",
                    vec![PropertyChange::set("d", Value::Date("2024-05-01".into()))],
                ),
                "property \"d\": Neptune's openCypher has no date type",
            ),
            (
                vertex(
                    "v",
                    "l",
                    vec![PropertyChange::set(
                        "tags",
                        Value::List(vec![Value::Integer(1), Value::Integer(2)]),
                    )],
                ),
                "property \"tags\": Neptune's openCypher refuses a list",
            ),
            (
                vertex(
                    "v",
                    "l",
                    vec![PropertyChange {
                        name: "tags".into(),
                        change: Change::Add(Value::Integer(1)),
                    }],
                ),
                "property \"tags\": openCypher on Neptune cannot add a value",
            ),
            (vertex("v", "", vec![]), "label: a label cannot be empty"),
            (
                vertex(
                    "v",
                    "l",
                    vec![PropertyChange::set("~label", Value::Integer(1))],
                ),
                "property \"~label\": names starting with `~`",
            ),
        ];
        for (operation, expected) in table {
            let refused =
                batch_query(std::slice::from_ref(&operation), EdgeIds::Given).unwrap_err();
            let text = refused.to_string();
            assert!(
                text.starts_with("openCypher cannot write upsertVertex of \"v\": ")
                    && text.contains(expected),
                "{text}"
            );
        }
    }

    #[test]
    fn labels_and_names_are_escaped_symbolic_names() {
        assert_eq!(symbolic_name("a`b"), "`a``b`");
        assert_eq!(
            symbolic_name("x) DETACH DELETE (y"),
            "`x) DETACH DELETE (y`"
        );
        let (query, _) =
            batch_query(&[vertex("v", "it`s) MATCH (n", vec![])], EdgeIds::Given).unwrap();
        assert!(
            query.contains("CREATE (:`it``s) MATCH (n` {`~id`: v})"),
            "{query}"
        );
    }
}
