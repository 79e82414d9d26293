//! The Kinesis Producer Library's aggregation format, both ways: [`deaggregate`] for the writer,
//! [`Aggregator`] for the driver, and [`hash_key`] to map a partition key to its shard.
//!
//! An aggregated Kinesis record is the magic `F3 89 9A C2`, then a protobuf (proto2)
//! `AggregatedRecord`, then the 16-byte MD5 digest of that protobuf. The message, as the KPL's
//! `messages.proto` declares it:
//!
//! ```text
//! message AggregatedRecord {
//!   repeated string partition_key_table     = 1;
//!   repeated string explicit_hash_key_table = 2;
//!   repeated Record records                 = 3;
//! }
//! message Tag    { required string key = 1; optional string value = 2; }
//! message Record {
//!   required uint64 partition_key_index     = 1;
//!   optional uint64 explicit_hash_key_index = 2;
//!   required bytes  data                    = 3;
//!   repeated Tag    tags                    = 4;
//! }
//! ```
//!
//! The structs below declare it by hand with `prost`'s derive (no build script, no `protoc`).

use md5::{Digest, Md5};
use prost::Message;
use prost::encoding::encoded_len_varint;

/// The first four bytes of every aggregated record.
pub const MAGIC: [u8; 4] = [0xF3, 0x89, 0x9A, 0xC2];

/// Length of the MD5 trailer.
pub const DIGEST_LEN: usize = 16;

/// The KPL's `AggregatedRecord`.
#[derive(Clone, PartialEq, Message)]
pub struct AggregatedRecord {
    /// Partition keys, referenced by index from the records.
    #[prost(string, repeated, tag = "1")]
    pub partition_key_table: Vec<String>,
    /// Explicit hash keys, referenced by index from the records.
    #[prost(string, repeated, tag = "2")]
    pub explicit_hash_key_table: Vec<String>,
    /// The user records, in the order they were added.
    #[prost(message, repeated, tag = "3")]
    pub records: Vec<Record>,
}

/// One user record of an [`AggregatedRecord`].
#[derive(Clone, PartialEq, Message)]
pub struct Record {
    /// Index into `partition_key_table`.
    #[prost(uint64, required, tag = "1")]
    pub partition_key_index: u64,
    /// Index into `explicit_hash_key_table`.
    #[prost(uint64, optional, tag = "2")]
    pub explicit_hash_key_index: Option<u64>,
    /// The user record's body.
    #[prost(bytes = "vec", required, tag = "3")]
    pub data: Vec<u8>,
    /// Tags (the KPL never sets them; kept so such records still decode).
    #[prost(message, repeated, tag = "4")]
    pub tags: Vec<Tag>,
}

/// A tag of a [`Record`].
#[derive(Clone, PartialEq, Message)]
pub struct Tag {
    /// The tag's key.
    #[prost(string, required, tag = "1")]
    pub key: String,
    /// The tag's value.
    #[prost(string, optional, tag = "2")]
    pub value: Option<String>,
}

/// A user record taken out of an aggregate, its keys resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRecord {
    /// Its own partition key (from the key table, not the Kinesis record's).
    pub partition_key: String,
    /// Its explicit hash key, when the producer set one.
    pub explicit_hash_key: Option<String>,
    /// Its body.
    pub data: Vec<u8>,
}

