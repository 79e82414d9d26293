"""The follows edges a contender writes, read from the data file `make write-bench` hands the writer too.

The file holds one edge a line, `from,to,created` (the writer's CSV record body), plain or gzip (`.gz`). Each
edge keeps the writer's keys: the Gremlin/openCypher edge id of graph/src/follows.rs (`edge_id`) and the
SPARQL IRIs of function/src/sparql.rs, so a contender's writes are upserts of the same elements as the writer's
and writing twice leaves the same graph. Edges are dealt to lanes as Kinesis deals records to shards: by the MD5
of the partition key (the driver's key is the `from` id) over equal hash-key ranges, so lane i of a contender
gets the edges shard i of the writer gets, in the same order.
"""

import gzip
import hashlib
from dataclasses import dataclass
from urllib.parse import quote

VERTEX_LABEL = "person"
EDGE_LABEL = "follows"


@dataclass(frozen=True)
class Edge:
    """One `follows` edge: `src` follows `dst` since `created` (the record's text)."""

    src: str
    dst: str
    created: str

    def edge_id(self):
        """The writer's edge id: `from-created-to`, with `%` and `-` of the vertex ids percent-encoded."""
        return f"{_id_part(self.src)}-{self.created}-{_id_part(self.dst)}"


def _id_part(part):
    return part.replace("%", "%25").replace("-", "%2D")


def read(path):
    """Every edge of the data file, in file order; a line that is not `from,to,created` is an error naming it."""
    opener = gzip.open if str(path).endswith(".gz") else open
    edges = []
    with opener(path, "rt", encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            line = line.rstrip("\n")
            if not line:
                continue
            parts = line.split(",")
            if len(parts) != 3 or not all(parts):
                raise SystemExit(f"{path}:{number}: {line!r} is not `from,to,created`; write the edges as the writer's CSV records")
            edges.append(Edge(*parts))
    return edges


def lane_of(partition_key, lanes):
    """The shard of `lanes` equal hash-key ranges that Kinesis would put `partition_key` in (MD5, big-endian)."""
    high = int.from_bytes(hashlib.md5(partition_key.encode("utf-8")).digest()[:8], "big")
    return (high * lanes) >> 64


def lanes(edges, count, batch):
    """The edges dealt to `count` lanes by their `from` id, each lane cut into batches of `batch` edges."""
    dealt = [[] for _ in range(count)]
    for edge in edges:
        dealt[lane_of(edge.src, count)].append(edge)
    return [[lane[i : i + batch] for i in range(0, len(lane), batch)] for lane in dealt]


# SPARQL: the writer's IRI scheme (function/src/sparql.rs).
BASE = "http://stream2neptune.example/"
ONTOLOGY = BASE + "ontology/"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
XSD = "http://www.w3.org/2001/XMLSchema#"


def _pct(part):
    # Every byte of the UTF-8 id but the RFC 3986 unreserved characters.
    return quote(part, safe="-._~")


def person_iri(vertex):
    return f"{BASE}person/{_pct(vertex)}"


def edge_iri(edge):
    return f"{BASE}follows/{_pct(edge.src)}/{_pct(edge.created)}/{_pct(edge.dst)}"


def xsd_date(created):
    """(lexical form, XSD datatype) of the record's date, as the writer writes it (sparql.rs `xsd_lexical`)."""
    if len(created) == 10:
        return created, "date"
    out = created[:10] + "T" + created[11:16]
    rest = created[16:]
    cut = next((i for i, c in enumerate(rest) if c in "Z+-"), len(rest))
    seconds, zone = rest[:cut], rest[cut:]
    out += seconds or ":00"
    out += zone[:3] + ":" + zone[3:] if len(zone) == 5 else zone
    return out, "dateTime"


def triples(edge):
    """The N-Triples lines of one edge, the writer's `INSERT DATA` block for it."""
    src, dst, resource = person_iri(edge.src), person_iri(edge.dst), edge_iri(edge)
    lexical, datatype = xsd_date(edge.created)
    return [
        f"<{src}> <{RDF_TYPE}> <{ONTOLOGY}Person> .",
        f"<{dst}> <{RDF_TYPE}> <{ONTOLOGY}Person> .",
        f"<{src}> <{ONTOLOGY}follows> <{dst}> .",
        f"<{resource}> <{RDF_TYPE}> <{ONTOLOGY}Follows> .",
        f"<{resource}> <{ONTOLOGY}from> <{src}> .",
        f"<{resource}> <{ONTOLOGY}to> <{dst}> .",
        f'<{resource}> <{ONTOLOGY}creationDate> "{lexical}"^^<{XSD}{datatype}> .',
    ]
