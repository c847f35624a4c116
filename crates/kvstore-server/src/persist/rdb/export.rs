//! `--rdb-export FILE`: load the data directory as a start-up would, then
//! write everything as an RDB file Redis 7 loads, without serving.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::Path;
use std::sync::Arc;

use tracing::info;

use super::write::{write, Written};
use crate::config::Config;
use crate::keyspace::Keyspace;
use crate::persist::{check_dir, load, Persist, PersistError, Settings};
use crate::state::Shared;

/// Loads `config`'s data (the AOF if it is on, else the snapshot) and
/// writes it to `out`. Blocking. Opening the directory does what a start
/// does: with `--appendonly` and no log yet, the log is created from the
/// snapshot, and a torn last record is cut off as `--aof-load-truncated`
/// says.
pub fn export(config: &Config, out: &Path) -> Result<Written, PersistError> {
    let settings = Settings::from_config(config)?;
    check_dir(&config.dir)?;
    config.apply_encodings();
    let keyspace = Arc::new(Keyspace::new(config.databases));
    let persist = Arc::new(Persist::new(settings.clone(), Arc::clone(&keyspace)));
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, 0));
    let shared = Shared::new(keyspace, config.clone(), addr, persist);
    let loaded = load::load(
        &shared,
        &settings.layout,
        &settings.dump,
        settings.appendonly,
        settings.load_truncated,
        settings.aof_start_empty,
    )?;
    info!("{} keys loaded for the export", loaded.keys);
    let snap = shared.keyspace.snapshot();
    let written = write(out, || snap.records(), snap.libraries())?;
    info!(
        "wrote {} keys and {} function libraries to {} as an RDB file ({} bytes)",
        written.keys,
        snap.libraries().len(),
        out.display(),
        written.bytes
    );
    Ok(written)
}
