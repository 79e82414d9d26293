//! `make demo WORKLOAD=mixed OPS=N` / `stream2neptune demo --workload mixed --ops N`: the mixed workload's graph
//! operations (customers, devices, orders; updates, multi-valued adds, removals, deletes) end to end on this
//! machine, checked against the model. Generates the first N operations of the workload (by seed; with every value
//! kind the language stores, [`value_kinds`]), drives its records through the local stream keyed by their customer,
//! lets the local event source mapping run the writer, waits until the stream is drained, reads the whole store
//! back in its language and compares it with the graph the operations leave in the model
//! ([`stream2neptune_workload::mixed::expected_graph`]). The summary line says whether they match
//! ([`MixedOutcome::line`]); when they do not, the first differences are listed and the command fails.

use std::io::Write as _;

use stream2neptune_graph::model::Difference;
use stream2neptune_graph::{Graph, Operation};
use stream2neptune_plan::QueryLanguage;
use stream2neptune_process::shutdown::{Interrupted, Shutdown};
use stream2neptune_process::terminal;
use stream2neptune_workload::mixed::{
    self, MixedConfig, MixedRecord, ValueKinds, expected_graph, first_operations,
};

use crate::demo_args::DemoArgs;
use crate::demo_run::{Sending, Session, note_finished, run_facts, send_and_drain, start_stack};
use crate::paths::{StateDir, count_lines};
use crate::report::{self, ReportSummary};
use crate::stack::LocalStack;
use stream2neptune_engines::read_store::{read_graph, stored_form};

/// Graph operations the mixed demo sends unless `--ops` says.
pub const DEFAULT_OPERATIONS: u64 = 2_000;

/// How many differences the failure message lists (the rest are counted).
const DIFFERENCES_SHOWN: usize = 10;

/// What the mixed demo found: the model's graph of the operations sent, the differences of the store's graph from
/// it, and the records the writer rejected or sent to the on-failure destination.
#[derive(Debug, Clone, PartialEq)]
pub struct MixedOutcome {
    /// Operations sent (every record of the data set was accepted by the stream).
    pub operations: u64,
    /// Vertices of the model's graph.
    pub vertices: usize,
    /// Edges of the model's graph.
    pub edges: usize,
    /// Properties of the model's graph (a multi-valued property counts once).
    pub properties: usize,
    /// How the store's graph differs from the model's, each naming the element.
    pub differences: Vec<Difference>,
    /// Records in the rejected-records file.
    pub rejected: u64,
    /// Records sent to the on-failure destination.
    pub on_failure: u64,
}

impl MixedOutcome {
    /// Compares `read`, the store's graph, with `expected`, the model's graph in the form the store keeps it.
    pub fn compare(
        operations: u64,
        expected: &Graph,
        read: &Graph,
        rejected: u64,
        on_failure: u64,
    ) -> Self {
        MixedOutcome {
            operations,
            vertices: expected.vertices.len(),
            edges: expected.edges.len(),
            properties: expected.property_count(),
            differences: expected.differences(read),
            rejected,
            on_failure,
        }
    }

    /// The one summary line: what was sent, whether the store's graph matches the model, and any record the writer
    /// rejected or sent to the on-failure destination.
    pub fn line(&self) -> String {
        let verdict = if self.differences.is_empty() {
            "graph matches the model"
        } else {
            "graph does not match the model"
        };
        let refused = if self.rejected > 0 || self.on_failure > 0 {
            format!(
                "; rejected {} records, on-failure {} records",
                self.rejected, self.on_failure
            )
        } else {
            String::new()
        };
        format!(
            "demo: sent {} operations, {verdict}: {} vertices, {} edges, {} properties, {} differences{refused}",
            self.operations,
            self.vertices,
            self.edges,
            self.properties,
            self.differences.len()
        )
    }

    /// The store holds the model's graph and every record was written.
    pub fn is_clean(&self) -> bool {
        self.differences.is_empty() && self.rejected == 0 && self.on_failure == 0
    }

