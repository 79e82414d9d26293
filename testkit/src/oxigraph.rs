//! An Oxigraph server (PyPI `oxigraph`, in `.venv/bin`) on a free port, with its data in a
//! temporary directory.

use std::collections::HashMap;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::process::Server;
use crate::tool;

/// An Oxigraph server; killed when dropped.
pub struct Oxigraph {
    server: Option<Server>,
    dir: tempfile::TempDir,
    /// Its port on 127.0.0.1.
    pub port: u16,
}

/// How long a start may take.
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// `oxigraph serve` of the store in `dir` on 127.0.0.1:`port`.
fn command(dir: &Path, port: u16) -> Command {
    let mut command = Command::new(tool("oxigraph"));
    command
        .args(["serve", "--location"])
        .arg(dir.join("store"))
        .args(["--bind", &format!("127.0.0.1:{port}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    command
}

impl Oxigraph {
    /// Starts a server with an empty store and waits until it listens (on another port when one it was given was
    /// taken first).
    pub fn start() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let (server, port) = Server::spawn_on_free_port("oxigraph", START_TIMEOUT, None, |port| {
            command(dir.path(), port)
        });
        Oxigraph {
            server: Some(server),
            dir,
            port,
        }
    }

    /// Starts it again on its port and store.
    fn spawn(&mut self) {
        self.server = Some(Server::spawn_listening(
            "oxigraph",
            command(self.dir.path(), self.port),
            self.port,
            START_TIMEOUT,
            None,
        ));
    }

    /// Base URL (NEPTUNE_ENDPOINT in local mode).
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The server's process id, while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.server.as_ref().map(Server::pid)
    }

    /// Kills the server (SIGKILL), keeping its data.
    pub fn stop(&mut self) {
        self.server.take();
    }

    /// Starts it again on the same port and data.
    pub fn restart(&mut self) {
        self.stop();
        self.spawn();
    }

    /// Runs a SPARQL SELECT and returns the bindings as (variable -> value) maps; panics on an
    /// HTTP error with the server's answer.
    pub async fn select(&self, query: &str) -> Vec<HashMap<String, String>> {
        let response = reqwest::Client::new()
            .post(format!("{}/query", self.url()))
            .header("accept", "application/sparql-results+json")
            .form(&[("query", query)])
            .send()
            .await
            .expect("query request");
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        assert!(
            status.is_success(),
            "query failed ({status}): {text}\n{query}"
        );
        let json: serde_json::Value = serde_json::from_str(&text).unwrap();
        json["results"]["bindings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| {
                b.as_object()
                    .unwrap()
                    .iter()
                    .map(|(k, v)| (k.clone(), v["value"].as_str().unwrap().to_string()))
                    .collect()
            })
            .collect()
    }

    /// Runs a SPARQL update; panics on an HTTP error with the server's answer.
    pub async fn update(&self, update: &str) {
        let response = reqwest::Client::new()
            .post(format!("{}/update", self.url()))
            .form(&[("update", update)])
            .send()
            .await
            .expect("update request");
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        assert!(
            status.is_success(),
            "update failed ({status}): {text}\n{update}"
        );
    }

    /// `SELECT (COUNT(*) AS ?n) WHERE { pattern }`.
    pub async fn count(&self, pattern: &str) -> usize {
        let rows = self
            .select(&format!("SELECT (COUNT(*) AS ?n) WHERE {{ {pattern} }}"))
            .await;
        rows[0]["n"].parse().unwrap()
    }

    /// Number of triples in the default graph.
    pub async fn triples(&self) -> usize {
        self.count("?s ?p ?o").await
    }
}
