//! HTTPS for the sandbox, so the client's HTTP/2 can be seen rather than assumed.
//!
//! Tallyfy is reached over TLS, where a server offers HTTP/2 by ALPN and the client picks it;
//! over plain HTTP (the sandbox's default) there is nothing to offer it with. With
//! [`SandboxTls`] the sandbox offers `h2` and `http/1.1`, and counts the connections that
//! chose `h2` ([`super::Sandbox::http2_connections`]); or `http/1.1` alone
//! ([`SandboxTls::http1_only`]), as a server or proxy that does not speak HTTP/2. The certificate is the caller's: tests
//! use the throwaway one under `tests/fixtures/tls/` and hand its CA to `--ca-cert`.

use std::fmt;
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// A certificate chain and its key, ready to serve (ALPN: `h2`, then `http/1.1`, unless
/// [`SandboxTls::http1_only`]).
#[derive(Clone)]
pub struct SandboxTls {
    pub(crate) acceptor: tokio_rustls::TlsAcceptor,
}

impl SandboxTls {
    /// From PEM: the server's certificate first, then any intermediates; and its private key
    /// (PKCS#8, PKCS#1 or SEC1).
    pub fn from_pem(cert_chain: &[u8], key: &[u8]) -> Result<SandboxTls, String> {
        let chain = CertificateDer::pem_slice_iter(cert_chain)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| format!("the certificate chain is not PEM: {e}"))?;
        if chain.is_empty() {
            return Err("the certificate chain holds no CERTIFICATE block".into());
        }
        let key = PrivateKeyDer::from_pem_slice(key)
            .map_err(|e| format!("the private key is not a PEM key: {e}"))?;
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| format!("TLS versions: {e}"))?
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .map_err(|e| format!("the certificate and key do not make a server identity: {e}"))?;
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Ok(SandboxTls {
            acceptor: tokio_rustls::TlsAcceptor::from(Arc::new(config)),
        })
    }

    /// The same identity, offering `http/1.1` alone.
    pub fn http1_only(self) -> SandboxTls {
        let mut config = rustls::ServerConfig::clone(self.acceptor.config());
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        SandboxTls {
            acceptor: tokio_rustls::TlsAcceptor::from(Arc::new(config)),
        }
    }
}

impl fmt::Debug for SandboxTls {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let alpn: Vec<_> = (self.acceptor.config().alpn_protocols.iter())
            .map(|p| String::from_utf8_lossy(p))
            .collect();
        write!(f, "SandboxTls {{ alpn: [{}] }}", alpn.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sandbox::SandboxConfig;

    const CHAIN: &[u8] = include_bytes!("../../tests/fixtures/tls/server.pem");
    const KEY: &[u8] = include_bytes!("../../tests/fixtures/tls/server.key");
    const CA: &[u8] = include_bytes!("../../tests/fixtures/tls/ca.pem");

    #[test]
    fn sandbox_tls_reads_the_test_identity_and_names_what_is_wrong_with_others() {
        assert!(SandboxTls::from_pem(CHAIN, KEY).is_ok());

        let no_cert = SandboxTls::from_pem(b"", KEY).unwrap_err();
        assert!(no_cert.contains("no CERTIFICATE"), "{no_cert}");
        let no_key = SandboxTls::from_pem(CHAIN, b"not a key").unwrap_err();
        assert!(no_key.contains("private key"), "{no_key}");
        let mismatched = SandboxTls::from_pem(CA, KEY).unwrap_err();
        assert!(mismatched.contains("do not make"), "{mismatched}");
    }

    #[tokio::test]
    async fn sandbox_tls_a_client_that_never_shakes_hands_holds_up_nobody() {
        let config = SandboxConfig {
            tls: Some(SandboxTls::from_pem(CHAIN, KEY).unwrap()),
            ..SandboxConfig::default()
        };
        let sb = crate::sandbox::tests::start(config).await;
        // Connected first, and never a word: no ClientHello.
        let silent = tokio::net::TcpStream::connect(sb.addr()).await.unwrap();

        let ca = reqwest::Certificate::from_pem(CA).unwrap();
        let client = reqwest::Client::builder()
            .add_root_certificate(ca)
            .build()
            .unwrap();
        let url = format!("{}/organizations/{}/users/1001", sb.base_url(), sb.org_id());
        let answer = client
            .get(url)
            .bearer_auth(sb.token())
            .header("X-Tallyfy-Client", "APIClient")
            .send()
            .await
            .unwrap();

        assert_eq!(answer.status(), 200);
        assert_eq!(answer.version(), reqwest::Version::HTTP_2);
        assert_eq!((sb.connections(), sb.http2_connections()), (2, 1));
        // The silent client's handshake is still waiting (not timed out and closed): the
        // answer above did not queue behind it.
        let mut byte = [0u8; 1];
        let still_open = silent.try_read(&mut byte);
        assert!(
            matches!(&still_open, Err(e) if e.kind() == std::io::ErrorKind::WouldBlock),
            "{still_open:?}"
        );
    }
}
