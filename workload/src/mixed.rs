//! The mixed workload: a deterministic stream of graph operations over several labels (customers, their devices
//! and orders), with property updates, values set on create only, multi-valued adds, removals and deletes, on
//! Zipf-skewed keys, for `dataset --workload mixed` and the demo's model check.
//!
//! Each record is one or more operations on one customer's subgraph (the customer, its devices and orders, and the
//! `owns` and `placed` edges between them), keyed by the customer id: the driver sends it with that partition key,
//! so every write that depends on another shares its shard and its order. No operation touches two customers'
//! subgraphs, so applying the records in per-key order gives one graph whatever the interleaving of the shards:
//! [`expected_graph`] is the oracle of a run.
//!
//! Randomness comes only from ChaCha8 through the data set's own sampling, so a seed gives the same records with
//! any `rand` release.

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use flate2::Compression;
use flate2::read::MultiGzDecoder;
use flate2::write::GzEncoder;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use stream2neptune_graph::{
    Change, EdgeUpsert, Graph, Operation, PropertyChange, Value, VertexUpsert, derived_edge_id,
};

use crate::error::{DatasetError, MixedFileError};
use crate::partial::partial;
use crate::sampling::{below, unit, zipf_cdf, zipf_rank};

/// The mixed workload's file in a data set directory.
pub const OPERATIONS_FILE: &str = "operations.jsonl.gz";

/// The vertex label of customers.
pub const CUSTOMER: &str = "customer";
/// The vertex label of devices.
pub const DEVICE: &str = "device";
/// The vertex label of orders.
pub const ORDER: &str = "order";
/// The edge label from a customer to a device.
pub const OWNS: &str = "owns";
/// The edge label from a customer to an order.
pub const PLACED: &str = "placed";

/// What a mixed workload holds.
#[derive(Debug, Clone, PartialEq)]
pub struct MixedConfig {
    /// Records to generate (each one to three operations).
    pub records: u64,
    /// Customers (the keys); their popularity is Zipf-distributed.
    pub customers: u32,
    /// Exponent of that Zipf distribution (higher: hotter keys).
    pub zipf_exponent: f64,
    /// Seed of the generator: the same seed gives the same records.
    pub seed: u64,
    /// What the target language can store beyond strings, numbers and booleans.
    pub values: ValueKinds,
}

/// The value kinds a language stores besides strings, integers, doubles and booleans (openCypher on Neptune has no
/// date type and no multi-valued properties: the workload leaves them out there rather than have them rejected).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ValueKinds {
    /// Dates (`YYYY-MM-DD`) and date-times.
    pub dates: bool,
    /// Multi-valued vertex properties: lists and `add`.
    pub multi_valued: bool,
}

impl ValueKinds {
    /// Every kind (Gremlin, SPARQL).
    pub const ALL: ValueKinds = ValueKinds {
        dates: true,
        multi_valued: true,
    };
    /// Strings, numbers and booleans only (openCypher).
    pub const SCALARS: ValueKinds = ValueKinds {
        dates: false,
        multi_valued: false,
    };
}

/// One record of the workload: its partition key and the operations it carries, applied in order.
#[derive(Debug, Clone, PartialEq)]
pub struct MixedRecord {
    /// The customer id, the Kinesis partition key.
    pub partition_key: String,
    /// The operations, in order.
    pub operations: Vec<Operation>,
}

/// The workload's records in stream order.
pub fn generate(config: &MixedConfig) -> Vec<MixedRecord> {
    let mut rng = ChaCha8Rng::seed_from_u64(config.seed);
    let customers = config.customers.max(1);
    let cdf = zipf_cdf(customers, config.zipf_exponent);
    (0..config.records)
        .map(|n| {
            let customer = format!("c{}", zipf_rank(&cdf, &mut rng));
            let operations = record(&mut rng, &customer, n, config.values);
            MixedRecord {
                partition_key: customer,
                operations,
            }
        })
        .collect()
}

/// The graph the records leave when applied in order (per key order is enough: keys never share an element).
/// An operation the model refuses is left out, as the writer rejects it.
pub fn expected_graph(records: &[MixedRecord]) -> Graph {
    let mut graph = Graph::default();
    for operation in records.iter().flat_map(|r| &r.operations) {
        let _refused = graph.apply(operation);
    }
    graph
}

/// What [`write_records`] wrote, and the graph the records leave.
#[derive(Debug, Clone, PartialEq)]
pub struct MixedSummary {
    /// The file written.
    pub path: PathBuf,
    /// Records written.
    pub records: u64,
    /// Operations in them.
    pub operations: u64,
    /// Vertices of the expected graph.
    pub vertices: usize,
    /// Edges of the expected graph.
    pub edges: usize,
    /// Properties of the expected graph (a multi-valued property counts once).
    pub properties: usize,
}

