//! The resolved plan's typed accessors read the values resolution settled on, and an artifact key set late is
//! checked like a `--set`.

use std::path::Path;
use std::time::Duration;

use stream2neptune_plan::{
    Architecture, Name, OnFailureDestination, Origin, Plan, QueryLanguage, StackConfig,
    StartingPosition, StreamMode, parse_sets, resolve,
};

fn plan(text: &str, region: &str, sets: &[&str]) -> Plan {
    let config = StackConfig::parse(Path::new("stack.yaml"), text).expect("a valid config");
    let sets =
        parse_sets(&sets.iter().map(|s| s.to_string()).collect::<Vec<_>>()).expect("valid --set");
    resolve(&config, region, &sets).expect("the region resolves")
}

#[test]
fn the_built_in_defaults_read_typed() {
    let plan = plan("regions: {us-east-1: {}}", "us-east-1", &[]);
    assert_eq!(plan.stream_mode(), StreamMode::Provisioned);
    assert_eq!(plan.shard_count(), plan.derived.recommended_shards);
    assert_eq!(plan.stream_retention_hours(), 24);
    assert_eq!(plan.query_language(), QueryLanguage::Gremlin);
    assert!(plan.conditional_create());
    assert!(plan.iam_auth());
    assert_eq!(plan.batch_read_size(), 1000);
    assert_eq!(plan.batch_write_size(), 100);
    assert_eq!(plan.write_concurrency(), 1);
    assert_eq!(plan.starting_position(), StartingPosition::TrimHorizon);
    assert_eq!(plan.parallelization_factor(), 1);
    assert!(plan.bisect_batch_on_function_error());
    assert_eq!(plan.maximum_retry_attempts(), None);
    assert_eq!(
        plan.maximum_record_age(),
        Some(Duration::from_secs(24 * 3600 - 3600))
    );
    assert_eq!(plan.on_failure_destination(), OnFailureDestination::S3);
    assert_eq!(plan.function_timeout(), Duration::from_secs(120));
    assert_eq!(plan.function_architecture(), Architecture::X86_64);
    assert_eq!(plan.metrics_namespace(), "stream2neptune");
    assert_eq!(plan.artifact_bucket(), "");
    assert_eq!(plan.edge_file_s3_location(), "");
    assert_eq!(plan.vertex_file_s3_location(), "");
    assert_eq!(plan.driver_period(), Duration::from_millis(100));
    assert_eq!(plan.driver_batch_size(), 100);
}

#[test]
fn set_values_read_typed() {
    let plan = plan(
        "regions: {eu-west-1: {ShardCount: 6, QueryLanguage: sparql}}",
        "eu-west-1",
        &[
            "StreamMode=ON_DEMAND",
            "StartingPosition=LATEST",
            "MaximumRetryAttempts=3",
            "MaximumRecordAgeInSeconds=-1",
            "OnFailureDestination=sqs",
            "FunctionArchitecture=arm64",
            "FunctionTimeout=300",
            "ArtifactBucket=my-bucket",
        ],
    );
    assert_eq!(plan.stream_mode(), StreamMode::OnDemand);
    assert_eq!(plan.shard_count(), 6);
    assert_eq!(plan.query_language(), QueryLanguage::Sparql);
    assert_eq!(plan.starting_position(), StartingPosition::Latest);
    assert_eq!(plan.maximum_retry_attempts(), Some(3));
    assert_eq!(plan.maximum_record_age(), None);
    assert_eq!(plan.on_failure_destination(), OnFailureDestination::Sqs);
    assert_eq!(plan.function_architecture(), Architecture::Arm64);
    assert_eq!(plan.function_timeout(), Duration::from_secs(300));
    assert_eq!(plan.artifact_bucket(), "my-bucket");
}

#[test]
fn an_artifact_key_set_late_is_checked_like_a_set() {
    let mut plan = plan("regions: {us-east-1: {}}", "us-east-1", &[]);
    let before = plan.clone();
    plan.set_artifact_key(
        Name::FunctionCodeKey,
        "artifacts/stream2neptune-writer-abc.zip",
    )
    .expect("a valid key");
    let key = plan.get(Name::FunctionCodeKey);
    assert_eq!(
        key.value.to_string(),
        "artifacts/stream2neptune-writer-abc.zip"
    );
    assert_eq!(key.origin, Origin::Set);
    // Nothing else changes.
    for (after, before) in plan.params.iter().zip(&before.params) {
        if after.param.name != Name::FunctionCodeKey {
            assert_eq!(after, before);
        }
    }
    assert_eq!(plan.warnings, before.warnings);

    let err = plan
        .set_artifact_key(Name::DriverCodeKey, "/leading-slash.zip")
        .unwrap_err();
    assert!(
        err.to_string()
            .starts_with("region us-east-1: DriverCodeKey = `/leading-slash.zip` (from --set)"),
        "{err}"
    );
}
