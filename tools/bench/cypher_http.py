"""Contender `cypher-http`: an UNWIND MERGE shape (cypher_rows.py) posted in Neptune's openCypher HTTP form
(`POST /openCypher`, form fields `query=` and `parameters=`) on a kept-open HTTP connection per lane
(https://docs.aws.amazon.com/neptune/latest/userguide/access-graph-opencypher-queries.html)."""

import json
from urllib.parse import urlencode

import cypher_rows
import race
from http_lane import HttpLane


def connect(args):
    lane = HttpLane(args.url)
    query = cypher_rows.SHAPES[args.shape]

    def write(batch):
        body = urlencode({"query": query, "parameters": json.dumps(cypher_rows.parameters(args.shape, batch))})
        lane.post("/openCypher", "application/x-www-form-urlencoded", body)

    return write, lane.close


if __name__ == "__main__":
    args = race.arguments(__doc__, cypher_rows.add_shape_option)
    race.run(f"cypher-http-{args.shape}", args, connect)
