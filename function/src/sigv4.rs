//! AWS Signature Version 4 for store (service `neptune-db`) and SQS requests, with aws-sigv4.

use std::time::SystemTime;

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;

use crate::config::AwsCredentials;

/// Signs requests for one service in one region with the environment's credentials.
#[derive(Debug, Clone)]
pub struct Signer {
    identity: Identity,
    region: String,
    service: &'static str,
}

impl Signer {
    /// A signer for `service` (`neptune-db`, `sqs`).
    pub fn new(credentials: &AwsCredentials, region: &str, service: &'static str) -> Self {
        let credentials = Credentials::new(
            &credentials.access_key_id,
            &credentials.secret_access_key,
            credentials.session_token.clone(),
            None,
            "environment",
        );
        Signer {
            identity: credentials.into(),
            region: region.to_owned(),
            service,
        }
    }

    /// The headers to add (`authorization`, `x-amz-date`, `x-amz-security-token`) for a request
    /// with these `headers` (which are signed too; `host` is taken from the URL) and `body`.
    pub fn sign(
        &self,
        method: &str,
        url: &str,
        headers: &[(&str, &str)],
        body: &[u8],
        time: SystemTime,
    ) -> Result<Vec<(String, String)>, String> {
        let params = v4::SigningParams::builder()
            .identity(&self.identity)
            .region(&self.region)
            .name(self.service)
            .time(time)
            .settings(SigningSettings::default())
            .build()
            .map_err(|e| e.to_string())?
            .into();
        let request = SignableRequest::new(
            method,
            url,
            headers.iter().copied(),
            SignableBody::Bytes(body),
        )
        .map_err(|e| e.to_string())?;
        let (instructions, _signature) = sign(request, &params)
            .map_err(|e| e.to_string())?
            .into_parts();
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
        let credentials = AwsCredentials {
            access_key_id: "AKIDEXAMPLE".into(),
            secret_access_key: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".into(),
            session_token: token.map(str::to_owned),
        };
        Signer::new(&credentials, "us-east-1", "neptune-db")
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
}
