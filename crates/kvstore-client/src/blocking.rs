//! The blocking client.

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use kvstore_protocol::Value;

use crate::codec::Codec;
use crate::commands;
use crate::convert::{FromValue, ToValue};
use crate::error::{Error, Result};
use crate::options::{ClientOptions, DEFAULT_ADDR};
use crate::pipeline::Pipeline;
use crate::tls::{self, TlsStream};

/// Requests up to this size are written before any reply is read: the
/// kernel's socket buffers (128 KiB by default on Linux) hold them whole, so
/// the write returns even if the server is not reading. Larger ones are
/// written on a second thread while the replies are read.
const WRITE_ALONE_MAX: usize = 64 * 1024;

/// A blocking connection to a kvstore (or any seed-protocol) server.
///
/// Each call writes one request and waits for its reply. A server error
/// reply comes back as [`Error::Server`] and the connection stays usable;
/// any transport or protocol failure leaves it unusable ([`Error::Broken`]
/// from then on), so reconnect.
///
/// ```no_run
/// use kvstore_client::Client;
///
/// # fn main() -> Result<(), kvstore_client::Error> {
/// let mut client = Client::connect("127.0.0.1:31337")?;
/// assert_eq!(client.set("n", 42)?, 1);
/// let n: i64 = client.get("n")?;
/// assert_eq!(n, 42);
/// let missing: Option<String> = client.get("nope")?;
/// assert_eq!(missing, None);
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct Client {
    stream: Stream,
    codec: Codec,
    /// Longest wait for all the replies of one request. Kept here rather
    /// than only on the socket, whose timeout applies to each read: a
    /// server sending one byte at a time would never trip that.
    read_timeout: Option<Duration>,
    broken: bool,
}

impl Client {
    /// Connects with the default [`ClientOptions`].
    pub fn connect(addr: impl ToSocketAddrs) -> Result<Client> {
        Client::connect_with(addr, &ClientOptions::default())
    }

    /// Connects to [`DEFAULT_ADDR`], `127.0.0.1:31337`.
    pub fn connect_default() -> Result<Client> {
        Client::connect(DEFAULT_ADDR)
    }

    /// Connects with explicit timeouts and limits. Every address `addr`
    /// resolves to is tried in turn; the last failure is returned.
    ///
    /// ```no_run
    /// use std::time::Duration;
    /// use kvstore_client::{Client, ClientOptions};
    ///
    /// # fn main() -> Result<(), kvstore_client::Error> {
    /// let options = ClientOptions::new().read_timeout(Some(Duration::from_secs(1)));
    /// let mut client = Client::connect_with("localhost:31337", &options)?;
    /// client.flush()?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn connect_with(addr: impl ToSocketAddrs, options: &ClientOptions) -> Result<Client> {
        let tls = options.get_tls().map(tls::config).transpose()?;
        let mut last = None;
        for addr in addr.to_socket_addrs()? {
            match connect_one(addr, options.get_connect_timeout()) {
                Ok(socket) => {
                    // Requests are small and written whole; waiting to
                    // coalesce them only adds latency.
                    socket.set_nodelay(true)?;
                    let stream = match (&tls, options.get_tls()) {
                        (Some(config), Some(settings)) => {
                            // The handshake is part of connecting.
                            socket.set_read_timeout(options.get_connect_timeout())?;
                            socket.set_write_timeout(options.get_connect_timeout())?;
                            let name = tls::server_name(settings, addr.ip())?;
                            let stream = TlsStream::handshake(socket, Arc::clone(config), name)
                                .map_err(|e| match e {
                                    Error::Io(e) => io_error(e, "in the TLS handshake"),
                                    e => e,
                                })?;
                            Stream::Tls(Arc::new(stream))
                        }
                        _ => Stream::Tcp(socket),
                    };
                    stream
                        .socket()
                        .set_read_timeout(options.get_read_timeout())?;
                    stream
                        .socket()
                        .set_write_timeout(options.get_write_timeout())?;
                    let mut client = Client {
                        stream,
                        codec: Codec::new(options.get_limits()),
                        read_timeout: options.get_read_timeout(),
                        broken: false,
                    };
                    if let Some(auth) = options.get_auth() {
                        client.execute(&crate::commands::auth(auth))?;
                    }
                    return Ok(client);
                }
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or_else(|| {
            Error::Io(io::Error::new(
                io::ErrorKind::InvalidInput,
                "address resolved to nothing",
            ))
        }))
    }

    /// Changes the read timeout of this connection: the longest wait for
    /// the whole reply to each call (all the replies, for a pipeline).
    pub fn set_read_timeout(&mut self, timeout: Option<Duration>) -> Result<()> {
        self.stream.socket().set_read_timeout(timeout)?;
        self.read_timeout = timeout;
        Ok(())
    }

    /// The server's address.
    pub fn peer_addr(&self) -> Result<SocketAddr> {
        Ok(self.stream.socket().peer_addr()?)
    }

