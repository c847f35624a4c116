//! Start-up: reading the snapshot or the append-only log back, and the
//! checks that `kvstore-check` shares.

use std::fs::{self, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use kvstore_protocol::Value;
use tracing::{info, warn};

use super::aof::MAGIC as AOF_MAGIC;
use super::fsutil::{parent, sync_dir, temp_target};
use super::manifest::{Layout, Manifest};
use super::progress::{advance, file_done, set_total};
use super::record::{self, Next};
use super::{rdb, snapshot, PersistError};
use crate::cmd::{self, Ctx};
use crate::config::ReplyMode;
use crate::keyspace::CutKind;
use crate::state::{Session, Shared};

/// The result of walking an incremental file.
#[derive(Debug)]
pub struct Scan {
    pub records: u64,
    /// End of the last good record.
    pub good_end: u64,
    pub len: u64,
    pub problem: Option<Problem>,
}

#[derive(Debug)]
pub struct Problem {
    pub offset: u64,
    /// True for an incomplete last record (a crash mid-write), false for damage.
    pub torn: bool,
    pub reason: String,
}

/// Walks the records of an incremental file held in memory, handing each
/// request to `visit` with its byte offset (it may reject it). Stops at
/// the first problem. See [`scan_incr_from`].
pub fn scan_incr(data: &[u8], visit: impl FnMut(Value, u64) -> Result<(), String>) -> Scan {
    // Reading from a slice cannot fail; were it to, the file reads as
    // damaged from its start.
    scan_incr_from(data, CHUNK, visit).unwrap_or_else(|e| Scan {
        records: 0,
        good_end: 0,
        len: data.len() as u64,
        problem: Some(Problem {
            offset: 0,
            torn: false,
            reason: e.to_string(),
        }),
    })
}

/// How much of an incremental file is read at a time while it is walked.
const CHUNK: usize = 4 << 20;

/// [`scan_incr`] of a file read from `source` about `chunk` bytes at a
/// time, so that replaying a log never holds the whole of it: only the
/// records not yet replayed in the last chunk read, or one record longer
/// than a chunk. The outcome is exactly what walking the whole file in
/// memory gives (a zero-filled tail is a torn end however long it is);
/// the error is a failure to read.
pub fn scan_incr_from(
    source: impl Read,
    chunk: usize,
    mut visit: impl FnMut(Value, u64) -> Result<(), String>,
) -> std::io::Result<Scan> {
    let mut input = Chunks::new(source, chunk.max(1));
    while input.rest().len() < AOF_MAGIC.len() && input.more()? {}
    let head = input.rest();
    if head.len() < AOF_MAGIC.len() || &head[..AOF_MAGIC.len()] != AOF_MAGIC {
        // A crash right after creating the file can leave part of the magic.
        let torn = AOF_MAGIC.starts_with(head);
        input.skip_to_end()?;
        return Ok(Scan {
            records: 0,
            good_end: 0,
            len: input.total,
            problem: Some(Problem {
                offset: 0,
                torn,
                reason: "not a kvstore append-only file (bad magic)".into(),
            }),
        });
    }
    input.consume(AOF_MAGIC.len());
    let mut at = AOF_MAGIC.len() as u64;
    let mut records = 0;
    // Zero bytes already read past `at` and let go: a file extended but
    // never written is torn there if nothing else follows them.
    let mut zeros = 0u64;
    let problem = loop {
        let problem = |torn: bool, reason: String| Problem {
            offset: at,
            torn,
            reason,
        };
        let rest = input.rest();
        if zeros > 0 {
            if rest.iter().any(|&b| b != 0) {
                // A header that begins with sixteen zero bytes, as the
                // whole file in memory would have shown it.
                break Some(problem(false, "record header checksum mismatch".into()));
            }
            if input.eof {
                let zeros = zeros + rest.len() as u64;
                break Some(problem(true, format!("{zeros} zero bytes at the end")));
            }
        }
        match record::next(rest, 0) {
            Next::Record { payload, end } => {
                let outcome = record::decode_payload(payload).and_then(|frame| {
                    check_request(&frame)?;
                    visit(frame, at)
                });
                if let Err(why) = outcome {
                    break Some(problem(false, why));
                }
                records += 1;
                at += end as u64;
                input.consume(end);
            }
            Next::End if input.eof => break None,
            Next::Torn(why) if input.eof => break Some(problem(true, why)),
            Next::Corrupt(why) => break Some(problem(false, why)),
            Next::End | Next::Torn(_) => {
                // More of the file decides it. A run of zeros is counted
                // rather than kept, so no tail of them takes memory.
                if rest.len() >= record::HEADER_LEN && rest.iter().all(|&b| b == 0) {
                    zeros += rest.len() as u64;
                    input.consume(rest.len());
                }
                input.more()?;
            }
        }
    };
    if problem.is_some() {
        // The file's length is part of the report.
        input.skip_to_end()?;
    }
    Ok(Scan {
        records,
        good_end: at,
        len: input.total,
        problem,
    })
}

/// A byte source read a chunk at a time into one buffer, with what was
/// consumed dropped before the next read.
struct Chunks<R> {
    source: R,
    buf: Vec<u8>,
    /// Where the unconsumed bytes begin in `buf`.
    start: usize,
    chunk: usize,
    /// Bytes read so far.
    total: u64,
    eof: bool,
}

impl<R: Read> Chunks<R> {
    fn new(source: R, chunk: usize) -> Chunks<R> {
        Chunks {
            source,
            buf: Vec::new(),
            start: 0,
            chunk,
            total: 0,
            eof: false,
        }
    }

    fn rest(&self) -> &[u8] {
        &self.buf[self.start..]
    }

    fn consume(&mut self, n: usize) {
        self.start = (self.start + n).min(self.buf.len());
    }

    /// Reads more after what is unconsumed: up to a chunk's worth in all,
    /// or a chunk more when a record longer than that is being read; false
    /// once the source has ended. The buffer grows only by what is read,
    /// so a length in a damaged header never sizes it.
    fn more(&mut self) -> std::io::Result<bool> {
        if self.eof {
            return Ok(false);
        }
        self.buf.drain(..self.start);
        self.start = 0;
        let have = self.buf.len();
        let want = if have < self.chunk {
            self.chunk
        } else {
            have + self.chunk
        };
        self.buf
            .try_reserve_exact(want - have)
            .map_err(|_| std::io::Error::from(std::io::ErrorKind::OutOfMemory))?;
        self.buf.resize(want, 0);
        let mut filled = have;
        while filled < self.buf.len() {
            match self.source.read(&mut self.buf[filled..]) {
                Ok(0) => {
                    self.eof = true;
                    break;
                }
                Ok(n) => filled += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => {
                    self.buf.truncate(filled);
                    return Err(e);
                }
            }
        }
        self.buf.truncate(filled);
        self.total += (filled - have) as u64;
        Ok(filled > have || !self.eof)
    }

    /// Reads the rest of the source only to count it.
    fn skip_to_end(&mut self) -> std::io::Result<()> {
        loop {
            self.consume(self.buf.len());
            if !self.more()? {
                return Ok(());
            }
        }
    }
}

/// True if `frame` is the one-word request `word` (lower case).
fn is_word_request(frame: &Value, word: &[u8]) -> bool {
    match frame {
        Value::Array(items) if items.len() == 1 => items[0]
            .as_bytes()
            .is_some_and(|b| b.eq_ignore_ascii_case(word)),
        _ => false,
    }
}

/// A logged request must be a command this server knows.
fn check_request(frame: &Value) -> Result<(), String> {
    let Value::Array(items) = frame else {
        return Err("record is not a request array".into());
    };
    let name = items
        .first()
        .and_then(Value::as_bytes)
        .ok_or_else(|| "record has no command name".to_string())?;
    match cmd::lookup(name) {
        // SELECT switches the database the records after it apply to;
        // MULTI and EXEC enclose a transaction's records.
        Some(c) if c.is_write() || matches!(c.name, "select" | "multi" | "exec") => Ok(()),
        Some(_) => Err(format!(
            "record holds a read-only command '{}'",
            cmd::printable(name, 64)
        )),
        None => Err(format!(
            "record holds an unknown command '{}'",
            cmd::printable(name, 64)
        )),
    }
}

/// Cuts `path` to `len` bytes, durably.
pub fn truncate(path: &Path, len: u64) -> Result<(), PersistError> {
    let io = |e| PersistError::io(path, e);
    let mut f = OpenOptions::new().write(true).open(path).map_err(io)?;
    f.set_len(len).map_err(io)?;
    if len == 0 {
        // The magic itself was torn: start the file over.
        f.write_all(AOF_MAGIC).map_err(io)?;
    }
    f.sync_all().map_err(io)
}

/// What loading found, for the start-up log.
#[derive(Debug, Default)]
pub struct Loaded {
    pub keys: usize,
    pub commands: u64,
    /// The manifest of the log, when the AOF is on.
    pub manifest: Option<Manifest>,
    /// Total bytes of the log files.
    pub aof_size: u64,
}

/// How the directory is opened.
#[derive(Debug, Clone, Copy)]
struct Opening {
    load_truncated: bool,
    start_empty: bool,
    /// For `--rdb-export`, possibly beside a server running on the same
    /// directory: change nothing there (no clean-up, no cut, no new log),
    /// and take a torn last record for one still being written.
    read_only: bool,
}

/// Loads the data at start-up into the keyspace: the AOF when it is on
/// (creating it if it does not exist yet, from the snapshot if there is
/// one), else the snapshot if there is one.
pub fn load(
    shared: &Shared,
    layout: &Layout,
    dump: &Path,
    aof_on: bool,
    load_truncated: bool,
    start_empty: bool,
) -> Result<Loaded, PersistError> {
    let how = Opening {
        load_truncated,
        start_empty,
        read_only: false,
    };
    load_with(shared, layout, dump, aof_on, how)
}

/// [`load`] without changing anything in the directory: the AOF's files
/// or the snapshot are only read. A torn last record of the log is left
/// out (a server may be writing it), and with `--appendonly` but no log
/// yet the snapshot is loaded and no log created.
pub fn load_read_only(
    shared: &Shared,
    layout: &Layout,
    dump: &Path,
    aof_on: bool,
) -> Result<Loaded, PersistError> {
    let how = Opening {
        load_truncated: true,
        start_empty: false,
        read_only: true,
    };
    load_with(shared, layout, dump, aof_on, how)
}

fn load_with(
    shared: &Shared,
    layout: &Layout,
    dump: &Path,
    aof_on: bool,
    how: Opening,
) -> Result<Loaded, PersistError> {
    let mut loaded = Loaded::default();
    if !how.read_only {
        remove_temporaries(layout, dump);
    }
    if !aof_on {
        if dump.exists() {
            set_total(fs::metadata(dump).map_or(0, |m| m.len()));
            load_snapshot(shared, dump, true)?;
        }
        loaded.keys = shared.keyspace.len();
        return Ok(loaded);
    }
    // The log is replayed as the writes ran: nothing expires until it is
    // all in, or a write that ran before a deadline would be replayed
    // after it (Redis does the same). Keys past their deadline are then
    // invisible, and the expiry cycle removes them.
    let clock = shared.keyspace.clock();
    clock.freeze(true);
    let result = load_aof(shared, layout, dump, how, &mut loaded);
    clock.freeze(false);
    result?;
    loaded.keys = shared.keyspace.len();
    Ok(loaded)
}

fn load_aof(
    shared: &Shared,
    layout: &Layout,
    dump: &Path,
    how: Opening,
    loaded: &mut Loaded,
) -> Result<(), PersistError> {
    let manifest = match layout.read()? {
        Some(m) => {
            if !how.read_only {
                remove_leftovers(layout, Some(&m));
            }
            set_total(
                layout
                    .files(&m)
                    .iter()
                    .map(|f| fs::metadata(f).map_or(0, |m| m.len()))
                    .sum(),
            );
            let base = layout.base(m.base);
            load_snapshot(shared, &base, false)?;
            loaded.aof_size += file_len(&base)?;
            let mut session = Session::new(0, shared.local_addr, ReplyMode::Seed);
            for (i, &seq) in m.incrs.iter().enumerate() {
                let last = i + 1 == m.incrs.len();
                let path = layout.incr(seq);
                let (n, size) = replay(shared, &mut session, &path, last, how)?;
                loaded.commands += n;
                loaded.aof_size += size;
            }
            m
        }
        None if how.read_only => {
            orphans(layout, false)?;
            if dump.exists() {
                load_snapshot(shared, dump, false)?;
            }
            return Ok(());
        }
        None => {
            orphans(layout, how.start_empty)?;
            remove_leftovers(layout, None);
            if dump.exists() {
                info!(
                    "no append-only file yet: starting it from {}",
                    dump.display()
                );
                load_snapshot(shared, dump, false)?;
            }
            let m = Manifest {
                base: 1,
                incrs: vec![1],
            };
            // Read in place: nothing else runs yet, and a copy would double
            // the memory of what was just loaded.
            let Some(cut) = shared.keyspace.cut(CutKind::Rewrite) else {
                return Err(PersistError::Config(
                    "a rewrite is already in progress".into(),
                ));
            };
            loaded.aof_size = snapshot::write(&layout.base(1), &cut, "init")?;
            drop(cut);
            let incr = layout.incr(1);
            fs::write(&incr, AOF_MAGIC).map_err(|e| PersistError::io(&incr, e))?;
            fs::File::open(&incr)
                .and_then(|f| f.sync_all())
                .map_err(|e| PersistError::io(&incr, e))?;
            sync_dir(&layout.dir)?;
            layout.write(&m)?;
            loaded.aof_size += AOF_MAGIC.len() as u64;
            m
        }
    };
    loaded.manifest = Some(manifest);
    Ok(())
}

fn file_len(path: &Path) -> Result<u64, PersistError> {
    fs::metadata(path)
        .map(|m| m.len())
        .map_err(|e| PersistError::io(path, e))
}

/// Loads a snapshot, kvstore's own or a Redis RDB file (told apart by
/// their first bytes); `drop_expired` leaves out the keys whose deadline
/// passed while the server was down (a base file of the AOF keeps them:
/// the log after it may have changed their deadline).
fn load_snapshot(shared: &Shared, path: &Path, drop_expired: bool) -> Result<(), PersistError> {
    let now = crate::keyspace::clock::unix_ms();
    let mut dropped = 0u64;
    let mut bad = None;
    let mut libraries = Vec::new();
    let mut lib = |code| libraries.push(code);
    let rdb = if starts_as_rdb(path)? {
        let mut take = |e: snapshot::Entry| {
            if drop_expired && e.deadline.is_some_and(|d| d <= now) {
                dropped += 1;
                return;
            }
            match e.record() {
                Ok(r) => {
                    shared.keyspace.db(e.db).insert_record(r);
                }
                Err(why) => bad = Some(why),
            }
        };
        Some(rdb::read(
            path,
            shared.keyspace.databases(),
            &mut take,
            &mut lib,
        )?)
    } else {
        None
    };
    let n = match &rdb {
        Some(summary) => summary.keys,
        None => snapshot::read_records(
            path,
            &mut |db, r| {
                if drop_expired && r.deadline().is_some_and(|d| d <= now) {
                    dropped += 1;
                    return;
                }
                shared.keyspace.db(db).insert_record(r);
            },
            &mut lib,
            &mut |sizes| {
                // A hint, bounded by what the file could hold (a record
                // takes well over 16 bytes), so that no count can ask for
                // much more memory than the keys will.
                let cap = fs::metadata(path).map_or(0, |m| m.len() as usize / 16);
                for (db, &n) in sizes.iter().enumerate() {
                    if let Some(d) = shared.keyspace.get_db(db) {
                        d.reserve(n.min(cap));
                    }
                }
            },
        )?,
    };
    // Libraries load as FUNCTION LOAD does, through the command table,
    // which compiles them and records what they register.
    let mut session = Session::new(0, shared.local_addr, ReplyMode::Redis);
    for code in libraries {
        let words = ["FUNCTION", "LOAD", "REPLACE"].map(Value::bulk);
        let mut frame = words.to_vec();
        frame.push(Value::Bulk(code));
        let reply = cmd::execute(&mut Ctx::new(shared, &mut session), Value::Array(frame));
        if let Value::Error(e) = reply {
            bad = Some(format!(
                "a function library does not load: {}",
                String::from_utf8_lossy(&e)
            ));
        }
    }
    if let Some(why) = bad {
        return Err(PersistError::Corrupt {
            path: path.to_path_buf(),
            offset: 0,
            reason: why,
        });
    }
    file_done(fs::metadata(path).map_or(0, |m| m.len()));
    info!(
        "loaded {} keys from {} ({dropped} past their deadline)",
        n - dropped,
        path.display()
    );
    if let Some(s) = rdb {
        info!(
            "{} is a Redis RDB file (version {}, written by Redis {}; {} empty keys skipped, {} function libraries): the next save writes kvstore's own snapshot format in its place",
            path.display(),
            s.version,
            s.redis_ver.as_deref().unwrap_or("of unknown version"),
            s.empty,
            s.libraries
        );
    }
    Ok(())
}

/// True if the file at `path` begins with the RDB magic.
fn starts_as_rdb(path: &Path) -> Result<bool, PersistError> {
    use std::io::Read;
    let mut head = Vec::new();
    fs::File::open(path)
        .and_then(|f| f.take(5).read_to_end(&mut head))
        .map_err(|e| PersistError::io(path, e))?;
    Ok(rdb::is_rdb(&head))
}

/// Replays one incremental file through the command table, exactly as the
/// writes ran live. Returns the commands replayed and the file's valid size.
fn replay(
    shared: &Shared,
    session: &mut Session,
    path: &Path,
    last: bool,
    how: Opening,
) -> Result<(u64, u64), PersistError> {
    let load_truncated = how.load_truncated;
    let file = fs::File::open(path).map_err(|e| PersistError::io(path, e))?;
    let mut failed = 0u64;
    // Where the transaction being replayed began, if one is open.
    let mut multi_at = None;
    // Read a chunk at a time: the whole log held in memory beside the keys
    // it builds would double what loading takes at its peak.
    let mut scan = scan_incr_from(file, CHUNK, |frame, at| {
        advance(at);
        let opens = is_word_request(&frame, b"multi");
        let reply = cmd::execute(&mut Ctx::new(shared, session), frame);
        if opens {
            multi_at = Some(at);
        } else if session.multi.is_none() {
            multi_at = None;
        }
        if reply.is_error() {
            failed += 1;
        }
        Ok(())
    })
    .map_err(|e| PersistError::io(path, e))?;
    let cut_ok = scan
        .problem
        .as_ref()
        .is_none_or(|p| p.torn && last && load_truncated);
    if let (Some(at), true, true) = (multi_at, session.multi.is_some(), cut_ok) {
        // The log ends inside a transaction: its EXEC was never written,
        // so none of it was acknowledged. Cut it off, as Redis does, so
        // that records appended later are not taken into it.
        session.multi = None;
        session.multi_failed = false;
        if !last {
            return Err(PersistError::Corrupt {
                path: path.to_path_buf(),
                offset: at,
                reason: "a transaction without its EXEC before the next file".into(),
            });
        }
        warn!(
            "{}: the log ends inside a transaction begun at byte offset {at}; cutting it off",
            path.display()
        );
        if !how.read_only {
            truncate(path, at)?;
        }
        scan.good_end = at;
        scan.problem = None;
    }
    if failed > 0 {
        warn!(
            "{}: {failed} logged commands failed on replay",
            path.display()
        );
    }
    match scan.problem {
        None => {}
        Some(p) if p.torn && last && load_truncated => {
            if how.read_only {
                warn!(
                    "{}: torn last record at byte offset {} ({}): left out, as a record a running server may still be writing",
                    path.display(),
                    p.offset,
                    p.reason
                );
            } else {
                warn!(
                    "{}: torn last record at byte offset {} ({}); cutting off {} bytes and starting",
                    path.display(),
                    p.offset,
                    p.reason,
                    scan.len - scan.good_end
                );
                truncate(path, scan.good_end)?;
            }
        }
        Some(p) if p.torn && last => {
            return Err(PersistError::Truncated {
                path: path.to_path_buf(),
                offset: p.offset,
                reason: p.reason,
            })
        }
        Some(p) => {
            return Err(PersistError::Corrupt {
                path: path.to_path_buf(),
                offset: p.offset,
                reason: p.reason,
            })
        }
    }
    file_done(scan.len);
    info!("replayed {} commands from {}", scan.records, path.display());
    Ok((scan.records, scan.good_end.max(AOF_MAGIC.len() as u64)))
}

/// Deletes the temporary files of snapshots and manifests that a crash
/// left behind. Each write uses a new name (see [`temp_path`]), so nothing
/// else would ever overwrite them. The log's own temporaries are left to
/// [`remove_leftovers`], when the AOF is on.
///
/// [`temp_path`]: super::fsutil::temp_path
fn remove_temporaries(layout: &Layout, dump: &Path) {
    let dir = parent(dump);
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    let dump_name = dump.file_name().and_then(|n| n.to_str());
    let manifest = layout.manifest();
    let manifest_name = manifest.file_name().and_then(|n| n.to_str());
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(target) = name.to_str().and_then(temp_target) else {
            continue;
        };
        let ours =
            Some(target) == dump_name || (dir == layout.dir && Some(target) == manifest_name);
        if ours {
            let path = entry.path();
            info!("removing leftover {}", path.display());
            if let Err(e) = fs::remove_file(&path) {
                warn!("cannot remove {}: {e}", path.display());
            }
        }
    }
}

