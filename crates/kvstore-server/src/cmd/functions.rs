//! The functions family: FUNCTION (LOAD, DELETE, FLUSH, LIST, DUMP,
//! RESTORE, STATS, KILL, HELP), FCALL and FCALL_RO.
//!
//! A library is Lua source beginning `#!lua name=<lib>`; loading runs it
//! once, and what it registers with `redis.register_function` becomes
//! callable by FCALL. The libraries themselves (source and what they
//! registered) live in the keyspace, so snapshots carry them and the
//! append-only file logs the FUNCTION commands that change them. Each
//! worker thread runs them in an interpreter of its own, separate from the
//! one for EVAL, rebuilt from the sources whenever the set of libraries
//! has changed since it was built.
//!
//! While a library loads, its code sees only a `redis` table with
//! `register_function`, `log` and the constants, as in Redis; once loaded,
//! its functions see the same globals as scripts (without KEYS and ARGV:
//! they get keys and arguments as their two parameters).

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use kvstore_protocol::Value;
use mlua::{Lua, Table, Value as LuaValue, Variadic};

use super::lua_libs::first_line;
use super::reply_map;
use super::scripting::{
    new_lua, outcome, run_exclusive, script_line, split_args, strings, CallState, Current,
    LOAD_DEADLINE,
};
use super::table::acl::*;
use super::table::flags::*;
use super::table::NONE;
use super::{is_word, printable, Command, Ctx};
use crate::keyspace::functions::{FunctionDef, Libraries, Library};
use crate::keyspace::glob;
use crate::state::script::Running;

pub static COMMANDS: &[Command] = &[
    Command::new("function", -2, WRITE | NOSCRIPT, SCRIPTING, NONE, function).doc(
        "scripting",
        "Loads, lists, deletes, dumps and restores function libraries.",
        "",
    ),
    Command::new(
        "fcall",
        -3,
        NOSCRIPT | OWN_GATE | STALE,
        SCRIPTING,
        NONE,
        fcall,
    )
    .doc(
        "scripting",
        "Calls a function of a loaded library.",
        "function numkeys [arg ...]",
    ),
    Command::new(
        "fcall_ro",
        -3,
        NOSCRIPT | OWN_GATE | STALE,
        SCRIPTING,
        NONE,
        fcall_ro,
    )
    .doc(
        "scripting",
        "Calls a read-only function of a loaded library.",
        "function numkeys [arg ...]",
    ),
];

/// The flags `redis.register_function` accepts, as bits, in the order
/// `FUNCTION LIST` prints them.
const FLAGS: &[(u32, &str)] = &[
    (NO_WRITES, "no-writes"),
    (1 << 1, "allow-oom"),
    (1 << 2, "allow-stale"),
    (1 << 3, "no-cluster"),
    (1 << 4, "allow-cross-slot-keys"),
];
const NO_WRITES: u32 = 1;

/// How long a library's code may run while it loads.
const LOAD_TIMEOUT: Duration = Duration::from_millis(500);

const BAD_NAME: &str = "Library names can only contain letters, numbers, or underscores(_) and must be at least one character long";

fn valid_name(name: &[u8]) -> bool {
    !name.is_empty() && name.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'_')
}

/// The library's name from its first line (`#!lua name=<lib>`).
fn library_name(code: &[u8]) -> Result<String, Value> {
    let first = code.split(|b| *b == b'\n').next().unwrap_or_default();
    let Some(meta) = first.strip_prefix(b"#!") else {
        return Err(Value::error("ERR Missing library metadata"));
    };
    let text = String::from_utf8_lossy(meta);
    let mut parts = text.split(' ').filter(|p| !p.is_empty());
    let engine = parts.next().unwrap_or_default();
    if !engine.eq_ignore_ascii_case("lua") {
        return Err(Value::error(format!(
            "ERR Engine '{}' not found",
            printable(engine.as_bytes(), 64)
        )));
    }
    let mut name = None;
    for part in parts {
        match part.split_once('=') {
            Some(("name", v)) if !v.is_empty() => {
                if name.is_some() {
                    return Err(Value::error(
                        "ERR Invalid metadata value, name argument was given multiple times",
                    ));
                }
                name = Some(v.to_string());
            }
            Some(("name", _)) | None => {
                return Err(Value::error("ERR Invalid library metadata"));
            }
            Some(_) => {
                return Err(Value::error(format!(
                    "ERR Invalid metadata value given: {}",
                    printable(part.as_bytes(), 128)
                )))
            }
        }
    }
    let Some(name) = name else {
        return Err(Value::error("ERR Invalid library metadata"));
    };
    if !valid_name(name.as_bytes()) {
        return Err(Value::error(format!("ERR {BAD_NAME}")));
    }
    Ok(name)
}

