//! The sizing tables, row by row, and the ShardCount each writer gets through the whole resolver.

mod common;

use stream2neptune_plan::Name;
use stream2neptune_plan::sizing;

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
                assert_eq!(common::value(&resolved, Name::ShardCount), ((2 * $vcpus).to_string(), "derived".to_owned()));
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
    r6gd_large: "db.r6gd.large" => 2,
    r6gd_xlarge: "db.r6gd.xlarge" => 4,
    r6gd_2xlarge: "db.r6gd.2xlarge" => 8,
    r6gd_4xlarge: "db.r6gd.4xlarge" => 16,
    r6gd_8xlarge: "db.r6gd.8xlarge" => 32,
    r6gd_12xlarge: "db.r6gd.12xlarge" => 48,
    r6gd_16xlarge: "db.r6gd.16xlarge" => 64,
    r6i_large: "db.r6i.large" => 2,
    r6i_xlarge: "db.r6i.xlarge" => 4,
    r6i_2xlarge: "db.r6i.2xlarge" => 8,
    r6i_4xlarge: "db.r6i.4xlarge" => 16,
    r6i_8xlarge: "db.r6i.8xlarge" => 32,
    r6i_12xlarge: "db.r6i.12xlarge" => 48,
    r6i_16xlarge: "db.r6i.16xlarge" => 64,
    r6i_24xlarge: "db.r6i.24xlarge" => 96,
    r6i_32xlarge: "db.r6i.32xlarge" => 128,
    r7g_large: "db.r7g.large" => 2,
    r7g_xlarge: "db.r7g.xlarge" => 4,
    r7g_2xlarge: "db.r7g.2xlarge" => 8,
    r7g_4xlarge: "db.r7g.4xlarge" => 16,
    r7g_8xlarge: "db.r7g.8xlarge" => 32,
    r7g_12xlarge: "db.r7g.12xlarge" => 48,
    r7g_16xlarge: "db.r7g.16xlarge" => 64,
    r7i_large: "db.r7i.large" => 2,
    r7i_xlarge: "db.r7i.xlarge" => 4,
    r7i_2xlarge: "db.r7i.2xlarge" => 8,
    r7i_4xlarge: "db.r7i.4xlarge" => 16,
    r7i_8xlarge: "db.r7i.8xlarge" => 32,
    r7i_12xlarge: "db.r7i.12xlarge" => 48,
    r7i_16xlarge: "db.r7i.16xlarge" => 64,
    r7i_24xlarge: "db.r7i.24xlarge" => 96,
    r7i_48xlarge: "db.r7i.48xlarge" => 192,
    r8g_large: "db.r8g.large" => 2,
    r8g_xlarge: "db.r8g.xlarge" => 4,
    r8g_2xlarge: "db.r8g.2xlarge" => 8,
    r8g_4xlarge: "db.r8g.4xlarge" => 16,
    r8g_8xlarge: "db.r8g.8xlarge" => 32,
    r8g_12xlarge: "db.r8g.12xlarge" => 48,
    r8g_16xlarge: "db.r8g.16xlarge" => 64,
    r8g_24xlarge: "db.r8g.24xlarge" => 96,
    r8g_48xlarge: "db.r8g.48xlarge" => 192,
    x2g_large: "db.x2g.large" => 2,
    x2g_xlarge: "db.x2g.xlarge" => 4,
    x2g_2xlarge: "db.x2g.2xlarge" => 8,
    x2g_4xlarge: "db.x2g.4xlarge" => 16,
    x2g_8xlarge: "db.x2g.8xlarge" => 32,
    x2g_12xlarge: "db.x2g.12xlarge" => 48,
    x2g_16xlarge: "db.x2g.16xlarge" => 64,
    x2gd_large: "db.x2gd.large" => 2,
    x2gd_xlarge: "db.x2gd.xlarge" => 4,
    x2gd_2xlarge: "db.x2gd.2xlarge" => 8,
    x2gd_4xlarge: "db.x2gd.4xlarge" => 16,
    x2gd_8xlarge: "db.x2gd.8xlarge" => 32,
    x2gd_12xlarge: "db.x2gd.12xlarge" => 48,
    x2gd_16xlarge: "db.x2gd.16xlarge" => 64,
    x2iedn_xlarge: "db.x2iedn.xlarge" => 4,
    x2iedn_2xlarge: "db.x2iedn.2xlarge" => 8,
    x2iedn_4xlarge: "db.x2iedn.4xlarge" => 16,
    x2iedn_8xlarge: "db.x2iedn.8xlarge" => 32,
    x2iedn_16xlarge: "db.x2iedn.16xlarge" => 64,
    x2iedn_24xlarge: "db.x2iedn.24xlarge" => 96,
    x2iedn_32xlarge: "db.x2iedn.32xlarge" => 128,
    t3_medium: "db.t3.medium" => 2,
    t4g_medium: "db.t4g.medium" => 2,
}