/// With no manifest, the log's own files in the directory mean it went
/// missing (deleted, or lost with a restore): starting would begin an
/// empty log over them. Refused, naming what is missing, unless
/// `--aof-start-empty yes`, which renames them aside (`NAME.orphaned`).
fn orphans(layout: &Layout, start_empty: bool) -> Result<(), PersistError> {
    let Ok(entries) = fs::read_dir(&layout.dir) else {
        return Ok(());
    };
    let found: Vec<PathBuf> = entries
        .flatten()
        .filter(|e| {
            e.file_name()
                .to_str()
                .is_some_and(|n| layout.owns(n) && temp_target(n).is_none())
        })
        .map(|e| e.path())
        .collect();
    // A crash while the very first log was being created leaves its
    // first base and an empty first increment before the manifest:
    // nothing was acknowledged through them, and they are removed.
    let first_start = found.iter().all(|p| {
        *p == layout.base(1)
            || (*p == layout.incr(1)
                && fs::metadata(p).is_ok_and(|m| m.len() <= AOF_MAGIC.len() as u64))
    });
    if found.is_empty() || first_start {
        return Ok(());
    }
    if !start_empty {
        return Err(PersistError::Config(format!(
            "the append-only file's manifest {} is missing, but {} of its files are in {} (e.g. {}): refusing to start with an empty log over them; restore the manifest, or start with --aof-start-empty yes to set them aside and start anew",
            layout.manifest().display(),
            found.len(),
            layout.dir.display(),
            found[0].display()
        )));
    }
    for path in found {
        let mut aside = path.clone().into_os_string();
        aside.push(".orphaned");
        warn!(
            "--aof-start-empty: setting {} aside (manifest missing)",
            path.display()
        );
        fs::rename(&path, &aside).map_err(|e| PersistError::io(&path, e))?;
    }
    Ok(())
}