/// A function a library registered while it loaded.
struct Registered {
    def: FunctionDef,
    callback: mlua::Function,
}

thread_local! {
    /// True while a library's top-level code runs: globals other than the
    /// loading `redis` table do not exist then.
    static LOADING: Cell<bool> = const { Cell::new(false) };
    /// What `redis.register_function` has collected from the library
    /// loading now.
    static REGISTERING: RefCell<Vec<Registered>> = const { RefCell::new(Vec::new()) };
}

fn lua_err(msg: impl Into<String>) -> mlua::Error {
    mlua::Error::runtime(msg.into())
}

fn nonexistent(lua: &Lua, name: &mlua::LuaString) -> mlua::Error {
    lua_err(format!(
        "user_function:{}: Script attempted to access nonexistent global variable '{}'",
        script_line(lua),
        String::from_utf8_lossy(&name.as_bytes())
    ))
}

fn readonly(lua: &Lua) -> mlua::Error {
    lua_err(format!(
        "user_function:{}: Attempt to modify a readonly table",
        script_line(lua)
    ))
}

/// Makes `meta` refuse every new name with Redis's read-only error.
fn refuse_writes(lua: &Lua, meta: &Table) -> mlua::Result<()> {
    meta.raw_set(
        "__newindex",
        lua.create_function(|lua, _: Variadic<LuaValue>| Err::<(), _>(readonly(lua)))?,
    )
}

/// A metatable refusing writes and reads of missing names.
fn strict(lua: &Lua) -> mlua::Result<Table> {
    let meta = lua.create_table()?;
    refuse_writes(lua, &meta)?;
    meta.raw_set(
        "__index",
        lua.create_function(|lua, (_t, name): (Table, mlua::LuaString)| {
            Err::<(), _>(nonexistent(lua, &name))
        })?,
    )?;
    Ok(meta)
}

/// The `redis` table a library sees while it loads.
fn loading_redis(lua: &Lua) -> mlua::Result<Table> {
    let full: Table = lua.globals().raw_get("redis")?;
    let t = lua.create_table()?;
    for name in [
        "log",
        "LOG_DEBUG",
        "LOG_VERBOSE",
        "LOG_NOTICE",
        "LOG_WARNING",
        "REDIS_VERSION",
    ] {
        // `get`: the global `redis` reads through to the library.
        t.raw_set(name, full.get::<LuaValue>(name)?)?;
    }
    t.raw_set("REDIS_VERSION_NUM", 0x0007_0000)?;
    t.raw_set(
        "register_function",
        lua.create_function(|lua, args: Variadic<LuaValue>| register(lua, args))?,
    )?;
    t.set_metatable(Some(strict(lua)?))?;
    Ok(t)
}

/// The environment of every library: the globals, read-only, and while
/// loading only the loading `redis` table.
fn library_env(lua: &Lua) -> mlua::Result<Table> {
    let loading = loading_redis(lua)?;
    let env = lua.create_table()?;
    let meta = lua.create_table()?;
    refuse_writes(lua, &meta)?;
    meta.raw_set(
        "__index",
        lua.create_function(move |lua, (_t, name): (Table, mlua::LuaString)| {
            if LOADING.with(Cell::get) {
                if &*name.as_bytes() == b"redis" {
                    return Ok(LuaValue::Table(loading.clone()));
                }
                return Err(nonexistent(lua, &name));
            }
            match lua.globals().raw_get::<LuaValue>(&name)? {
                LuaValue::Nil => Err(nonexistent(lua, &name)),
                v => Ok(v),
            }
        })?,
    )?;
    env.set_metatable(Some(meta))?;
    Ok(env)
}

