//! TLS for the tests: a certificate authority made per test run ([`TestCa`], its certificate in a PEM file that only
//! the test hands to a client) and a TLS-terminating proxy ([`TlsProxy`]) on a free loopback port in front of a
//! plain-HTTP server the tests already start (Gremlin Server, moto, a replay server). Neptune accepts only TLS; the
//! proxy lets a client complete the same handshake (certificate chain, host name) against a local engine.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::thread::JoinHandle;

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose,
};
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};

/// The host name the proxy's certificate is issued for (and the one [`TlsProxy::url`] uses).
pub const HOST: &str = "localhost";

/// A CA whose certificate exists only in this test run: a client trusts it only when the test gives it
/// [`TestCa::pem_file`].
pub struct TestCa {
    issuer: CertifiedIssuer<'static, KeyPair>,
    pem_file: PathBuf,
    _dir: tempfile::TempDir,
}

impl TestCa {
    /// A new CA with the common name `name` (two CAs of one test have different keys, so neither trusts the
    /// other's certificates).
    pub fn new(name: &str) -> Self {
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("CA parameters");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(DnType::CommonName, name);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let key = KeyPair::generate().expect("CA key");
        let issuer = CertifiedIssuer::self_signed(params, key).expect("CA certificate");
        let dir = tempfile::tempdir().expect("a temporary directory for the CA certificate");
        let pem_file = dir.path().join("ca.pem");
        std::fs::write(&pem_file, issuer.pem()).expect("write the CA certificate");
        TestCa {
            issuer,
            pem_file,
            _dir: dir,
        }
    }

    /// The CA certificate as a PEM file (what SSL_CERT_FILE points at).
    pub fn pem_file(&self) -> &Path {
        &self.pem_file
    }

    /// A server configuration presenting a certificate for `host` issued by this CA (the chain: leaf, CA).
    fn server_config(&self, host: &str) -> ServerConfig {
        let mut params = CertificateParams::new(vec![host.to_owned()]).expect("server parameters");
        params.distinguished_name.push(DnType::CommonName, host);
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        let key = KeyPair::generate().expect("server key");
        let leaf = params
            .signed_by(&key, &self.issuer)
            .expect("server certificate");
        let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
        ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("TLS versions")
            .with_no_client_auth()
            .with_single_cert(
                vec![leaf.der().clone(), self.issuer.der().clone()],
                PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
            )
            .expect("server certificate and key")
    }
}

/// A TLS-terminating proxy on 127.0.0.1: each connection's handshake is made with a certificate for [`HOST`] from
/// a [`TestCa`], then its bytes go both ways to a plain TCP port on 127.0.0.1. It runs on its own thread (so sync
/// and async tests can use it) and stops when dropped.
pub struct TlsProxy {
    /// The proxy's port.
    pub port: u16,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl TlsProxy {
    /// A proxy in front of `127.0.0.1:upstream_port`, presenting a certificate for [`HOST`] issued by `ca`.
    pub fn start(ca: &TestCa, upstream_port: u16) -> Self {
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(ca.server_config(HOST)));
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        listener
            .set_nonblocking(true)
            .expect("non-blocking listener");
        let port = listener.local_addr().expect("the proxy's port").port();
        let (stop, stopped) = tokio::sync::oneshot::channel();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("the proxy's runtime");
            runtime.block_on(async move {
                let listener =
                    tokio::net::TcpListener::from_std(listener).expect("a tokio listener");
                let accept = async {
                    while let Ok((stream, _)) = listener.accept().await {
                        tokio::spawn(forward(acceptor.clone(), stream, upstream_port));
                    }
                };
                tokio::select! {
                    _ = stopped => {}
                    _ = accept => {}
                }
            });
        });
        TlsProxy {
            port,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    /// `https://localhost:{port}`: the URL whose host name the certificate names.
    pub fn url(&self) -> String {
        format!("https://{HOST}:{}", self.port)
    }
}

/// One connection: the handshake (a client that refuses the certificate ends it here), then bytes both ways.
async fn forward(
    acceptor: tokio_rustls::TlsAcceptor,
    stream: tokio::net::TcpStream,
    upstream_port: u16,
) {
    let Ok(mut tls) = acceptor.accept(stream).await else {
        return;
    };
    let Ok(mut upstream) = tokio::net::TcpStream::connect(("127.0.0.1", upstream_port)).await
    else {
        return;
    };
    let _ = tokio::io::copy_bidirectional(&mut tls, &mut upstream).await;
}

impl Drop for TlsProxy {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};

    #[test]
    fn the_proxy_forwards_a_request_after_a_handshake_with_the_test_ca() {
        // GIVEN a plain TCP server that answers one line, behind the proxy
        let upstream = TcpListener::bind("127.0.0.1:0").unwrap();
        let upstream_port = upstream.local_addr().unwrap().port();
        let server = std::thread::spawn(move || {
            let (mut stream, _) = upstream.accept().unwrap();
            let mut request = [0u8; 5];
            stream.read_exact(&mut request).unwrap();
            stream.write_all(b"pong:").unwrap();
            stream.write_all(&request).unwrap();
        });
        let ca = TestCa::new("stream2neptune testkit CA");
        let proxy = TlsProxy::start(&ca, upstream_port);

        // WHEN a client trusting only the test CA sends a request over TLS
        let answer = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(async {
                let mut roots = tokio_rustls::rustls::RootCertStore::empty();
                roots.add(ca.issuer.der().clone()).unwrap();
                let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
                let config = tokio_rustls::rustls::ClientConfig::builder_with_provider(provider)
                    .with_safe_default_protocol_versions()
                    .unwrap()
                    .with_root_certificates(roots)
                    .with_no_client_auth();
                let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
                let tcp = tokio::net::TcpStream::connect(("127.0.0.1", proxy.port))
                    .await
                    .unwrap();
                let name = tokio_rustls::rustls::pki_types::ServerName::try_from(HOST).unwrap();
                let mut tls = connector.connect(name, tcp).await.unwrap();
                use tokio::io::{AsyncReadExt, AsyncWriteExt};
                tls.write_all(b"ping!").await.unwrap();
                let mut answer = vec![0u8; 10];
                tls.read_exact(&mut answer).await.unwrap();
                answer
            });

        // THEN the upstream server's answer came back through the proxy
        assert_eq!(answer, b"pong:ping!");
        server.join().unwrap();
    }
}
