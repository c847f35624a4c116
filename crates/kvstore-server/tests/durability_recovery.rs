//! Recovery: torn and damaged files, snapshots plus log, crashes at every
//! step of a rewrite, the save schedule, and kvstore-check.

mod durability_common;

use std::fs;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use bytes::Bytes;
use durability_common::{eventually, last_incr, start_fails, Proc, CHECK_BIN};
use kvstore_protocol::Value;

fn set(conn: &mut durability_common::Conn, key: &str, value: Value) {
    let reply = conn.call(vec![Value::from("SET"), Value::from(key), value]);
    assert_eq!(reply, Value::Integer(1));
}

/// Writes k0..k{n} and stops the server cleanly.
fn write_keys(dir: &Path, n: usize) {
    let server = Proc::start(dir, &["--appendonly"]);
    let mut conn = server.connect();
    for i in 0..n {
        set(&mut conn, &format!("k{i}"), Value::Integer(i as i64));
    }
    assert!(server.term().success());
}

#[test]
fn torn_tail_is_cut_with_a_warning_or_refused_on_request() {
    let dir = tempfile::tempdir().unwrap();
    write_keys(dir.path(), 10);
    let incr = last_incr(dir.path());
    let len = fs::metadata(&incr).unwrap().len();
    // A crash in the middle of the last write.
    fs::OpenOptions::new()
        .write(true)
        .open(&incr)
        .unwrap()
        .set_len(len - 5)
        .unwrap();

    let (status, log) = start_fails(
        dir.path(),
        &["--appendonly", "--aof-load-truncated", "false"],
    );
    assert!(!status.success());
    assert!(log.contains("torn last record at byte offset"), "{log}");
    assert!(
        log.contains(&incr.file_name().unwrap().to_string_lossy().to_string()),
        "{log}"
    );

    let server = Proc::start(dir.path(), &["--appendonly"]);
    assert!(
        server.log().contains("torn last record"),
        "{}",
        server.log()
    );
    let mut conn = server.connect();
    assert_eq!(conn.cmd(&["GET", "k8"]), Value::Integer(8));
    assert_eq!(conn.cmd(&["GET", "k9"]), Value::Null);
    // The log continues cleanly after the cut.
    set(&mut conn, "after", Value::Integer(1));
    server.kill9();
    let server = Proc::start(dir.path(), &["--appendonly"]);
    assert!(!server.log().contains("torn"), "{}", server.log());
    assert_eq!(server.connect().cmd(&["GET", "after"]), Value::Integer(1));
}

