//! TLS on `--tls-port`, through rustls with the ring provider (no OpenSSL).
//!
//! The `tls-*` settings are turned into one rustls `ServerConfig`, held
//! behind an `Arc` that `CONFIG SET` swaps whole: a handshake takes the
//! current one when it starts, so connections already open keep theirs and
//! new ones see the new certificates. See docs/tls.md for the settings.

use std::io;
use std::os::fd::{AsRawFd, RawFd};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use bytes::BytesMut;
use parking_lot::RwLock;
use rustls::crypto::CryptoProvider;
use rustls::server::WebPkiClientVerifier;
use rustls::{CipherSuite, RootCertStore, ServerConfig, SupportedProtocolVersion};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use tokio::net::TcpStream;
use tokio_rustls::server::TlsStream;
use tokio_rustls::TlsAcceptor;

use super::transport::Transport;
use crate::config::{Config, TlsAuthClients};
use crate::state::tls::TlsReload;

/// Longest a client may take over its handshake. Redis has no setting for
/// this; a client that connects and says nothing (or speaks plain RESP to
/// the TLS port) is dropped after it rather than holding a slot forever.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Why the `tls-*` settings cannot be used. The text goes to the log (and,
/// at start-up, to the operator); `CONFIG SET` answers Redis's generic
/// error.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("tls-cert-file and tls-key-file must both be set for TLS")]
    NoCertificate,
    #[error("cannot read {setting} {path}: {source}")]
    Read {
        setting: &'static str,
        path: String,
        source: io::Error,
    },
    #[error("{setting} {path}: {why}")]
    Pem {
        setting: &'static str,
        path: String,
        why: String,
    },
    #[error(
        "either tls-ca-cert-file or tls-ca-cert-dir must be set when tls-auth-clients is yes or optional"
    )]
    NoCa,
    #[error("invalid tls-protocols '{0}': rustls speaks TLSv1.2 and TLSv1.3 only")]
    Protocols(String),
    #[error("{setting} names no cipher suite this server has: '{value}'")]
    Ciphers {
        setting: &'static str,
        value: String,
    },
    #[error("TLS settings refused: {0}")]
    Rustls(#[from] rustls::Error),
    #[error("client certificate checks: {0}")]
    Verifier(#[from] rustls::server::VerifierBuilderError),
}

/// The TLS settings in force, swapped whole on reload.
pub struct TlsContext {
    current: RwLock<Arc<ServerConfig>>,
}

impl TlsContext {
    pub fn new(config: &Config) -> Result<TlsContext, TlsError> {
        Ok(TlsContext {
            current: RwLock::new(build(config)?),
        })
    }

    /// Runs the handshake with the settings in force now, in at most
    /// [`HANDSHAKE_TIMEOUT`].
    pub async fn accept(&self, socket: TcpStream) -> io::Result<TlsStream<TcpStream>> {
        let acceptor = TlsAcceptor::from(Arc::clone(&self.current.read()));
        match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(socket)).await {
            Ok(done) => done,
            Err(_) => Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "no TLS handshake within the time allowed",
            )),
        }
    }
}

/// The handle `CONFIG SET` reloads through (see `state::tls`).
pub struct Reloader(pub Arc<TlsContext>);

impl TlsReload for Reloader {
    fn reload(&self, config: &Config) -> Result<(), String> {
        let next = build(config).map_err(|e| e.to_string())?;
        *self.0.current.write() = next;
        Ok(())
    }
}

impl Transport for TlsStream<TcpStream> {
    fn raw_fd(&self) -> RawFd {
        self.get_ref().0.as_raw_fd()
    }

    fn read_arrived(&mut self, buf: &mut BytesMut) {
        super::transport::read_without_waiting(self, buf);
    }

