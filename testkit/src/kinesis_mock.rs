//! kinesis-mock (npm `kinesis-local`, in `node_modules`) on a free port, run with Node.js.

use std::process::{Command, Stdio};
use std::time::Duration;

use crate::free_port;
use crate::process::Server;
use crate::tools::node_module;

/// A kinesis-mock server; killed when dropped. It listens before its streams are ACTIVE: callers
/// with a Kinesis client wait for that themselves.
pub struct KinesisMock {
    server: Server,
    /// The plain-HTTP port.
    pub port: u16,
}

impl KinesisMock {
    /// Starts kinesis-mock with `streams` (name, shard count) created at start-up, in
    /// us-east-1, and waits until it listens.
    pub fn start(streams: &[(&str, u32)]) -> Self {
        let dir = node_module("kinesis-local");
        let main_js = dir.join("main.js");
        assert!(
            main_js.exists(),
            "kinesis-mock not found at {}: run `make tools`",
            main_js.display()
        );
        let init = streams
            .iter()
            .map(|(name, shards)| format!("{name}:{shards}"))
            .collect::<Vec<_>>()
            .join(",");
        let (server, port) = Server::spawn_on_free_port(
            "kinesis-mock (node)",
            Duration::from_secs(60),
            None,
            |port| {
                let mut command = Command::new("node");
                command
                    .arg(&main_js)
                    .current_dir(&dir)
                    .env("KINESIS_MOCK_PLAIN_PORT", port.to_string())
                    .env("KINESIS_MOCK_TLS_PORT", free_port().to_string())
                    .env("INITIALIZE_STREAMS", &init)
                    .env("CREATE_STREAM_DURATION", "0ms")
                    .env("AWS_REGION", "us-east-1")
                    .env("LOG_LEVEL", "WARN")
                    .stdout(Stdio::null())
                    .stderr(Stdio::null());
                command
            },
        );
        KinesisMock { server, port }
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
