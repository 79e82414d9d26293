//! The local plan: the stream, event source mapping and writer settings of one region, read from
//! the same resolved parameters the generator renders into that region's stack.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use crate::error::{LocalError, Result};

/// A region's resolved parameters by CloudFormation name, as text (what `stream2neptune params
/// --region R` prints).
pub type Parameters = BTreeMap<String, String>;

/// Resolves `(config file, region, --set Key=Value overrides)` to the region's parameters, exactly
/// as `stream2neptune render` does. The generator crate provides it: local mode cannot depend on
/// the generator, whose binary depends on local mode.
pub type ResolveParameters = fn(&Path, &str, &[String]) -> anyhow::Result<Parameters>;

/// Shards of an on-demand stream in local mode (kinesis-mock's default for on-demand streams).
pub const ON_DEMAND_LOCAL_SHARDS: u32 = 4;

/// Where a new mapping starts reading a shard that has no checkpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartingPosition {
    /// The oldest record kept.
    TrimHorizon,
    /// Only records put after the mapping starts.
    Latest,
}

/// The event source mapping settings (the template's `AWS::Lambda::EventSourceMapping`).
#[derive(Debug, Clone, PartialEq)]
pub struct EsmSettings {
    /// BatchSize (BatchReadSize): records per invocation, at most.
    pub batch_size: usize,
    /// StartingPosition.
    pub starting_position: StartingPosition,
    /// ParallelizationFactor: concurrent batches per shard, one ordered lane per partition-key hash.
    pub parallelization_factor: usize,
    /// BisectBatchOnFunctionError.
    pub bisect_on_error: bool,
    /// MaximumRetryAttempts; `None` is -1 (retry until the record expires).
    pub maximum_retry_attempts: Option<u32>,
    /// MaximumRecordAgeInSeconds; `None` is -1 (no limit).
    pub maximum_record_age: Option<Duration>,
    /// FunctionTimeout: the invocation's deadline.
    pub function_timeout: Duration,
    /// Wait between polls of a shard that returned nothing (Lambda polls once per second).
    pub idle_poll_interval: Duration,
    /// First wait before retrying a failed batch; doubles per attempt up to `retry_backoff_max`.
    pub retry_backoff: Duration,
    /// Largest wait between two attempts of a batch.
    pub retry_backoff_max: Duration,
}

/// Everything local mode needs for one region.
#[derive(Debug, Clone, PartialEq)]
pub struct LocalPlan {
    /// The region whose parameters were used.
    pub region: String,
    /// The stream's name.
    pub stream_name: String,
    /// ShardCount (or [`ON_DEMAND_LOCAL_SHARDS`] for an on-demand stream).
    pub shard_count: u32,
    /// StreamRetentionHours.
    pub retention_hours: u32,
    /// The event source mapping.
    pub esm: EsmSettings,
    /// BatchWriteSize (the writer's BATCH_WRITE_SIZE).
    pub batch_write_size: usize,
    /// WriteConcurrency (WRITE_CONCURRENCY).
    pub write_concurrency: usize,
    /// ConditionalCreate (CONDITIONAL_CREATE).
    pub conditional_create: bool,
    /// MetricsNamespace (METRICS_NAMESPACE).
    pub metrics_namespace: String,
    /// DriverPeriod in ms (the driver's pace).
    pub driver_period_ms: u64,
    /// DriverBatchSize (edges per period).
    pub driver_batch_size: u32,
}

impl LocalPlan {
    /// Resolves `region` from the config file at `config` with `--set Key=Value` overrides.
    pub fn load(
        config: &Path,
        region: &str,
        sets: &[String],
        resolve: ResolveParameters,
    ) -> anyhow::Result<Self> {
        let parameters = resolve(config, region, sets)?;
        Ok(Self::from_parameters(region, &parameters)?)
    }

