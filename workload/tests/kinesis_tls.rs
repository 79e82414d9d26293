//! The AWS SDK's Kinesis client as the driver builds it (`stream2neptune_aws::kinesis::client`: rustls with ring, the
//! platform's roots, credentials from the default chain) completing a TLS handshake and a ListStreams call through
//! the test kit's TLS proxy, and refusing a certificate from a CA it does not trust.
//!
//! The SDK reads its roots through rustls-native-certs, which takes SSL_CERT_FILE from the process environment in
//! place of the platform's store: the documented way to make the client trust another CA. So this binary runs
//! without the test harness, and `main` sets the variable (and test credentials) before any thread starts, for this
//! process only.

use std::sync::Arc;

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper_util::rt::TokioIo;
use stream2neptune_testkit::{TestCa, TlsProxy};

const STREAM: &str = "tls-stream";

/// A plain-HTTP stand-in that answers ListStreams with one stream (any other call with an error) and counts the calls.
async fn list_streams_server(
    calls: Arc<std::sync::atomic::AtomicUsize>,
) -> (u16, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let task = tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let calls = Arc::clone(&calls);
            tokio::spawn(async move {
                let service = hyper::service::service_fn(
                    move |request: hyper::Request<Incoming>| {
                        let calls = Arc::clone(&calls);
                        async move {
                            let target = request
                                .headers()
                                .get("x-amz-target")
                                .and_then(|v| v.to_str().ok())
                                .unwrap_or_default()
                                .to_owned();
                            let _ = request.into_body().collect().await;
                            calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                            let (status, body) = if target == "Kinesis_20131202.ListStreams" {
                                (
                                    200,
                                    serde_json::json!({"StreamNames": [STREAM], "HasMoreStreams": false}),
                                )
                            } else {
                                (
                                    400,
                                    serde_json::json!({"__type": "UnknownOperationException", "message": target}),
                                )
                            };
                            Ok::<_, std::convert::Infallible>(
                                hyper::Response::builder()
                                    .status(status)
                                    .header("content-type", "application/x-amz-json-1.1")
                                    .body(Full::new(Bytes::from(body.to_string())))
                                    .unwrap(),
                            )
                        }
                    },
                );
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    (port, task)
}

fn main() {
    // GIVEN a CA made for this run, its certificate in SSL_CERT_FILE, and test credentials (the default chain reads
    // them before it would ask for an instance role)
    let ours = TestCa::new("stream2neptune SDK test CA");
    let theirs = TestCa::new("stream2neptune untrusted CA");
    // SAFETY: no other thread exists yet (no test harness, no runtime): nothing reads the environment meanwhile.
    unsafe {
        std::env::set_var("SSL_CERT_FILE", ours.pem_file());
        std::env::remove_var("SSL_CERT_DIR");
        std::env::set_var("AWS_ACCESS_KEY_ID", "AKIDTLSTEST");
        std::env::set_var("AWS_SECRET_ACCESS_KEY", "secret");
        std::env::set_var("AWS_EC2_METADATA_DISABLED", "true");
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let calls = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let (port, server) = list_streams_server(Arc::clone(&calls)).await;
        let trusted = TlsProxy::start(&ours, port);
        let untrusted = TlsProxy::start(&theirs, port);

        // WHEN the driver's client lists the streams through the proxy whose certificate our CA issued
        let client =
            stream2neptune_aws::kinesis::client(Some("us-east-1".into()), Some(trusted.url()))
                .await;
        let listed = client.list_streams().send().await.unwrap_or_else(|err| {
            panic!(
                "ListStreams over TLS failed: {}",
                stream2neptune_aws::cause_chain(&err)
            )
        });

        // THEN the handshake completed and the server's answer came back
        assert_eq!(listed.stream_names(), [STREAM]);
        assert_eq!(calls.load(std::sync::atomic::Ordering::SeqCst), 1);

        // WHEN the same call goes to a proxy whose certificate another CA issued
        let client =
            stream2neptune_aws::kinesis::client(Some("us-east-1".into()), Some(untrusted.url()))
                .await;
        let err = client.list_streams().send().await.unwrap_err();

        // THEN the certificate is refused and the server never sees the call
        let text = stream2neptune_aws::cause_chain(&err);
        assert!(
            text.contains("invalid peer certificate: UnknownIssuer"),
            "{text}"
        );
        assert_eq!(calls.load(std::sync::atomic::Ordering::SeqCst), 1);
        server.abort();
    });
    println!("kinesis_tls: 1 passed, 0 failed");
}
