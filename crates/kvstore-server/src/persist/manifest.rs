//! The AOF manifest: which files make up the append-only log, in order.
//!
//! The log is a base snapshot plus one or more incremental files (Redis 7's
//! multi-part AOF). The manifest is a small text file, replaced atomically,
//! so a crash at any point of a rewrite leaves one that lists a complete,
//! loadable set of files:
//!
//! ```text
//! kvstore-aof-manifest 1
//! base appendonly.aof.3.base.kvs
//! incr appendonly.aof.3.incr.aof
//! incr appendonly.aof.4.incr.aof
//! ```

use std::fs;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use super::fsutil::{replace_file, temp_target};
use super::PersistError;

const HEADER: &str = "kvstore-aof-manifest 1";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manifest {
    /// Sequence number of the base snapshot.
    pub base: u64,
    /// Sequence numbers of the incremental files, oldest first. The last is
    /// the one being appended to.
    pub incrs: Vec<u64>,
}

/// Where the files of one append-only log live and how they are named.
#[derive(Debug, Clone)]
pub struct Layout {
    pub dir: PathBuf,
    /// `--appendfilename`; every file name starts with it.
    pub prefix: String,
}

impl Layout {
    pub fn manifest(&self) -> PathBuf {
        self.dir.join(format!("{}.manifest", self.prefix))
    }

    pub fn base(&self, seq: u64) -> PathBuf {
        self.dir.join(format!("{}.{seq}.base.kvs", self.prefix))
    }

    pub fn incr(&self, seq: u64) -> PathBuf {
        self.dir.join(format!("{}.{seq}.incr.aof", self.prefix))
    }

    /// True for a file name this layout could have produced (including
    /// temporaries), so that leftovers of a crashed rewrite can be found.
    pub fn owns(&self, name: &str) -> bool {
        let name = temp_target(name).unwrap_or(name);
        let Some(rest) = name
            .strip_prefix(self.prefix.as_str())
            .and_then(|r| r.strip_prefix('.'))
        else {
            return false;
        };
        let Some((seq, kind)) = rest.split_once('.') else {
            return false;
        };
        !seq.is_empty()
            && seq.bytes().all(|b| b.is_ascii_digit())
            && (kind == "base.kvs" || kind == "incr.aof")
    }

    /// Reads the manifest; `None` if there is none yet.
    pub fn read(&self) -> Result<Option<Manifest>, PersistError> {
        let path = self.manifest();
        let text = match fs::read(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(PersistError::io(&path, e)),
        };
        parse(&path, &text, self).map(Some)
    }

    /// Replaces the manifest atomically.
    pub fn write(&self, m: &Manifest) -> Result<(), PersistError> {
        let mut text = format!("{HEADER}\n");
        text.push_str(&format!("base {}.{}.base.kvs\n", self.prefix, m.base));
        for seq in &m.incrs {
            text.push_str(&format!("incr {}.{seq}.incr.aof\n", self.prefix));
        }
        replace_file(&self.manifest(), text.as_bytes())
    }

    /// Every file a manifest refers to.
    pub fn files(&self, m: &Manifest) -> Vec<PathBuf> {
        std::iter::once(self.base(m.base))
            .chain(m.incrs.iter().map(|&s| self.incr(s)))
            .collect()
    }
}

impl Manifest {
    /// The highest sequence number in use.
    pub fn last_seq(&self) -> u64 {
        self.incrs.iter().copied().fold(self.base, u64::max)
    }
}

fn parse(path: &Path, text: &[u8], layout: &Layout) -> Result<Manifest, PersistError> {
    let mut offset = 0usize;
    let mut base = None;
    let mut incrs = Vec::new();
    let bad = |offset: usize, reason: &str| PersistError::Corrupt {
        path: path.to_path_buf(),
        offset: offset as u64,
        reason: reason.to_string(),
    };
    let text = std::str::from_utf8(text).map_err(|e| bad(e.valid_up_to(), "not UTF-8"))?;
    for (i, line) in text.split_inclusive('\n').enumerate() {
        let content = line.trim_end();
        if i == 0 {
            if content != HEADER {
                return Err(bad(0, "not a kvstore AOF manifest"));
            }
        } else if !content.is_empty() {
            let (kind, name) = content
                .split_once(' ')
                .ok_or_else(|| bad(offset, "expected `base NAME` or `incr NAME`"))?;
            let seq = file_seq(
                layout,
                name,
                if kind == "base" {
                    "base.kvs"
                } else {
                    "incr.aof"
                },
            )
            .ok_or_else(|| bad(offset, "unexpected file name"))?;
            match kind {
                "base" if base.is_none() => base = Some(seq),
                "incr" => incrs.push(seq),
                _ => return Err(bad(offset, "unexpected line")),
            }
        }
        offset += line.len();
    }
    if !text.ends_with('\n') {
        return Err(bad(offset, "manifest not terminated by a newline"));
    }
    let base = base.ok_or_else(|| bad(offset, "no base file listed"))?;
    if incrs.is_empty() {
        return Err(bad(offset, "no incremental file listed"));
    }
    Ok(Manifest { base, incrs })
}

/// The sequence number in `PREFIX.SEQ.KIND`; names are never taken as
/// paths, so a manifest cannot point outside `--dir`.
fn file_seq(layout: &Layout, name: &str, kind: &str) -> Option<u64> {
    let rest = name
        .strip_prefix(layout.prefix.as_str())?
        .strip_prefix('.')?;
    let seq = rest.strip_suffix(kind)?.strip_suffix('.')?;
    if seq.is_empty() || !seq.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    seq.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_then_read() {
        let dir = tempfile::tempdir().unwrap();
        let layout = Layout {
            dir: dir.path().to_path_buf(),
            prefix: "appendonly.aof".into(),
        };
        assert_eq!(layout.read().unwrap(), None);
        let m = Manifest {
            base: 3,
            incrs: vec![3, 4],
        };
        layout.write(&m).unwrap();
        assert_eq!(layout.read().unwrap(), Some(m.clone()));
        assert_eq!(m.last_seq(), 4);
        assert!(layout.owns("appendonly.aof.4.incr.aof"));
        assert!(layout.owns("appendonly.aof.5.base.kvs.tmp"));
        assert!(layout.owns("appendonly.aof.5.base.kvs.tmp.4242.7"));
        assert!(!layout.owns("appendonly.aof.manifest"));
        assert!(!layout.owns("other.1.incr.aof"));
    }

    #[test]
    fn refuses_foreign_names() {
        let dir = tempfile::tempdir().unwrap();
        let layout = Layout {
            dir: dir.path().to_path_buf(),
            prefix: "a".into(),
        };
        fs::write(
            layout.manifest(),
            format!("{HEADER}\nbase ../etc.1.base.kvs\nincr a.1.incr.aof\n"),
        )
        .unwrap();
        let err = layout.read().unwrap_err().to_string();
        assert!(err.contains("offset 23"), "{err}");
    }
}
