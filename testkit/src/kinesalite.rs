//! kinesalite (npm `kinesalite`, in `node_modules`) on a free port, run with Node.js: the second,
//! independent Kinesis implementation beside [`crate::KinesisMock`].

use std::process::{Command, Stdio};
use std::time::Duration;

use crate::process::Server;
use crate::tools::node_module;

/// A kinesalite server, in memory, listening on 127.0.0.1; killed when dropped. It starts with
/// no stream: callers create theirs (CreateStream; ACTIVE at once, `createStreamMs` is 0).
pub struct Kinesalite {
    server: Server,
    /// The plain-HTTP port.
    pub port: u16,
}

impl Kinesalite {
    /// Starts kinesalite and waits until it listens.
    pub fn start() -> Self {
        let dir = node_module("kinesalite");
        assert!(
            dir.join("index.js").exists(),
            "kinesalite not found at {}: run `make tools`",
            dir.display()
        );
        let (server, port) = Server::spawn_on_free_port(
            "kinesalite (node)",
            Duration::from_secs(60),
            None,
            |port| {
                // Its command line listens on every interface: listen on 127.0.0.1 only.
                let script = format!(
                    "require({})({{createStreamMs: 0, deleteStreamMs: 0, updateStreamMs: 0, shardLimit: 50}}).listen({port}, '127.0.0.1')",
                    serde_json::to_string(&dir.to_string_lossy()).expect("a string")
                );
                let mut command = Command::new("node");
                command
                    .arg("-e")
                    .arg(script)
                    .current_dir(&dir)
                    .stdout(Stdio::null())
                    .stderr(Stdio::null());
                command
            },
        );
        Kinesalite { server, port }
    }

    /// Its endpoint URL.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.server.pid()
    }
}
