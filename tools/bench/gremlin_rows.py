"""The Gremlin contenders' one traversal per batch: the batch's rows injected as a list of maps and unfolded into
mergeV (both ends) and mergeE, keyed by the writer's ids (T.id of the people, the writer's edge id), so it
upserts what the writer upserts. Neptune runs mergeV/mergeE natively when the map argument is select() of a map
("Making efficient upserts with Gremlin mergeV() and mergeE() steps",
https://docs.aws.amazon.com/neptune/latest/userguide/gremlin-efficient-upserts.html). As text (gremlin-lang
literals, escaped as the writer escapes them) and as bytecode (gremlinpython).
"""

from edges import EDGE_LABEL, VERTEX_LABEL


def literal(text):
    """A single-quoted Gremlin string literal (function/src/gremlin.rs `push_literal`)."""
    out = []
    for c in text:
        if c == "'":
            out.append("\\'")
        elif c == "\\":
            out.append("\\\\")
        elif c in "\n\r\t\b\f":
            out.append({"\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f"}[c])
        elif ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0 or c in "\u2028\u2029":
            out.append(f"\\u{ord(c):04x}")
        else:
            out.append(c)
    return "'" + "".join(out) + "'"


def text_query(batch):
    """`g.inject([rows]).unfold().as('r').mergeV(__.select('f'))...mergeE(__.select('e'))` with the rows as literals."""
    rows = ",".join(
        "['f':[(T.id):{f}],'t':[(T.id):{t}],"
        "'e':[(T.id):{i},(T.label):{label},(Direction.OUT):{f},(Direction.IN):{t}],"
        "'p':['creationDate':{d}]]".format(
            f=literal(e.src), t=literal(e.dst), i=literal(e.edge_id()), d=literal(e.created), label=literal(EDGE_LABEL)
        )
        for e in batch
    )
    person = f"[(T.label):{literal(VERTEX_LABEL)}]"
    return (
        f"g.inject([{rows}]).unfold().as('r')"
        f".mergeV(__.select('f')).option(Merge.onCreate,{person})"
        f".select('r').mergeV(__.select('t')).option(Merge.onCreate,{person})"
        ".select('r').mergeE(__.select('e')).option(Merge.onCreate,__.select('p'))"
        ".none()"
    )


def bytecode_traversal(g, batch):
    """The same traversal built with gremlinpython's steps on `g` (sent as bytecode)."""
    from gremlin_python.process.graph_traversal import __
    from gremlin_python.process.traversal import Direction, Merge, T

    rows = [
        {
            "f": {T.id: e.src},
            "t": {T.id: e.dst},
            "e": {T.id: e.edge_id(), T.label: EDGE_LABEL, Direction.OUT: e.src, Direction.IN: e.dst},
            "p": {"creationDate": e.created},
        }
        for e in batch
    ]
    person = {T.label: VERTEX_LABEL}
    return (
        g.inject(rows).unfold().as_("r")
        .merge_v(__.select("f")).option(Merge.on_create, person)
        .select("r").merge_v(__.select("t")).option(Merge.on_create, person)
        .select("r").merge_e(__.select("e")).option(Merge.on_create, __.select("p"))
    )
