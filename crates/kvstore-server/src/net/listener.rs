//! The listeners (plain TCP on `--port`, TLS on `--tls-port`): accept
//! connections, enforce `maxclients`, and shut down cleanly.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};

use tokio::sync::{mpsc, watch};
use tracing::{debug, error, info, warn};

use super::tls::{Reloader, TlsContext};
use super::{connection, sockopt};
use crate::config::Config;
use crate::keyspace::Keyspace;
use crate::persist::{self, Persist};
use crate::state::{OpsMeter, Shared, ShutdownRequest};

/// How long shutdown waits for connections to finish the requests they hold.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

pub struct Server {
    /// `None` with `--port 0` beside a TLS port.
    listener: Option<TcpListener>,
    tls: Option<(TcpListener, Arc<TlsContext>)>,
    shared: Arc<Shared>,
    persist: Arc<Persist>,
    /// Start-up loading, while it runs (see [`Server::bind_loading`]).
    load: Option<tokio::task::JoinHandle<io::Result<()>>>,
}

impl Server {
    /// Binds the listening sockets and loads the data from disk (snapshot
    /// or append-only file); nothing is accepted until [`Server::run`].
    ///
    /// `--port 0` picks a free port, unless a TLS port is set: then, as in
    /// Redis, it means no plain TCP at all.
    pub async fn bind(config: Config) -> io::Result<Server> {
        let mut server = Server::bind_loading(config).await?;
        server.finish_loading().await?;
        Ok(server)
    }

    /// Binds the listening sockets and starts loading the data in the
    /// background: [`Server::run`] accepts connections at once, and
    /// answers their commands `-LOADING` until the data is in memory, as
    /// Redis does. A `--dir` that cannot be used is refused first.
    pub async fn bind_loading(config: Config) -> io::Result<Server> {
        let tls = (config.tls_port != 0).then_some(config.tls_port);
        let plain = (config.port != 0 || tls.is_none()).then_some(config.port);
        Self::bind_ports(config, plain, tls).await
    }

    /// Waits for the start-up load, if it still runs.
    pub(super) async fn finish_loading(&mut self) -> io::Result<()> {
        if let Some(load) = self.load.take() {
            load.await.map_err(io::Error::other)??;
            self.loaded();
        }
        Ok(())
    }

