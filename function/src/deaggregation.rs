//! The user records of an invocation: a Kinesis record is one plain record, or a KPL aggregate
//! (the `kpl` crate's format) of many, each with its own partition key from the aggregate's key
//! table.
//!
//! The handler writes, rejects and orders user records, but Lambda checkpoints Kinesis records:
//! a failure inside an aggregate is reported at the aggregate's sequence number
//! ([`record_start`]), Lambda delivers the whole aggregate again and the idempotent writes absorb
//! the user records written twice. A corrupted aggregate (bad digest, bad protobuf, a key index
//! out of range) is one user record that is rejected whole.

use std::borrow::Cow;

use stream2neptune_graph::mapping::Mappings;
use stream2neptune_graph::{Operation, Unwritable};

use crate::record::{RejectReason, Write, decode_record};

/// One user record: a plain Kinesis record, or one record of an aggregate.
#[derive(Debug, Clone, PartialEq)]
pub struct UserRecord<'a> {
    /// Index of the Kinesis record that carries it.
    pub record: usize,
    /// Its position in the aggregate (the KCL's subsequence number); `None` for a plain record
    /// and for a corrupted aggregate.
    pub sub_sequence_number: Option<u64>,
    /// Its partition key: the aggregate's key table entry, or the Kinesis record's key.
    pub partition_key: Cow<'a, str>,
    /// Its body (a corrupted aggregate: the whole record).
    pub data: Cow<'a, [u8]>,
    /// Why the aggregate that this stands for cannot be read.
    pub corrupted: Option<kpl::DecodeError>,
}

impl UserRecord<'_> {
    /// What it asks to write, or why it is rejected; `mappings` are the stack's with RECORD_FORMAT=mapping,
    /// `writable` is the query language's check of a graph operation ([`crate::query::writable`]).
    pub fn decode(
        &self,
        max_bytes: usize,
        mappings: Option<&Mappings>,
        writable: impl Fn(&Operation) -> Result<(), Unwritable>,
    ) -> Result<Write, RejectReason> {
        match &self.corrupted {
            Some(err) => Err(RejectReason::CorruptedAggregate(err.clone())),
            None => decode_record(&self.data, max_bytes, mappings, writable),
        }
    }
}

/// The user records of Kinesis records given as (partition key, data), in stream order and, in
/// an aggregate, in the aggregate's order.
pub fn user_records<'a>(
    records: impl IntoIterator<Item = (&'a str, &'a [u8])>,
) -> Vec<UserRecord<'a>> {
    let mut out = Vec::new();
    for (record, (partition_key, data)) in records.into_iter().enumerate() {
        if !kpl::is_aggregated(data) {
            out.push(UserRecord {
                record,
                sub_sequence_number: None,
                partition_key: Cow::Borrowed(partition_key),
                data: Cow::Borrowed(data),
                corrupted: None,
            });
            continue;
        }
        match kpl::deaggregate(data) {
            Ok(users) => out.extend(users.into_iter().enumerate().map(|(sub, user)| UserRecord {
                record,
                sub_sequence_number: Some(sub as u64),
                partition_key: Cow::Owned(user.partition_key),
                data: Cow::Owned(user.data),
                corrupted: None,
            })),
            Err(err) => out.push(UserRecord {
                record,
                sub_sequence_number: None,
                partition_key: Cow::Borrowed(partition_key),
                data: Cow::Borrowed(data),
                corrupted: Some(err),
            }),
        }
    }
    out
}

/// The first user record of the Kinesis record that holds user record `index`: where Lambda
/// resumes when `index` is not written.
pub fn record_start(users: &[UserRecord<'_>], index: usize) -> usize {
    let record = users[index].record;
    users[..index].partition_point(|u| u.record < record)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn aggregate(users: &[(&str, &str)]) -> Vec<u8> {
        let mut aggregator = kpl::Aggregator::new();
        for (key, data) in users {
            aggregator.push(key, data.as_bytes().to_vec());
        }
        aggregator.finish()
    }

    #[test]
    fn plain_records_and_aggregates_in_stream_order() {
        let first = aggregate(&[("a", "a,b,2020-01-01"), ("c", "c,a,2020-01-02")]);
        let mut corrupted = aggregate(&[("d", "d,a,2020-01-03")]);
        *corrupted.last_mut().unwrap() ^= 0xff;
        let empty = aggregate(&[]);
        let records: Vec<(&str, &[u8])> = vec![
            ("p", b"p,q,2020-01-04"),
            ("ignored", &first),
            ("x", &corrupted),
            ("e", &empty),
            ("r", b"r,s,2020-01-05"),
        ];
        let users = user_records(records.iter().copied());
        let summary: Vec<_> = users
            .iter()
            .map(|u| (u.record, u.sub_sequence_number, u.partition_key.as_ref()))
            .collect();
        assert_eq!(
            summary,
            vec![
                (0, None, "p"),
                (1, Some(0), "a"),
                (1, Some(1), "c"),
                (2, None, "x"),
                (4, None, "r"),
            ]
        );
        let Ok(Write::Follows(operation)) = users[2].decode(1000, None, |_| Ok(())) else {
            panic!("{:?}", users[2].decode(1000, None, |_| Ok(())));
        };
        assert_eq!(
            crate::follows::FollowsUpsert::of(&operation).map(|edge| edge.from),
            Some("c")
        );
        let err = users[3].decode(1000, None, |_| Ok(())).unwrap_err();
        assert_eq!(err.code(), "CorruptedAggregate");
        assert!(err.to_string().contains("MD5 trailer"), "{err}");
        assert_eq!(users[3].data.as_ref(), corrupted.as_slice());
        assert_eq!(
            (0..users.len())
                .map(|i| record_start(&users, i))
                .collect::<Vec<_>>(),
            vec![0, 1, 1, 3, 4]
        );
    }

    #[test]
    fn a_user_record_is_held_to_the_record_size_limit_not_the_aggregate() {
        let big = "b".repeat(200);
        let data = aggregate(&[("k", "k,l,2020-01-01"), ("k", &big)]);
        let users = user_records([("k", data.as_slice())]);
        assert!(users[0].decode(64, None, |_| Ok(())).is_ok());
        assert_eq!(
            users[1].decode(64, None, |_| Ok(())).unwrap_err().code(),
            "Oversize"
        );
    }
}
