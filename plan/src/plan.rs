//! The resolved plan of one region: every parameter typed, with its origin and scope, the structural choices, the
//! derived values and the warnings; typed accessors for what the commands and local mode read from it.

use std::time::Duration;

use serde::Serialize;

use crate::catalog::{Name, Param};
use crate::error::{Error, Problem, Problems};
use crate::origin::Origin;
use crate::values::{
    Architecture, GremlinBatchForm, GremlinUpsertStyle, OnFailureDestination, ParamValue,
    QueryLanguage, StartingPosition, StreamMode,
};

/// One parameter of a resolved region.
#[derive(Debug, Clone, PartialEq)]
pub struct ResolvedParam {
    /// The catalog entry.
    pub param: &'static Param,
    /// The typed value.
    pub value: ParamValue,
    /// Where the value came from.
    pub origin: Origin,
    /// Whether the rendered stack declares the parameter (see [`crate::catalog::Scope`]).
    pub in_scope: bool,
}

/// Structural choices made at render time (the contract's `mode`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Mode {
    /// The stack writes to an existing cluster and creates no VPC and no cluster.
    pub existing_cluster: bool,
    /// The stream is on-demand: no ShardCount.
    pub on_demand: bool,
    /// gremlin, sparql or opencypher.
    pub query_language: QueryLanguage,
    /// The new cluster is serverless.
    pub serverless: bool,
    /// The driver gets an EC2 key pair.
    pub key_pair: bool,
    /// The new cluster exports its audit log to a log group of the stack.
    pub audit_log: bool,
    /// Where the event source mapping sends a batch it gives up on: the stack creates that bucket or queue only.
    pub on_failure_destination: OnFailureDestination,
}

/// Values computed from the parameters (the contract's `derived`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Derived {
    /// vCPUs of the writer, from the sizing table or its documented assumptions.
    pub writer_vcpus: u32,
    /// 2 x `writer_vcpus`, capped at the Kinesis maximum.
    pub recommended_shards: u32,
    /// The most batches the event source mapping runs at once: ShardCount x ParallelizationFactor, or 0 (no fixed
    /// bound) in on-demand mode.
    pub max_concurrent_batches: u32,
    /// The event source mapping's BatchSize when DriverAggregation is on: aggregated records holding about
    /// BatchReadSize edges ([`crate::aggregation::event_source_batch_size`]).
    pub aggregated_batch_size: u32,
}

/// Everything every command needs for one region, built in one place by [`crate::resolve()`].
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// The region, e.g. `us-east-1`.
    pub region: String,
    /// Its partition, e.g. `aws`.
    pub partition: &'static str,
    /// Every catalog parameter in catalog order, in scope or not.
    pub params: Vec<ResolvedParam>,
    /// Structural choices.
    pub mode: Mode,
    /// Derived values.
    pub derived: Derived,
    /// Non-fatal advice for stderr (ShardCount above the guidance, ignored settings).
    pub warnings: Vec<String>,
}

impl Plan {
    /// The parameters the rendered stack declares, in catalog order.
    pub fn in_scope(&self) -> impl Iterator<Item = &ResolvedParam> {
        self.params.iter().filter(|p| p.in_scope)
    }

    /// A parameter (every catalog parameter is in the plan, in scope or not).
    pub fn get(&self, name: Name) -> &ResolvedParam {
        // `params` holds the catalog in catalog order (built by `resolve`), and `Name` is the catalog's index.
        let param = &self.params[name as usize];
        debug_assert_eq!(param.param.name, name);
        param
    }

    /// Sets an artifact key (`FunctionCodeKey`, `DriverCodeKey` or `NotebooksKeyPrefix`) found by packaging, as a
    /// `--set` would: checked against the catalog, with origin `--set`. Nothing in the plan is derived from these
    /// keys, so the rest of the plan stays as resolved.
    pub fn set_artifact_key(&mut self, name: Name, key: &str) -> Result<(), Error> {
        assert!(
            matches!(
                name,
                Name::FunctionCodeKey | Name::DriverCodeKey | Name::NotebooksKeyPrefix
            ),
            "{name} is not an artifact key"
        );
        self.set(name, key, Origin::Set)
    }