#[test]
fn a_flipped_byte_mid_file_refuses_to_start_naming_file_and_offset() {
    let dir = tempfile::tempdir().unwrap();
    write_keys(dir.path(), 20);
    let incr = last_incr(dir.path());
    let mut data = fs::read(&incr).unwrap();
    let mid = data.len() / 2;
    data[mid] ^= 0x01;
    fs::write(&incr, &data).unwrap();

    let (status, log) = start_fails(dir.path(), &["--appendonly"]);
    assert!(!status.success());
    let name = incr.file_name().unwrap().to_string_lossy().to_string();
    assert!(log.contains(&name), "{log}");
    let offset: usize = log
        .split("corrupt at byte offset ")
        .nth(1)
        .and_then(|r| r.split(':').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no offset in: {log}"));
    // The offset is the start of the damaged record: at most the flipped
    // byte, and within one record of it.
    assert!(
        offset <= mid && mid - offset < 64,
        "offset {offset}, flipped {mid}"
    );

    // kvstore-check reports the same, and --fix makes it loadable.
    let out = Command::new(CHECK_BIN)
        .arg("--dir")
        .arg(dir.path())
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&out.stdout).to_string();
    assert_eq!(out.status.code(), Some(1), "{report}");
    assert!(
        report.contains(&format!("corrupt at byte offset {offset}")),
        "{report}"
    );
    // Intact records follow the damage: the cut that drops them must be
    // confirmed.
    let out = Command::new(CHECK_BIN)
        .arg("--dir")
        .arg(dir.path())
        .args(["--fix", "--drop-intact-records"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let out = Command::new(CHECK_BIN)
        .arg("--dir")
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let server = Proc::start(dir.path(), &["--appendonly"]);
    assert_eq!(server.connect().cmd(&["GET", "k0"]), Value::Integer(0));
}

fn typed_values() -> Vec<(&'static str, Value)> {
    vec![
        ("int", Value::Integer(-42)),
        ("double", Value::Double(0.1)),
        ("neg-zero", Value::Double(-0.0)),
        ("big-double", Value::Double(1e300)),
        ("true", Value::Boolean(true)),
        ("null", Value::Null),
        ("binary", Value::Bulk(Bytes::from_static(b"a\r\n\0\xffb"))),
        (
            "array",
            Value::Array(vec![Value::Integer(1), Value::from("x"), Value::Null]),
        ),
        (
            "map",
            Value::Map(vec![(
                Value::from("k"),
                Value::Set(vec![Value::Boolean(false), Value::Double(2.5)]),
            )]),
        ),
    ]
}

#[test]
fn snapshot_plus_log_restore_exact_typed_values() {
    let dir = tempfile::tempdir().unwrap();
    let server = Proc::start(dir.path(), &["--appendonly"]);
    let mut conn = server.connect();
    for (k, v) in typed_values() {
        set(&mut conn, k, v);
    }
    set(&mut conn, "gone", Value::Integer(1));
    // Compact: the values above move into the base snapshot.
    assert_eq!(
        conn.cmd(&["BGREWRITEAOF"]),
        Value::simple("Background append only file rewriting started")
    );
    assert!(eventually(Duration::from_secs(10), || {
        conn.durability("aof_rewrites") == 1
    }));
    // Then more writes go to the new incremental file.
    set(&mut conn, "int", Value::Integer(7));
    set(&mut conn, "later", Value::Double(f64::INFINITY));
    assert_eq!(conn.cmd(&["DEL", "gone"]), Value::Integer(1));
    assert_eq!(conn.cmd(&["INCR", "int"]), Value::Integer(8));
    server.kill9();

    let server = Proc::start(dir.path(), &["--appendonly"]);
    let mut conn = server.connect();
    for (k, v) in typed_values() {
        let want = if k == "int" { Value::Integer(8) } else { v };
        assert_eq!(conn.cmd(&["GET", k]), want, "{k}");
    }
    assert_eq!(conn.cmd(&["GET", "later"]), Value::Double(f64::INFINITY));
    assert_eq!(conn.cmd(&["GET", "gone"]), Value::Null);
    // Negative zero keeps its sign.
    match conn.cmd(&["GET", "neg-zero"]) {
        Value::Double(d) => assert!(d == 0.0 && d.is_sign_negative()),
        other => panic!("{other:?}"),
    }
}

/// Crashes the server at each step of a rewrite; each time the directory
/// must load with every acknowledged write.
#[test]
fn a_crash_at_any_step_of_a_rewrite_leaves_a_loadable_state() {
    for point in [
        "rewrite-after-new-incr",
        "rewrite-half-written",
        "rewrite-before-rename",
        "rewrite-after-base",
        "rewrite-after-manifest",
    ] {
        let dir = tempfile::tempdir().unwrap();
        let server = Proc::start_env(
            dir.path(),
            &["--appendonly"],
            &[("KVSTORE_FAILPOINT", point)],
        );
        let mut conn = server.connect();
        for i in 0..50 {
            set(&mut conn, &format!("k{i}"), Value::Integer(i));
        }
        assert_eq!(conn.cmd(&["DEL", "k0"]), Value::Integer(1));
        // The rewrite's own thread may crash before this reply is sent.
        let _ = conn.try_call(vec![Value::from("BGREWRITEAOF")]);
        // Writes racing the crash: some may be acknowledged.
        let mut acked = Vec::new();
        for i in 100..200 {
            match conn.try_call(vec![
                Value::from("SET"),
                Value::from(format!("k{i}")),
                Value::Integer(i),
            ]) {
                Ok(_) => acked.push(i),
                Err(_) => break,
            }
        }
        let status = server.wait_exit(Duration::from_secs(10));
        assert!(!status.success(), "{point}: the failpoint did not fire");

        let server = Proc::start(dir.path(), &["--appendonly"]);
        let mut conn = server.connect();
        assert_eq!(conn.cmd(&["GET", "k0"]), Value::Null, "{point}");
        for i in (1..50).chain(acked.iter().copied()) {
            assert_eq!(
                conn.cmd(&["GET", &format!("k{i}")]),
                Value::Integer(i),
                "{point}: k{i}"
            );
        }
        // And the next rewrite completes.
        conn.cmd(&["BGREWRITEAOF"]);
        assert!(
            eventually(Duration::from_secs(10), || conn.durability("aof_rewrites")
                == 1),
            "{point}"
        );
        server.kill9();
        let server = Proc::start(dir.path(), &["--appendonly"]);
        assert_eq!(
            server.connect().cmd(&["GET", "k49"]),
            Value::Integer(49),
            "{point}"
        );
        let leftovers: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
            .collect();
        assert_eq!(leftovers.len(), 3, "{point}: {leftovers:?}");
    }
}

#[test]
fn save_bgsave_lastsave_and_snapshot_only_restart() {
    let dir = tempfile::tempdir().unwrap();
    let server = Proc::start(dir.path(), &[]);
    let mut conn = server.connect();
    let Value::Integer(before) = conn.cmd(&["LASTSAVE"]) else {
        panic!("LASTSAVE")
    };
    for (k, v) in typed_values() {
        set(&mut conn, k, v);
    }
    std::thread::sleep(Duration::from_millis(1100));
    assert_eq!(conn.cmd(&["SAVE"]), Value::ok());
    let Value::Integer(after) = conn.cmd(&["LASTSAVE"]) else {
        panic!("LASTSAVE")
    };
    assert!(after > before, "{before} -> {after}");
    set(&mut conn, "after-save", Value::Integer(1));
    assert_eq!(
        conn.cmd(&["BGSAVE"]),
        Value::simple("Background saving started")
    );
    assert!(eventually(Duration::from_secs(10), || {
        conn.durability("rdb_saves") == 2 && conn.durability("rdb_bgsave_in_progress") == 0
    }));
    set(&mut conn, "not-saved", Value::Integer(1));
    server.kill9();
    assert_eq!(temporaries(dir.path()), Vec::<String>::new());

    let server = Proc::start(dir.path(), &[]);
    let mut conn = server.connect();
    for (k, v) in typed_values() {
        assert_eq!(conn.cmd(&["GET", k]), v, "{k}");
    }
    assert_eq!(conn.cmd(&["GET", "after-save"]), Value::Integer(1));
    // Without the AOF, writes after the last snapshot are lost: documented.
    assert_eq!(conn.cmd(&["GET", "not-saved"]), Value::Null);
}

#[test]
fn save_schedule_and_snapshot_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let server = Proc::start(dir.path(), &["--save", "1 1"]);
    let mut conn = server.connect();
    set(&mut conn, "a", Value::Integer(1));
    assert!(eventually(Duration::from_secs(5), || {
        conn.durability("rdb_saves") >= 1
    }));
    assert_eq!(conn.durability("rdb_changes_since_last_save"), 0);
    set(&mut conn, "b", Value::Integer(2));
    // SIGTERM snapshots before exiting, whatever the schedule says.
    assert!(server.term().success());
    let server = Proc::start(dir.path(), &[]);
    let mut conn = server.connect();
    assert_eq!(conn.cmd(&["GET", "a"]), Value::Integer(1));
    assert_eq!(conn.cmd(&["GET", "b"]), Value::Integer(2));
}

#[test]
fn turning_the_log_on_starts_from_the_snapshot_and_damage_to_it_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let server = Proc::start(dir.path(), &[]);
    let mut conn = server.connect();
    set(&mut conn, "from-dump", Value::Integer(1));
    assert_eq!(conn.cmd(&["SAVE"]), Value::ok());
    server.kill9();
    let server = Proc::start(dir.path(), &["--appendonly"]);
    assert_eq!(
        server.connect().cmd(&["GET", "from-dump"]),
        Value::Integer(1)
    );
    server.kill9();

    let dump = dir.path().join("dump.kvs");
    let mut data = fs::read(&dump).unwrap();
    let at = data.len() / 2;
    data[at] ^= 0x40;
    fs::write(&dump, &data).unwrap();
    let (status, log) = start_fails(dir.path(), &[]);
    assert!(!status.success());
    assert!(
        log.contains("dump.kvs") && log.contains("byte offset"),
        "{log}"
    );
}

