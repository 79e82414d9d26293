//! The parameter catalog against the generator contract: names and order, defaults, patterns, scopes; and the
//! parameters the template hands to the writer against the writer's environment table.

use stream2neptune_plan::catalog::{BuiltIn, CATALOG, CfnType, Kind, Scope};
use stream2neptune_plan::parse::parse;
use stream2neptune_plan::{Name, Origin};
use stream2neptune_writer_environment::{self as environment, Source, Variable};

/// The parameter names of the contract's catalog table, in its order.
const CONTRACT_NAMES: &[&str] = &[
    "UseExistingCluster",
    "DbInstanceType",
    "DbServerlessMinCapacity",
    "DbServerlessMaxCapacity",
    "NeptuneEngineVersion",
    "BackupRetentionDays",
    "NeptuneAuditLog",
    "AvailabilityZoneId1",
    "AvailabilityZoneId2",
    "ExistingClusterEndpoint",
    "ExistingClusterReaderEndpoint",
    "ExistingClusterPort",
    "ExistingClusterResourceId",
    "ExistingVpcId",
    "ExistingSubnetIds",
    "ExistingSecurityGroupId",
    "StreamMode",
    "ShardCount",
    "StreamRetentionHours",
    "QueryLanguage",
    "ConditionalCreate",
    "GremlinUpsertStyle",
    "GremlinBatchForm",
    "RecordFormat",
    "Mappings",
    "IamAuth",
    "BatchReadSize",
    "BatchWriteSize",
    "WriteConcurrency",
    "StartingPosition",
    "ParallelizationFactor",
    "ReservedConcurrency",
    "AccountConcurrencyQuota",
    "BisectBatchOnFunctionError",
    "MaximumRetryAttempts",
    "MaximumRecordAgeInSeconds",
    "OnFailureDestination",
    "OnFailureRetentionDays",
    "MaximumBatchingWindowInSeconds",
    "FunctionArchitecture",
    "FunctionMemorySize",
    "FunctionTimeout",
    "LogRetentionDays",
    "MetricsNamespace",
    "ArtifactBucket",
    "FunctionCodeKey",
    "DriverCodeKey",
    "NotebooksKeyPrefix",
    "VertexFileS3Location",
    "EdgeFileS3Location",
    "EC2ClientInstanceType",
    "EC2KeyPairName",
    "DriverPeriod",
    "DriverBatchSize",
    "DriverAggregation",
    "NotebookInstanceType",
    "IteratorAgeAlarmMs",
    "AlarmEmail",
    "AlarmTopicArn",
];

#[test]
fn catalog_has_the_contract_parameters_in_order() {
    let names: Vec<&str> = CATALOG.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, CONTRACT_NAMES);
}

#[test]
fn every_name_finds_its_own_catalog_entry() {
    assert_eq!(Name::ALL.len(), CATALOG.len());
    for (name, param) in Name::ALL.iter().zip(CATALOG) {
        assert_eq!(*name, param.name);
        assert_eq!(name.param(), param);
        assert_eq!(
            stream2neptune_plan::catalog::find(name.as_str()),
            Some(param)
        );
    }
}

#[test]
fn every_pattern_compiles_and_every_builtin_default_is_valid_or_an_empty_required_setting() {
    for param in CATALOG {
        if let Some(pattern) = param.kind.pattern() {
            regex::Regex::new(pattern).unwrap_or_else(|e| panic!("{}: {e}", param.name));
            assert!(
                pattern.starts_with('^') && pattern.ends_with('$'),
                "{} pattern is anchored",
                param.name
            );
        }
        match param.default {
            BuiltIn::Value("") if param.required => {}
            BuiltIn::Value(text) => {
                parse(param, text, Origin::BuiltIn, "us-east-1")
                    .unwrap_or_else(|e| panic!("{}: {e}", param.name));
            }
            // Checked for every region by tests/region_data.rs.
            BuiltIn::Preferred(_) => {}
            BuiltIn::ShardsFromWriter => assert_eq!(param.name, Name::ShardCount),
            BuiltIn::RecordAgeFromRetention => {
                assert_eq!(param.name, Name::MaximumRecordAgeInSeconds)
            }
        }
    }
}

#[test]
fn the_record_age_default_is_just_below_the_retention_row_by_row() {
    use stream2neptune_plan::catalog::record_age_below_retention;
    // (StreamRetentionHours, MaximumRecordAgeInSeconds): one hour below, at most 7 days.
    for (hours, age) in [
        (24, 82_800),
        (72, 255_600),
        (168, 601_200),
        (169, 604_800),
        (8760, 604_800),
    ] {
        assert_eq!(record_age_below_retention(hours), age, "{hours} h");
        let param = Name::MaximumRecordAgeInSeconds.param();
        parse(param, &age.to_string(), Origin::Derived, "us-east-1")
            .expect("a value Lambda accepts");
    }
}

#[test]
fn maximum_retry_attempts_defaults_to_retrying_until_written() {
    let param = Name::MaximumRetryAttempts.param();
    assert_eq!(param.default, BuiltIn::Value("-1"));
}

#[test]
fn required_settings_are_the_existing_cluster_ones() {
    for param in CATALOG {
        if param.required {
            assert_eq!(param.scope, Scope::ExistingCluster, "{}", param.name);
        }
    }
    let port = CATALOG
        .iter()
        .find(|p| p.name == Name::ExistingClusterPort)
        .unwrap();
    assert!(!port.required);
}

