"""Contender `gremlin-ws-text`: the inject/unfold traversal as text (gremlin_rows.py) through gremlinpython's
`Client.submit` over one kept-open WebSocket per lane, parsed by `gremlin-lang` as Neptune parses text
(`--url ws://host:port/gremlin`)."""

import gremlin_rows
import race


def connect(args):
    from gremlin_python.driver.client import Client

    client = Client(args.url, "g", pool_size=1)

    def write(batch):
        client.submit(gremlin_rows.text_query(batch), request_options={"language": "gremlin-lang"}).all().result()

    return write, client.close


if __name__ == "__main__":
    race.run("gremlin-ws-text", race.arguments(__doc__), connect)