/// Deletes files of the log that the manifest does not list: the remains
/// of a rewrite that a crash interrupted.
fn remove_leftovers(layout: &Layout, m: Option<&Manifest>) {
    let keep: Vec<PathBuf> = m.map(|m| layout.files(m)).unwrap_or_default();
    let Ok(entries) = fs::read_dir(&layout.dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        let path = entry.path();
        if layout.owns(name) && !keep.contains(&path) {
            info!("removing leftover {}", path.display());
            if let Err(e) = fs::remove_file(&path) {
                warn!("cannot remove {}: {e}", path.display());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use bytes::BytesMut;

    use super::*;

    /// The walk as it was done before files were read in chunks, over the
    /// whole file in memory: what the chunked walk must agree with.
    fn walk_whole(data: &[u8], mut visit: impl FnMut(Value, u64) -> Result<(), String>) -> Scan {
        let len = data.len() as u64;
        let problem = |offset: usize, torn: bool, reason: String| Problem {
            offset: offset as u64,
            torn,
            reason,
        };
        if data.len() < AOF_MAGIC.len() || &data[..AOF_MAGIC.len()] != AOF_MAGIC {
            let torn = AOF_MAGIC.starts_with(data);
            let bad = problem(0, torn, "not a kvstore append-only file (bad magic)".into());
            return Scan {
                records: 0,
                good_end: 0,
                len,
                problem: Some(bad),
            };
        }
        let mut at = AOF_MAGIC.len();
        let mut records = 0;
        let problem = loop {
            match record::next(data, at) {
                Next::Record { payload, end } => {
                    let outcome = record::decode_payload(payload).and_then(|frame| {
                        check_request(&frame)?;
                        visit(frame, at as u64)
                    });
                    if let Err(why) = outcome {
                        break Some(problem(at, false, why));
                    }
                    records += 1;
                    at = end;
                }
                Next::End => break None,
                Next::Torn(why) => break Some(problem(at, true, why)),
                Next::Corrupt(why) => break Some(problem(at, false, why)),
            }
        };
        Scan {
            records,
            good_end: at as u64,
            len,
            problem,
        }
    }

    fn log(records: usize) -> Vec<u8> {
        let mut out = BytesMut::from(&AOF_MAGIC[..]);
        for i in 0..records {
            let value = "v".repeat(i % 40);
            let words = ["SET", &format!("key:{i}"), &value].map(Value::bulk);
            record::push(&mut out, &Value::Array(words.to_vec()));
        }
        out.to_vec()
    }

    /// Every way a file can end or be damaged, walked whole and in chunks
    /// of many sizes (record boundaries fall everywhere in a chunk), with
    /// a visitor that refuses one record: same outcome, same visits.
    #[test]
    fn reading_in_chunks_changes_nothing() {
        let good = log(60);
        let mut files: Vec<Vec<u8>> = vec![
            Vec::new(),
            AOF_MAGIC[..3].to_vec(),
            b"not a log at all".to_vec(),
            AOF_MAGIC.to_vec(),
            good.clone(),
        ];
        for cut in [1, 5, 15, 16, 17, 30] {
            files.push(good[..good.len() - cut].to_vec());
        }
        for zeros in [1, 15, 16, 17, 100, 5000] {
            let mut f = good.clone();
            f.resize(good.len() + zeros, 0);
            files.push(f.clone());
            f.push(b'x');
            files.push(f.clone());
            f.extend_from_slice(&good[AOF_MAGIC.len()..]);
            files.push(f);
        }
        for at in [
            AOF_MAGIC.len() + 3,
            AOF_MAGIC.len() + 12,
            good.len() / 2,
            good.len() - 2,
        ] {
            let mut f = good.clone();
            f[at] ^= 0x20;
            files.push(f);
        }
        for file in &files {
            for refuse in [None, Some(7)] {
                let mut seen = Vec::new();
                let mut visit = |frame: Value, at: u64| {
                    seen.push(at);
                    match refuse {
                        Some(n) if seen.len() == n => Err(format!("refused {frame:?}")),
                        _ => Ok(()),
                    }
                };
                let whole = format!("{:?}", walk_whole(file, &mut visit));
                let expected = std::mem::take(&mut seen);
                for chunk in [1, 2, 7, 16, 33, 256, 4096, CHUNK] {
                    let mut visit = |frame: Value, at: u64| {
                        seen.push(at);
                        match refuse {
                            Some(n) if seen.len() == n => Err(format!("refused {frame:?}")),
                            _ => Ok(()),
                        }
                    };
                    let chunked = scan_incr_from(&file[..], chunk, &mut visit)
                        .map(|s| format!("{s:?}"))
                        .unwrap_or_else(|e| e.to_string());
                    assert_eq!(chunked, whole, "chunks of {chunk}, file of {}", file.len());
                    assert_eq!(std::mem::take(&mut seen), expected, "chunks of {chunk}");
                }
            }
        }
    }

    #[test]
    fn a_long_zero_tail_is_a_torn_end() {
        let mut file = log(3);
        let good = file.len() as u64;
        file.resize(file.len() + (10 << 20), 0);
        let scan = scan_incr_from(&file[..], 4096, |_, _| Ok(())).unwrap();
        assert_eq!((scan.records, scan.good_end), (3, good));
        let problem = scan.problem.unwrap();
        assert!(problem.torn);
        assert_eq!(
            problem.reason,
            format!("{} zero bytes at the end", 10 << 20)
        );
    }
}
