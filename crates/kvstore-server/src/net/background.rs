//! A server running on its own thread and runtime, stopped when dropped.

use std::io;
use std::net::SocketAddr;
use std::sync::{mpsc, Arc};
use std::thread::JoinHandle;

use tokio::sync::oneshot;

use super::Server;
use crate::config::Config;
use crate::state::Shared;

pub struct BackgroundServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl BackgroundServer {
    /// Starts a server with default settings on an ephemeral loopback port.
    ///
    /// # Panics
    /// If the server cannot start; this is meant for tests. Use
    /// [`BackgroundServer::try_start`] to handle the error.
    pub fn start() -> BackgroundServer {
        Self::start_with(Config::default())
    }

    /// Like [`BackgroundServer::start`], with `config`: its port is replaced
    /// by a free one, and so is a non-zero `tls_port` (TLS is on beside
    /// plain TCP; see [`BackgroundServer::tls_addr`]).
    ///
    /// # Panics
    /// If the server cannot start.
    pub fn start_with(config: Config) -> BackgroundServer {
        match Self::try_start(config) {
            Ok(server) => server,
            Err(e) => panic!("cannot start kvstore server: {e}"),
        }
    }

    pub fn try_start(mut config: Config) -> io::Result<BackgroundServer> {
        config.port = 0;
        let tls = (config.tls_port != 0).then_some(0);
        let threads = config.threads.unwrap_or(2);
        let (ready_tx, ready_rx) = mpsc::channel();
        let (stop_tx, stop_rx) = oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("kvstore-server".into())
            .spawn(move || {
                let runtime = match tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(threads)
                    .thread_stack_size(crate::config::WORKER_STACK_SIZE)
                    .enable_all()
                    .build()
                {
                    Ok(rt) => rt,
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                        return;
                    }
                };
                runtime.block_on(async move {
                    let bound = match Server::bind_ports(config, Some(0), tls).await {
                        Ok(mut server) => server.finish_loading().await.map(|()| server),
                        Err(e) => Err(e),
                    };
                    match bound {
                        Ok(server) => {
                            let _ = ready_tx
                                .send(Ok((server.local_addr(), Arc::clone(server.shared()))));
                            let _ = server
                                .run(async {
                                    let _ = stop_rx.await;
                                })
                                .await;
                        }
                        Err(e) => {
                            let _ = ready_tx.send(Err(e));
                        }
                    }
                });
            })?;
        let (addr, shared) = ready_rx
            .recv()
            .map_err(|_| io::Error::other("server thread died"))??;
        Ok(BackgroundServer {
            addr,
            shared,
            stop: Some(stop_tx),
            thread: Some(thread),
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The TLS listener's address, when the config set a `tls_port`.
    pub fn tls_addr(&self) -> Option<SocketAddr> {
        self.shared.listening.tls_addr
    }

    pub fn shared(&self) -> &Arc<Shared> {
        &self.shared
    }
}

impl Drop for BackgroundServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
