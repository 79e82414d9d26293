//! The local plan: the stream, event source mapping and writer settings of one region, read from
//! the same resolved [`Plan`] the generator renders into that region's stack.

use std::path::Path;
use std::time::Duration;

pub use stream2neptune_plan::StartingPosition;
use stream2neptune_plan::{Plan, QueryLanguage, StreamMode};
use stream2neptune_writer_environment::{self as writer_environment, Source};

use crate::error::{LocalError, Result};
use crate::esm::destination::OnFailureShape;

/// Shards of an on-demand stream in local mode (kinesis-mock's default for on-demand streams).
pub const ON_DEMAND_LOCAL_SHARDS: u32 = 4;

/// The event source mapping settings (the template's `AWS::Lambda::EventSourceMapping`).
#[derive(Debug, Clone, PartialEq)]
pub struct EsmSettings {
    /// BatchSize: Kinesis records per invocation, at most: BatchReadSize, or with DriverAggregation the
    /// aggregates that hold about BatchReadSize edges (the stack's rendered BatchSize).
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
    /// OnFailureDestination: the shape discarded batches are kept in.
    pub on_failure: OnFailureShape,
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
    /// QueryLanguage: the language the writer writes in, and so the local store's engine.
    pub query_language: QueryLanguage,
    /// BatchWriteSize (the writer's BATCH_WRITE_SIZE).
    pub batch_write_size: usize,
    /// WriteConcurrency (WRITE_CONCURRENCY).
    pub write_concurrency: usize,
    /// The region's value of each stack parameter the writer's environment table passes to local mode's writer
    /// (parameter name, value as the stack passes it): see [`LocalPlan::writer_env`].
    pub writer_parameters: Vec<(&'static str, String)>,
    /// DriverPeriod in ms (the driver's pace).
    pub driver_period_ms: u64,
    /// DriverBatchSize (edges per period).
    pub driver_batch_size: u32,
    /// DriverAggregation: the driver puts KPL aggregates.
    pub driver_aggregation: bool,
}

impl LocalPlan {
    /// Resolves `region` from the config file at `config` with `--set Key=Value` overrides, as
    /// `stream2neptune render` does.
    pub fn load(config: &Path, region: &str, sets: &[String]) -> Result<Self> {
        Ok(Self::from_plan(&stream2neptune_plan::load(
            config, region, sets,
        )?))
    }

    /// Reads the local plan out of a region's resolved plan.
    pub fn from_plan(plan: &Plan) -> Self {
        let region = plan.region.as_str();
        let shard_count = match plan.stream_mode() {
            StreamMode::OnDemand => ON_DEMAND_LOCAL_SHARDS,
            StreamMode::Provisioned => plan.shard_count(),
        };
        let usize = |n: u32| usize::try_from(n).expect("a u32 fits a usize");
        LocalPlan {
            region: region.to_owned(),
            stream_name: format!("stream2neptune-local-{region}"),
            shard_count,
            retention_hours: plan.stream_retention_hours(),
            esm: EsmSettings {
                batch_size: usize(plan.event_source_batch_size()),
                starting_position: plan.starting_position(),
                parallelization_factor: usize(plan.parallelization_factor()),
                bisect_on_error: plan.bisect_batch_on_function_error(),
                maximum_retry_attempts: plan.maximum_retry_attempts(),
                maximum_record_age: plan.maximum_record_age(),
                function_timeout: plan.function_timeout(),
                idle_poll_interval: Duration::from_secs(1),
                retry_backoff: Duration::from_millis(100),
                retry_backoff_max: Duration::from_secs(5),
                on_failure: plan.on_failure_destination(),
            },
            query_language: plan.query_language(),
            batch_write_size: usize(plan.batch_write_size()),
            write_concurrency: usize(plan.write_concurrency()),
            writer_parameters: writer_parameters(plan),
            driver_period_ms: u64::try_from(plan.driver_period().as_millis())
                .expect("DriverPeriod is at most 1000 ms"),
            driver_batch_size: plan.driver_batch_size(),
            driver_aggregation: plan.driver_aggregation(),
        }
    }