/// `redis.register_function(name, fn)` or `redis.register_function{…}`.
fn register(lua: &Lua, args: Variadic<LuaValue>) -> mlua::Result<()> {
    if !LOADING.with(Cell::get) {
        return Err(lua_err(
            "redis.register_function can only be called on FUNCTION LOAD command",
        ));
    }
    let name_of = |v: &LuaValue| match v {
        LuaValue::String(s) => Some(s.as_bytes().to_vec()),
        LuaValue::Integer(i) => Some(i.to_string().into_bytes()),
        LuaValue::Number(n) => Some(super::scripting::lua_number(*n).into_bytes()),
        _ => None,
    };
    let (name, callback, flags, description) = match &args[..] {
        [name, callback] => {
            let name = name_of(name).ok_or_else(|| {
                lua_err("first argument to redis.register_function must be a string")
            })?;
            let LuaValue::Function(f) = callback else {
                return Err(lua_err(
                    "second argument to redis.register_function must be a function",
                ));
            };
            (name, f.clone(), 0, None)
        }
        [LuaValue::Table(t)] => {
            let (mut name, mut callback, mut flags, mut description) = (None, None, 0, None);
            for pair in t.pairs::<LuaValue, LuaValue>() {
                let (k, v) = pair?;
                let key = match &k {
                    LuaValue::String(s) => s.as_bytes().to_vec(),
                    _ => Vec::new(),
                };
                match &key[..] {
                    b"function_name" => {
                        name = Some(name_of(&v).ok_or_else(|| {
                            lua_err("function_name argument given to redis.register_function must be a string")
                        })?)
                    }
                    b"callback" => match v {
                        LuaValue::Function(f) => callback = Some(f),
                        _ => return Err(lua_err("callback argument given to redis.register_function must be a function")),
                    },
                    b"description" => match v {
                        LuaValue::String(s) => {
                            description = Some(Bytes::copy_from_slice(&s.as_bytes()))
                        }
                        _ => return Err(lua_err("description argument given to redis.register_function must be a string")),
                    },
                    b"flags" => {
                        let LuaValue::Table(list) = v else {
                            return Err(lua_err("flags argument to redis.register_function must be a table representing function flags"));
                        };
                        for item in list.sequence_values::<LuaValue>() {
                            let item = item?;
                            let bit = match &item {
                                LuaValue::String(s) => FLAGS
                                    .iter()
                                    .find(|(_, n)| n.as_bytes() == &*s.as_bytes())
                                    .map(|(b, _)| *b),
                                _ => None,
                            };
                            flags |= bit.ok_or_else(|| lua_err("unknown flag given"))?;
                        }
                    }
                    _ => {
                        return Err(lua_err(
                            "unknown argument given to redis.register_function",
                        ))
                    }
                }
            }
            let name = name.ok_or_else(|| {
                lua_err("redis.register_function must get a function name argument")
            })?;
            let callback = callback
                .ok_or_else(|| lua_err("redis.register_function must get a callback argument"))?;
            (name, callback, flags, description)
        }
        _ => {
            return Err(lua_err(
                "wrong number of arguments to redis.register_function",
            ))
        }
    };
    let _ = lua;
    if !valid_name(&name) {
        return Err(lua_err(BAD_NAME));
    }
    let name = String::from_utf8_lossy(&name).into_owned();
    REGISTERING.with(|r| {
        let mut r = r.borrow_mut();
        if r.iter().any(|f| f.def.name == name) {
            return Err(lua_err("Function already exists in the library"));
        }
        r.push(Registered {
            def: FunctionDef {
                name,
                description,
                flags,
            },
            callback,
        });
        Ok(())
    })
}

/// Runs a library's code in `lua` and returns what it registered.
/// `timeout` bounds how long the code may run.
fn load_library(
    lua: &Lua,
    code: &[u8],
    timeout: Option<Duration>,
) -> Result<Vec<Registered>, Value> {
    // The first line is the metadata, not Lua; dropping all but its
    // newline keeps the line numbers of errors right.
    let body = match code.iter().position(|b| *b == b'\n') {
        Some(nl) => &code[nl..],
        None => &[][..],
    };
    let compiled = library_env(lua).and_then(|env| {
        lua.load(body)
            .set_name("@user_function")
            .set_environment(env)
            .into_function()
    });
    let chunk = match compiled {
        Ok(f) => f,
        Err(e) => {
            return Err(Value::error(format!(
                "ERR Error compiling function: {}",
                first_line(&e)
            )))
        }
    };
    REGISTERING.with(|r| r.borrow_mut().clear());
    LOADING.with(|l| l.set(true));
    LOAD_DEADLINE.with(|d| d.set(timeout.map(|t| Instant::now() + t)));
    let ran = chunk.call::<()>(());
    LOAD_DEADLINE.with(|d| d.set(None));
    LOADING.with(|l| l.set(false));
    let registered = REGISTERING.with(|r| std::mem::take(&mut *r.borrow_mut()));
    if let Err(e) = ran {
        return Err(Value::error(format!(
            "ERR Error registering functions: ERR {}",
            first_line(&e)
        )));
    }
    if registered.is_empty() {
        return Err(Value::error("ERR No functions registered"));
    }
    Ok(registered)
}

