//! Turns the layered text values for one region into the typed [`Plan`] every command uses: types every value,
//! decides what is in scope, derives ShardCount, checks cross-field rules and collects warnings.

use stream2neptune_writer_environment as writer_env;

use crate::catalog::{self, BuiltIn, CATALOG, Name, Param, Scope};
use crate::config::{self, Layer, StackConfig};
use crate::error::{Error, Problem, Problems, Result};
use crate::origin::Origin;
use crate::parse::parse;
use crate::plan::{Derived, Mode, Plan, ResolvedParam};
use crate::values::{OnFailureDestination, ParamValue, QueryLanguage, RecordFormat, StreamMode};
use crate::{regions, sizing};

/// Resolves and validates `region`: built-in default < config defaults < region overrides < `sets`.
///
/// Every problem found is reported at once, in an [`Error::Invalid`] naming the region.
pub fn resolve(config: &StackConfig, region: &str, sets: &Layer) -> Result<Plan> {
    let invalid = |problems| Error::Invalid {
        context: format!("region {region}"),
        problems: Problems(problems),
    };
    let Some(partition) = regions::partition(region) else {
        return Err(invalid(vec![config::unknown_region(region, "--region")]));
    };
    let mut layers = config.layers_for(region);
    layers.push((Origin::Set, sets));
    let mut typed: Vec<Typed> = CATALOG
        .iter()
        .map(|param| Typed::new(param, &layers, region))
        .collect();

    let mode = structure(&typed, region);
    let writer = Writer::of(&typed, &mode, region);
    let recommended_shards = sizing::recommended_shards(writer.vcpus);

    let mut problems = Vec::new();
    let mut warnings = Vec::new();
    for entry in &mut typed {
        entry.in_scope = mode.declares(entry.param.scope);
        check_entry(entry, region, &mut problems, &mut warnings);
    }

    let shards = find_mut(&mut typed, Name::ShardCount);
    if shards.origin == Origin::Derived {
        shards.value = Some(ParamValue::Integer(i64::from(recommended_shards)));
    } else if let Some(count) = shards.value.as_ref().and_then(ParamValue::as_i64)
        && shards.in_scope
        && count > i64::from(recommended_shards)
    {
        warnings.push(format!(
            "region {region}: ShardCount = {count} (from {}) is above {recommended_shards}, {} x the {} vCPUs of {}; the guidance is no more than 2 x the number of vCPUs on the Neptune writer, because every shard adds a concurrent writer",
            shards.origin,
            sizing::SHARDS_PER_VCPU,
            writer.vcpus,
            writer.description
        ));
    }
    let retention = find(&typed, Name::StreamRetentionHours)
        .value
        .as_ref()
        .and_then(ParamValue::as_i64)
        .unwrap_or_else(|| {
            builtin_value(Name::StreamRetentionHours.param(), region)
                .as_i64()
                .expect("a whole number")
        });
    let max_age = find_mut(&mut typed, Name::MaximumRecordAgeInSeconds);
    if max_age.origin == Origin::Derived {
        max_age.value = Some(ParamValue::Integer(catalog::record_age_below_retention(
            retention,
        )));
    }
    loss_warnings(&typed, region, &mode, retention, &mut warnings);
    cross_checks(&typed, mode.serverless, &mut problems);
    if !mode.existing_cluster {
        availability_zone_check(&typed, &mut problems);
    }
    alarm_checks(&typed, region, partition, &mut problems);
    concurrency_checks(&typed, region, &mode, &mut problems, &mut warnings);
    mapping_checks(&typed, &mut problems);
    environment_size_check(&typed, &mut problems);
    if !problems.is_empty() {
        return Err(invalid(problems));
    }

    let params: Vec<ResolvedParam> = typed
        .into_iter()
        .map(|t| ResolvedParam {
            // No value and no problem reported: an out-of-scope default kept as written.
            value: t
                .value
                .or_else(|| t.text.map(ParamValue::Text))
                .expect("every parameter has a value once ShardCount is derived"),
            param: t.param,
            origin: t.origin,
            in_scope: t.in_scope,
        })
        .collect();
    let value = |name: Name| {
        &params
            .iter()
            .find(|p| p.param.name == name)
            .expect("catalog name")
            .value
    };
    let max_concurrent_batches = if mode.on_demand {
        0
    } else {
        let shards = value(Name::ShardCount).as_i64().expect("validated");
        let factor = value(Name::ParallelizationFactor)
            .as_i64()
            .expect("validated");
        u32::try_from(shards * factor).expect("at most 500 x 10")
    };
    let batch_read_size = u32::try_from(value(Name::BatchReadSize).as_i64().expect("validated"))
        .expect("within 1..=10000");
    let aggregated_batch_size = crate::aggregation::event_source_batch_size(batch_read_size, true);
    let mode = Mode {
        query_language: QueryLanguage::parse(&value(Name::QueryLanguage).to_string())
            .expect("a validated choice"),
        ..mode
    };

    Ok(Plan {
        region: region.to_owned(),
        partition,
        params,
        mode,
        derived: Derived {
            writer_vcpus: writer.vcpus,
            recommended_shards,
            max_concurrent_batches,
            aggregated_batch_size,
        },
        warnings,
    })
}

