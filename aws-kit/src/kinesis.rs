//! The Kinesis client, built one way for every caller: the SDK's retries off (the driver and the
//! local event source mapping retry themselves, per record) and a per-attempt timeout so a hung
//! call becomes a retry. Every SDK configuration here (also the credential chain's, [`config_loader`])
//! speaks HTTPS through rustls with ring, as reqwest does in the rest of the project: the SDK's
//! default client would build a second TLS stack, aws-lc, from C.

use std::time::Duration;

use aws_sdk_kinesis::Client;
use aws_sdk_kinesis::config::{BehaviorVersion, Credentials, Region, SharedHttpClient};
use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};

/// The longest one Kinesis call may take before it counts as failed.
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(30);

/// A client with credentials from the default chain (environment, profile, instance role), in
/// `region` (or the chain's region) and at `endpoint_url` (or the region's endpoint).
pub async fn client(region: Option<String>, endpoint_url: Option<String>) -> Client {
    let mut loader = config_loader()
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

/// The SDK's configuration loader (credentials and region from the default chain) with the project's HTTPS
/// client: the credential providers that call out (instance metadata, SSO, STS) use it too.
pub fn config_loader() -> aws_config::ConfigLoader {
    aws_config::defaults(aws_config::BehaviorVersion::latest()).http_client(https_client())
}

/// HTTPS through rustls with ring, the certificates from the platform's store, which `SSL_CERT_FILE` /
/// `SSL_CERT_DIR` replace when set (rustls-native-certs; see [`crate::tls`]).
fn https_client() -> SharedHttpClient {
    aws_smithy_http_client::Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::Ring))
        .build_https()
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
        .http_client(https_client())
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
