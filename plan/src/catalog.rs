//! The parameter catalog as data: every stack parameter with its CloudFormation type, built-in default, allowed
//! values, scope and meaning (the table in the generator contract).
//!
//! Validation, the `parameters` list the templates render, `params --markdown` and the config reference in
//! docs/configuration.md are all generated from [`CATALOG`].

use stream2neptune_writer_environment as writer_env;

use crate::offerings::Offering;
use crate::sizing;
use crate::values::{
    Architecture, GremlinBatchForm, GremlinUpsertStyle, OnFailureDestination, QueryLanguage,
    RecordFormat, StartingPosition, StreamMode,
};

/// Declares [`Name`] from one list, so the enum, its spelling and [`Name::ALL`] cannot disagree.
macro_rules! parameter_names {
    ($($name:ident),* $(,)?) => {
        /// The name of a stack parameter. Code names a parameter by its variant, so a misspelt name does not
        /// compile; each variant's meaning is its [`CATALOG`] entry's description ([`Name::param`]).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
        #[allow(missing_docs)]
        pub enum Name {
            $($name),*
        }

        impl Name {
            /// Every name, in catalog order (a test keeps [`CATALOG`] in the same order).
            pub const ALL: &'static [Name] = &[$(Name::$name),*];

            /// The name as CloudFormation, stack.yaml and `--set` spell it.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Name::$name => stringify!($name)),*
                }
            }
        }
    };
}

parameter_names! {
    UseExistingCluster,
    DbInstanceType,
    DbServerlessMinCapacity,
    DbServerlessMaxCapacity,
    NeptuneEngineVersion,
    BackupRetentionDays,
    NeptuneAuditLog,
    AvailabilityZoneId1,
    AvailabilityZoneId2,
    ExistingClusterEndpoint,
    ExistingClusterReaderEndpoint,
    ExistingClusterPort,
    ExistingClusterResourceId,
    ExistingVpcId,
    ExistingSubnetIds,
    ExistingSecurityGroupId,
    StreamMode,
    ShardCount,
    StreamRetentionHours,
    QueryLanguage,
    ConditionalCreate,
    GremlinUpsertStyle,
    GremlinBatchForm,
    RecordFormat,
    Mappings,
    IamAuth,
    BatchReadSize,
    BatchWriteSize,
    WriteConcurrency,
    StartingPosition,
    ParallelizationFactor,
    ReservedConcurrency,
    AccountConcurrencyQuota,
    BisectBatchOnFunctionError,
    MaximumRetryAttempts,
    MaximumRecordAgeInSeconds,
    OnFailureDestination,
    OnFailureRetentionDays,
    MaximumBatchingWindowInSeconds,
    FunctionArchitecture,
    FunctionMemorySize,
    FunctionTimeout,
    LogRetentionDays,
    MetricsNamespace,
    ArtifactBucket,
    FunctionCodeKey,
    DriverCodeKey,
    NotebooksKeyPrefix,
    VertexFileS3Location,
    EdgeFileS3Location,
    EC2ClientInstanceType,
    EC2KeyPairName,
    DriverPeriod,
    DriverBatchSize,
    DriverAggregation,
    NotebookInstanceType,
    IteratorAgeAlarmMs,
    AlarmEmail,
    AlarmTopicArn,
}

impl Name {
    /// The parameter's catalog entry.
    pub fn param(self) -> &'static Param {
        &CATALOG[self as usize]
    }
}

impl std::fmt::Display for Name {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// CloudFormation parameter type of a catalog entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CfnType {
    /// `String`
    String,
    /// `Number`
    Number,
    /// `AWS::EC2::VPC::Id`
    VpcId,
    /// `List<AWS::EC2::Subnet::Id>`
    SubnetIdList,
    /// `AWS::EC2::SecurityGroup::Id`
    SecurityGroupId,
}

impl CfnType {
    /// The type as CloudFormation spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            CfnType::String => "String",
            CfnType::Number => "Number",
            CfnType::VpcId => "AWS::EC2::VPC::Id",
            CfnType::SubnetIdList => "List<AWS::EC2::Subnet::Id>",
            CfnType::SecurityGroupId => "AWS::EC2::SecurityGroup::Id",
        }
    }

    /// Whether CloudFormation accepts `AllowedPattern` on this type (only on `String`).
    pub fn takes_pattern(self) -> bool {
        self == CfnType::String
    }
}

/// When a parameter is declared in the rendered stack.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Always.
    All,
    /// Only when `UseExistingCluster` is false (the stack creates the VPC and the cluster).
    NewCluster,
    /// Only when `UseExistingCluster` is true.
    ExistingCluster,
    /// Only when `StreamMode` is `PROVISIONED`.
    Provisioned,
    /// Only when the stack creates a cluster whose `DbInstanceType` is `db.serverless`.
    Serverless,
    /// Only when `EC2KeyPairName` is non-empty.
    KeyPair,
    /// Only when `OnFailureDestination` is `s3` (the stack creates the on-failure bucket).
    OnFailureBucket,
    /// Never: the generator uses the value at render time and the stack does not declare it.
    RenderTime,
}