    /// Never: rustls copies what it encrypts into its own buffer, so a
    /// write straight from a record would save no copy.
    fn write_now(&mut self, _parts: &[std::io::IoSlice<'_>]) -> usize {
        0
    }
}

/// The rustls configuration the `tls-*` settings of `config` ask for.
/// Reads the certificate files: blocking, so callers on a worker thread
/// move off it first.
pub fn build(config: &Config) -> Result<Arc<ServerConfig>, TlsError> {
    if config.tls_cert_file.is_empty() || config.tls_key_file.is_empty() {
        return Err(TlsError::NoCertificate);
    }
    let certs = read_certs("tls-cert-file", &config.tls_cert_file)?;
    let key = read_key(&config.tls_key_file)?;
    let provider = Arc::new(provider(config)?);
    let versions = protocols(&config.tls_protocols)?;
    let builder = ServerConfig::builder_with_provider(Arc::clone(&provider))
        .with_protocol_versions(&versions)?;
    let builder = match config.tls_auth_clients {
        TlsAuthClients::No => builder.with_no_client_auth(),
        auth => {
            let roots = Arc::new(roots(config)?);
            let verifier = WebPkiClientVerifier::builder_with_provider(roots, provider);
            let verifier = match auth {
                TlsAuthClients::Optional => verifier.allow_unauthenticated(),
                _ => verifier,
            };
            builder.with_client_cert_verifier(verifier.build()?)
        }
    };
    Ok(Arc::new(builder.with_single_cert(certs, key)?))
}

fn read(setting: &'static str, path: &str) -> Result<Vec<u8>, TlsError> {
    std::fs::read(path).map_err(|source| TlsError::Read {
        setting,
        path: path.to_string(),
        source,
    })
}

fn read_certs(setting: &'static str, path: &str) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let pem = read(setting, path)?;
    let bad = |why: String| TlsError::Pem {
        setting,
        path: path.to_string(),
        why,
    };
    let certs = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| bad(e.to_string()))?;
    if certs.is_empty() {
        return Err(bad("no certificate in the file".to_string()));
    }
    Ok(certs)
}

fn read_key(path: &str) -> Result<PrivateKeyDer<'static>, TlsError> {
    let pem = read("tls-key-file", path)?;
    PrivateKeyDer::from_pem_slice(&pem).map_err(|e| TlsError::Pem {
        setting: "tls-key-file",
        path: path.to_string(),
        why: format!("no usable private key ({e}); encrypted keys are not supported"),
    })
}

/// The CAs client certificates must chain to: the file's, then every
/// certificate in the directory's files (files without one are skipped, as
/// OpenSSL's lookup would never find them).
fn roots(config: &Config) -> Result<RootCertStore, TlsError> {
    let mut store = RootCertStore::empty();
    let mut add = |setting, path: &str, certs: Vec<CertificateDer<'static>>| {
        for cert in certs {
            store.add(cert).map_err(|e| TlsError::Pem {
                setting,
                path: path.to_string(),
                why: e.to_string(),
            })?;
        }
        Ok::<_, TlsError>(())
    };
    if !config.tls_ca_cert_file.is_empty() {
        let path = &config.tls_ca_cert_file;
        add(
            "tls-ca-cert-file",
            path,
            read_certs("tls-ca-cert-file", path)?,
        )?;
    }
    if !config.tls_ca_cert_dir.is_empty() {
        let dir = Path::new(&config.tls_ca_cert_dir);
        let entries = std::fs::read_dir(dir).map_err(|source| TlsError::Read {
            setting: "tls-ca-cert-dir",
            path: config.tls_ca_cert_dir.clone(),
            source,
        })?;
        for entry in entries.flatten() {
            let path = entry.path();
            if !path.is_file() {
                continue;
            }
            let name = path.display().to_string();
            if let Ok(certs) = read_certs("tls-ca-cert-dir", &name) {
                add("tls-ca-cert-dir", &name, certs)?;
            }
        }
    }
    if store.is_empty() {
        return Err(TlsError::NoCa);
    }
    Ok(store)
}

/// `tls-protocols`: "TLSv1.2 TLSv1.3" or either; empty means both.
fn protocols(value: &str) -> Result<Vec<&'static SupportedProtocolVersion>, TlsError> {
    let mut versions: Vec<&'static SupportedProtocolVersion> = Vec::new();
    for word in value.split_ascii_whitespace() {
        let v: &'static SupportedProtocolVersion = match word.to_ascii_lowercase().as_str() {
            "tlsv1.2" => &rustls::version::TLS12,
            "tlsv1.3" => &rustls::version::TLS13,
            _ => return Err(TlsError::Protocols(value.to_string())),
        };
        if !versions.iter().any(|x| std::ptr::eq(*x, v)) {
            versions.push(v);
        }
    }
    if versions.is_empty() {
        versions = vec![&rustls::version::TLS13, &rustls::version::TLS12];
    }
    Ok(versions)
}

