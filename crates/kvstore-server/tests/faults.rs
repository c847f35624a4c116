//! Disk and directory faults: a `--dir` that is missing or read-only, a
//! snapshot that fails (`-MISCONF`), a full disk under the append-only
//! file, the directory removed while running, and shutdowns that must not
//! lose data. Nothing acknowledged may be lost, and every request must be
//! answered.
//!
//! The tests that need a mount (a read-only bind mount: root ignores file
//! modes; a small tmpfs for a full disk) need root. Under CI they must
//! run; elsewhere they are skipped with the reason printed.

mod durability_common;

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use durability_common::{eventually, start_fails, Conn, Proc};
use kvstore_protocol::Value;

const RDB_MISCONF: &str = "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. Commands that may modify the data set are disabled, because this instance is configured to report errors during writes if RDB snapshotting fails (stop-writes-on-bgsave-error option). Please check the Redis logs for details about the RDB error.";

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

fn skip(why: &str) {
    if in_ci() {
        panic!("{why}, and CI is set: the fault tests must run there (as root)");
    }
    let _ = writeln!(std::io::stderr(), "SKIPPED: {why}");
}

fn error_text(v: &Value) -> Option<String> {
    match v {
        Value::Error(e) => Some(String::from_utf8_lossy(e).into_owned()),
        _ => None,
    }
}

fn info_field(conn: &mut Conn, name: &str) -> String {
    conn.info("persistence")
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
        .unwrap_or_else(|| panic!("no {name} in INFO persistence"))
}

/// A mount that is undone when dropped, even if the test fails.
struct Mount(PathBuf);

impl Mount {
    /// Runs `mount ARGS... target`; `None` (after saying why) if it cannot.
    fn new(args: &[&str], target: &Path) -> Option<Mount> {
        let out = Command::new("mount").args(args).arg(target).output();
        match out {
            Ok(o) if o.status.success() => Some(Mount(target.to_path_buf())),
            Ok(o) => {
                skip(&format!(
                    "mount {args:?} failed: {}",
                    String::from_utf8_lossy(&o.stderr).trim()
                ));
                None
            }
            Err(e) => {
                skip(&format!("cannot run mount: {e}"));
                None
            }
        }
    }

    /// `mount -o remount,ro|rw,bind`.
    fn remount(&self, mode: &str) {
        let status = Command::new("mount")
            .args(["-o", &format!("remount,{mode},bind")])
            .arg(&self.0)
            .status()
            .expect("mount");
        assert!(status.success(), "remount {mode}");
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// A read-only bind mount of a fresh directory, at `<tmp>/ro`; the
/// directory itself is `<tmp>/src`. `None` after saying why if not root.
fn read_only_dir(tmp: &Path) -> Option<(PathBuf, Mount)> {
    if !is_root() {
        skip("not root: a read-only bind mount needs it");
        return None;
    }
    let src = tmp.join("src");
    let ro = tmp.join("ro");
    std::fs::create_dir_all(&src).expect("mkdir");
    std::fs::create_dir_all(&ro).expect("mkdir");
    let m = Mount::new(&["--bind", src.to_str().expect("utf-8")], &ro)?;
    m.remount("ro");
    Some((ro, m))
}

#[test]
fn a_missing_dir_refuses_to_start_in_every_mode() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let missing = tmp.path().join("no-such-dir");
    for args in [
        &[][..],
        &["--save", "3600 1"][..],
        &["--appendonly", "yes"][..],
    ] {
        let (status, log) = start_fails(&missing, args);
        assert!(!status.success(), "{args:?}: started");
        let want = format!("Can't chdir to '{}'", missing.display());
        assert!(log.contains(&want), "{args:?}: {log}");
        assert!(!missing.exists(), "{args:?}: the directory was created");
    }
    // A file is not a directory either.
    let file = tmp.path().join("a-file");
    std::fs::write(&file, b"x").expect("write");
    let (status, log) = start_fails(&file, &[]);
    assert!(!status.success());
    assert!(log.contains("Not a directory"), "{log}");
}

#[test]
fn appendonly_takes_yes_and_no() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let server = Proc::start(tmp.path(), &["--appendonly", "no"]);
    let mut c = server.connect();
    assert_eq!(info_field(&mut c, "aof_enabled"), "0");
    drop(server);
    let server = Proc::start(tmp.path(), &["--appendonly", "yes"]);
    let mut c = server.connect();
    assert_eq!(info_field(&mut c, "aof_enabled"), "1");
}

