//! The async client for tokio. Same methods as [`Client`](crate::Client),
//! each returning a future.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use kvstore_protocol::Value;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpStream, ToSocketAddrs};
use tokio_rustls::client::TlsStream;

use crate::codec::Codec;
use crate::commands;
use crate::convert::{FromValue, ToValue};
use crate::error::{Error, Result};
use crate::options::{ClientOptions, DEFAULT_ADDR};
use crate::pipeline::Pipeline;

/// An async connection, for use inside a tokio runtime.
///
/// A command future that is dropped before it completes (for example by
/// `tokio::select!`) leaves the connection unusable, just like a timeout:
/// its reply might still arrive and be mistaken for the next one.
///
/// ```no_run
/// use kvstore_client::AsyncClient;
///
/// # async fn demo() -> Result<(), kvstore_client::Error> {
/// let mut client = AsyncClient::connect("127.0.0.1:31337").await?;
/// client.set("list", vec!["a", "b"]).await?;
/// let list: Vec<String> = client.get("list").await?;
/// assert_eq!(list, ["a", "b"]);
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct AsyncClient {
    stream: Stream,
    codec: Codec,
    options: ClientOptions,
    /// Set while an exchange is in progress and left set if it fails or is
    /// cancelled.
    broken: bool,
}

impl AsyncClient {
    /// Connects with the default [`ClientOptions`].
    pub async fn connect(addr: impl ToSocketAddrs) -> Result<AsyncClient> {
        AsyncClient::connect_with(addr, &ClientOptions::default()).await
    }

    /// Connects to [`DEFAULT_ADDR`], `127.0.0.1:31337`.
    pub async fn connect_default() -> Result<AsyncClient> {
        AsyncClient::connect(DEFAULT_ADDR).await
    }

    /// Connects with explicit timeouts and limits.
    pub async fn connect_with(
        addr: impl ToSocketAddrs,
        options: &ClientOptions,
    ) -> Result<AsyncClient> {
        // The certificate files are read off the runtime's threads.
        let tls = match options.get_tls() {
            Some(settings) => {
                let settings = settings.clone();
                let config = tokio::task::spawn_blocking(move || crate::tls::config(&settings))
                    .await
                    .map_err(|e| Error::Tls(e.to_string()))??;
                Some(config)
            }
            None => None,
        };
        let stream = within(
            options.get_connect_timeout(),
            "connecting",
            TcpStream::connect(addr),
        )
        .await??;
        stream.set_nodelay(true)?;
        let stream = match (tls, options.get_tls()) {
            (Some(config), Some(settings)) => {
                let name = crate::tls::server_name(settings, stream.peer_addr()?.ip())?;
                let connector = tokio_rustls::TlsConnector::from(config);
                let tls = within(
                    options.get_connect_timeout(),
                    "in the TLS handshake",
                    connector.connect(name, stream),
                )
                .await??;
                Stream::Tls(Box::new(tls))
            }
            _ => Stream::Tcp(stream),
        };
        let mut client = AsyncClient {
            stream,
            codec: Codec::new(options.get_limits()),
            options: options.clone(),
            broken: false,
        };
        if let Some(auth) = options.get_auth() {
            client.execute(&commands::auth(auth)).await?;
        }
        Ok(client)
    }

    /// Changes the read timeout of this connection: the longest wait for
    /// the whole reply to each call (all the replies, for a pipeline).
    pub fn set_read_timeout(&mut self, timeout: Option<Duration>) {
        self.options = self.options.clone().read_timeout(timeout);
    }

    /// The server's address.
    pub fn peer_addr(&self) -> Result<SocketAddr> {
        let socket = match &self.stream {
            Stream::Tcp(s) => s,
            Stream::Tls(t) => t.get_ref().0,
        };
        Ok(socket.peer_addr()?)
    }

    /// Sends any command and returns its raw reply; an error reply becomes
    /// [`Error::Server`].
    pub async fn execute(&mut self, command: &[Value]) -> Result<Value> {
        let mut replies = self.round_trip(std::slice::from_ref(&command)).await?;
        Error::check_reply(replies.pop().ok_or(Error::Closed)?)
    }

    /// `GET key`, converted to `V`.
    pub async fn get<V: FromValue>(&mut self, key: impl ToValue) -> Result<V> {
        let reply = self.execute(&commands::get(&key)?).await?;
        Ok(V::from_value(reply)?)
    }

    /// `SET key value`: returns 1.
    pub async fn set(&mut self, key: impl ToValue, value: impl ToValue) -> Result<i64> {
        let reply = self.execute(&commands::set(&key, &value)?).await?;
        commands::count(reply, 1)
    }

    /// `DELETE key`: 1 if the key existed, else 0.
    pub async fn delete(&mut self, key: impl ToValue) -> Result<i64> {
        let reply = self.execute(&commands::delete(&key)?).await?;
        commands::count(reply, 1)
    }

    /// `FLUSH`: the number of keys removed.
    pub async fn flush(&mut self) -> Result<i64> {
        let reply = self.execute(&commands::flush()).await?;
        commands::count(reply, 0)
    }

