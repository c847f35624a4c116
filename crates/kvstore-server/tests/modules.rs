//! `MODULE` and `LOLWUT` as Redis 7 answers them, kvstore having no
//! modules and no art.

mod common;

use common::Raw;
use kvstore_server::{BackgroundServer, Config};

#[test]
fn module_lists_none_and_refuses_to_load() {
    let server = BackgroundServer::start();
    let mut c = Raw::connect(server.addr());
    c.cmd(&["HELLO", "2"]);
    assert_eq!(c.cmd(&["MODULE", "LIST"]), "*0\r\n");
    let refused = "-ERR MODULE command not allowed. If the enable-module-command option is set to \"local\", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.\r\n";
    assert_eq!(c.cmd(&["MODULE", "LOAD", "/x.so"]), refused);
    assert_eq!(c.cmd(&["MODULE", "UNLOAD", "x"]), refused);
    assert_eq!(
        c.cmd(&["MODULE", "FOO"]),
        "-ERR unknown subcommand or wrong number of arguments for 'FOO'. Try MODULE HELP.\r\n"
    );
    assert!(c
        .cmd(&["MODULE", "HELP"])
        .starts_with("*11\r\n+MODULE <subcommand>"));
    let server = BackgroundServer::start_with(Config {
        enable_module_command: "yes".into(),
        ..Config::default()
    });
    let mut c = Raw::connect(server.addr());
    c.cmd(&["HELLO", "2"]);
    assert_eq!(
        c.cmd(&["MODULE", "LOAD", "/x.so"]),
        "-ERR Error loading the extension. Please check the server logs.\r\n"
    );
}

#[test]
fn lolwut_ends_with_the_version_line() {
    let server = BackgroundServer::start();
    let mut c = Raw::connect(server.addr());
    c.cmd(&["HELLO", "2"]);
    assert_eq!(c.cmd(&["LOLWUT"]), "$18\r\nRedis ver. 7.0.15\n\r\n");
    assert!(c
        .cmd(&["LOLWUT", "VERSION", "5", "1", "1", "1"])
        .ends_with("Redis ver. 7.0.15\n\r\n"));
    assert_eq!(
        c.cmd(&["LOLWUT", "VERSION", "abc"]),
        "-ERR value is not an integer or out of range\r\n"
    );
}