    /// Sends any command and returns its reply as a raw [`Value`]. An error
    /// reply becomes [`Error::Server`].
    ///
    /// ```no_run
    /// use kvstore_client::{Client, Value};
    ///
    /// # fn main() -> Result<(), kvstore_client::Error> {
    /// let mut client = Client::connect_default()?;
    /// let reply = client.execute(&[Value::from("GET"), Value::from("k")])?;
    /// println!("{reply:?}");
    /// # Ok(())
    /// # }
    /// ```
    pub fn execute(&mut self, command: &[Value]) -> Result<Value> {
        let mut replies = self.round_trip(std::slice::from_ref(&command))?;
        Error::check_reply(replies.pop().ok_or(Error::Closed)?)
    }

    /// `GET key`: the value converted to `V`. Use `Option<_>` for `V` when
    /// the key may be missing.
    pub fn get<V: FromValue>(&mut self, key: impl ToValue) -> Result<V> {
        let reply = self.execute(&commands::get(&key)?)?;
        Ok(V::from_value(reply)?)
    }

    /// `SET key value`: returns 1. The value keeps its type.
    pub fn set(&mut self, key: impl ToValue, value: impl ToValue) -> Result<i64> {
        let reply = self.execute(&commands::set(&key, &value)?)?;
        commands::count(reply, 1)
    }

    /// `DELETE key`: 1 if the key existed, else 0.
    pub fn delete(&mut self, key: impl ToValue) -> Result<i64> {
        let reply = self.execute(&commands::delete(&key)?)?;
        commands::count(reply, 1)
    }

    /// `FLUSH`: removes every key and returns how many there were.
    pub fn flush(&mut self) -> Result<i64> {
        let reply = self.execute(&commands::flush())?;
        commands::count(reply, 0)
    }

    /// `MGET k1 k2 ...`: one entry per key, `None` where it is missing.
    ///
    /// ```no_run
    /// # fn main() -> Result<(), kvstore_client::Error> {
    /// let mut client = kvstore_client::Client::connect_default()?;
    /// client.mset([("a", 1), ("b", 2)])?;
    /// let values: Vec<Option<i64>> = client.mget(["a", "b", "c"])?;
    /// assert_eq!(values, [Some(1), Some(2), None]);
    /// # Ok(())
    /// # }
    /// ```
    pub fn mget<V, I>(&mut self, keys: I) -> Result<Vec<Option<V>>>
    where
        V: FromValue,
        I: IntoIterator,
        I::Item: ToValue,
    {
        let reply = self.execute(&commands::mget(keys)?)?;
        commands::mget_reply(reply)
    }

    /// `MSET k1 v1 k2 v2 ...`: the number of pairs set.
    pub fn mset<I, K, V>(&mut self, pairs: I) -> Result<i64>
    where
        I: IntoIterator<Item = (K, V)>,
        K: ToValue,
        V: ToValue,
    {
        let (cmd, n) = commands::mset(pairs)?;
        let reply = self.execute(&cmd)?;
        commands::count(reply, n)
    }

    /// Sends every command of `pipeline` and reads all the replies, writing
    /// and reading at once when the request is large. The outer error is for the connection; each inner result is
    /// that command's reply, so one failing command does not hide the rest.
    pub fn run_pipeline(&mut self, pipeline: &Pipeline) -> Result<Vec<Result<Value>>> {
        let commands = pipeline.commands()?;
        let replies = self.round_trip(commands)?;
        Ok(replies.into_iter().map(Error::check_reply).collect())
    }

    /// Sends all `commands` and reads one reply for each.
    fn round_trip<C: AsRef<[Value]>>(&mut self, commands: &[C]) -> Result<Vec<Value>> {
        if self.broken {
            return Err(Error::Broken);
        }
        Error::check_commands(commands)?;
        let result = self.write_and_read(commands).and_then(|replies| {
            // Anything past the last reply would be taken for the answer to
            // the next command.
            Error::check_leftover(self.codec.read.len())?;
            Ok(replies)
        });
        if result.is_err() {
            // Whatever failed, a reply may be half read or still coming.
            self.broken = true;
            self.codec.clear();
        }
        result
    }

    fn write_and_read<C: AsRef<[Value]>>(&mut self, commands: &[C]) -> Result<Vec<Value>> {
        for command in commands {
            self.codec.queue(command.as_ref());
        }
        let request = std::mem::take(&mut self.codec.write);
        let result = if request.len() <= WRITE_ALONE_MAX {
            self.stream
                .write_all(&request)
                .map_err(|e| io_error(e, "writing the request"))
                .and_then(|()| self.read_replies(commands.len()))
        } else {
            self.write_while_reading(&request, commands.len())
        };
        // Hand the buffer back so its allocation serves the next request.
        self.codec.write = request;
        self.codec.write.clear();
        result
    }

