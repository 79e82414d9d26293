//! CPU per user record of KPL deaggregation: MD5 check, protobuf decode and key lookup
//! (`kpl::deaggregate`), and the invocation's expansion of a batch into user records
//! (`stream2neptune_writer::deaggregation::user_records`) plus parsing, against the same records sent plain.
//! One aggregate of 1,000 CSV edges (the driver's cap) over 1,000 partition keys.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use stream2neptune_writer::deaggregation::user_records;
use stream2neptune_writer::record::parse_record;

const USERS: usize = 1_000;

fn edges() -> Vec<(String, Vec<u8>)> {
    (0..USERS)
        .map(|i| {
            let from = 1_000_000 + i;
            (
                from.to_string(),
                format!("{from},{},2016-05-21T10:11:12Z", 2_000_000 + i * 7).into_bytes(),
            )
        })
        .collect()
}

fn per_user_record(c: &mut Criterion) {
    let edges = edges();
    let mut aggregator = kpl::Aggregator::new();
    for (key, data) in &edges {
        aggregator.push(key, data.clone());
    }
    let aggregate = aggregator.finish();
    let mut group = c.benchmark_group("deaggregation");
    group.throughput(Throughput::Elements(USERS as u64));

    group.bench_function("kpl_deaggregate", |b| {
        b.iter(|| black_box(kpl::deaggregate(black_box(&aggregate)).unwrap()))
    });
    group.bench_function("user_records_and_parse_aggregated", |b| {
        b.iter(|| {
            let users = user_records([("1000000", black_box(aggregate.as_slice()))]);
            for user in &users {
                black_box(user.decode(65_536, None, |_| Ok(())).unwrap());
            }
        })
    });
    group.bench_function("user_records_and_parse_plain", |b| {
        b.iter(|| {
            let users = user_records(
                edges
                    .iter()
                    .map(|(key, data)| (key.as_str(), black_box(data.as_slice()))),
            );
            for user in &users {
                black_box(parse_record(&user.data, 65_536).unwrap());
            }
        })
    });
    group.finish();
}

criterion_group!(benches, per_user_record);
criterion_main!(benches);