/// One line of the operations file: `{"partitionKey": KEY, "data": DOCUMENT}`, the document being the record's
/// body as the driver sends it (a graph-operation document, [`stream2neptune_graph::encode`]).
pub fn record_line(record: &MixedRecord) -> String {
    format!(
        "{{\"partitionKey\":{},\"data\":{}}}",
        serde_json::Value::String(record.partition_key.clone()),
        stream2neptune_graph::encode(&record.operations)
            .expect("the mixed workload makes no value changes, which have no document form")
    )
}

/// The record of one line of the operations file.
pub fn parse_line(line: &str) -> Result<MixedRecord, String> {
    let (partition_key, data) = split_line(line)?;
    let operations = stream2neptune_graph::decode(data).map_err(|e| e.to_string())?;
    Ok(MixedRecord {
        partition_key,
        operations,
    })
}

/// The partition key and the document text (as written) of one line of the operations file.
pub fn split_line(line: &str) -> Result<(String, &str), String> {
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "camelCase", deny_unknown_fields)]
    struct Line<'a> {
        partition_key: String,
        #[serde(borrow)]
        data: &'a serde_json::value::RawValue,
    }
    let line: Line = serde_json::from_str(line).map_err(|e| e.to_string())?;
    Ok((line.partition_key, line.data.get()))
}

/// Writes the workload's records to `dir/operations.jsonl.gz` (a temporary file renamed into place when complete).
pub fn write_records(
    config: &MixedConfig,
    dir: &Path,
    gzip_level: u32,
) -> Result<MixedSummary, DatasetError> {
    let records = generate(config);
    let path = write_file(&records, dir, gzip_level)?;
    let graph = expected_graph(&records);
    Ok(MixedSummary {
        path,
        records: records.len() as u64,
        operations: records.iter().map(|r| r.operations.len() as u64).sum(),
        vertices: graph.vertices.len(),
        edges: graph.edges.len(),
        properties: graph.property_count(),
    })
}

/// The first `operations` operations of the workload of `config` (whatever its `records`): its records in stream
/// order up to the one that reaches the count, that one cut after the operation that does (a record's leading
/// operations are a record of their own: each writes on its own).
pub fn first_operations(config: &MixedConfig, operations: u64) -> Vec<MixedRecord> {
    // Every record holds at least one operation, and a seed's records do not depend on how many are generated.
    let mut records = generate(&MixedConfig {
        records: operations,
        ..config.clone()
    });
    let mut left = operations as usize;
    records.retain_mut(|record| {
        record.operations.truncate(left);
        left -= record.operations.len();
        !record.operations.is_empty()
    });
    records
}

/// Writes `records` to `dir/operations.jsonl.gz` (a temporary file renamed into place when complete); returns
/// its path.
pub fn write_file(
    records: &[MixedRecord],
    dir: &Path,
    gzip_level: u32,
) -> Result<PathBuf, DatasetError> {
    let path = dir.join(OPERATIONS_FILE);
    let write_err = |source| DatasetError::Write {
        path: path.clone(),
        source,
    };
    std::fs::create_dir_all(dir).map_err(write_err)?;
    let part = partial(&path)?;
    let mut gz = GzEncoder::new(BufWriter::new(part), Compression::new(gzip_level));
    for record in records {
        writeln!(gz, "{}", record_line(record)).map_err(write_err)?;
    }
    let part = gz
        .finish()
        .map_err(write_err)?
        .into_inner()
        .map_err(|e| write_err(e.into_error()))?;
    part.persist(&path).map_err(|e| write_err(e.error))?;
    Ok(path)
}

/// Reads an operations file back, in stream order.
pub fn read_records(path: &Path) -> Result<Vec<MixedRecord>, MixedFileError> {
    let read_err = |source| MixedFileError::Read {
        path: path.to_owned(),
        source,
    };
    let reader = BufReader::new(MultiGzDecoder::new(File::open(path).map_err(read_err)?));
    let mut records = Vec::new();
    for (index, line) in reader.lines().enumerate() {
        let line = line.map_err(read_err)?;
        records.push(
            parse_line(&line).map_err(|reason| MixedFileError::Malformed {
                path: path.to_owned(),
                line: index + 1,
                reason,
            })?,
        );
    }
    Ok(records)
}

fn vertex(id: String, label: &str, properties: Vec<PropertyChange>) -> Operation {
    Operation::UpsertVertex(VertexUpsert {
        id,
        label: label.into(),
        properties,
    })
}

fn edge(
    label: &str,
    from: &str,
    to: &str,
    to_label: &str,
    properties: Vec<PropertyChange>,
) -> Operation {
    Operation::UpsertEdge(EdgeUpsert {
        id: derived_edge_id(from, label, to, None),
        label: label.into(),
        from: from.into(),
        to: to.into(),
        from_label: CUSTOMER.into(),
        to_label: to_label.into(),
        properties,
    })
}