#[test]
fn an_unwritable_dir_refuses_to_start() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let Some((ro, _mount)) = read_only_dir(tmp.path()) else {
        return;
    };
    for args in [&[][..], &["--appendonly"][..]] {
        let (status, log) = start_fails(&ro, args);
        assert!(!status.success(), "{args:?}: started");
        assert!(
            log.contains(&format!(
                "Can't write to the data directory '{}'",
                ro.display()
            )) && log.contains("Read-only file system"),
            "{args:?}: {log}"
        );
    }
}

/// Waits for the snapshot in progress to end; its status.
fn bgsave_status(c: &mut Conn) -> String {
    assert!(
        eventually(Duration::from_secs(20), || info_field(
            c,
            "rdb_bgsave_in_progress"
        ) == "0"),
        "the snapshot did not end"
    );
    info_field(c, "rdb_last_bgsave_status")
}

/// Snapshots fail while the directory is read-only: writes get Redis's
/// MISCONF, reads work, and the next snapshot that works lifts it.
#[test]
fn misconf_while_snapshots_fail_and_recovery() {
    let tmp = tempfile::tempdir().expect("tempdir");
    if !is_root() {
        skip("not root: a read-only bind mount needs it");
        return;
    }
    let src = tmp.path().join("src");
    let dir = tmp.path().join("data");
    std::fs::create_dir_all(&src).expect("mkdir");
    std::fs::create_dir_all(&dir).expect("mkdir");
    let Some(mount) = Mount::new(&["--bind", src.to_str().expect("utf-8")], &dir) else {
        return;
    };
    let server = Proc::start(&dir, &["--save", "3600 1"]);
    let mut c = server.connect();
    assert_eq!(c.cmd(&["SET", "a", "1"]), Value::Integer(1));
    mount.remount("ro");
    assert_eq!(
        c.cmd(&["BGSAVE"]),
        Value::Simple("Background saving started".into())
    );
    assert_eq!(bgsave_status(&mut c), "err");
    assert!(
        info_field(&mut c, "rdb_last_bgsave_error").contains("Read-only file system"),
        "no reason in INFO"
    );
    let refused = c.cmd(&["SET", "b", "2"]);
    assert_eq!(error_text(&refused).as_deref(), Some(RDB_MISCONF));
    assert_eq!(error_text(&c.cmd(&["PING"])).as_deref(), Some(RDB_MISCONF));
    assert_eq!(c.cmd(&["GET", "a"]), Value::from("1"), "reads work");
    assert_eq!(
        c.cmd(&["GET", "b"]),
        Value::Null,
        "the refused write did nothing"
    );
    // A script's write is refused too.
    let script = c.cmd(&["EVAL", "return redis.call('SET', 'b', '2')", "0"]);
    assert!(
        error_text(&script).is_some_and(|e| e.contains("MISCONF")),
        "{script:?}"
    );
    // A transaction with a write is refused as a whole.
    c.cmd(&["MULTI"]);
    assert!(error_text(&c.cmd(&["SET", "b", "2"])).is_some());
    let exec = error_text(&c.cmd(&["EXEC"])).expect("EXEC refused");
    assert!(exec.starts_with("EXECABORT"), "{exec}");
    mount.remount("rw");
    c.cmd(&["BGSAVE"]);
    assert_eq!(bgsave_status(&mut c), "ok");
    assert_eq!(
        c.cmd(&["SET", "b", "2"]),
        Value::Integer(1),
        "writes are back"
    );
    assert_eq!(c.cmd(&["PING"]), Value::Simple("PONG".into()));
    assert!(server.term().success());
    let server = Proc::start(&dir, &["--save", "3600 1"]);
    let mut c = server.connect();
    assert_eq!(c.cmd(&["GET", "b"]), Value::from("2"));
}

