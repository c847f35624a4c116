//! Access control over TCP: requirepass and AUTH, ACL users and every kind
//! of refusal (commands, subcommands, categories, keys, channels, in MULTI
//! and in scripts), the ACL log, the acl file, user deletion, protected
//! mode and protected configs. Replies are compared byte for byte with
//! what redis-server 7.0.15 sends.

mod common;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use clap::Parser;
use common::Raw;
use kvstore_server::{BackgroundServer, Config};
use sha2::Digest;

fn server(flags: &[&str]) -> BackgroundServer {
    let mut argv = vec!["kvstore-server", "--port", "0", "--reply-mode", "redis"];
    argv.extend_from_slice(flags);
    BackgroundServer::start_with(Config::parse_from(argv))
}

/// A connection logged in as `user`.
fn login(addr: SocketAddr, user: &str, pass: &str) -> Raw {
    let mut c = Raw::connect(addr);
    assert_eq!(c.cmd(&["AUTH", user, pass]), "+OK\r\n");
    c
}

const NOAUTH: &str = "-NOAUTH Authentication required.\r\n";
const WRONGPASS: &str = "-WRONGPASS invalid username-password pair or user is disabled.\r\n";
const NOPERM_KEY: &str =
    "-NOPERM this user has no permissions to access one of the keys used as arguments\r\n";
const NOPERM_CHANNEL: &str =
    "-NOPERM this user has no permissions to access one of the channels used as arguments\r\n";

fn noperm_cmd(name: &str) -> String {
    format!("-NOPERM this user has no permissions to run the '{name}' command\r\n")
}

/// Waits until the server closes `c`, failing after a few seconds.
fn closes(c: &mut Raw) -> bool {
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        if c.is_closed() {
            return true;
        }
    }
    false
}

