//! A/B of the writer's two Gremlin batch forms (GREMLIN_BATCH_FORM `chained` and `rows`) on one Gremlin Server
//! that parses every request with `gremlin-lang`, as Neptune does: the same follows edges (20,000 by default,
//! between 10,000 people, seeded), built by the writer's own [`batch_query`] into requests of 100 records before
//! any timing, posted over 4 concurrent keep-alive connections into the emptied graph; the forms alternate, 3
//! rounds. A request answered with a 5xx (TinkerTransactionGraph's write conflicts between concurrent
//! transactions: "element modified in another transaction", or a vertex another transaction is creating that
//! mergeE cannot resolve) is sent again, as the writer does, and counted. `AB_EDGES`, `AB_BATCH`, `AB_CLIENTS`
//! and `AB_ROUNDS` change the sizes.
//!
//! `cargo run -p stream2neptune-writer --example gremlin_forms`
//!
//! With `AB_TEXTS=DIR` it starts no server: it writes each form's request texts, one per line, to `DIR/chained.txt`
//! and `DIR/rows.txt`, for tools/bench/GremlinStepCost.java, which times where Gremlin Server spends them.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use rand::{Rng, SeedableRng};
use stream2neptune_engines::gremlin_server::Channelizer;
use stream2neptune_graph::Operation;
use stream2neptune_testkit::gremlin_server::GremlinServer;
use stream2neptune_writer::gremlin::{GremlinStyle, batch_query};
use stream2neptune_writer::record::{Edge, parse_date};
use stream2neptune_writer_environment::{GremlinBatchForm, GremlinUpsertStyle};

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// `count` distinct follows edges between 10,000 people on dates of 2016.
fn edges(count: usize) -> Vec<Edge> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(23);
    let mut seen = HashSet::new();
    let mut edges = Vec::with_capacity(count);
    while edges.len() < count {
        let (from, to) = (rng.random_range(0..10_000), rng.random_range(0..10_000));
        let date = format!(
            "2016-{:02}-{:02}",
            rng.random_range(1..=12),
            rng.random_range(1..=28)
        );
        let edge = Edge {
            from: format!("p{from}"),
            to: format!("p{to}"),
            created: parse_date(&date).expect("a valid date"),
            properties: Vec::new(),
        };
        if from != to && seen.insert(edge.id()) {
            edges.push(edge);
        }
    }
    edges
}

/// Posts `bodies` over `clients` connections; returns (seconds, 5xx answers retried).
async fn post_all(url: &str, bodies: Arc<Vec<Vec<u8>>>, clients: usize) -> (f64, usize) {
    let http = reqwest::Client::new();
    let next = Arc::new(AtomicUsize::new(0));
    let conflicts = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let tasks: Vec<_> = (0..clients)
        .map(|_| {
            let (http, url, bodies) = (http.clone(), url.to_owned(), bodies.clone());
            let (next, conflicts) = (next.clone(), conflicts.clone());
            tokio::spawn(async move {
                while let Some(body) = bodies.get(next.fetch_add(1, Ordering::Relaxed)) {
                    loop {
                        let response = http
                            .post(&url)
                            .header("content-type", "application/json")
                            .body(body.clone())
                            .send()
                            .await
                            .expect("the server answers");
                        let status = response.status();
                        let text = response.text().await.expect("a body");
                        if status.is_success() {
                            break;
                        }
                        assert!(status.is_server_error(), "{status}: {text}");
                        conflicts.fetch_add(1, Ordering::Relaxed);
                    }
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.expect("a client task");
    }
    (
        started.elapsed().as_secs_f64(),
        conflicts.load(Ordering::Relaxed),
    )
}

#[tokio::main]
async fn main() {
    let (count, batch) = (env_or("AB_EDGES", 20_000), env_or("AB_BATCH", 100));
    let (clients, rounds) = (env_or("AB_CLIENTS", 4), env_or("AB_ROUNDS", 3));
    let edges = edges(count);
    let people: HashSet<&str> = edges
        .iter()
        .flat_map(|e| [e.from.as_str(), e.to.as_str()])
        .collect();
    let operations: Vec<Operation> = edges.iter().cloned().map(Edge::into_operation).collect();
    let forms = [
        ("chained", GremlinBatchForm::Chained),
        ("rows", GremlinBatchForm::Rows),
    ];
    let style = |form| GremlinStyle {
        upsert: GremlinUpsertStyle::Merge,
        conditional_create: true,
        form,
    };
    if let Some(dir) = std::env::var_os("AB_TEXTS") {
        for (name, form) in forms {
            let texts: Vec<String> = operations
                .chunks(batch)
                .map(|chunk| batch_query(chunk, style(form), || unreachable!("derived ids")))
                .collect();
            let path = std::path::Path::new(&dir).join(format!("{name}.txt"));
            std::fs::write(&path, texts.join("\n") + "\n").expect("the texts are written");
            println!("{}: {} requests", path.display(), texts.len());
        }
        return;
    }
    let server = GremlinServer::start_with(Channelizer::GrammarByDefault);
    let url = format!("{}/gremlin", server.url());
    let mut rates: Vec<Vec<f64>> = vec![Vec::new(); forms.len()];
    println!("{count} edges, batches of {batch}, {clients} clients, {rounds} rounds");
    for round in 1..=rounds {
        for (i, (name, form)) in forms.iter().enumerate() {
            let bodies: Vec<Vec<u8>> = operations
                .chunks(batch)
                .map(|chunk| {
                    let text = batch_query(chunk, style(*form), || unreachable!("derived ids"));
                    serde_json::to_vec(&serde_json::json!({ "gremlin": text })).expect("JSON")
                })
                .collect();
            server.query("g.V().drop()").await;
            let (seconds, conflicts) = post_all(&url, Arc::new(bodies), clients).await;
            assert_eq!(server.edges().await, count as u64, "{name}");
            assert_eq!(server.vertices().await, people.len() as u64, "{name}");
            let rate = count as f64 / seconds;
            rates[i].push(rate);
            println!(
                "round {round} {name:>7}: {rate:>6.0} edges/s ({seconds:.1} s, {conflicts} 5xx retried)"
            );
        }
    }
    for ((name, _), mut values) in forms.iter().zip(rates) {
        values.sort_by(f64::total_cmp);
        println!(
            "{name:>7}: median {:.0} edges/s (min {:.0}, max {:.0})",
            values[values.len() / 2],
            values[0],
            values[values.len() - 1]
        );
    }
}