/// Loads `code` once in a fresh interpreter to learn what it registers
/// (and refuse it if it does not load).
fn compile(code: &Bytes) -> Result<Library, Value> {
    let name = library_name(code)?;
    let lua = new_lua().map_err(|e| Value::error(format!("ERR {e}")))?;
    let registered = load_library(&lua, code, Some(LOAD_TIMEOUT))?;
    Ok(Library {
        name,
        code: code.clone(),
        functions: registered.into_iter().map(|r| r.def).collect(),
    })
}

/// Adds `libs` to `into` (replacing same-named ones if `replace`),
/// refusing a function name another library already has.
fn join(into: &mut Libraries, libs: Vec<Library>, replace: bool) -> Result<(), Value> {
    let mut next = into.libs.clone();
    for lib in libs {
        if next.contains_key(&lib.name) {
            if !replace {
                return Err(Value::error(format!(
                    "ERR Library '{}' already exists",
                    lib.name
                )));
            }
            next.remove(&lib.name);
        }
        for f in &lib.functions {
            if next
                .values()
                .any(|l| l.functions.iter().any(|g| g.name == f.name))
            {
                return Err(Value::error(format!(
                    "ERR Function {} already exists",
                    f.name
                )));
            }
        }
        next.insert(lib.name.clone(), Arc::new(lib));
    }
    into.libs = next;
    into.generation += 1;
    Ok(())
}

/// The interpreter this thread runs functions in, and the generation of
/// the libraries it was built from.
struct FnVm {
    lua: Lua,
    generation: u64,
    functions: HashMap<String, mlua::Function>,
    /// Runs a function so that an error table it raises keeps its text.
    run: mlua::Function,
}

thread_local! {
    static FN_VM: RefCell<Option<FnVm>> = const { RefCell::new(None) };
}

/// An interpreter with every library in `sources` loaded.
fn build_vm(generation: u64, sources: &[(String, Bytes)]) -> mlua::Result<FnVm> {
    let lua = new_lua()?;
    let mut functions = HashMap::new();
    for (name, code) in sources {
        match load_library(&lua, code, None) {
            Ok(regs) => functions.extend(regs.into_iter().map(|r| (r.def.name, r.callback))),
            // It loaded when it was added; nothing it can reach changes.
            Err(e) => tracing::warn!("function library {name} no longer loads: {e:?}"),
        }
    }
    let run = super::lua_libs::protected_runner(&lua)?;
    Ok(FnVm {
        lua,
        generation,
        functions,
        run,
    })
}

pub fn fcall(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    fcall_generic(ctx, args, false)
}

pub fn fcall_ro(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    fcall_generic(ctx, args, true)
}

fn fcall_generic(ctx: &mut Ctx<'_>, args: &[Value], ro: bool) -> Value {
    let name = String::from_utf8_lossy(args[1].as_bytes().unwrap_or_default()).into_owned();
    let flags = {
        let libs = ctx.shared.keyspace.functions.read();
        match libs.function(&name) {
            Some((_, f)) => f.flags,
            None => return Value::error("ERR Function not found"),
        }
    };
    let (keys, argv) = match split_args(args) {
        Ok(split) => split,
        Err(e) => return e,
    };
    if ro && flags & NO_WRITES == 0 {
        return Value::error("ERR Can not execute a script with write flag using *_ro command.");
    }
    let read_only = flags & NO_WRITES != 0;
    let running = Running {
        started: Instant::now(),
        name: name.clone(),
        command: args.to_vec(),
        function: true,
    };
    run_exclusive(ctx, running, &mut |ctx, effects| {
        call_function(ctx, &name, &keys, &argv, read_only, effects)
    })
}