#[test]
fn requirepass_gates_everything_but_auth_hello_quit_and_reset() {
    let s = server(&["--requirepass", "s3cret"]);
    let mut c = Raw::connect(s.addr());
    assert_eq!(c.cmd(&["PING"]), NOAUTH);
    assert_eq!(c.cmd(&["GET", "k"]), NOAUTH);
    // The raw GET that the shortcut would serve is refused as well.
    c.send_raw(b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n");
    assert_eq!(String::from_utf8_lossy(&c.read_reply()), NOAUTH);
    assert_eq!(c.cmd(&["AUTH", "nope"]), WRONGPASS);
    assert_eq!(c.cmd(&["AUTH", "default", "nope"]), WRONGPASS);
    assert_eq!(c.cmd(&["AUTH", "a", "b", "c"]), "-ERR syntax error\r\n");
    assert_eq!(c.cmd(&["HELLO", "3", "AUTH", "default", "nope"]), WRONGPASS);
    assert_eq!(
        c.cmd(&["HELLO", "3"]),
        "-NOAUTH HELLO must be called with the client already authenticated, otherwise the \
         HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and \
         select the RESP protocol version at the same time\r\n"
    );
    assert!(c
        .cmd(&["HELLO", "2", "AUTH", "default", "s3cret"])
        .starts_with("*16\r\n$6\r\nserver\r\n"));
    assert_eq!(c.cmd(&["PING"]), "+PONG\r\n");
    // RESET logs the connection out again.
    assert_eq!(c.cmd(&["RESET"]), "+RESET\r\n");
    assert_eq!(c.cmd(&["PING"]), NOAUTH);
    assert_eq!(c.cmd(&["AUTH", "s3cret"]), "+OK\r\n");
    assert_eq!(
        c.cmd(&["CONFIG", "GET", "requirepass"]).lines().nth(4),
        Some("s3cret")
    );
    // A new password applies to new logins; this connection stays in.
    assert_eq!(c.cmd(&["CONFIG", "SET", "requirepass", "other"]), "+OK\r\n");
    assert_eq!(c.cmd(&["PING"]), "+PONG\r\n");
    let mut d = Raw::connect(s.addr());
    assert_eq!(d.cmd(&["AUTH", "s3cret"]), WRONGPASS);
    assert_eq!(d.cmd(&["AUTH", "other"]), "+OK\r\n");
    // No password at all: everyone is in, and AUTH <password> says why not.
    assert_eq!(c.cmd(&["CONFIG", "SET", "requirepass", ""]), "+OK\r\n");
    let mut e = Raw::connect(s.addr());
    assert_eq!(e.cmd(&["PING"]), "+PONG\r\n");
    assert_eq!(
        e.cmd(&["AUTH", "x"]),
        "-ERR AUTH <password> called without any password configured for the default user. \
         Are you sure your configuration is correct?\r\n"
    );
    // QUIT needs no login.
    c.cmd(&["CONFIG", "SET", "requirepass", "p"]);
    let mut q = Raw::connect(s.addr());
    assert_eq!(q.cmd(&["QUIT"]), "+OK\r\n");
    assert!(closes(&mut q));
}

#[test]
fn seed_protocol_clients_authenticate_too() {
    let s = BackgroundServer::start_with(Config::parse_from([
        "kvstore-server",
        "--port",
        "0",
        "--requirepass",
        "pw",
    ]));
    let mut c = Raw::connect(s.addr());
    assert_eq!(c.cmd(&["SET", "k", "v"]), NOAUTH);
    assert_eq!(c.cmd(&["AUTH", "pw"]), "+OK\r\n");
    // The seed's reply to SET.
    assert_eq!(c.cmd(&["SET", "k", "v"]), ":1\r\n");
}

#[test]
fn commands_subcommands_and_categories_are_refused_with_noperm() {
    let s = server(&[]);
    let mut admin = Raw::connect(s.addr());
    let rules = [
        "ACL",
        "SETUSER",
        "u",
        "on",
        ">pw",
        "~*",
        "&*",
        "+@all",
        "-@dangerous",
        "+client|list",
        "-get",
        "-config|set",
    ];
    assert_eq!(admin.cmd(&rules), "+OK\r\n");
    let mut u = login(s.addr(), "u", "pw");
    assert_eq!(u.cmd(&["GET", "k"]), noperm_cmd("get"));
    assert_eq!(u.cmd(&["FLUSHALL"]), noperm_cmd("flushall"));
    assert_eq!(
        u.cmd(&["CONFIG", "SET", "maxclients", "1"]),
        noperm_cmd("config|set")
    );
    assert_eq!(
        u.cmd(&["CONFIG", "GET", "maxclients"]),
        noperm_cmd("config|get")
    );
    assert!(u.cmd(&["CLIENT", "LIST"]).starts_with('$'));
    assert_eq!(u.cmd(&["SET", "k", "v"]), "+OK\r\n");
    assert_eq!(u.cmd(&["ACL", "WHOAMI"]), "$1\r\nu\r\n");
    // An unknown subcommand is answered as such, before any ACL check.
    assert_eq!(
        u.cmd(&["CONFIG", "NOSUCH"]),
        "-ERR unknown subcommand 'NOSUCH'. Try CONFIG HELP.\r\n"
    );
    assert_eq!(
        u.cmd(&["ACL", "CAT", "a", "b"]),
        "-ERR unknown subcommand or wrong number of arguments for 'CAT'. Try ACL HELP.\r\n"
    );
    // A read-only user.
    admin.cmd(&["ACL", "SETUSER", "r", "on", "nopass", "~*", "+@read"]);
    let mut r = login(s.addr(), "r", "any");
    assert_eq!(r.cmd(&["GET", "k"]), "$1\r\nv\r\n");
    assert_eq!(r.cmd(&["SET", "k", "v"]), noperm_cmd("set"));
    assert_eq!(r.cmd(&["OBJECT", "ENCODING", "k"]), "$6\r\nembstr\r\n");
    // Changes apply to a logged-in connection at once.
    admin.cmd(&["ACL", "SETUSER", "r", "-@read"]);
    assert_eq!(r.cmd(&["GET", "k"]), noperm_cmd("get"));
    assert_eq!(
        admin.cmd(&["ACL", "LIST"]),
        "*3\r\n$34\r\nuser default on nopass ~* &* +@all\r\n\
         $46\r\nuser r on nopass ~* resetchannels -@all -@read\r\n\
         $129\r\nuser u on #30c952fab122c3f9759f02a6d95c3758b246b4fee239957b2d4fee46e26170c4 \
         ~* &* +@all -@dangerous +client|list -get -config|set\r\n"
    );
}

#[test]
fn setuser_errors_as_redis_words_them() {
    let s = server(&[]);
    let mut c = Raw::connect(s.addr());
    let cases = [
        ("foo", "Syntax error"),
        ("+nosuch", "Unknown command or category name in ACL"),
        ("+@nosuch", "Unknown command or category name in ACL"),
        ("+config|nosuch", "Unknown command or category name in ACL"),
        (
            "#abc",
            "The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters",
        ),
        ("<nopw", "The password you are trying to remove from the user does not exist"),
        ("%X~a", "Syntax error"),
        ("-get|x", "Unknown command or category name in ACL"),
        ("+config|get|x", "Allowing first-arg of a subcommand is not supported"),
        ("(~a)", "Syntax error"),
    ];
    for (rule, why) in cases {
        assert_eq!(
            c.cmd(&["ACL", "SETUSER", "x", rule]),
            format!("-ERR Error in ACL SETUSER modifier '{rule}': {why}\r\n")
        );
    }
    assert_eq!(
        c.cmd(&["ACL", "SETUSER", "x", "allkeys", "~a"]),
        "-ERR Error in ACL SETUSER modifier '~a': Adding a pattern after the * pattern (or the \
         'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' to start \
         with an empty list of patterns\r\n"
    );
    // All or nothing: x was never made.
    assert_eq!(c.cmd(&["ACL", "GETUSER", "x"]), "$-1\r\n");
    assert_eq!(
        c.cmd(&["ACL", "SETUSER", "x", "on", "", "reset"]),
        "+OK\r\n"
    );
    assert_eq!(
        c.cmd(&["ACL", "LIST"]),
        "*2\r\n$34\r\nuser default on nopass ~* &* +@all\r\n\
         $47\r\nuser x off sanitize-payload resetchannels -@all\r\n"
    );
    assert_eq!(
        c.cmd(&["ACL", "LOG", "x"]),
        "-ERR value is not an integer or out of range\r\n"
    );
    assert_eq!(c.cmd(&["ACL", "LOG", "-1"]), "*0\r\n");
    assert_eq!(
        c.cmd(&["ACL", "DELUSER", "default"]),
        "-ERR The 'default' user cannot be removed\r\n"
    );
    assert_eq!(
        c.cmd(&["ACL", "CAT", "nosuch"]),
        "-ERR Unknown category 'nosuch'\r\n"
    );
    assert_eq!(
        c.cmd(&["ACL", "GENPASS", "0"]),
        "-ERR ACL GENPASS argument must be the number of bits for the output password, a \
         positive number up to 4096\r\n"
    );
    assert_eq!(c.cmd(&["ACL", "GENPASS"]).len(), "$64\r\n".len() + 64 + 2);
    assert_eq!(
        c.cmd(&["ACL", "GENPASS", "32"]).len(),
        "$8\r\n".len() + 8 + 2
    );
    assert!(c
        .cmd(&["ACL", "CAT"])
        .starts_with("*21\r\n$8\r\nkeyspace\r\n"));
    assert!(c
        .cmd(&["ACL", "CAT", "dangerous"])
        .contains("\r\nflushall\r\n"));
    // Containers are @slow, their subcommands carry Redis's categories.
    assert!(c
        .cmd(&["COMMAND", "INFO", "config"])
        .contains("*1\r\n+@slow\r\n"));
    let admin = c.cmd(&["COMMAND", "LIST", "FILTERBY", "ACLCAT", "admin"]);
    assert!(admin.contains("\r\nclient|list\r\n") && !admin.contains("client|id"));
    assert!(c
        .cmd(&["ACL", "CAT", "admin"])
        .contains("\r\nconfig|set\r\n"));
    assert_eq!(
        c.cmd(&["ACL", "GETUSER", "default"]),
        "*12\r\n$5\r\nflags\r\n*2\r\n$2\r\non\r\n$6\r\nnopass\r\n$9\r\npasswords\r\n*0\r\n\
         $8\r\ncommands\r\n$5\r\n+@all\r\n$4\r\nkeys\r\n$2\r\n~*\r\n$8\r\nchannels\r\n$2\r\n&*\r\n\
         $9\r\nselectors\r\n*0\r\n"
    );
}

#[test]
fn keys_are_checked_by_pattern_and_access() {
    let s = server(&[]);
    let mut admin = Raw::connect(s.addr());
    admin.cmd(&[
        "ACL", "SETUSER", "k", "on", "nopass", "+@all", "~k*", "%R~r*", "%W~w*",
    ]);
    let mut k = login(s.addr(), "k", "x");
    assert_eq!(k.cmd(&["GET", "x"]), NOPERM_KEY);
    assert_eq!(k.cmd(&["GET", "k1"]), "$-1\r\n");
    assert_eq!(k.cmd(&["GET", "r1"]), "$-1\r\n");
    assert_eq!(k.cmd(&["SET", "r1", "v"]), NOPERM_KEY);
    assert_eq!(k.cmd(&["SET", "w1", "v"]), "+OK\r\n");
    assert_eq!(k.cmd(&["GET", "w1"]), NOPERM_KEY);
    assert_eq!(k.cmd(&["MSET", "k1", "a", "z", "b"]), NOPERM_KEY);
    assert_eq!(k.cmd(&["DEL", "k1", "w1"]), ":1\r\n");
    // As Redis's key specs say: SET reads only with GET, INCR reads,
    // APPEND and LPUSH only write, EXISTS and TYPE need no access at all.
    assert_eq!(k.cmd(&["SET", "w1", "v", "GET"]), NOPERM_KEY);
    assert_eq!(k.cmd(&["INCR", "w2"]), NOPERM_KEY);
    assert_eq!(k.cmd(&["APPEND", "w3", "x"]), ":1\r\n");
    assert_eq!(k.cmd(&["LPUSH", "w4", "x"]), ":1\r\n");
    assert_eq!(k.cmd(&["EXISTS", "w3"]), ":1\r\n");
    assert_eq!(k.cmd(&["TYPE", "r9"]), "+none\r\n");
    assert_eq!(k.cmd(&["EXISTS", "x"]), NOPERM_KEY);
    // A store command writes its destination and reads its sources.
    assert_eq!(k.cmd(&["SUNIONSTORE", "w5", "r1", "k1"]), ":0\r\n");
    assert_eq!(k.cmd(&["SUNIONSTORE", "w5", "w4"]), NOPERM_KEY);
    assert_eq!(k.cmd(&["SUNIONSTORE", "r5", "r1"]), NOPERM_KEY);
    // A key the shortcut would serve goes through the check as well.
    k.send_raw(b"*3\r\n$3\r\nSET\r\n$1\r\nx\r\n$1\r\nv\r\n");
    assert_eq!(String::from_utf8_lossy(&k.read_reply()), NOPERM_KEY);
    assert_eq!(
        admin.cmd(&["ACL", "DRYRUN", "k", "GET", "x"]),
        "$50\r\nThis user has no permissions to access the 'x' key\r\n"
    );
    assert_eq!(admin.cmd(&["ACL", "DRYRUN", "k", "GET", "k1"]), "+OK\r\n");
}

#[test]
fn channels_are_checked_for_publish_and_subscriptions() {
    let s = server(&[]);
    let mut admin = Raw::connect(s.addr());
    admin.cmd(&["ACL", "SETUSER", "p", "on", "nopass", "+@all", "~*", "&ch*"]);
    let mut p = login(s.addr(), "p", "x");
    assert_eq!(p.cmd(&["PUBLISH", "x", "m"]), NOPERM_CHANNEL);
    assert_eq!(p.cmd(&["PUBLISH", "ch1", "m"]), ":0\r\n");
    assert_eq!(p.cmd(&["SPUBLISH", "x", "m"]), NOPERM_CHANNEL);
    assert_eq!(p.cmd(&["SUBSCRIBE", "ch1", "x"]), NOPERM_CHANNEL);
    assert_eq!(p.cmd(&["SSUBSCRIBE", "x"]), NOPERM_CHANNEL);
    // A pattern must be one of the user's patterns as it is.
    assert_eq!(p.cmd(&["PSUBSCRIBE", "ch1*"]), NOPERM_CHANNEL);
    assert_eq!(
        p.cmd(&["PSUBSCRIBE", "ch*"]),
        "*3\r\n$10\r\npsubscribe\r\n$3\r\nch*\r\n:1\r\n"
    );
}

#[test]
fn multi_refuses_at_queue_time_and_scripts_are_checked() {
    let s = server(&[]);
    let mut admin = Raw::connect(s.addr());
    admin.cmd(&[
        "ACL",
        "SETUSER",
        "b",
        "on",
        ">p",
        "+@all",
        "-flushall",
        "~k*",
        "&ch*",
    ]);
    let mut b = login(s.addr(), "b", "p");
    assert_eq!(b.cmd(&["MULTI"]), "+OK\r\n");
    assert_eq!(b.cmd(&["GET", "x"]), NOPERM_KEY);
    assert_eq!(b.cmd(&["SET", "k1", "v"]), "+QUEUED\r\n");
    assert_eq!(
        b.cmd(&["EXEC"]),
        "-EXECABORT Transaction discarded because of previous errors.\r\n"
    );
    assert_eq!(b.cmd(&["MULTI"]), "+OK\r\n");
    assert_eq!(b.cmd(&["FLUSHALL"]), noperm_cmd("flushall"));
    assert_eq!(
        b.cmd(&["EXEC"]),
        "-EXECABORT Transaction discarded because of previous errors.\r\n"
    );
    assert_eq!(admin.cmd(&["GET", "k1"]), "$-1\r\n", "nothing ran");
    let script = |body: &str| {
        vec![
            "EVAL".to_string(),
            format!("return {body}"),
            "0".to_string(),
        ]
    };
    let run = |c: &mut Raw, words: Vec<String>| {
        let w: Vec<&str> = words.iter().map(String::as_str).collect();
        c.cmd(&w)
    };
    assert_eq!(
        run(&mut b, script("redis.pcall('get','x')")),
        "-ERR The user executing the script can't access at least one of the keys mentioned \
         in the command arguments\r\n"
    );
    assert_eq!(
        run(&mut b, script("redis.pcall('flushall')")),
        "-ERR The user executing the script can't run this command or subcommand\r\n"
    );
    assert!(run(&mut b, script("redis.call('flushall')")).starts_with(
        "-ERR The user executing the script can't run this command or subcommand script: "
    ));
    assert!(
        run(&mut b, script("redis.call('publish','zz','m')")).starts_with(
            "-ERR The user executing the script can't publish to the channel mentioned in the \
         command script: "
        )
    );
    // Keys declared to EVAL are checked before the script runs.
    assert_eq!(
        b.cmd(&["EVAL", "return redis.call('get',KEYS[1])", "1", "x"]),
        NOPERM_KEY
    );
    assert_eq!(
        b.cmd(&["EVAL", "return redis.call('get',KEYS[1])", "1", "k9"]),
        "$-1\r\n"
    );
}

#[test]
fn the_acl_log_records_denials_and_failed_logins() {
    let s = server(&["--requirepass", "pw"]);
    let mut admin = login(s.addr(), "default", "pw");
    admin.cmd(&[
        "ACL",
        "SETUSER",
        "b",
        "on",
        ">p",
        "+@all",
        "-flushall",
        "~k*",
    ]);
    let mut b = login(s.addr(), "b", "p");
    b.cmd(&["GET", "x"]);
    b.cmd(&["GET", "x"]);
    b.cmd(&["MULTI"]);
    b.cmd(&["FLUSHALL"]);
    b.cmd(&["DISCARD"]);
    let mut anon = Raw::connect(s.addr());
    anon.cmd(&["AUTH", "b", "wrong"]);
    let log = admin.cmd(&["ACL", "LOG"]);
    let lines: Vec<&str> = log.split("\r\n").collect();
    assert_eq!(lines[0], "*3", "{log}");
    // Newest first: the failed login, the refused FLUSHALL in MULTI, and
    // the two refused GETs folded into one entry.
    let want = [
        "count", ":1", "reason", "auth", "context", "toplevel", "object", "AUTH", "username", "b",
    ];
    let got: Vec<&str> = lines
        .iter()
        .copied()
        .filter(|l| !l.starts_with('$'))
        .collect();
    assert_eq!(&got[2..12], &want, "{log}");
    assert!(log.contains(
        "$7\r\ncommand\r\n$7\r\ncontext\r\n$5\r\nmulti\r\n$6\r\nobject\r\n$8\r\nflushall"
    ));
    assert!(log.contains(":2\r\n$6\r\nreason\r\n$3\r\nkey\r\n$7\r\ncontext\r\n$8\r\ntoplevel\r\n$6\r\nobject\r\n$1\r\nx\r\n$8\r\nusername\r\n$1\r\nb"));
    assert!(log.contains("age-seconds") && log.contains("cmd=get user=b"));
    assert!(admin.cmd(&["ACL", "LOG", "1"]).starts_with("*1\r\n"));
    assert_eq!(admin.cmd(&["ACL", "LOG", "RESET"]), "+OK\r\n");
    assert_eq!(admin.cmd(&["ACL", "LOG"]), "*0\r\n");
}

#[test]
fn the_shortcut_does_not_bypass_the_acl() {
    let s = server(&[]);
    let mut admin = Raw::connect(s.addr());
    admin.cmd(&["SET", "k", "v"]);
    admin.cmd(&["ACL", "SETUSER", "n", "on", "nopass", "~*", "+@all", "-get"]);
    let mut n = login(s.addr(), "n", "x");
    // Several plain GETs in one batch, the shortcut's favourite.
    let get = b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n";
    n.send_raw(&[&get[..], &get[..], &get[..]].concat());
    for _ in 0..3 {
        assert_eq!(String::from_utf8_lossy(&n.read_reply()), noperm_cmd("get"));
    }
    // Given GET back by another connection, the next batch is served.
    admin.cmd(&["ACL", "SETUSER", "n", "+get"]);
    n.send_raw(get);
    assert_eq!(String::from_utf8_lossy(&n.read_reply()), "$1\r\nv\r\n");
    // Read-only keys: a plain SET is refused.
    admin.cmd(&["ACL", "SETUSER", "n", "resetkeys", "%R~*"]);
    n.send_raw(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nw\r\n");
    assert_eq!(String::from_utf8_lossy(&n.read_reply()), NOPERM_KEY);
    assert_eq!(admin.cmd(&["GET", "k"]), "$1\r\nv\r\n");
}

#[test]
fn deleting_a_user_disconnects_its_connections() {
    let s = server(&[]);
    let mut admin = Raw::connect(s.addr());
    admin.cmd(&["ACL", "SETUSER", "gone", "on", ">p", "+@all", "~*"]);
    let mut one = login(s.addr(), "gone", "p");
    let mut two = login(s.addr(), "gone", "p");
    let mut other = Raw::connect(s.addr());
    assert!(admin.cmd(&["CLIENT", "LIST"]).contains("user=gone"));
    assert!(admin.cmd(&["CLIENT", "INFO"]).contains("user=default"));
    // CLIENT KILL USER closes a user's connections.
    let mut three = login(s.addr(), "gone", "p");
    admin.cmd(&["ACL", "SETUSER", "other", "on", ">p", "+@all", "~*"]);
    let mut four = login(s.addr(), "other", "p");
    assert_eq!(admin.cmd(&["CLIENT", "KILL", "USER", "other"]), ":1\r\n");
    assert!(closes(&mut four));
    assert_eq!(
        admin.cmd(&["CLIENT", "KILL", "USER", "nosuch"]),
        "-ERR No such user 'nosuch'\r\n"
    );
    assert_eq!(three.cmd(&["PING"]), "+PONG\r\n");
    // Changing the user keeps its connections (as Redis does).
    admin.cmd(&["ACL", "SETUSER", "gone", ">q"]);
    assert_eq!(one.cmd(&["PING"]), "+PONG\r\n");
    assert_eq!(admin.cmd(&["ACL", "DELUSER", "gone", "nosuch"]), ":1\r\n");
    assert!(closes(&mut one), "first connection closed");
    assert!(closes(&mut two), "second connection closed");
    assert!(closes(&mut three), "third connection closed");
    assert_eq!(other.cmd(&["PING"]), "+PONG\r\n");
    assert_eq!(
        admin.cmd(&["ACL", "USERS"]),
        "*2\r\n$7\r\ndefault\r\n$5\r\nother\r\n"
    );
    let mut again = Raw::connect(s.addr());
    assert_eq!(again.cmd(&["AUTH", "gone", "p"]), WRONGPASS);
}

#[test]
fn the_acl_file_is_loaded_saved_and_reloaded() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("users.acl");
    std::fs::write(
        &file,
        "# users\nuser default on nopass ~* &* +@all\nuser app on >apppw ~app:* resetchannels -@all +get +set\n",
    )
    .expect("write");
    let path = file.to_str().expect("utf-8");
    let s = server(&["--aclfile", path]);
    let mut app = login(s.addr(), "app", "apppw");
    assert_eq!(app.cmd(&["SET", "app:1", "v"]), "+OK\r\n");
    assert_eq!(app.cmd(&["DEL", "app:1"]), noperm_cmd("del"));
    let mut admin = Raw::connect(s.addr());
    admin.cmd(&[
        "ACL",
        "SETUSER",
        "ops",
        "on",
        "#5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8",
        "~*",
        "+@all",
    ]);
    assert_eq!(admin.cmd(&["ACL", "SAVE"]), "+OK\r\n");
    let saved = std::fs::read_to_string(&file).expect("read");
    let app_hash: String = sha2::Sha256::digest(b"apppw")
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(
        saved,
        format!(
            "user app on #{app_hash} ~app:* resetchannels -@all +get +set\n\
             user default on nopass ~* &* +@all\n\
             user ops on #5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8 ~* resetchannels +@all\n"
        )
    );
    assert!(
        dir.path().read_dir().expect("ls").count() == 1,
        "no temporary file left"
    );
    // Edit the file: ACL LOAD takes it, and closes the connections of
    // every user but default.
    let mut ops = login(s.addr(), "ops", "password");
    std::fs::write(
        &file,
        "user app on >newpw ~app:* -@all +get\nuser ops on nopass\n",
    )
    .expect("write");
    assert_eq!(admin.cmd(&["ACL", "LOAD"]), "+OK\r\n");
    assert!(closes(&mut app));
    assert!(closes(&mut ops));
    assert_eq!(admin.cmd(&["PING"]), "+PONG\r\n");
    assert_eq!(
        admin.cmd(&["ACL", "USERS"]),
        "*3\r\n$3\r\napp\r\n$7\r\ndefault\r\n$3\r\nops\r\n"
    );
    login(s.addr(), "app", "newpw");
    // A bad file changes nothing.
    std::fs::write(&file, "user app on\nuser bad on +nosuch\n").expect("write");
    let reply = admin.cmd(&["ACL", "LOAD"]);
    assert_eq!(
        reply,
        format!(
            "-ERR {path}:2: Error in applying operation '+nosuch': Unknown command or category \
             name in ACL. WARNING: ACL errors detected, no change to the previously active ACL \
             rules was performed\r\n"
        )
    );
    login(s.addr(), "app", "newpw");
}

#[test]
fn a_bad_acl_file_stops_the_server_naming_its_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("users.acl");
    std::fs::write(&file, "user a on nopass ~* +@all\n\nuser b on %Q~x\n").expect("write");
    let path = file.to_str().expect("utf-8");
    let err = BackgroundServer::try_start(Config::parse_from([
        "kvstore-server",
        "--port",
        "0",
        "--aclfile",
        path,
    ]))
    .err()
    .expect("refused");
    assert!(err.to_string().contains(&format!("{path}:3:")), "{err}");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_kvstore-server"))
        .args(["--port", "0", "--aclfile", path])
        .output()
        .expect("run");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(&format!("{path}:3:")), "{stderr}");
}

