//! The invocation: decode every record, hand malformed ones to the rejects sink, write the rest
//! in ordered lanes of batches, and answer the partial-batch response.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Instant, SystemTime};

use aws_lambda_events::kinesis::{KinesisEvent, KinesisEventRecord};
use aws_lambda_events::streams::KinesisEventResponse;
use futures_util::future::join_all;
use lambda_runtime::{Error, LambdaEvent};

use crate::batching;
use crate::config::{Config, QueryLanguage};
use crate::error::{Disposition, StoreError};
use crate::gremlin::{self, GremlinStyle};
use crate::metrics::{InvocationMetrics, MetricsOutput};
use crate::opencypher;
use crate::record::{Edge, RejectReason, parse_record};
use crate::rejects::{RejectSink, RejectedRecord};
use crate::retry::{Deadline, RetryPolicy, with_retries};
use crate::sparql;
use crate::store::{GraphStore, HttpStore, http_client};

/// Everything built once per execution environment and shared by invocations.
#[derive(Debug)]
pub struct Deps<S = HttpStore> {
    /// The resolved configuration.
    pub config: Config,
    /// The graph store.
    pub store: S,
    /// Where malformed records go.
    pub rejects: RejectSink,
    /// Where the EMF metrics go.
    pub metrics: MetricsOutput,
}

impl Deps<HttpStore> {
    /// One HTTP client (rustls, keep-alive) for the store and the rejects queue, and the signers.
    pub fn new(config: Config) -> Self {
        let client = http_client();
        let store = HttpStore::new(&config, client.clone());
        let rejects = RejectSink::from_config(&config, client, retry_policy(&config));
        Deps {
            config,
            store,
            rejects,
            metrics: MetricsOutput::Stdout,
        }
    }
}

fn retry_policy(config: &Config) -> RetryPolicy {
    RetryPolicy {
        max_attempts: config.retry_max_attempts,
        base_delay: config.retry_base_delay,
        max_delay: config.retry_max_delay,
        request_timeout: config.request_timeout,
    }
}

/// Handles one Kinesis batch. Never fails as a whole: records that could not be written are
/// reported through the partial-batch response, so Lambda retries from the first of them.
pub async fn handle<S: GraphStore>(
    deps: &Deps<S>,
    event: LambdaEvent<KinesisEvent>,
) -> Result<KinesisEventResponse, Error> {
    let (event, context) = event.into_parts();
    let deadline = Deadline::from_epoch_ms(context.deadline, deps.config.deadline_margin);
    tracing::debug!(
        deadline_ms = context.deadline,
        time_left_ms = deadline.remaining().as_millis() as u64,
        "invocation started"
    );
    let records = &event.records;
    let metrics = InvocationMetrics::default();

    // 1. Decode; rejects go to the sink in stream order. A sink failure stops acknowledgement
    //    there, and nothing from that record on is written now (Lambda sends it all again).
    let mut acknowledged_up_to = records.len();
    let mut edges: Vec<(usize, Edge)> = Vec::with_capacity(records.len());
    for (index, record) in records.iter().enumerate() {
        match parse_record(&record.kinesis.data, deps.config.max_record_bytes) {
            Ok(edge) => edges.push((index, edge)),
            Err(reason) => {
                if !reject(deps, record, &reason, deadline, &metrics).await {
                    acknowledged_up_to = index;
                    break;
                }
            }
        }
    }

    // 2. Write in lanes; each lane reports the stream index of its first unwritten record.
    let started = Instant::now();
    let lanes = batching::into_lanes(
        edges.iter().map(|(index, edge)| {
            (
                records[*index].kinesis.partition_key.as_str(),
                (*index, edge),
            )
        }),
        deps.config.write_concurrency,
    );
    let first_failure = AtomicUsize::new(acknowledged_up_to);
    let lane_results = join_all(
        lanes
            .iter()
            .map(|lane| write_lane(deps, records, lane, deadline, &metrics, &first_failure)),
    )
    .await;
    InvocationMetrics::add(
        &metrics.write_duration_ms,
        started.elapsed().as_millis() as u64,
    );

    let first_unwritten = lane_results
        .into_iter()
        .flatten()
        .chain((acknowledged_up_to < records.len()).then_some(acknowledged_up_to))
        .min();
    let sequence_numbers: Vec<&str> = records
        .iter()
        .map(|r| r.kinesis.sequence_number.as_str())
        .collect();
    let response = batching::response(&sequence_numbers, first_unwritten);

    deps.metrics.emit(metrics.to_emf(
        &deps.config.metrics_namespace,
        &deps.config.cluster_id,
        SystemTime::now(),
    ));
    tracing::info!(
        records = records.len(),
        edges_written = metrics.edges_written.load(Ordering::Relaxed),
        rejected = metrics.records_rejected.load(Ordering::Relaxed),
        retries = metrics.retry_count.load(Ordering::Relaxed),
        first_unwritten = first_unwritten.map(|i| sequence_numbers[i]),
        "invocation done"
    );
    Ok(response)
}