    /// The writer's environment for a local store at `store_url`, rejects to `rejected_file`: the variables the
    /// writer's environment table (function/environment/src/lib.rs) has local mode set, in its order. A stack
    /// parameter's variable takes the region's value (query language, upsert style, batch sizes, ...); the
    /// others local mode's own: the store's URL, no IAM auth (the local stores take unsigned requests), the rejects
    /// file, `local` as the cluster id, and the region (which Lambda sets in the stack).
    pub fn writer_env(
        &self,
        store_url: &str,
        rejected_file: &Path,
    ) -> Result<Vec<(&'static str, String)>> {
        let own = [
            (
                writer_environment::NEPTUNE_ENDPOINT.name,
                store_url.to_owned(),
            ),
            (writer_environment::IAM_AUTH.name, "false".to_owned()),
            (
                writer_environment::REJECTED_RECORDS_FILE.name,
                rejected_file.display().to_string(),
            ),
            (writer_environment::CLUSTER_ID.name, "local".to_owned()),
            (writer_environment::AWS_REGION.name, self.region.clone()),
        ];
        let mut env = Vec::new();
        for variable in writer_environment::VARIABLES {
            let name = variable.name();
            let value = match variable.set().local {
                Source::Unset => continue,
                Source::Parameter(parameter) => find(&self.writer_parameters, parameter)
                    .ok_or_else(|| LocalError::WriterVariable {
                        variable: name,
                        reason: format!("the table names stack parameter {parameter}, which the plan does not have"),
                    })?,
                Source::Deployment => find(&own, name).ok_or_else(|| LocalError::WriterVariable {
                    variable: name,
                    reason: "the table has local mode set it, and local mode keeps no value of its own for it".into(),
                })?,
            };
            env.push((name, value));
        }
        Ok(env)
    }