impl Scope {
    /// The condition in words, for the config reference and warnings.
    pub fn describe(self) -> &'static str {
        match self {
            Scope::All => "always",
            Scope::NewCluster => "UseExistingCluster=false",
            Scope::ExistingCluster => "UseExistingCluster=true",
            Scope::Provisioned => "StreamMode=PROVISIONED",
            Scope::Serverless => "DbInstanceType=db.serverless",
            Scope::KeyPair => "EC2KeyPairName is non-empty",
            Scope::OnFailureBucket => "OnFailureDestination=s3",
            Scope::RenderTime => "never (render time only)",
        }
    }
}

/// A built-in default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BuiltIn {
    /// A fixed value, in the text form a config file would use.
    Value(&'static str),
    /// Computed from the writer: 2 x its vCPUs from [`sizing`], or 4 for an existing cluster.
    ShardsFromWriter,
    /// Computed from `StreamRetentionHours`: [`record_age_below_retention`].
    RecordAgeFromRetention,
    /// The first of the offering's preference order the region offers ([`Offering::default_for`]).
    Preferred(Offering),
}

/// How long before the stream's retention a record still not written leaves for the on-failure
/// destination, in seconds: time for the event source mapping to read it and send it there.
pub const RECORD_AGE_MARGIN_SECS: i64 = 3_600;

/// The largest `MaximumRecordAgeInSeconds` Lambda accepts (7 days).
pub const MAX_RECORD_AGE_SECS: i64 = 604_800;

/// The `MaximumRecordAgeInSeconds` default for a stream keeping records `retention_hours`: just
/// below the retention, so a batch that still cannot be written leaves for the on-failure
/// destination before the stream drops it; at most [`MAX_RECORD_AGE_SECS`].
pub fn record_age_below_retention(retention_hours: i64) -> i64 {
    (retention_hours * 3_600 - RECORD_AGE_MARGIN_SECS).min(MAX_RECORD_AGE_SECS)
}

/// What values a parameter accepts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Kind {
    /// The strings `true` or `false` (CloudFormation has no boolean parameter type).
    Bool,
    /// One of a fixed list of strings.
    Choice(&'static [&'static str]),
    /// An instance class or type the region offers ([`crate::offerings`]).
    Offered(Offering),
    /// A Neptune engine version `a.b.c.d`, at least `min`.
    EngineVersion {
        /// The oldest accepted version.
        min: &'static str,
    },
    /// A whole number in `min..=max`.
    Integer {
        /// Smallest accepted value.
        min: i64,
        /// Largest accepted value.
        max: i64,
    },
    /// `-1` (meaning "no limit") or a whole number in `min..=max`.
    IntegerOrUnlimited {
        /// Smallest accepted value other than -1.
        min: i64,
        /// Largest accepted value.
        max: i64,
    },
    /// One of a fixed list of whole numbers.
    IntegerChoice(&'static [i64]),
    /// Neptune serverless capacity in NCUs: `min` up to the top of [`sizing::SERVERLESS_CAPACITY_RANGE`], in
    /// steps of 0.5.
    Capacity {
        /// Smallest accepted capacity.
        min: f64,
    },
    /// A string matching `pattern`.
    Text {
        /// Anchored regular expression, valid both for Rust `regex` and CloudFormation's `AllowedPattern`.
        pattern: &'static str,
        /// What the pattern means, in words.
        expected: &'static str,
    },
    /// An S3 URI (or empty) matching `pattern`.
    S3Uri {
        /// Anchored regular expression, as for [`Kind::Text`].
        pattern: &'static str,
        /// What the URI must look like, in words.
        expected: &'static str,
        /// What the key must end with, if anything (the message names it when the key does not).
        key_suffix: Option<&'static str>,
    },
    /// A comma-separated list of at least two subnet ids.
    SubnetIds,
    /// Empty, or the writer's mappings as a JSON array (stack.yaml writes them as a YAML list), compiled as the
    /// writer compiles them ([`stream2neptune_graph::mapping::Mappings::compile`]).
    Mappings,
}

/// Anchored pattern of one subnet id.
pub const SUBNET_ID_PATTERN: &str = r"^subnet-[0-9a-f]{8,17}$";

/// What an AZ ID parameter accepts: empty, or an Availability Zone's account-independent id (`use1-az4`,
/// `apse2-az1`, `usgw1-az2`), never a name (`us-east-1a`), whose zone differs from account to account.
pub const AVAILABILITY_ZONE_ID: Kind = Kind::Text {
    pattern: r"^$|^[a-z]{2,8}[0-9]-az[0-9]{1,2}$",
    expected: "empty (the region's first two Availability Zones by name) or an AZ ID such as use1-az4 (describe-availability-zones lists each zone's ZoneId)",
};

/// Anchored pattern of a Neptune engine version.
pub const ENGINE_VERSION_PATTERN: &str = r"^\d+\.\d+\.\d+\.\d+$";

/// Minimum number of subnets an existing cluster's function, notebook and driver need (two Availability Zones).
pub const MIN_EXISTING_SUBNETS: usize = 2;

/// The allowed retention periods of a CloudWatch Logs log group, in days.
pub static LOG_RETENTION_DAYS: &[i64] = &[
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
];