    /// [`Server::bind_loading`] on the ports given (0: a free one) rather
    /// than the configured ones. The TLS port really bound becomes
    /// `tls-port`.
    pub(super) async fn bind_ports(
        mut config: Config,
        plain: Option<u16>,
        tls: Option<u16>,
    ) -> io::Result<Server> {
        let settings = persist::Settings::from_config(&config).map_err(io::Error::other)?;
        persist::check_dir(&config.dir).map_err(io::Error::other)?;
        config.maxclients = sockopt::fit_maxclients(config.maxclients).map_err(io::Error::other)?;
        let backlog = u32::try_from(config.tcp_backlog).unwrap_or(u32::MAX);
        let listener = match plain {
            Some(port) => Some(listen(&config.bind, port, backlog).await?),
            None => None,
        };
        let tls = match tls {
            Some(port) => {
                let context = TlsContext::new(&config)
                    .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e.to_string()))?;
                let listener = listen(&config.bind, port, backlog).await?;
                config.tls_port = listener.local_addr()?.port();
                Some((listener, Arc::new(context)))
            }
            None => None,
        };
        let local_addr = match (&listener, &tls) {
            (Some(l), _) | (None, Some((l, _))) => l.local_addr()?,
            (None, None) => return Err(io::Error::other("no port to listen on")),
        };
        config.apply_encodings();
        let keyspace = Arc::new(Keyspace::new(config.databases));
        let persist = Arc::new(Persist::new(settings, Arc::clone(&keyspace)));
        let mut shared = Shared::new(keyspace, config, local_addr, persist.clone());
        shared.listening.plain = listener.is_some();
        if let Some((l, context)) = &tls {
            shared.listening.tls_addr = Some(l.local_addr()?);
            shared.listening.tls_reload = Some(Box::new(Reloader(Arc::clone(context))));
        }
        let shared = Arc::new(shared);
        crate::cmd::acl::start(&shared).map_err(io::Error::other)?;
        {
            let config = shared.config.read();
            if !local_addr.ip().is_loopback() && shared.acl.default_user().nopass {
                warn!(
                    "listening on {} with no password for the default user: set requirepass \
                     or an aclfile before exposing kvstore to a network{}",
                    config.bind,
                    if config.protected_mode {
                        " (protected mode refuses non-local clients meanwhile)"
                    } else {
                        ""
                    }
                );
            }
        }
        // Before anyone can connect: nobody sees the keyspace half loaded.
        persist.loading.begin();
        let (s, p) = (Arc::clone(&shared), Arc::clone(&persist));
        let load = tokio::spawn(async move { persist::open(&s, &p).await });
        info!("loading the data on {local_addr}: commands are answered -LOADING until it is in memory");
        Ok(Server {
            listener,
            tls,
            shared,
            persist,
            load: Some(load),
        })
    }

    /// Logs where the server listens, once its data is in memory.
    fn announce(&self) {
        if self.listener.is_some() {
            info!(addr = %self.shared.local_addr, "kvstore listening on {}", self.shared.local_addr);
        }
        if let Some(addr) = self.tls_addr() {
            info!(%addr, "kvstore listening for TLS on {addr}");
        }
    }

    /// Loading is over.
    fn loaded(&self) {
        // Only now, as Redis: loading never evicts.
        self.shared
            .config
            .read()
            .apply_eviction(&self.shared.keyspace);
        // Replaying the log ran commands; none of them was a client's.
        self.shared.intro.forget_all();
    }

    /// The plain TCP address, or the TLS one when there is no plain TCP.
    pub fn local_addr(&self) -> SocketAddr {
        self.shared.local_addr
    }

    /// The TLS listener's address, if TLS is on.
    pub fn tls_addr(&self) -> Option<SocketAddr> {
        self.shared.listening.tls_addr
    }

    pub fn shared(&self) -> &Arc<Shared> {
        &self.shared
    }

    /// Serves until `shutdown` completes or `SHUTDOWN` asks (and the data
    /// could be made durable: otherwise it keeps serving), then stops
    /// accepting, lets every connection finish the requests it has
    /// already received, and returns.
    pub async fn run(mut self, shutdown: impl Future<Output = ()>) -> io::Result<()> {
        let (stop_tx, stop_rx) = watch::channel(false);
        // Each connection holds a sender; recv() returns None once all are gone.
        let (alive_tx, mut alive_rx) = mpsc::channel::<()>(1);
        tokio::pin!(shutdown);
        let sampler = tokio::spawn(OpsMeter::run(Arc::clone(&self.shared)));
        let expirer = tokio::spawn(expire_cycle(Arc::clone(&self.shared)));
        let mut signalled = false;
        if self.load.is_none() {
            self.announce();
        }
        loop {
            let asked = tokio::select! {
                _ = &mut shutdown, if !signalled => {
                    signalled = true;
                    vec![ShutdownRequest::default()]
                }
                _ = self.shared.shutdown.requested() => self.shared.shutdown.take(),
                done = async { self.load.as_mut().expect("guarded").await }, if self.load.is_some() => {
                    self.load = None;
                    if let Err(e) = done.map_err(io::Error::other).and_then(|r| r) {
                        sampler.abort();
                        expirer.abort();
                        return Err(io::Error::new(e.kind(), format!("cannot start kvstore: {e}")));
                    }
                    self.loaded();
                    self.announce();
                    continue;
                }
                accepted = accept(self.listener.as_ref()) => {
                    let (socket, peer) = match accepted {
                        Ok(pair) => pair,
                        Err(e) => {
                            // Out of file descriptors and the like: back off
                            // rather than spin, and keep serving, with at
                            // most a line a second in the log.
                            if let Some(held) = super::ratelog::ACCEPT.allow() {
                                warn!("accept failed: {e}{}", super::ratelog::held_note(held));
                            }
                            tokio::time::sleep(Duration::from_millis(50)).await;
                            continue;
                        }
                    };
                    self.admit(socket, peer, None, stop_rx.clone(), alive_tx.clone());
                    continue;
                }
                accepted = accept(self.tls.as_ref().map(|(l, _)| l)) => {
                    let (socket, peer) = match accepted {
                        Ok(pair) => pair,
                        Err(e) => {
                            if let Some(held) = super::ratelog::ACCEPT.allow() {
                                warn!("accept failed: {e}{}", super::ratelog::held_note(held));
                            }
                            tokio::time::sleep(Duration::from_millis(50)).await;
                            continue;
                        }
                    };
                    let context = self.tls.as_ref().map(|(_, c)| Arc::clone(c));
                    self.admit(socket, peer, context, stop_rx.clone(), alive_tx.clone());
                    continue;
                }
            };
            if asked.is_empty() {
                continue;
            }
            if self.load.is_some() {
                // As Redis: a shutdown while loading saves nothing (the
                // data in memory is partial) and leaves the files as they are.
                warn!("shutdown asked while loading: exiting without saving");
                for r in asked {
                    if let Some(tx) = r.outcome {
                        let _ = tx.send(Ok(()));
                    }
                }
                sampler.abort();
                expirer.abort();
                return Ok(());
            }
            let mode = persist::ShutdownMode {
                save: asked.iter().find_map(|r| r.save),
                force: asked.iter().any(|r| r.force),
            };
            info!("shutting down: making the data durable");
            let outcome = persist::prepare_shutdown(&self.persist, mode).await;
            if let Err(why) = &outcome {
                error!("{why}");
                error!("errors trying to shut down the server: it keeps serving; fix the cause and shut down again (or SHUTDOWN NOSAVE / FORCE)");
            }
            for r in asked {
                if let Some(tx) = r.outcome {
                    let reply = outcome
                        .clone()
                        .map_err(|_| "ERR Errors trying to SHUTDOWN. Check logs.".to_string());
                    let _ = tx.send(reply);
                }
            }
            if outcome.is_ok() {
                break;
            }
        }
        // SHUTDOWNs that arrived meanwhile: the server is going down.
        for r in self.shared.shutdown.take() {
            if let Some(tx) = r.outcome {
                let _ = tx.send(Ok(()));
            }
        }
        info!("shutting down: finishing requests in hand");
        sampler.abort();
        expirer.abort();
        drop(self.listener);
        drop(self.tls);
        let _ = stop_tx.send(true);
        drop(alive_tx);
        if tokio::time::timeout(SHUTDOWN_GRACE, alive_rx.recv())
            .await
            .is_err()
        {
            warn!("some connections did not finish within {SHUTDOWN_GRACE:?}");
        }
        persist::close(&self.persist)
            .await
            .map_err(io::Error::other)
    }

    fn admit(
        &self,
        socket: TcpStream,
        peer: SocketAddr,
        tls: Option<Arc<TlsContext>>,
        mut stop: watch::Receiver<bool>,
        alive: mpsc::Sender<()>,
    ) {
        let shared = Arc::clone(&self.shared);
        let stats = &shared.stats;
        stats.connections_received.fetch_add(1, Ordering::Relaxed);
        let (max, keepalive) = {
            let c = shared.config.read();
            (c.maxclients, c.tcp_keepalive)
        };
        if stats.connected_clients.fetch_add(1, Ordering::AcqRel) >= max {
            stats.connected_clients.fetch_sub(1, Ordering::AcqRel);
            stats.rejected_connections.fetch_add(1, Ordering::Relaxed);
            if let Some(held) = super::ratelog::REJECTED.allow() {
                warn!(
                    "refused a connection from {peer}: maxclients ({max}) reached{}",
                    super::ratelog::held_note(held)
                );
            }
            // A TLS client could not read the plain error: it is just closed.
            if tls.is_none() {
                tokio::spawn(async move {
                    let mut socket = socket;
                    let _ = socket
                        .write_all(b"-ERR max number of clients reached\r\n")
                        .await;
                    let _ = socket.shutdown().await;
                });
            }
            return;
        }
        if shared.config.read().protected_mode
            && !crate::cmd::acl::is_local(peer)
            && shared.acl.default_user().nopass
        {
            stats.connected_clients.fetch_sub(1, Ordering::AcqRel);
            tokio::spawn(async move {
                let mut socket = socket;
                let _ = socket.write_all(PROTECTED_DENIED.as_bytes()).await;
                let _ = socket.shutdown().await;
            });
            return;
        }
        if let Err(e) = socket.set_nodelay(true) {
            debug!(%peer, "set_nodelay failed: {e}");
        }
        if let Err(e) = sockopt::keepalive(&socket, keepalive.max(0) as u64) {
            debug!(%peer, "setting TCP keepalive failed: {e}");
        }
        tokio::spawn(async move {
            // Released on drop, so the slot comes back even if the task
            // were to end abnormally.
            let _slot = ClientSlot(&shared);
            match tls {
                None => connection::serve(socket, peer, &shared, stop).await,
                Some(context) => {
                    let handshake = tokio::select! {
                        done = context.accept(socket) => done,
                        // Shutting down: a handshake is no request in hand.
                        _ = stop.changed() => return,
                    };
                    match handshake {
                        Ok(stream) => connection::serve(stream, peer, &shared, stop).await,
                        Err(e) => {
                            // A plain client on the TLS port, a client that
                            // does not trust the certificate, a scanner: each
                            // is its own affair, so the log stays quiet.
                            if let Some(held) = super::ratelog::TLS_HANDSHAKE.allow() {
                                info!(
                                    "TLS handshake with {peer} failed: {e}{}",
                                    super::ratelog::held_note(held)
                                );
                            }
                        }
                    }
                }
            }
            drop(alive);
        });
    }
}