    /// Writes `request` on a second thread while this one reads the
    /// replies. The server stops reading while a reply write of its own is
    /// blocked, so writing a large pipeline whole before reading anything
    /// would leave both sides waiting on each other once the socket
    /// buffers fill.
    fn write_while_reading(&mut self, request: &[u8], count: usize) -> Result<Vec<Value>> {
        let writer = self.stream.try_clone()?;
        // Which side failed first decides which error is reported: the
        // other one only fails because of the shutdown that follows.
        let writer_failed = AtomicBool::new(false);
        thread::scope(|scope| {
            let writing = scope.spawn(|| {
                let written = writer.write_all(request);
                if written.is_err() {
                    writer_failed.store(true, Ordering::SeqCst);
                    // Replies to a request that was not sent whole never
                    // come: wake the reader instead of letting it wait.
                    let _ = writer.socket().shutdown(Shutdown::Both);
                }
                written
            });
            let read = self.read_replies(count);
            if read.is_err() && !writer_failed.load(Ordering::SeqCst) {
                // The writer may be stuck on a server that stopped reading;
                // the connection is being given up anyway.
                let _ = self.stream.socket().shutdown(Shutdown::Both);
            }
            let written = writing
                .join()
                .unwrap_or_else(|_| Err(io::Error::other("request writer panicked")));
            match (read, written) {
                (Ok(replies), Ok(())) => Ok(replies),
                (Err(e), Ok(())) => Err(e),
                (Ok(_), Err(e)) => Err(io_error(e, "writing the request")),
                (Err(read), Err(write)) => {
                    if writer_failed.load(Ordering::SeqCst) {
                        Err(io_error(write, "writing the request"))
                    } else {
                        Err(read)
                    }
                }
            }
        })
    }

    fn read_replies(&mut self, count: usize) -> Result<Vec<Value>> {
        // `checked_add` fails only for a timeout too long to matter.
        let deadline = self
            .read_timeout
            .and_then(|timeout| Instant::now().checked_add(timeout));
        let mut replies = Vec::with_capacity(count);
        while replies.len() < count {
            replies.push(self.read_reply(deadline)?);
        }
        Ok(replies)
    }

    fn read_reply(&mut self, deadline: Option<Instant>) -> Result<Value> {
        let mut chunk = [0u8; 16 * 1024];
        loop {
            if let Some(reply) = self.codec.next_reply()? {
                return Ok(reply);
            }
            if let Some(deadline) = deadline {
                // The socket timeout bounds one read; shrinking it to what
                // is left makes it bound the whole exchange.
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    return Err(Error::Timeout("reading the reply"));
                }
                self.stream.socket().set_read_timeout(Some(left))?;
            }
            match self.stream.read(&mut chunk) {
                Ok(0) => return Err(Error::Closed),
                Ok(n) => self.codec.read.extend_from_slice(&chunk[..n]),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(io_error(e, "reading the reply")),
            }
        }
    }
}

/// The connection: plain TCP, or TLS over it.
#[derive(Debug)]
enum Stream {
    Tcp(TcpStream),
    Tls(Arc<TlsStream>),
}

impl Stream {
    fn socket(&self) -> &TcpStream {
        match self {
            Stream::Tcp(s) => s,
            Stream::Tls(t) => t.socket(),
        }
    }

    /// A second handle on the same connection, for a writer thread.
    fn try_clone(&self) -> io::Result<Stream> {
        Ok(match self {
            Stream::Tcp(s) => Stream::Tcp(s.try_clone()?),
            Stream::Tls(t) => Stream::Tls(Arc::clone(t)),
        })
    }

    fn write_all(&self, buf: &[u8]) -> io::Result<()> {
        match self {
            Stream::Tcp(s) => {
                let mut s: &TcpStream = s;
                s.write_all(buf)
            }
            Stream::Tls(t) => t.write_all(buf),
        }
    }

    fn read(&self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Tcp(s) => {
                let mut s: &TcpStream = s;
                s.read(buf)
            }
            Stream::Tls(t) => t.read(buf),
        }
    }
}

fn connect_one(addr: SocketAddr, timeout: Option<Duration>) -> Result<TcpStream> {
    let stream = match timeout {
        Some(t) => TcpStream::connect_timeout(&addr, t),
        None => TcpStream::connect(addr),
    };
    stream.map_err(|e| io_error(e, "connecting"))
}

/// Socket timeouts surface as `WouldBlock` on Unix and `TimedOut` on
/// Windows; both become [`Error::Timeout`].
fn io_error(e: io::Error, during: &'static str) -> Error {
    match e.kind() {
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => Error::Timeout(during),
        _ => Error::Io(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn socket_timeouts_become_timeout_errors() {
        for kind in [io::ErrorKind::WouldBlock, io::ErrorKind::TimedOut] {
            let err = io_error(io::Error::from(kind), "connecting");
            assert!(matches!(err, Error::Timeout("connecting")), "{err:?}");
        }
        let err = io_error(io::ErrorKind::ConnectionReset.into(), "reading");
        assert!(matches!(err, Error::Io(_)));
    }
}