    /// Sets the two private subnets' AZ IDs `deploy` chose from what AWS offers (`AvailabilityZoneId1` and
    /// `AvailabilityZoneId2`, origin derived), or kept from the deployed stack. Nothing in the plan is derived from
    /// them.
    pub fn set_availability_zones(&mut self, ids: [&str; 2]) -> Result<(), Error> {
        self.set(Name::AvailabilityZoneId1, ids[0], Origin::Derived)?;
        self.set(Name::AvailabilityZoneId2, ids[1], Origin::Derived)
    }

    /// Sets one value, checked against the catalog, as coming from `origin`.
    fn set(&mut self, name: Name, text: &str, origin: Origin) -> Result<(), Error> {
        let region = self.region.clone();
        let param = &mut self.params[name as usize];
        param.value = crate::parse::parse(param.param, text, origin, &region).map_err(
            |problem: Problem| Error::Invalid {
                context: format!("region {region}"),
                problems: Problems(vec![problem]),
            },
        )?;
        param.origin = origin;
        Ok(())
    }

    fn integer(&self, name: Name) -> i64 {
        self.get(name)
            .value
            .as_i64()
            .unwrap_or_else(|| panic!("{name} is a whole number once resolved"))
    }

    /// A count the catalog keeps non-negative (its minimum is at least 0).
    fn count(&self, name: Name) -> u32 {
        u32::try_from(self.integer(name))
            .unwrap_or_else(|_| panic!("{name} is within its catalog range"))
    }

    /// A `-1 = no limit` value as `None`.
    fn limit(&self, name: Name) -> Option<u32> {
        let value = self.integer(name);
        (value != -1).then(|| u32::try_from(value).expect("within its catalog range"))
    }

    fn text(&self, name: Name) -> &str {
        self.get(name)
            .value
            .as_str()
            .unwrap_or_else(|| panic!("{name} is text once resolved"))
    }

    fn flag(&self, name: Name) -> bool {
        self.text(name) == "true"
    }

    fn choice<T>(&self, name: Name, parse: fn(&str) -> Option<T>) -> T {
        parse(self.text(name)).unwrap_or_else(|| panic!("{name} is one of its catalog choices"))
    }

    /// `StreamMode`.
    pub fn stream_mode(&self) -> StreamMode {
        self.choice(Name::StreamMode, StreamMode::parse)
    }

    /// `ShardCount` (derived from the writer unless set; not declared for an on-demand stream).
    pub fn shard_count(&self) -> u32 {
        self.count(Name::ShardCount)
    }

    /// `StreamRetentionHours`.
    pub fn stream_retention_hours(&self) -> u32 {
        self.count(Name::StreamRetentionHours)
    }

    /// `QueryLanguage`.
    pub fn query_language(&self) -> QueryLanguage {
        self.mode.query_language
    }

    /// `GremlinUpsertStyle`.
    pub fn gremlin_upsert_style(&self) -> GremlinUpsertStyle {
        self.choice(Name::GremlinUpsertStyle, GremlinUpsertStyle::parse)
    }

    /// `GremlinBatchForm`.
    pub fn gremlin_batch_form(&self) -> GremlinBatchForm {
        self.choice(Name::GremlinBatchForm, GremlinBatchForm::parse)
    }

    /// `ConditionalCreate`.
    pub fn conditional_create(&self) -> bool {
        self.flag(Name::ConditionalCreate)
    }

    /// `IamAuth`.
    pub fn iam_auth(&self) -> bool {
        self.flag(Name::IamAuth)
    }

    /// `BatchReadSize`: edges per invocation, about (the event source mapping's BatchSize counts Kinesis
    /// records: see [`Plan::event_source_batch_size`]).
    pub fn batch_read_size(&self) -> u32 {
        self.count(Name::BatchReadSize)
    }

    /// The event source mapping's BatchSize: BatchReadSize, or with DriverAggregation the aggregates that hold
    /// about BatchReadSize edges ([`crate::aggregation::event_source_batch_size`]).
    pub fn event_source_batch_size(&self) -> u32 {
        crate::aggregation::event_source_batch_size(
            self.batch_read_size(),
            self.driver_aggregation(),
        )
    }

