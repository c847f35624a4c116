//! Small file-system helpers: atomic replacement and directory fsync.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use super::PersistError;

/// Makes a rename or a new file in `dir` durable.
pub fn sync_dir(dir: &Path) -> Result<(), PersistError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| PersistError::io(dir, e))
}

/// The temporary name a file is written under before being renamed:
/// `NAME.tmp.PID.N`, new for every call. Two writers of the same file (a
/// SAVE racing a BGSAVE, say) must never open, truncate and interleave one
/// shared temporary file: each writes its own and the last rename wins.
pub fn temp_path(path: &Path) -> PathBuf {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".tmp.{}.{n}", std::process::id()));
    path.with_file_name(name)
}

/// If `name` is a temporary name made by [`temp_path`] (or the fixed
/// `NAME.tmp` of earlier versions), the name of the file it was to become.
/// Start-up uses it to delete what a crash left behind.
pub fn temp_target(name: &str) -> Option<&str> {
    if let Some(target) = name.strip_suffix(".tmp") {
        return Some(target);
    }
    let (target, rest) = name.rsplit_once(".tmp.")?;
    let (pid, n) = rest.split_once('.')?;
    let number = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    (number(pid) && number(n)).then_some(target)
}

/// Deletes a temporary file after a failed write, so that failures (a full
/// disk retried every few seconds) do not pile up uniquely named files.
pub fn discard_temp(tmp: &Path) {
    let _ = fs::remove_file(tmp);
}

/// Creates (or empties) the temporary file `tmp` for writing.
pub fn create_temp(tmp: &Path) -> std::io::Result<std::fs::File> {
    OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .open(tmp)
}

/// Replaces `path` with `data` so that a crash at any moment leaves either
/// the old file or the new one, never a mix: write a temporary file, fsync
/// it, rename it over, fsync the directory.
pub fn replace_file(path: &Path, data: &[u8]) -> Result<(), PersistError> {
    let tmp = temp_path(path);
    let write = || -> std::io::Result<()> {
        let mut f = create_temp(&tmp)?;
        f.write_all(data)?;
        f.sync_all()
    };
    if let Err(e) = write() {
        discard_temp(&tmp);
        return Err(PersistError::io(&tmp, e));
    }
    commit_temp(&tmp, path).inspect_err(|_| discard_temp(&tmp))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temp_names_are_unique_and_recognised() {
        let path = Path::new("/d/dump.kvs");
        let a = temp_path(path);
        let b = temp_path(path);
        assert_ne!(a, b, "two writers of one file must not share a temporary");
        for t in [&a, &b] {
            let name = t.file_name().unwrap().to_str().unwrap();
            assert_eq!(temp_target(name), Some("dump.kvs"), "{name}");
        }
        assert_eq!(temp_target("dump.kvs.tmp"), Some("dump.kvs"));
        assert_eq!(temp_target("dump.kvs"), None);
        assert_eq!(temp_target("dump.kvs.tmp.x.1"), None);
        assert_eq!(temp_target("dump.kvs.tmp.12"), None);
    }
}
