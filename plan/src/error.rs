//! Typed errors of the plan: configuration problems (collected, so one run reports them all) and failures to read
//! the config file.

use std::fmt;
use std::path::PathBuf;

use crate::catalog::Name;
use crate::origin::Origin;

/// One thing wrong with the configuration. Every message names the key, the value, where it came from and what
/// is allowed; the region is named by the [`Error::Invalid`] that carries it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Problem {
    /// A key that is not a parameter name.
    #[error("unknown key `{key}` in {layer}{}; the keys are the parameter names in the config reference, docs/configuration.md", suggest(.suggestion))]
    UnknownKey {
        /// The key as written.
        key: String,
        /// Where it was written: `defaults`, `regions.<region>` or `--set`.
        layer: String,
        /// The nearest parameter name, if one is close.
        suggestion: Option<&'static str>,
    },
    /// A region name that is not a known AWS region.
    #[error("unknown region `{region}` in {layer}{}; known regions: {known}", suggest(.suggestion))]
    UnknownRegion {
        /// The region as written.
        region: String,
        /// Where it was written: `regions` or `--region`.
        layer: String,
        /// The nearest known region, if one is close.
        suggestion: Option<&'static str>,
        /// Every known region.
        known: String,
    },
    /// A value that is not a scalar (a mapping, or a list where one is not accepted).
    #[error("{key} in {layer} must be a string, number or boolean, not {found}")]
    NotAScalar {
        /// The parameter.
        key: String,
        /// Where it was written.
        layer: String,
        /// What was found instead.
        found: &'static str,
    },
    /// A `--set` argument without `=`.
    #[error("--set `{arg}` is not Key=Value (for example --set ShardCount=8)")]
    BadSetSyntax {
        /// The argument as given.
        arg: String,
    },
    /// An instance type no region offers.
    #[error(
        "{key} = `{value}` (from {origin}) is not a known instance type; {region} offers: {valid}"
    )]
    UnknownInstanceType {
        /// The parameter.
        key: Name,
        /// The value as given.
        value: String,
        /// Where the value came from.
        origin: Origin,
        /// The region.
        region: String,
        /// What the region offers.
        valid: String,
    },
    /// An instance class or type the region does not offer (per cfn-lint's region data).
    #[error(
        "{key} = `{value}` (from {origin}) is not offered in {region}; {region} offers: {offered}"
    )]
    NotOffered {
        /// The parameter.
        key: Name,
        /// The value as given.
        value: String,
        /// Where the value came from.
        origin: Origin,
        /// The region.
        region: String,
        /// What the region offers.
        offered: String,
    },
    /// A Neptune engine version past its end of life ([`crate::dated_facts`]).
    #[error(
        "{key} = `{value}` (from {origin}) is past its end of life: Neptune {range} reached it on {end_of_life} ({stated_in}); choose {instead}, the newest release, or another version the source lists as supported"
    )]
    EngineRetired {
        /// The parameter.
        key: Name,
        /// The value as given.
        value: String,
        /// Where the value came from.
        origin: Origin,
        /// The versions the dated fact covers, as its source names them.
        range: &'static str,
        /// The first day it is retired.
        end_of_life: chrono::NaiveDate,
        /// Where the date comes from.
        stated_in: crate::dated_facts::Source,
        /// What to choose instead.
        instead: &'static str,
    },
    /// A Neptune engine version older than the stack supports.
    #[error(
        "{key} = `{value}` (from {origin}) is too old: the stack needs {min} or later (engines before 1.3 are past end of life; 1.3.4.0 runs mergeV/mergeE with single() values natively)"
    )]
    EngineTooOld {
        /// The parameter.
        key: Name,
        /// The value as given.
        value: String,
        /// Where the value came from.
        origin: Origin,
        /// The oldest accepted version.
        min: &'static str,
    },
    /// A reserved concurrency the account's quota cannot give.
    #[error(
        "ReservedConcurrency = {reserved} (from {reserved_origin}) is above {max}: an account keeps 100 executions unreserved, so with AccountConcurrencyQuota = {quota} (from {quota_origin}) a function may reserve at most {max}; raise the quota (Service Quotas, Lambda concurrent executions), set AccountConcurrencyQuota to it, or leave ReservedConcurrency at -1"
    )]
    ReservedAboveQuota {
        /// The reservation asked for.
        reserved: i64,
        /// Where it came from.
        reserved_origin: Origin,
        /// The account quota.
        quota: i64,
        /// Where it came from.
        quota_origin: Origin,
        /// quota - 100.
        max: u32,
    },
    /// A value that is not a number, not whole, or outside its range.
    #[error("{key} = `{value}` (from {origin}) is out of range: allowed is {allowed}")]
    OutOfRange {
        /// The parameter.
        key: Name,
        /// The value as given.
        value: String,
        /// Where the value came from.
        origin: Origin,
        /// What is allowed.
        allowed: String,
    },
    /// A value that is not a whole number where one is needed.
    #[error("{key} = `{value}` (from {origin}) is not a whole number: allowed is {allowed}")]
    NotAWholeNumber {
        /// The parameter.
        key: Name,
        /// The value as given.
        value: String,
        /// Where the value came from.
        origin: Origin,
        /// What is allowed.
        allowed: String,
    },
    /// A value that is not a number where one is needed.
    #[error("{key} = `{value}` (from {origin}) is not a number: allowed is {allowed}")]
    NotANumber {
        /// The parameter.
        key: Name,
        /// The value as given.
        value: String,
        /// Where the value came from.
        origin: Origin,
        /// What is allowed.
        allowed: String,
    },
    /// An empty value where one is needed.
    #[error("{key} (from {origin}) is empty: allowed is {allowed}")]
    Empty {
        /// The parameter.
        key: Name,
        /// Where the value came from.
        origin: Origin,
        /// What is allowed.
        allowed: String,
    },
    /// A CloudWatch namespace in the space AWS keeps for its own services.
    #[error(
        "{key} = `{value}` (from {origin}) starts with AWS/, which CloudWatch keeps for AWS services: choose another namespace, e.g. stream2neptune"
    )]
    ReservedNamespace {
        /// The parameter.
        key: Name,
        /// The value as given.
        value: String,
        /// Where the value came from.
        origin: Origin,
    },
    /// A value that is not true/false.
    #[error("{key} = `{value}` (from {origin}) is not a boolean: allowed is true or false")]
    BadBool {
        /// The parameter.
        key: Name,
        /// The value as given.
        value: String,
        /// Where the value came from.
        origin: Origin,
    },
    /// A value outside a fixed list of choices.
    #[error("{key} = `{value}` (from {origin}) is not allowed: allowed is {allowed}")]
    BadChoice {
        /// The parameter.
        key: Name,
        /// The value as given.
        value: String,
        /// Where the value came from.
        origin: Origin,
        /// What is allowed.
        allowed: String,
    },
    /// A value that does not match its pattern.
    #[error("{key} = `{value}` (from {origin}) is malformed: expected {expected}")]
    Malformed {
        /// The parameter.
        key: Name,
        /// The value as given.
        value: String,
        /// Where the value came from.
        origin: Origin,
        /// What is expected.
        expected: String,
    },
    /// An S3 URI that does not have the required form.
    #[error(
        "{key} = `{value}` (from {origin}) is not a valid S3 URI: {fault}; expected {expected}"
    )]
    BadS3Uri {
        /// The parameter.
        key: Name,
        /// The value as given.
        value: String,
        /// Where the value came from.
        origin: Origin,
        /// Which part is wrong, and how.
        fault: String,
        /// What is expected.
        expected: String,
    },
    /// An existing-cluster setting left empty while `UseExistingCluster` is true.
    #[error("{key} is required when UseExistingCluster is true: set it to {expected}")]
    MissingExistingSetting {
        /// The parameter.
        key: Name,
        /// What is expected.
        expected: String,
    },
    /// `BatchWriteSize` above `BatchReadSize`.
    #[error(
        "BatchWriteSize = {write} (from {write_origin}) is above BatchReadSize = {read} (from {read_origin}): a write batch is cut from one read batch, so BatchWriteSize must be at most BatchReadSize"
    )]
    BatchWriteAboveRead {
        /// The write batch size.
        write: i64,
        /// Where it came from.
        write_origin: Origin,
        /// The read batch size.
        read: i64,
        /// Where it came from.
        read_origin: Origin,
    },
    /// A `Mappings` value the writer would refuse at init.
    #[error("{key} (from {origin}) is refused: {message}")]
    BadMappings {
        /// The parameter.
        key: Name,
        /// Where the value came from.
        origin: Origin,
        /// The compiler's message: the mapping, the member or the pattern's column, and what is allowed.
        message: String,
    },
    /// `RecordFormat = mapping` with no mappings.
    #[error(
        "RecordFormat = mapping (from {origin}) needs Mappings, the patterns that turn events into vertices and edges (docs/writer.md, Mappings); add them under `Mappings:` or set RecordFormat to auto"
    )]
    MappingsMissing {
        /// Where RecordFormat came from.
        origin: Origin,
    },
    /// Mappings given while the writer would not read them.
    #[error(
        "Mappings (from {origin}) are set but RecordFormat is auto (from {format_origin}), so the writer would not use them; set RecordFormat to mapping, or remove Mappings"
    )]
    MappingsUnused {
        /// Where Mappings came from.
        origin: Origin,
        /// Where RecordFormat came from.
        format_origin: Origin,
    },
    /// The writer's environment above Lambda's limit.
    #[error(
        "the writer's environment would take about {bytes} bytes, above Lambda's limit of {limit} bytes for all its variables together; Mappings take {mappings} of them: shorten the patterns (fewer or shorter names, `*` instead of a long list) or split the events over two stacks"
    )]
    WriterEnvironmentTooLarge {
        /// The estimated size: names and values, the stack's own values counted at their largest.
        bytes: usize,
        /// Lambda's limit.
        limit: usize,
        /// The bytes of the MAPPINGS value.
        mappings: usize,
    },
    /// `FunctionTimeout` too short for the writer to make one write attempt.
    #[error(
        "FunctionTimeout = {timeout} (from {origin}) leaves no time to write: the writer keeps its deadline margin of {margin_ms} ms (DEADLINE_MARGIN_MS) to answer Lambda, and one write attempt may take {attempt_ms} ms (REQUEST_TIMEOUT_MS); set FunctionTimeout to at least {minimum} seconds"
    )]
    FunctionTimeoutTooShort {
        /// The timeout in seconds.
        timeout: i64,
        /// Where it came from.
        origin: Origin,
        /// The writer's deadline margin.
        margin_ms: u64,
        /// The writer's request timeout.
        attempt_ms: u64,
        /// The smallest timeout accepted, in seconds.
        minimum: i64,
    },
    /// An `AlarmTopicArn` outside the stack's region or partition.
    #[error(
        "AlarmTopicArn = `{value}` (from {origin}) is not a topic of {region}: CloudWatch alarms publish only to an SNS topic in their own region; give a topic ARN of the form arn:{partition}:sns:{region}:<account>:<name>, or leave AlarmTopicArn empty for the stack's own topic"
    )]
    AlarmTopicElsewhere {
        /// The ARN as given.
        value: String,
        /// Where it came from.
        origin: Origin,
        /// The stack's region.
        region: String,
        /// The region's partition.
        partition: String,
    },
    /// Both `AlarmEmail` and `AlarmTopicArn`.
    #[error(
        "AlarmEmail = `{email}` (from {email_origin}) is set together with AlarmTopicArn = `{arn}` (from {arn_origin}): the stack subscribes an e-mail address to its own topic only; subscribe the address to your topic yourself and leave AlarmEmail empty, or leave AlarmTopicArn empty"
    )]
    AlarmEmailWithTopicArn {
        /// The address.
        email: String,
        /// Where it came from.
        email_origin: Origin,
        /// The topic ARN.
        arn: String,
        /// Where it came from.
        arn_origin: Origin,
    },
    /// Serverless minimum capacity above the maximum.
    #[error(
        "DbServerlessMinCapacity = {min} (from {min_origin}) is above DbServerlessMaxCapacity = {max} (from {max_origin}): the minimum must be at most the maximum"
    )]
    ServerlessMinAboveMax {
        /// The minimum capacity.
        min: f64,
        /// Where it came from.
        min_origin: Origin,
        /// The maximum capacity.
        max: f64,
        /// Where it came from.
        max_origin: Origin,
    },
    /// The two subnets' AZ IDs: one set without the other, or both the same.
    #[error(
        "AvailabilityZoneId1 = `{first}` (from {first_origin}) and AvailabilityZoneId2 = `{second}` (from {second_origin}): set both, to two different AZ IDs (the writer and the replica each get one), or neither (`deploy` then picks two that offer the stack's instance classes)"
    )]
    AvailabilityZonePair {
        /// AvailabilityZoneId1.
        first: String,
        /// Where it came from.
        first_origin: Origin,
        /// AvailabilityZoneId2.
        second: String,
        /// Where it came from.
        second_origin: Origin,
    },
}