    /// Why the run failed: the first differences, the records rejected or sent to the on-failure destination, and
    /// where to look (`state`: the demo's state directory).
    pub fn failure(&self, state: &std::path::Path) -> String {
        let mut text = String::new();
        if !self.differences.is_empty() {
            text.push_str(&format!(
                "the store's graph differs from the model's in {} places",
                self.differences.len()
            ));
            for difference in self.differences.iter().take(DIFFERENCES_SHOWN) {
                text.push_str(&format!("\n  {difference}"));
            }
            if self.differences.len() > DIFFERENCES_SHOWN {
                text.push_str(&format!(
                    "\n  ... and {} more",
                    self.differences.len() - DIFFERENCES_SHOWN
                ));
            }
            text.push('\n');
        }
        text.push_str(&format!(
            "rejected {} records (each with its reason in {}), on-failure {} records ({} (s3) or {} (sqs), which `stream2neptune local redrive` replays); see the logs in {}",
            self.rejected,
            state.join("rejected.jsonl").display(),
            self.on_failure,
            state.join("on-failure").display(),
            state.join("on-failure.jsonl").display(),
            state.join("logs").display(),
        ));
        text
    }
}

/// Runs the mixed demo and prints its summary line; fails, listing the first differences, when the store does not
/// hold the model's graph or a record was not written.
pub async fn run(args: &DemoArgs, shutdown: &Shutdown) -> anyhow::Result<()> {
    let outcome = demo_mixed(args, shutdown).await?;
    let _ = writeln!(std::io::stdout(), "{}", outcome.line());
    if !outcome.is_clean() {
        let state = args
            .state_dir
            .clone()
            .unwrap_or_else(StateDir::default_root);
        anyhow::bail!("{}", outcome.failure(&state));
    }
    Ok(())
}

/// The mixed demo itself; returns what it found.
pub async fn demo_mixed(args: &DemoArgs, shutdown: &Shutdown) -> anyhow::Result<MixedOutcome> {
    let mut session = Session::open(args)?;
    let mut args = args;
    let stand_in_size;
    if let Some((size, why)) = stand_in_write_size(session.plan.query_language)
        && !args
            .sets
            .iter()
            .any(|set| set.starts_with("BatchWriteSize="))
    {
        let mut sized = args.clone();
        sized.sets.push(format!("BatchWriteSize={size}"));
        stand_in_size = sized;
        args = &stand_in_size;
        // The state directory's lock goes with the first session.
        drop(session);
        session = Session::open(args)?;
        terminal::note(format!(
            "demo: BatchWriteSize={size} for the local stand-in: {why} (docs/local-mode.md); --set BatchWriteSize=N overrides"
        ));
    }
    let operations = args.ops.unwrap_or(DEFAULT_OPERATIONS);
    let language = session.plan.query_language;
    let (records, values) = data_set(operations, args.seed, language);
    let path = mixed::write_file(&records, &session.state.dataset(), 1)?;
    terminal::note(format!(
        "demo: {}, {operations} graph operations in {} records on {} customers ({}) in {}",
        session.settings(),
        records.len(),
        customers(operations),
        if values == ValueKinds::ALL {
            "every value kind"
        } else {
            "scalar values: the language stores no dates or multi-valued properties"
        },
        path.display()
    ));
    let stack = start_stack(&session, args, shutdown).await?;
    let outcome = run_pipeline(&stack, args, &records, &path, &session, shutdown).await;
    stack.stop().await;
    outcome
}

/// The write size the mixed demo gives the local stand-in of `language` when the user gives none, and why: each
/// works around a fault of the stand-in that Neptune does not share (docs/local-mode.md, "Known stand-in
/// differences").
fn stand_in_write_size(language: QueryLanguage) -> Option<(u32, &'static str)> {
    match language {
        QueryLanguage::Gremlin => Some((
            1,
            "Gremlin Server's in-memory graph loses an edge re-created in one transaction after an endpoint was dropped",
        )),
        QueryLanguage::OpenCypher | QueryLanguage::Sparql => None,
    }
}