fn call_function(
    ctx: &mut Ctx<'_>,
    name: &str,
    keys: &[Bytes],
    argv: &[Bytes],
    read_only: bool,
    effects: &mut Vec<(usize, Vec<Value>)>,
) -> Value {
    let (generation, sources) = {
        let libs = ctx.shared.keyspace.functions.read();
        (libs.generation, libs.libs.clone())
    };
    FN_VM.with(|cell| {
        let mut slot = cell.borrow_mut();
        if slot.as_ref().is_none_or(|vm| vm.generation != generation) {
            let list: Vec<(String, Bytes)> = sources
                .values()
                .map(|l| (l.name.clone(), l.code.clone()))
                .collect();
            match build_vm(generation, &list) {
                Ok(vm) => *slot = Some(vm),
                Err(e) => {
                    return Value::error(format!("ERR cannot start the Lua interpreter: {e}"))
                }
            }
        }
        let Some(vm) = slot.as_ref() else {
            return Value::error("ERR cannot start the Lua interpreter");
        };
        let Some(func) = vm.functions.get(name) else {
            return Value::error("ERR Function not found");
        };
        let lua = &vm.lua;
        let mut state = CallState::new(ctx, effects, read_only);
        let result = (|| {
            let k = strings(lua, keys)?;
            let a = strings(lua, argv)?;
            let _current = Current::enter(&mut state);
            vm.run.call::<LuaValue>((func, k, a))
        })();
        super::scripting::VM_MEMORY.note(super::scripting::VmKind::Functions, lua.used_memory());
        outcome(result, state.call_line, name, "user_function")
    })
}

/// `FUNCTION <subcommand> …`.
pub fn function(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    let sub = &args[1];
    let n = args.len();
    // Only LOAD, DELETE, FLUSH and RESTORE change anything to log.
    ctx.log.skip = true;
    let wrong = || {
        Value::error(format!(
            "ERR wrong number of arguments for 'function|{}' command",
            String::from_utf8_lossy(sub.as_bytes().unwrap_or_default()).to_ascii_lowercase()
        ))
    };
    if is_word(sub, "LOAD") {
        let (replace, code) = match &args[2..] {
            [code] => (false, code),
            [opt, code] if is_word(opt, "REPLACE") => (true, code),
            [_, _] => {
                return Value::error(format!(
                    "ERR Unknown option given: {}",
                    printable(args[2].as_bytes().unwrap_or_default(), 64)
                ))
            }
            _ => return wrong(),
        };
        let code = Bytes::copy_from_slice(code.as_bytes().unwrap_or_default());
        let name = match library_name(&code) {
            Ok(name) => name,
            Err(e) => return e,
        };
        if !replace
            && ctx
                .shared
                .keyspace
                .functions
                .read()
                .libs
                .contains_key(&name)
        {
            return Value::error(format!("ERR Library '{name}' already exists"));
        }
        let lib = match compile(&code) {
            Ok(lib) => lib,
            Err(e) => return e,
        };
        let mut libs = ctx.shared.keyspace.functions.write();
        if let Err(e) = join(&mut libs, vec![lib], replace) {
            return e;
        }
        ctx.log.skip = false;
        Value::bulk(name)
    } else if is_word(sub, "DELETE") {
        if n != 3 {
            return wrong();
        }
        let name = String::from_utf8_lossy(args[2].as_bytes().unwrap_or_default()).into_owned();
        let mut libs = ctx.shared.keyspace.functions.write();
        if libs.libs.remove(&name).is_none() {
            return Value::error("ERR Library not found");
        }
        libs.generation += 1;
        ctx.log.skip = false;
        Value::ok()
    } else if is_word(sub, "FLUSH") {
        match &args[2..] {
            [] => {}
            [mode] if is_word(mode, "ASYNC") || is_word(mode, "SYNC") => {}
            [_] => return Value::error("ERR FUNCTION FLUSH only supports SYNC|ASYNC option"),
            _ => return wrong(),
        }
        let mut libs = ctx.shared.keyspace.functions.write();
        libs.libs.clear();
        libs.generation += 1;
        ctx.log.skip = false;
        Value::ok()
    } else if is_word(sub, "LIST") {
        list(ctx, &args[2..])
    } else if is_word(sub, "DUMP") {
        if n != 2 {
            return wrong();
        }
        Value::Bulk(dump(&ctx.shared.keyspace.functions.read()))
    } else if is_word(sub, "RESTORE") {
        if !(3..=4).contains(&n) {
            return wrong();
        }
        let policy = match args.get(3) {
            None => Policy::Append,
            Some(p) if is_word(p, "APPEND") => Policy::Append,
            Some(p) if is_word(p, "REPLACE") => Policy::Replace,
            Some(p) if is_word(p, "FLUSH") => Policy::Flush,
            Some(_) => return Value::error(
                "ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.",
            ),
        };
        let reply = restore(ctx, args[2].as_bytes().unwrap_or_default(), policy);
        ctx.log.skip = reply.is_error();
        reply
    } else if is_word(sub, "STATS") {
        if n != 2 {
            return wrong();
        }
        stats(ctx)
    } else if is_word(sub, "KILL") {
        if n != 2 {
            return wrong();
        }
        ctx.shared.script.kill(true)
    } else if is_word(sub, "HELP") {
        if n != 2 {
            return wrong();
        }
        Value::Array(HELP.iter().map(|l| Value::simple(l)).collect())
    } else {
        Value::error(format!(
            "ERR unknown subcommand '{}'. Try FUNCTION HELP.",
            printable(sub.as_bytes().unwrap_or_default(), 64)
        ))
    }
}

