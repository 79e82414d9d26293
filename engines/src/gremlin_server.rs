//! TinkerPop's Gremlin Server, the Gremlin engine of local mode and of the writer's tests (installed by `make tools`
//! into `<workspace>/.java/gremlin-server/lib`): a TinkerTransactionGraph with ANY vertex and edge ids and
//! Neptune's default vertex property cardinality, set (TinkerGraph's own default is single), behind the
//! HTTP channelizer, so the writer's `POST /gremlin {"gremlin": ...}` reaches it as it reaches Neptune. Serializers:
//! untyped GraphSON 3 first (what a request without `Accept` gets: plain JSON as the writer reads it), typed
//! GraphSON 3 (graph-notebook's default for Neptune) and GraphBinary 1. Two script
//! engines: `gremlin-lang`, TinkerPop's ANTLR grammar that Neptune parses with, and `gremlin-groovy`, Gremlin Server's
//! default for a request that names no language (the writer's do not). Local mode runs
//! [`Channelizer::GrammarByDefault`] (tools/java/gremlin-server/GrammarHttpChannelizer.java), which sends such
//! requests to the grammar, as Neptune parses them: Groovy compiles each traversal anew, and a 100-edge write took
//! minutes to compile on 2 cores against about a second through the grammar. The writer's tests keep Gremlin Server's
//! own channelizer and name the engine where it matters. TinkerGraph keeps the graph in memory: it is saved as GraphSON on a clean stop (SIGTERM) and loaded
//! again on the next start; a SIGKILL loses what was written since the last start (Neptune loses no committed
//! write). Gryo cannot save a TinkerTransactionGraph on Java 17 (kryo has no access to AtomicLong).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::error::{EngineError, Result};
use crate::tools;

/// How long a start may take (the JVM and the Groovy engine on a loaded 2-core machine).
pub const START_TIMEOUT: Duration = Duration::from_secs(180);

/// How long the server may take to save its graph and exit after SIGTERM.
pub const STOP_GRACE: Duration = Duration::from_secs(30);

/// How HTTP requests reach the script engines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channelizer {
    /// Gremlin Server's own WsAndHttpChannelizer: HTTP and WebSocket on one port (graph-notebook's `%%gremlin`
    /// connects over a WebSocket); a request naming no language is evaluated by Groovy.
    WsAndHttp,
    /// `GrammarHttpChannelizer`: Gremlin Server's WsAndHttpChannelizer, but an HTTP request naming no language is
    /// evaluated by `gremlin-lang`, as on Neptune; WebSocket requests (the write bench's gremlinpython contenders)
    /// pass unchanged.
    GrammarByDefault,
}

impl Channelizer {
    fn class(self) -> &'static str {
        match self {
            Channelizer::WsAndHttp => {
                "org.apache.tinkerpop.gremlin.server.channel.WsAndHttpChannelizer"
            }
            Channelizer::GrammarByDefault => "GrammarHttpChannelizer",
        }
    }
}

/// The folder `make tools` resolves Gremlin Server and TinkerGraph into (`lib/`) and compiles local mode's
/// channelizer into (`classes/`).
pub fn dir() -> Result<PathBuf> {
    let dir = tools::workspace_root().join(".java/gremlin-server");
    if dir.join(".installed").is_file()
        && dir.join("classes/GrammarHttpChannelizer.class").is_file()
    {
        Ok(dir)
    } else {
        Err(EngineError::ToolMissing {
            tool: "Gremlin Server (TinkerPop) and its grammar channelizer".into(),
            looked_in: dir,
        })
    }
}

/// Writes the server's files into `dir` (created if missing): `gremlin-server.yaml` listening on
/// 127.0.0.1:`port` through `channelizer`, the graph's properties (saved to `dir/graph.json`) and the script
/// binding `g`. Returns the path of `gremlin-server.yaml`.
pub fn write_config(dir: &Path, port: u16, channelizer: Channelizer) -> Result<PathBuf> {
    let write = |name: &str, text: String| {
        let path = dir.join(name);
        std::fs::write(&path, text).map_err(|source| EngineError::Io {
            action: "write",
            path: path.clone(),
            source,
        })?;
        Ok::<_, EngineError>(path)
    };
    std::fs::create_dir_all(dir).map_err(|source| EngineError::Io {
        action: "create",
        path: dir.to_owned(),
        source,
    })?;
    write(
        "tinkergraph.properties",
        format!(
            "gremlin.graph=org.apache.tinkerpop.gremlin.tinkergraph.structure.TinkerTransactionGraph\n\
             gremlin.tinkergraph.vertexIdManager=ANY\n\
             gremlin.tinkergraph.edgeIdManager=ANY\n\
             gremlin.tinkergraph.defaultVertexPropertyCardinality=set\n\
             gremlin.tinkergraph.graphLocation={}\n\
             gremlin.tinkergraph.graphFormat=graphson\n",
            dir.join("graph.json").display()
        ),
    )?;
    // Binds `g` (both engines see the server's global bindings).
    write(
        "init.groovy",
        "def globals = [:]\nglobals << [g : traversal().withEmbedded(graph)]\n".into(),
    )?;
    write(
        "gremlin-server.yaml",
        format!(
            r#"host: 127.0.0.1
port: {port}
evaluationTimeout: 30000
channelizer: {channelizer}
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
            dir = dir.display(),
            channelizer = channelizer.class()
        ),
    )
}

/// `java ... GremlinServer <config>` (stdio left to the caller).
pub fn command(config: &Path) -> Result<Command> {
    let mut command = Command::new(tools::java());
    command
        // Start-up dominates a short run: a small heap and the quick JIT tier suffice.
        .args([
            "-Xms64m",
            "-Xmx1g",
            "-XX:+UseSerialGC",
            "-XX:TieredStopAtLevel=1",
        ])
        .arg("-cp")
        .arg({
            let dir = dir()?;
            format!(
                "{}/*:{}",
                dir.join("lib").display(),
                dir.join("classes").display()
            )
        })
        .arg("org.apache.tinkerpop.gremlin.server.GremlinServer")
        .arg(config);
    Ok(command)
}