/// Connects to `addr` from 127.0.0.2, which Linux routes as loopback but
/// Redis (and kvstore) do not count as local.
fn from_127_0_0_2(addr: SocketAddr) -> TcpStream {
    use socket2::{Domain, Socket, Type};
    let sock = Socket::new(Domain::IPV4, Type::STREAM, None).expect("socket");
    let local: SocketAddr = "127.0.0.2:0".parse().expect("addr");
    sock.bind(&local.into()).expect("bind 127.0.0.2");
    sock.connect(&addr.into()).expect("connect");
    let stream: TcpStream = sock.into();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    stream
}

fn read_all(mut s: TcpStream) -> String {
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    String::from_utf8_lossy(&out).into_owned()
}

#[test]
fn protected_mode_refuses_non_local_clients_without_a_password() {
    let s = server(&[]);
    let mut far = from_127_0_0_2(s.addr());
    far.write_all(b"PING\r\n").expect("write");
    let got = read_all(far);
    assert!(
        got.starts_with(
            "-DENIED Redis is running in protected mode because protected mode is enabled and \
             no password is set for the default user."
        ) && got.ends_with("\r\n")
            && got.contains("kvstore"),
        "{got}"
    );
    // From 127.0.0.1 all is well, and protected mode can be turned off.
    let mut near = Raw::connect(s.addr());
    assert_eq!(
        near.cmd(&["CONFIG", "GET", "protected-mode"]),
        "*2\r\n$14\r\nprotected-mode\r\n$3\r\nyes\r\n"
    );
    assert_eq!(
        near.cmd(&["CONFIG", "SET", "protected-mode", "no"]),
        "+OK\r\n"
    );
    let mut far = from_127_0_0_2(s.addr());
    far.write_all(b"*1\r\n$4\r\nPING\r\n").expect("write");
    let mut buf = [0u8; 7];
    far.read_exact(&mut buf).expect("read");
    assert_eq!(&buf, b"+PONG\r\n");
    // With a password, a far client may connect and must log in.
    near.cmd(&["CONFIG", "SET", "protected-mode", "yes"]);
    near.cmd(&["CONFIG", "SET", "requirepass", "pw"]);
    let mut far = from_127_0_0_2(s.addr());
    far.write_all(b"*1\r\n$4\r\nPING\r\n").expect("write");
    let mut buf = vec![0u8; NOAUTH.len()];
    far.read_exact(&mut buf).expect("read");
    assert_eq!(String::from_utf8_lossy(&buf), NOAUTH);
}