/// What a non-local client gets in protected mode. It begins as Redis's
/// does, for the tools that look for it.
const PROTECTED_DENIED: &str = "-DENIED Redis is running in protected mode because protected \
    mode is enabled and no password is set for the default user. In this mode connections are \
    only accepted from the loopback interface. This server is kvstore; to accept clients from \
    other hosts, do one of these: 1) set a password for the default user (--requirepass, CONFIG \
    SET requirepass from a local connection, or an aclfile); 2) if the network is trusted, \
    send 'CONFIG SET protected-mode no' from a local connection (CONFIG REWRITE keeps it); \
    3) start kvstore with '--protected-mode no' or 'protected-mode no' in its config file.\r\n";

/// Binds `bind:port`, naming them in the error.
/// Binds `bind:port` with `backlog` (`tcp-backlog`), naming them in the
/// error.
async fn listen(bind: &str, port: u16, backlog: u32) -> io::Result<TcpListener> {
    let cannot =
        |e: io::Error| io::Error::new(e.kind(), format!("cannot listen on {bind}:{port}: {e}"));
    let addr = tokio::net::lookup_host((bind, port))
        .await
        .map_err(cannot)?
        .next()
        .ok_or_else(|| cannot(io::Error::other("no address")))?;
    sockopt::listen(addr, backlog).map_err(cannot)
}

