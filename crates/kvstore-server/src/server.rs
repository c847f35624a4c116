//! The listener: accepts connections, enforces `maxclients`, and shuts down
//! cleanly.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::RwLock;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, watch};
use tracing::{debug, info, warn};

use crate::config::Config;
use crate::connection;
use crate::store::Store;

/// Counters reported by `INFO`.
#[derive(Debug, Default)]
pub struct Stats {
    pub commands_processed: AtomicU64,
    pub connections_received: AtomicU64,
    pub connected_clients: AtomicUsize,
    pub rejected_connections: AtomicU64,
    /// `instantaneous_ops_per_sec`, sampled by a task that `run` starts.
    pub ops: crate::cmd::info::OpsMeter,
}

/// State every connection shares.
pub struct Shared {
    pub store: Store,
    pub config: RwLock<Config>,
    pub stats: Stats,
    pub started: Instant,
    pub local_addr: SocketAddr,
    /// The append-only file and snapshots (see `persist`).
    pub persist: crate::persist::Persist,
    /// Live connections, for `CLIENT LIST`.
    pub clients: crate::cmd::client::Registry,
    next_client_id: AtomicU64,
}

impl Shared {
    pub fn next_client_id(&self) -> u64 {
        self.next_client_id.fetch_add(1, Ordering::Relaxed) + 1
    }
}

/// How long shutdown waits for connections to finish the requests they hold.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

pub struct Server {
    listener: TcpListener,
    shared: Arc<Shared>,
}

impl Server {
    /// Binds the listening socket and loads the data from disk (snapshot
    /// or append-only file); nothing is accepted until [`Server::run`].
    pub async fn bind(config: Config) -> io::Result<Server> {
        let persist = crate::persist::Settings::from_config(&config).map_err(io::Error::other)?;
        let listener = TcpListener::bind((config.bind.as_str(), config.port)).await?;
        let local_addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            store: Store::new(),
            config: RwLock::new(config),
            stats: Stats::default(),
            started: Instant::now(),
            local_addr,
            clients: Default::default(),
            persist: crate::persist::Persist::new(persist),
            next_client_id: AtomicU64::new(0),
        });
        crate::persist::open(&shared).await?;
        Ok(Server { listener, shared })
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
        let sampler = tokio::spawn(crate::cmd::info::OpsMeter::run(Arc::clone(&self.shared)));
        info!(addr = %self.shared.local_addr, "kvstore listening on {}", self.shared.local_addr);
        loop {
            tokio::select! {
                _ = &mut shutdown => break,
                accepted = self.listener.accept() => {
                    let (socket, peer) = match accepted {
                        Ok(pair) => pair,
                        Err(e) => {
                            // Out of file descriptors and the like: back off
                            // rather than spin, and keep serving.
                            warn!("accept failed: {e}");
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
        crate::persist::close(&self.shared).await;
        Ok(())
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
        let max = shared.config.read().maxclients;
        if stats.connected_clients.fetch_add(1, Ordering::AcqRel) >= max {
            stats.connected_clients.fetch_sub(1, Ordering::AcqRel);
            stats.rejected_connections.fetch_add(1, Ordering::Relaxed);
            debug!(%peer, "rejected: maxclients reached");
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
