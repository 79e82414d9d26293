"""Contender `sparql-http`: the writer's triples of each batch (edges.py `triples`) over a kept-open HTTP connection
per lane, in one of two forms:
- `insert-data`: one SPARQL 1.1 `INSERT DATA { ... }` posted as `application/sparql-update` to the update endpoint
  (`--url http://host:port/update` on Oxigraph; Neptune's is `/sparql`);
- `graph-store`: the same triples as N-Triples, `POST` to the SPARQL 1.1 Graph Store Protocol's default graph
  (`--url http://host:port/store` on Oxigraph; Neptune's is `/sparql/gsp/`:
  https://docs.aws.amazon.com/neptune/latest/userguide/sparql-graph-store-protocol.html). A POST merges into the
  graph, so both forms are as idempotent as the writer's (RDF graphs are sets of triples)."""

import race
from edges import triples
from http_lane import HttpLane


def add_form_option(parser):
    parser.add_argument("--form", choices=["insert-data", "graph-store"], default="insert-data", help="update form (default insert-data)")


def connect(args):
    lane = HttpLane(args.url)

    def write(batch):
        lines = "\n".join(line for edge in batch for line in triples(edge))
        if args.form == "insert-data":
            lane.post("", "application/sparql-update", "INSERT DATA {\n" + lines + "\n}")
        else:
            lane.post("?default", "application/n-triples", lines + "\n")

    return write, lane.close


if __name__ == "__main__":
    args = race.arguments(__doc__, add_form_option)
    race.run(f"sparql-http-{args.form}", args, connect)