/// Without root: a snapshot that fails for another reason (a directory
/// where the file must go) gives the same MISCONF, and the shutdown with
/// a save configured refuses to exit until it can save.
#[test]
fn shutdown_refuses_to_lose_data_when_the_snapshot_fails() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    let server = Proc::start(dir, &["--save", "3600 1"]);
    let mut c = server.connect();
    assert_eq!(c.cmd(&["SET", "k", "v"]), Value::Integer(1));
    let blocker = dir.join("dump.kvs");
    std::fs::create_dir(&blocker).expect("mkdir");
    assert_eq!(
        error_text(&c.cmd(&["SHUTDOWN"])).as_deref(),
        Some("ERR Errors trying to SHUTDOWN. Check logs.")
    );
    // Still serving, and it says why in the log (read from the server's
    // stderr by a thread of its own, so it may arrive a little later).
    assert_eq!(c.cmd(&["GET", "k"]), Value::from("v"));
    assert!(
        eventually(Duration::from_secs(10), || server
            .log()
            .contains("the final snapshot failed")),
        "{}",
        server.log()
    );
    // The failed snapshot refuses writes now.
    assert_eq!(
        error_text(&c.cmd(&["SET", "k2", "v"])).as_deref(),
        Some(RDB_MISCONF)
    );
    // SIGTERM does not make it exit either.
    let pid = server.child.id().to_string();
    assert!(Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill")
        .success());
    assert!(
        eventually(Duration::from_secs(10), || server
            .log()
            .matches("errors trying to shut down")
            .count()
            >= 2),
        "{}",
        server.log()
    );
    let mut fresh = server.connect();
    assert_eq!(fresh.cmd(&["GET", "k"]), Value::from("v"), "still serving");
    // Once the snapshot can be written, SHUTDOWN works and nothing is lost.
    std::fs::remove_dir(&blocker).expect("rmdir");
    c.send(vec![Value::from("SHUTDOWN")]).expect("send");
    assert!(
        c.reply().is_err(),
        "SHUTDOWN that works closes without a reply"
    );
    assert!(server.wait_exit(Duration::from_secs(20)).success());
    let server = Proc::start(dir, &["--save", "3600 1"]);
    let mut c = server.connect();
    assert_eq!(c.cmd(&["GET", "k"]), Value::from("v"));
}

#[test]
fn shutdown_nosave_and_force_exit_even_so() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    for how in ["NOSAVE", "FORCE"] {
        let server = Proc::start(dir, &["--save", "3600 1"]);
        let mut c = server.connect();
        c.cmd(&["SET", "k", "v"]);
        let blocker = dir.join("dump.kvs");
        let _ = std::fs::remove_file(&blocker);
        std::fs::create_dir_all(&blocker).expect("mkdir");
        c.send(vec![Value::from("SHUTDOWN"), Value::from(how)])
            .expect("send");
        assert!(c.reply().is_err(), "{how}: closes without a reply");
        assert!(server.wait_exit(Duration::from_secs(20)).success(), "{how}");
        std::fs::remove_dir(&blocker).expect("rmdir");
    }
}

/// Keys and values acknowledged by `SET`, for comparing after a restart.
type Acked = Vec<(String, String)>;

