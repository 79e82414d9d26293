//! Layering and origin tracking: built-in default < config defaults < region < --set, and YAML normalization.

mod common;

use common::{resolved, value};
use stream2neptune_plan::Name;
use stream2neptune_plan::config::StackConfig;

const LAYERED: &str = r#"
defaults:
  BatchReadSize: 800
  BatchWriteSize: 80
  DriverPeriod: 50
regions:
  us-east-1:
    BatchWriteSize: 40
    DriverPeriod: 25
  eu-west-1: {}
"#;

fn pair(value: &str, origin: &str) -> (String, String) {
    (value.to_owned(), origin.to_owned())
}

#[test]
fn each_layer_wins_over_the_ones_below_and_records_its_origin() {
    let r = resolved(LAYERED, "us-east-1", &["DriverPeriod=10"]);
    assert_eq!(
        value(&r, Name::FunctionMemorySize),
        pair("512", "built-in default")
    );
    assert_eq!(
        value(&r, Name::BatchReadSize),
        pair("800", "config defaults")
    );
    assert_eq!(value(&r, Name::BatchWriteSize), pair("40", "region"));
    assert_eq!(value(&r, Name::DriverPeriod), pair("10", "--set"));
    assert_eq!(value(&r, Name::ShardCount), pair("4", "derived"));
}

#[test]
fn a_region_without_overrides_gets_the_defaults() {
    let r = resolved(LAYERED, "eu-west-1", &[]);
    assert_eq!(
        value(&r, Name::BatchWriteSize),
        pair("80", "config defaults")
    );
    assert_eq!(value(&r, Name::DriverPeriod), pair("50", "config defaults"));
}

#[test]
fn a_known_region_missing_from_the_config_gets_the_defaults() {
    let r = resolved(LAYERED, "sa-east-1", &[]);
    assert_eq!(
        value(&r, Name::BatchReadSize),
        pair("800", "config defaults")
    );
    assert_eq!(r.partition, "aws");
}

#[test]
fn explicit_shard_count_is_not_derived_and_set_beats_region() {
    let text = "defaults: {ShardCount: 2}\nregions: {us-east-1: {ShardCount: 3}}";
    assert_eq!(
        value(&resolved(text, "us-east-1", &[]), Name::ShardCount),
        pair("3", "region")
    );
    assert_eq!(
        value(
            &resolved(text, "us-east-1", &["ShardCount=1"]),
            Name::ShardCount
        ),
        pair("1", "--set")
    );
    assert_eq!(
        value(&resolved(text, "eu-west-1", &[]), Name::ShardCount),
        pair("2", "config defaults")
    );
}

#[test]
fn the_last_set_of_a_key_wins() {
    let r = resolved(
        "regions: {us-east-1: {}}",
        "us-east-1",
        &["DriverPeriod=7", "DriverPeriod=9"],
    );
    assert_eq!(value(&r, Name::DriverPeriod), pair("9", "--set"));
}

#[test]
fn yaml_strings_numbers_bools_null_and_lists_normalize() {
    let text = r#"
regions:
  us-east-1:
    ConditionalCreate: false
    IamAuth: "false"
    BatchReadSize: "900"
    FunctionTimeout: 60
    EC2KeyPairName:
    UseExistingCluster: true
    ExistingClusterEndpoint: graph.cluster-abc.us-east-1.neptune.amazonaws.com
    ExistingClusterReaderEndpoint: graph.cluster-ro-abc.us-east-1.neptune.amazonaws.com
    ExistingClusterResourceId: cluster-ABC123
    ExistingVpcId: vpc-0123456789abcdef0
    ExistingSubnetIds: [subnet-0123456789abcdef0, subnet-0fedcba9876543210]
    ExistingSecurityGroupId: sg-0123456789abcdef0
"#;
    let r = resolved(text, "us-east-1", &[]);
    assert_eq!(value(&r, Name::ConditionalCreate), pair("false", "region"));
    assert_eq!(value(&r, Name::IamAuth), pair("false", "region"));
    assert_eq!(value(&r, Name::BatchReadSize), pair("900", "region"));
    assert_eq!(value(&r, Name::FunctionTimeout), pair("60", "region"));
    assert_eq!(value(&r, Name::EC2KeyPairName), pair("", "region"));
    assert!(!r.mode.key_pair);
    assert_eq!(
        value(&r, Name::ExistingSubnetIds),
        pair(
            "subnet-0123456789abcdef0,subnet-0fedcba9876543210",
            "region"
        )
    );
}

