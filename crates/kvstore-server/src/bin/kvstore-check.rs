//! `kvstore-check`: checks the append-only log and snapshot of a data
//! directory and, with `--fix`, cuts a damaged or torn append-only file back
//! to its last good record. It counts the intact records after the damage
//! (which a cut would drop too) and refuses to drop any without
//! `--drop-intact-records`; it always copies the file aside first.
//!
//! Exit status: 0 if everything is (now) loadable, 1 if not, 2 on usage or
//! I/O errors.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;
use kvstore_server::persist::load::{scan_incr, truncate, Scan};
use kvstore_server::persist::record::{self, Next};
use kvstore_server::persist::{aof, rdb, snapshot, Layout};

#[derive(Debug, Parser)]
#[command(
    name = "kvstore-check",
    version,
    about = "Check (and repair) kvstore's append-only file and snapshot"
)]
struct Args {
    /// Data directory, as given to kvstore-server --dir.
    #[arg(long, default_value = ".")]
    dir: PathBuf,
    /// As given to kvstore-server --appendfilename.
    #[arg(long, default_value = "appendonly.aof")]
    appendfilename: String,
    /// As given to kvstore-server --dbfilename.
    #[arg(long, default_value = "dump.kvs")]
    dbfilename: String,
    /// Cut an append-only file with a problem back to its last good record,
    /// after copying it to FILE.bak (or FILE.bak.N). Refused if intact
    /// records follow the damage, unless --drop-intact-records.
    #[arg(long)]
    fix: bool,
    /// With --fix: cut even though intact records follow the damage (they
    /// are dropped with it; the backup keeps them).
    #[arg(long, requires = "fix")]
    drop_intact_records: bool,
    /// Check these files instead of the directory's.
    files: Vec<PathBuf>,
}

fn main() -> ExitCode {
    match run(Args::parse()) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("kvstore-check: {e:#}");
            ExitCode::from(2)
        }
    }
}

/// Returns whether everything is loadable.
fn run(args: Args) -> anyhow::Result<bool> {
    let mut ok = true;
    if !args.files.is_empty() {
        for path in &args.files {
            let head =
                std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
            if snapshot::is_snapshot(&head) || rdb::is_rdb(&head) {
                ok &= check_snapshot(path);
            } else {
                ok &= check_incr(path, &args, true)?;
            }
        }
        return Ok(ok);
    }
    let layout = Layout {
        dir: args.dir.clone(),
        prefix: args.appendfilename.clone(),
    };
    let mut checked = 0;
    if let Some(m) = layout.read()? {
        println!("manifest {}: ok", layout.manifest().display());
        ok &= check_snapshot(&layout.base(m.base));
        for (i, &seq) in m.incrs.iter().enumerate() {
            ok &= check_incr(&layout.incr(seq), &args, i + 1 == m.incrs.len())?;
        }
        checked += 1;
    }
    let dump = args.dir.join(&args.dbfilename);
    if dump.exists() {
        ok &= check_snapshot(&dump);
        checked += 1;
    }
    if checked == 0 {
        anyhow::bail!(
            "no {} or {} in {}",
            layout.manifest().display(),
            args.dbfilename,
            args.dir.display()
        );
    }
    Ok(ok)
}

fn check_snapshot(path: &Path) -> bool {
    if is_rdb_file(path) {
        // Any database number passes: the server's --databases is not known here.
        return match rdb::read(path, usize::MAX, &mut |_| {}, &mut |_| {}) {
            Ok(s) => {
                println!(
                    "RDB file {}: ok, version {}, {} keys",
                    path.display(),
                    s.version,
                    s.keys
                );
                true
            }
            Err(e) => {
                println!("RDB file {e}");
                false
            }
        };
    }
    match snapshot::verify(path) {
        Ok(n) => {
            println!("snapshot {}: ok, {n} keys", path.display());
            true
        }
        Err(e) => {
            println!("snapshot {e}");
            println!("  a snapshot cannot be repaired; restore a copy or start without it");
            false
        }
    }
}

/// True if the file at `path` begins with the RDB magic.
fn is_rdb_file(path: &Path) -> bool {
    use std::io::Read;
    let mut head = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(5).read_to_end(&mut head))
        .is_ok_and(|_| rdb::is_rdb(&head))
}

/// Checks one incremental file; with `--fix`, cuts it at its last good
/// record (only the last file of the log may be cut: cutting an earlier one
/// would leave a gap before the files after it).
fn check_incr(path: &Path, args: &Args, last: bool) -> anyhow::Result<bool> {
    let data = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let Scan {
        records,
        good_end,
        len,
        problem,
    } = scan_incr(&data, |_, _| Ok(()));
    let Some(p) = problem else {
        println!("aof {}: ok, {records} records", path.display());
        return Ok(true);
    };
    let kind = if p.torn {
        "torn last record"
    } else {
        "corrupt"
    };
    let intact = intact_after(&data, p.offset as usize);
    println!(
        "aof {}: {kind} at byte offset {}: {} ({records} good records before it, {} bytes from there to the end, {intact} intact records after the damage)",
        path.display(),
        p.offset,
        p.reason,
        len - good_end
    );
    if !args.fix {
        println!(
            "  --fix would cut the file at byte offset {good_end}, dropping the damaged record and the {intact} intact records after it"
        );
        return Ok(false);
    }
    if !last {
        println!("  not the last file of the log: cannot be cut without losing the files after it");
        return Ok(false);
    }
    if intact > 0 && !args.drop_intact_records {
        println!(
            "  not fixed: the cut would drop {intact} intact records after the damage; run again with --fix --drop-intact-records to cut anyway (a backup is kept)"
        );
        return Ok(false);
    }
    let backup = backup(path, &data)?;
    println!("  backup of the original: {}", backup.display());
    // A damaged magic means nothing in the file can be trusted: start it over.
    let good_end = if data.starts_with(aof::MAGIC) {
        good_end
    } else {
        0
    };
    truncate(path, good_end)?;
    println!(
        "  fixed: cut at byte offset {good_end}, {} bytes removed ({intact} intact records dropped)",
        len - good_end
    );
    Ok(true)
}

/// The intact records after a damaged one at `at`: the longest run of
/// whole, checksummed records starting anywhere past it (a damaged length
/// hides where the next record begins, so every offset is tried).
fn intact_after(data: &[u8], at: usize) -> u64 {
    let mut best = 0;
    let mut start = at + 1;
    while start < data.len() {
        let mut n = 0;
        let mut pos = start;
        while let Next::Record { end, .. } = record::next(data, pos) {
            n += 1;
            pos = end;
        }
        if n > 0 {
            best = best.max(n);
            // The run is the rest of the file as far as it goes; a longer
            // one cannot start inside it.
            start = pos.max(start + 1);
        } else {
            start += 1;
        }
    }
    best
}

/// Copies `path` to `PATH.bak` (or `PATH.bak.N`, never overwriting), durably.
fn backup(path: &Path, data: &[u8]) -> anyhow::Result<PathBuf> {
    use std::io::Write;
    for n in 0..1000 {
        let mut name = path.as_os_str().to_owned();
        name.push(if n == 0 {
            ".bak".to_string()
        } else {
            format!(".bak.{n}")
        });
        let target = PathBuf::from(name);
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&target);
        let mut file = match file {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e).with_context(|| format!("cannot create {}", target.display())),
        };
        file.write_all(data)
            .and_then(|()| file.sync_all())
            .with_context(|| format!("cannot write {}", target.display()))?;
        return Ok(target);
    }
    anyhow::bail!("no free backup name for {}", path.display())
}