impl Mode {
    /// Whether a parameter of `scope` is declared under this mode.
    fn declares(&self, scope: Scope) -> bool {
        match scope {
            Scope::All => true,
            Scope::NewCluster => !self.existing_cluster,
            Scope::ExistingCluster => self.existing_cluster,
            Scope::Provisioned => !self.on_demand,
            Scope::Serverless => self.serverless,
            Scope::KeyPair => self.key_pair,
            Scope::OnFailureBucket => self.on_failure_destination == OnFailureDestination::S3,
            Scope::RenderTime => false,
        }
    }
}

/// The structural choices. An invalid structural value counts as its built-in default here; its problem is
/// reported by [`check_entry`].
fn structure(typed: &[Typed], region: &str) -> Mode {
    let value = |name: Name| value_or_builtin(typed, name, region);
    let existing_cluster = value(Name::UseExistingCluster).as_str() == Some("true");
    Mode {
        existing_cluster,
        on_demand: value(Name::StreamMode).as_str() == Some(StreamMode::OnDemand.as_str()),
        // Settled once the value is validated (a bad one is reported by `check_entry`).
        query_language: value(Name::QueryLanguage)
            .as_str()
            .and_then(QueryLanguage::parse)
            .unwrap_or(QueryLanguage::Gremlin),
        serverless: !existing_cluster
            && value(Name::DbInstanceType).as_str() == Some(sizing::SERVERLESS),
        key_pair: value(Name::EC2KeyPairName)
            .as_str()
            .is_some_and(|name| !name.is_empty()),
        audit_log: !existing_cluster && value(Name::NeptuneAuditLog).as_str() == Some("true"),
        on_failure_destination: value(Name::OnFailureDestination)
            .as_str()
            .and_then(OnFailureDestination::parse)
            .unwrap_or(OnFailureDestination::S3),
    }
}

/// The Neptune writer as far as shard sizing is concerned.
struct Writer {
    vcpus: u32,
    /// How the vCPUs were found, for the ShardCount warning.
    description: String,
}

impl Writer {
    fn of(typed: &[Typed], mode: &Mode, region: &str) -> Self {
        let value = |name: Name| value_or_builtin(typed, name, region);
        if mode.existing_cluster {
            Writer {
                vcpus: sizing::EXISTING_CLUSTER_ASSUMED_VCPUS,
                description: "the existing cluster's writer (assumed)".to_owned(),
            }
        } else if mode.serverless {
            let ncus = value(Name::DbServerlessMaxCapacity)
                .as_f64()
                .expect("capacities are numbers");
            Writer {
                vcpus: sizing::serverless_vcpus(ncus),
                description: format!(
                    "db.serverless at DbServerlessMaxCapacity {ncus} NCUs (assumed {} NCUs per vCPU)",
                    sizing::SERVERLESS_NCUS_PER_VCPU
                ),
            }
        } else {
            let name = value(Name::DbInstanceType).to_string();
            Writer {
                vcpus: sizing::db_vcpus(&name).expect("a validated or built-in fixed-size class"),
                description: name,
            }
        }
    }
}

/// Reports an entry's problem (or its missing required value) when it matters, and warns about values set for
/// a region where they are not used.
fn check_entry(
    entry: &mut Typed,
    region: &str,
    problems: &mut Vec<Problem>,
    warnings: &mut Vec<String>,
) {
    let text_is_empty = entry.text.as_deref().is_some_and(str::is_empty);
    if entry.in_scope && entry.param.required && text_is_empty {
        problems.push(Problem::MissingExistingSetting {
            key: entry.param.name,
            expected: entry.param.kind.allowed(),
        });
        return;
    }
    // Out-of-scope built-in or empty values are never looked at (the existing-cluster ones are empty).
    if !entry.in_scope && (entry.origin == Origin::BuiltIn || text_is_empty) {
        return;
    }
    if let Some(problem) = entry.problem.take() {
        problems.push(problem);
    }
    if !entry.in_scope
        && entry.param.scope != Scope::RenderTime
        && matches!(entry.origin, Origin::Region | Origin::Set)
    {
        warnings.push(format!(
            "region {region}: {} = {} (from {}) is ignored: it is used only when {}",
            entry.param.name,
            entry.text.as_deref().unwrap_or_default(),
            entry.origin,
            entry.param.scope.describe()
        ));
    }
}

