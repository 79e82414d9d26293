//! AWS Signature Version 4 over aws-sigv4, for Neptune's data plane (service `neptune-db`) and SQS.

use std::time::SystemTime;

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;

/// A request could not be signed (a malformed URL or header, or incomplete signing parameters).
/// Its text is aws-sigv4's; callers say what was being signed.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct SigningError(String);

/// Signs requests for one service in one region with one set of credentials.
#[derive(Debug, Clone)]
pub struct Signer {
    identity: Identity,
    region: String,
    service: String,
}

impl Signer {
    /// A signer for `service` (`neptune-db`, `sqs`) in `region` with `credentials`.
    pub fn new(
        credentials: Credentials,
        region: impl Into<String>,
        service: impl Into<String>,
    ) -> Self {
        Signer {
            identity: credentials.into(),
            region: region.into(),
            service: service.into(),
        }
    }

    /// A signer from static keys, as the execution environment gives them (AWS_ACCESS_KEY_ID,
    /// AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN).
    pub fn from_keys(
        access_key_id: &str,
        secret_access_key: &str,
        session_token: Option<String>,
        region: impl Into<String>,
        service: impl Into<String>,
    ) -> Self {
        let credentials = Credentials::new(
            access_key_id,
            secret_access_key,
            session_token,
            None,
            "environment",
        );
        Self::new(credentials, region, service)
    }

    /// The headers to add (`authorization`, `x-amz-date`, and `x-amz-security-token` with
    /// temporary credentials) to a request with these `headers` (which are signed too; `host` is
    /// taken from the URL) and `body`, signed at `time`.
    pub fn sign(
        &self,
        method: &str,
        url: &str,
        headers: &[(&str, &str)],
        body: &[u8],
        time: SystemTime,
    ) -> Result<Vec<(String, String)>, SigningError> {
        let error = |e: &dyn std::fmt::Display| SigningError(e.to_string());
        let params = v4::SigningParams::builder()
            .identity(&self.identity)
            .region(&self.region)
            .name(&self.service)
            .time(time)
            .settings(SigningSettings::default())
            .build()
            .map_err(|e| error(&e))?
            .into();
        let request = SignableRequest::new(
            method,
            url,
            headers.iter().copied(),
            SignableBody::Bytes(body),
        )
        .map_err(|e| error(&e))?;
        let (instructions, _signature) =
            sign(request, &params).map_err(|e| error(&e))?.into_parts();
        Ok(instructions
            .headers()
            .map(|(name, value)| (name.to_owned(), value.to_owned()))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn signer(token: Option<&str>) -> Signer {
        Signer::from_keys(
            "AKIDEXAMPLE",
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            token.map(str::to_owned),
            "us-east-1",
            "neptune-db",
        )
    }

    fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
        headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    #[test]
    fn neptune_signature_headers() {
        let time = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000); // 2023-11-14T22:13:20Z
        let headers = signer(Some("the-session-token"))
            .sign(
                "POST",
                "https://db.cluster-x.us-east-1.neptune.amazonaws.com:8182/gremlin",
                &[("content-type", "application/json")],
                br#"{"gremlin":"g.V().limit(1)"}"#,
                time,
            )
            .unwrap();
        assert_eq!(header(&headers, "x-amz-date"), Some("20231114T221320Z"));
        assert_eq!(
            header(&headers, "x-amz-security-token"),
            Some("the-session-token")
        );
        let auth = header(&headers, "authorization").unwrap();
        let prefix = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20231114/us-east-1/neptune-db/aws4_request, \
                      SignedHeaders=content-type;host;x-amz-date;x-amz-security-token, Signature=";
        assert!(auth.starts_with(prefix), "{auth}");
        let signature = &auth[prefix.len()..];
        assert_eq!(signature.len(), 64);
        assert!(signature.chars().all(|c| c.is_ascii_hexdigit()));
    }

    #[test]
    fn without_session_token_the_header_is_absent() {
        let headers = signer(None)
            .sign(
                "POST",
                "https://h:8182/sparql",
                &[],
                b"update=x",
                SystemTime::now(),
            )
            .unwrap();
        assert_eq!(header(&headers, "x-amz-security-token"), None);
        assert!(
            header(&headers, "authorization")
                .unwrap()
                .contains("SignedHeaders=host;x-amz-date,")
        );
    }

    #[test]
    fn the_body_is_part_of_the_signature() {
        let time = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let s = signer(None);
        let a = s
            .sign("POST", "https://h:8182/gremlin", &[], b"a", time)
            .unwrap();
        let b = s
            .sign("POST", "https://h:8182/gremlin", &[], b"b", time)
            .unwrap();
        assert_ne!(header(&a, "authorization"), header(&b, "authorization"));
    }

    #[test]
    fn the_service_name_is_in_the_credential_scope() {
        let time = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let sqs = Signer::from_keys("AKID", "secret", None, "eu-west-1", "sqs");
        let headers = sqs
            .sign(
                "POST",
                "https://sqs.eu-west-1.amazonaws.com/",
                &[],
                b"{}",
                time,
            )
            .unwrap();
        assert!(
            header(&headers, "authorization")
                .unwrap()
                .contains("Credential=AKID/20231114/eu-west-1/sqs/aws4_request"),
            "{headers:?}"
        );
    }

    #[test]
    fn a_malformed_url_is_an_error() {
        let err = signer(None)
            .sign("POST", "not a url", &[], b"", SystemTime::now())
            .unwrap_err();
        assert!(!err.to_string().is_empty());
    }
}