/// Why an aggregated record cannot be read. Each is a corrupted record: it never decodes on a
/// second try either.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// Shorter than the magic and the MD5 trailer.
    #[error(
        "KPL aggregated record is {size} bytes: too short for the 4-byte magic and the 16-byte MD5 trailer"
    )]
    TooShort {
        /// The record's size.
        size: usize,
    },
    /// The trailer is not the MD5 of the protobuf.
    #[error(
        "KPL aggregated record is corrupted: its MD5 trailer is {found} but its content's MD5 is {computed}"
    )]
    DigestMismatch {
        /// The trailer, in hex.
        found: String,
        /// The content's digest, in hex.
        computed: String,
    },
    /// The content is not an `AggregatedRecord`.
    #[error("KPL aggregated record is not a valid AggregatedRecord protobuf: {message}")]
    BadProtobuf {
        /// prost's description.
        message: String,
    },
    /// A user record names a key past the end of a key table.
    #[error(
        "user record {record} of the KPL aggregated record names {table} index {index}, but that table has {len} entries"
    )]
    KeyIndexOutOfRange {
        /// The user record's position in the aggregate.
        record: usize,
        /// `partition_key_table` or `explicit_hash_key_table`.
        table: &'static str,
        /// The index it names.
        index: u64,
        /// The table's length.
        len: usize,
    },
}

/// Whether `data` is an aggregated record (starts with [`MAGIC`]). A record without the magic is
/// a plain record; a plain UTF-8 record cannot start with it (`F3 89 9A C2` is not UTF-8).
pub fn is_aggregated(data: &[u8]) -> bool {
    data.starts_with(&MAGIC)
}

/// The user records of the aggregated record `data` (which starts with [`MAGIC`]), in order.
pub fn deaggregate(data: &[u8]) -> Result<Vec<UserRecord>, DecodeError> {
    if data.len() < MAGIC.len() + DIGEST_LEN {
        return Err(DecodeError::TooShort { size: data.len() });
    }
    let (message, trailer) = data[MAGIC.len()..].split_at(data.len() - MAGIC.len() - DIGEST_LEN);
    let computed = Md5::digest(message);
    if computed.as_slice() != trailer {
        return Err(DecodeError::DigestMismatch {
            found: hex(trailer),
            computed: hex(&computed),
        });
    }
    let aggregate = AggregatedRecord::decode(message).map_err(|err| DecodeError::BadProtobuf {
        message: err.to_string(),
    })?;
    let AggregatedRecord {
        partition_key_table: keys,
        explicit_hash_key_table: hash_keys,
        records,
    } = aggregate;
    records
        .into_iter()
        .enumerate()
        .map(|(position, record)| {
            let lookup = |table: &'static str, entries: &[String], index: u64| {
                usize::try_from(index)
                    .ok()
                    .and_then(|i| entries.get(i))
                    .cloned()
                    .ok_or(DecodeError::KeyIndexOutOfRange {
                        record: position,
                        table,
                        index,
                        len: entries.len(),
                    })
            };
            Ok(UserRecord {
                partition_key: lookup("partition_key_table", &keys, record.partition_key_index)?,
                explicit_hash_key: record
                    .explicit_hash_key_index
                    .map(|index| lookup("explicit_hash_key_table", &hash_keys, index))
                    .transpose()?,
                data: record.data,
            })
        })
        .collect()
}

/// The hash key Kinesis maps `partition_key` with: the MD5 of its UTF-8 bytes as a big-endian
/// 128-bit integer. The record goes to the open shard whose hash key range holds it.
pub fn hash_key(partition_key: &str) -> u128 {
    u128::from_be_bytes(Md5::digest(partition_key.as_bytes()).into())
}

/// Builds one aggregated record from user records, knowing its encoded size at every step.
#[derive(Debug, Clone, Default)]
pub struct Aggregator {
    message: AggregatedRecord,
    /// Position of each key in the key table.
    key_index: std::collections::HashMap<String, u64>,
    /// Encoded size of `message`.
    message_len: usize,
}

impl Aggregator {
    /// An empty aggregate.
    pub fn new() -> Self {
        Self::default()
    }

    /// User records added so far.
    pub fn len(&self) -> usize {
        self.message.records.len()
    }

    /// Whether nothing was added.
    pub fn is_empty(&self) -> bool {
        self.message.records.is_empty()
    }

    /// The size of the finished record (magic, protobuf, trailer), in bytes.
    pub fn size(&self) -> usize {
        MAGIC.len() + self.message_len + DIGEST_LEN
    }

