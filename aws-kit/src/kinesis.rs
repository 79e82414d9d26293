//! The Kinesis client, built one way for every caller: the SDK's retries off (the driver and the
//! local event source mapping retry themselves, per record) and a per-attempt timeout so a hung
//! call becomes a retry.

use std::time::Duration;

use aws_sdk_kinesis::Client;
use aws_sdk_kinesis::config::{BehaviorVersion, Credentials, Region};

/// The longest one Kinesis call may take before it counts as failed.
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(30);

/// A client with credentials from the default chain (environment, profile, instance role), in
/// `region` (or the chain's region) and at `endpoint_url` (or the region's endpoint).
pub async fn client(region: Option<String>, endpoint_url: Option<String>) -> Client {
    let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .retry_config(aws_config::retry::RetryConfig::disabled())
        .timeout_config(timeout_config());
    if let Some(region) = region {
        loader = loader.region(aws_config::Region::new(region));
    }
    if let Some(url) = endpoint_url {
        loader = loader.endpoint_url(url);
    }
    Client::new(&loader.load().await)
}

/// A client for a local stand-in (kinesis-mock, kinesalite) at `endpoint`, with fixed local
/// credentials: nothing is looked up, so it works on a machine without AWS configuration.
pub fn local_client(endpoint: &str, region: &str) -> Client {
    let config = aws_sdk_kinesis::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(region.to_owned()))
        .endpoint_url(endpoint)
        .credentials_provider(Credentials::new(
            "AKIDLOCAL",
            "local-secret",
            None,
            None,
            "stream2neptune-local",
        ))
        .retry_config(aws_sdk_kinesis::config::retry::RetryConfig::disabled())
        .timeout_config(timeout_config())
        .build();
    Client::from_conf(config)
}

fn timeout_config() -> aws_config::timeout::TimeoutConfig {
    aws_config::timeout::TimeoutConfig::builder()
        .operation_attempt_timeout(ATTEMPT_TIMEOUT)
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_local_client_has_its_region_no_retries_and_the_attempt_timeout() {
        let client = local_client("http://127.0.0.1:1", "eu-west-1");
        let config = client.config();
        assert_eq!(config.region().map(|r| r.as_ref()), Some("eu-west-1"));
        assert_eq!(config.retry_config().map(|r| r.max_attempts()), Some(1));
        assert_eq!(
            config
                .timeout_config()
                .and_then(|t| t.operation_attempt_timeout()),
            Some(ATTEMPT_TIMEOUT)
        );
    }
}
