//! TinkerPop's Gremlin Server on a free port, configured and launched as local mode runs it
//! ([`stream2neptune_engines::gremlin_server`]: a TinkerTransactionGraph with ANY ids), in a temp dir, behind
//! Gremlin Server's own channelizer for both of Neptune's Gremlin forms on one port: HTTP, so the writer's
//! `POST /gremlin {"gremlin": ...}` reaches it as it reaches Neptune, and WebSocket (`/gremlin`), as
//! graph-notebook's `%%gremlin` connects. A request naming no language is evaluated by `gremlin-groovy`, one that
//! names `gremlin-lang` by TinkerPop's grammar (the one Neptune parses with). The graph is saved as GraphSON on a
//! clean stop (SIGTERM) and loaded again on restart.

use std::process::{Command, Stdio};

use crate::free_port;
use crate::process::Server;
use stream2neptune_engines::gremlin_server::{self, START_TIMEOUT};

/// A Gremlin Server with its config and graph file in a temp dir; killed when dropped.
pub struct GremlinServer {
    child: Option<Server>,
    dir: tempfile::TempDir,
    config: std::path::PathBuf,
    pub port: u16,
    client: reqwest::Client,
}

impl GremlinServer {
    /// Writes the config (local mode's, [`gremlin_server::write_config`]), starts the server and waits until it
    /// listens (its last start-up step).
    pub fn start() -> Self {
        Self::start_with(gremlin_server::Channelizer::WsAndHttp)
    }

    /// [`GremlinServer::start`] behind `channelizer`: [`gremlin_server::Channelizer::GrammarByDefault`] parses
    /// every request with `gremlin-lang`, as Neptune and local mode do (HTTP only).
    pub fn start_with(channelizer: gremlin_server::Channelizer) -> Self {
        let mut server = Self::spawn_with(channelizer);
        server.wait_listening();
        server
    }

    /// Writes the config and starts the server without waiting for it: a test can set up other
    /// parts while the JVM starts, then call [`GremlinServer::wait_listening`]. Its port is known
    /// at once.
    pub fn spawn() -> Self {
        Self::spawn_with(gremlin_server::Channelizer::WsAndHttp)
    }

    fn spawn_with(channelizer: gremlin_server::Channelizer) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let config = gremlin_server::write_config(dir.path(), port, channelizer)
            .unwrap_or_else(|e| panic!("{e}"));
        let mut server = GremlinServer {
            child: None,
            dir,
            config,
            port,
            client: reqwest::Client::new(),
        };
        server.spawn_process();
        server
    }

    /// Waits until the server listens; panics with its log when it exits first or takes longer
    /// than the start timeout.
    pub fn wait_listening(&mut self) {
        if let Some(child) = self.child.as_mut() {
            child.wait_listening(self.port, START_TIMEOUT);
        }
    }

    fn spawn_process(&mut self) {
        let log = self.dir.path().join("server.log");
        let mut command: Command =
            gremlin_server::command(&self.config).unwrap_or_else(|e| panic!("{e}"));
        command
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&log).unwrap())
            .stderr(Stdio::from(
                std::fs::OpenOptions::new().append(true).open(&log).unwrap(),
            ));
        self.child = Some(Server::spawn_logged("gremlin-server", command, &log));
    }

    /// The last lines the server logged (for assertion messages).
    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default();
        let lines: Vec<&str> = text.lines().filter(|l| !l.starts_with('\t')).collect();
        lines[lines.len().saturating_sub(30)..].join("\n")
    }

    /// Base URL (NEPTUNE_ENDPOINT).
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Kills the server (SIGKILL): what was not saved by a clean stop is lost.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill();
        }
    }

    /// Stops the server cleanly (SIGTERM): it stops taking requests and saves the graph.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.terminate(gremlin_server::STOP_GRACE);
        }
    }

    /// Starts it again on the same port, loading the graph it saved.
    pub fn restart(&mut self) {
        self.stop();
        self.spawn_process();
        self.wait_listening();
    }

    /// Posts `gremlin` (in `language`, else the server's default) and returns `result.data`, or
    /// the server's error message.
    pub async fn try_submit(
        &self,
        gremlin: &str,
        language: Option<&str>,
    ) -> Result<Vec<serde_json::Value>, String> {
        let mut body = serde_json::json!({ "gremlin": gremlin });
        if let Some(language) = language {
            body["language"] = language.into();
        }
        let response = self
            .client
            .post(format!("{}/gremlin", self.url()))
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .await
            .map_err(|e| e.to_string())?;
        let status = response.status();
        let text = response.text().await.map_err(|e| e.to_string())?;
        let json: serde_json::Value = serde_json::from_str(&text).map_err(|_| text.clone())?;
        if !status.is_success() {
            return Err(json["message"].as_str().unwrap_or(&text).to_string());
        }
        Ok(json["result"]["data"]
            .as_array()
            .cloned()
            .unwrap_or_default())
    }

    /// Runs a read traversal through the grammar (`gremlin-lang`), panicking on an error.
    pub async fn query(&self, gremlin: &str) -> Vec<serde_json::Value> {
        self.try_submit(gremlin, Some("gremlin-lang"))
            .await
            .unwrap_or_else(|e| panic!("{gremlin}: {e}"))
    }

    /// The single number a `count()` traversal returns.
    pub async fn count(&self, gremlin: &str) -> u64 {
        self.query(gremlin).await[0].as_u64().unwrap()
    }

    /// `g.E().count()`.
    pub async fn edges(&self) -> u64 {
        self.count("g.E().count()").await
    }

    /// `g.V().count()`.
    pub async fn vertices(&self) -> u64 {
        self.count("g.V().count()").await
    }
}

impl Drop for GremlinServer {
    fn drop(&mut self) {
        self.kill();
    }
}