/// With the AOF on a full disk: every write is answered (an error once
/// the log cannot be written), writes resume by themselves once space
/// returns, and every acknowledged write survives a restart.
#[test]
fn a_full_disk_answers_every_write_and_loses_nothing() {
    if !is_root() {
        skip("not root: a small tmpfs needs it");
        return;
    }
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("small");
    std::fs::create_dir_all(&dir).expect("mkdir");
    let Some(_mount) = Mount::new(&["-t", "tmpfs", "-o", "size=1m", "tmpfs"], &dir) else {
        return;
    };
    let args = ["--appendonly", "yes", "--appendfsync", "always"];
    let server = Proc::start(&dir, &args);
    // Fill the disk but for a little room, with a file removed later.
    let filler = dir.join("filler");
    {
        let mut f = std::fs::File::create(&filler).expect("filler");
        let chunk = vec![0u8; 4096];
        while f.write_all(&chunk).is_ok() {}
        let _ = f.sync_all();
    }
    let len = std::fs::metadata(&filler).expect("filler").len();
    std::fs::File::options()
        .write(true)
        .open(&filler)
        .expect("filler")
        .set_len(len.saturating_sub(64 * 1024))
        .expect("truncate");
    let mut acked: Acked = Vec::new();
    let mut c = server.connect();
    let value = "x".repeat(1000);
    let mut refused = None;
    // Pipelined batches, so that the disk fills up in the middle of one:
    // each write of it must get its own answer.
    'batches: for batch in 0..100 {
        let keys: Vec<String> = (0..16).map(|i| format!("k{batch}-{i}")).collect();
        for key in &keys {
            c.send(vec![
                Value::from("SET"),
                Value::from(key.as_str()),
                Value::from(value.as_str()),
            ])
            .expect("send");
        }
        let mut failed = false;
        for key in &keys {
            // Conn has a read timeout: a hang fails the test.
            match c.reply().expect("every write is answered") {
                Value::Integer(1) => acked.push((key.clone(), value.clone())),
                other => {
                    refused = error_text(&other);
                    assert!(refused.is_some(), "{other:?}");
                    failed = true;
                }
            }
        }
        if failed {
            break 'batches;
        }
    }
    let refused = refused.expect("the disk never filled up");
    assert!(
        refused.starts_with("MISCONF Errors writing to the AOF file: "),
        "{refused}"
    );
    assert!(!acked.is_empty());
    // Later writes are refused at once, reads work.
    let again = error_text(&c.cmd(&["SET", "later", "1"])).expect("refused");
    assert!(again.contains("No space left on device"), "{again}");
    assert_eq!(c.cmd(&["GET", "k0-0"]), Value::from(value.as_str()));
    assert_eq!(info_field(&mut c, "aof_last_write_status"), "err");
    // Space returns: writes resume by themselves.
    std::fs::remove_file(&filler).expect("rm filler");
    assert!(
        eventually(Duration::from_secs(20), || c.cmd(&["SET", "after", "1"])
            == Value::Integer(1)),
        "writes did not resume"
    );
    acked.push(("after".into(), "1".into()));
    assert_eq!(info_field(&mut c, "aof_last_write_status"), "ok");
    assert!(server.term().success());
    let server = Proc::start(&dir, &args);
    let mut c = server.connect();
    for (k, v) in &acked {
        assert_eq!(c.cmd(&["GET", k]), Value::from(v.as_str()), "{k} lost");
    }
}

/// The directory removed under a running server: writes are refused
/// within about a second, shutdown refuses to exit, and once the
/// directory is back the log is written anew from memory, so a restart
/// has everything acknowledged.
#[test]
fn the_directory_removed_while_running() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("data");
    std::fs::create_dir(&dir).expect("mkdir");
    let server = Proc::start(&dir, &["--appendonly"]);
    let mut c = server.connect();
    assert_eq!(c.cmd(&["SET", "before", "1"]), Value::Integer(1));
    std::fs::remove_dir_all(&dir).expect("rm -r");
    let mut acked = vec!["before".to_string()];
    let mut i = 0;
    let refused = eventually(Duration::from_secs(10), || {
        i += 1;
        let key = format!("during{i}");
        match c.cmd(&["SET", &key, "1"]) {
            Value::Integer(1) => {
                acked.push(key);
                false
            }
            other => error_text(&other).is_some_and(|e| e.starts_with("MISCONF")),
        }
    });
    assert!(refused, "writes were never refused");
    // Shutdown cannot make the data durable: it refuses.
    assert_eq!(
        error_text(&c.cmd(&["SHUTDOWN"])).as_deref(),
        Some("ERR Errors trying to SHUTDOWN. Check logs.")
    );
    std::fs::create_dir(&dir).expect("mkdir again");
    assert!(
        eventually(Duration::from_secs(20), || c.cmd(&["SET", "after", "1"])
            == Value::Integer(1)),
        "writes did not resume: {}",
        server.log()
    );
    acked.push("after".into());
    assert!(server.term().success());
    let server = Proc::start(&dir, &["--appendonly"]);
    let mut c = server.connect();
    for k in &acked {
        assert_eq!(c.cmd(&["GET", k]), Value::from("1"), "{k} lost");
    }
}

