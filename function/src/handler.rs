//! The invocation: decode every record (a `follows` edge or graph operations), write the records in ordered lanes
//! of batches, each of records of one form (halving a write too big for the store and keeping the size that
//! worked, isolating a record the store refuses), hand malformed and refused records to the rejects sink, and
//! answer the partial-batch response.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Instant, SystemTime};

use aws_lambda_events::kinesis::{KinesisEvent, KinesisEventRecord};
use aws_lambda_events::streams::KinesisEventResponse;
use futures_util::future::join_all;
use lambda_runtime::{Error, LambdaEvent};

use crate::batching::{self, WriteSize};
use crate::config::Config;
use crate::deaggregation::{self, UserRecord, record_start};
use crate::error::{Disposition, StoreError};
use crate::metrics::{InvocationMetrics, MetricsOutput};
use crate::query::{build_query, fitting, takes, writable};
use crate::record::{RejectReason, Write};
use crate::rejects::{RejectSink, RejectedRecord};
use crate::retry::{Deadline, RetryPolicy, with_retries};
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
    /// Records per write: BATCH_WRITE_SIZE, or less since the store refused a write for its size.
    pub write_size: WriteSize,
}

impl Deps<HttpStore> {
    /// One HTTP client (rustls, keep-alive) for the store and the rejects queue, and the signers.
    pub fn new(config: Config) -> Self {
        let client = http_client(&config.extra_roots);
        let store = HttpStore::new(&config, client.clone());
        let rejects = RejectSink::from_config(&config, client, retry_policy(&config));
        Deps {
            write_size: WriteSize::new(config.batch_write_size),
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
        conflict_delay: config.retry_conflict_delay,
        request_timeout: config.request_timeout,
    }
}

/// Handles one Kinesis batch. Never fails as a whole: records that could not be written are
/// reported through the partial-batch response, so Lambda retries from the first of them.
///
/// Order of work: decode every record; write the records in lanes; decide whether records the store
/// refused are at fault or the environment is; then send the rejects (malformed records and
/// records refused on their own) in stream order, only those before the first unwritten record:
/// Lambda delivers everything from there again, so a record reaches the rejects sink at most once
/// per delivery.
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

    // 1. Deaggregate and decode; malformed records are rejected in step 4. From here on an
    //    index is a user record's (see `deaggregation`).
    let users = deaggregation::user_records(
        records
            .iter()
            .map(|r| (r.kinesis.partition_key.as_str(), r.kinesis.data.as_slice())),
    );
    InvocationMetrics::add(&metrics.kinesis_records, records.len() as u64);
    InvocationMetrics::add(
        &metrics.user_records,
        users.iter().filter(|u| u.corrupted.is_none()).count() as u64,
    );
    let mut rejects: Vec<(usize, RejectReason)> = Vec::new();
    let mut writes: Vec<(usize, Write)> = Vec::with_capacity(users.len());
    let (language, writable) = (
        deps.config.query_language,
        writable(deps.config.query_language),
    );
    for (index, user) in users.iter().enumerate() {
        match user
            .decode(
                deps.config.max_record_bytes,
                deps.config.mappings.as_ref(),
                writable,
            )
            .and_then(|w| takes(language, w))
        {
            Ok(write) => writes.push((index, write)),
            Err(reason) => rejects.push((index, reason)),
        }
    }

    // 2. Write in lanes; each lane reports the stream index of its first unwritten record.
    let started = Instant::now();
    let lanes = batching::into_lanes(
        writes
            .iter()
            .map(|(index, write)| (users[*index].partition_key.as_ref(), (*index, write))),
        deps.config.write_concurrency,
    );
    let progress = Progress {
        first_failure: AtomicUsize::new(users.len()),
        ..Progress::default()
    };
    let writer = Writer {
        deps,
        records,
        users: &users,
        deadline,
        metrics: &metrics,
        progress: &progress,
    };
    let outcomes = join_all(lanes.iter().map(|lane| write_lane(&writer, lane))).await;
    InvocationMetrics::add(
        &metrics.write_duration_ms,
        started.elapsed().as_millis() as u64,
    );
    let write_size = deps.write_size.get();
    InvocationMetrics::add(&metrics.write_size, write_size as u64);
    // Lambda resumes at a Kinesis record: an aggregate is unwritten from its first user record.
    let mut first_unwritten = outcomes
        .iter()
        .filter_map(|o| o.first_unwritten)
        .min()
        .map(|index| record_start(&users, index));
    let mut stopped = outcomes.iter().any(|o| o.stopped);