    /// The writer's resolved configuration for a local store (see [`LocalPlan::writer_env`]).
    pub fn writer_config(
        &self,
        store_url: &str,
        rejected_file: &Path,
    ) -> Result<stream2neptune_writer::Config> {
        // from_pairs refuses a variable the writer does not read (checked by the tests below).
        let env = self.writer_env(store_url, rejected_file)?;
        Ok(stream2neptune_writer::Config::from_pairs(&env)?)
    }
}

/// The region's value of each stack parameter the writer's environment table has local mode pass on (a name
/// the catalog does not know is left out: [`LocalPlan::writer_env`] then names the variable).
fn writer_parameters(plan: &Plan) -> Vec<(&'static str, String)> {
    writer_environment::VARIABLES
        .iter()
        .filter_map(|variable| match variable.set().local {
            Source::Parameter(parameter) => stream2neptune_plan::catalog::find(parameter)
                .map(|param| (parameter, plan.get(param.name).value.to_string())),
            Source::Deployment | Source::Unset => None,
        })
        .collect()
}

/// The value paired with `key`.
fn find(pairs: &[(&'static str, String)], key: &str) -> Option<String> {
    pairs
        .iter()
        .find(|(k, _)| *k == key)
        .map(|(_, v)| v.clone())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use stream2neptune_engines::tools::workspace_root;
    use stream2neptune_plan::Name;

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
            on_failure: OnFailureShape::Sqs,
        }
    }

    #[test]
    fn plan_follows_the_regions_rendered_parameters() {
        let config = workspace_root().join("stack.yaml");
        let plan = LocalPlan::load(&config, "eu-west-1", &[]).unwrap();
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
        // Discarded batches are kept whole (s3) unless the stack sends only their ranges (sqs).
        assert_eq!(plan.esm.on_failure, OnFailureShape::S3);
        let sqs = LocalPlan::load(&config, "eu-west-1", &["OnFailureDestination=sqs".into()]);
        assert_eq!(sqs.unwrap().esm.on_failure, OnFailureShape::Sqs);

        let plan = LocalPlan::load(
            &config,
            "eu-west-1",
            &[
                "ParallelizationFactor=3".into(),
                "MaximumRetryAttempts=5".into(),
                "StartingPosition=LATEST".into(),
            ],
        )
        .unwrap();
        assert_eq!(plan.esm.parallelization_factor, 3);
        assert_eq!(plan.esm.maximum_retry_attempts, Some(5));
        assert_eq!(plan.esm.starting_position, StartingPosition::Latest);
        assert!(!plan.driver_aggregation);

        // With aggregation the mapping's BatchSize counts aggregates of up to 1,000 edges, as the stack renders it.
        let plan = LocalPlan::load(
            &config,
            "eu-west-1",
            &["DriverAggregation=true".into(), "BatchReadSize=4000".into()],
        )
        .unwrap();
        assert!(plan.driver_aggregation);
        assert_eq!(plan.esm.batch_size, 4);

        let err = LocalPlan::load(&config, "eu-west-1", &["ParallelizationFactor=11".into()])
            .unwrap_err();
        assert!(
            format!("{err:#}").contains(Name::ParallelizationFactor.as_str()),
            "{err:#}"
        );
    }

    #[test]
    fn writer_config_targets_the_local_store_in_the_regions_query_language() {
        let config = workspace_root().join("stack.yaml");
        let url = |region: &str, sets: &[String]| {
            let plan = LocalPlan::load(&config, region, sets).unwrap();
            let c = plan
                .writer_config("http://127.0.0.1:7878", Path::new("/tmp/rejected.jsonl"))
                .unwrap();
            assert!(!c.iam_auth);
            assert_eq!(c.batch_write_size, plan.batch_write_size);
            c.write_url()
        };
        // eu-west-1 keeps the default language, eu-central-1 sets opencypher, --set picks another
        assert_eq!(url("eu-west-1", &[]), "http://127.0.0.1:7878/gremlin");
        assert_eq!(url("eu-central-1", &[]), "http://127.0.0.1:7878/openCypher");
        assert_eq!(
            url("eu-west-1", &["QueryLanguage=sparql".into()]),
            "http://127.0.0.1:7878/sparql"
        );
        let plan = LocalPlan::load(
            &config,
            "eu-west-1",
            &[
                "GremlinUpsertStyle=coalesce".into(),
                "GremlinBatchForm=rows".into(),
            ],
        )
        .unwrap();
        let env = plan
            .writer_env("http://127.0.0.1:8182", Path::new("/tmp/r.jsonl"))
            .unwrap();
        assert!(
            env.contains(&("GREMLIN_UPSERT_STYLE", "coalesce".into())),
            "{env:?}"
        );
        assert!(
            env.contains(&("GREMLIN_BATCH_FORM", "rows".into())),
            "{env:?}"
        );
        assert!(
            env.contains(&("QUERY_LANGUAGE", "gremlin".into())),
            "{env:?}"
        );
    }

    /// Local mode's writer environment is the local column of the writer's environment table: the variables it
    /// sets, in the table's order, each stack parameter's at the region's value, so a row added to the table
    /// reaches local mode (the stack's side: tests/render.rs).
    #[test]
    fn the_writer_env_is_the_tables_local_column() {
        let config = workspace_root().join("stack.yaml");
        let plan = LocalPlan::load(
            &config,
            "eu-west-1",
            &[
                "BatchWriteSize=7".into(),
                "MetricsNamespace=local-test".into(),
            ],
        )
        .unwrap();
        let resolved = stream2neptune_plan::load(
            &config,
            "eu-west-1",
            &[
                "BatchWriteSize=7".into(),
                "MetricsNamespace=local-test".into(),
            ],
        )
        .unwrap();
        let env = plan
            .writer_env("http://127.0.0.1:8182", Path::new("/tmp/r.jsonl"))
            .unwrap();
        let names: Vec<&str> = env.iter().map(|(name, _)| *name).collect();
        let expected: Vec<&str> = writer_environment::VARIABLES
            .iter()
            .filter(|v| v.set().local != Source::Unset)
            .map(writer_environment::Variable::name)
            .collect();
        assert_eq!(names, expected);
        let mut parameters = 0;
        for (variable, (name, value)) in writer_environment::VARIABLES
            .iter()
            .filter(|v| v.set().local != Source::Unset)
            .zip(&env)
        {
            if let Source::Parameter(parameter) = variable.set().local {
                let param = stream2neptune_plan::catalog::find(parameter).unwrap();
                assert_eq!(*value, resolved.get(param.name).value.to_string(), "{name}");
                parameters += 1;
            }
        }
        // QueryLanguage, ConditionalCreate, GremlinUpsertStyle, GremlinBatchForm, BatchWriteSize,
        // WriteConcurrency, MetricsNamespace.
        assert!(parameters >= 7, "{parameters}");
        assert!(env.contains(&("BATCH_WRITE_SIZE", "7".into())), "{env:?}");
        assert!(
            env.contains(&("METRICS_NAMESPACE", "local-test".into())),
            "{env:?}"
        );
        assert!(env.contains(&("IAM_AUTH", "false".into())), "{env:?}");
        assert!(env.contains(&("AWS_REGION", "eu-west-1".into())), "{env:?}");
    }
}