/// Writes `n` keys `k0..` with the AOF on, pipelined, and stops cleanly.
fn write_log(dir: &Path, n: usize) {
    let server = Proc::start(dir, &["--appendonly"]);
    let mut c = server.connect();
    // In batches, so that neither side's socket buffer fills up.
    for start in (0..n).step_by(500) {
        let end = (start + 500).min(n);
        for i in start..end {
            c.send(vec![
                Value::from("SET"),
                Value::from(format!("k{i}").as_str()),
                Value::from("v"),
            ])
            .expect("send");
        }
        for _ in start..end {
            assert_eq!(c.reply().expect("reply"), Value::Integer(1));
        }
    }
    assert!(server.term().success());
}

/// Byte offsets of the records of an incremental file (after its magic).
fn record_offsets(data: &[u8]) -> Vec<usize> {
    let mut at = 8;
    let mut out = Vec::new();
    while at + 16 <= data.len() {
        out.push(at);
        let mut len = [0u8; 8];
        len.copy_from_slice(&data[at..at + 8]);
        at += 16 + u64::from_le_bytes(len) as usize;
    }
    out
}

fn check(dir: &Path, extra: &[&str]) -> (bool, String) {
    let out = Command::new(durability_common::CHECK_BIN)
        .arg("--dir")
        .arg(dir)
        .args(extra)
        .output()
        .expect("kvstore-check");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

/// `kvstore-check --fix` with a flipped byte in the first, a middle and
/// the last record: it never drops intact records without
/// `--drop-intact-records`, always keeps a backup, and counts exactly.
#[test]
fn check_fix_keeps_intact_records_unless_told_and_backs_up() {
    // Records: SELECT 0, then SET k0..k3.
    for (damaged, intact_after) in [(0usize, 4u64), (2, 2), (4, 0)] {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = tmp.path();
        write_log(dir, 4);
        let incr = durability_common::last_incr(dir);
        let original = std::fs::read(&incr).expect("read");
        let offsets = record_offsets(&original);
        assert_eq!(offsets.len(), 5, "SELECT and four SETs");
        let mut bad = original.clone();
        bad[offsets[damaged] + 16 + 2] ^= 0x20;
        std::fs::write(&incr, &bad).expect("write");
        let mut backup = incr.clone().into_os_string();
        backup.push(".bak");
        let backup = PathBuf::from(backup);

        let (ok, out) = check(dir, &[]);
        assert!(!ok, "{out}");
        assert!(
            out.contains(&format!("{intact_after} intact records after the damage")),
            "record {damaged}: {out}"
        );
        let (ok, out) = check(dir, &["--fix"]);
        if intact_after > 0 {
            assert!(!ok, "record {damaged}: cut without confirmation: {out}");
            assert!(out.contains("not fixed"), "{out}");
            assert_eq!(std::fs::read(&incr).expect("read"), bad, "file touched");
            assert!(!backup.exists(), "nothing to back up yet");
            let (ok, out) = check(dir, &["--fix", "--drop-intact-records"]);
            assert!(ok, "{out}");
            assert!(
                out.contains(&format!("({intact_after} intact records dropped)")),
                "{out}"
            );
        } else {
            assert!(ok, "record {damaged}: nothing intact to lose: {out}");
        }
        assert_eq!(std::fs::read(&backup).expect("backup"), bad, "backup");
        assert_eq!(
            std::fs::read(&incr).expect("read").len(),
            offsets[damaged],
            "cut at the damaged record"
        );
        // The log loads, with the keys before the damage.
        let server = Proc::start(dir, &["--appendonly"]);
        let mut c = server.connect();
        let survivors = damaged.saturating_sub(1);
        for i in 0..4 {
            let want = if i < survivors {
                Value::from("v")
            } else {
                Value::Null
            };
            assert_eq!(
                c.cmd(&["GET", &format!("k{i}")]),
                want,
                "record {damaged}, k{i}"
            );
        }
    }
}

#[test]
fn a_missing_manifest_refuses_to_start_unless_asked() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    write_log(dir, 3);
    let manifest = dir.join("appendonly.aof.manifest");
    std::fs::remove_file(&manifest).expect("rm manifest");
    let (status, log) = start_fails(dir, &["--appendonly"]);
    assert!(!status.success());
    assert!(
        log.contains(&format!("manifest {} is missing", manifest.display())),
        "{log}"
    );
    assert!(
        durability_common::last_incr_exists(dir),
        "the files were removed"
    );
    let server = Proc::start(dir, &["--appendonly", "--aof-start-empty", "yes"]);
    let mut c = server.connect();
    assert_eq!(c.cmd(&["DBSIZE"]), Value::Integer(0));
    assert!(dir.join("appendonly.aof.1.incr.aof.orphaned").exists());
}