    /// `MGET k1 k2 ...`: `None` where a key is missing.
    pub async fn mget<V, I>(&mut self, keys: I) -> Result<Vec<Option<V>>>
    where
        V: FromValue,
        I: IntoIterator,
        I::Item: ToValue,
    {
        let reply = self.execute(&commands::mget(keys)?).await?;
        commands::mget_reply(reply)
    }

    /// `MSET k1 v1 k2 v2 ...`: the number of pairs set.
    pub async fn mset<I, K, V>(&mut self, pairs: I) -> Result<i64>
    where
        I: IntoIterator<Item = (K, V)>,
        K: ToValue,
        V: ToValue,
    {
        let (cmd, n) = commands::mset(pairs)?;
        let reply = self.execute(&cmd).await?;
        commands::count(reply, n)
    }

    /// Sends every command of `pipeline` while reading all the replies; see [`Client::run_pipeline`](crate::Client::run_pipeline).
    pub async fn run_pipeline(&mut self, pipeline: &Pipeline) -> Result<Vec<Result<Value>>> {
        let commands = pipeline.commands()?;
        let replies = self.round_trip(commands).await?;
        Ok(replies.into_iter().map(Error::check_reply).collect())
    }

    async fn round_trip<C: AsRef<[Value]>>(&mut self, commands: &[C]) -> Result<Vec<Value>> {
        if self.broken {
            return Err(Error::Broken);
        }
        Error::check_commands(commands)?;
        self.broken = true;
        self.codec.clear();
        let replies = self.write_and_read(commands).await?;
        // Anything past the last reply is a frame nobody asked for: the
        // stream is out of step, so the connection stays broken.
        Error::check_leftover(self.codec.read.len())?;
        self.broken = false;
        Ok(replies)
    }

    async fn write_and_read<C: AsRef<[Value]>>(&mut self, commands: &[C]) -> Result<Vec<Value>> {
        for command in commands {
            self.codec.queue(command.as_ref());
        }
        let request = std::mem::take(&mut self.codec.write);
        let timeouts = (
            self.options.get_write_timeout(),
            self.options.get_read_timeout(),
        );
        let (count, codec) = (commands.len(), &mut self.codec);
        let replies = match &mut self.stream {
            Stream::Tcp(s) => {
                let (reader, writer) = s.split();
                exchange(reader, writer, &request, codec, count, timeouts).await
            }
            Stream::Tls(t) => {
                let (reader, writer) = tokio::io::split(&mut **t);
                exchange(reader, writer, &request, codec, count, timeouts).await
            }
        }?;
        // Hand the buffer back so its allocation serves the next request.
        self.codec.write = request;
        self.codec.write.clear();
        Ok(replies)
    }
}

/// The connection: plain TCP, or TLS over it.
#[derive(Debug)]
enum Stream {
    Tcp(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
}

/// Writes `request` and reads `count` replies at the same time: the server
/// stops reading while a reply write of its own is blocked, so writing a
/// large pipeline whole before reading would leave both sides waiting on
/// each other. `timeouts` are (write, read).
async fn exchange<R, W>(
    mut reader: R,
    mut writer: W,
    request: &[u8],
    codec: &mut Codec,
    count: usize,
    timeouts: (Option<Duration>, Option<Duration>),
) -> Result<Vec<Value>>
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let write = async {
        within(timeouts.0, "writing the request", async {
            writer.write_all(request).await?;
            // TLS holds back what the socket did not take until flushed.
            writer.flush().await
        })
        .await?
        .map_err(Error::Io)
    };
    // One timeout for all the replies: a server sending one byte at a
    // time must not be able to stretch the wait without end.
    let read = async {
        within(
            timeouts.1,
            "reading the reply",
            read_replies(&mut reader, codec, count),
        )
        .await?
    };
    let ((), replies) = tokio::try_join!(write, read)?;
    Ok(replies)
}

/// Reads `count` replies into `codec`'s buffer and decodes them.
async fn read_replies<R: AsyncRead + Unpin>(
    reader: &mut R,
    codec: &mut Codec,
    count: usize,
) -> Result<Vec<Value>> {
    let mut replies = Vec::with_capacity(count);
    while replies.len() < count {
        replies.push(read_reply(reader, codec).await?);
    }
    Ok(replies)
}

async fn read_reply<R: AsyncRead + Unpin>(reader: &mut R, codec: &mut Codec) -> Result<Value> {
    loop {
        if let Some(reply) = codec.next_reply()? {
            return Ok(reply);
        }
        match reader.read_buf(&mut codec.read).await {
            Ok(0) => return Err(Error::Closed),
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(Error::Io(e)),
        }
    }
}

/// Runs `fut`, giving up after `limit` if one is set.
async fn within<F: Future>(
    limit: Option<Duration>,
    during: &'static str,
    fut: F,
) -> Result<F::Output> {
    match limit {
        Some(limit) => tokio::time::timeout(limit, fut)
            .await
            .map_err(|_| Error::Timeout(during)),
        None => Ok(fut.await),
    }
}