#[test]
fn aws_typed_parameters_carry_no_pattern_in_the_template() {
    for param in CATALOG {
        assert_eq!(
            param.cfn_type.takes_pattern(),
            param.cfn_type == CfnType::String
        );
    }
}

#[test]
fn the_on_failure_and_alarm_rows_keep_payloads_by_default_and_check_their_values() {
    use stream2neptune_plan::OnFailureDestination;
    // OnFailureDestination: s3 by default (the payload is kept), one of the enum's spellings
    let destination = Name::OnFailureDestination.param();
    assert_eq!(destination.default, BuiltIn::Value("s3"));
    assert_eq!(destination.scope, Scope::All);
    assert_eq!(
        destination.kind.cfn_allowed_values("us-east-1"),
        Some(vec!["s3".to_owned(), "sqs".to_owned()])
    );
    assert_eq!(
        OnFailureDestination::parse("s3"),
        Some(OnFailureDestination::S3)
    );
    // OnFailureRetentionDays: declared only with the bucket, 1 to 3650 days, 90 by default
    let days = Name::OnFailureRetentionDays.param();
    assert_eq!(days.scope, Scope::OnFailureBucket);
    assert_eq!(days.default, BuiltIn::Value("90"));
    assert_eq!(days.kind.cfn_range(), Some((1.0, 3650.0)));
    // AlarmEmail, AlarmTopicArn and the AZ IDs: empty by default; each pattern accepts its form only (an AZ ID,
    // never a zone name nor a Local Zone's id)
    for (name, good, bad) in [
        (
            Name::AlarmEmail,
            &[
                "",
                "ops@example.com",
                "first.last+alerts@mail.example.co.uk",
            ][..],
            &[
                "ops",
                "ops@",
                "@example.com",
                "ops@example",
                "a b@example.com",
            ][..],
        ),
        (
            Name::AlarmTopicArn,
            &[
                "",
                "arn:aws:sns:us-east-1:123456789012:alerts",
                "arn:aws-cn:sns:cn-north-1:123456789012:ops_team-1",
                "arn:aws-us-gov:sns:us-gov-west-1:123456789012:alerts",
            ][..],
            &[
                "alerts",
                "arn:aws:sqs:us-east-1:123456789012:alerts",
                "arn:aws:sns:us-east-1:12345:alerts",
                "arn:aws:sns:us-east-1:123456789012:alerts.fifo",
            ][..],
        ),
        (
            Name::AvailabilityZoneId1,
            &[
                "",
                "use1-az4",
                "apse2-az1",
                "usgw1-az2",
                "cnnw1-az1",
                "ilc1-az3",
            ][..],
            &[
                "us-east-1a",
                "use1",
                "az1",
                "use1-az",
                "Use1-az1",
                "usw2-lax1-az1",
            ][..],
        ),
    ] {
        let param = name.param();
        assert_eq!(param.default, BuiltIn::Value(""), "{name}");
        for value in good {
            parse(param, value, Origin::Set, "us-east-1")
                .unwrap_or_else(|e| panic!("{name} = {value:?}: {e}"));
        }
        for value in bad {
            assert!(
                parse(param, value, Origin::Set, "us-east-1").is_err(),
                "{name} accepts {value:?}"
            );
        }
    }
}

/// The stack parameters the writer's environment table passes to the writer (its `set` column,
/// function/environment/src/lib.rs; the template writes `VAR: !Ref Param` for each) are catalog parameters that
/// accept what the writer accepts and default to what the writer defaults to: the same range, the same words.
#[test]
fn parameters_passed_to_the_writer_accept_what_the_writer_accepts() {
    let mut checked = 0;
    for variable in environment::VARIABLES {
        let var = variable.name();
        let Source::Parameter(name) = variable.set().stack else {
            continue;
        };
        let param = CATALOG
            .iter()
            .find(|p| p.name.as_str() == name)
            .unwrap_or_else(|| {
                panic!("the writer's {var} takes stack parameter {name}, which the catalog lacks")
            });
        let default = match param.default {
            BuiltIn::Value(text) => text.to_owned(),
            other => panic!("{} defaults to {other:?}, not a value", param.name),
        };
        match (*variable, &param.kind) {
            (Variable::Integer(v), Kind::Integer { min, max }) => {
                assert_eq!(
                    (*min as u64, *max as u64),
                    (v.min, v.max),
                    "{} ({}) and the writer's {var} differ in range",
                    param.name,
                    "plan/src/catalog.rs"
                );
                assert_eq!(default, v.default.to_string(), "{} and {var}", param.name);
            }
            (Variable::Choice(v), Kind::Choice(words)) => {
                assert_eq!(*words, v.choices, "{} and {var} differ", param.name);
                assert_eq!(default, v.choices[0], "{} and {var}", param.name);
            }
            (Variable::Flag(v), Kind::Bool) => {
                assert_eq!(default, v.default.to_string(), "{} and {var}", param.name);
            }
            // Free text (MetricsNamespace) is checked by the writer where it is used; the mappings are compiled by
            // the same code in the plan and in the writer.
            (Variable::Text(_), Kind::Text { .. } | Kind::Mappings) => continue,
            (variable, kind) => panic!("{} is {kind:?} but {var} is {variable:?}", param.name),
        }
        checked += 1;
    }
    // QueryLanguage, ConditionalCreate, GremlinUpsertStyle, GremlinBatchForm, IamAuth, BatchWriteSize,
    // WriteConcurrency.
    assert!(checked >= 7, "{checked}");
}