/// Warns about event source mapping settings that discard records: a finite MaximumRetryAttempts
/// (what is discarded and where it goes), and a MaximumRecordAgeInSeconds the stream's retention
/// outlives (records dropped by the stream, unseen by the on-failure destination).
fn loss_warnings(
    typed: &[Typed],
    region: &str,
    mode: &Mode,
    retention_hours: i64,
    warnings: &mut Vec<String>,
) {
    let integer = |name: Name| with_origin(typed, name, ParamValue::as_i64);
    if let Some((retries, origin)) = integer(Name::MaximumRetryAttempts)
        && retries >= 0
    {
        let read = integer(Name::BatchReadSize).map_or(0, |(n, _)| n);
        let kept = match mode.on_failure_destination {
            OnFailureDestination::S3 => {
                "the whole batch's payload goes to the on-failure bucket (OnFailureBucket), where `redrive` reads it back"
            }
            OnFailureDestination::Sqs => {
                "only their shard and sequence range go to the on-failure queue (OnFailureQueue), so they are lost once the stream's retention passes"
            }
        };
        warnings.push(format!(
            "region {region}: MaximumRetryAttempts = {retries} (from {origin}) discards data from the stream: once a batch's first unwritten record has failed {} invocations (an outage, a failover, a broken policy or endpoint), Lambda drops that record and every record after it in the batch (up to BatchReadSize = {read}) from the stream, and {kept}; -1, the default, keeps them in the stream until MaximumRecordAgeInSeconds",
            retries + 1
        ));
    }
    let retention_secs = retention_hours * 3_600;
    if let Some((age, origin)) = integer(Name::MaximumRecordAgeInSeconds)
        && origin != Origin::Derived
        && (age == -1 || age >= retention_secs)
    {
        let setting = if age == -1 {
            "-1 (no limit)".to_owned()
        } else {
            age.to_string()
        };
        warnings.push(format!(
            "region {region}: MaximumRecordAgeInSeconds = {setting} (from {origin}) is not below the stream's retention of {retention_secs} s (StreamRetentionHours = {retention_hours}): a record that cannot be written is dropped by the stream before it is sent to the on-failure destination; the default, {}, is just below it",
            catalog::record_age_below_retention(retention_hours)
        ));
    }
}

/// Rules across parameters: BatchWriteSize <= BatchReadSize, serverless min <= max, and a
/// FunctionTimeout that leaves the writer time for one write attempt.
fn cross_checks(typed: &[Typed], serverless: bool, problems: &mut Vec<Problem>) {
    let number = |name: Name| with_origin(typed, name, ParamValue::as_f64);
    if let (Some((write, write_origin)), Some((read, read_origin))) =
        (number(Name::BatchWriteSize), number(Name::BatchReadSize))
        && write > read
    {
        problems.push(Problem::BatchWriteAboveRead {
            write: write as i64,
            write_origin,
            read: read as i64,
            read_origin,
        });
    }
    // The writer's defaults: the template sets neither variable.
    let margin_ms = writer_env::DEADLINE_MARGIN_MS.default;
    let attempt_ms = writer_env::REQUEST_TIMEOUT_MS.default;
    if let Some((timeout, origin)) = number(Name::FunctionTimeout)
        && timeout * 1000.0 <= (margin_ms + attempt_ms) as f64
    {
        problems.push(Problem::FunctionTimeoutTooShort {
            timeout: timeout as i64,
            origin,
            margin_ms,
            attempt_ms,
            minimum: ((margin_ms + attempt_ms) / 1000 + 1) as i64,
        });
    }
    if serverless
        && let (Some((min, min_origin)), Some((max, max_origin))) = (
            number(Name::DbServerlessMinCapacity),
            number(Name::DbServerlessMaxCapacity),
        )
        && min > max
    {
        problems.push(Problem::ServerlessMinAboveMax {
            min,
            min_origin,
            max,
            max_origin,
        });
    }
}

