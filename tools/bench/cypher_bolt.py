"""Contender `cypher-bolt`: an UNWIND MERGE shape (cypher_rows.py) with the batch as a parameter list, through the
Neo4j Python driver over Bolt, one session per lane, one explicit transaction per batch (`--url bolt://host:port`,
the Bolt connector of tools/java/neo4j/NeptuneOpenCypher.java; Neptune also takes Bolt:
https://docs.aws.amazon.com/neptune/latest/userguide/access-graph-opencypher-bolt.html)."""

import cypher_rows
import race


def connect(args):
    from neo4j import GraphDatabase

    driver = GraphDatabase.driver(args.url, auth=None)
    driver.verify_connectivity()
    session = driver.session()
    query = cypher_rows.SHAPES[args.shape]

    def write(batch):
        # An explicit transaction, not execute_write: its own retries would hide the conflicts race.py counts.
        with session.begin_transaction() as tx:
            tx.run(query, cypher_rows.parameters(args.shape, batch)).consume()
            tx.commit()

    def close():
        session.close()
        driver.close()

    return write, close


if __name__ == "__main__":
    args = race.arguments(__doc__, cypher_rows.add_shape_option)
    race.run(f"cypher-bolt-{args.shape}", args, connect)
