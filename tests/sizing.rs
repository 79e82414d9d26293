//! The sizing tables, row by row, and the ShardCount each writer gets through the whole resolver.

mod common;

use stream2neptune::sizing;

/// One test per row of the Neptune vCPU table: the table value, and the ShardCount a region with that writer
/// resolves to (2 x vCPUs, origin "derived").
macro_rules! vcpu_rows {
    ($($test:ident: $class:literal => $vcpus:literal),* $(,)?) => {
        $(
            #[test]
            fn $test() {
                assert_eq!(sizing::db_vcpus($class), Some($vcpus), "vCPUs of {}", $class);
                let resolved = common::resolved("regions: {us-east-1: {}}", "us-east-1", &[concat!("DbInstanceType=", $class)]);
                assert_eq!(resolved.derived.writer_vcpus, $vcpus);
                assert_eq!(common::value(&resolved, "ShardCount"), ((2 * $vcpus).to_string(), "derived".to_owned()));
            }
        )*
        /// Every row above is in the table and the table has no other rows.
        #[test]
        fn table_has_exactly_the_tested_rows() {
            let tested = [$($class),*];
            let table: Vec<&str> = sizing::DB_INSTANCE_VCPUS.iter().map(|(name, _)| *name).collect();
            assert_eq!(table, tested);
        }
    };
}

vcpu_rows! {
    r4_large: "db.r4.large" => 2,
    r4_xlarge: "db.r4.xlarge" => 4,
    r4_2xlarge: "db.r4.2xlarge" => 8,
    r4_4xlarge: "db.r4.4xlarge" => 16,
    r4_8xlarge: "db.r4.8xlarge" => 32,
    r4_16xlarge: "db.r4.16xlarge" => 64,
    r5_large: "db.r5.large" => 2,
    r5_xlarge: "db.r5.xlarge" => 4,
    r5_2xlarge: "db.r5.2xlarge" => 8,
    r5_4xlarge: "db.r5.4xlarge" => 16,
    r5_8xlarge: "db.r5.8xlarge" => 32,
    r5_12xlarge: "db.r5.12xlarge" => 48,
    r5_16xlarge: "db.r5.16xlarge" => 64,
    r5_24xlarge: "db.r5.24xlarge" => 96,
    r5d_large: "db.r5d.large" => 2,
    r5d_xlarge: "db.r5d.xlarge" => 4,
    r5d_2xlarge: "db.r5d.2xlarge" => 8,
    r5d_4xlarge: "db.r5d.4xlarge" => 16,
    r5d_8xlarge: "db.r5d.8xlarge" => 32,
    r5d_12xlarge: "db.r5d.12xlarge" => 48,
    r5d_16xlarge: "db.r5d.16xlarge" => 64,
    r5d_24xlarge: "db.r5d.24xlarge" => 96,
    r6g_large: "db.r6g.large" => 2,
    r6g_xlarge: "db.r6g.xlarge" => 4,
    r6g_2xlarge: "db.r6g.2xlarge" => 8,
    r6g_4xlarge: "db.r6g.4xlarge" => 16,
    r6g_8xlarge: "db.r6g.8xlarge" => 32,
    r6g_12xlarge: "db.r6g.12xlarge" => 48,
    r6g_16xlarge: "db.r6g.16xlarge" => 64,
    r6i_large: "db.r6i.large" => 2,
    r6i_xlarge: "db.r6i.xlarge" => 4,
    r6i_2xlarge: "db.r6i.2xlarge" => 8,
    r6i_4xlarge: "db.r6i.4xlarge" => 16,
    r6i_8xlarge: "db.r6i.8xlarge" => 32,
    r6i_12xlarge: "db.r6i.12xlarge" => 48,
    r6i_16xlarge: "db.r6i.16xlarge" => 64,
    r6i_24xlarge: "db.r6i.24xlarge" => 96,
    r6i_32xlarge: "db.r6i.32xlarge" => 128,
    x2g_large: "db.x2g.large" => 2,
    x2g_xlarge: "db.x2g.xlarge" => 4,
    x2g_2xlarge: "db.x2g.2xlarge" => 8,
    x2g_4xlarge: "db.x2g.4xlarge" => 16,
    x2g_8xlarge: "db.x2g.8xlarge" => 32,
    x2g_12xlarge: "db.x2g.12xlarge" => 48,
    x2g_16xlarge: "db.x2g.16xlarge" => 64,
    t3_medium: "db.t3.medium" => 2,
    t4g_medium: "db.t4g.medium" => 2,
}

