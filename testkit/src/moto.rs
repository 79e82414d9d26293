//! moto_server (PyPI `moto[server]`, in `.venv/bin`) over plain HTTP on a free port: the AWS
//! API stand-in where nothing else exists (SQS for the writer's rejects). The deploy tests run
//! their own TLS variant with CloudFormation behaviours (tests/deploy_support).

use std::process::{Command, Stdio};
use std::time::Duration;

use crate::process::Server;
use crate::tool;

/// A moto server on 127.0.0.1; killed when dropped.
pub struct Moto {
    _server: Server,
    /// Its port.
    pub port: u16,
}

impl Moto {
    /// Starts moto_server and waits until it listens (on another port when one it was given was taken first).
    pub fn start() -> Moto {
        let (server, port) =
            Server::spawn_on_free_port("moto_server", Duration::from_secs(30), None, |port| {
                let mut command = Command::new(tool("moto_server"));
                command
                    .args(["-H", "127.0.0.1", "-p", &port.to_string()])
                    .stdout(Stdio::null())
                    .stderr(Stdio::null());
                command
            });
        Moto {
            _server: server,
            port,
        }
    }

    /// Its endpoint URL.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}