    // 3. A record refused alone is bad only if the store accepted a write after refusing it and
    //    refuses it again now: otherwise the environment may refuse everything (an engine
    //    without mergeE, a proxy answering 400, an outage that began mid-batch) and the record
    //    stays in the stream. A record refused while the environment was being fixed is written.
    //    A graph-operation record is not written again out of its key's order: the store's
    //    acceptance of a later write is its proof.
    let mut refused: Vec<Refusal> = outcomes.into_iter().flat_map(|o| o.refused).collect();
    refused.sort_by_key(|r| r.index);
    let last_accepted = progress.last_accepted();
    if let Some(unproven) = refused.iter().find(|r| r.at > last_accepted) {
        let count = refused.iter().filter(|r| r.at > last_accepted).count();
        InvocationMetrics::add(&metrics.environment_refusals, count as u64);
        tracing::error!(
            error = %unproven.message,
            refused = count,
            first_sequence_number = %writer.sequence_number(unproven.index),
            "the store refused records and accepted nothing after them: the environment is at fault (engine version, GREMLIN_UPSERT_STYLE, a proxy?), not the records; nothing is rejected and the records stay in the stream"
        );
        let unproven = record_start(&users, unproven.index);
        if first_unwritten.is_none() {
            // No lane stopped: the write whose records were all refused alone was a lane's last.
            InvocationMetrics::add(&metrics.batches_failed, 1);
        }
        first_unwritten = Some(first_unwritten.map_or(unproven, |f| f.min(unproven)));
        stopped = true;
    }
    for refusal in refused {
        if first_unwritten.is_some_and(|f| refusal.index >= f) {
            break;
        }
        let Ok(at) = writes.binary_search_by_key(&refusal.index, |(index, _)| *index) else {
            continue;
        };
        let write = &writes[at].1;
        if let Write::Operations(_) | Write::Quads(_) = write {
            // Its lane wrote the later records of its key already: written now, it would be applied after them.
            // The store's refusal is proven (it accepted a later write), so it is rejected as it was refused.
            rejects.push((
                refusal.index,
                RejectReason::StoreRefused {
                    message: refusal.message,
                },
            ));
            continue;
        }
        let alone = [(refusal.index, write)];
        match writer.write(&alone, StoreError::disposition_alone).await {
            Ok(()) => {}
            Err(err) if err.refuses_alone() => rejects.push((
                refusal.index,
                RejectReason::StoreRefused {
                    message: err.to_string(),
                },
            )),
            Err(err) => {
                tracing::error!(error = %err, sequence_number = %writer.sequence_number(refusal.index), "write failed");
                first_unwritten = Some(record_start(&users, refusal.index));
                stopped |= err.disposition_alone() == Disposition::Stop;
                break;
            }
        }
    }
    rejects.sort_by_key(|(index, _)| *index);

    // 4. Rejects, in stream order, up to the first unwritten record; a sink failure moves the
    //    checkpoint back to that record.
    for (index, reason) in &rejects {
        if first_unwritten.is_some_and(|f| *index >= f) {
            break;
        }
        let user = &users[*index];
        if !reject(
            deps,
            &records[user.record],
            user,
            reason,
            deadline,
            &metrics,
        )
        .await
        {
            first_unwritten = Some(record_start(&users, *index));
            break;
        }
    }

    let sequence_numbers: Vec<&str> = records
        .iter()
        .map(|r| r.kinesis.sequence_number.as_str())
        .collect();
    let first_unwritten = first_unwritten.map(|index| users[index].record);
    let response = batching::response(&sequence_numbers, first_unwritten);

