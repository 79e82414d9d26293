"""Contender `gremlin-ws-bytecode`: the inject/unfold mergeV/mergeE traversal (gremlin_rows.py) built with
gremlinpython and sent as bytecode (GraphBinary) over one kept-open WebSocket per lane, the way TinkerPop's
drivers talk to Neptune (`--url ws://host:port/gremlin`)."""

import race
import gremlin_rows


def connect(args):
    from gremlin_python.driver.driver_remote_connection import DriverRemoteConnection
    from gremlin_python.process.anonymous_traversal import traversal

    connection = DriverRemoteConnection(args.url, "g", pool_size=1)
    g = traversal().with_remote(connection)

    def write(batch):
        gremlin_rows.bytecode_traversal(g, batch).iterate()

    return write, connection.close


if __name__ == "__main__":
    race.run("gremlin-ws-bytecode", race.arguments(__doc__), connect)
