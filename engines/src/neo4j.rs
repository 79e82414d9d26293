//! The openCypher engine of local mode and of the writer's tests (installed by `make tools` into
//! `<workspace>/.java/neo4j`): embedded Neo4j 5.26 behind the `NeptuneOpenCypher` adapter
//! (tools/java/neo4j/NeptuneOpenCypher.java), which serves Neptune's `POST /openCypher` form (`query=`,
//! `parameters=`) and answers failures with Neptune's error body and code. `~id`, Neptune's element id, is an
//! ordinary property there, unique and indexed among nodes through the hidden label `~vertex` the adapter gives every
//! node pattern keyed by `~id` (not among relationships). Its data lives in a folder and survives a restart.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::error::{EngineError, Result};
use crate::tools;

/// How long a start may take (Neo4j's JVM start-up on a loaded 2-core machine).
pub const START_TIMEOUT: Duration = Duration::from_secs(180);

/// How long Neo4j may take to shut its database down after SIGTERM.
pub const STOP_GRACE: Duration = Duration::from_secs(60);

/// The folder `make tools` resolves Neo4j and compiles the adapter into.
pub fn dir() -> Result<PathBuf> {
    let dir = tools::workspace_root().join(".java/neo4j");
    if dir.join(".installed").is_file() {
        Ok(dir)
    } else {
        Err(EngineError::ToolMissing {
            tool: "Neo4j and its openCypher adapter".into(),
            looked_in: dir,
        })
    }
}

/// `java ... NeptuneOpenCypher <port> <data> [<bolt>]`: the adapter on 127.0.0.1:`port` with its database in `data`,
/// and with `bolt` Neo4j's own Bolt connector on 127.0.0.1:`bolt` without authentication (for clients that are not
/// the writer: `make write-bench`'s Neo4j driver; off unless asked). Stdio is left to the caller.
pub fn command(port: u16, data: &Path, bolt: Option<u16>) -> Result<Command> {
    let neo4j = dir()?;
    let mut command = Command::new(tools::java());
    command
        .args(["-Xms128m", "-Xmx1g", "-XX:+UseSerialGC"])
        // C1 only, as for Gremlin Server: most of a test's or a demo's CPU is Neo4j's start-up, which this cuts
        // from about 25 s to 15 s of CPU on two cores (BENCHMARKS.md). Peak write speed may be lower; the
        // benchmarks compare the writer with a bare client on the same server, so their ratios do not depend on it.
        .arg("-XX:TieredStopAtLevel=1")
        .arg("-cp")
        .arg(format!(
            "{}/*:{}",
            neo4j.join("lib").display(),
            neo4j.join("classes").display()
        ))
        .arg("NeptuneOpenCypher")
        .arg(port.to_string())
        .arg(data)
        .args(bolt.map(|port| port.to_string()));
    Ok(command)
}
