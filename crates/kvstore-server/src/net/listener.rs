//! The listener: accepts connections, enforces `maxclients`, and shuts down
//! cleanly.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};

use tokio::sync::{mpsc, watch};
use tracing::{debug, info, warn};

use super::{connection, sockopt};
use crate::config::Config;
use crate::keyspace::Keyspace;
use crate::persist::{self, Persist};
use crate::state::{OpsMeter, Shared};

/// How long shutdown waits for connections to finish the requests they hold.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

pub struct Server {
    listener: TcpListener,
    shared: Arc<Shared>,
    persist: Arc<Persist>,
}

impl Server {
    /// Binds the listening socket and loads the data from disk (snapshot
    /// or append-only file); nothing is accepted until [`Server::run`].
    pub async fn bind(mut config: Config) -> io::Result<Server> {
        let settings = persist::Settings::from_config(&config).map_err(io::Error::other)?;
        config.maxclients = sockopt::fit_maxclients(config.maxclients).map_err(io::Error::other)?;
        let cannot = |e: io::Error| {
            io::Error::new(
                e.kind(),
                format!("cannot listen on {}:{}: {e}", config.bind, config.port),
            )
        };
        let addr = tokio::net::lookup_host((config.bind.as_str(), config.port))
            .await
            .map_err(cannot)?
            .next()
            .ok_or_else(|| cannot(io::Error::other("no address")))?;
        let backlog = u32::try_from(config.tcp_backlog).unwrap_or(u32::MAX);
        let listener = sockopt::listen(addr, backlog).map_err(cannot)?;
        let local_addr = listener.local_addr()?;
        config.apply_encodings();
        let keyspace = Arc::new(Keyspace::new(config.databases));
        let persist = Arc::new(Persist::new(settings, Arc::clone(&keyspace)));
        let shared = Arc::new(Shared::new(keyspace, config, local_addr, persist.clone()));
        persist::open(&shared, &persist).await?;
        // Only once the data is loaded, as Redis: loading never evicts.
        shared.config.read().apply_eviction(&shared.keyspace);
        // Replaying the log ran commands; none of them was a client's.
        shared.intro.forget_all();
        Ok(Server {
            listener,
            shared,
            persist,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.shared.local_addr
    }

    pub fn shared(&self) -> &Arc<Shared> {
        &self.shared
    }

    /// Serves until `shutdown` completes, then stops accepting, lets every
    /// connection finish the requests it has already received, and returns.
    pub async fn run(self, shutdown: impl Future<Output = ()>) -> io::Result<()> {
        let (stop_tx, stop_rx) = watch::channel(false);
        // Each connection holds a sender; recv() returns None once all are gone.
        let (alive_tx, mut alive_rx) = mpsc::channel::<()>(1);
        tokio::pin!(shutdown);
        let sampler = tokio::spawn(OpsMeter::run(Arc::clone(&self.shared)));
        let expirer = tokio::spawn(expire_cycle(Arc::clone(&self.shared)));
        info!(addr = %self.shared.local_addr, "kvstore listening on {}", self.shared.local_addr);
        loop {
            tokio::select! {
                _ = &mut shutdown => break,
                _ = self.shared.shutdown.requested() => break,
                accepted = self.listener.accept() => {
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
                    self.admit(socket, peer, stop_rx.clone(), alive_tx.clone());
                }
            }
        }
        info!("shutting down: finishing requests in hand");
        sampler.abort();
        expirer.abort();
        drop(self.listener);
        let _ = stop_tx.send(true);
        drop(alive_tx);
        if tokio::time::timeout(SHUTDOWN_GRACE, alive_rx.recv())
            .await
            .is_err()
        {
            warn!("some connections did not finish within {SHUTDOWN_GRACE:?}");
        }
        // Flush and fsync the append-only file; snapshot if --save is set.
        let asked = &self.shared.shutdown;
        let save = if asked.nosave.load(Ordering::Acquire) {
            Some(false)
        } else if asked.save.load(Ordering::Acquire) {
            Some(true)
        } else {
            None
        };
        persist::close(&self.persist, save)
            .await
            .map_err(io::Error::other)
    }

    fn admit(
        &self,
        socket: TcpStream,
        peer: SocketAddr,
        stop: watch::Receiver<bool>,
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
            tokio::spawn(async move {
                let mut socket = socket;
                let _ = socket
                    .write_all(b"-ERR max number of clients reached\r\n")
                    .await;
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
            connection::serve(socket, peer, &shared, stop).await;
            drop(alive);
        });
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
        let mut total = 0;
        loop {
            let (next, removed) = shared.persist.expire(cursor, EXPIRE_SLICE);
            let wrapped = next == cursor;
            cursor = next;
            total += removed;
            if wrapped || removed == 0 || began.elapsed() >= EXPIRE_BUDGET {
                break;
            }
            tokio::task::yield_now().await;
        }
        shared.intro.latency_sample("expire-cycle", began.elapsed());
        if total > 0 {
            crate::memory::release();
        }
    }
}
