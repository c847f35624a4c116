//! `--rdb-export FILE`: load the data directory as a start-up would (but
//! changing nothing in it), then write everything as an RDB file Redis 7
//! loads, without serving.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::Path;
use std::sync::Arc;

use tracing::info;

use super::write::{write, Written};
use crate::config::Config;
use crate::keyspace::Keyspace;
use crate::persist::{load, Persist, PersistError, Settings};
use crate::state::Shared;

/// Loads `config`'s data (the AOF if it is on, else the snapshot) and
/// writes it to `out`. Blocking. Nothing in the data directory changes:
/// a server may be running on it (see [`load::load_read_only`]).
pub fn export(config: &Config, out: &Path) -> Result<Written, PersistError> {
    let settings = Settings::from_config(config)?;
    // A mistyped directory must not export an empty file.
    match std::fs::metadata(&config.dir) {
        Ok(m) if m.is_dir() => {}
        _ => {
            return Err(PersistError::Config(format!(
                "--dir '{}' is not a directory",
                config.dir.display()
            )))
        }
    }
    config.apply_encodings();
    let keyspace = Arc::new(Keyspace::new(config.databases));
    let persist = Arc::new(Persist::new(settings.clone(), Arc::clone(&keyspace)));
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, 0));
    let shared = Shared::new(keyspace, config.clone(), addr, persist);
    let loaded = load::load_read_only(
        &shared,
        &settings.layout,
        &settings.dump,
        settings.appendonly,
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