fn suggest(suggestion: &Option<&'static str>) -> String {
    suggestion
        .map(|name| format!(" (did you mean `{name}`?)"))
        .unwrap_or_default()
}

/// A list of problems, displayed one per line.
#[derive(Debug, Clone, PartialEq)]
pub struct Problems(pub Vec<Problem>);

impl fmt::Display for Problems {
    /// One problem as it is; several one per line, with the known regions listed once at the end however many
    /// regions are unknown.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.as_slice() {
            [one] => write!(f, "{one}"),
            many => {
                write!(f, "{} problems:", many.len())?;
                let mut known_regions = None;
                for problem in many {
                    match problem {
                        Problem::UnknownRegion {
                            region,
                            layer,
                            suggestion,
                            known,
                        } => {
                            write!(
                                f,
                                "\n  - unknown region `{region}` in {layer}{}",
                                suggest(suggestion)
                            )?;
                            known_regions = Some(known);
                        }
                        other => write!(f, "\n  - {other}")?,
                    }
                }
                if let Some(known) = known_regions {
                    write!(f, "\nknown regions: {known}")?;
                }
                Ok(())
            }
        }
    }
}

/// Errors of reading the config and resolving a plan.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The config file could not be read.
    #[error("cannot read config file {} (pass --config PATH to use another file)", path.display())]
    ReadConfig {
        /// The config path.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The config path names a device, a pipe or a folder rather than a file.
    #[error("config file {} is not a regular file; pass --config PATH with a stack.yaml file", path.display())]
    ConfigNotAFile {
        /// The config path.
        path: PathBuf,
    },
    /// The config file is larger than any stack.yaml.
    #[error("config file {} is larger than {limit} bytes, too large for a stack.yaml; pass --config PATH with the right file", path.display())]
    ConfigTooLarge {
        /// The config path.
        path: PathBuf,
        /// The limit in bytes.
        limit: u64,
    },
    /// The config file is not YAML of the expected shape.
    #[error("config file {} is not valid: {message}; it must hold `defaults:` and `regions:` mappings", path.display())]
    ParseConfig {
        /// The config path.
        path: PathBuf,
        /// The parser's message, with its line and column.
        message: String,
    },
    /// A key written twice in one mapping of the config file.
    #[error(
        "config file {}: `{key}` is written twice in the same mapping, {}; keep one of them",
        path.display(),
        if first == second { format!("on line {first}") } else { format!("at lines {first} and {second}") }
    )]
    DuplicateKey {
        /// The config path.
        path: PathBuf,
        /// The key.
        key: String,
        /// The line of its first occurrence (1-based).
        first: usize,
        /// The line of the second.
        second: usize,
    },
    /// The configuration, a `--set` or a region's resolved parameters are invalid.
    #[error("{context}: {problems}")]
    Invalid {
        /// What was invalid: the config path, `--set`, or `region <name>`.
        context: String,
        /// Everything found wrong.
        problems: Problems,
    },
    /// `regions:` of the config is empty and no region was asked for.
    #[error("{} lists no regions under `regions:`; add one or pass --region REGION", path.display())]
    NoRegions {
        /// The config path.
        path: PathBuf,
    },
}

/// Result alias of the plan library.
pub type Result<T, E = Error> = std::result::Result<T, E>;
