"""Runs one contender: its batches over N concurrent lanes (one client each), each batch one request and one
transaction, tried again after a transaction conflict; prints one JSON line with the contender's edges/s.

A contender script gives `run` its name and a `connect(args)` that returns a lane's `write(batch)` and
`close()`: each lane holds one client (one HTTP keep-alive connection, one WebSocket, one Bolt session), the
lanes run on threads, and the time runs from the first request to the last answer (connections are opened
before, as the writer's are).
"""

import argparse
import json
import sys
import threading
import time

import edges as edge_file

# Words in a store's error that say the transaction lost a race with another one, which any client tries again:
# TinkerGraph's "Conflict: element modified in another transaction", Neo4j's deadlocks and lock timeouts
# (Neo.TransientError.*), Neptune's ConcurrentModificationException.
CONFLICTS = ("Conflict", "modified in another transaction", "ConcurrentModification", "Deadlock", "TransientError")
MAX_RETRIES = 10_000


def arguments(description, extra=None):
    """The contenders' common command line: --url, --edges, --batch, --concurrency (and `extra`'s options)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--url", required=True, help="the server's address (http://, ws:// or bolt://)")
    parser.add_argument("--edges", required=True, help="data file of follows edges, `from,to,created` a line")
    parser.add_argument("--batch", type=int, default=100, help="edges per request (default 100)")
    parser.add_argument("--concurrency", type=int, default=4, help="concurrent clients (default 4)")
    if extra:
        extra(parser)
    args = parser.parse_args()
    for name in ("batch", "concurrency"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} {getattr(args, name)} is not allowed: give 1 or more")
    return args


def is_conflict(error):
    text = f"{type(error).__name__}: {error}"
    return any(word in text for word in CONFLICTS)


def run(name, args, connect):
    """Writes the data file's edges with `connect(args)` lanes and prints the result line."""
    lanes = edge_file.lanes(edge_file.read(args.edges), args.concurrency, args.batch)
    total = sum(len(batch) for lane in lanes for batch in lane)
    clients = [connect(args) for _ in lanes]
    retries = [0] * len(lanes)
    failures = []
    start = threading.Barrier(len(lanes) + 1)

    def lane_work(i):
        write, _ = clients[i]
        start.wait()
        try:
            for batch in lanes[i]:
                while True:
                    try:
                        write(batch)
                        break
                    except Exception as error:  # the store's or the client's; conflicts are tried again
                        if not is_conflict(error) or retries[i] >= MAX_RETRIES:
                            raise
                        retries[i] += 1
                        time.sleep(0.005)
        except Exception as error:
            failures.append(f"lane {i}: {type(error).__name__}: {error}")

    threads = [threading.Thread(target=lane_work, args=(i,)) for i in range(len(lanes))]
    for thread in threads:
        thread.start()
    start.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    for _, close in clients:
        close()
    if failures:
        print(f"{name}: " + "; ".join(failures[:3]), file=sys.stderr)
        sys.exit(1)
    print(json.dumps({
        "contender": name,
        "edges": total,
        "seconds": round(seconds, 3),
        "edges_per_s": round(total / seconds, 1),
        "retries": sum(retries),
    }))
