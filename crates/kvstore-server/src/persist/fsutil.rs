//! Small file-system helpers: atomic replacement and directory fsync.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use super::PersistError;

/// Makes a rename or a new file in `dir` durable.
pub fn sync_dir(dir: &Path) -> Result<(), PersistError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| PersistError::io(dir, e))
}

/// The temporary name a file is written under before being renamed.
pub fn temp_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".tmp");
    path.with_file_name(name)
}

/// Replaces `path` with `data` so that a crash at any moment leaves either
/// the old file or the new one, never a mix: write a temporary file, fsync
/// it, rename it over, fsync the directory.
pub fn replace_file(path: &Path, data: &[u8]) -> Result<(), PersistError> {
    let tmp = temp_path(path);
    let write = || -> std::io::Result<()> {
        let mut f = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(&tmp)?;
        f.write_all(data)?;
        f.sync_all()
    };
    write().map_err(|e| PersistError::io(&tmp, e))?;
    commit_temp(&tmp, path)
}

/// Renames a written and fsynced temporary file into place, durably.
pub fn commit_temp(tmp: &Path, path: &Path) -> Result<(), PersistError> {
    fs::rename(tmp, path).map_err(|e| PersistError::io(path, e))?;
    sync_dir(parent(path))
}

/// The directory holding `path` (`.` for a bare name).
pub fn parent(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}