#[test]
fn serverless_is_not_a_fixed_size_row_but_is_an_accepted_class() {
    assert_eq!(sizing::db_vcpus("db.serverless"), None);
    assert_eq!(sizing::db_instance_types().last(), Some("db.serverless"));
}

#[test]
fn serverless_vcpus_are_max_capacity_over_four_rounded_up_at_least_one() {
    for (ncus, vcpus) in [
        (1.0, 1),
        (2.5, 1),
        (4.0, 1),
        (4.5, 2),
        (16.0, 4),
        (31.5, 8),
        (128.0, 32),
    ] {
        assert_eq!(sizing::serverless_vcpus(ncus), vcpus, "{ncus} NCUs");
    }
}

#[test]
fn serverless_shard_count_follows_max_capacity() {
    let resolved = common::resolved(
        "regions: {eu-west-1: {DbInstanceType: db.serverless, DbServerlessMaxCapacity: 24.5}}",
        "eu-west-1",
        &[],
    );
    assert!(resolved.mode.serverless);
    assert_eq!(resolved.derived.writer_vcpus, 7);
    assert_eq!(
        common::value(&resolved, "ShardCount"),
        ("14".to_owned(), "derived".to_owned())
    );
}

#[test]
fn existing_cluster_shard_count_is_four() {
    let resolved = common::resolved("regions: {us-east-1: {}}", "us-east-1", common::EXISTING);
    assert_eq!(
        resolved.derived.writer_vcpus,
        sizing::EXISTING_CLUSTER_ASSUMED_VCPUS
    );
    assert_eq!(
        common::value(&resolved, "ShardCount"),
        ("4".to_owned(), "derived".to_owned())
    );
}

#[test]
fn recommended_shards_are_capped_at_the_kinesis_maximum() {
    assert_eq!(sizing::KINESIS_MAX_SHARDS, 500);
    assert_eq!(sizing::recommended_shards(128), 256);
    assert_eq!(sizing::recommended_shards(300), 500);
}

#[test]
fn reserved_concurrency_is_shards_times_parallelization_and_zero_on_demand() {
    let provisioned = common::resolved(
        "regions: {us-east-1: {ShardCount: 6, ParallelizationFactor: 3}}",
        "us-east-1",
        &[],
    );
    assert_eq!(provisioned.derived.reserved_concurrency, 18);
    let on_demand = common::resolved(
        "regions: {us-east-1: {StreamMode: ON_DEMAND}}",
        "us-east-1",
        &[],
    );
    assert_eq!(on_demand.derived.reserved_concurrency, 0);
    assert!(on_demand.get("ShardCount").is_some_and(|p| !p.in_scope));
}

#[test]
fn driver_and_notebook_tables_hold_the_offered_families() {
    assert!(
        sizing::EC2_CLIENT_INSTANCE_TYPES
            .iter()
            .all(|t| ["m5.", "m6i.", "c5."].iter().any(|f| t.starts_with(f)))
    );
    assert!(
        sizing::NOTEBOOK_INSTANCE_TYPES
            .iter()
            .all(|t| t.starts_with("ml.t3.") || t.starts_with("ml.m5."))
    );
    assert!(sizing::EC2_CLIENT_INSTANCE_TYPES.contains(&"m5.large"));
    assert!(sizing::NOTEBOOK_INSTANCE_TYPES.contains(&"ml.t3.medium"));
}