impl Kind {
    /// What the kind allows, in words, for error messages and the config reference.
    pub fn allowed(&self) -> String {
        match self {
            Kind::Bool => "true or false".to_owned(),
            Kind::Choice(values) => format!("one of {}", values.join(", ")),
            Kind::Offered(offering) => format!("a {} the region offers", offering.describe()),
            Kind::EngineVersion { min } => {
                format!(
                    "a Neptune engine version a.b.c.d, {min} or later, not past its end of life"
                )
            }
            Kind::Integer { min, max } => format!("a whole number from {min} to {max}"),
            Kind::IntegerOrUnlimited { min, max } => {
                format!("-1 (no limit) or a whole number from {min} to {max}")
            }
            Kind::IntegerChoice(values) => format!(
                "one of {}",
                values
                    .iter()
                    .map(i64::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Kind::Capacity { min } => {
                let max = sizing::SERVERLESS_CAPACITY_RANGE.1;
                format!("a number from {min} to {max} in steps of 0.5")
            }
            Kind::Text { expected, .. } | Kind::S3Uri { expected, .. } => (*expected).to_owned(),
            Kind::SubnetIds => format!(
                "a comma-separated list of at least {MIN_EXISTING_SUBNETS} subnet ids (subnet-0123abcd...)"
            ),
            Kind::Mappings => format!(
                "empty (no mappings) or {}",
                stream2neptune_graph::mapping::MAPPINGS_FORM
            ),
        }
    }

    /// What the kind allows in `region`, in words: [`Kind::allowed`], with the region's own list for offerings.
    pub fn allowed_in(&self, region: &str) -> String {
        match self {
            Kind::Offered(offering) => format!(
                "one of the {} {region} offers: {}",
                offering.describe(),
                offering.offered_in(region).join(", ")
            ),
            kind => kind.allowed(),
        }
    }

    /// CloudFormation `AllowedValues` in `region`, as strings.
    pub fn cfn_allowed_values(&self, region: &str) -> Option<Vec<String>> {
        let strings = |values: &[&str]| values.iter().map(|v| (*v).to_owned()).collect();
        match self {
            Kind::Bool => Some(vec!["true".to_owned(), "false".to_owned()]),
            Kind::Choice(values) => Some(strings(values)),
            Kind::Offered(offering) => Some(offering.offered_in(region).to_vec()),
            Kind::IntegerChoice(values) => Some(values.iter().map(i64::to_string).collect()),
            _ => None,
        }
    }

    /// CloudFormation `MinValue` and `MaxValue`.
    pub fn cfn_range(&self) -> Option<(f64, f64)> {
        match *self {
            Kind::Integer { min, max } => Some((min as f64, max as f64)),
            Kind::IntegerOrUnlimited { max, .. } => Some((-1.0, max as f64)),
            Kind::Capacity { min } => Some((min, sizing::SERVERLESS_CAPACITY_RANGE.1)),
            _ => None,
        }
    }

    /// The anchored regular expression a value must match, if the kind is pattern based.
    pub fn pattern(&self) -> Option<&'static str> {
        match self {
            Kind::Text { pattern, .. } | Kind::S3Uri { pattern, .. } => Some(pattern),
            Kind::EngineVersion { .. } => Some(ENGINE_VERSION_PATTERN),
            _ => None,
        }
    }
}

/// One stack parameter.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Param {
    /// The CloudFormation parameter name, also the key in stack.yaml and `--set`.
    pub name: Name,
    /// The CloudFormation parameter type.
    pub cfn_type: CfnType,
    /// The built-in default.
    pub default: BuiltIn,
    /// What values are accepted.
    pub kind: Kind,
    /// When the parameter is declared.
    pub scope: Scope,
    /// Whether a non-empty value is required when the parameter is in scope.
    pub required: bool,
    /// The parameter's meaning, rendered as its CloudFormation `Description`.
    pub description: &'static str,
}

impl Param {
    /// The CloudFormation `ConstraintDescription`: what is allowed, in words.
    pub fn constraint_description(&self) -> String {
        format!("{} must be {}", self.name, self.kind.allowed())
    }

