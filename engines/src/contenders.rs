//! The write contenders of `make write-bench` and `make local-bench`: clients that are not the writer
//! (tools/bench/*.py: a plain HTTP client, gremlinpython, the Neo4j Python driver) writing the same follows edges
//! with the same idempotent upserts, in the engine's best known forms, so that each store's ceiling is the engine's
//! and not the writer's own requests replayed. One row per contender: its script, the endpoint it talks to and its
//! options; [`Contender::run`] runs it on a data file of `from,to,created` lines (local mode writes
//! one from a data set) and reads its result line.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use stream2neptune_plan::QueryLanguage;

use crate::error::{EngineError, Result};
use crate::tools;

/// Where a contender connects, derived from the store's HTTP base URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    /// `<base><path>` over HTTP.
    Http(&'static str),
    /// `ws://<host:port>/gremlin` (Gremlin Server serves WebSocket and HTTP on one port).
    WebSocket,
    /// Neo4j's Bolt connector (a second port).
    Bolt,
}

/// One contender.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Contender {
    /// Its name in the benchmarks' output (the script prints the same).
    pub name: &'static str,
    /// The language, and so the store, it writes.
    pub language: QueryLanguage,
    /// The script under tools/bench/.
    pub script: &'static str,
    /// Its endpoint.
    pub endpoint: Endpoint,
    /// Options beyond the common ones (--url, --edges, --batch, --concurrency).
    pub options: &'static [&'static str],
}

/// Every contender, grouped by language.
pub const CONTENDERS: &[Contender] = &[
    Contender {
        name: "gremlin-http-inject",
        language: QueryLanguage::Gremlin,
        script: "gremlin_http.py",
        endpoint: Endpoint::Http(""),
        options: &[],
    },
    Contender {
        name: "gremlin-ws-bytecode",
        language: QueryLanguage::Gremlin,
        script: "gremlin_ws_bytecode.py",
        endpoint: Endpoint::WebSocket,
        options: &[],
    },
    Contender {
        name: "gremlin-ws-text",
        language: QueryLanguage::Gremlin,
        script: "gremlin_ws_text.py",
        endpoint: Endpoint::WebSocket,
        options: &[],
    },
    Contender {
        name: "gremlin-http-writer-form",
        language: QueryLanguage::Gremlin,
        script: "gremlin_writer_form.py",
        endpoint: Endpoint::Http(""),
        options: &["--transport", "http"],
    },
    Contender {
        name: "gremlin-ws-writer-form",
        language: QueryLanguage::Gremlin,
        script: "gremlin_writer_form.py",
        endpoint: Endpoint::WebSocket,
        options: &["--transport", "ws"],
    },
    Contender {
        name: "cypher-bolt-merge-each",
        language: QueryLanguage::OpenCypher,
        script: "cypher_bolt.py",
        endpoint: Endpoint::Bolt,
        options: &["--shape", "merge-each"],
    },
    Contender {
        name: "cypher-http-writer-form",
        language: QueryLanguage::OpenCypher,
        script: "cypher_http.py",
        endpoint: Endpoint::Http(""),
        options: &["--shape", "writer-form"],
    },
    Contender {
        name: "cypher-http-merge-each",
        language: QueryLanguage::OpenCypher,
        script: "cypher_http.py",
        endpoint: Endpoint::Http(""),
        options: &["--shape", "merge-each"],
    },
    Contender {
        name: "cypher-http-people-first",
        language: QueryLanguage::OpenCypher,
        script: "cypher_http.py",
        endpoint: Endpoint::Http(""),
        options: &["--shape", "people-first"],
    },
    Contender {
        name: "sparql-http-insert-data",
        language: QueryLanguage::Sparql,
        script: "sparql_http.py",
        endpoint: Endpoint::Http("/update"),
        options: &["--form", "insert-data"],
    },
    Contender {
        name: "sparql-http-graph-store",
        language: QueryLanguage::Sparql,
        script: "sparql_http.py",
        endpoint: Endpoint::Http("/store"),
        options: &["--form", "graph-store"],
    },
];

/// The contenders of `language`, in table order.
pub fn of(language: QueryLanguage) -> impl Iterator<Item = &'static Contender> {
    CONTENDERS.iter().filter(move |c| c.language == language)
}