#[test]
fn serverless_is_not_a_fixed_size_row_but_is_an_accepted_class() {
    assert_eq!(sizing::db_vcpus("db.serverless"), None);
    let resolved = common::resolved(
        "regions: {us-east-1: {}}",
        "us-east-1",
        &["DbInstanceType=db.serverless"],
    );
    assert!(resolved.mode.serverless);
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
        common::value(&resolved, Name::ShardCount),
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
        common::value(&resolved, Name::ShardCount),
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
fn max_concurrent_batches_is_shards_times_parallelization_and_zero_on_demand() {
    let provisioned = common::resolved(
        "regions: {us-east-1: {ShardCount: 6, ParallelizationFactor: 3}}",
        "us-east-1",
        &[],
    );
    assert_eq!(provisioned.derived.max_concurrent_batches, 18);
    let on_demand = common::resolved(
        "regions: {us-east-1: {StreamMode: ON_DEMAND}}",
        "us-east-1",
        &[],
    );
    assert_eq!(on_demand.derived.max_concurrent_batches, 0);
    assert!(!on_demand.get(Name::ShardCount).in_scope);
}

/// Reserved concurrency against the account quota, row by row: (quota, reservation, accepted).
#[test]
fn reserved_concurrency_is_at_most_the_quota_minus_100() {
    for (quota, reserved, accepted) in [
        (1000, -1, true),
        (1000, 0, true),
        (1000, 900, true),
        (1000, 901, false),
        (10, -1, true),
        (10, 1, false),
        (100, 0, true),
        (100, 1, false),
        (5000, 4900, true),
    ] {
        let sets = [
            format!("AccountConcurrencyQuota={quota}"),
            format!("ReservedConcurrency={reserved}"),
        ];
        let sets: Vec<&str> = sets.iter().map(String::as_str).collect();
        let result = stream2neptune_plan::resolve(
            &common::config("regions: {us-east-1: {}}"),
            "us-east-1",
            &common::sets(&sets),
        );
        assert_eq!(
            result.is_ok(),
            accepted,
            "quota {quota}, reserved {reserved}: {result:?}"
        );
        if !accepted {
            let message = result.unwrap_err().to_string();
            assert!(
                message.contains(&format!(
                    "ReservedConcurrency = {reserved} (from --set) is above {}",
                    (quota - 100).max(0)
                )) && message.contains(&format!("AccountConcurrencyQuota = {quota} (from --set)")),
                "{message}"
            );
        }
    }
    assert_eq!(sizing::max_reserved_concurrency(1000), 900);
    assert_eq!(sizing::max_reserved_concurrency(10), 0);
}

#[test]
fn the_quota_is_not_a_stack_parameter_and_no_reservation_is_the_default() {
    let resolved = common::resolved(
        "regions: {us-east-1: {}}",
        "us-east-1",
        &["AccountConcurrencyQuota=2000"],
    );
    assert!(resolved.warnings.is_empty(), "{:?}", resolved.warnings);
    assert!(!resolved.get(Name::AccountConcurrencyQuota).in_scope);
    assert_eq!(
        common::value(&resolved, Name::ReservedConcurrency),
        ("-1".to_owned(), "built-in default".to_owned())
    );
}

#[test]
fn a_reservation_below_the_mapping_concurrency_is_a_warning() {
    let resolved = common::resolved(
        "regions: {us-east-1: {ShardCount: 8, ParallelizationFactor: 2}}",
        "us-east-1",
        &["ReservedConcurrency=10"],
    );
    assert!(
        resolved
            .warnings
            .iter()
            .any(|w| w.contains("ReservedConcurrency = 10 (from --set) is below the 16 batches")),
        "{:?}",
        resolved.warnings
    );
}

/// The floor is 1.3.4.0; a version past its end of life (the dated facts table) is refused with the date, the
/// source and what to choose instead, even when the floor would also refuse it.
#[test]
fn engine_versions_below_the_floor_or_past_end_of_life_are_refused() {
    for (version, refusal) in [
        ("1.3.4.0", None),
        ("1.4.6.3", None),
        ("1.4.7.1", None),
        ("1.10.0.0", None),
        (
            "1.2.1.0",
            Some(
                "NeptuneEngineVersion = `1.2.1.0` (from --set) is past its end of life: Neptune 1.2.x reached it on \
                 2026-03-06 (Engine releases for Amazon Neptune, Neptune User Guide \
                 (https://docs.aws.amazon.com/neptune/latest/userguide/engine-releases.html)); choose 1.4.7.1, the \
                 newest release, or another version the source lists as supported",
            ),
        ),
        ("1.2.3.0", Some("Neptune 1.2.x reached it on 2026-03-06")),
        (
            "1.3.3.0",
            Some("is too old: the stack needs 1.3.4.0 or later"),
        ),
        (
            "1.1.1.0",
            Some("is too old: the stack needs 1.3.4.0 or later"),
        ),
    ] {
        let set = format!("NeptuneEngineVersion={version}");
        let result = stream2neptune_plan::resolve(
            &common::config("regions: {us-east-1: {}}"),
            "us-east-1",
            &common::sets(&[&set]),
        );
        match refusal {
            None => assert!(result.is_ok(), "{version}: {result:?}"),
            Some(message) => {
                let error = result.unwrap_err().to_string();
                assert!(error.contains(message), "{version}: {error}");
            }
        }
    }
}

/// Per-region defaults, row by row, from the preference orders and the region data.
#[test]
fn defaults_are_the_first_preferred_class_each_region_offers() {
    for (region, db, driver, notebook) in [
        ("us-east-1", "db.r6g.large", "m6i.large", "ml.t3.medium"),
        ("eu-west-1", "db.r6g.large", "m6i.large", "ml.t3.medium"),
        (
            "ap-southeast-5",
            "db.r6g.large",
            "m6i.large",
            "ml.t3.medium",
        ),
        ("il-central-1", "db.r5.large", "m6i.large", "ml.t3.medium"),
        ("af-south-1", "db.r6i.large", "m6i.large", "ml.t3.medium"),
        ("me-south-1", "db.r6i.large", "m6i.large", "ml.t3.medium"),
    ] {
        let resolved = common::resolved("regions: {}", region, &[]);
        for (name, expected) in [
            (Name::DbInstanceType, db),
            (Name::EC2ClientInstanceType, driver),
            (Name::NotebookInstanceType, notebook),
        ] {
            assert_eq!(
                common::value(&resolved, name),
                (expected.to_owned(), "built-in default".to_owned()),
                "{region} {name}"
            );
        }
    }
}

#[test]
fn a_class_the_region_lacks_is_an_error_naming_the_region_and_what_it_offers() {
    let message = common::resolve_error(
        "regions: {}",
        "il-central-1",
        &["DbInstanceType=db.r6g.large"],
    );
    assert!(
        message.starts_with(
            "region il-central-1: DbInstanceType = `db.r6g.large` (from --set) is not offered in il-central-1; il-central-1 offers: db.r5.large, db.r5.xlarge, "
        ),
        "{message}"
    );
    assert!(
        message.ends_with("db.t3.medium, db.serverless"),
        "{message}"
    );
    let message = common::resolve_error(
        "regions: {}",
        "ap-southeast-5",
        &["EC2ClientInstanceType=m5.large"],
    );
    assert!(
        message.contains("EC2ClientInstanceType = `m5.large` (from --set) is not offered in ap-southeast-5; ap-southeast-5 offers: c6i.large, c6i.xlarge"),
        "{message}"
    );
    let message =
        common::resolve_error("regions: {}", "us-east-1", &["DbInstanceType=db.r4.large"]);
    assert!(
        message.contains(
            "`db.r4.large` (from --set) is not a known instance type; us-east-1 offers: db.r5.large"
        ),
        "{message}"
    );
}

#[test]
fn rendered_allowed_values_are_what_the_region_offers() {
    let resolved = common::resolved("regions: {}", "il-central-1", &[]);
    let env = stream2neptune::render::environment(&common::repo_root());
    let rendered = stream2neptune::render::render_region(&env, &resolved).expect("renders");
    let stack: serde_norway::Value = serde_norway::from_str(&rendered.stack).expect("YAML");
    let allowed: Vec<&str> = stack["Parameters"]["DbInstanceType"]["AllowedValues"]
        .as_sequence()
        .expect("a list")
        .iter()
        .map(|v| v.as_str().expect("string"))
        .collect();
    assert_eq!(allowed.len(), 10);
    assert!(allowed.contains(&"db.r5.large") && !allowed.contains(&"db.r6g.large"));
}