/// Fills the server with `n` keys of 100-byte values, so that writing a
/// snapshot takes a while (hundreds of milliseconds in a debug build).
fn fill(conn: &mut durability_common::Conn, n: usize) {
    let value = "v".repeat(100);
    for chunk in (0..n).collect::<Vec<_>>().chunks(10_000) {
        let mut args = vec![Value::from("MSET")];
        for i in chunk {
            args.push(Value::from(format!("key:{i}").as_str()));
            args.push(Value::from(value.as_str()));
        }
        assert!(!conn.call(args).is_error());
    }
}

fn temporaries(dir: &Path) -> Vec<String> {
    fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".tmp"))
        .collect()
}

/// With one worker (the current-thread runtime), SAVE must not stall the
/// server while it writes, and no two snapshots may run at once: they
/// used to share (and truncate) one temporary file.
#[test]
fn save_leaves_the_worker_free_and_excludes_other_snapshots() {
    const KEYS: usize = 200_000;
    let dir = tempfile::tempdir().unwrap();
    let server = Proc::start(dir.path(), &["--threads", "1"]);
    let mut conn = server.connect();
    fill(&mut conn, KEYS);
    let mut saver = server.connect();
    saver.send(vec![Value::from("SAVE")]).unwrap();
    // Served while SAVE writes. A SAVE that blocked the only worker would
    // answer this only after it finished, when nothing is in progress.
    assert!(
        eventually(Duration::from_secs(10), || {
            conn.durability("rdb_bgsave_in_progress") == 1
        }),
        "the server did not answer while SAVE was writing"
    );
    let reply = conn.cmd(&["BGSAVE"]);
    assert_eq!(
        reply,
        Value::error("ERR Background save already in progress")
    );
    assert_eq!(saver.reply().unwrap(), Value::ok());
    assert_eq!(conn.durability("rdb_bgsave_in_progress"), 0);
    assert_eq!(conn.durability("rdb_saves"), 1);

    // The other way round: SAVE while BGSAVE writes.
    conn.cmd(&["SET", "during", "1"]);
    assert_eq!(
        conn.cmd(&["BGSAVE"]),
        Value::simple("Background saving started")
    );
    assert_eq!(
        saver.cmd(&["SAVE"]),
        Value::error("ERR Background save already in progress")
    );
    assert!(eventually(Duration::from_secs(20), || {
        conn.durability("rdb_saves") == 2 && conn.durability("rdb_bgsave_in_progress") == 0
    }));
    assert_eq!(temporaries(dir.path()), Vec::<String>::new());
    server.kill9();

    let server = Proc::start(dir.path(), &[]);
    let mut conn = server.connect();
    assert_eq!(conn.cmd(&["DBSIZE"]), Value::Integer(KEYS as i64 + 1));
}

