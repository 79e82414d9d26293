"""The openCypher contenders' batches: the UNWIND MERGE shapes of the writer's upserts, each keyed by `~id` as the
writer's (`id` the writer's edge id, `from`, `to`, the creation date)."""

# The writer's query for follows edges (function/src/opencypher.rs, whose unit test checks this line): the batch's
# people created where absent, then each edge merged between them, its creation date set on create.
WRITER_FORM = "UNWIND $w.r0_0 AS v OPTIONAL MATCH (x {`~id`: v}) WITH v, x WHERE x IS NULL CREATE (:`person` {`~id`: v}) WITH count(*) AS b UNWIND $w.r0_1 AS r MATCH (a {`~id`: r.from}), (z {`~id`: r.to}) MERGE (a)-[e:`follows` {`~id`: r.id}]->(z) ON CREATE SET e += r.c SET e += r.p"

# The writer's query until session 15: each row merges both people, then the edge.
MERGE_EACH = (
    "UNWIND $edges AS e "
    "MERGE (f:person {`~id`: e.from}) "
    "MERGE (t:person {`~id`: e.to}) "
    "MERGE (f)-[r:follows {`~id`: e.id}]->(t) "
    "SET r += e.properties"
)

# People first: the batch's distinct ids merged once each, then every edge between people matched by `~id`.
PEOPLE_FIRST = (
    "UNWIND $people AS id MERGE (:person {`~id`: id}) "
    "WITH count(*) AS merged "
    "UNWIND $edges AS e "
    "MATCH (f:person {`~id`: e.from}) "
    "MATCH (t:person {`~id`: e.to}) "
    "MERGE (f)-[r:follows {`~id`: e.id}]->(t) "
    "SET r += e.properties"
)

SHAPES = {"writer-form": WRITER_FORM, "merge-each": MERGE_EACH, "people-first": PEOPLE_FIRST}


def parameters(shape, batch):
    """The query's parameters for `batch` in `shape`."""
    people = list(dict.fromkeys(v for e in batch for v in (e.src, e.dst)))
    if shape == "writer-form":
        # One row per edge id, as the writer joins an edge sent twice in a batch.
        rows = {e.edge_id(): {"id": e.edge_id(), "from": e.src, "to": e.dst, "p": {}, "c": {"creationDate": e.created}} for e in batch}
        return {"w": {"r0_0": people, "r0_1": list(rows.values())}}
    rows = [{"id": e.edge_id(), "from": e.src, "to": e.dst, "properties": {"creationDate": e.created}} for e in batch]
    if shape == "people-first":
        return {"people": people, "edges": rows}
    return {"edges": rows}


def add_shape_option(parser):
    parser.add_argument("--shape", choices=sorted(SHAPES), default="writer-form", help="UNWIND MERGE shape (default writer-form)")