/// Customers of a run of `operations`: about twenty operations each, so keys repeat and records of one key
/// depend on one another.
fn customers(operations: u64) -> u32 {
    (operations / 20).clamp(10, 100_000) as u32
}

/// The first `operations` operations of the workload of `seed`, with every value kind `language` stores: all of
/// them when the writer's check of the language takes every operation, strings, numbers and booleans otherwise.
fn data_set(operations: u64, seed: u64, language: QueryLanguage) -> (Vec<MixedRecord>, ValueKinds) {
    let config = |values| MixedConfig {
        records: operations,
        customers: customers(operations),
        zipf_exponent: 1.0,
        seed,
        values,
    };
    let all = first_operations(&config(ValueKinds::ALL), operations);
    if value_kinds(&all, language) == ValueKinds::ALL {
        return (all, ValueKinds::ALL);
    }
    (
        first_operations(&config(ValueKinds::SCALARS), operations),
        ValueKinds::SCALARS,
    )
}

/// [`ValueKinds::ALL`] when the writer's check of `language` takes every operation of `records`, else
/// [`ValueKinds::SCALARS`].
pub fn value_kinds(records: &[MixedRecord], language: QueryLanguage) -> ValueKinds {
    let writable = stream2neptune_writer::query::writable(language);
    let operations = || records.iter().flat_map(|r| &r.operations);
    if operations().all(|operation: &Operation| writable(operation).is_ok()) {
        ValueKinds::ALL
    } else {
        ValueKinds::SCALARS
    }
}