/// A crash in the middle of a snapshot leaves a temporary file; the next
/// start deletes it (each write uses a new name, so nothing else would).
#[test]
fn a_crashed_snapshot_leaves_the_old_one_and_no_temporary_after_restart() {
    let dir = tempfile::tempdir().unwrap();
    let server = Proc::start(dir.path(), &[]);
    let mut conn = server.connect();
    set(&mut conn, "old", Value::Integer(1));
    assert_eq!(conn.cmd(&["SAVE"]), Value::ok());
    server.kill9();
    let server = Proc::start_env(
        dir.path(),
        &[],
        &[("KVSTORE_FAILPOINT", "save-before-rename")],
    );
    let mut conn = server.connect();
    set(&mut conn, "new", Value::Integer(1));
    assert!(conn.try_call(vec![Value::from("SAVE")]).is_err());
    assert!(!server.wait_exit(Duration::from_secs(10)).success());
    assert_eq!(temporaries(dir.path()).len(), 1);

    let server = Proc::start(dir.path(), &[]);
    assert_eq!(temporaries(dir.path()), Vec::<String>::new());
    let mut conn = server.connect();
    assert_eq!(conn.cmd(&["GET", "old"]), Value::Integer(1));
    assert_eq!(conn.cmd(&["GET", "new"]), Value::Null);
}

