//! A throw-away self-signed certificate, for demos and tests only: clients
//! must be told to trust it (`curl -k`, or the certificate as a root).
//!
//! ```
//! let demo = tollgate_tls::self_signed::SelfSigned::generate(["localhost", "127.0.0.1"])?;
//! let config = demo.server_config()?;
//! assert_eq!(config.alpn_protocols, [b"h2".to_vec(), b"http/1.1".to_vec()]);
//! assert!(demo.certificate_pem().starts_with("-----BEGIN CERTIFICATE-----"));
//! # Ok::<(), tollgate_tls::self_signed::SelfSignedError>(())
//! ```

use std::fmt;
use std::sync::Arc;

use rustls::ServerConfig;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

/// Why the certificate or the configuration could not be made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SelfSignedError {
    /// rcgen could not make the key or the certificate.
    #[error("generating the certificate: {0}")]
    Generate(#[from] rcgen::Error),
    /// rustls refused the certificate or the protocol versions.
    #[error("building the TLS configuration: {0}")]
    Config(#[from] rustls::Error),
}

/// A self-signed certificate and its private key, made at start-up.
pub struct SelfSigned {
    certificate: CertificateDer<'static>,
    certificate_pem: String,
    key: PrivatePkcs8KeyDer<'static>,
}

impl fmt::Debug for SelfSigned {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never the key.
        f.debug_struct("SelfSigned").finish_non_exhaustive()
    }
}

impl SelfSigned {
    /// A new key pair and a certificate for `names` (DNS names or IP
    /// addresses).
    pub fn generate<I, N>(names: I) -> Result<SelfSigned, SelfSignedError>
    where
        I: IntoIterator<Item = N>,
        N: Into<String>,
    {
        let names: Vec<String> = names.into_iter().map(Into::into).collect();
        let certified = rcgen::generate_simple_self_signed(names)?;
        Ok(SelfSigned {
            certificate: certified.cert.der().clone(),
            certificate_pem: certified.cert.pem(),
            key: PrivatePkcs8KeyDer::from(certified.signing_key.serialize_der()),
        })
    }

    /// The certificate, DER, e.g. to add as a root in a test client.
    pub fn certificate(&self) -> &CertificateDer<'static> {
        &self.certificate
    }

    /// The certificate, PEM, e.g. for `curl --cacert`.
    pub fn certificate_pem(&self) -> &str {
        &self.certificate_pem
    }

    /// A rustls server configuration with this certificate, TLS 1.2 and
    /// 1.3, and ALPN `h2` then `http/1.1`.
    pub fn server_config(&self) -> Result<ServerConfig, SelfSignedError> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?
            .with_no_client_auth()
            .with_single_cert(
                vec![self.certificate.clone()],
                PrivateKeyDer::Pkcs8(self.key.clone_key()),
            )?;
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Ok(config)
    }
}
