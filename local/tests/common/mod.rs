//! Shared harness of the local-mode tests: a real kinesalite (local mode's default stream server) and store on free loopback
//! ports (stopped when the stack is dropped, even on panic), a plan from the repository's
//! stack.yaml with test overrides (SPARQL, Oxigraph, unless a test names another QueryLanguage), and store checks.
#![allow(dead_code)] // each test binary uses a different part of the harness

use std::collections::HashSet;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use stream2neptune_engines::tools::workspace_root;
use stream2neptune_local::edge_store::EdgeStore as _;
use stream2neptune_local::esm::RunningMapping;
use stream2neptune_local::metrics::RunMetrics;
use stream2neptune_local::paths::StateDir;
use stream2neptune_local::sparql::SparqlClient;
use stream2neptune_local::{LocalPlan, LocalStack, Ports, kinesis};
use stream2neptune_writer::error::StoreError;
use stream2neptune_writer::{Deps, GraphStore, HttpStore};

/// A running stack in a temp state dir.
pub struct Harness {
    pub stack: LocalStack,
    pub metrics: Arc<RunMetrics>,
    _dir: tempfile::TempDir,
}

/// The eu-west-1 plan with `sets` and quick polling / back-off for tests; SPARQL (Oxigraph, the quickest store to
/// start) unless `sets` names a QueryLanguage.
pub fn plan(sets: &[&str]) -> LocalPlan {
    let mut sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
    if !sets.iter().any(|s| s.starts_with("QueryLanguage=")) {
        sets.insert(0, "QueryLanguage=sparql".into());
    }
    let mut plan =
        LocalPlan::load(&workspace_root().join("stack.yaml"), "eu-west-1", &sets).unwrap();
    plan.esm.idle_poll_interval = Duration::from_millis(100);
    plan.esm.retry_backoff = Duration::from_millis(20);
    plan.esm.retry_backoff_max = Duration::from_millis(200);
    plan
}

impl Harness {
    pub async fn start(plan: LocalPlan) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let state = StateDir::create(dir.path().join("state")).unwrap();
        let stack = LocalStack::up(plan, state, Ports::default())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        Harness {
            stack,
            metrics: Arc::new(RunMetrics::default()),
            _dir: dir,
        }
    }

    /// The writer's deps for the local store, with extra writer variables.
    pub fn deps(&self, extra: &[(&str, &str)]) -> Deps<HttpStore> {
        let env = self
            .stack
            .plan
            .writer_env(&self.stack.store.url(), &self.stack.state.rejected())
            .unwrap();
        let extra: Vec<(String, String)> = extra
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let config = stream2neptune_writer::Config::from_lookup(|name| {
            extra
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
                .or_else(|| env.iter().find(|(k, _)| *k == name).map(|(_, v)| v.clone()))
        })
        .unwrap();
        Deps::new(config)
    }

    /// The writer's deps with a short retry budget (3 attempts, 20 to 100 ms apart), so a store outage fails
    /// the invocation within a second and the mapping's own retries take over.
    pub fn quick_retry_deps(&self) -> Deps<HttpStore> {
        self.deps(&[
            ("RETRY_MAX_ATTEMPTS", "3"),
            ("RETRY_BASE_DELAY_MS", "20"),
            ("RETRY_MAX_DELAY_MS", "100"),
        ])
    }

    pub async fn mapping<S: GraphStore + Send + Sync + 'static>(
        &self,
        deps: Deps<S>,
    ) -> RunningMapping<S> {
        self.stack
            .start_mapping(deps, Arc::clone(&self.metrics))
            .await
            .unwrap_or_else(|e| panic!("{e}"))
    }

    pub async fn put(&self, records: &[(String, Vec<u8>)]) {
        kinesis::put_all(&self.stack.client, &self.stack.plan.stream_name, records)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    }

    /// Every `follows` pair in the store, counted in its own language.
    pub async fn pairs(&self) -> HashSet<(String, String)> {
        self.stack.store_client().follows_pairs().await.unwrap()
    }

    /// A SPARQL client of the store (a SPARQL plan's).
    pub fn sparql(&self) -> SparqlClient {
        SparqlClient::new(&self.stack.store.url())
    }

    /// Every triple in the store, as N-Triples lines, sorted.
    pub async fn triples(&self) -> Vec<String> {
        let rows = self
            .sparql()
            .select("SELECT ?s ?p ?o WHERE { ?s ?p ?o }", &["s", "p", "o"])
            .await
            .unwrap();
        let mut lines: Vec<String> = rows.into_iter().map(|r| r.join(" ")).collect();
        lines.sort();
        lines
    }

    pub fn rejected_lines(&self) -> Vec<serde_json::Value> {
        read_jsonl(&self.stack.state.rejected())
    }
}