#[test]
fn protected_configs_need_enable_protected_configs() {
    let s = server(&[]);
    let mut c = Raw::connect(s.addr());
    for name in ["dir", "dbfilename"] {
        assert_eq!(
            c.cmd(&["CONFIG", "SET", name, "/tmp"]),
            format!("-ERR CONFIG SET failed (possibly related to argument '{name}') - can't set protected config\r\n")
        );
    }
    for name in [
        "enable-protected-configs",
        "enable-debug-command",
        "enable-module-command",
    ] {
        assert_eq!(
            c.cmd(&["CONFIG", "GET", name]),
            format!("*2\r\n${}\r\n{name}\r\n$2\r\nno\r\n", name.len())
        );
        assert_eq!(
            c.cmd(&["CONFIG", "SET", name, "yes"]),
            format!("-ERR CONFIG SET failed (possibly related to argument '{name}') - can't set immutable config\r\n")
        );
    }
    for name in ["aclfile", "appendfilename"] {
        assert!(c
            .cmd(&["CONFIG", "SET", name, "x"])
            .ends_with("can't set immutable config\r\n"));
    }
    let s = server(&["--enable-protected-configs", "yes"]);
    let mut c = Raw::connect(s.addr());
    // Allowed now, but kvstore's directory is fixed once it runs.
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "dir", "/tmp"]),
        "-ERR CONFIG SET failed (possibly related to argument 'dir') - can't set immutable config\r\n"
    );
}

