//! kvstore behind twemproxy (Debian's `nutcracker`), sharding keys over two
//! servers in Redis reply mode, as deploy/twemproxy/nutcracker.yml shows.
//! Skipped when nutcracker is not installed (failed under CI=true).

mod common;

use std::io::Write;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{tool, Raw};
use kvstore_server::{BackgroundServer, Config, ReplyMode};

struct Proxy(Child);

impl Drop for Proxy {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

fn backend() -> BackgroundServer {
    // A proxy's connections to its servers carry every client's commands
    // and never say HELLO: the servers must answer in Redis mode.
    BackgroundServer::start_with(Config {
        reply_mode: ReplyMode::Redis,
        ..Config::default()
    })
}

#[test]
fn twemproxy_shards_over_two_kvstore_servers() {
    let Some(bin) = tool("nutcracker") else {
        return;
    };
    let (a, b) = (backend(), backend());
    let listen: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().expect("addr");
    let dir = std::env::temp_dir().join(format!("kvstore-twemproxy-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let conf = dir.join("nutcracker.yml");
    let mut f = std::fs::File::create(&conf).expect("config file");
    write!(
        f,
        "kvstore:\n  listen: {listen}\n  hash: fnv1a_64\n  distribution: ketama\n  redis: true\n  \
         auto_eject_hosts: false\n  servers:\n   - {}:1 a\n   - {}:1 b\n",
        a.addr(),
        b.addr()
    )
    .expect("write config");
    let child = Command::new(bin)
        .arg("-c")
        .arg(&conf)
        .args(["-s", &free_port().to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start nutcracker");
    let _proxy = Proxy(child);
    let deadline = Instant::now() + Duration::from_secs(10);
    while TcpStream::connect(listen).is_err() {
        assert!(
            Instant::now() < deadline,
            "nutcracker did not start listening"
        );
        std::thread::sleep(Duration::from_millis(50));
    }

    let mut c = Raw::connect(listen);
    assert_eq!(c.cmd(&["PING"]), "+PONG\r\n");
    for i in 0..200 {
        assert_eq!(
            c.cmd(&["SET", &format!("user:{i}"), &i.to_string()]),
            "+OK\r\n"
        );
    }
    // Multi-key commands are split by the proxy and their replies joined.
    assert_eq!(c.cmd(&["MSET", "x", "1", "y", "2", "z", "3"]), "+OK\r\n");
    assert_eq!(
        c.cmd(&["MGET", "x", "y", "z", "nope"]),
        "*4\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n$-1\r\n"
    );
    assert_eq!(c.cmd(&["DEL", "x", "y", "nope"]), ":2\r\n");
    assert_eq!(c.cmd(&["INCR", "user:7"]), ":8\r\n");
    assert_eq!(c.cmd(&["GET", "user:7"]), "$1\r\n8\r\n");
    assert_eq!(c.cmd(&["SET", "user:7", "v", "NX"]), "$-1\r\n");

    // The keys really are spread over both servers.
    let (na, nb) = (a.shared().keyspace.len(), b.shared().keyspace.len());
    assert_eq!(na + nb, 201, "200 users and z");
    assert!(na > 20 && nb > 20, "uneven split: {na} / {nb}");
    let _ = std::fs::remove_dir_all(&dir);
}
