//! The graph store behind a narrow trait, and its HTTP implementation for Neptune and Oxigraph.
//!
//! Gremlin: `POST {endpoint}/gremlin`, JSON `{"gremlin": "..."}`. SPARQL: `POST {endpoint}/sparql`,
//! form field `update=`. openCypher: `POST {endpoint}/openCypher`, form fields `query=` and
//! `parameters=` (the write text is that whole form body, see [`crate::opencypher`]). Each is one
//! transaction per request on Neptune.

use std::future::Future;
use std::sync::RwLock;
use std::time::{Duration, SystemTime};

use crate::config::Config;
use crate::error::{StoreError, from_transport};
use stream2neptune_aws::{ExtraRoots, Signer};
use stream2neptune_writer_environment::QueryLanguage;

/// Something write batches can be submitted to.
pub trait GraphStore: Sync {
    /// Submits one write (one transaction), waiting at most `timeout`. `query` is the write text
    /// of [`crate::query::build_query`].
    fn submit(
        &self,
        query: &str,
        timeout: Duration,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Drops pooled connections so the next request resolves and connects again (after a
    /// failover the cluster endpoint points at the new writer).
    fn reconnect(&self);
}

/// Builds the one HTTP client of the execution environment: rustls trusting Mozilla's roots and `roots`
/// (SSL_CERT_FILE / SSL_CERT_DIR, see [`stream2neptune_aws::tls`]), HTTP/1.1 (Neptune has no HTTP/2 for REST),
/// keep-alive.
pub fn http_client(roots: &ExtraRoots) -> reqwest::Client {
    roots
        .client_builder()
        .http1_only()
        .tcp_keepalive(Duration::from_secs(30))
        .tcp_nodelay(true)
        // Below the idle timeouts of Neptune and of NAT/VPC paths, so a reused connection is alive.
        .pool_idle_timeout(Duration::from_secs(50))
        .connect_timeout(Duration::from_secs(5))
        .user_agent(concat!("stream2neptune-writer/", env!("CARGO_PKG_VERSION")))
        .build()
        .unwrap_or_else(|_| reqwest::Client::new())
}

/// The reqwest-based [`GraphStore`].
#[derive(Debug)]
pub struct HttpStore {
    client: RwLock<reqwest::Client>,
    url: String,
    language: QueryLanguage,
    signer: Option<Signer>,
    /// What a new client trusts (see [`GraphStore::reconnect`]).
    roots: ExtraRoots,
}

impl HttpStore {
    /// A store for `config` (endpoint, language, IAM auth) over `client`.
    pub fn new(config: &Config, client: reqwest::Client) -> Self {
        let signer = match (config.iam_auth, &config.credentials, &config.region) {
            (true, Some(credentials), Some(region)) => {
                Some(credentials.signer(region, "neptune-db"))
            }
            _ => None,
        };
        HttpStore {
            client: RwLock::new(client),
            url: config.write_url(),
            language: config.query_language,
            signer,
            roots: config.extra_roots.clone(),
        }
    }

    /// The URL writes are posted to.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The content type and body of the request that writes `query` (its form differs per language).
    pub fn request_body(&self, query: &str) -> (&'static str, Vec<u8>) {
        match self.language {
            QueryLanguage::Gremlin => (
                "application/json",
                serde_json::to_vec(&serde_json::json!({ "gremlin": query })).unwrap_or_default(),
            ),
            QueryLanguage::Sparql => {
                let body = crate::form::body(&[("update", query)]);
                ("application/x-www-form-urlencoded", body.into_bytes())
            }
            // Already form-encoded: the query and its parameters are two fields.
            QueryLanguage::OpenCypher => (
                "application/x-www-form-urlencoded",
                query.as_bytes().to_vec(),
            ),
        }
    }
}

impl GraphStore for HttpStore {
    fn submit(
        &self,
        query: &str,
        timeout: Duration,
    ) -> impl Future<Output = Result<(), StoreError>> + Send {
        let (content_type, body) = self.request_body(query);
        let client = self
            .client
            .read()
            .map(|c| c.clone())
            .unwrap_or_else(|p| p.into_inner().clone());
        let mut request = client
            .post(&self.url)
            .timeout(timeout)
            .header(reqwest::header::CONTENT_TYPE, content_type);
        let signed = match &self.signer {
            Some(signer) => signer
                .sign(
                    "POST",
                    &self.url,
                    &[("content-type", content_type)],
                    &body,
                    SystemTime::now(),
                )
                .map(Some)
                .map_err(|e| StoreError::Signing(e.to_string())),
            None => Ok(None),
        };
        async move {
            for (name, value) in signed?.unwrap_or_default() {
                request = request.header(name, value);
            }
            send_checked(request.body(body), timeout).await
        }
    }

    fn reconnect(&self) {
        let mut client = self.client.write().unwrap_or_else(|p| p.into_inner());
        *client = http_client(&self.roots);
    }
}

/// Sends `request` and maps the answer: a success status is `Ok`, anything else the [`StoreError`] its status and
/// Neptune error body classify (which decides whether it is retried), a transport failure its transport error.
pub(crate) async fn send_checked(
    request: reqwest::RequestBuilder,
    timeout: Duration,
) -> Result<(), StoreError> {
    let response = request
        .send()
        .await
        .map_err(|e| from_transport(&e, timeout))?;
    let status = response.status();
    // Read the whole body so the connection goes back to the pool.
    let text = response
        .text()
        .await
        .map_err(|e| from_transport(&e, timeout))?;
    if status.is_success() {
        Ok(())
    } else {
        Err(StoreError::from_response(status.as_u16(), &text))
    }
}