pub fn read_jsonl(path: &std::path::Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// `n` distinct edges over `people` people as (partition key, CSV body), key = from id.
pub fn edges(n: usize, people: usize) -> Vec<(String, Vec<u8>)> {
    (0..n)
        .map(|i| {
            let from = format!("p{}", i % people);
            let to = format!("q{i}");
            let body = format!("{from},{to},2019-0{}-1{}", 1 + i % 9, i % 10);
            (from, body.into_bytes())
        })
        .collect()
}

/// The (from id, to id) of a CSV edge body.
pub fn split_edge(body: &[u8]) -> (&str, &str) {
    let text = std::str::from_utf8(body).unwrap();
    let mut cols = text.split(',');
    (cols.next().unwrap(), cols.next().unwrap())
}

/// The (from IRI, to IRI) pair of a CSV edge body.
pub fn pair_of(body: &[u8]) -> (String, String) {
    let (from, to) = split_edge(body);
    (
        stream2neptune_writer::sparql::person_iri(from),
        stream2neptune_writer::sparql::person_iri(to),
    )
}

pub async fn drained<S: GraphStore + Send + Sync + 'static>(mapping: &mut RunningMapping<S>) {
    assert!(
        mapping.wait_drained(Duration::from_secs(60)).await.unwrap(),
        "the stream was not drained in 60 s: {:?}",
        mapping.status()
    );
}

/// No outage: [`FaultyStore`] passes writes on.
pub const WORKING: u8 = 0;
/// [`FaultyStore`] denies access to every write (a broken policy).
pub const ACCESS_DENIED: u8 = 1;
/// [`FaultyStore`] refuses every write as malformed (an engine without the upsert idiom, a proxy).
pub const REFUSING_ALL: u8 = 2;

/// A store that refuses (access denied, not retried by the writer) every write holding `needle`,
/// fails every write while `outage` is not [`WORKING`], and records the text of every write it
/// passes on.
pub struct FaultyStore {
    pub inner: HttpStore,
    pub needle: Option<String>,
    pub outage: Arc<std::sync::atomic::AtomicU8>,
    pub submitted: Arc<Mutex<Vec<String>>>,
}

impl FaultyStore {
    pub fn wrap(
        deps: Deps<HttpStore>,
        needle: Option<String>,
    ) -> (Deps<FaultyStore>, Arc<Mutex<Vec<String>>>) {
        let submitted = Arc::new(Mutex::new(Vec::new()));
        let Deps {
            config,
            store,
            rejects,
            metrics,
            write_size,
        } = deps;
        let store = FaultyStore {
            inner: store,
            needle,
            outage: Arc::new(std::sync::atomic::AtomicU8::new(WORKING)),
            submitted: Arc::clone(&submitted),
        };
        (
            Deps {
                config,
                store,
                rejects,
                metrics,
                write_size,
            },
            submitted,
        )
    }
}

impl GraphStore for FaultyStore {
    fn submit(
        &self,
        query: &str,
        timeout: Duration,
    ) -> impl Future<Output = Result<(), StoreError>> + Send {
        let refuse = self.needle.as_deref().is_some_and(|n| query.contains(n));
        let outage = self.outage.load(std::sync::atomic::Ordering::Relaxed);
        if !refuse && outage == WORKING {
            self.submitted.lock().unwrap().push(query.to_owned());
        }
        let inner = self.inner.submit(query, timeout);
        // A delay of 0-15 ms that differs between writes, so concurrent lanes finish out of order.
        let jitter = {
            use std::hash::{Hash, Hasher};
            let mut h = std::collections::hash_map::DefaultHasher::new();
            query.hash(&mut h);
            Duration::from_millis(h.finish() % 16)
        };
        async move {
            tokio::time::sleep(jitter).await;
            if outage == REFUSING_ALL {
                Err(StoreError::Status {
                    status: 400,
                    code: Some("MalformedQueryException".into()),
                    message: "test: every write is refused".into(),
                })
            } else if refuse || outage == ACCESS_DENIED {
                Err(StoreError::Status {
                    status: 403,
                    code: Some("AccessDeniedException".into()),
                    message: "test: writes of this key always fail".into(),
                })
            } else {
                inner.await
            }
        }
    }

    fn reconnect(&self) {
        self.inner.reconnect();
    }
}