/// `FUNCTION LIST [LIBRARYNAME pattern] [WITHCODE]`.
fn list(ctx: &mut Ctx<'_>, opts: &[Value]) -> Value {
    let mut pattern = None;
    let mut with_code = false;
    let mut i = 0;
    while let Some(opt) = opts.get(i) {
        if is_word(opt, "WITHCODE") && !with_code {
            with_code = true;
        } else if is_word(opt, "LIBRARYNAME") && pattern.is_none() {
            i += 1;
            match opts.get(i) {
                Some(p) => pattern = Some(p.as_bytes().unwrap_or_default().to_vec()),
                None => return Value::error("ERR library name argument was not given"),
            }
        } else {
            return Value::error(format!(
                "ERR Unknown argument {}",
                printable(opt.as_bytes().unwrap_or_default(), 64)
            ));
        }
        i += 1;
    }
    let session = &*ctx.session;
    let resp3 = session.resp3;
    let libs = ctx.shared.keyspace.functions.read();
    let mut out = Vec::new();
    for lib in libs.libs.values() {
        if pattern
            .as_ref()
            .is_some_and(|p| !glob::matches(p, lib.name.as_bytes()))
        {
            continue;
        }
        let functions = lib
            .functions
            .iter()
            .map(|f| {
                let flags: Vec<Value> = FLAGS
                    .iter()
                    .filter(|(b, _)| f.flags & b != 0)
                    .map(|(_, n)| Value::simple(n))
                    .collect();
                reply_map(
                    session,
                    vec![
                        (Value::bulk("name"), Value::bulk(f.name.clone())),
                        (
                            Value::bulk("description"),
                            f.description.clone().map_or(Value::Null, Value::Bulk),
                        ),
                        (
                            Value::bulk("flags"),
                            if resp3 {
                                Value::Set(flags)
                            } else {
                                Value::Array(flags)
                            },
                        ),
                    ],
                )
            })
            .collect();
        let mut fields = vec![
            (Value::bulk("library_name"), Value::bulk(lib.name.clone())),
            (Value::bulk("engine"), Value::bulk("LUA")),
            (Value::bulk("functions"), Value::Array(functions)),
        ];
        if with_code {
            fields.push((Value::bulk("library_code"), Value::Bulk(lib.code.clone())));
        }
        out.push(reply_map(session, fields));
    }
    Value::Array(out)
}

/// `FUNCTION STATS`: the running function, if any, and the counts.
fn stats(ctx: &mut Ctx<'_>) -> Value {
    let session = &*ctx.session;
    let running = match ctx.shared.script.running() {
        Some(r) if r.function => reply_map(
            session,
            vec![
                (Value::bulk("name"), Value::bulk(r.name)),
                (Value::bulk("command"), Value::Array(r.command)),
                (
                    Value::bulk("duration_ms"),
                    Value::Integer(r.started.elapsed().as_millis() as i64),
                ),
            ],
        ),
        _ => Value::Null,
    };
    let libs = ctx.shared.keyspace.functions.read();
    let functions: usize = libs.libs.values().map(|l| l.functions.len()).sum();
    let lua = reply_map(
        session,
        vec![
            (
                Value::bulk("libraries_count"),
                Value::Integer(libs.libs.len() as i64),
            ),
            (
                Value::bulk("functions_count"),
                Value::Integer(functions as i64),
            ),
        ],
    );
    reply_map(
        session,
        vec![
            (Value::bulk("running_script"), running),
            (
                Value::bulk("engines"),
                reply_map(session, vec![(Value::bulk("LUA"), lua)]),
            ),
        ],
    )
}