/// The next connection on `listener`; never, without one.
async fn accept(listener: Option<&TcpListener>) -> io::Result<(TcpStream, SocketAddr)> {
    match listener {
        Some(l) => l.accept().await,
        None => std::future::pending().await,
    }
}

/// One counted connection: see [`Stats::connected_clients`].
struct ClientSlot<'a>(&'a Shared);

impl Drop for ClientSlot<'_> {
    fn drop(&mut self) {
        self.0
            .stats
            .connected_clients
            .fetch_sub(1, Ordering::AcqRel);
    }
}

/// How often the active expiry cycle runs, and the share of one core it
/// may take: Redis's defaults (10 times a second, 25%).
const EXPIRE_EVERY: Duration = Duration::from_millis(100);
const EXPIRE_BUDGET: Duration = Duration::from_millis(25);
/// The cycle works in slices this long and lets the connections on its
/// worker run between them, so that none waits behind it for longer.
const EXPIRE_SLICE: Duration = Duration::from_micros(250);

/// Removes keys past their deadline that nobody touches. A keyspace with
/// no deadlines costs one check per database per tick; one with deadlines
/// costs one atomic load per shard with nothing due.
///
/// It runs on a worker thread like the connections, in short slices with a
/// yield between: on a single core a separate thread would be preempted
/// only at the scheduler's time slice, and a client would wait that long.
async fn expire_cycle(shared: Arc<Shared>) {
    let mut tick = tokio::time::interval(EXPIRE_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut cursor = 0;
    loop {
        tick.tick().await;
        crate::keyspace::evict::tick();
        // Redis does not expire keys while clients are paused: the pause
        // is there to keep the data still.
        if shared.intro.paused() != crate::state::intro::PAUSE_NONE
            || !shared.keyspace.dbs().any(|db| db.volatile() > 0)
        {
            continue;
        }
        let began = Instant::now();
        let volatile: usize = shared.keyspace.dbs().map(|db| db.volatile()).sum();
        let mut total = 0;
        loop {
            let (next, removed) = shared.persist.expire(cursor, EXPIRE_SLICE);
            let wrapped = next == cursor;
            cursor = next;
            total += removed;
            if wrapped || removed == 0 {
                break;
            }
            if began.elapsed() >= EXPIRE_BUDGET {
                shared
                    .stats
                    .expire
                    .time_cap_reached
                    .fetch_add(1, Ordering::Relaxed);
                break;
            }
            tokio::task::yield_now().await;
        }
        let took = began.elapsed();
        let stats = &shared.stats.expire;
        stats
            .cycle_us
            .fetch_add(took.as_micros() as u64, Ordering::Relaxed);
        stats.cycle(total, volatile);
        shared.intro.latency_sample("expire-cycle", took);
        if total > 0 {
            crate::memory::release();
        }
    }
}
