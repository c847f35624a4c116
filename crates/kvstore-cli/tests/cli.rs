//! Runs the built `kvstore-cli` binary against a real server.

use std::io::Write;
use std::net::TcpListener;
use std::process::{Command, Output, Stdio};

use kvstore_server::BackgroundServer;

fn cli(server_port: u16, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kvstore-cli"))
        .args(["-h", "127.0.0.1", "-p", &server_port.to_string()])
        .args(args)
        .env("KVSTORE_CLI_HISTFILE", "")
        .env("TERM", "xterm")
        .output()
        .unwrap()
}

// Every child gets TERM=xterm: under TERM=dumb rustyline prints the prompt
// to stdout even when stdin is not a terminal, which would change the
// output the tests compare.

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn set_then_get_like_a_new_user() {
    let server = BackgroundServer::start();
    let port = server.addr().port();
    let out = cli(port, &["set", "a", "1"]);
    assert_eq!(
        (out.status.code(), stdout(&out).as_str()),
        (Some(0), "(integer) 1\n")
    );
    let out = cli(port, &["get", "a"]);
    assert_eq!(
        (out.status.code(), stdout(&out).as_str()),
        (Some(0), "\"1\"\n")
    );
    let out = cli(port, &["get", "missing"]);
    assert_eq!(stdout(&out), "(nil)\n");
}

#[test]
fn every_reply_shape_through_the_binary() {
    let server = BackgroundServer::start();
    let port = server.addr().port();
    let value = r#"[1, "x\n", [null, {"k": 2}], {}]"#;
    let out = cli(port, &["--typed", "set", "\"l\"", value]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = cli(port, &["get", "l"]);
    let expected = "\
1) (integer) 1
2) \"x\\n\"
3) 1) (nil)
   2) 1# \"k\" => (integer) 2
4) (empty hash)
";
    assert_eq!(stdout(&out), expected);
    let out = cli(port, &["mset", "p", "1", "q", "2"]);
    assert_eq!(stdout(&out), "(integer) 2\n");
    let out = cli(port, &["mget", "p", "zz", "q"]);
    assert_eq!(stdout(&out), "1) \"1\"\n2) (nil)\n3) \"2\"\n");
    let out = cli(port, &["delete", "p"]);
    assert_eq!(stdout(&out), "(integer) 1\n");
    let out = cli(port, &["flush"]);
    assert_eq!(stdout(&out), "(integer) 2\n");
}

