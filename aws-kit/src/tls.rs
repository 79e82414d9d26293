//! What the project's reqwest clients (the writer's store and rejects queue, the bulk loader) trust, one rule for
//! all: Mozilla's root certificates as the webpki-roots crate ships them (reqwest's `rustls-tls`; Amazon Root CA 1
//! to 4 and Starfield Services Root CA G2, to which Neptune's and every AWS endpoint's certificates chain, are among
//! them), plus the CA certificates named by OpenSSL's variables `SSL_CERT_FILE` (a PEM file) and `SSL_CERT_DIR`
//! (directories of PEM files, `:`-separated), read once when the settings are read ([`ExtraRoots`]). The AWS SDK's
//! client ([`crate::kinesis`]) trusts the platform's store, which the same two variables replace (rustls-native-certs
//! reads them), so one setting reaches every client. [`refused_certificate`] tells a refused server certificate
//! from the other ways a connection fails.

use std::fmt;
use std::path::Path;

use rustls::pki_types::CertificateDer;

/// OpenSSL's variable for a PEM file of CA certificates.
pub const SSL_CERT_FILE: &str = "SSL_CERT_FILE";
/// OpenSSL's variable for directories of PEM files of CA certificates (`:`-separated).
pub const SSL_CERT_DIR: &str = "SSL_CERT_DIR";

/// CA certificates trusted besides Mozilla's roots, from `SSL_CERT_FILE` and `SSL_CERT_DIR`.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct ExtraRoots {
    certificates: Vec<CertificateDer<'static>>,
    /// `VAR=path` of each place they came from, for logs.
    origins: Vec<String>,
}

/// A CA certificate setting that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TrustError {
    /// The file or directory cannot be read, or a file in it is not PEM.
    #[error(
        "cannot read the CA certificates of {var}={path}: {reason}; point {var} at a readable PEM file{} of CA certificates, or unset it",
        if *.var == SSL_CERT_DIR { "s directory" } else { "" }
    )]
    Unreadable {
        /// SSL_CERT_FILE or SSL_CERT_DIR.
        var: &'static str,
        /// The file or directory.
        path: String,
        /// What went wrong.
        reason: String,
    },
    /// Nothing usable as a CA certificate was found there.
    #[error(
        "{var}={path} holds no usable CA certificate (PEM blocks `-----BEGIN CERTIFICATE-----`): {found}; point {var} at the CA certificates to trust, or unset it"
    )]
    NoCertificate {
        /// SSL_CERT_FILE or SSL_CERT_DIR.
        var: &'static str,
        /// The file or directory.
        path: String,
        /// What was found instead.
        found: String,
    },
}

impl ExtraRoots {
    /// Reads the certificates `SSL_CERT_FILE` and `SSL_CERT_DIR` name in `lookup` (unset or empty: none).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, TrustError> {
        let set = |name: &str| lookup(name).filter(|value| !value.trim().is_empty());
        let mut roots = ExtraRoots::default();
        if let Some(file) = set(SSL_CERT_FILE) {
            let found = rustls_native_certs::load_certs_from_paths(Some(Path::new(&file)), None);
            roots.add(SSL_CERT_FILE, &file, found)?;
        }
        if let Some(dirs) = set(SSL_CERT_DIR) {
            for dir in std::env::split_paths(&dirs).filter(|dir| !dir.as_os_str().is_empty()) {
                let found = rustls_native_certs::load_certs_from_paths(None, Some(&dir));
                roots.add(SSL_CERT_DIR, &dir.display().to_string(), found)?;
            }
        }
        Ok(roots)
    }

    /// Reads them from the process environment.
    pub fn from_env() -> Result<Self, TrustError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Keeps the certificates of one place that rustls accepts as trust anchors (a directory such as
    /// /etc/ssl/certs may hold a few it cannot parse, as reqwest's own loading of the platform store skips them).
    fn add(
        &mut self,
        var: &'static str,
        path: &str,
        found: rustls_native_certs::CertificateResult,
    ) -> Result<(), TrustError> {
        if let Some(error) = found.errors.first() {
            return Err(TrustError::Unreadable {
                var,
                path: path.to_owned(),
                reason: error.to_string(),
            });
        }
        let total = found.certs.len();
        let mut store = rustls::RootCertStore::empty();
        let usable: Vec<_> = found
            .certs
            .into_iter()
            .filter(|certificate| store.add(certificate.clone()).is_ok())
            .collect();
        if usable.is_empty() {
            return Err(TrustError::NoCertificate {
                var,
                path: path.to_owned(),
                found: format!("{total} certificate(s), none a usable trust anchor"),
            });
        }
        self.certificates.extend(usable);
        self.origins.push(format!("{var}={path}"));
        Ok(())
    }

    /// How many certificates there are.
    pub fn len(&self) -> usize {
        self.certificates.len()
    }

    /// True when neither variable is set.
    pub fn is_empty(&self) -> bool {
        self.certificates.is_empty()
    }

    /// A reqwest client builder on rustls that trusts Mozilla's roots and these certificates.
    pub fn client_builder(&self) -> reqwest::ClientBuilder {
        self.certificates.iter().fold(
            reqwest::Client::builder().use_rustls_tls(),
            |builder, der| match reqwest::Certificate::from_der(der) {
                Ok(certificate) => builder.add_root_certificate(certificate),
                Err(_) => builder,
            },
        )
    }
}