/// `INFO persistence` carries Redis's usual fields with real values.
#[test]
fn info_persistence_reports_redis_fields() {
    let dir = tempfile::tempdir().unwrap();
    let server = Proc::start(dir.path(), &["--appendonly"]);
    let mut conn = server.connect();
    set(&mut conn, "a", Value::Integer(1));
    set(&mut conn, "b", Value::Integer(2));
    let info = conn.info("persistence");
    let get = |name: &str| {
        info.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| panic!("no {name} in {info:?}"))
    };
    let Value::Integer(lastsave) = conn.cmd(&["LASTSAVE"]) else {
        panic!("LASTSAVE")
    };
    assert_eq!(get("loading"), "0");
    assert_eq!(get("rdb_changes_since_last_save"), "2");
    assert_eq!(get("rdb_bgsave_in_progress"), "0");
    assert_eq!(get("rdb_last_save_time"), lastsave.to_string());
    assert_eq!(get("rdb_last_bgsave_status"), "ok");
    assert_eq!(get("aof_enabled"), "1");
    assert_eq!(get("aof_rewrite_in_progress"), "0");
    assert_eq!(get("aof_last_bgrewrite_status"), "ok");
    let current: i64 = get("aof_current_size").parse().unwrap();
    assert_eq!(current, conn.durability("aof_current_size"));
    let base: i64 = get("aof_base_size").parse().unwrap();
    assert!(current > base && base > 0, "{current} {base}");
    server.kill9();

    let server = Proc::start(dir.path(), &[]);
    let info = server.connect().info("persistence");
    let names: Vec<&str> = info.iter().map(|(k, _)| k.as_str()).collect();
    assert!(
        info.contains(&("aof_enabled".into(), "0".into())),
        "{info:?}"
    );
    assert!(names.contains(&"aof_last_bgrewrite_status"), "{names:?}");
    assert!(!names.contains(&"aof_current_size"), "{names:?}");
}

/// What the writers of [`writes_during_a_save`] did, for the checks.
struct Writers {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    /// Per writer: how many sequence keys it has had acknowledged.
    acked: Vec<std::sync::Arc<std::sync::atomic::AtomicU64>>,
    handles: Vec<std::thread::JoinHandle<()>>,
}

const WRITERS: usize = 3;
/// Sequence keys older than this are deleted by their writer.
const WINDOW: u64 = 40;
const PAIRS: u64 = 64;

