//! The files in deploy/ that operators install: the commented config file
//! lists every setting with its default and the server loads it; the
//! systemd unit passes `systemd-analyze verify` where that tool exists.

mod peer;
mod spawn;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::process::Command;

use kvstore_protocol::Value;
use peer::Peer;

fn deploy(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../deploy")
        .join(name)
}

/// Every long flag `kvstore-server --help` lists, without its dashes.
fn long_flags() -> Vec<String> {
    let out = Command::new(env!("CARGO_BIN_EXE_kvstore-server"))
        .arg("--help")
        .output()
        .expect("run --help");
    assert!(out.status.success());
    let mut flags: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.trim_start().split_once("--"))
        .filter(|(before, _)| before.is_empty() || before.ends_with(", "))
        .filter_map(|(_, rest)| rest.split([' ', '[', '<']).next())
        .filter(|f| !matches!(*f, "help" | "version" | ""))
        .map(str::to_string)
        .collect();
    flags.dedup();
    assert!(flags.len() > 20, "{flags:?}");
    flags
}

#[test]
fn the_shipped_config_file_names_every_setting() {
    let text = std::fs::read_to_string(deploy("kvstore.conf")).expect("read");
    let named = |flag: &str| {
        text.lines().any(|l| {
            let l = l.trim_start_matches(['#', ' ']);
            l.split_whitespace().next() == Some(flag)
        })
    };
    let missing: Vec<String> = long_flags().into_iter().filter(|f| !named(f)).collect();
    assert!(
        missing.is_empty(),
        "deploy/kvstore.conf does not mention {missing:?}"
    );
}

/// `CONFIG GET *` as a map.
fn all_settings(addr: std::net::SocketAddr) -> BTreeMap<String, String> {
    let text = |v: &Value| match v {
        Value::Bulk(b) => String::from_utf8_lossy(b).into_owned(),
        other => panic!("not a bulk string: {other:?}"),
    };
    match Peer::connect(addr).cmd(&["CONFIG", "GET", "*"]) {
        Value::Map(pairs) => pairs.iter().map(|(k, v)| (text(k), text(v))).collect(),
        Value::Array(flat) => flat
            .chunks_exact(2)
            .map(|kv| (text(&kv[0]), text(&kv[1])))
            .collect(),
        other => panic!("CONFIG GET *: {other:?}"),
    }
}

#[test]
fn the_server_loads_the_shipped_config_file_and_its_values_are_the_defaults() {
    let dir = tempfile::tempdir().expect("tempdir");
    let conf = deploy("kvstore.conf");
    let conf = conf.to_str().expect("utf-8");
    let with_file = spawn::start(dir.path(), &[conf, "--port", "0"]);
    let mut from_file = all_settings(with_file.addr);
    assert!(with_file.stop().success());
    let bare = spawn::start(dir.path(), &["--port", "0"]);
    let mut defaults = all_settings(bare.addr);
    assert!(bare.stop().success());

    assert_eq!(
        from_file.remove("config_file").as_deref(),
        std::path::absolute(conf)
            .ok()
            .and_then(|p| p.to_str().map(String::from))
            .as_deref()
    );
    assert_eq!(defaults.remove("config_file").as_deref(), Some(""));
    // Each picked its own free port.
    from_file.remove("port");
    defaults.remove("port");
    assert_eq!(from_file, defaults);
    assert!(from_file.len() > 20, "{from_file:?}");
}

#[test]
fn the_systemd_unit_verifies() {
    let Some(analyze) = ["/usr/bin/systemd-analyze", "/bin/systemd-analyze"]
        .into_iter()
        .map(PathBuf::from)
        .find(|p| p.is_file())
    else {
        // Not a CI requirement: CI images rarely have systemd.
        let _ = writeln!(std::io::stderr(), "SKIPPED: systemd-analyze not found");
        return;
    };
    // `verify` checks that ExecStart's program exists: point the unit at
    // the binary just built rather than the installed path.
    let unit = std::fs::read_to_string(deploy("kvstore.service")).expect("read");
    let installed = "/usr/local/bin/kvstore-server";
    assert!(unit.contains(&format!("ExecStart={installed} ")), "{unit}");
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("kvstore.service");
    std::fs::write(
        &path,
        unit.replace(installed, env!("CARGO_BIN_EXE_kvstore-server")),
    )
    .expect("write");
    let out = Command::new(analyze)
        .arg("verify")
        .arg(&path)
        .output()
        .expect("run systemd-analyze");
    let stderr = String::from_utf8_lossy(&out.stderr);
    // A bad setting is only a warning (exit status 0) naming the file.
    assert!(
        out.status.success() && !stderr.contains("kvstore.service"),
        "systemd-analyze verify: {:?}\n{stderr}",
        out.status
    );
    for hardening in [
        "NoNewPrivileges=true",
        "ProtectSystem=strict",
        "ProtectHome=true",
        "PrivateTmp=true",
        "ReadWritePaths=/var/lib/kvstore",
        "User=kvstore",
        "Type=simple",
    ] {
        assert!(unit.lines().any(|l| l == hardening), "no {hardening}");
    }
}
