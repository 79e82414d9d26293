//! One test per kind of bad input, asserting the whole message: key, value, origin, region and what is allowed.

mod common;

use std::path::Path;

use common::resolve_error;
use stream2neptune::config::{StackConfig, parse_sets};

fn config_error(text: &str) -> String {
    StackConfig::parse(Path::new("stack.yaml"), text)
        .expect_err("config must be rejected")
        .to_string()
}

#[test]
fn unknown_key_in_a_region_suggests_the_nearest_name() {
    assert_eq!(
        config_error("regions: {eu-west-1: {ShardCont: 4}}"),
        "stack.yaml: unknown key `ShardCont` in regions.eu-west-1 (did you mean `ShardCount`?); the keys are the parameter names in the README's config reference"
    );
}

#[test]
fn unknown_key_in_defaults_matches_case_insensitively() {
    assert_eq!(
        config_error("defaults: {batchreadsize: 10}"),
        "stack.yaml: unknown key `batchreadsize` in defaults (did you mean `BatchReadSize`?); the keys are the parameter names in the README's config reference"
    );
}

#[test]
fn unknown_key_far_from_any_name_has_no_suggestion() {
    assert_eq!(
        config_error("defaults: {Colour: blue}"),
        "stack.yaml: unknown key `Colour` in defaults; the keys are the parameter names in the README's config reference"
    );
}

#[test]
fn unknown_set_key_and_bad_set_syntax() {
    let err = parse_sets(&["BatchWritSize=10".to_owned(), "ShardCount".to_owned()]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "command line: 2 problems:\n  - unknown key `BatchWritSize` in --set (did you mean `BatchWriteSize`?); the keys are the parameter names in the README's config reference\n  - --set `ShardCount` is not Key=Value (for example --set ShardCount=8)"
    );
}

#[test]
fn unknown_top_level_key_is_rejected() {
    let err = config_error("defaults: {}\nregion: {us-east-1: {}}");
    assert!(
        err.starts_with("config file stack.yaml is not valid: unknown field `region`, expected `defaults` or `regions`"),
        "{err}"
    );
    assert!(
        err.ends_with("; it must hold `defaults:` and `regions:` mappings"),
        "{err}"
    );
}

#[test]
fn unknown_region_in_the_config_and_on_the_command_line() {
    let err = config_error("regions: {us-east-7: {}}");
    assert!(
        err.starts_with("stack.yaml: unknown region `us-east-7` in regions (did you mean `us-east-1`?); known regions: af-south-1, "),
        "{err}"
    );
    let err = resolve_error("regions: {}", "eu-westt-1", &[]);
    assert!(
        err.starts_with("region eu-westt-1: unknown region `eu-westt-1` in --region (did you mean `eu-west-1`?); known regions: "),
        "{err}"
    );
    assert!(err.contains("us-gov-west-1"), "{err}");
}

#[test]
fn mapping_value_is_rejected() {
    assert_eq!(
        config_error("defaults: {ShardCount: {min: 1}}"),
        "stack.yaml: ShardCount in defaults must be a string, number or boolean, not a mapping"
    );
}

#[test]
fn unknown_instance_type_lists_what_the_region_offers() {
    let err = resolve_error(
        "regions: {eu-west-1: {DbInstanceType: db.r9z.large}}",
        "eu-west-1",
        &[],
    );
    assert!(
        err.starts_with("region eu-west-1: DbInstanceType = `db.r9z.large` (from region) is not a known instance type; eu-west-1 offers: db.r5.large, db.r5.xlarge, "),
        "{err}"
    );
    assert!(err.contains("db.t3.medium, db.t4g.medium, "), "{err}");
    assert!(err.ends_with(", db.serverless"), "{err}");
    let err = resolve_error(
        "regions: {eu-west-1: {}}",
        "eu-west-1",
        &["NotebookInstanceType=ml.p3.2xlarge"],
    );
    assert!(
        err.starts_with("region eu-west-1: NotebookInstanceType = `ml.p3.2xlarge` (from --set) is not a known instance type; eu-west-1 offers: ml.m5.xlarge, ml.m5.2xlarge, "),
        "{err}"
    );
    assert!(
        err.ends_with("ml.t3.medium, ml.t3.large, ml.t3.xlarge, ml.t3.2xlarge"),
        "{err}"
    );
}