    /// The size the finished record would have with one more user record.
    pub fn size_with(&self, partition_key: &str, data: &[u8]) -> usize {
        self.size() + self.growth(partition_key, data).0
    }

    /// The partition key of the first user record (the KPL puts the aggregate with it).
    pub fn first_partition_key(&self) -> Option<&str> {
        let first = self.message.records.first()?;
        Some(&self.message.partition_key_table[first.partition_key_index as usize])
    }

    /// Adds a user record.
    pub fn push(&mut self, partition_key: &str, data: Vec<u8>) {
        let (growth, new_key) = self.growth(partition_key, &data);
        if new_key {
            let index = self.message.partition_key_table.len() as u64;
            self.message
                .partition_key_table
                .push(partition_key.to_owned());
            self.key_index.insert(partition_key.to_owned(), index);
        }
        self.message.records.push(Record {
            partition_key_index: self.key_index[partition_key],
            explicit_hash_key_index: None,
            data,
            tags: Vec::new(),
        });
        self.message_len += growth;
    }

    /// The encoded record; the aggregator is empty again.
    pub fn finish(&mut self) -> Vec<u8> {
        let message = std::mem::take(self).message;
        let mut out = Vec::with_capacity(MAGIC.len() + message.encoded_len() + DIGEST_LEN);
        out.extend_from_slice(&MAGIC);
        message.encode(&mut out).expect("a Vec grows to any size");
        let digest = Md5::digest(&out[MAGIC.len()..]);
        out.extend_from_slice(&digest);
        out
    }

    /// Bytes one more user record adds to the protobuf, and whether its key is new.
    fn growth(&self, partition_key: &str, data: &[u8]) -> (usize, bool) {
        let (index, new_key) = match self.key_index.get(partition_key) {
            Some(&index) => (index, false),
            None => (self.message.partition_key_table.len() as u64, true),
        };
        let key_entry = if new_key {
            1 + encoded_len_varint(partition_key.len() as u64) + partition_key.len()
        } else {
            0
        };
        let record_len =
            1 + encoded_len_varint(index) + 1 + encoded_len_varint(data.len() as u64) + data.len();
        (
            key_entry + 1 + encoded_len_varint(record_len as u64) + record_len,
            new_key,
        )
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Made by aws-kinesis-agg 1.2.3's `RecordAggregator` (AWS Labs' Python implementation) from
    /// ("v1", "v1,v2,2020-01-01"), ("v3", "v3,v1,2020-01-02"), ("v1", "v1,v3,2020-01-03").
    const REFERENCE: &str = "f3899ac20a0276310a0276331a1408001a1076312c76322c323032302d30312d30311a1408011a1076332c76312c323032302d30312d30321a1408001a1076312c76332c323032302d30312d30335f02ecc919859c0a4e575aa3ec9eac2d";

