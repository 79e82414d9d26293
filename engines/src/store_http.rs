//! The HTTP every store client shares: one client, one way to send a request and read its answer, and the
//! reading of JSON answers and element ids.

use std::time::Duration;

use crate::error::{EngineError, Result};

/// The HTTP client every store client uses (a long timeout: counting 20,000 edges takes a while on a busy
/// machine).
pub fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(300))
        .build()
        .unwrap_or_default()
}

/// Sends `request` to `url` and returns the body of a 2xx answer; any other answer is [`EngineError::Store`] with
/// the start of its body, no answer [`EngineError::StoreUnreachable`].
pub async fn send(request: reqwest::RequestBuilder, url: &str) -> Result<String> {
    let unreachable = |e: reqwest::Error| EngineError::StoreUnreachable {
        url: url.to_owned(),
        message: stream2neptune_aws::cause_chain(&e),
    };
    let response = request.send().await.map_err(unreachable)?;
    let status = response.status();
    let body = response.text().await.map_err(unreachable)?;
    if status.is_success() {
        Ok(body)
    } else {
        Err(EngineError::Store {
            url: url.to_owned(),
            status: status.as_u16(),
            body: body.chars().take(500).collect(),
        })
    }
}

/// Parses a store's JSON answer.
pub fn json(url: &str, text: &str, what: &str) -> Result<serde_json::Value> {
    serde_json::from_str(text).map_err(|e| EngineError::Store {
        url: url.to_owned(),
        status: 200,
        body: format!("not {what}: {e}"),
    })
}

/// An element id from a store's JSON answer as text (ids are strings; anything else is shown as JSON).
pub fn id_text(value: &serde_json::Value) -> String {
    value
        .as_str()
        .map_or_else(|| value.to_string(), str::to_owned)
}
