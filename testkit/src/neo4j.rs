//! The openCypher stand-in, launched as local mode runs it ([`stream2neptune_engines::neo4j`]: embedded
//! Neo4j 5.26 behind `NeptuneOpenCypher`, Neptune's `POST /openCypher` form and error body). Data
//! lives in a temp dir and survives a restart; killed when dropped.

use std::process::Stdio;

use crate::free_port;
use crate::process::Server;
use stream2neptune_engines::neo4j::{self, START_TIMEOUT};

/// A Neo4j-backed openCypher endpoint on a free port.
pub struct CypherServer {
    child: Option<Server>,
    dir: tempfile::TempDir,
    pub port: u16,
    /// Neo4j's Bolt port, when started with [`CypherServer::start_with_bolt`].
    pub bolt_port: Option<u16>,
    client: reqwest::Client,
}

impl CypherServer {
    /// Starts the adapter and waits until it listens (after the database is up).
    pub fn start() -> Self {
        Self::start_on(None)
    }

    /// [`CypherServer::start`] with Neo4j's Bolt connector on a second free port too (for clients that are not
    /// the writer, such as the Neo4j Python driver).
    pub fn start_with_bolt() -> Self {
        Self::start_on(Some(free_port()))
    }

    fn start_on(bolt_port: Option<u16>) -> Self {
        let mut server = CypherServer {
            child: None,
            dir: tempfile::tempdir().unwrap(),
            port: free_port(),
            bolt_port,
            client: reqwest::Client::new(),
        };
        server.spawn();
        server
    }

    fn spawn(&mut self) {
        let log = self.dir.path().join("adapter.log");
        let mut command = neo4j::command(self.port, &self.dir.path().join("data"), self.bolt_port)
            .unwrap_or_else(|e| panic!("{e}"));
        command
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&log).unwrap())
            .stderr(Stdio::from(
                std::fs::OpenOptions::new().append(true).open(&log).unwrap(),
            ));
        self.child = Some(Server::spawn_listening(
            "neo4j openCypher adapter",
            command,
            self.port,
            START_TIMEOUT,
            Some(&log),
        ));
    }

    /// Base URL (NEPTUNE_ENDPOINT).
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Stops it cleanly (SIGTERM: Neo4j shuts down and keeps its data).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.terminate(neo4j::STOP_GRACE);
        }
    }

    /// Starts it again on the same port and data.
    pub fn restart(&mut self) {
        self.stop();
        self.spawn();
    }

    /// Runs `query` with JSON `parameters` through the Neptune form; returns `results`.
    pub async fn query_with(
        &self,
        query: &str,
        parameters: serde_json::Value,
    ) -> Vec<serde_json::Value> {
        let response = self
            .client
            .post(format!("{}/openCypher", self.url()))
            .form(&[("query", query), ("parameters", &parameters.to_string())])
            .send()
            .await
            .expect("openCypher request");
        let status = response.status();
        let text = response.text().await.unwrap();
        assert!(status.is_success(), "{query}: {status} {text}");
        let json: serde_json::Value = serde_json::from_str(&text).unwrap();
        json["results"].as_array().cloned().unwrap_or_default()
    }

    /// Runs `query` without parameters.
    pub async fn query(&self, query: &str) -> Vec<serde_json::Value> {
        self.query_with(query, serde_json::json!({})).await
    }

    /// The `n` column of a one-row count query.
    pub async fn count(&self, query: &str) -> u64 {
        self.query(query).await[0]["n"].as_u64().unwrap()
    }

    /// Number of `follows` relationships.
    pub async fn edges(&self) -> u64 {
        self.count("MATCH ()-[r:follows]->() RETURN count(r) AS n")
            .await
    }

    /// Number of `person` nodes.
    pub async fn vertices(&self) -> u64 {
        self.count("MATCH (n:person) RETURN count(n) AS n").await
    }
}

impl Drop for CypherServer {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill();
        }
    }
}