#[test]
fn passwords_never_reach_monitor_or_the_slow_log() {
    let s = server(&["--slowlog-log-slower-than", "0"]);
    let mut admin = Raw::connect(s.addr());
    let mut mon = Raw::connect(s.addr());
    assert_eq!(mon.cmd(&["MONITOR"]), "+OK\r\n");
    admin.cmd(&["ACL", "SETUSER", "u", "on", ">hunter2", "+@all", "~*"]);
    admin.cmd(&["AUTH", "u", "hunter2"]);
    admin.cmd(&["HELLO", "2", "AUTH", "u", "hunter2"]);
    admin.cmd(&["PING"]);
    let mut seen = String::new();
    while !seen.contains("\"PING\"") {
        seen.push_str(&String::from_utf8_lossy(&mon.read_reply()));
    }
    assert!(!seen.contains("hunter2"), "{seen}");
    assert!(!seen.contains("SETUSER"), "{seen}");
    assert!(
        seen.contains("\"AUTH\" \"(redacted)\" \"(redacted)\""),
        "{seen}"
    );
    let slow = admin.cmd(&["SLOWLOG", "GET", "10"]);
    assert!(!slow.contains("hunter2"), "{slow}");
    assert!(
        slow.contains("setuser\r\n$10\r\n(redacted)")
            || slow.contains("SETUSER\r\n$10\r\n(redacted)"),
        "{slow}"
    );
}