    deps.metrics.emit(metrics.to_emf(
        &deps.config.metrics_namespace,
        &deps.config.cluster_id,
        SystemTime::now(),
    ));
    tracing::info!(
        records = records.len(),
        edges_written = metrics.edges_written.load(Ordering::Relaxed),
        operations_written = metrics.operations_written.load(Ordering::Relaxed),
        rejected = metrics.records_rejected.load(Ordering::Relaxed),
        retries = metrics.retry_count.load(Ordering::Relaxed),
        write_size,
        first_unwritten = first_unwritten.map(|i| sequence_numbers[i]),
        "invocation done"
    );

    // 5. After an error of the environment, answering at once would have Lambda redeliver at once:
    //    wait (bounded by the deadline) so a broken policy or endpoint does not spin the shard.
    if stopped && first_unwritten.is_some() {
        let wait = deps.config.stop_wait.min(deadline.remaining());
        tracing::warn!(
            wait_ms = wait.as_millis() as u64,
            "the environment refuses writes: waiting before answering (STOP_WAIT_MS)"
        );
        tokio::time::sleep(wait).await;
    }
    Ok(response)
}

/// Sends one reject; false when the sink failed (the record must not be acknowledged).
async fn reject<S>(
    deps: &Deps<S>,
    record: &KinesisEventRecord,
    user: &UserRecord<'_>,
    reason: &RejectReason,
    deadline: Deadline,
    metrics: &InvocationMetrics,
) -> bool {
    let reject = RejectedRecord::user_record(record, user, reason);
    tracing::warn!(
        sequence_number = %reject.sequence_number,
        sub_sequence_number = reject.sub_sequence_number,
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

/// What the lanes of an invocation share while writing.
#[derive(Debug, Default)]
struct Progress {
    /// Stream index of the first record a lane could not write.
    first_failure: AtomicUsize,
    /// Orders the store's answers: refusals and acceptances get increasing numbers.
    clock: AtomicU64,
    /// Number of the last acceptance (0: none yet).
    last_accepted: AtomicU64,
}

impl Progress {
    fn last_accepted(&self) -> u64 {
        self.last_accepted.load(Ordering::Relaxed)
    }

    fn accepted(&self) {
        let at = self.clock.fetch_add(1, Ordering::Relaxed) + 1;
        self.last_accepted.fetch_max(at, Ordering::Relaxed);
    }

    fn refused(&self) -> u64 {
        self.clock.fetch_add(1, Ordering::Relaxed) + 1
    }
}

/// A record the store refused when written on its own.
#[derive(Debug)]
struct Refusal {
    /// Its stream index.
    index: usize,
    /// The store's answer.
    message: String,
    /// When it was refused ([`Progress::refused`]): only an acceptance after it shows that the
    /// store works and the record is at fault.
    at: u64,
}

/// What one lane did.
#[derive(Debug, Default)]
struct LaneOutcome {
    /// Stream index of the lane's first record neither written nor refused.
    first_unwritten: Option<usize>,
    /// The environment is at fault (a Stop error, or a write refused record by record).
    stopped: bool,
    /// Records refused on their own (rejected in step 4 unless the environment is at fault).
    refused: Vec<Refusal>,
}

/// Where a write stopped: the first record not written, and whether the environment is at fault.
type Failure = (usize, bool);

/// Conflicts of one multi-record write after which it is written in halves: the part that does not
/// touch the contended element commits, and each transaction holds its elements for less time.
const SPLIT_AFTER_CONFLICTS: u32 = 3;

/// What came of one write.
enum Step {
    /// Written, or its records refused on their own: go on with the next records.
    Done,
    /// Too big for the store: write the same records again at the smaller size.
    Shrunk,
    /// Kept conflicting with other transactions: write its first half on its own next.
    Split(usize),
    /// Not written: the lane stops here.
    Failed(Failure),
}

/// Writes one lane write by write, each of the size the store takes now ([`WriteSize`]) and of records of one form
/// (openCypher takes one query per request): a write ends where the form changes, so stream order holds, and where
/// the language's request would grow past the bound of its query texts ([`fitting`]).
async fn write_lane<S: GraphStore>(
    writer: &Writer<'_, S>,
    lane: &[(usize, &Write)],
) -> LaneOutcome {
    let mut outcome = LaneOutcome::default();
    let first_failure = &writer.progress.first_failure;
    let mut rest = lane;
    // The size of the next write only, after a write that kept conflicting.
    let mut half = None;
    while let Some(&(first, form)) = rest.first() {
        // Everything from an earlier failure on is retried by Lambda anyway: do not write it now.
        if first > first_failure.load(Ordering::Relaxed) {
            outcome.first_unwritten = Some(first);
            break;
        }
        let size = writer
            .deps
            .write_size
            .get()
            .min(half.take().unwrap_or(usize::MAX));
        let one_form = rest
            .iter()
            .take(size)
            .take_while(|(_, write)| write.same_form(form))
            .count();
        let one_request = fitting(
            writer.deps.config.query_language,
            rest[..one_form].iter().map(|(_, write)| *write),
        );
        let (part, tail) = rest.split_at(one_request);
        match writer.part(part, &mut outcome.refused).await {
            Step::Done => rest = tail,
            Step::Shrunk => {}
            Step::Split(size) => half = Some(size),
            Step::Failed((index, stopped)) => {
                InvocationMetrics::add(&writer.metrics.batches_failed, 1);
                first_failure.fetch_min(index, Ordering::Relaxed);
                outcome.first_unwritten = Some(index);
                outcome.stopped = stopped;
                break;
            }
        }
    }
    outcome
}

/// What writing a batch needs.
struct Writer<'a, S> {
    deps: &'a Deps<S>,
    records: &'a [KinesisEventRecord],
    users: &'a [UserRecord<'a>],
    deadline: Deadline,
    metrics: &'a InvocationMetrics,
    progress: &'a Progress,
}