/// Spawns the server and returns it with its port as soon as it listens,
/// before loading is over.
fn start_loading(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> (std::process::Child, u16) {
    use std::io::BufRead;
    let mut c = Command::new(durability_common::BIN);
    c.args(["--port", "0", "--threads", "2", "--dir"])
        .arg(dir)
        .args(args)
        .env("RUST_LOG", "info")
        .env("NO_COLOR", "1")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped());
    for (k, v) in env {
        c.env(k, v);
    }
    let mut child = c.spawn().expect("spawn");
    let stderr = child.stderr.take().expect("stderr");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut tx = Some(tx);
        for line in std::io::BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            let mark = "loading the data on ";
            if let Some(i) = line.find(mark) {
                let addr = line[i + mark.len()..].split(": ").next().unwrap_or("");
                if let (Some(tx), Some(port)) = (
                    tx.take(),
                    addr.rsplit(':').next().and_then(|p| p.parse::<u16>().ok()),
                ) {
                    let _ = tx.send(port);
                }
            }
        }
    });
    let port = rx
        .recv_timeout(Duration::from_secs(30))
        .expect("the server did not start");
    (child, port)
}

/// While a slow load runs: the port accepts, every command but those
/// allowed while loading gets -LOADING, and INFO shows the progress.
#[test]
fn loading_answers_loading_and_shows_progress() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    write_log(dir, 3000);
    let (mut child, port) = start_loading(
        dir,
        &["--appendonly"],
        &[("KVSTORE_DEBUG_LOAD_DELAY_US", "2000")],
    );
    struct Kill<'a>(&'a mut std::process::Child);
    impl Drop for Kill<'_> {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let _kill = Kill(&mut child);
    let mut c = Conn::connect(port);
    let loading = "LOADING kvstore is loading the dataset in memory";
    assert_eq!(error_text(&c.cmd(&["GET", "k1"])).as_deref(), Some(loading));
    assert_eq!(
        error_text(&c.cmd(&["SET", "x", "1"])).as_deref(),
        Some(loading)
    );
    assert_eq!(error_text(&c.cmd(&["DBSIZE"])).as_deref(), Some(loading));
    assert_eq!(info_field(&mut c, "loading"), "1");
    // The loader thread states the total once it has opened the files.
    assert!(
        eventually(Duration::from_secs(10), || info_field(
            &mut c,
            "loading_total_bytes"
        )
        .parse::<u64>()
        .is_ok_and(|total| total > 0)),
        "no loading_total_bytes"
    );
    let perc = info_field(&mut c, "loading_loaded_perc");
    assert!(perc.parse::<f64>().is_ok(), "{perc}");
    assert!(
        eventually(Duration::from_secs(60), || c.cmd(&["GET", "k2999"])
            == Value::from("v")),
        "loading never ended"
    );
    assert_eq!(info_field(&mut c, "loading"), "0");
    assert_eq!(c.cmd(&["DBSIZE"]), Value::Integer(3000));
}
