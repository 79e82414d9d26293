//! Splitting an invocation's records into ordered lanes and write batches, and computing the
//! partial-batch response.

use aws_lambda_events::streams::KinesisEventResponse;

/// Lane of a partition key: FNV-1a, stable across runs, so one key always lands in one lane.
pub fn lane_of(partition_key: &str, lanes: usize) -> usize {
    let hash = partition_key
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
        });
    (hash % lanes.max(1) as u64) as usize
}

/// Distributes items (given with their partition key, in stream order) over `lanes` lanes. Each
/// lane keeps stream order, so the records of one key are written in order.
pub fn into_lanes<'k, T>(
    items: impl IntoIterator<Item = (&'k str, T)>,
    lanes: usize,
) -> Vec<Vec<T>> {
    let mut out: Vec<Vec<T>> = (0..lanes.max(1)).map(|_| Vec::new()).collect();
    for (key, item) in items {
        out[lane_of(key, lanes)].push(item);
    }
    out.retain(|lane| !lane.is_empty());
    out
}

/// The response Lambda expects: the sequence number of the first record not written (stream
/// order), or an empty list when every record was written or rejected.
pub fn response(sequence_numbers: &[&str], first_unwritten: Option<usize>) -> KinesisEventResponse {
    let mut response = KinesisEventResponse::default();
    if let Some(seq) = first_unwritten.and_then(|i| sequence_numbers.get(i)) {
        response.add_failure(seq.to_string());
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_lane_keeps_stream_order_and_batches_are_chunks() {
        let items = [("a", 0), ("b", 1), ("a", 2), ("c", 3), ("b", 4)];
        let lanes = into_lanes(items, 1);
        assert_eq!(lanes, vec![vec![0, 1, 2, 3, 4]]);
        let batches: Vec<_> = lanes[0].chunks(2).collect();
        assert_eq!(batches, vec![&[0, 1][..], &[2, 3], &[4]]);
    }

    #[test]
    fn each_key_stays_in_one_lane_in_order() {
        let keys: Vec<String> = (0..200).map(|i| format!("key-{}", i % 17)).collect();
        let lanes = into_lanes(keys.iter().enumerate().map(|(i, k)| (k.as_str(), i)), 4);
        assert!(
            lanes.len() > 1,
            "17 keys should spread over several of 4 lanes"
        );
        let total: usize = lanes.iter().map(Vec::len).sum();
        assert_eq!(total, 200);
        for key in 0..17 {
            let name = format!("key-{key}");
            let holders: Vec<_> = lanes
                .iter()
                .filter(|l| l.iter().any(|&i| keys[i] == name))
                .collect();
            assert_eq!(holders.len(), 1, "{name} in one lane");
            let positions: Vec<_> = holders[0]
                .iter()
                .copied()
                .filter(|&i| keys[i] == name)
                .collect();
            assert!(
                positions.windows(2).all(|w| w[0] < w[1]),
                "{name} in stream order"
            );
        }
        assert_eq!(lane_of("key-3", 4), lane_of("key-3", 4));
    }

    #[test]
    fn partial_response_names_the_first_unwritten_record() {
        let seqs = ["100", "200", "300"];
        let json = |r: &KinesisEventResponse| serde_json::to_string(r).unwrap();
        assert_eq!(json(&response(&seqs, None)), r#"{"batchItemFailures":[]}"#);
        assert_eq!(
            json(&response(&seqs, Some(1))),
            r#"{"batchItemFailures":[{"itemIdentifier":"200"}]}"#
        );
        assert_eq!(
            json(&response(&seqs, Some(0))),
            r#"{"batchItemFailures":[{"itemIdentifier":"100"}]}"#
        );
        assert_eq!(
            json(&response(&seqs, Some(3))),
            r#"{"batchItemFailures":[]}"#
        );
    }
}