/// RecordFormat and Mappings together: `mapping` needs mappings, and mappings are read only with `mapping`.
fn mapping_checks(typed: &[Typed], problems: &mut Vec<Problem>) {
    let text = |name: Name| with_origin(typed, name, |value| value.as_str().map(str::to_owned));
    let (Some((format, format_origin)), Some((mappings, origin))) =
        (text(Name::RecordFormat), text(Name::Mappings))
    else {
        return;
    };
    match (RecordFormat::parse(&format), mappings.is_empty()) {
        (Some(RecordFormat::Mapping), true) => problems.push(Problem::MappingsMissing {
            origin: format_origin,
        }),
        (Some(RecordFormat::Auto), false) => problems.push(Problem::MappingsUnused {
            origin,
            format_origin,
        }),
        _ => {}
    }
}

/// The bytes assumed for each value the stack itself gives the writer (its endpoint, port, queue URL, cluster id):
/// a Neptune cluster endpoint or an SQS queue URL is about 100.
const DEPLOYMENT_VALUE_BYTES: usize = 128;

/// The writer's environment (every name and value the stack sets) within Lambda's limit: the mappings are the one
/// value that can grow near it.
fn environment_size_check(typed: &[Typed], problems: &mut Vec<Problem>) {
    let mut bytes = 0;
    let mut mappings = 0;
    for variable in writer_env::VARIABLES {
        let value = match variable.set().stack {
            writer_env::Source::Unset => continue,
            writer_env::Source::Deployment => DEPLOYMENT_VALUE_BYTES,
            writer_env::Source::Parameter(parameter) => {
                let name = catalog::find(parameter)
                    .expect("the environment table names catalog parameters")
                    .name;
                let entry = find(typed, name);
                let len = entry.text.as_deref().map_or(0, str::len);
                if name == Name::Mappings {
                    mappings = len;
                }
                len
            }
        };
        bytes += variable.name().len() + value;
    }
    if bytes > writer_env::LAMBDA_ENVIRONMENT_LIMIT_BYTES {
        problems.push(Problem::WriterEnvironmentTooLarge {
            bytes,
            limit: writer_env::LAMBDA_ENVIRONMENT_LIMIT_BYTES,
            mappings,
        });
    }
}

/// The two subnets' AZ IDs: both empty, or two different ones (the template's rule says the same).
fn availability_zone_check(typed: &[Typed], problems: &mut Vec<Problem>) {
    let id = |name: Name| {
        with_origin(typed, name, |value| match value {
            ParamValue::Text(text) => Some(text.clone()),
            _ => None,
        })
    };
    let (Some((first, first_origin)), Some((second, second_origin))) =
        (id(Name::AvailabilityZoneId1), id(Name::AvailabilityZoneId2))
    else {
        return;
    };
    if first.is_empty() != second.is_empty() || (!first.is_empty() && first == second) {
        problems.push(Problem::AvailabilityZonePair {
            first,
            first_origin,
            second,
            second_origin,
        });
    }
}

/// The alarm topic: an `AlarmTopicArn` in the stack's region and partition (CloudWatch publishes only to a topic of
/// its own region), and no `AlarmEmail` beside it (the stack subscribes the address to its own topic only).
fn alarm_checks(typed: &[Typed], region: &str, partition: &str, problems: &mut Vec<Problem>) {
    let text = |name: Name| {
        with_origin(typed, name, |value| {
            value
                .as_str()
                .filter(|text| !text.is_empty())
                .map(str::to_owned)
        })
    };
    let Some((arn, arn_origin)) = text(Name::AlarmTopicArn) else {
        return;
    };
    // arn:<partition>:sns:<region>:<account>:<name>, already matched against the catalog's pattern.
    let fields: Vec<&str> = arn.split(':').collect();
    if fields[1] != partition || fields[3] != region {
        problems.push(Problem::AlarmTopicElsewhere {
            value: arn.clone(),
            origin: arn_origin,
            region: region.to_owned(),
            partition: partition.to_owned(),
        });
    }
    if let Some((email, email_origin)) = text(Name::AlarmEmail) {
        problems.push(Problem::AlarmEmailWithTopicArn {
            email,
            email_origin,
            arn,
            arn_origin,
        });
    }
}

