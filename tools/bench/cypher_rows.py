"""The openCypher contenders' batches: the writer's parameter rows (function/src/opencypher.rs: `id` the writer's
edge id, `from`, `to`, `properties`) and the UNWIND MERGE shapes they are written with, each an upsert keyed by
`~id` as the writer's."""

# The writer's query (opencypher.rs MERGE_QUERY): each row merges both people, then the edge.
WRITER_FORM = (
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

SHAPES = {"writer-form": WRITER_FORM, "people-first": PEOPLE_FIRST}


def parameters(shape, batch):
    """The query's parameters for `batch` in `shape`."""
    rows = [{"id": e.edge_id(), "from": e.src, "to": e.dst, "properties": {"creationDate": e.created}} for e in batch]
    if shape == "people-first":
        return {"people": list(dict.fromkeys(v for e in batch for v in (e.src, e.dst))), "edges": rows}
    return {"edges": rows}


def add_shape_option(parser):
    parser.add_argument("--shape", choices=sorted(SHAPES), default="writer-form", help="UNWIND MERGE shape (default writer-form)")
