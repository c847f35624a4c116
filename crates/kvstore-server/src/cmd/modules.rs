//! `MODULE` and `LOLWUT`: kvstore loads no modules, and draws no art, but
//! answers both as Redis 7 does, so that clients and tools that ask get
//! the replies they expect (an empty module list; the version line).

use kvstore_protocol::Value;

use super::table::flags::*;
use super::table::NONE;
use super::{is_word, Command, Ctx};

pub static COMMANDS: &[Command] = &[
    Command::new("module", -2, ADMIN | NOSCRIPT, 0, NONE, module).doc(
        "server",
        "Lists, loads or unloads modules (kvstore has none).",
        "",
    ),
    Command::new("lolwut", -1, READONLY | FAST, 0, NONE, lolwut).doc(
        "server",
        "Displays computer art and the Redis version.",
        "[VERSION version]",
    ),
];

/// `MODULE LIST|LOAD|LOADEX|UNLOAD|HELP`.
pub fn module(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    let sub = &args[1];
    let rest = &args[2..];
    if is_word(sub, "HELP") && rest.is_empty() {
        return Value::Array(
            [
                "MODULE <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
                "LIST",
                "    Return a list of loaded modules.",
                "LOAD <path> [<arg> ...]",
                "    Load a module library from <path>, passing to it any optional arguments.",
                "LOADEX <path> [[CONFIG NAME VALUE] [CONFIG NAME VALUE]] [ARGS ...]",
                "    Load a module library from <path>, while passing it module configurations and optional arguments.",
                "UNLOAD <name>",
                "    Unload a module.",
                "HELP",
                "    Print this help.",
            ]
            .into_iter()
            .map(Value::simple)
            .collect(),
        );
    }
    if is_word(sub, "LIST") && rest.is_empty() {
        return Value::Array(Vec::new());
    }
    let loads = (is_word(sub, "LOAD") || is_word(sub, "LOADEX")) && !rest.is_empty();
    let unloads = is_word(sub, "UNLOAD") && rest.len() == 1;
    if !(loads || unloads) {
        return Value::error(format!(
            "ERR unknown subcommand or wrong number of arguments for '{}'. Try MODULE HELP.",
            super::printable(sub.as_bytes().unwrap_or(b"?"), 128)
        ));
    }
    let allowed = match ctx.shared.config.read().enable_module_command.as_str() {
        "yes" => true,
        "local" => super::acl::is_local(ctx.session.peer),
        _ => false,
    };
    if !allowed {
        return Value::error(
            "ERR MODULE command not allowed. If the enable-module-command option is set to \
             \"local\", you can run it from a local connection, otherwise you need to set this \
             option in the configuration file, and then restart the server.",
        );
    }
    if loads {
        Value::error("ERR Error loading the extension. Please check the server logs.")
    } else {
        Value::error("ERR Error unloading module: no such module with that name")
    }
}

/// `LOLWUT [VERSION v] [...]`: Redis ends its art with its version line;
/// kvstore gives the line alone (version 5's with its caption).
pub fn lolwut(_ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    let mut version = 6;
    if args.len() >= 3 && is_word(&args[1], "VERSION") {
        match super::args::strict_integer(&args[2]) {
            Ok(v) => version = v,
            Err(e) => return e,
        }
    }
    let line = if version == 5 {
        format!(
            "Georg Nees - schotter, plotter on paper, 1968. Redis ver. {}\n",
            super::server::REDIS_COMPAT_VERSION
        )
    } else {
        format!("Redis ver. {}\n", super::server::REDIS_COMPAT_VERSION)
    };
    Value::Bulk(line.into())
}