    fn unhex(text: &str) -> Vec<u8> {
        (0..text.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
            .collect()
    }

    fn user(key: &str, data: &str) -> UserRecord {
        UserRecord {
            partition_key: key.into(),
            explicit_hash_key: None,
            data: data.into(),
        }
    }

    fn reference_records() -> Vec<UserRecord> {
        vec![
            user("v1", "v1,v2,2020-01-01"),
            user("v3", "v3,v1,2020-01-02"),
            user("v1", "v1,v3,2020-01-03"),
        ]
    }

    #[test]
    fn decodes_the_reference_implementations_aggregate() {
        let data = unhex(REFERENCE);
        assert!(is_aggregated(&data));
        assert_eq!(deaggregate(&data).unwrap(), reference_records());
    }

    #[test]
    fn encodes_byte_for_byte_like_the_reference_implementation() {
        let mut aggregator = Aggregator::new();
        for record in reference_records() {
            let predicted = aggregator.size_with(&record.partition_key, &record.data);
            aggregator.push(&record.partition_key, record.data);
            assert_eq!(aggregator.size(), predicted);
        }
        assert_eq!(aggregator.len(), 3);
        assert_eq!(aggregator.first_partition_key(), Some("v1"));
        let size = aggregator.size();
        let data = aggregator.finish();
        assert_eq!(data.len(), size);
        assert_eq!(hex(&data), REFERENCE);
        assert!(aggregator.is_empty());
    }

    #[test]
    fn size_is_exact_across_varint_boundaries() {
        let mut aggregator = Aggregator::new();
        for i in 0..300 {
            let key = format!("key-{}", i % 150);
            let data = vec![b'x'; i];
            let predicted = aggregator.size_with(&key, &data);
            aggregator.push(&key, data);
            assert_eq!(aggregator.size(), predicted, "after record {i}");
        }
        let size = aggregator.size();
        let data = aggregator.finish();
        assert_eq!(data.len(), size);
        let records = deaggregate(&data).unwrap();
        assert_eq!(records.len(), 300);
        assert_eq!(records[299].partition_key, "key-149");
        assert_eq!(records[299].data.len(), 299);
    }

    #[test]
    fn a_wrong_digest_is_reported_with_both_digests() {
        let mut data = unhex(REFERENCE);
        data[10] ^= 1;
        let err = deaggregate(&data).unwrap_err();
        assert!(matches!(err, DecodeError::DigestMismatch { .. }), "{err}");
        assert!(err.to_string().contains("5f02ecc919859c0a4e575aa3ec9eac2d"));
    }

    /// A record with the magic and a valid digest over bytes that are not the message.
    fn with_digest(message: &[u8]) -> Vec<u8> {
        let mut data = MAGIC.to_vec();
        data.extend_from_slice(message);
        data.extend_from_slice(&Md5::digest(message));
        data
    }

    #[test]
    fn bad_protobuf_and_short_records_are_errors() {
        let err = deaggregate(&with_digest(&[0x1a, 0x7f, 0x00])).unwrap_err();
        assert!(matches!(err, DecodeError::BadProtobuf { .. }), "{err}");
        assert_eq!(
            deaggregate(&MAGIC).unwrap_err(),
            DecodeError::TooShort { size: 4 }
        );
    }

    #[test]
    fn key_indexes_out_of_range_are_errors() {
        let message = AggregatedRecord {
            partition_key_table: vec!["a".into()],
            explicit_hash_key_table: vec![],
            records: vec![
                Record {
                    partition_key_index: 0,
                    explicit_hash_key_index: None,
                    data: b"x".to_vec(),
                    tags: vec![],
                },
                Record {
                    partition_key_index: 1,
                    explicit_hash_key_index: None,
                    data: b"y".to_vec(),
                    tags: vec![],
                },
            ],
        };
        let err = deaggregate(&with_digest(&message.encode_to_vec())).unwrap_err();
        assert_eq!(
            err,
            DecodeError::KeyIndexOutOfRange {
                record: 1,
                table: "partition_key_table",
                index: 1,
                len: 1
            }
        );
        let mut hashed = message.clone();
        hashed.records.truncate(1);
        hashed.records[0].explicit_hash_key_index = Some(0);
        let err = deaggregate(&with_digest(&hashed.encode_to_vec())).unwrap_err();
        assert!(
            err.to_string().contains("explicit_hash_key_table index 0"),
            "{err}"
        );
        hashed.explicit_hash_key_table.push("42".into());
        assert_eq!(
            deaggregate(&with_digest(&hashed.encode_to_vec())).unwrap()[0].explicit_hash_key,
            Some("42".into())
        );
    }

    #[test]
    fn hash_key_is_the_md5_as_a_big_endian_integer() {
        // int(hashlib.md5(b"v1").hexdigest(), 16)
        assert_eq!(
            hash_key("v1"),
            136_021_448_888_896_266_853_787_506_436_028_488_831
        );
        assert!(!is_aggregated(b"v1,v2,2020-01-01"));
    }
}
