"""Contenders `gremlin-http-writer-form` and `gremlin-ws-writer-form`: the writer's own Gremlin request form for a
batch, sent by another client. The form is the chained one (GREMLIN_BATCH_FORM=chained, the default): one
`mergeV()` per vertex new to the batch and one `mergeE()` per edge, each a constant map, a traversal every 10 edges
(`.iterate();` between them) in one request; the shapes Neptune's "Native Gremlin step support" page lists as
native for mergeV/mergeE (https://docs.aws.amazon.com/neptune/latest/userguide/gremlin-step-support.html) and its
upserts page uses for batches (https://docs.aws.amazon.com/neptune/latest/userguide/gremlin-efficient-upserts.html).
`--transport http`: `POST /gremlin {"gremlin": ..., "language": "gremlin-lang"}` on a kept-open connection (Python's
http.client); `--transport ws`: gremlinpython's `Client.submit` over one kept-open WebSocket per lane
(`--url ws://host:port/gremlin`). Both parsed by `gremlin-lang`, as Neptune parses text.
"""

import json

import race
from edges import EDGE_LABEL, VERTEX_LABEL
from gremlin_rows import literal
from http_lane import HttpLane

# function/src/gremlin/mod.rs EDGES_PER_TRAVERSAL.
EDGES_PER_TRAVERSAL = 10


def text_query(batch):
    """The writer's chained text for `batch` (function/src/gremlin/follows.rs, `chained_query`, merge style)."""
    parts = []
    merged = set()
    person = f"[(T.label):{literal(VERTEX_LABEL)}]"
    for index, edge in enumerate(batch):
        if index > 0 and index % EDGES_PER_TRAVERSAL == 0:
            parts.append(".iterate();")
        for vertex in (edge.src, edge.dst):
            if vertex not in merged:
                merged.add(vertex)
                parts.append(f"{prefix(parts)}mergeV([(T.id):{literal(vertex)}]).option(Merge.onCreate,{person})")
        parts.append(
            f"{prefix(parts)}mergeE([(T.id):{literal(edge.edge_id())},(T.label):{literal(EDGE_LABEL)},"
            f"(Direction.OUT):{literal(edge.src)},(Direction.IN):{literal(edge.dst)}])"
            f".option(Merge.onCreate,['creationDate':{literal(edge.created)}])"
        )
    return "".join(parts)


def prefix(parts):
    """`g.` at the start of a traversal, `.` inside one."""
    return "g." if not parts or parts[-1].endswith(";") else "."


def connect_http(args):
    lane = HttpLane(args.url)

    def write(batch):
        body = json.dumps({"gremlin": text_query(batch), "language": "gremlin-lang"})
        lane.post("/gremlin", "application/json", body)

    return write, lane.close


def connect_ws(args):
    from gremlin_python.driver.client import Client

    client = Client(args.url, "g", pool_size=1)

    def write(batch):
        client.submit(text_query(batch), request_options={"language": "gremlin-lang"}).all().result()

    return write, client.close


def add_transport_option(parser):
    parser.add_argument("--transport", choices=["http", "ws"], required=True, help="HTTP POST or a WebSocket")


if __name__ == "__main__":
    args = race.arguments(__doc__, add_transport_option)
    race.run(f"gremlin-{args.transport}-writer-form", args, connect_http if args.transport == "http" else connect_ws)