#[test]
fn exec_checks_again_and_scripts_can_ask() {
    let s = server(&[]);
    let mut admin = Raw::connect(s.addr());
    admin.cmd(&["ACL", "SETUSER", "e", "on", ">p", "+@all", "~*", "&*"]);
    let mut e = login(s.addr(), "e", "p");
    e.cmd(&["MULTI"]);
    e.cmd(&["GET", "k1"]);
    e.cmd(&["SET", "k2", "v"]);
    e.cmd(&["PUBLISH", "c", "m"]);
    admin.cmd(&["ACL", "SETUSER", "e", "-get", "resetchannels"]);
    let changed = "-NOPERM ACLs rules changed between the moment the transaction was accumulated \
                   and the EXEC call. This command is no longer allowed for the following reason: ";
    assert_eq!(
        e.cmd(&["EXEC"]),
        format!(
            "*3\r\n{changed}no permission to execute the command or subcommand\r\n+OK\r\n\
             {changed}no permission to access one of the channels used as arguments\r\n"
        )
    );
    admin.cmd(&[
        "ACL",
        "SETUSER",
        "e",
        "+get",
        "resetkeys",
        "~z*",
        "-config|set",
    ]);
    assert_eq!(
        e.cmd(&[
            "EVAL",
            "return {redis.acl_check_cmd('get','z'), redis.acl_check_cmd('get','a'), \
             redis.acl_check_cmd('config','get','x'), redis.acl_check_cmd('config','set','a','b')}",
            "0"
        ]),
        "*4\r\n:1\r\n$-1\r\n:1\r\n$-1\r\n"
    );
}

