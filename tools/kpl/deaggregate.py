"""Takes Kinesis records apart the way AWS Labs' aws-kinesis-agg does in a Lambda function (the tests' reference
implementation of the KPL aggregation format).

stdin: a JSON list of Kinesis records {"shard", "partitionKey", "sequenceNumber", "data" (base64)};
stdout: a JSON list of the user records, in order, each {"shard", "partitionKey", "sequenceNumber",
"subSequenceNumber", "aggregated", "data" (UTF-8 text)}.
"""

import base64
import json
import sys

from aws_kinesis_agg.deaggregator import iter_deaggregate_records


def main():
    out = []
    for stored in json.load(sys.stdin):
        event_record = {
            "eventSource": "aws:kinesis",
            "eventID": "%s:%s" % (stored["shard"], stored["sequenceNumber"]),
            "kinesis": {
                "kinesisSchemaVersion": "1.0",
                "partitionKey": stored["partitionKey"],
                "sequenceNumber": stored["sequenceNumber"],
                "approximateArrivalTimestamp": 1700000000.5,
                "data": stored["data"],
            },
        }
        for user in iter_deaggregate_records([event_record]):
            kinesis = user["kinesis"]
            out.append(
                {
                    "shard": stored["shard"],
                    "partitionKey": kinesis["partitionKey"],
                    "sequenceNumber": kinesis["sequenceNumber"],
                    "subSequenceNumber": kinesis.get("subSequenceNumber"),
                    "aggregated": kinesis.get("aggregated", False),
                    "data": base64.b64decode(kinesis["data"]).decode(),
                }
            )
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