/// The suites the ring provider has, under IANA's name and OpenSSL's.
/// TLS 1.3 suites are named the same in both.
const SUITES: &[(CipherSuite, &str, &str)] = &[
    (
        CipherSuite::TLS13_AES_256_GCM_SHA384,
        "TLS_AES_256_GCM_SHA384",
        "TLS_AES_256_GCM_SHA384",
    ),
    (
        CipherSuite::TLS13_AES_128_GCM_SHA256,
        "TLS_AES_128_GCM_SHA256",
        "TLS_AES_128_GCM_SHA256",
    ),
    (
        CipherSuite::TLS13_CHACHA20_POLY1305_SHA256,
        "TLS_CHACHA20_POLY1305_SHA256",
        "TLS_CHACHA20_POLY1305_SHA256",
    ),
    (
        CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
        "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
        "ECDHE-ECDSA-AES256-GCM-SHA384",
    ),
    (
        CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
        "ECDHE-ECDSA-AES128-GCM-SHA256",
    ),
    (
        CipherSuite::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
        "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
        "ECDHE-ECDSA-CHACHA20-POLY1305",
    ),
    (
        CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
        "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
        "ECDHE-RSA-AES256-GCM-SHA384",
    ),
    (
        CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
        "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
        "ECDHE-RSA-AES128-GCM-SHA256",
    ),
    (
        CipherSuite::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
        "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
        "ECDHE-RSA-CHACHA20-POLY1305",
    ),
];

/// The cipher suites a colon-separated list names, in the provider's
/// order. Words it does not know (OpenSSL's keywords such as `HIGH` or
/// `!aNULL`) are passed over, as OpenSSL passes over names it lacks; a list
/// that names none is refused.
fn named_suites(list: &str) -> Option<Vec<CipherSuite>> {
    let named: Vec<CipherSuite> = list
        .split([':', ',', ' '])
        .filter_map(|w| {
            SUITES
                .iter()
                .find(|(_, iana, openssl)| w.eq_ignore_ascii_case(iana) || w == *openssl)
                .map(|(s, _, _)| *s)
        })
        .collect();
    (!named.is_empty()).then_some(named)
}

/// The ring provider, its TLS 1.3 suites cut to `tls-ciphersuites` and its
/// TLS 1.2 ones to `tls-ciphers` when those are set.
fn provider(config: &Config) -> Result<CryptoProvider, TlsError> {
    let mut provider = rustls::crypto::ring::default_provider();
    for (setting, value, tls13) in [
        ("tls-ciphersuites", &config.tls_ciphersuites, true),
        ("tls-ciphers", &config.tls_ciphers, false),
    ] {
        if value.trim().is_empty() {
            continue;
        }
        let named = named_suites(value).ok_or_else(|| TlsError::Ciphers {
            setting,
            value: value.clone(),
        })?;
        let is13 =
            |s: &rustls::SupportedCipherSuite| matches!(s, rustls::SupportedCipherSuite::Tls13(_));
        if !named.iter().any(|n| {
            provider
                .cipher_suites
                .iter()
                .any(|s| s.suite() == *n && is13(s) == tls13)
        }) {
            return Err(TlsError::Ciphers {
                setting,
                value: value.clone(),
            });
        }
        provider
            .cipher_suites
            .retain(|s| is13(s) != tls13 || named.contains(&s.suite()));
    }
    Ok(provider)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn protocols_as_redis_spells_them() {
        assert_eq!(protocols("").map(|v| v.len()).ok(), Some(2));
        assert_eq!(protocols("TLSv1.3").map(|v| v.len()).ok(), Some(1));
        assert_eq!(protocols("tlsv1.2 TLSv1.3").map(|v| v.len()).ok(), Some(2));
        assert!(protocols("TLSv1.1").is_err());
    }

    #[test]
    fn cipher_lists_in_either_spelling() {
        assert_eq!(
            named_suites("ECDHE-RSA-AES128-GCM-SHA256:HIGH:!aNULL"),
            Some(vec![CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256])
        );
        assert_eq!(
            named_suites("TLS_AES_256_GCM_SHA384"),
            Some(vec![CipherSuite::TLS13_AES_256_GCM_SHA384])
        );
        assert_eq!(named_suites("HIGH:!aNULL"), None);
        let config = Config {
            tls_ciphersuites: "TLS_CHACHA20_POLY1305_SHA256".into(),
            ..Config::default()
        };
        let p = provider(&config).map(|p| p.cipher_suites.len()).ok();
        // One TLS 1.3 suite left, all six TLS 1.2 ones kept.
        assert_eq!(p, Some(7));
        // A TLS 1.2 name is no TLS 1.3 suite.
        let config = Config {
            tls_ciphersuites: "ECDHE-RSA-AES128-GCM-SHA256".into(),
            ..Config::default()
        };
        assert!(provider(&config).is_err());
    }
}