/// A contender's result: what its result line said.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct ContenderRun {
    /// Edges written.
    pub edges: u64,
    /// Seconds from the first request to the last answer.
    pub seconds: f64,
    /// `edges / seconds`.
    pub edges_per_s: f64,
    /// Requests tried again after a transaction conflict.
    pub retries: u64,
}

/// The folder of the contender scripts.
pub fn scripts_dir() -> PathBuf {
    tools::workspace_root().join("tools/bench")
}

impl Contender {
    /// The URL the script gets as `--url` for a store at `base` (`http://127.0.0.1:<port>`) with Neo4j's Bolt
    /// connector at `bolt`, if it has one.
    pub fn url(&self, base: &str, bolt: Option<&str>) -> Result<String> {
        match self.endpoint {
            Endpoint::Http(path) => Ok(format!("{base}{path}")),
            Endpoint::WebSocket => Ok(format!(
                "ws://{}/gremlin",
                base.trim_start_matches("http://")
            )),
            Endpoint::Bolt => bolt.map(str::to_owned).ok_or(EngineError::Contender {
                name: self.name,
                detail: "the store has no Bolt connector: start Neo4j with one (StoreServer::start_with)"
                    .into(),
            }),
        }
    }

    /// Runs the contender against the store at `base` (and `bolt`) on the edges of `edges` (`from,to,created`
    /// lines), `batch` edges a request over `concurrency` clients; the store is expected to hold the people
    /// already or not, as the caller arranged.
    pub async fn run(
        &self,
        base: &str,
        bolt: Option<&str>,
        edges: &Path,
        batch: usize,
        concurrency: usize,
    ) -> Result<ContenderRun> {
        let python = tools::venv_tool("python")?;
        let output = tokio::process::Command::new(python)
            .arg(scripts_dir().join(self.script))
            .arg("--url")
            .arg(self.url(base, bolt)?)
            .arg("--edges")
            .arg(edges)
            .args(["--batch", &batch.to_string()])
            .args(["--concurrency", &concurrency.to_string()])
            .args(self.options)
            .stdin(Stdio::null())
            .kill_on_drop(true)
            .output()
            .await
            .map_err(|e| EngineError::Contender {
                name: self.name,
                detail: format!("cannot start it: {e}"),
            })?;
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        if !output.status.success() {
            return Err(EngineError::Contender {
                name: self.name,
                detail: format!("{}: {}", output.status, stderr.trim()),
            });
        }
        let line = stdout.lines().last().unwrap_or_default();
        serde_json::from_str(line).map_err(|e| EngineError::Contender {
            name: self.name,
            detail: format!("its result line {line:?} is not the expected JSON ({e})"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_language_has_contenders() {
        for language in [
            QueryLanguage::Gremlin,
            QueryLanguage::Sparql,
            QueryLanguage::OpenCypher,
        ] {
            assert!(of(language).count() >= 2, "{language:?}");
        }
    }

    #[test]
    fn every_row_names_an_existing_script_and_a_unique_name() {
        let mut names = std::collections::HashSet::new();
        for contender in CONTENDERS {
            assert!(
                scripts_dir().join(contender.script).is_file(),
                "{}: tools/bench/{} is missing",
                contender.name,
                contender.script
            );
            assert!(names.insert(contender.name), "{} twice", contender.name);
        }
    }

    #[test]
    fn urls_follow_the_endpoint() {
        let base = "http://127.0.0.1:8182";
        let url = |name: &str, bolt| {
            CONTENDERS
                .iter()
                .find(|c| c.name == name)
                .unwrap()
                .url(base, bolt)
        };
        assert_eq!(
            url("gremlin-ws-bytecode", None).unwrap(),
            "ws://127.0.0.1:8182/gremlin"
        );
        assert_eq!(
            url("sparql-http-graph-store", None).unwrap(),
            "http://127.0.0.1:8182/store"
        );
        assert_eq!(
            url("cypher-bolt-merge-each", Some("bolt://127.0.0.1:7687")).unwrap(),
            "bolt://127.0.0.1:7687"
        );
        assert!(
            url("cypher-bolt-merge-each", None)
                .unwrap_err()
                .to_string()
                .contains("no Bolt connector")
        );
    }
}