#[test]
fn passwords_are_bytes_and_rules_may_be_any_text() {
    let s = server(&[]);
    let mut c = Raw::connect(s.addr());
    // A password that is not UTF-8, sent and checked as its bytes.
    c.send_raw(b"*5\r\n$3\r\nACL\r\n$7\r\nSETUSER\r\n$3\r\nbin\r\n$2\r\non\r\n$3\r\n>\xff\xfe\r\n");
    assert_eq!(String::from_utf8_lossy(&c.read_reply()), "+OK\r\n");
    let mut b = Raw::connect(s.addr());
    b.send_raw(b"*3\r\n$4\r\nAUTH\r\n$3\r\nbin\r\n$2\r\n\xff\xfe\r\n");
    assert_eq!(String::from_utf8_lossy(&b.read_reply()), "+OK\r\n");
    assert_eq!(b.cmd(&["AUTH", "bin", "\u{fffd}\u{fffd}"]), WRONGPASS);
    // A key pattern that is not UTF-8 matches keys by their bytes.
    c.send_raw(b"*5\r\n$3\r\nACL\r\n$7\r\nSETUSER\r\n$3\r\nbin\r\n$4\r\n~\xffk*\r\n$4\r\n+get\r\n");
    assert_eq!(String::from_utf8_lossy(&c.read_reply()), "+OK\r\n");
    b.send_raw(b"*2\r\n$3\r\nGET\r\n$3\r\n\xffk1\r\n");
    assert_eq!(String::from_utf8_lossy(&b.read_reply()), "$-1\r\n");
    assert_eq!(b.cmd(&["GET", "\u{fffd}k1"]), NOPERM_KEY);
    // A rule starting with a wide character is a syntax error, not a crash.
    assert_eq!(
        c.cmd(&["ACL", "SETUSER", "w", "éa"]),
        "-ERR Error in ACL SETUSER modifier 'éa': Syntax error\r\n"
    );
}

