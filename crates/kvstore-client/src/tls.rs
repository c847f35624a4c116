//! TLS through rustls (ring provider): the configuration both clients
//! build from [`TlsOptions`], and the blocking client's stream (the async
//! client uses tokio-rustls's).
//!
//! A [`TlsStream`] is shared by reference between the thread that reads the
//! replies and, for a large pipeline, the one that writes the request (see
//! `Client::write_while_reading`): the rustls state sits behind a mutex
//! that is never held across socket I/O, so a blocked write does not stop
//! the reader and the other way round.

use std::io::{self, Read, Write};
use std::net::{IpAddr, TcpStream};
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::{ClientConfig, ClientConnection, RootCertStore};

use crate::error::{Error, Result};
use crate::options::TlsOptions;

/// Where the system keeps its CA bundle, for when no CA is given.
const SYSTEM_BUNDLES: &[&str] = &[
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/cert.pem",
];

/// Plaintext handed to rustls per step of a write.
const WRITE_STEP: usize = 64 * 1024;

fn tls_error(what: impl std::fmt::Display) -> Error {
    Error::Tls(what.to_string())
}

fn certs(path: &Path) -> Result<Vec<CertificateDer<'static>>> {
    let pem = std::fs::read(path).map_err(|e| tls_error(format!("{}: {e}", path.display())))?;
    let certs = CertificateDer::pem_slice_iter(&pem)
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| tls_error(format!("{}: {e}", path.display())))?;
    if certs.is_empty() {
        return Err(tls_error(format!("{}: no certificate", path.display())));
    }
    Ok(certs)
}

/// The rustls configuration `options` asks for.
pub(crate) fn config(options: &TlsOptions) -> Result<Arc<ClientConfig>> {
    let mut roots = RootCertStore::empty();
    let mut add = |certs: Vec<CertificateDer<'static>>| {
        for cert in certs {
            roots.add(cert).map_err(tls_error)?;
        }
        Ok::<_, Error>(())
    };
    if let Some(ca) = options.get_ca_cert() {
        add(certs(ca)?)?;
    }
    if let Some(dir) = options.get_ca_cert_dir() {
        let entries =
            std::fs::read_dir(dir).map_err(|e| tls_error(format!("{}: {e}", dir.display())))?;
        for path in entries.flatten().map(|e| e.path()).filter(|p| p.is_file()) {
            // Files that hold no certificate are no CA: passed over.
            if let Ok(found) = certs(&path) {
                add(found)?;
            }
        }
    }
    if options.get_ca_cert().is_none() && options.get_ca_cert_dir().is_none() {
        if let Some(bundle) = SYSTEM_BUNDLES.iter().map(Path::new).find(|p| p.is_file()) {
            add(certs(bundle)?)?;
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(tls_error)?
        .with_root_certificates(roots);
    let config = match (options.get_cert(), options.get_key()) {
        (None, None) => builder.with_no_client_auth(),
        (Some(cert), Some(key)) => {
            let pem =
                std::fs::read(key).map_err(|e| tls_error(format!("{}: {e}", key.display())))?;
            let key = PrivateKeyDer::from_pem_slice(&pem)
                .map_err(|e| tls_error(format!("{}: {e}", key.display())))?;
            builder
                .with_client_auth_cert(certs(cert)?, key)
                .map_err(tls_error)?
        }
        _ => {
            return Err(tls_error(
                "a client certificate needs its key, and a key its certificate",
            ))
        }
    };
    Ok(Arc::new(config))
}

/// The name the server's certificate must carry: the one given, else the
/// address connected to.
pub(crate) fn server_name(options: &TlsOptions, ip: IpAddr) -> Result<ServerName<'static>> {
    match options.get_server_name() {
        Some(name) => ServerName::try_from(name.to_string()).map_err(tls_error),
        None => Ok(ServerName::IpAddress(ip.into())),
    }
}

/// What the reader and the writer share.
struct State {
    conn: ClientConnection,
    /// Bytes read from the socket that rustls has not taken yet.
    pending: Vec<u8>,
}

/// A TLS connection over a blocking socket.
pub(crate) struct TlsStream {
    sock: TcpStream,
    state: Mutex<State>,
    /// Keeps two writers' records from interleaving on the socket.
    writing: Mutex<()>,
}

impl std::fmt::Debug for TlsStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsStream")
            .field("sock", &self.sock)
            .finish()
    }
}

fn poisoned<T>(_: T) -> io::Error {
    io::Error::other("TLS state poisoned by a panic")
}

impl TlsStream {
    /// Runs the handshake on `sock` (within its timeouts).
    pub(crate) fn handshake(
        mut sock: TcpStream,
        config: Arc<ClientConfig>,
        name: ServerName<'static>,
    ) -> Result<TlsStream> {
        let mut conn = ClientConnection::new(config, name).map_err(tls_error)?;
        while conn.is_handshaking() {
            conn.complete_io(&mut sock)?;
        }
        Ok(TlsStream {
            sock,
            state: Mutex::new(State {
                conn,
                pending: Vec::new(),
            }),
            writing: Mutex::new(()),
        })
    }

    pub(crate) fn socket(&self) -> &TcpStream {
        &self.sock
    }

    fn state(&self) -> io::Result<MutexGuard<'_, State>> {
        self.state.lock().map_err(poisoned)
    }

    /// Reads decrypted bytes, waiting on the socket when none are ready.
    /// 0 at the end of the stream.
    pub(crate) fn read(&self, out: &mut [u8]) -> io::Result<usize> {
        let mut raw = [0u8; 16 * 1024];
        loop {
            {
                let mut st = self.state()?;
                match st.conn.reader().read(out) {
                    Ok(n) => return Ok(n),
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                    Err(e) => return Err(e),
                }
                if !st.pending.is_empty() {
                    let State { conn, pending } = &mut *st;
                    let taken = conn.read_tls(&mut &pending[..])?;
                    pending.drain(..taken);
                    conn.process_new_packets()
                        .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
                    continue;
                }
            }
            let n = (&self.sock).read(&mut raw)?;
            let mut st = self.state()?;
            if n == 0 {
                // The socket's end: rustls tells a clean close_notify (0)
                // from a cut connection (an error) at the next read.
                st.conn.read_tls(&mut &[][..])?;
                st.conn
                    .process_new_packets()
                    .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
                return match st.conn.reader().read(out) {
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(0),
                    other => other,
                };
            }
            st.pending.extend_from_slice(&raw[..n]);
        }
    }

    /// Encrypts and writes all of `buf`.
    pub(crate) fn write_all(&self, mut buf: &[u8]) -> io::Result<()> {
        let _turn = self.writing.lock().map_err(poisoned)?;
        loop {
            let records = {
                let mut st = self.state()?;
                let step = buf.len().min(WRITE_STEP);
                let n = st.conn.writer().write(&buf[..step])?;
                buf = &buf[n..];
                let mut records = Vec::new();
                while st.conn.wants_write() {
                    st.conn.write_tls(&mut records)?;
                }
                if n == 0 && records.is_empty() && !buf.is_empty() {
                    return Err(io::ErrorKind::WriteZero.into());
                }
                records
            };
            (&self.sock).write_all(&records)?;
            if buf.is_empty() {
                return Ok(());
            }
        }
    }
}