    /// Reads the plan out of a region's resolved parameters.
    pub fn from_parameters(region: &str, parameters: &Parameters) -> Result<Self> {
        let text = |name: &'static str| -> Result<String> {
            parameters.get(name).cloned().ok_or_else(|| LocalError::Invalid {
                field: name,
                value: String::new(),
                allowed: "a value in the resolved parameters (is the generator's catalog up to date?)".into(),
            })
        };
        let integer = |name: &'static str| -> Result<i64> {
            let value = text(name)?;
            value.parse::<i64>().map_err(|_| LocalError::Invalid {
                field: name,
                value,
                allowed: "an integer".into(),
            })
        };
        let boolean =
            |name: &'static str| -> Result<bool> { Ok(text(name)?.eq_ignore_ascii_case("true")) };

        let on_demand = text("StreamMode")? == "ON_DEMAND";
        let shard_count = if on_demand {
            ON_DEMAND_LOCAL_SHARDS
        } else {
            integer("ShardCount")? as u32
        };
        let starting_position = match text("StartingPosition")?.as_str() {
            "LATEST" => StartingPosition::Latest,
            "TRIM_HORIZON" => StartingPosition::TrimHorizon,
            other => {
                return Err(LocalError::Invalid {
                    field: "StartingPosition",
                    value: other.to_owned(),
                    allowed: "TRIM_HORIZON or LATEST".into(),
                });
            }
        };
        let retries = integer("MaximumRetryAttempts")?;
        let max_age = integer("MaximumRecordAgeInSeconds")?;
        Ok(LocalPlan {
            region: region.to_owned(),
            stream_name: format!("stream2neptune-local-{region}"),
            shard_count,
            retention_hours: integer("StreamRetentionHours")? as u32,
            esm: EsmSettings {
                batch_size: integer("BatchReadSize")? as usize,
                starting_position,
                parallelization_factor: integer("ParallelizationFactor")? as usize,
                bisect_on_error: boolean("BisectBatchOnFunctionError")?,
                maximum_retry_attempts: (retries >= 0).then_some(retries as u32),
                maximum_record_age: (max_age >= 0).then(|| Duration::from_secs(max_age as u64)),
                function_timeout: Duration::from_secs(integer("FunctionTimeout")? as u64),
                idle_poll_interval: Duration::from_secs(1),
                retry_backoff: Duration::from_millis(100),
                retry_backoff_max: Duration::from_secs(5),
            },
            batch_write_size: integer("BatchWriteSize")? as usize,
            write_concurrency: integer("WriteConcurrency")? as usize,
            conditional_create: boolean("ConditionalCreate")?,
            metrics_namespace: text("MetricsNamespace")?,
            driver_period_ms: integer("DriverPeriod")? as u64,
            driver_batch_size: integer("DriverBatchSize")? as u32,
        })
    }

    /// The writer's environment for a local store at `store_url`, rejects to `rejected_file`:
    /// SPARQL (Oxigraph), no IAM auth, the region's batch sizes.
    pub fn writer_env(&self, store_url: &str, rejected_file: &Path) -> Vec<(&'static str, String)> {
        vec![
            ("NEPTUNE_ENDPOINT", store_url.to_owned()),
            ("QUERY_LANGUAGE", "sparql".into()),
            ("IAM_AUTH", "false".into()),
            ("CONDITIONAL_CREATE", self.conditional_create.to_string()),
            ("BATCH_WRITE_SIZE", self.batch_write_size.to_string()),
            ("WRITE_CONCURRENCY", self.write_concurrency.to_string()),
            ("REJECTED_RECORDS_FILE", rejected_file.display().to_string()),
            ("METRICS_NAMESPACE", self.metrics_namespace.clone()),
            ("CLUSTER_ID", "local".into()),
            ("AWS_REGION", self.region.clone()),
        ]
    }

    /// The writer's resolved configuration for a local store (see [`LocalPlan::writer_env`]).
    pub fn writer_config(
        &self,
        store_url: &str,
        rejected_file: &Path,
    ) -> Result<stream2neptune_writer::Config> {
        // from_pairs refuses a variable the writer does not read (checked by the tests below).
        let env = self.writer_env(store_url, rejected_file);
        Ok(stream2neptune_writer::Config::from_pairs(&env)?)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::paths::workspace_root;

    /// The generator's resolution (a dev-dependency: the generator's binary depends on this crate).
    use stream2neptune::local::resolve;

    /// Settings for unit tests.
    pub(crate) fn settings() -> EsmSettings {
        EsmSettings {
            batch_size: 100,
            starting_position: StartingPosition::TrimHorizon,
            parallelization_factor: 1,
            bisect_on_error: true,
            maximum_retry_attempts: Some(2),
            maximum_record_age: None,
            function_timeout: Duration::from_secs(10),
            idle_poll_interval: Duration::from_millis(100),
            retry_backoff: Duration::from_millis(10),
            retry_backoff_max: Duration::from_millis(100),
        }
    }

    #[test]
    fn plan_follows_the_regions_rendered_parameters() {
        let config = workspace_root().join("stack.yaml");
        let plan = LocalPlan::load(&config, "eu-west-1", &[], resolve).unwrap();
        assert_eq!(plan.shard_count, 4);
        assert_eq!(plan.esm.batch_size, 500);
        assert_eq!(plan.batch_write_size, 50);
        assert_eq!(plan.retention_hours, 72);
        assert!(plan.esm.bisect_on_error);
        // The defaults discard nothing: retry until written, leave just below the 72 h retention.
        assert_eq!(plan.esm.maximum_retry_attempts, None);
        assert_eq!(
            plan.esm.maximum_record_age,
            Some(Duration::from_secs(72 * 3600 - 3600))
        );

        let plan = LocalPlan::load(
            &config,
            "eu-west-1",
            &[
                "ParallelizationFactor=3".into(),
                "MaximumRetryAttempts=5".into(),
                "StartingPosition=LATEST".into(),
            ],
            resolve,
        )
        .unwrap();
        assert_eq!(plan.esm.parallelization_factor, 3);
        assert_eq!(plan.esm.maximum_retry_attempts, Some(5));
        assert_eq!(plan.esm.starting_position, StartingPosition::Latest);

        let err = LocalPlan::load(
            &config,
            "eu-west-1",
            &["ParallelizationFactor=11".into()],
            resolve,
        )
        .unwrap_err();
        assert!(
            format!("{err:#}").contains("ParallelizationFactor"),
            "{err:#}"
        );
    }

    #[test]
    fn writer_config_targets_the_local_store_with_sparql() {
        let plan = LocalPlan::load(
            &workspace_root().join("stack.yaml"),
            "eu-west-1",
            &[],
            resolve,
        )
        .unwrap();
        let c = plan
            .writer_config("http://127.0.0.1:7878", Path::new("/tmp/rejected.jsonl"))
            .unwrap();
        assert_eq!(c.write_url(), "http://127.0.0.1:7878/sparql");
        assert!(!c.iam_auth);
        assert_eq!(c.batch_write_size, 50);
    }
}
