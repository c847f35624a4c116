use anyhow::Context;
use clap::Parser;
use kvstore_server::{Config, Server};
use tracing_subscriber::EnvFilter;

fn main() -> anyhow::Result<()> {
    let config = Config::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
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
            .with_context(|| format!("cannot start kvstore on {}:{}", config.bind, config.port))?;
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