const TIERS: &[&str] = &["free", "plus", "pro"];
const TAGS: &[&str] = &["early", "mobile", "b2b", "vip", "churn-risk"];
const MODELS: &[&str] = &["sensor-a", "sensor-b", "gateway", "camera"];

fn pick<'a>(rng: &mut ChaCha8Rng, from: &[&'a str]) -> &'a str {
    from[below(rng, from.len() as u64) as usize]
}

/// A date of 2024 (`YYYY-MM-DD`) and a date-time of that day, from `n`.
fn day(n: u64) -> (String, String) {
    let (month, day) = (1 + n % 12, 1 + n % 28);
    (
        format!("2024-{month:02}-{day:02}"),
        format!("2024-{month:02}-{day:02}T{:02}:{:02}:00Z", n % 24, n % 60),
    )
}

/// The operations of record `n` on `customer`'s subgraph.
fn record(rng: &mut ChaCha8Rng, customer: &str, n: u64, values: ValueKinds) -> Vec<Operation> {
    let device = format!("{customer}/d{}", below(rng, 4));
    let order = format!("{customer}/o{}", below(rng, 6));
    let (date, date_time) = day(n);
    let roll = unit(rng);
    if roll < 0.25 {
        // Each property once per operation (a document names each once).
        let tier = if below(rng, 5) == 0 {
            PropertyChange::remove("tier")
        } else {
            PropertyChange::set("tier", Value::String(pick(rng, TIERS).into()))
        };
        let mut properties = vec![
            PropertyChange::set("name", Value::String(format!("Customer {customer}"))),
            tier,
            PropertyChange::set("score", Value::Double(below(rng, 1000) as f64 / 8.0)),
            PropertyChange::set("active", Value::Boolean(below(rng, 4) > 0)),
            // The record that created the customer: a later upsert keeps it, a re-creation replaces it.
            PropertyChange::set_on_create("joined", Value::Integer(n as i64)),
        ];
        if values.dates {
            properties.push(PropertyChange::set("since", Value::Date(date)));
        }
        if values.multi_valued {
            let change = if below(rng, 3) == 0 {
                Change::Set(Value::List(vec![
                    Value::String(pick(rng, TAGS).into()),
                    Value::String(pick(rng, TAGS).into()),
                ]))
            } else {
                Change::Add(Value::String(pick(rng, TAGS).into()))
            };
            properties.push(PropertyChange {
                name: "tags".into(),
                change,
            });
        }
        vec![vertex(customer.into(), CUSTOMER, properties)]
    } else if roll < 0.45 {
        let mut device_properties = vec![
            PropertyChange::set("model", Value::String(pick(rng, MODELS).into())),
            PropertyChange::set("firmware", Value::Integer(below(rng, 40) as i64)),
        ];
        if values.dates {
            device_properties.push(PropertyChange::set("seen", Value::DateTime(date_time)));
        }
        vec![
            vertex(device.clone(), DEVICE, device_properties),
            edge(
                OWNS,
                customer,
                &device,
                DEVICE,
                vec![
                    PropertyChange::set("primary", Value::Boolean(below(rng, 2) == 0)),
                    PropertyChange::set_on_create("linked", Value::Integer(n as i64)),
                ],
            ),
        ]
    } else if roll < 0.60 {
        vec![edge(
            PLACED,
            customer,
            &order,
            ORDER,
            vec![
                PropertyChange::set("total", Value::Double(below(rng, 100_000) as f64 / 100.0)),
                PropertyChange::set("items", Value::Integer(1 + below(rng, 9) as i64)),
            ],
        )]
    } else if roll < 0.70 {
        let change = if below(rng, 3) == 0 {
            PropertyChange::remove("items")
        } else {
            PropertyChange::set(
                "status",
                Value::String(pick(rng, &["paid", "shipped", "returned"]).into()),
            )
        };
        vec![edge(PLACED, customer, &order, ORDER, vec![change])]
    } else if roll < 0.78 {
        vec![Operation::DeleteEdge {
            id: derived_edge_id(customer, OWNS, &device, None),
        }]
    } else if roll < 0.85 {
        vec![Operation::DeleteVertex { id: device }]
    } else if roll < 0.90 {
        vec![Operation::DeleteVertex {
            id: customer.into(),
        }]
    } else {
        // Upsert, delete and upsert again in one record: only the last upsert's properties remain.
        vec![
            vertex(
                order.clone(),
                ORDER,
                vec![PropertyChange::set("note", Value::String("first".into()))],
            ),
            Operation::DeleteVertex { id: order.clone() },
            vertex(
                order,
                ORDER,
                vec![PropertyChange::set(
                    "note",
                    Value::String(format!("again {n}")),
                )],
            ),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(values: ValueKinds) -> MixedConfig {
        MixedConfig {
            records: 2_000,
            customers: 50,
            zipf_exponent: 1.0,
            seed: 7,
            values,
        }
    }

    #[test]
    fn a_seed_gives_the_same_records_and_keys_are_skewed() {
        let records = generate(&config(ValueKinds::ALL));
        assert_eq!(records, generate(&config(ValueKinds::ALL)));
        let hottest = records.iter().filter(|r| r.partition_key == "c0").count();
        assert!(hottest > 2_000 / 50 * 3, "c0 has {hottest} records");
        for record in &records {
            for operation in &record.operations {
                let id = operation.element_id();
                assert!(
                    id == record.partition_key
                        || id.starts_with(&format!("{}/", record.partition_key))
                        || id.starts_with(&format!("{}-", record.partition_key)),
                    "{id} is outside {}'s subgraph",
                    record.partition_key
                );
            }
        }
    }

    #[test]
    fn the_first_operations_are_a_prefix_of_the_workload_cut_to_the_count() {
        let whole = generate(&config(ValueKinds::ALL));
        for count in [1, 2, 3, 10, 99] {
            let first = first_operations(&config(ValueKinds::ALL), count);
            let operations: Vec<&Operation> = first.iter().flat_map(|r| &r.operations).collect();
            assert_eq!(operations.len() as u64, count);
            let of_whole: Vec<&Operation> = whole
                .iter()
                .flat_map(|r| &r.operations)
                .take(count as usize)
                .collect();
            assert_eq!(operations, of_whole, "{count}");
            assert!(
                first
                    .iter()
                    .zip(&whole)
                    .all(|(a, b)| a.partition_key == b.partition_key)
            );
        }
    }

    #[test]
    fn every_operation_kind_occurs_and_the_model_holds_a_mixed_graph() {
        let records = generate(&config(ValueKinds::ALL));
        let names: std::collections::BTreeSet<&str> = records
            .iter()
            .flat_map(|r| &r.operations)
            .map(Operation::name)
            .collect();
        assert_eq!(
            names.into_iter().collect::<Vec<_>>(),
            ["deleteEdge", "deleteVertex", "upsertEdge", "upsertVertex"]
        );
        let graph = expected_graph(&records);
        let labels: std::collections::BTreeSet<&str> =
            graph.vertices.values().map(|v| v.label.as_str()).collect();
        assert_eq!(
            labels.into_iter().collect::<Vec<_>>(),
            [CUSTOMER, DEVICE, ORDER]
        );
        assert!(graph.edges.values().any(|e| e.label == OWNS));
        assert!(graph.edges.values().any(|e| e.label == PLACED));
        assert!(
            graph
                .vertices
                .values()
                .any(|v| v.properties.get("tags").is_some_and(|t| t.len() > 1)),
            "a multi-valued property"
        );
    }

    #[test]
    fn the_file_reads_back_to_the_same_records() {
        let dir = tempfile::tempdir().unwrap();
        let config = MixedConfig {
            records: 300,
            ..config(ValueKinds::ALL)
        };
        let summary = write_records(&config, dir.path(), 1).unwrap();
        assert_eq!(summary.records, 300);
        assert!(summary.operations > 300);
        let records = read_records(&summary.path).unwrap();
        assert_eq!(records, generate(&config));
        let graph = expected_graph(&records);
        assert_eq!(
            (graph.vertices.len(), graph.edges.len()),
            (summary.vertices, summary.edges)
        );
        let bad = dir.path().join("bad.jsonl.gz");
        let mut gz = GzEncoder::new(File::create(&bad).unwrap(), Compression::fast());
        writeln!(gz, "{}", record_line(&records[0])).unwrap();
        writeln!(
            gz,
            "{{\"partitionKey\":\"c1\",\"data\":{{\"op\":\"upsertVertex\"}}}}"
        )
        .unwrap();
        gz.finish().unwrap();
        let err = read_records(&bad).unwrap_err().to_string();
        assert!(
            err.contains("line 2") && err.contains("bad.jsonl.gz"),
            "{err}"
        );
    }

    #[test]
    fn scalars_only_leaves_out_dates_lists_and_adds() {
        let records = generate(&config(ValueKinds::SCALARS));
        for operation in records.iter().flat_map(|r| &r.operations) {
            let properties = match operation {
                Operation::UpsertVertex(v) => &v.properties,
                Operation::UpsertEdge(e) => &e.properties,
                _ => continue,
            };
            for property in properties {
                assert!(
                    !matches!(
                        property.change,
                        Change::Add(_)
                            | Change::Set(Value::List(_) | Value::Date(_) | Value::DateTime(_))
                            | Change::SetOnCreate(
                                Value::List(_) | Value::Date(_) | Value::DateTime(_)
                            )
                    ),
                    "{property:?}"
                );
            }
        }
    }
}