/// The payload of `FUNCTION DUMP`: a magic, each library's source with
/// its length, and a checksum of everything before it.
const DUMP_MAGIC: &[u8; 4] = b"KVF1";

fn dump(libs: &Libraries) -> Bytes {
    let mut out = DUMP_MAGIC.to_vec();
    for lib in libs.libs.values() {
        out.extend_from_slice(&(lib.code.len() as u64).to_le_bytes());
        out.extend_from_slice(&lib.code);
    }
    let sum = crc32fast::hash(&out);
    out.extend_from_slice(&sum.to_le_bytes());
    Bytes::from(out)
}

/// The sources in a `FUNCTION DUMP` payload, or `None` if it is not one.
fn undump(payload: &[u8]) -> Option<Vec<Bytes>> {
    let split = payload.len().checked_sub(4)?;
    let (body, sum) = payload.split_at(split);
    if crc32fast::hash(body).to_le_bytes() != sum || !body.starts_with(DUMP_MAGIC) {
        return None;
    }
    let mut rest = &body[DUMP_MAGIC.len()..];
    let mut out = Vec::new();
    while !rest.is_empty() {
        let len = u64::from_le_bytes(rest.get(..8)?.try_into().ok()?);
        let code = rest.get(8..8usize.checked_add(usize::try_from(len).ok()?)?)?;
        out.push(Bytes::copy_from_slice(code));
        rest = &rest[8 + code.len()..];
    }
    Some(out)
}

#[derive(PartialEq)]
enum Policy {
    Append,
    Replace,
    Flush,
}

/// `FUNCTION RESTORE payload [FLUSH|APPEND|REPLACE]`: all or nothing.
fn restore(ctx: &mut Ctx<'_>, payload: &[u8], policy: Policy) -> Value {
    let Some(sources) = undump(payload) else {
        return Value::error("ERR DUMP payload version or checksum are wrong");
    };
    let mut compiled = Vec::with_capacity(sources.len());
    for code in &sources {
        match compile(code) {
            Ok(lib) => compiled.push(lib),
            Err(e) => return e,
        }
    }
    let mut libs = ctx.shared.keyspace.functions.write();
    let mut next = Libraries {
        generation: libs.generation,
        libs: if policy == Policy::Flush {
            Default::default()
        } else {
            libs.libs.clone()
        },
    };
    if let Err(e) = join(&mut next, compiled, policy == Policy::Replace) {
        return e;
    }
    *libs = next;
    Value::ok()
}

const HELP: &[&str] = &[
    "FUNCTION <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "LOAD [REPLACE] <FUNCTION CODE>",
    "    Create a new library with the given library name and code.",
    "DELETE <LIBRARY NAME>",
    "    Delete the given library.",
    "LIST [LIBRARYNAME PATTERN] [WITHCODE]",
    "    Return general information on all the libraries:",
    "    * Library name",
    "    * The engine used to run the Library",
    "    * Library description",
    "    * Functions list",
    "    * Library code (if WITHCODE is given)",
    "    It also possible to get only function that matches a pattern using LIBRARYNAME argument.",
    "STATS",
    "    Return information about the current function running:",
    "    * Function name",
    "    * Command used to run the function",
    "    * Duration in MS that the function is running",
    "    If no function is running, return nil",
    "    In addition, returns a list of available engines.",
    "KILL",
    "    Kill the current running function.",
    "FLUSH [ASYNC|SYNC]",
    "    Delete all the libraries.",
    "    When called without the optional mode argument, the behavior is determined by the",
    "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
    "    * ASYNC: Asynchronously flush the libraries.",
    "    * SYNC: Synchronously flush the libraries.",
    "DUMP",
    "    Return a serialized payload representing the current libraries, can be restored using FUNCTION RESTORE command",
    "RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
    "    Restore the libraries represented by the given payload, it is possible to give a restore policy to",
    "    control how to handle existing libraries (default APPEND):",
    "    * FLUSH: delete all existing libraries.",
    "    * APPEND: appends the restored libraries to the existing libraries. On collision, abort.",
    "    * REPLACE: appends the restored libraries to the existing libraries, On collision, replace the old",
    "      libraries with the new libraries (notice that even on this option there is a chance of failure",
    "      in case of functions name collision with another library).",
    "HELP",
    "    Prints this help.",
];