#[test]
fn subscribers_that_lose_their_channels_are_disconnected() {
    let s = server(&[]);
    let mut admin = Raw::connect(s.addr());
    admin.cmd(&["ACL", "SETUSER", "ps", "on", ">p", "+@all", "~*", "&*"]);
    let mut a = login(s.addr(), "ps", "p");
    assert!(a.cmd(&["SUBSCRIBE", "news"]).starts_with("*3\r\n"));
    let mut b = login(s.addr(), "ps", "p");
    assert!(b.cmd(&["PSUBSCRIBE", "n*"]).starts_with("*3\r\n"));
    let mut c = login(s.addr(), "ps", "p");
    assert!(c.cmd(&["SUBSCRIBE", "other"]).starts_with("*3\r\n"));
    assert_eq!(
        admin.cmd(&["ACL", "SETUSER", "ps", "resetchannels", "&news", "&other"]),
        "+OK\r\n"
    );
    // The pattern is no longer one of the user's: that subscriber goes.
    assert!(closes(&mut b));
    assert_eq!(a.cmd(&["PING"]), "*2\r\n$4\r\npong\r\n$0\r\n\r\n");
    assert_eq!(c.cmd(&["PING"]), "*2\r\n$4\r\npong\r\n$0\r\n\r\n");
}

#[test]
fn rules_naming_redis_commands_kvstore_lacks_are_kept_and_grant_nothing() {
    let s = server(&[]);
    let mut c = Raw::connect(s.addr());
    // As Redis's ACL files name them: cluster, streams, bitmaps...
    assert_eq!(
        c.cmd(&[
            "ACL",
            "SETUSER",
            "app",
            "on",
            ">pw",
            "~*",
            "+@all",
            "-cluster",
            "-xadd",
            "-cluster|info"
        ]),
        "+OK\r\n"
    );
    let rules = c.cmd(&["ACL", "GETUSER", "app"]);
    assert!(rules.contains("-cluster"), "{rules}");
    // A name Redis does not have either is still refused.
    assert_eq!(
        c.cmd(&["ACL", "SETUSER", "app", "+nosuchcommand"]),
        "-ERR Error in ACL SETUSER modifier '+nosuchcommand': Unknown command or category name in ACL\r\n"
    );
    let mut app = login(s.addr(), "app", "pw");
    assert_eq!(app.cmd(&["GET", "k"]), "$-1\r\n");
}

#[test]
fn command_list_names_subcommands_as_redis_7_does() {
    let s = server(&[]);
    let mut c = Raw::connect(s.addr());
    let all = c.cmd(&["COMMAND", "LIST"]);
    for name in [
        "config",
        "config|get",
        "client|tracking",
        "acl|setuser",
        "get",
    ] {
        assert!(
            all.contains(&format!("${}\r\n{name}\r\n", name.len())),
            "{name}: {all}"
        );
    }
    let config = c.cmd(&["COMMAND", "LIST", "FILTERBY", "PATTERN", "config|*"]);
    assert!(config.contains("$10\r\nconfig|get\r\n"), "{config}");
    assert!(!config.contains("$6\r\nconfig\r\n"), "{config}");
}
