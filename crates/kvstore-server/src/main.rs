use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use anyhow::Context;
use kvstore_server::{Config, Server};
use tracing_subscriber::EnvFilter;

fn main() -> anyhow::Result<()> {
    let config = kvstore_server::conffile::parse_command_line(std::env::args_os())?;
    init_logging(&config)?;
    if config.daemonize {
        tracing::warn!(
            "daemonize yes: kvstore stays in the foreground; run it under a service \
             manager (see deploy/kvstore.service)"
        );
    }
    if let Some(out) = &config.rdb_export {
        // An offline action: no port, no pid file, nothing served.
        kvstore_server::persist::rdb::export::export(&config, out)
            .with_context(|| format!("cannot export to {}", out.display()))?;
        return Ok(());
    }
    let _pidfile = config.pidfile.as_deref().map(PidFile::create).transpose()?;
    let threads = config
        .threads
        .or_else(|| std::thread::available_parallelism().ok().map(usize::from))
        .unwrap_or(1);
    // One worker needs no work stealing: the single-threaded scheduler
    // does the same job with fewer atomics and cross-thread wake-ups.
    // Each worker hands back the memory it holds for freed data on its
    // way to idling, when a purge asks (see memory.rs).
    let runtime = if threads == 1 {
        tokio::runtime::Builder::new_current_thread()
            .on_thread_park(kvstore_server::memory::on_park)
            .enable_all()
            .build()
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(threads)
            .thread_stack_size(kvstore_server::WORKER_STACK_SIZE)
            .on_thread_park(kvstore_server::memory::on_park)
            .enable_all()
            .build()
    }
    .context("cannot start the runtime")?;
    runtime.block_on(async {
        // Handlers go in before the socket is bound: a signal that arrives
        // between the "listening" line and the first poll of the accept
        // loop would otherwise kill the process with the default action.
        let mut signals = Signals::install().context("cannot install signal handlers")?;
        let server = Server::bind_loading(config.clone())
            .await
            .context("cannot start kvstore")?;
        // Every SIGTERM or SIGINT asks for a shutdown, which may be
        // refused (the data could not be made durable) and asked again.
        let shared = std::sync::Arc::clone(server.shared());
        tokio::spawn(async move {
            loop {
                signals.recv().await;
                shared
                    .shutdown
                    .request(kvstore_server::state::ShutdownRequest::default());
            }
        });
        server.run(std::future::pending()).await?;
        tracing::info!("bye");
        anyhow::Ok(())
    })
}

/// SIGINT and SIGTERM. The handlers are installed when this is made.
struct Signals {
    term: tokio::signal::unix::Signal,
    int: tokio::signal::unix::Signal,
}

impl Signals {
    fn install() -> std::io::Result<Signals> {
        use tokio::signal::unix::{signal, SignalKind};
        Ok(Signals {
            term: signal(SignalKind::terminate())?,
            int: signal(SignalKind::interrupt())?,
        })
    }

    async fn recv(&mut self) {
        tokio::select! {
            _ = self.term.recv() => {}
            _ = self.int.recv() => {}
        }
    }
}

/// Logs to standard error, or appending to `--logfile`. Colour only on a
/// terminal, and never with NO_COLOR set (https://no-color.org).
fn init_logging(config: &Config) -> anyhow::Result<()> {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new(config.loglevel.filter()));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    if config.logfile.is_empty() {
        builder
            .with_ansi(std::io::stderr().is_terminal() && !no_color)
            .with_writer(std::io::stderr)
            .init();
    } else {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&config.logfile)
            .with_context(|| format!("cannot open the log file {}", config.logfile))?;
        builder
            .with_ansi(false)
            .with_writer(std::sync::Mutex::new(file))
            .init();
    }
    Ok(())
}

/// `--pidfile`: written at start-up, removed when the server exits.
struct PidFile(PathBuf);

impl PidFile {
    fn create(path: &Path) -> anyhow::Result<PidFile> {
        std::fs::write(path, format!("{}\n", std::process::id()))
            .with_context(|| format!("cannot write the pid file {}", path.display()))?;
        Ok(PidFile(path.to_path_buf()))
    }
}

impl Drop for PidFile {
    fn drop(&mut self) {
        if let Err(e) = std::fs::remove_file(&self.0) {
            tracing::warn!("cannot remove the pid file {}: {e}", self.0.display());
        }
    }
}