impl<S: GraphStore> Writer<'_, S> {
    /// The sequence number of the Kinesis record holding user record `index`.
    fn sequence_number(&self, index: usize) -> &str {
        &self.records[self.users[index].record]
            .kinesis
            .sequence_number
    }

    /// Submits `part` (records of one form) as one write; counts what the store accepted.
    async fn write(
        &self,
        part: &[(usize, &Write)],
        rule: impl FnMut(&StoreError) -> Disposition + Send,
    ) -> Result<(), StoreError> {
        let writes: Vec<&Write> = part.iter().map(|(_, write)| *write).collect();
        let result = submit(self.deps, &writes, self.deadline, self.metrics, rule).await;
        if result.is_ok() {
            let (mut edges, mut operations) = (0, 0);
            for write in &writes {
                match write {
                    Write::Follows(_) => edges += 1,
                    Write::Operations(ops) => operations += ops.len() as u64,
                    // NQUADS change records: each quad added or removed is one operation.
                    Write::Quads(quads) => operations += quads.len() as u64,
                }
            }
            InvocationMetrics::add(&self.metrics.edges_written, edges);
            InvocationMetrics::add(&self.metrics.operations_written, operations);
            self.progress.accepted();
        }
        result
    }

    /// Writes one part of a lane: a write too big for the store brings the write size down (to
    /// half, down to one record) for this and every later write, a refused write is written again
    /// record by record. Refused records are added to `refused`.
    async fn part(&self, part: &[(usize, &Write)], refused: &mut Vec<Refusal>) -> Step {
        let first = part[0].0;
        let alone = part.len() == 1;
        // After a refusal the store has accepted nothing since, an answer that may be the record's or an
        // outage's is not waited out again: one attempt, then the records one by one. An outage then
        // costs one round of retries, not one per record.
        let unproven = refused
            .last()
            .is_some_and(|r| r.at > self.progress.last_accepted());
        let rule = move |err: &StoreError| {
            let disposition = if alone {
                err.disposition_alone()
            } else {
                err.disposition()
            };
            if unproven {
                once(disposition)
            } else {
                disposition
            }
        };
        let mut conflicts = 0;
        let splitting = |err: &StoreError| {
            if part.len() > 1 && err.is_conflict() {
                conflicts += 1;
                if conflicts >= SPLIT_AFTER_CONFLICTS {
                    // Not retried whole again: written in halves (below).
                    return Disposition::Shrink;
                }
            }
            rule(err)
        };
        let Err(err) = self.write(part, splitting).await else {
            self.deps.write_size.accepted(part.len());
            return Step::Done;
        };
        if part.len() > 1 && err.is_conflict() {
            tracing::warn!(error = %err, records = part.len(), "the write keeps conflicting with other transactions; writing its first half on its own");
            return Step::Split(part.len() / 2);
        }
        match rule(&err) {
            Disposition::Shrink => {
                InvocationMetrics::add(&self.metrics.writes_shrunk, 1);
                let size = self.deps.write_size.refused(part.len());
                tracing::warn!(error = %err, records = part.len(), write_size = size, "the write is too big for the store; writing at the smaller size from here on");
                Step::Shrunk
            }
            Disposition::RefuseRecords | Disposition::RetryThenRefuse if alone => {
                refused.push(Refusal {
                    index: first,
                    message: err.to_string(),
                    at: self.progress.refused(),
                });
                Step::Done
            }
            Disposition::RefuseRecords | Disposition::RetryThenRefuse => {
                tracing::warn!(error = %err, records = part.len(), "store refused a write; writing its records one by one");
                let (alone, failure) = self.one_by_one(part).await;
                let every_one = failure.is_none() && alone.len() == part.len();
                refused.extend(alone);
                if every_one && unproven {
                    // The store refused a write's records one by one, has accepted nothing since, and now refuses every
                    // record of this write on its own too: the environment refuses, not the records. The lane stops
                    // at the first record refused since the last acceptance (step 3 of `handle` says so and keeps them
                    // in the stream); an outage costs two writes' single attempts, not one per record of the lane.
                    let since = self.progress.last_accepted();
                    let earliest = refused
                        .iter()
                        .filter(|r| r.at > since)
                        .map(|r| r.index)
                        .min()
                        .unwrap_or(first);
                    return Step::Failed((earliest, true));
                }
                if every_one {
                    // Poison records may fill a whole write (two after a size failure, or as many as
                    // BATCH_WRITE_SIZE): the next write tells them from an outage, as the store accepts it or not.
                    tracing::warn!(
                        error = %refused[refused.len() - 1].message,
                        records = part.len(),
                        first_sequence_number = %self.sequence_number(first),
                        "the store refused every record of a write on its own; the next write tells bad records from an outage"
                    );
                }
                failure.map_or(Step::Done, Step::Failed)
            }
            disposition => {
                tracing::error!(error = %err, first_sequence_number = %self.sequence_number(first), "write failed");
                Step::Failed((first, disposition == Disposition::Stop))
            }
        }
    }

    /// Writes each record of `part` alone (the write of all of them outlasted its retries already:
    /// one attempt each); returns the records refused and, when a record could not be written for
    /// another reason, where and why the writing stopped.
    async fn one_by_one(&self, part: &[(usize, &Write)]) -> (Vec<Refusal>, Option<Failure>) {
        let mut refused = Vec::new();
        for record in part.chunks(1) {
            let index = record[0].0;
            let Err(err) = self
                .write(record, |err: &StoreError| once(err.disposition_alone()))
                .await
            else {
                continue;
            };
            if !err.refuses_alone() {
                tracing::error!(error = %err, sequence_number = %self.sequence_number(index), "write failed");
                let stopped = err.disposition_alone() == Disposition::Stop;
                return (refused, Some((index, stopped)));
            }
            refused.push(Refusal {
                index,
                message: err.to_string(),
                at: self.progress.refused(),
            });
        }
        (refused, None)
    }
}

/// `disposition` for a write whose failure is to be taken at its first answer: an answer that may be the
/// record's ([`Disposition::RetryThenRefuse`]) is not retried; every other rule stays.
fn once(disposition: Disposition) -> Disposition {
    match disposition {
        Disposition::RetryThenRefuse => Disposition::RefuseRecords,
        other => other,
    }
}

/// Builds the query for `writes` (records of one form) and submits it with retries (`rule` decides what is
/// retried).
async fn submit<S: GraphStore>(
    deps: &Deps<S>,
    writes: &[&Write],
    deadline: Deadline,
    metrics: &InvocationMetrics,
    rule: impl FnMut(&StoreError) -> Disposition + Send,
) -> Result<(), StoreError> {
    let query = build_query(&deps.config, writes);
    with_retries(
        &retry_policy(&deps.config),
        deadline,
        rule,
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
