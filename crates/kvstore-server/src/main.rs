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
    let _pidfile = config.pidfile.as_deref().map(PidFile::create).transpose()?;
    let threads = config
        .threads
        .or_else(|| std::thread::available_parallelism().ok().map(usize::from))
        .unwrap_or(1);
    // One worker needs no work stealing: the single-threaded scheduler
    // does the same job with fewer atomics and cross-thread wake-ups.
    let runtime = if threads == 1 {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(threads)
            .thread_stack_size(kvstore_server::WORKER_STACK_SIZE)
            .enable_all()
            .build()
    }
    .context("cannot start the runtime")?;
    runtime.block_on(async {
        // Handlers go in before the socket is bound: a signal that arrives
        // between the "listening" line and the first poll of the accept
        // loop would otherwise kill the process with the default action.
        let shutdown = shutdown_signal().context("cannot install signal handlers")?;
        let server = Server::bind(config.clone())
            .await
            .context("cannot start kvstore")?;
        server.run(shutdown).await?;
        tracing::info!("bye");
        anyhow::Ok(())
    })
}

/// A future that completes on SIGINT or SIGTERM. The handlers are installed
/// when this is called, not when the future is first polled.
fn shutdown_signal() -> std::io::Result<impl std::future::Future<Output = ()>> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    Ok(async move {
        tokio::select! {
            _ = term.recv() => {}
            _ = int.recv() => {}
        }
    })
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