/// The demo's part with the services up: mapping, driver, drain, read back, compare, report.
async fn run_pipeline(
    stack: &LocalStack,
    args: &DemoArgs,
    records: &[MixedRecord],
    path: &std::path::Path,
    session: &Session,
    shutdown: &Shutdown,
) -> anyhow::Result<MixedOutcome> {
    let operations: u64 = records.iter().map(|r| r.operations.len() as u64).sum();
    let sent = send_and_drain(
        stack,
        args,
        &Sending {
            file: path,
            records: records.len() as u64,
            record_unit: "records",
            total: operations,
            unit: "operations",
            written: |m| &m.operations_written,
            sent_label: "records sent",
        },
        shutdown,
    )
    .await?;
    let language = stack.plan.query_language;
    let read = shutdown
        .or_signal(read_graph(language, &stack.store.url()))
        .await
        .map_err(|signal| Interrupted {
            signal,
            message:
                "demo stopped while reading the store; services stopped (a new `demo` starts over)"
                    .into(),
        })??;
    let outcome = MixedOutcome::compare(
        operations,
        &stored_form(language, &expected_graph(records)),
        &read,
        count_lines(&stack.state.rejected())?,
        crate::metrics::RunMetrics::get(&sent.metrics.on_failure),
    );
    let report_path = stack.state.report();
    let facts = run_facts(
        stack,
        &sent,
        "records",
        vec![
            ("workload".into(), "mixed".into()),
            ("records".into(), records.len().to_string()),
            ("rejected records".into(), outcome.rejected.to_string()),
            ("on-failure records".into(), outcome.on_failure.to_string()),
        ],
    );
    report::write(
        &report_path,
        &sent.metrics,
        &ReportSummary {
            headline: outcome.line(),
            facts,
        },
    )?;
    note_finished(&sent, "records", &report_path, &session.log);
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;
    use stream2neptune_graph::{PropertyChange, Value, VertexUpsert};

    /// The demo writes the mixed workload 100 records a write on openCypher: cut as the handler cuts it, the
    /// writes take few query texts, so the stand-in plans each once.
    #[test]
    fn the_mixed_workload_cut_as_the_handler_cuts_it_uses_few_opencypher_texts() {
        use std::collections::BTreeSet;
        use stream2neptune_workload::mixed::{self, MixedConfig, ValueKinds};
        use stream2neptune_writer::opencypher_operations::{EdgeIds, batch_query, fitting};
        let records = mixed::generate(&MixedConfig {
            records: 2_000,
            customers: 100,
            zipf_exponent: 1.0,
            seed: 42,
            values: ValueKinds::SCALARS,
        });
        let mut texts = BTreeSet::new();
        let mut writes = 0;
        let mut rest: Vec<&[Operation]> = records.iter().map(|r| r.operations.as_slice()).collect();
        while !rest.is_empty() {
            let taken = fitting(rest.iter().take(100).copied());
            let operations: Vec<&Operation> =
                rest[..taken].iter().flat_map(|ops| ops.iter()).collect();
            texts.insert(batch_query(&operations, EdgeIds::Given).unwrap().0);
            writes += 1;
            rest.drain(..taken);
        }
        assert!(writes >= 20, "{writes} writes");
        assert!(texts.len() <= 3, "{} texts in {writes} writes", texts.len());
    }

    fn graph(name: &str) -> Graph {
        let mut graph = Graph::default();
        graph
            .apply(&Operation::UpsertVertex(VertexUpsert {
                id: "c1".into(),
                label: "customer".into(),
                properties: vec![PropertyChange::set("name", Value::String(name.into()))],
            }))
            .unwrap();
        graph
    }

    #[test]
    fn a_graph_equal_to_the_model_gives_the_issues_line() {
        let outcome = MixedOutcome::compare(3, &graph("Ann"), &graph("Ann"), 0, 0);
        assert_eq!(
            outcome.line(),
            "demo: sent 3 operations, graph matches the model: 1 vertices, 0 edges, 1 properties, 0 differences"
        );
        assert!(outcome.is_clean());
    }

    #[test]
    fn one_difference_fails_the_run_and_is_named() {
        let outcome = MixedOutcome::compare(3, &graph("Ann"), &graph("Bob"), 0, 0);
        assert_eq!(
            outcome.line(),
            "demo: sent 3 operations, graph does not match the model: 1 vertices, 0 edges, 1 properties, 1 differences"
        );
        assert!(!outcome.is_clean());
        let failure = outcome.failure(std::path::Path::new("/s"));
        assert!(
            failure.contains("differs from the model's in 1 places"),
            "{failure}"
        );
        assert!(
            failure.contains("\"c1\""),
            "the element is named: {failure}"
        );
        assert!(failure.contains("name"), "the property is named: {failure}");
    }

    #[test]
    fn a_rejected_record_fails_the_run_even_when_the_graphs_match() {
        let outcome = MixedOutcome::compare(3, &graph("Ann"), &graph("Ann"), 1, 2);
        assert!(
            outcome
                .line()
                .ends_with("0 differences; rejected 1 records, on-failure 2 records"),
            "{}",
            outcome.line()
        );
        assert!(!outcome.is_clean());
        assert!(
            outcome
                .failure(std::path::Path::new("/s"))
                .contains("/s/rejected.jsonl")
        );
    }

    #[test]
    fn each_language_gets_every_value_kind_it_stores() {
        let (_, gremlin) = data_set(300, 1, QueryLanguage::Gremlin);
        let (_, sparql) = data_set(300, 1, QueryLanguage::Sparql);
        let (records, opencypher) = data_set(300, 1, QueryLanguage::OpenCypher);
        assert_eq!(
            (gremlin, sparql, opencypher),
            (ValueKinds::ALL, ValueKinds::ALL, ValueKinds::SCALARS)
        );
        assert_eq!(
            value_kinds(&records, QueryLanguage::OpenCypher),
            ValueKinds::ALL
        );
        let operations: usize = records.iter().map(|r| r.operations.len()).sum();
        assert_eq!(operations, 300);
    }
}