/// ReservedConcurrency against the account quota (an error above quota - 100), and advice when the reservation or
/// the quota is below what the event source mapping may run at once.
fn concurrency_checks(
    typed: &[Typed],
    region: &str,
    mode: &Mode,
    problems: &mut Vec<Problem>,
    warnings: &mut Vec<String>,
) {
    let integer = |name: Name| with_origin(typed, name, ParamValue::as_i64);
    let (Some((reserved, reserved_origin)), Some((quota, quota_origin))) = (
        integer(Name::ReservedConcurrency),
        integer(Name::AccountConcurrencyQuota),
    ) else {
        return;
    };
    let max = sizing::max_reserved_concurrency(u32::try_from(quota).unwrap_or(u32::MAX));
    if reserved > i64::from(max) {
        problems.push(Problem::ReservedAboveQuota {
            reserved,
            reserved_origin,
            quota,
            quota_origin,
            max,
        });
        return;
    }
    let batches = match (
        integer(Name::ShardCount),
        integer(Name::ParallelizationFactor),
    ) {
        (Some((shards, _)), Some((factor, _))) if !mode.on_demand => Some(shards * factor),
        _ => None,
    };
    if reserved == 0 {
        warnings.push(format!(
            "region {region}: ReservedConcurrency = 0 (from {reserved_origin}) stops the writer: no invocation runs until it is raised"
        ));
    } else if let Some(batches) = batches.filter(|b| reserved > 0 && reserved < *b) {
        warnings.push(format!(
            "region {region}: ReservedConcurrency = {reserved} (from {reserved_origin}) is below the {batches} batches the event source mapping runs at once (ShardCount x ParallelizationFactor); the extra batches are throttled and retried"
        ));
    } else if let Some(batches) = batches.filter(|b| reserved == -1 && *b > quota) {
        warnings.push(format!(
            "region {region}: the event source mapping runs up to {batches} batches at once (ShardCount x ParallelizationFactor), above AccountConcurrencyQuota = {quota} (from {quota_origin}); raise the quota or lower either setting"
        ));
    }
}

fn find(typed: &[Typed], name: Name) -> &Typed {
    typed
        .iter()
        .find(|t| t.param.name == name)
        .expect("a catalog name")
}

/// `name`'s value, or its built-in default in `region` when it has none (a derived or invalid one).
fn value_or_builtin(typed: &[Typed], name: Name, region: &str) -> ParamValue {
    let entry = find(typed, name);
    entry
        .value
        .clone()
        .unwrap_or_else(|| builtin_value(entry.param, region))
}

/// `name`'s value as `read` takes it (e.g. [`ParamValue::as_i64`]) and where it came from; `None` when it has no
/// value or `read` refuses it.
fn with_origin<'t, T>(
    typed: &'t [Typed],
    name: Name,
    read: impl FnOnce(&'t ParamValue) -> Option<T>,
) -> Option<(T, Origin)> {
    let entry = find(typed, name);
    entry
        .value
        .as_ref()
        .and_then(read)
        .map(|v| (v, entry.origin))
}

fn find_mut(typed: &mut [Typed], name: Name) -> &mut Typed {
    typed
        .iter_mut()
        .find(|t| t.param.name == name)
        .expect("a catalog name")
}

/// One parameter while resolving: its winning text, its typed value or the problem with it.
struct Typed {
    param: &'static Param,
    /// The winning text; `None` when the value is derived.
    text: Option<String>,
    origin: Origin,
    value: Option<ParamValue>,
    problem: Option<Problem>,
    in_scope: bool,
}

impl Typed {
    fn new(param: &'static Param, layers: &[(Origin, &Layer)], region: &str) -> Self {
        let (text, origin) = layers
            .iter()
            .rev()
            .find_map(|(origin, layer)| {
                layer
                    .get(&param.name)
                    .map(|text| (Some(text.clone()), *origin))
            })
            .unwrap_or_else(|| match param.default {
                BuiltIn::Value(text) => (Some(text.to_owned()), Origin::BuiltIn),
                BuiltIn::Preferred(offering) => (
                    offering.default_for(region).map(str::to_owned),
                    Origin::BuiltIn,
                ),
                BuiltIn::ShardsFromWriter | BuiltIn::RecordAgeFromRetention => {
                    (None, Origin::Derived)
                }
            });
        let (value, problem) = match text
            .as_deref()
            .map(|text| parse(param, text, origin, region))
        {
            Some(Ok(value)) => (Some(value), None),
            Some(Err(problem)) => (None, Some(problem)),
            None => (None, None),
        };
        Typed {
            param,
            text,
            origin,
            value,
            problem,
            in_scope: false,
        }
    }
}

/// The typed built-in default, used for structural decisions when a configured value is invalid (its problem is
/// reported anyway).
fn builtin_value(param: &'static Param, region: &str) -> ParamValue {
    let text = match param.default {
        BuiltIn::Value(text) => text,
        BuiltIn::Preferred(offering) => offering
            .default_for(region)
            .expect("every known region offers each kind (tested)"),
        BuiltIn::ShardsFromWriter | BuiltIn::RecordAgeFromRetention => {
            unreachable!("derived parameters are not structural")
        }
    };
    parse(param, text, Origin::BuiltIn, region).expect("built-in defaults are valid (tested)")
}