#[test]
fn serverless_capacity_keeps_half_steps_and_renders_whole_numbers_plainly() {
    let r = resolved(
        "regions: {us-east-1: {DbInstanceType: db.serverless, DbServerlessMinCapacity: 2.5, DbServerlessMaxCapacity: 16.0}}",
        "us-east-1",
        &[],
    );
    assert_eq!(
        value(&r, Name::DbServerlessMinCapacity),
        pair("2.5", "region")
    );
    assert_eq!(
        value(&r, Name::DbServerlessMaxCapacity),
        pair("16", "region")
    );
}

#[test]
fn scope_follows_the_structural_choices() {
    let new = resolved("regions: {us-east-1: {}}", "us-east-1", &[]);
    let declared = |r: &stream2neptune_plan::Plan| -> Vec<Name> {
        r.in_scope().map(|p| p.param.name).collect()
    };
    assert!(declared(&new).contains(&Name::DbInstanceType));
    assert!(!declared(&new).contains(&Name::ExistingClusterEndpoint));
    assert!(!declared(&new).contains(&Name::DbServerlessMaxCapacity));
    assert!(!declared(&new).contains(&Name::EC2KeyPairName));

    let existing = resolved("regions: {us-east-1: {}}", "us-east-1", common::EXISTING);
    assert!(existing.mode.existing_cluster);
    assert!(declared(&existing).contains(&Name::ExistingClusterEndpoint));
    assert!(!declared(&existing).contains(&Name::DbInstanceType));
    assert!(!declared(&existing).contains(&Name::NeptuneEngineVersion));

    let keyed = resolved(
        "regions: {us-east-1: {}}",
        "us-east-1",
        &["EC2KeyPairName=ops"],
    );
    assert!(keyed.mode.key_pair);
    assert!(declared(&keyed).contains(&Name::EC2KeyPairName));
}

#[test]
fn partitions_come_from_the_region_table() {
    assert_eq!(
        resolved("regions: {}", "cn-north-1", &[]).partition,
        "aws-cn"
    );
    assert_eq!(
        resolved("regions: {}", "us-gov-west-1", &[]).partition,
        "aws-us-gov"
    );
}

#[test]
fn ignored_settings_and_shards_above_the_guidance_warn() {
    let r = resolved(
        "regions: {us-east-1: {StreamMode: ON_DEMAND, ShardCount: 9}}",
        "us-east-1",
        &["DbServerlessMaxCapacity=8"],
    );
    assert_eq!(
        r.warnings,
        [
            "region us-east-1: DbServerlessMaxCapacity = 8 (from --set) is ignored: it is used only when DbInstanceType=db.serverless",
            "region us-east-1: ShardCount = 9 (from region) is ignored: it is used only when StreamMode=PROVISIONED",
        ]
    );
    let r = resolved("regions: {us-east-1: {ShardCount: 5}}", "us-east-1", &[]);
    assert_eq!(
        r.warnings,
        [
            "region us-east-1: ShardCount = 5 (from region) is above 4, 2 x the 2 vCPUs of db.r6g.large; the guidance is no more than 2 x the number of vCPUs on the Neptune writer, because every shard adds a concurrent writer"
        ]
    );
    assert!(
        resolved("regions: {us-east-1: {ShardCount: 4}}", "us-east-1", &[])
            .warnings
            .is_empty()
    );
}

#[test]
fn the_defaults_discard_nothing_and_the_record_age_follows_the_retention() {
    // GIVEN no mapping settings: retry until written, leave just below the stream's retention
    let r = resolved("regions: {}", "us-east-1", &[]);
    assert_eq!(
        value(&r, Name::MaximumRetryAttempts),
        pair("-1", "built-in default")
    );
    assert_eq!(
        value(&r, Name::MaximumRecordAgeInSeconds),
        pair("82800", "derived")
    );
    assert!(r.warnings.is_empty(), "{:?}", r.warnings);
    let r = resolved(
        "regions: {eu-west-1: {StreamRetentionHours: 72}}",
        "eu-west-1",
        &[],
    );
    assert_eq!(
        value(&r, Name::MaximumRecordAgeInSeconds),
        pair("255600", "derived")
    );
    let r = resolved("regions: {}", "eu-west-1", &["StreamRetentionHours=720"]);
    assert_eq!(
        value(&r, Name::MaximumRecordAgeInSeconds),
        pair("604800", "derived")
    );
}

