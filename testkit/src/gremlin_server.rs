//! TinkerPop's Gremlin Server (from `make tools`: `<workspace>/.java/gremlin-server/lib`) on a free
//! port: a TinkerTransactionGraph with ANY vertex and edge ids behind the channelizer that serves
//! both of Neptune's Gremlin forms on one port: HTTP, so the writer's `POST /gremlin {"gremlin": ...}`
//! reaches it as it reaches Neptune, and WebSocket (`/gremlin`), as graph-notebook's `%%gremlin`
//! connects. Its serializers: untyped GraphSON 3 first (what a request without `Accept` gets, plain
//! JSON as the writer and the tests read it), typed GraphSON 3 (graph-notebook's default for
//! Neptune) and GraphBinary 1 (the other one gremlinpython speaks). Two script engines:
//! `gremlin-groovy` (the default for a request naming no language, which the writer's and
//! graph-notebook's are) and `gremlin-lang`, TinkerPop's ANTLR grammar that Neptune parses with,
//! for requests that name it. The graph is saved to the temp dir as GraphSON on a clean stop
//! (SIGTERM) and loaded again on restart (Gryo cannot save a TinkerTransactionGraph on Java 17:
//! kryo has no access to AtomicLong).

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::free_port;
use crate::process::Server;
use crate::tools::{java, java_dir};

/// How long a start may take (the JVM and the Groovy engine on a loaded 2-core machine).
const START_TIMEOUT: Duration = Duration::from_secs(120);

/// A Gremlin Server with its config and graph file in a temp dir; killed when dropped.
pub struct GremlinServer {
    child: Option<Server>,
    dir: tempfile::TempDir,
    pub port: u16,
    client: reqwest::Client,
}

/// The folder `make tools` resolves Gremlin Server and TinkerGraph into.
pub fn gremlin_server_lib() -> PathBuf {
    let dir = java_dir("gremlin-server");
    assert!(
        dir.join(".installed").is_file(),
        "Gremlin Server is not installed in {}: run `make tools`",
        dir.display()
    );
    dir.join("lib")
}

impl GremlinServer {
    /// Writes the config, starts the server and waits until it listens (its last start-up step).
    pub fn start() -> Self {
        let mut server = Self::spawn();
        server.wait_listening();
        server
    }

    /// Writes the config and starts the server without waiting for it: a test can set up other
    /// parts while the JVM starts, then call [`GremlinServer::wait_listening`]. Its port is known
    /// at once.
    pub fn spawn() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let graph = dir.path().join("graph.json");
        std::fs::write(
            dir.path().join("tinkergraph.properties"),
            format!(
                "gremlin.graph=org.apache.tinkerpop.gremlin.tinkergraph.structure.TinkerTransactionGraph\n\
                 gremlin.tinkergraph.vertexIdManager=ANY\n\
                 gremlin.tinkergraph.edgeIdManager=ANY\n\
                 gremlin.tinkergraph.graphLocation={}\n\
                 gremlin.tinkergraph.graphFormat=graphson\n",
                graph.display()
            ),
        )
        .unwrap();
        // Binds `g` (both engines see the server's global bindings).
        std::fs::write(
            dir.path().join("init.groovy"),
            "def globals = [:]\nglobals << [g : traversal().withEmbedded(graph)]\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("gremlin-server.yaml"),
            format!(
                r#"host: 127.0.0.1
port: {port}
evaluationTimeout: 30000
channelizer: org.apache.tinkerpop.gremlin.server.channel.WsAndHttpChannelizer
graphs: {{graph: {dir}/tinkergraph.properties}}
scriptEngines: {{
  gremlin-lang: {{}},
  gremlin-groovy: {{
    plugins: {{ org.apache.tinkerpop.gremlin.server.jsr223.GremlinServerGremlinPlugin: {{}},
               org.apache.tinkerpop.gremlin.tinkergraph.jsr223.TinkerGraphGremlinPlugin: {{}},
               org.apache.tinkerpop.gremlin.jsr223.ScriptFileGremlinPlugin: {{files: [{dir}/init.groovy]}}}}}}}}
serializers:
  - {{ className: org.apache.tinkerpop.gremlin.util.ser.GraphSONUntypedMessageSerializerV3, config: {{ ioRegistries: [org.apache.tinkerpop.gremlin.tinkergraph.structure.TinkerIoRegistryV3] }}}}
  - {{ className: org.apache.tinkerpop.gremlin.util.ser.GraphSONMessageSerializerV3, config: {{ ioRegistries: [org.apache.tinkerpop.gremlin.tinkergraph.structure.TinkerIoRegistryV3] }}}}
  - {{ className: org.apache.tinkerpop.gremlin.util.ser.GraphBinaryMessageSerializerV1 }}
strictTransactionManagement: false
maxContentLength: 10485760
"#,
                dir = dir.path().display()
            ),
        )
        .unwrap();
        let mut server = GremlinServer {
            child: None,
            dir,
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
        let mut command = Command::new(java());
        command
            // Start-up dominates a test's run: a small heap and the quick JIT tier suffice.
            .args([
                "-Xms64m",
                "-Xmx1g",
                "-XX:+UseSerialGC",
                "-XX:TieredStopAtLevel=1",
            ])
            .arg("-cp")
            .arg(format!("{}/*", gremlin_server_lib().display()))
            .arg("org.apache.tinkerpop.gremlin.server.GremlinServer")
            .arg(self.dir.path().join("gremlin-server.yaml"))
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
            child.terminate(Duration::from_secs(30));
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