/// Each writer `w`, step `i`: `SET s{w}:{i}`, `DEL s{w}:{i - WINDOW}`,
/// `MSET a{w}:{j} i b{w}:{j} i` for pair `j = i % PAIRS`. So at any
/// instant its sequence keys are a run of consecutive numbers no longer
/// than the window, and each pair's two keys are equal.
fn start_writers(port: u16) -> Writers {
    use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
    use std::sync::Arc;
    let stop = Arc::new(AtomicBool::new(false));
    let mut acked = Vec::new();
    let mut handles = Vec::new();
    for w in 0..WRITERS {
        let (stop, done) = (Arc::clone(&stop), Arc::new(AtomicU64::new(0)));
        acked.push(Arc::clone(&done));
        handles.push(std::thread::spawn(move || {
            let mut conn = durability_common::Conn::connect(port);
            let mut i = 0u64;
            while !stop.load(Ordering::Relaxed) {
                let n = i.to_string();
                assert!(!conn.cmd(&["SET", &format!("s{w}:{i}"), &n]).is_error());
                if i >= WINDOW {
                    assert!(!conn
                        .cmd(&["DEL", &format!("s{w}:{}", i - WINDOW)])
                        .is_error());
                }
                let j = i % PAIRS;
                let (a, b) = (format!("a{w}:{j}"), format!("b{w}:{j}"));
                assert!(!conn.cmd(&["MSET", &a, &n, &b, &n]).is_error());
                i += 1;
                done.store(i, Ordering::Release);
            }
        }));
    }
    Writers {
        stop,
        acked,
        handles,
    }
}

impl Writers {
    fn acked(&self) -> Vec<u64> {
        self.acked
            .iter()
            .map(|a| a.load(std::sync::atomic::Ordering::Acquire))
            .collect()
    }

    fn stop(self) -> Vec<u64> {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        for h in self.handles {
            h.join().expect("writer");
        }
        self.acked
            .iter()
            .map(|a| a.load(std::sync::atomic::Ordering::Acquire))
            .collect()
    }
}

/// The writers' keys as a restarted server holds them: checks the
/// invariants of one instant, and returns each writer's last sequence
/// number there.
fn check_one_instant(conn: &mut durability_common::Conn) -> Vec<u64> {
    let mut last = Vec::new();
    for w in 0..WRITERS {
        let Value::Array(keys) = conn.cmd(&["KEYS", &format!("s{w}:*")]) else {
            panic!("KEYS")
        };
        let mut seq: Vec<u64> = keys
            .iter()
            .map(|k| {
                let k = std::str::from_utf8(k.as_bytes().unwrap()).unwrap();
                k.split_once(':').unwrap().1.parse().unwrap()
            })
            .collect();
        seq.sort_unstable();
        assert!(!seq.is_empty(), "writer {w} has no keys");
        let (lo, hi) = (seq[0], seq[seq.len() - 1]);
        assert_eq!(
            seq,
            (lo..=hi).collect::<Vec<_>>(),
            "writer {w}: a gap in its sequence"
        );
        // Set before deleted: the run is the window, or all of it so far,
        // or one more if the instant fell between a step's SET and DEL.
        let run = hi - lo + 1;
        let full = (hi + 1).min(WINDOW);
        assert!(
            run == full || run == full + 1,
            "writer {w}: run {lo}..={hi}"
        );
        for j in 0..PAIRS {
            let a = conn.cmd(&["GET", &format!("a{w}:{j}")]);
            let b = conn.cmd(&["GET", &format!("b{w}:{j}")]);
            assert_eq!(a, b, "writer {w}: pair {j} half written");
            // The pair's last MSET is step hi's, or the one a period
            // before if the instant fell between step hi's SET and MSET.
            let step = |s: u64| Value::Bulk(Bytes::from(s.to_string()));
            let ok = if j > hi {
                a == Value::Null
            } else if j == hi % PAIRS {
                a == step(hi)
                    || (hi >= PAIRS && a == step(hi - PAIRS))
                    || (hi < PAIRS && a == Value::Null)
            } else {
                a == step(hi - (hi - j) % PAIRS)
            };
            assert!(ok, "writer {w}: pair {j} holds {a:?} at step {hi}");
        }
        last.push(hi);
    }
    last
}

/// Slows every snapshot and rewrite down, shard by shard, so that the
/// writers get thousands of writes in while one is in progress.
const SLOW_SAVE: (&str, &str) = ("KVSTORE_DEBUG_SAVE_DELAY_US", "400");