impl fmt::Debug for ExtraRoots {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "ExtraRoots({} certificate(s) from [{}])",
            self.certificates.len(),
            self.origins.join(", ")
        )
    }
}

/// Why the server's certificate was refused (unknown issuer, a name it is not valid for, expired...), when that is
/// what ended the connection behind `err`. reqwest's chain holds rustls's error inside two `io::Error`s (hyper-rustls
/// wraps tokio-rustls's), and an `io::Error`'s `source()` skips the error it wraps, so each is opened with `get_ref`.
pub fn refused_certificate(err: &(dyn std::error::Error + 'static)) -> Option<String> {
    let mut current = Some(err);
    while let Some(error) = current {
        if let Some(rustls::Error::InvalidCertificate(reason)) =
            error.downcast_ref::<rustls::Error>()
        {
            return Some(reason.to_string());
        }
        current = match error
            .downcast_ref::<std::io::Error>()
            .and_then(std::io::Error::get_ref)
        {
            Some(inner) => Some(inner as &(dyn std::error::Error + 'static)),
            None => error.source(),
        };
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lookup(vars: &[(&'static str, String)]) -> impl Fn(&str) -> Option<String> {
        let vars = vars.to_vec();
        move |name| {
            vars.iter()
                .find(|(var, _)| *var == name)
                .map(|(_, value)| value.clone())
        }
    }

    #[test]
    fn the_built_in_roots_hold_the_ones_amazon_s_certificates_chain_to() {
        // Neptune's, SQS's and every AWS endpoint's certificates chain to one of these (Amazon Trust Services).
        for name in [
            "Amazon Root CA 1",
            "Amazon Root CA 2",
            "Amazon Root CA 3",
            "Amazon Root CA 4",
            "Starfield Services Root Certificate Authority - G2",
        ] {
            assert!(
                webpki_roots::TLS_SERVER_ROOTS.iter().any(|anchor| anchor
                    .subject
                    .as_ref()
                    .windows(name.len())
                    .any(|w| w == name.as_bytes())),
                "{name} is not among the built-in roots"
            );
        }
    }

    #[test]
    fn no_variable_means_no_extra_roots() {
        let roots = ExtraRoots::from_lookup(|_| None).unwrap();
        assert!(roots.is_empty());
        let blank = ExtraRoots::from_lookup(|_| Some(" ".into())).unwrap();
        assert!(blank.is_empty());
    }

    #[test]
    fn a_missing_file_is_an_error_naming_the_variable_and_the_path() {
        let err = ExtraRoots::from_lookup(lookup(&[(SSL_CERT_FILE, "/nonexistent/ca.pem".into())]))
            .unwrap_err();
        let text = err.to_string();
        assert!(
            text.starts_with(
                "cannot read the CA certificates of SSL_CERT_FILE=/nonexistent/ca.pem: "
            ),
            "{text}"
        );
        assert!(
            text.contains("point SSL_CERT_FILE at a readable PEM file of CA certificates"),
            "{text}"
        );
    }

    #[test]
    fn a_file_without_a_certificate_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("empty.pem");
        std::fs::write(&file, "not a certificate\n").unwrap();
        let err = ExtraRoots::from_lookup(lookup(&[(SSL_CERT_FILE, file.display().to_string())]))
            .unwrap_err();
        assert!(
            matches!(
                &err,
                TrustError::NoCertificate {
                    var: SSL_CERT_FILE,
                    ..
                }
            ),
            "{err}"
        );
        assert!(err.to_string().contains("0 certificate(s)"), "{err}");
    }

    #[test]
    fn a_directory_that_does_not_exist_is_an_error_naming_ssl_cert_dir() {
        let err = ExtraRoots::from_lookup(lookup(&[(SSL_CERT_DIR, "/nonexistent/certs".into())]))
            .unwrap_err();
        assert!(
            err.to_string().starts_with(
                "cannot read the CA certificates of SSL_CERT_DIR=/nonexistent/certs: "
            ),
            "{err}"
        );
        assert!(err.to_string().contains("PEM files directory"), "{err}");
    }

    #[test]
    fn a_plain_io_error_is_not_a_refused_certificate() {
        let err = std::io::Error::other("connection refused");
        assert_eq!(refused_certificate(&err), None);
    }

    #[test]
    fn a_certificate_error_inside_two_io_errors_is_found() {
        let err = std::io::Error::other(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer),
        ));
        assert_eq!(refused_certificate(&err).as_deref(), Some("UnknownIssuer"));
    }
}