    /// The built-in default in words, for the config reference.
    pub fn default_text(&self) -> String {
        match self.default {
            BuiltIn::Value(value) => format!("`{value}`"),
            BuiltIn::ShardsFromWriter => format!(
                "{} x writer vCPUs ({} for an existing cluster)",
                sizing::SHARDS_PER_VCPU,
                sizing::SHARDS_PER_VCPU * sizing::EXISTING_CLUSTER_ASSUMED_VCPUS
            ),
            BuiltIn::RecordAgeFromRetention => format!(
                "StreamRetentionHours x 3600 - {RECORD_AGE_MARGIN_SECS} (24 h: {}), at most {MAX_RECORD_AGE_SECS}",
                record_age_below_retention(24)
            ),
            BuiltIn::Preferred(offering) => format!(
                "the first the region offers of {}",
                offering
                    .preference()
                    .iter()
                    .map(|name| format!("`{name}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }
}

/// Looks a parameter up by its exact name.
pub fn find(name: &str) -> Option<&'static Param> {
    CATALOG.iter().find(|param| param.name.as_str() == name)
}

/// The catalog entry names, in catalog order.
pub fn names() -> impl Iterator<Item = &'static str> {
    CATALOG.iter().map(|param| param.name.as_str())
}

/// The oldest Neptune engine the stack deploys. The writer's features need 1.2.1.0 (mergeV()/mergeE(); openCypher
/// MERGE on `~id` 1.2.0.2, serverless 1.2.0.1, the fine-grained IAM data actions 1.2.0.0), but 1.2.x reached its end
/// of life on 2026-03-06 ([`crate::dated_facts`]). 1.3.4.0 is the newest of the oldest supported range (1.3.0.0 to
/// 1.3.4.0 share one end of life, so it costs no supported time) and the first that runs mergeV()/mergeE() with
/// `single()` values in `onMatch` natively (Engine version 1.3.4.0, Neptune User Guide).
pub const MIN_ENGINE_VERSION: &str = "1.3.4.0";

/// The engine a new cluster gets unless the config names one: the newest release (Engine version 1.4.7.1).
pub const DEFAULT_ENGINE_VERSION: &str = "1.4.7.1";

/// Largest Lambda concurrency quota accepted (a raised quota in a large account).
const MAX_CONCURRENCY_QUOTA: i64 = 1_000_000;

const HOSTNAME: &str = r"^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$";
const S3_KEY: &str = r"^[A-Za-z0-9!_.*'()-][A-Za-z0-9!_.*'()/-]{0,1023}$";
const BOOL: Kind = Kind::Bool;

/// The range of a parameter the template hands to the writer as a whole-number variable: what the writer accepts.
const fn writer_range(variable: &writer_env::Integer) -> Kind {
    Kind::Integer {
        min: variable.min as i64,
        max: variable.max as i64,
    }
}

/// Anchored pattern of `AlarmTopicArn`: empty, or a standard (not FIFO: alarms cannot publish to one) SNS topic ARN.
pub const ALARM_TOPIC_ARN: &str =
    r"^$|^arn:aws(-cn|-us-gov)?:sns:[a-z]{2}(-gov)?-[a-z]+-[0-9]:[0-9]{12}:[A-Za-z0-9_-]{1,256}$";

/// Every stack parameter, in the order the templates declare them.
pub static CATALOG: &[Param] = &[
    Param {
        name: Name::UseExistingCluster,
        cfn_type: CfnType::String,
        default: BuiltIn::Value("false"),
        kind: BOOL,
        scope: Scope::All,
        required: false,
        description: "Write to an existing Neptune cluster: the stack then creates no VPC and no cluster.",
    },
    Param {
        name: Name::DbInstanceType,
        cfn_type: CfnType::String,
        default: BuiltIn::Preferred(Offering::NeptuneClass),
        kind: Kind::Offered(Offering::NeptuneClass),
        scope: Scope::NewCluster,
        required: false,
        description: "Instance class of the Neptune writer and read replica.",
    },
    Param {
        name: Name::DbServerlessMinCapacity,
        cfn_type: CfnType::Number,
        default: BuiltIn::Value("1"),
        kind: Kind::Capacity {
            min: sizing::SERVERLESS_CAPACITY_RANGE.0,
        },
        scope: Scope::Serverless,
        required: false,
        description: "Smallest Neptune serverless capacity, in NCUs.",
    },
    Param {
        name: Name::DbServerlessMaxCapacity,
        cfn_type: CfnType::Number,
        default: BuiltIn::Value("16"),
        kind: Kind::Capacity {
            min: sizing::SERVERLESS_MAX_CAPACITY_FLOOR,
        },
        scope: Scope::Serverless,
        required: false,
        description: "Largest Neptune serverless capacity, in NCUs; also drives the ShardCount default.",
    },
    Param {
        name: Name::NeptuneEngineVersion,
        cfn_type: CfnType::String,
        default: BuiltIn::Value(DEFAULT_ENGINE_VERSION),
        kind: Kind::EngineVersion {
            min: MIN_ENGINE_VERSION,
        },
        scope: Scope::NewCluster,
        required: false,
        description: "Neptune engine version of the new cluster: 1.3.4.0 or later and not past its end of life (1.2.x ended 2026-03-06; 1.3.0.0 to 1.4.6.1 end 2027-03-06).",
    },
    Param {
        name: Name::BackupRetentionDays,
        cfn_type: CfnType::Number,
        default: BuiltIn::Value("7"),
        kind: Kind::Integer { min: 1, max: 35 },
        scope: Scope::NewCluster,
        required: false,
        description: "Days Neptune keeps automated backups.",
    },
    Param {
        name: Name::NeptuneAuditLog,
        cfn_type: CfnType::String,
        default: BuiltIn::Value("false"),
        kind: BOOL,
        scope: Scope::NewCluster,
        required: false,
        description: "Export Neptune's audit log (every query's text) to a log group of the stack, kept LogRetentionDays under the stack key.",
    },
    Param {
        name: Name::AvailabilityZoneId1,
        cfn_type: CfnType::String,
        default: BuiltIn::Value(""),
        kind: AVAILABILITY_ZONE_ID,
        scope: Scope::NewCluster,
        required: false,
        description: "AZ ID (such as use1-az4) of the first private subnet: the Neptune writer, the notebook, the driver and the NAT gateway. Empty (with AvailabilityZoneId2 empty) = the region's first Availability Zone by name; `deploy` sets both to AZs that offer the stack's instance classes.",
    },
    Param {
        name: Name::AvailabilityZoneId2,
        cfn_type: CfnType::String,
        default: BuiltIn::Value(""),
        kind: AVAILABILITY_ZONE_ID,
        scope: Scope::NewCluster,
        required: false,
        description: "AZ ID of the second private subnet: the Neptune read replica. Empty (with AvailabilityZoneId1 empty) = the region's second Availability Zone by name; else another AZ than AvailabilityZoneId1.",
    },
    Param {
        name: Name::ExistingClusterEndpoint,
        cfn_type: CfnType::String,
        default: BuiltIn::Value(""),
        kind: Kind::Text {
            pattern: HOSTNAME,
            expected: "a host name such as my-cluster.cluster-abc123.us-east-1.neptune.amazonaws.com",
        },
        scope: Scope::ExistingCluster,
        required: true,
        description: "Writer endpoint host of the existing cluster.",
    },
    Param {
        name: Name::ExistingClusterReaderEndpoint,
        cfn_type: CfnType::String,
        default: BuiltIn::Value(""),
        kind: Kind::Text {
            pattern: HOSTNAME,
            expected: "a host name such as my-cluster.cluster-ro-abc123.us-east-1.neptune.amazonaws.com",
        },
        scope: Scope::ExistingCluster,
        required: true,
        description: "Reader endpoint host of the existing cluster.",
    },
    Param {
        name: Name::ExistingClusterPort,
        cfn_type: CfnType::Number,
        default: BuiltIn::Value("8182"),
        kind: Kind::Integer { min: 1, max: 65535 },
        scope: Scope::ExistingCluster,
        required: false,
        description: "Port of the existing cluster.",
    },
    Param {
        name: Name::ExistingClusterResourceId,
        cfn_type: CfnType::String,
        default: BuiltIn::Value(""),
        kind: Kind::Text {
            pattern: r"^cluster-[A-Z0-9]+$",
            expected: "a cluster resource id such as cluster-ABCDEFGHIJKLMNOPQRSTUVWXYZ",
        },
        scope: Scope::ExistingCluster,
        required: true,
        description: "Resource id of the existing cluster, for the neptune-db IAM resource ARN.",
    },
    Param {
        name: Name::ExistingVpcId,
        cfn_type: CfnType::VpcId,
        default: BuiltIn::Value(""),
        kind: Kind::Text {
            pattern: r"^vpc-[0-9a-f]{8,17}$",
            expected: "a VPC id such as vpc-0123456789abcdef0",
        },
        scope: Scope::ExistingCluster,
        required: true,
        description: "VPC of the existing cluster.",
    },
    Param {
        name: Name::ExistingSubnetIds,
        cfn_type: CfnType::SubnetIdList,
        default: BuiltIn::Value(""),
        kind: Kind::SubnetIds,
        scope: Scope::ExistingCluster,
        required: true,
        description: "Private subnets for the writer function, the notebook and the driver.",
    },
    Param {
        name: Name::ExistingSecurityGroupId,
        cfn_type: CfnType::SecurityGroupId,
        default: BuiltIn::Value(""),
        kind: Kind::Text {
            pattern: r"^sg-[0-9a-f]{8,17}$",
            expected: "a security group id such as sg-0123456789abcdef0",
        },
        scope: Scope::ExistingCluster,
        required: true,
        description: "A security group the existing cluster admits; attached to the function, notebook and driver.",
    },
    Param {
        name: Name::StreamMode,
        cfn_type: CfnType::String,
        default: BuiltIn::Value("PROVISIONED"),
        kind: Kind::Choice(StreamMode::NAMES),
        scope: Scope::All,
        required: false,
        description: "Kinesis capacity mode: a fixed ShardCount or on-demand.",
    },
    Param {
        name: Name::ShardCount,
        cfn_type: CfnType::Number,
        default: BuiltIn::ShardsFromWriter,
        kind: Kind::Integer {
            min: 1,
            max: sizing::KINESIS_MAX_SHARDS as i64,
        },
        scope: Scope::Provisioned,
        required: false,
        description: "Kinesis shards; keep it at no more than 2 x the vCPUs of the Neptune writer.",
    },
    Param {
        name: Name::StreamRetentionHours,
        cfn_type: CfnType::Number,
        default: BuiltIn::Value("24"),
        kind: Kind::Integer { min: 24, max: 8760 },
        scope: Scope::All,
        required: false,
        description: "Hours Kinesis keeps records.",
    },
    Param {
        name: Name::QueryLanguage,
        cfn_type: CfnType::String,
        default: BuiltIn::Value("gremlin"),
        kind: Kind::Choice(QueryLanguage::NAMES),
        scope: Scope::All,
        required: false,
        description: "Query language the writer uses.",
    },
    Param {
        name: Name::ConditionalCreate,
        cfn_type: CfnType::String,
        default: BuiltIn::Value("true"),
        kind: BOOL,
        scope: Scope::All,
        required: false,
        description: "Write edges as idempotent upserts, so a retried batch writes no duplicates.",
    },
    Param {
        name: Name::GremlinUpsertStyle,
        cfn_type: CfnType::String,
        default: BuiltIn::Value("merge"),
        kind: Kind::Choice(GremlinUpsertStyle::NAMES),
        scope: Scope::All,
        required: false,
        description: "Gremlin upsert idiom: mergeE/mergeV (engine 1.2.1.0 or later) or fold().coalesce().",
    },
    Param {
        name: Name::GremlinBatchForm,
        cfn_type: CfnType::String,
        default: BuiltIn::Value("chained"),
        kind: Kind::Choice(GremlinBatchForm::NAMES),
        scope: Scope::All,
        required: false,
        description: "Layout of a mergeV/mergeE batch with ConditionalCreate: one step per vertex and edge in traversals of 10 records, one request (chained, Neptune's documented native form) or the batch's rows in one inject() unfolded into one mergeV and one mergeE (rows, faster on Gremlin Server; Neptune lists inject() as never native). The coalesce style and ConditionalCreate=false are always chained.",
    },
    Param {
        name: Name::RecordFormat,
        cfn_type: CfnType::String,
        default: BuiltIn::Value("auto"),
        kind: Kind::Choice(RecordFormat::NAMES),
        scope: Scope::All,
        required: false,
        description: "How the writer reads records: auto (graph-operation documents, or the sample's follows edges, by shape) or mapping (each record an application's JSON event, written through Mappings).",
    },
    Param {
        name: Name::Mappings,
        cfn_type: CfnType::String,
        default: BuiltIn::Value(""),
        kind: Kind::Mappings,
        scope: Scope::All,
        required: false,
        description: "With RecordFormat=mapping: the patterns that turn events into vertices and edges, as JSON (stack.yaml writes them as a YAML list; docs/writer.md, Mappings).",
    },
    Param {
        name: Name::IamAuth,
        cfn_type: CfnType::String,
        default: BuiltIn::Value("true"),
        kind: BOOL,
        scope: Scope::All,
        required: false,
        description: "IAM database authentication on the cluster and SigV4 signing in the writer.",
    },
    Param {
        name: Name::BatchReadSize,
        cfn_type: CfnType::Number,
        default: BuiltIn::Value("1000"),
        kind: Kind::Integer { min: 1, max: 10000 },
        scope: Scope::All,
        required: false,
        description: "Edges per invocation read from a shard: the event source mapping's BatchSize, or BatchReadSize / 1,000 aggregated records (at least 1) with DriverAggregation.",
    },
    Param {
        name: Name::BatchWriteSize,
        cfn_type: CfnType::Number,
        default: BuiltIn::Value("100"),
        kind: writer_range(&writer_env::BATCH_WRITE_SIZE),
        scope: Scope::All,
        required: false,
        description: "Records per Neptune transaction; at most BatchReadSize.",
    },
    Param {
        name: Name::WriteConcurrency,
        cfn_type: CfnType::Number,
        default: BuiltIn::Value("1"),
        kind: writer_range(&writer_env::WRITE_CONCURRENCY),
        scope: Scope::All,
        required: false,
        description: "Write batches sent to Neptune at once per invocation.",
    },
    Param {
        name: Name::StartingPosition,
        cfn_type: CfnType::String,
        default: BuiltIn::Value("TRIM_HORIZON"),
        kind: Kind::Choice(StartingPosition::NAMES),
        scope: Scope::All,
        required: false,
        description: "Where the event source mapping starts reading the stream.",
    },
    Param {
        name: Name::ParallelizationFactor,
        cfn_type: CfnType::Number,
        default: BuiltIn::Value("1"),
        kind: Kind::Integer { min: 1, max: 10 },
        scope: Scope::All,
        required: false,
        description: "Concurrent batches per shard.",
    },
    Param {
        name: Name::ReservedConcurrency,
        cfn_type: CfnType::Number,
        default: BuiltIn::Value("-1"),
        kind: Kind::IntegerOrUnlimited {
            min: 0,
            max: MAX_CONCURRENCY_QUOTA - sizing::LAMBDA_UNRESERVED_MINIMUM as i64,
        },
        scope: Scope::All,
        required: false,
        description: "Concurrent executions reserved for the writer (-1 = none); at most AccountConcurrencyQuota - 100.",
    },
    Param {
        name: Name::AccountConcurrencyQuota,
        cfn_type: CfnType::Number,
        default: BuiltIn::Value("1000"),
        kind: Kind::Integer {
            min: 10,
            max: MAX_CONCURRENCY_QUOTA,
        },
        scope: Scope::RenderTime,
        required: false,
        description: "The account's Lambda concurrency quota in the region, checked against ReservedConcurrency at render time (new accounts may have 10).",
    },
    Param {
        name: Name::BisectBatchOnFunctionError,
        cfn_type: CfnType::String,
        default: BuiltIn::Value("true"),
        kind: BOOL,
        scope: Scope::All,
        required: false,
        description: "Split a failed batch in two and retry the halves.",
    },
    Param {
        name: Name::MaximumRetryAttempts,
        cfn_type: CfnType::Number,
        default: BuiltIn::Value("-1"),
        kind: Kind::IntegerOrUnlimited { min: 0, max: 10000 },
        scope: Scope::All,
        required: false,
        description: "Retries of a batch whose first record fails before the rest of the batch is discarded to the on-failure destination; -1 retries until MaximumRecordAgeInSeconds, so an outage or a configuration error discards nothing.",
    },
    Param {
        name: Name::MaximumRecordAgeInSeconds,
        cfn_type: CfnType::Number,
        default: BuiltIn::RecordAgeFromRetention,
        kind: Kind::IntegerOrUnlimited {
            min: 60,
            max: MAX_RECORD_AGE_SECS,
        },
        scope: Scope::All,
        required: false,
        description: "Age, in seconds, at which a record still not written leaves for the on-failure destination; the default is just below StreamRetentionHours, before the stream drops it (-1 = no limit: the stream drops it unseen).",
    },
    Param {
        name: Name::OnFailureDestination,
        cfn_type: CfnType::String,
        default: BuiltIn::Value("s3"),
        kind: Kind::Choice(OnFailureDestination::NAMES),
        scope: Scope::All,
        required: false,
        description: "Where the event source mapping sends a batch it gives up on: s3 keeps the whole batch's payload in an encrypted bucket of the stack (replayable after the stream drops it); sqs sends only its shard and sequence range to a queue.",
    },
    Param {
        name: Name::OnFailureRetentionDays,
        cfn_type: CfnType::Number,
        default: BuiltIn::Value("90"),
        kind: Kind::Integer { min: 1, max: 3650 },
        scope: Scope::OnFailureBucket,
        required: false,
        description: "Days the on-failure bucket keeps a failed batch before its lifecycle rule expires it (a removed object's previous version is kept 7 more days).",
    },
    Param {
        name: Name::MaximumBatchingWindowInSeconds,
        cfn_type: CfnType::Number,
        default: BuiltIn::Value("0"),
        kind: Kind::Integer { min: 0, max: 300 },
        scope: Scope::All,
        required: false,
        description: "Seconds the event source mapping waits to fill a batch.",
    },
    Param {
        name: Name::FunctionArchitecture,
        cfn_type: CfnType::String,
        default: BuiltIn::Value("x86_64"),
        kind: Kind::Choice(Architecture::NAMES),
        scope: Scope::All,
        required: false,
        description: "Instruction set of the writer function; must match the packaged bootstrap.",
    },
    Param {
        name: Name::FunctionMemorySize,
        cfn_type: CfnType::Number,
        default: BuiltIn::Value("512"),
        kind: Kind::Integer {
            min: 128,
            max: 10240,
        },
        scope: Scope::All,
        required: false,
        description: "Memory of the writer function, in MB.",
    },
    Param {
        name: Name::FunctionTimeout,
        cfn_type: CfnType::Number,
        default: BuiltIn::Value("120"),
        kind: Kind::Integer { min: 1, max: 900 },
        scope: Scope::All,
        required: false,
        description: "Timeout of the writer function, in seconds.",
    },
    Param {
        name: Name::LogRetentionDays,
        cfn_type: CfnType::Number,
        default: BuiltIn::Value("30"),
        kind: Kind::IntegerChoice(LOG_RETENTION_DAYS),
        scope: Scope::All,
        required: false,
        description: "Days CloudWatch Logs keeps the function's log.",
    },
    Param {
        name: Name::MetricsNamespace,
        cfn_type: CfnType::String,
        default: BuiltIn::Value("stream2neptune"),
        kind: Kind::Text {
            pattern: r"^[A-Za-z0-9._/#:-]{1,255}$",
            expected: "1 to 255 characters from A-Z a-z 0-9 . _ / # : -, not starting with AWS/ (reserved for AWS services)",
        },
        scope: Scope::All,
        required: false,
        description: "CloudWatch namespace of the writer's embedded metrics.",
    },
    Param {
        name: Name::ArtifactBucket,
        cfn_type: CfnType::String,
        default: BuiltIn::Value(""),
        kind: Kind::Text {
            pattern: r"^$|^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$",
            expected: "empty (= stream2neptune-artifacts-<account>-<region>) or an S3 bucket name: 3 to 63 characters from a-z 0-9 . -",
        },
        scope: Scope::All,
        required: false,
        description: "Bucket holding the function and driver code, notebooks and data; empty = stream2neptune-artifacts-<account>-<region>.",
    },
    Param {
        name: Name::FunctionCodeKey,
        cfn_type: CfnType::String,
        default: BuiltIn::Value("artifacts/stream2neptune-writer.zip"),
        kind: Kind::Text {
            pattern: S3_KEY,
            expected: "an S3 key without a leading / (A-Z a-z 0-9 ! _ . * ' ( ) / -)",
        },
        scope: Scope::All,
        required: false,
        description: "Content-addressed S3 key of the writer function zip.",
    },
    Param {
        name: Name::DriverCodeKey,
        cfn_type: CfnType::String,
        default: BuiltIn::Value("artifacts/stream2neptune-driver.zip"),
        kind: Kind::Text {
            pattern: S3_KEY,
            expected: "an S3 key without a leading / (A-Z a-z 0-9 ! _ . * ' ( ) / -)",
        },
        scope: Scope::All,
        required: false,
        description: "S3 key of the zip holding the stream2neptune driver binary.",
    },
    Param {
        name: Name::NotebooksKeyPrefix,
        cfn_type: CfnType::String,
        default: BuiltIn::Value("artifacts/notebooks/"),
        kind: Kind::Text {
            pattern: r"^[A-Za-z0-9!_.*'()-][A-Za-z0-9!_.*'()/-]{0,1022}/$",
            expected: "an S3 key prefix ending in / without a leading /",
        },
        scope: Scope::All,
        required: false,
        description: "S3 key prefix of the notebooks copied to the notebook instance.",
    },
    Param {
        name: Name::VertexFileS3Location,
        cfn_type: CfnType::String,
        default: BuiltIn::Value(""),
        kind: Kind::S3Uri {
            pattern: r"^$|^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/[A-Za-z0-9!_.*'()/-]*)?$",
            expected: "empty (= s3://<ArtifactBucket>/data/vertices/) or s3://bucket/prefix",
            key_suffix: None,
        },
        scope: Scope::All,
        required: false,
        description: "S3 location of the vertex files for the bulk loader; empty = s3://<ArtifactBucket>/data/vertices/.",
    },
    Param {
        name: Name::EdgeFileS3Location,
        cfn_type: CfnType::String,
        default: BuiltIn::Value(""),
        kind: Kind::S3Uri {
            pattern: r"^$|^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]/([A-Za-z0-9!_.*'()/-]*/)?follows\.csv\.gz$",
            expected: "empty (= s3://<ArtifactBucket>/data/follows.csv.gz) or s3://bucket/key ending in follows.csv.gz",
            key_suffix: Some("follows.csv.gz"),
        },
        scope: Scope::All,
        required: false,
        description: "S3 location of the follows edge file the driver streams; empty = s3://<ArtifactBucket>/data/follows.csv.gz.",
    },
    Param {
        name: Name::EC2ClientInstanceType,
        cfn_type: CfnType::String,
        default: BuiltIn::Preferred(Offering::DriverInstance),
        kind: Kind::Offered(Offering::DriverInstance),
        scope: Scope::All,
        required: false,
        description: "Instance type of the EC2 workload driver.",
    },
    Param {
        name: Name::EC2KeyPairName,
        cfn_type: CfnType::String,
        default: BuiltIn::Value(""),
        kind: Kind::Text {
            pattern: r"^[ -~]{0,255}$",
            expected: "empty (SSM Session Manager only) or a key pair name of up to 255 printable ASCII characters",
        },
        scope: Scope::KeyPair,
        required: false,
        description: "Optional EC2 key pair for the driver; SSM Session Manager is the default access.",
    },
    Param {
        name: Name::DriverPeriod,
        cfn_type: CfnType::Number,
        default: BuiltIn::Value("100"),
        kind: Kind::Integer { min: 1, max: 1000 },
        scope: Scope::All,
        required: false,
        description: "Milliseconds between the driver's batches.",
    },
    Param {
        name: Name::DriverBatchSize,
        cfn_type: CfnType::Number,
        default: BuiltIn::Value("100"),
        kind: Kind::Integer { min: 1, max: 3000 },
        scope: Scope::All,
        required: false,
        description: "Edges the driver puts on the stream per period.",
    },
    Param {
        name: Name::DriverAggregation,
        cfn_type: CfnType::String,
        default: BuiltIn::Value("false"),
        kind: BOOL,
        scope: Scope::All,
        required: false,
        description: "The driver puts KPL aggregates of up to 1,000 edges of one shard (the writer deaggregates them), and the event source mapping's BatchSize becomes BatchReadSize / 1,000 records. Off by default: the default pace (DriverBatchSize 100 per 100 ms, 1,000 edges/s) is within the ShardCount x 1,000 records/s a stream takes, and at that pace an aggregate holds only about DriverBatchSize / ShardCount edges, so invocations would carry far fewer edges than BatchReadSize. Turn it on to drive more than ShardCount x 1,000 edges/s.",
    },
    Param {
        name: Name::NotebookInstanceType,
        cfn_type: CfnType::String,
        default: BuiltIn::Preferred(Offering::NotebookInstance),
        kind: Kind::Offered(Offering::NotebookInstance),
        scope: Scope::All,
        required: false,
        description: "Instance type of the SageMaker graph notebook.",
    },
    Param {
        name: Name::IteratorAgeAlarmMs,
        cfn_type: CfnType::Number,
        default: BuiltIn::Value("60000"),
        kind: Kind::Integer {
            min: 1000,
            max: 86_400_000,
        },
        scope: Scope::All,
        required: false,
        description: "Iterator age, in milliseconds, above which the alarm fires.",
    },
    Param {
        name: Name::AlarmEmail,
        cfn_type: CfnType::String,
        default: BuiltIn::Value(""),
        kind: Kind::Text {
            pattern: r"^$|^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$",
            expected: "empty (no e-mail) or an e-mail address such as ops@example.com",
        },
        scope: Scope::All,
        required: false,
        description: "E-mail address subscribed to the stack's alarm topic (AWS sends a confirmation mail first); empty = no subscription. Not with AlarmTopicArn.",
    },
    Param {
        name: Name::AlarmTopicArn,
        cfn_type: CfnType::String,
        default: BuiltIn::Value(""),
        kind: Kind::Text {
            pattern: ALARM_TOPIC_ARN,
            expected: "empty (the stack creates its own topic) or the ARN of a standard SNS topic in the stack's region, such as arn:aws:sns:us-east-1:123456789012:alerts",
        },
        scope: Scope::All,
        required: false,
        description: "An SNS topic of your own for every alarm's AlarmActions and OKActions; empty = the stack creates an encrypted topic (see AlarmEmail).",
    },
];