#[test]
fn a_snapshot_taken_during_writes_is_one_instant() {
    let dir = tempfile::tempdir().unwrap();
    let server = Proc::start_env(dir.path(), &["--save", ""], &[SLOW_SAVE]);
    let mut conn = server.connect();
    fill(&mut conn, 20_000);
    let writers = start_writers(server.port);
    assert!(eventually(Duration::from_secs(10), || writers
        .acked()
        .iter()
        .all(|&n| n > WINDOW)));
    let before = writers.acked();
    assert_eq!(
        conn.cmd(&["BGSAVE"]),
        Value::simple("Background saving started")
    );
    assert!(eventually(Duration::from_secs(60), || {
        conn.durability("rdb_saves") == 1 && conn.durability("rdb_bgsave_in_progress") == 0
    }));
    let ended = writers.acked();
    let after = writers.stop();
    assert!(
        before.iter().zip(&after).all(|(b, a)| a > &(b + 100)),
        "the writers should have gone on during the save: {before:?} -> {after:?}"
    );
    server.kill9();

    let server = Proc::start(dir.path(), &["--save", ""]);
    let mut conn = server.connect();
    let last = check_one_instant(&mut conn);
    for w in 0..WRITERS {
        // Acknowledged before BGSAVE was sent: in; after it ended: out.
        assert!(
            last[w] + 1 >= before[w] && last[w] < ended[w],
            "writer {w}: snapshot at {} of {}..{}",
            last[w],
            before[w],
            ended[w]
        );
    }
    let Value::Integer(n) = conn.cmd(&["DBSIZE"]) else {
        panic!("DBSIZE")
    };
    let Value::Integer(pairs) = conn.cmd(&[
        "EVAL",
        "return #redis.call('KEYS', 'a*') + #redis.call('KEYS', 'b*')",
        "0",
    ]) else {
        panic!("EVAL")
    };
    let Value::Integer(seq) = conn.cmd(&["EVAL", "return #redis.call('KEYS', 's*')", "0"]) else {
        panic!("EVAL")
    };
    assert_eq!(
        n,
        20_000 + pairs + seq,
        "nothing but the writers' keys and the filler"
    );
}

#[test]
fn a_rewrite_taken_during_writes_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let server = Proc::start_env(dir.path(), &["--appendonly"], &[SLOW_SAVE]);
    let mut conn = server.connect();
    fill(&mut conn, 20_000);
    let writers = start_writers(server.port);
    assert!(eventually(Duration::from_secs(10), || writers
        .acked()
        .iter()
        .all(|&n| n > WINDOW)));
    let rewrites = conn.durability("aof_rewrites");
    let before = writers.acked();
    assert!(!conn.cmd(&["BGREWRITEAOF"]).is_error());
    assert!(eventually(Duration::from_secs(60), || {
        conn.durability("aof_rewrites") == rewrites + 1
            && conn.durability("aof_rewrite_in_progress") == 0
    }));
    let after = writers.stop();
    assert!(
        before.iter().zip(&after).all(|(b, a)| a > &(b + 100)),
        "the writers should have gone on during the rewrite: {before:?} -> {after:?}"
    );
    server.kill9();

    let server = Proc::start(dir.path(), &["--appendonly"]);
    let mut conn = server.connect();
    let last = check_one_instant(&mut conn);
    let acked: Vec<u64> = after.iter().map(|n| n - 1).collect();
    assert_eq!(last, acked, "every acknowledged write is there");
    for (w, &hi) in last.iter().enumerate() {
        let Value::Array(keys) = conn.cmd(&["KEYS", &format!("s{w}:*")]) else {
            panic!("KEYS")
        };
        assert_eq!(keys.len() as u64, WINDOW, "writer {w}: every DEL replayed");
        let newest = conn.cmd(&["GET", &format!("a{w}:{}", hi % PAIRS)]);
        assert_eq!(
            newest,
            Value::Bulk(Bytes::from(hi.to_string())),
            "writer {w}"
        );
    }
}