#[test]
fn typed_mode_sends_integers_and_null() {
    let server = BackgroundServer::start();
    let port = server.addr().port();
    cli(port, &["--typed", "set", "\"n\"", "42"]);
    assert_eq!(stdout(&cli(port, &["get", "n"])), "(integer) 42\n");
    cli(port, &["--typed", "set", "\"z\"", "null"]);
    assert_eq!(stdout(&cli(port, &["get", "z"])), "(nil)\n");
    let out = cli(port, &["--typed", "set", "bare", "1"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("JSON"), "{}", stderr(&out));
}

#[test]
fn raw_mode_prints_bare_values() {
    let server = BackgroundServer::start();
    let port = server.addr().port();
    cli(port, &["--typed", "set", "\"l\"", r#"["a b", 2, null]"#]);
    let out = cli(port, &["--raw", "get", "l"]);
    assert_eq!(stdout(&out), "a b\n2\n\n");
    let out = cli(port, &["--raw", "nosuchcommand"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stdout(&out), "");
    assert!(
        stderr(&out).starts_with("ERR unknown command"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn error_reply_exits_with_1() {
    let server = BackgroundServer::start();
    let out = cli(server.addr().port(), &["nosuchcommand", "x"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).starts_with("(error) ERR unknown command"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn refused_connection_exits_with_1_and_says_so() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let out = cli(port, &["get", "a"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("Could not connect to 127.0.0.1:"),
        "{}",
        stderr(&out)
    );
    assert!(stderr(&out).contains("refused"), "{}", stderr(&out));
}

#[test]
fn timeout_exits_with_1() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let out = cli(port, &["-t", "0.3", "get", "a"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("timed out"), "{}", stderr(&out));
    drop(listener);
}

#[test]
fn interactive_prompt_reads_quoted_lines_until_quit() {
    let server = BackgroundServer::start();
    let mut child = Command::new(env!("CARGO_BIN_EXE_kvstore-cli"))
        .args(["-p", &server.addr().port().to_string()])
        .env("KVSTORE_CLI_HISTFILE", "")
        .env("TERM", "xterm")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let script = "set k \"hello world\"\nget k\nhelp\nset x \"unbalanced\nnosuch\nquit\nget k\n";
    child
        .stdin
        .take()
        .unwrap()
        .write_all(script.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let text = stdout(&out);
    assert!(text.contains("(integer) 1\n\"hello world\"\n"), "{text}");
    assert!(text.contains("quit"), "help text missing: {text}");
    assert!(text.contains("(error) ERR unknown command"), "{text}");
    // Nothing after `quit` ran: the reply line appears once.
    let replies = text.lines().filter(|l| *l == "\"hello world\"").count();
    assert_eq!(replies, 1, "{text}");
    assert!(
        stderr(&out).contains("Invalid argument(s)"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn interactive_prompt_exits_on_end_of_input_and_typed_lines_work() {
    let server = BackgroundServer::start();
    let mut child = Command::new(env!("CARGO_BIN_EXE_kvstore-cli"))
        .args(["--typed", "-p", &server.addr().port().to_string()])
        .env("KVSTORE_CLI_HISTFILE", "")
        .env("TERM", "xterm")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let script = "set \"d\" {\"b\": 1, \"a\": [true]}\nset d 1\nget \"d\"\n";
    child
        .stdin
        .take()
        .unwrap()
        .write_all(script.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    assert_eq!(
        stdout(&out),
        "(integer) 1\n1# \"b\" => (integer) 1\n2# \"a\" => 1) (integer) 1\n"
    );
    // A bare word is explained at the prompt as on the command line.
    assert!(
        stderr(&out).contains("in --typed mode write strings in double quotes, e.g. \"d\""),
        "{}",
        stderr(&out)
    );
}

#[test]
fn timeout_below_a_millisecond_is_a_usage_error() {
    let out = cli(1, &["-t", "0.0001", "get", "a"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("0.001"), "{}", stderr(&out));
}

#[test]
fn big_integers_are_exact_both_ways() {
    let server = BackgroundServer::start();
    let port = server.addr().port();
    let out = cli(port, &["--typed", "set", "\"n\"", "100000000000000000000"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("100000000000000000000 is beyond the 64-bit integer range"),
        "{}",
        stderr(&out)
    );
    assert!(!stderr(&out).contains("e20"), "{}", stderr(&out));
    // Nothing was sent.
    assert_eq!(stdout(&cli(port, &["get", "n"])), "(nil)\n");
    cli(port, &["set", "m", "9223372036854775806"]);
    let out = cli(port, &["incr", "m"]);
    assert_eq!(stdout(&out), "(integer) 9223372036854775807\n");
    let out = cli(port, &["--raw", "incrby", "m", "-9223372036854775807"]);
    assert_eq!(stdout(&out), "0\n");
}

#[test]
fn version_and_help_need_no_server() {
    // Port 1: nothing listens there, and neither flag may try to connect.
    let out = cli(1, &["--version"]);
    assert_eq!(
        (out.status.code(), stdout(&out)),
        (
            Some(0),
            format!("kvstore-cli {}\n", env!("CARGO_PKG_VERSION"))
        )
    );
    assert_eq!(stdout(&cli(1, &["-V"])), stdout(&out));
    let out = cli(1, &["--help"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    for flag in [
        "--host",
        "--port",
        "--raw",
        "--typed",
        "--timeout",
        "--version",
    ] {
        assert!(stdout(&out).contains(flag), "{flag}: {}", stdout(&out));
    }
}

#[test]
fn help_command_at_the_prompt_shows_the_servers_docs() {
    let server = BackgroundServer::start();
    let mut child = Command::new(env!("CARGO_BIN_EXE_kvstore-cli"))
        .args(["-p", &server.addr().port().to_string()])
        .env("KVSTORE_CLI_HISTFILE", "")
        .env("TERM", "xterm")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let script = "help set\nHELP config get\nhelp nosuch\n";
    child
        .stdin
        .take()
        .unwrap()
        .write_all(script.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("\n  SET key value [NX|XX] [GET]"), "{text}");
    assert!(text.contains("  group: string\n"), "{text}");
    assert!(text.contains("\n  CONFIG GET parameter"), "{text}");
    assert!(
        stderr(&out).contains("No help for \"nosuch\""),
        "{}",
        stderr(&out)
    );
}

/// A scratch directory of this test process, emptied first.
fn scratch_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("kvstore-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn closed_stdout_does_not_panic() {
    let server = BackgroundServer::start();
    let mut child = Command::new(env!("CARGO_BIN_EXE_kvstore-cli"))
        .args(["-p", &server.addr().port().to_string()])
        .env("KVSTORE_CLI_HISTFILE", "")
        .env("TERM", "xterm")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Nobody reads the output: the first write to stdout fails.
    drop(child.stdout.take());
    let script = "help\nset a 1\n";
    // The child may already have exited; its stdin is then closed too.
    let _ = child.stdin.take().unwrap().write_all(script.as_bytes());
    let out = child.wait_with_output().unwrap();
    // 101 is a panic; a failed write is an ordinary error (1).
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
}

#[test]
fn piped_input_writes_no_history_file() {
    let server = BackgroundServer::start();
    let dir = scratch_dir("hist");
    let histfile = dir.join("history");
    // Once through the default location under HOME, once through the
    // variable that names the file.
    for set_histfile in [false, true] {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_kvstore-cli"));
        cmd.args(["-p", &server.addr().port().to_string()])
            .env("HOME", &dir)
            .env("TERM", "xterm")
            .env_remove("KVSTORE_CLI_HISTFILE")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if set_histfile {
            cmd.env("KVSTORE_CLI_HISTFILE", &histfile);
        }
        let mut child = cmd.spawn().unwrap();
        let script = "set a 1\nget a\nhelp\nquit\n";
        child
            .stdin
            .take()
            .unwrap()
            .write_all(script.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        assert!(stdout(&out).contains("\"1\""), "{}", stdout(&out));
        let files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert!(files.is_empty(), "history written: {files:?}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// CA `a` with a server certificate (localhost, 127.0.0.1) and a client
/// one, made now, in `dir`.
fn issue_certificates(dir: &std::path::Path) {
    use rcgen::{BasicConstraints, CertificateParams, ExtendedKeyUsagePurpose, IsCa, KeyPair};
    let ca_key = KeyPair::generate().unwrap();
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca_cert = ca.self_signed(&ca_key).unwrap();
    std::fs::write(dir.join("ca.crt"), ca_cert.pem()).unwrap();
    for (who, name, usage) in [
        ("server", "127.0.0.1", ExtendedKeyUsagePurpose::ServerAuth),
        ("client", "client.test", ExtendedKeyUsagePurpose::ClientAuth),
    ] {
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(vec![name.to_string()]).unwrap();
        params.extended_key_usages = vec![usage];
        let cert = params.signed_by(&key, &ca_cert, &ca_key).unwrap();
        std::fs::write(dir.join(format!("{who}.crt")), cert.pem()).unwrap();
        std::fs::write(dir.join(format!("{who}.key")), key.serialize_pem()).unwrap();
    }
}

#[test]
fn tls_flags_as_redis_cli_spells_them() {
    let dir = tempfile::tempdir().unwrap();
    issue_certificates(dir.path());
    let file = |n: &str| dir.path().join(n).display().to_string();
    let server = BackgroundServer::start_with(kvstore_server::Config {
        tls_port: 1,
        tls_cert_file: file("server.crt"),
        tls_key_file: file("server.key"),
        tls_ca_cert_file: file("ca.crt"),
        ..kvstore_server::Config::default()
    });
    let port = server.tls_addr().unwrap().port();
    let (ca, cert, key) = (file("ca.crt"), file("client.crt"), file("client.key"));
    let out = cli(
        port,
        &[
            "--tls", "--cacert", &ca, "--cert", &cert, "--key", &key, "set", "a", "1",
        ],
    );
    assert_eq!(
        (out.status.code(), stdout(&out).as_str()),
        (Some(0), "(integer) 1\n"),
        "{}",
        stderr(&out)
    );
    // Without a client certificate the server refuses.
    let out = cli(port, &["--tls", "--cacert", &ca, "get", "a"]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    // Plain RESP on the TLS port gets nowhere either.
    let out = cli(port, &["get", "a"]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    // --cert without --key is a usage error.
    let out = cli(port, &["--tls", "--cert", &cert, "get", "a"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("--cert and --key"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_password_is_sent_with_auth_and_warned_about() {
    let server = BackgroundServer::start();
    let port = server.addr().port();
    // This server knows no AUTH yet, or has no password set: either way
    // its answer to the AUTH the CLI sent comes back as the failure, and
    // the warning redis-cli prints comes first.
    let out = cli(port, &["-a", "secret", "ping"]);
    let err = stderr(&out);
    assert!(err.contains("Warning: Using a password with '-a'"), "{err}");
    let quiet = cli(port, &["--pass", "secret", "--no-auth-warning", "ping"]);
    assert!(!stderr(&quiet).contains("Warning"), "{}", stderr(&quiet));
    assert_eq!(out.status.code(), quiet.status.code());
}