/// Sends one reject; false when the sink failed (the record must not be acknowledged).
async fn reject<S>(
    deps: &Deps<S>,
    record: &KinesisEventRecord,
    reason: &RejectReason,
    deadline: Deadline,
    metrics: &InvocationMetrics,
) -> bool {
    let reject = RejectedRecord::new(record, reason);
    tracing::warn!(
        sequence_number = %reject.sequence_number,
        shard_id = %reject.shard_id,
        partition_key = %reject.partition_key,
        reason = %reject.reason,
        "record rejected"
    );
    match deps.rejects.send(&reject, deadline).await {
        Ok(()) => {
            InvocationMetrics::add(&metrics.records_rejected, 1);
            true
        }
        Err(err) => {
            tracing::error!(error = %err, sequence_number = %reject.sequence_number, "rejected-records sink failed; the record stays in the stream");
            false
        }
    }
}

/// Writes one lane batch by batch; returns the stream index of the first record not written.
async fn write_lane<S: GraphStore>(
    deps: &Deps<S>,
    records: &[KinesisEventRecord],
    lane: &[(usize, &Edge)],
    deadline: Deadline,
    metrics: &InvocationMetrics,
    first_failure: &AtomicUsize,
) -> Option<usize> {
    for batch in lane.chunks(deps.config.batch_write_size) {
        let first = batch[0].0;
        // Everything from an earlier failure on is retried by Lambda anyway: do not write it now.
        if first > first_failure.load(Ordering::Relaxed) {
            return Some(first);
        }
        let failed_at = match submit(deps, batch.iter().map(|(_, e)| *e), deadline, metrics).await {
            Ok(()) => {
                InvocationMetrics::add(&metrics.edges_written, batch.len() as u64);
                None
            }
            Err(err) if err.disposition() == Disposition::RefuseRecords => {
                tracing::warn!(error = %err, records = batch.len(), "store refused a batch; writing its records one by one");
                write_one_by_one(deps, records, batch, deadline, metrics).await
            }
            Err(err) => {
                tracing::error!(error = %err, first_sequence_number = %records[first].kinesis.sequence_number, "write batch failed");
                Some(first)
            }
        };
        if let Some(index) = failed_at {
            InvocationMetrics::add(&metrics.batches_failed, 1);
            first_failure.fetch_min(index, Ordering::Relaxed);
            return Some(index);
        }
    }
    None
}

// Isolates the record(s) the store refuses: each is rejected with the store's reason, the others written.
async fn write_one_by_one<S: GraphStore>(
    deps: &Deps<S>,
    records: &[KinesisEventRecord],
    batch: &[(usize, &Edge)],
    deadline: Deadline,
    metrics: &InvocationMetrics,
) -> Option<usize> {
    for &(index, edge) in batch {
        match submit(deps, [edge], deadline, metrics).await {
            Ok(()) => InvocationMetrics::add(&metrics.edges_written, 1),
            Err(err) if err.disposition() == Disposition::RefuseRecords => {
                let reason = RejectReason::StoreRefused {
                    message: err.to_string(),
                };
                if !reject(deps, &records[index], &reason, deadline, metrics).await {
                    return Some(index);
                }
            }
            Err(err) => {
                tracing::error!(error = %err, sequence_number = %records[index].kinesis.sequence_number, "write failed");
                return Some(index);
            }
        }
    }
    None
}

/// Builds the query for `edges` and submits it with retries.
async fn submit<'a, S: GraphStore>(
    deps: &Deps<S>,
    edges: impl IntoIterator<Item = &'a Edge>,
    deadline: Deadline,
    metrics: &InvocationMetrics,
) -> Result<(), StoreError> {
    let query = build_query(&deps.config, edges);
    with_retries(
        &retry_policy(&deps.config),
        deadline,
        |timeout| deps.store.submit(&query, timeout),
        |err| {
            InvocationMetrics::add(&metrics.retry_count, 1);
            if err.disposition() == Disposition::Reconnect {
                tracing::warn!("the instance is read-only (failover?): reconnecting");
                deps.store.reconnect();
            }
        },
    )
    .await
}

/// The write text for `edges` in the configured language: the Gremlin traversal, the SPARQL
/// update, or the openCypher form body (`query=...&parameters=...`).
pub fn build_query<'a>(config: &Config, edges: impl IntoIterator<Item = &'a Edge>) -> String {
    match config.query_language {
        QueryLanguage::Gremlin => gremlin::batch_query(
            edges,
            GremlinStyle {
                upsert: config.upsert_style,
                conditional_create: config.conditional_create,
            },
            || uuid::Uuid::new_v4().to_string(),
        ),
        QueryLanguage::Sparql => sparql::batch_update(edges),
        QueryLanguage::OpenCypher => {
            opencypher::batch_request(edges, config.conditional_create, || {
                uuid::Uuid::new_v4().to_string()
            })
        }
    }
}
