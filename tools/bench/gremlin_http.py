"""Contender `gremlin-http-inject`: the batch as one inject/unfold mergeV/mergeE traversal in text
(gremlin_rows.py), `POST /gremlin {"gremlin": ..., "language": "gremlin-lang"}` on a kept-open HTTP connection,
the form Neptune's HTTP endpoint takes (the language named so that any Gremlin Server parses it with the grammar,
as Neptune does)."""

import json

import gremlin_rows
import race
from http_lane import HttpLane


def connect(args):
    lane = HttpLane(args.url)

    def write(batch):
        lane.post("/gremlin", "application/json", json.dumps({"gremlin": gremlin_rows.text_query(batch), "language": "gremlin-lang"}))

    return write, lane.close


if __name__ == "__main__":
    race.run("gremlin-http-inject", race.arguments(__doc__), connect)