    /// `BatchWriteSize`: records per Neptune transaction.
    pub fn batch_write_size(&self) -> u32 {
        self.count(Name::BatchWriteSize)
    }

    /// `WriteConcurrency`.
    pub fn write_concurrency(&self) -> u32 {
        self.count(Name::WriteConcurrency)
    }

    /// `StartingPosition`.
    pub fn starting_position(&self) -> StartingPosition {
        self.choice(Name::StartingPosition, StartingPosition::parse)
    }

    /// `ParallelizationFactor`.
    pub fn parallelization_factor(&self) -> u32 {
        self.count(Name::ParallelizationFactor)
    }

    /// `BisectBatchOnFunctionError`.
    pub fn bisect_batch_on_function_error(&self) -> bool {
        self.flag(Name::BisectBatchOnFunctionError)
    }

    /// `MaximumRetryAttempts`; `None` is -1 (retry until the record expires).
    pub fn maximum_retry_attempts(&self) -> Option<u32> {
        self.limit(Name::MaximumRetryAttempts)
    }

    /// `MaximumRecordAgeInSeconds`; `None` is -1 (no limit).
    pub fn maximum_record_age(&self) -> Option<Duration> {
        self.limit(Name::MaximumRecordAgeInSeconds)
            .map(|secs| Duration::from_secs(u64::from(secs)))
    }

    /// `OnFailureDestination`: where the event source mapping sends a batch it gives up on.
    pub fn on_failure_destination(&self) -> OnFailureDestination {
        self.mode.on_failure_destination
    }

    /// `OnFailureRetentionDays`: how long the on-failure bucket keeps a failed batch (declared for the s3
    /// destination only).
    pub fn on_failure_retention_days(&self) -> u32 {
        self.count(Name::OnFailureRetentionDays)
    }

    /// `AlarmEmail`; `None` when empty (no subscription).
    pub fn alarm_email(&self) -> Option<&str> {
        Some(self.text(Name::AlarmEmail)).filter(|email| !email.is_empty())
    }

    /// `AlarmTopicArn`; `None` when empty (the stack creates its own topic).
    pub fn alarm_topic_arn(&self) -> Option<&str> {
        Some(self.text(Name::AlarmTopicArn)).filter(|arn| !arn.is_empty())
    }

    /// `FunctionTimeout`.
    pub fn function_timeout(&self) -> Duration {
        Duration::from_secs(u64::from(self.count(Name::FunctionTimeout)))
    }

    /// `FunctionArchitecture`.
    pub fn function_architecture(&self) -> Architecture {
        self.choice(Name::FunctionArchitecture, Architecture::parse)
    }

    /// `MetricsNamespace`.
    pub fn metrics_namespace(&self) -> &str {
        self.text(Name::MetricsNamespace)
    }

    /// `ArtifactBucket` as configured (empty: the default bucket of the account and region).
    pub fn artifact_bucket(&self) -> &str {
        self.text(Name::ArtifactBucket)
    }

    /// `EdgeFileS3Location` as configured (empty: the artifact bucket's data/follows.csv.gz).
    pub fn edge_file_s3_location(&self) -> &str {
        self.text(Name::EdgeFileS3Location)
    }

    /// `VertexFileS3Location` as configured (empty: the artifact bucket's data/vertices/).
    pub fn vertex_file_s3_location(&self) -> &str {
        self.text(Name::VertexFileS3Location)
    }

    /// `DriverPeriod`: the time between the driver's batches.
    pub fn driver_period(&self) -> Duration {
        Duration::from_millis(u64::from(self.count(Name::DriverPeriod)))
    }

    /// `DriverBatchSize`: edges per driver period.
    pub fn driver_batch_size(&self) -> u32 {
        self.count(Name::DriverBatchSize)
    }

    /// `DriverAggregation`: the driver puts KPL aggregates.
    pub fn driver_aggregation(&self) -> bool {
        self.flag(Name::DriverAggregation)
    }
}
