//! The parameter catalog against the generator contract: names and order, defaults, patterns, scopes.

use stream2neptune_plan::catalog::{BuiltIn, CATALOG, CfnType, Scope};
use stream2neptune_plan::parse::parse;
use stream2neptune_plan::{Name, Origin};

/// The parameter names of the contract's catalog table, in its order.
const CONTRACT_NAMES: &[&str] = &[
    "UseExistingCluster",
    "DbInstanceType",
    "DbServerlessMinCapacity",
    "DbServerlessMaxCapacity",
    "NeptuneEngineVersion",
    "BackupRetentionDays",
    "NeptuneAuditLog",
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