#[test]
fn settings_that_discard_records_are_accepted_with_a_warning_saying_what_and_where() {
    let r = resolved(
        "defaults: {MaximumRetryAttempts: 10}",
        "us-east-1",
        &["MaximumRecordAgeInSeconds=-1"],
    );
    assert_eq!(
        r.warnings,
        [
            "region us-east-1: MaximumRetryAttempts = 10 (from config defaults) discards data from the stream: once a batch's first unwritten record has failed 11 invocations (an outage, a failover, a broken policy or endpoint), Lambda drops that record and every record after it in the batch (up to BatchReadSize = 1000) from the stream, and the whole batch's payload goes to the on-failure bucket (OnFailureBucket), where `redrive` reads it back; -1, the default, keeps them in the stream until MaximumRecordAgeInSeconds",
            "region us-east-1: MaximumRecordAgeInSeconds = -1 (no limit) (from --set) is not below the stream's retention of 86400 s (StreamRetentionHours = 24): a record that cannot be written is dropped by the stream before it is sent to the on-failure destination; the default, 82800, is just below it",
        ]
    );
    // With the SQS destination the warning says that only the range is kept.
    let r = resolved(
        "defaults: {MaximumRetryAttempts: 0, OnFailureDestination: sqs}",
        "us-east-1",
        &[],
    );
    assert_eq!(
        r.warnings,
        [
            "region us-east-1: MaximumRetryAttempts = 0 (from config defaults) discards data from the stream: once a batch's first unwritten record has failed 1 invocations (an outage, a failover, a broken policy or endpoint), Lambda drops that record and every record after it in the batch (up to BatchReadSize = 1000) from the stream, and only their shard and sequence range go to the on-failure queue (OnFailureQueue), so they are lost once the stream's retention passes; -1, the default, keeps them in the stream until MaximumRecordAgeInSeconds"
        ]
    );
    let r = resolved(
        "regions: {}",
        "us-east-1",
        &["MaximumRecordAgeInSeconds=86400"],
    );
    assert_eq!(r.warnings.len(), 1, "{:?}", r.warnings);
    assert!(r.warnings[0].contains("= 86400 (from --set) is not below"));
    let r = resolved(
        "regions: {}",
        "us-east-1",
        &["MaximumRecordAgeInSeconds=3600"],
    );
    assert!(r.warnings.is_empty(), "{:?}", r.warnings);
}

#[test]
fn the_shipped_stack_yaml_is_valid_and_its_regions_differ() {
    let config =
        StackConfig::load(&common::repo_root().join("stack.yaml")).expect("stack.yaml loads");
    assert!(config.regions.len() >= 3);
    for region in ["us-east-1", "eu-west-1"] {
        assert!(
            config.regions.contains_key(region),
            "{region} in stack.yaml"
        );
    }
    let sets = common::sets(&[]);
    let resolved: Vec<_> = config
        .regions
        .keys()
        .map(|region| {
            stream2neptune_plan::resolve(&config, region, &sets).expect("region resolves")
        })
        .collect();
    for (i, a) in resolved.iter().enumerate() {
        for b in &resolved[i + 1..] {
            assert_ne!(
                a.params, b.params,
                "{} and {} resolve alike",
                a.region, b.region
            );
        }
    }
}

#[test]
fn the_bucket_retention_is_ignored_with_a_warning_for_the_queue_destination() {
    let r = resolved(
        "regions: {}",
        "us-east-1",
        &["OnFailureDestination=sqs", "OnFailureRetentionDays=30"],
    );
    assert_eq!(
        r.warnings,
        [
            "region us-east-1: OnFailureRetentionDays = 30 (from --set) is ignored: it is used only when OnFailureDestination=s3"
        ]
    );
    assert!(!r.get(Name::OnFailureRetentionDays).in_scope);
    let r = resolved("regions: {}", "us-east-1", &["OnFailureRetentionDays=30"]);
    assert!(r.warnings.is_empty(), "{:?}", r.warnings);
    assert_eq!(r.on_failure_retention_days(), 30);
}

#[test]
fn mappings_are_a_yaml_list_passed_on_as_json_and_a_region_may_override_them() {
    let text = r#"
defaults:
  RecordFormat: mapping
  Mappings:
    - name: users
      pattern: "(:User{!id: userId, name})"
      when: {type: user}
      delete: {action: deleted}
regions:
  us-east-1:
    Mappings: '[{"name":"all","pattern":"(:Thing{!id})"}]'
  eu-west-1: {}
"#;
    assert_eq!(
        value(&resolved(text, "eu-west-1", &[]), Name::Mappings),
        pair(
            r#"[{"name":"users","pattern":"(:User{!id: userId, name})","when":{"type":"user"},"delete":{"action":"deleted"}}]"#,
            "config defaults"
        )
    );
    assert_eq!(
        value(&resolved(text, "us-east-1", &[]), Name::Mappings),
        pair(r#"[{"name":"all","pattern":"(:Thing{!id})"}]"#, "region")
    );
    // The default stack reads records by their shape and has no mappings.
    let plain = resolved("regions: {eu-west-1: {}}", "eu-west-1", &[]);
    assert_eq!(
        value(&plain, Name::RecordFormat),
        pair("auto", "built-in default")
    );
    assert_eq!(value(&plain, Name::Mappings), pair("", "built-in default"));
}