#[test]
fn shard_count_out_of_range_names_the_kinesis_maximum() {
    assert_eq!(
        resolve_error("regions: {us-east-1: {ShardCount: 501}}", "us-east-1", &[]),
        "region us-east-1: ShardCount = `501` (from region) is out of range: allowed is a whole number from 1 to 500"
    );
    assert_eq!(
        resolve_error("defaults: {ShardCount: 0}", "us-east-1", &[]),
        "region us-east-1: ShardCount = `0` (from config defaults) is out of range: allowed is a whole number from 1 to 500"
    );
}

#[test]
fn non_numbers_and_fractions_are_out_of_range() {
    assert_eq!(
        resolve_error("regions: {}", "us-east-1", &["FunctionMemorySize=lots"]),
        "region us-east-1: FunctionMemorySize = `lots` (from --set) is out of range: allowed is a whole number from 128 to 10240"
    );
    assert_eq!(
        resolve_error("regions: {}", "us-east-1", &["DriverPeriod=1.5"]),
        "region us-east-1: DriverPeriod = `1.5` (from --set) is out of range: allowed is a whole number from 1 to 1000"
    );
}

#[test]
fn record_age_accepts_minus_one_or_sixty_and_up() {
    assert_eq!(
        resolve_error(
            "regions: {}",
            "us-east-1",
            &["MaximumRecordAgeInSeconds=30"]
        ),
        "region us-east-1: MaximumRecordAgeInSeconds = `30` (from --set) is out of range: allowed is -1 (no limit) or a whole number from 60 to 604800"
    );
    common::resolved(
        "regions: {}",
        "us-east-1",
        &["MaximumRecordAgeInSeconds=-1"],
    );
}

#[test]
fn serverless_capacity_must_be_a_half_step() {
    assert_eq!(
        resolve_error(
            "regions: {}",
            "us-east-1",
            &[
                "DbInstanceType=db.serverless",
                "DbServerlessMaxCapacity=10.25"
            ]
        ),
        "region us-east-1: DbServerlessMaxCapacity = `10.25` (from --set) is out of range: allowed is a number from 2.5 to 128 in steps of 0.5"
    );
}

#[test]
fn serverless_max_capacity_has_neptunes_floor() {
    assert_eq!(
        resolve_error(
            "regions: {}",
            "us-east-1",
            &["DbInstanceType=db.serverless", "DbServerlessMaxCapacity=2"]
        ),
        "region us-east-1: DbServerlessMaxCapacity = `2` (from --set) is out of range: allowed is a number from 2.5 to 128 in steps of 0.5"
    );
}

#[test]
fn batch_write_size_above_batch_read_size() {
    assert_eq!(
        resolve_error(
            "defaults: {BatchReadSize: 200}\nregions: {eu-west-1: {BatchWriteSize: 300}}",
            "eu-west-1",
            &[]
        ),
        "region eu-west-1: BatchWriteSize = 300 (from region) is above BatchReadSize = 200 (from config defaults): a write batch is cut from one read batch, so BatchWriteSize must be at most BatchReadSize"
    );
}

#[test]
fn serverless_min_above_max() {
    assert_eq!(
        resolve_error(
            "regions: {us-east-1: {DbInstanceType: db.serverless, DbServerlessMinCapacity: 8}}",
            "us-east-1",
            &["DbServerlessMaxCapacity=4"]
        ),
        "region us-east-1: DbServerlessMinCapacity = 8 (from region) is above DbServerlessMaxCapacity = 4 (from --set): the minimum must be at most the maximum"
    );
}

#[test]
fn edge_file_must_be_an_s3_uri_ending_in_follows_csv_gz() {
    assert_eq!(
        resolve_error(
            "regions: {}",
            "us-east-1",
            &["EdgeFileS3Location=s3://my-bucket/data/edges.csv"]
        ),
        "region us-east-1: EdgeFileS3Location = `s3://my-bucket/data/edges.csv` (from --set) is not a valid S3 URI: expected empty (= s3://<ArtifactBucket>/data/follows.csv.gz) or s3://bucket/key ending in follows.csv.gz"
    );
    assert_eq!(
        resolve_error(
            "regions: {}",
            "us-east-1",
            &["VertexFileS3Location=https://my-bucket/vertices/"]
        ),
        "region us-east-1: VertexFileS3Location = `https://my-bucket/vertices/` (from --set) is not a valid S3 URI: expected empty (= s3://<ArtifactBucket>/data/vertices/) or s3://bucket/prefix"
    );
    common::resolved(
        "regions: {}",
        "us-east-1",
        &["EdgeFileS3Location=s3://my-bucket/data/follows.csv.gz"],
    );
    common::resolved(
        "regions: {}",
        "us-east-1",
        &["VertexFileS3Location=s3://my-bucket/data/vertices/"],
    );
}

#[test]
fn missing_existing_cluster_settings_are_each_named() {
    let err = resolve_error(
        "regions: {}",
        "eu-west-1",
        &[
            "UseExistingCluster=true",
            "ExistingClusterEndpoint=db.example.com",
        ],
    );
    assert_eq!(
        err,
        "region eu-west-1: 5 problems:\n  \
         - ExistingClusterReaderEndpoint is required when UseExistingCluster is true: set it to a host name such as my-cluster.cluster-ro-abc123.us-east-1.neptune.amazonaws.com\n  \
         - ExistingClusterResourceId is required when UseExistingCluster is true: set it to a cluster resource id such as cluster-ABCDEFGHIJKLMNOPQRSTUVWXYZ\n  \
         - ExistingVpcId is required when UseExistingCluster is true: set it to a VPC id such as vpc-0123456789abcdef0\n  \
         - ExistingSubnetIds is required when UseExistingCluster is true: set it to a comma-separated list of at least 2 subnet ids (subnet-0123abcd...)\n  \
         - ExistingSecurityGroupId is required when UseExistingCluster is true: set it to a security group id such as sg-0123456789abcdef0"
    );
}

#[test]
fn malformed_existing_cluster_settings() {
    let mut args = common::EXISTING.to_vec();
    args.push("ExistingSubnetIds=subnet-0123456789abcdef0");
    args.push("ExistingClusterResourceId=cluster-abc");
    assert_eq!(
        resolve_error("regions: {}", "us-east-1", &args),
        "region us-east-1: 2 problems:\n  \
         - ExistingClusterResourceId = `cluster-abc` (from --set) is malformed: expected a cluster resource id such as cluster-ABCDEFGHIJKLMNOPQRSTUVWXYZ\n  \
         - ExistingSubnetIds = `subnet-0123456789abcdef0` (from --set) is malformed: expected a comma-separated list of at least 2 subnet ids (subnet-0123abcd...)"
    );
}

#[test]
fn bad_bool() {
    assert_eq!(
        resolve_error(
            "regions: {us-east-1: {ConditionalCreate: yes please}}",
            "us-east-1",
            &[]
        ),
        "region us-east-1: ConditionalCreate = `yes please` (from region) is not a boolean: allowed is true or false"
    );
}

#[test]
fn bad_enum() {
    assert_eq!(
        resolve_error("regions: {}", "us-east-1", &["StreamMode=on-demand"]),
        "region us-east-1: StreamMode = `on-demand` (from --set) is not allowed: allowed is one of PROVISIONED, ON_DEMAND"
    );
    assert_eq!(
        resolve_error("regions: {}", "us-east-1", &["LogRetentionDays=31"]),
        "region us-east-1: LogRetentionDays = `31` (from --set) is not allowed: allowed is one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653"
    );
}

#[test]
fn malformed_text_values() {
    assert_eq!(
        resolve_error("regions: {}", "us-east-1", &["ArtifactBucket=My_Bucket"]),
        "region us-east-1: ArtifactBucket = `My_Bucket` (from --set) is malformed: expected empty (= stream2neptune-artifacts-<account>-<region>) or an S3 bucket name: 3 to 63 characters from a-z 0-9 . -"
    );
    assert_eq!(
        resolve_error(
            "regions: {}",
            "us-east-1",
            &["NotebooksKeyPrefix=notebooks"]
        ),
        "region us-east-1: NotebooksKeyPrefix = `notebooks` (from --set) is malformed: expected an S3 key prefix ending in / without a leading /"
    );
}

#[test]
fn every_problem_of_a_region_is_reported_at_once() {
    let err = resolve_error(
        "regions: {us-east-1: {ShardCount: 900, IamAuth: maybe}}",
        "us-east-1",
        &["BatchWriteSize=5000"],
    );
    assert_eq!(
        err,
        "region us-east-1: 3 problems:\n  \
         - ShardCount = `900` (from region) is out of range: allowed is a whole number from 1 to 500\n  \
         - IamAuth = `maybe` (from region) is not a boolean: allowed is true or false\n  \
         - BatchWriteSize = 5000 (from --set) is above BatchReadSize = 1000 (from built-in default): a write batch is cut from one read batch, so BatchWriteSize must be at most BatchReadSize"
    );
}
