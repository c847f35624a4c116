//! The scripting family: EVAL, EVALSHA, EVAL_RO, EVALSHA_RO and SCRIPT.
//!
//! Scripts are Lua 5.1 (built from source with mlua), as in Redis. Each
//! worker thread keeps one interpreter, sandboxed once as Redis 7's: no
//! `os`, `io`, `debug`, `package`, no files, source text only for `load`
//! and `loadstring`, read-only library tables (Redis's `cjson`,
//! `cmsgpack`, `bit` and `struct` among them, see lua_libs.rs), and
//! globals can be neither created nor read when they do not exist. A
//! script runs alone:
//! like EXEC, it holds the gate exclusively, since the keys it touches are
//! known only as it runs. `redis.call` runs a command through the same
//! table as a client's. With the append-only file on, what the script did
//! is logged (its writes' own records, between MULTI and EXEC), so replay
//! never depends on the script, the time or randomness.

use std::cell::RefCell;
use std::time::{Duration, Instant};

use bytes::Bytes;
use kvstore_protocol::Value;
use mlua::{Lua, LuaOptions, StdLib, Table, Value as LuaValue};
use sha1::{Digest, Sha1};

use super::lua_libs::{self, first_line};
use super::table::acl::*;
use super::table::flags::*;
use super::table::NONE;
use super::{
    integer, is_word, lua_bit, lua_call, lua_cjson, lua_msgpack, lua_struct, Command, Ctx,
};
use crate::state::script::Running;
use crate::state::Log;

pub static COMMANDS: &[Command] = &[
    Command::new("eval", -3, NOSCRIPT | OWN_GATE, SCRIPTING, NONE, eval).doc(
        "scripting",
        "Runs a Lua script.",
        "script numkeys [arg ...]",
    ),
    Command::new("evalsha", -3, NOSCRIPT | OWN_GATE, SCRIPTING, NONE, evalsha).doc(
        "scripting",
        "Runs a Lua script loaded before, by its SHA1 digest.",
        "sha1 numkeys [arg ...]",
    ),
    Command::new("eval_ro", -3, NOSCRIPT | OWN_GATE, SCRIPTING, NONE, eval_ro).doc(
        "scripting",
        "Runs a read-only Lua script.",
        "script numkeys [arg ...]",
    ),
    Command::new(
        "evalsha_ro",
        -3,
        NOSCRIPT | OWN_GATE,
        SCRIPTING,
        NONE,
        evalsha_ro,
    )
    .doc(
        "scripting",
        "Runs a read-only Lua script loaded before, by its SHA1 digest.",
        "sha1 numkeys [arg ...]",
    ),
    Command::new("script", -2, NOSCRIPT, SCRIPTING, NONE, script).doc(
        "scripting",
        "Loads, checks for and flushes Lua scripts.",
        "",
    ),
];

/// The lowercase hex SHA1 of `body`, the name a script goes by.
pub fn sha1_hex(body: &[u8]) -> String {
    let digest = Sha1::digest(body);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// What `redis.call` works on while a script runs.
pub(super) struct CallState<'c, 'a> {
    pub ctx: &'c mut Ctx<'a>,
    pub effects: &'c mut Vec<(usize, Vec<Value>)>,
    pub read_only: bool,
    /// Where a redis.call that failed was called from, for the error.
    pub call_line: Option<usize>,
    /// When the script started and how long it may run before other
    /// clients are told it is busy.
    pub started: Instant,
    pub threshold: Duration,
    /// Set by `redis.setresp(3)`: redis.call gets RESP3 replies, converted
    /// to Lua as Redis documents (`{map=…}`, `{set=…}`, `{double=…}`,
    /// booleans, nil).
    pub resp3: bool,
    /// Whether the worker's other tasks have been handed to another
    /// thread (see `super::leave_worker`).
    pub left_worker: bool,
    /// When to try that again, after a try that could not tell.
    pub leave_again: Option<Instant>,
}

impl<'c, 'a> CallState<'c, 'a> {
    pub fn new(
        ctx: &'c mut Ctx<'a>,
        effects: &'c mut Vec<(usize, Vec<Value>)>,
        read_only: bool,
    ) -> Self {
        let threshold = Duration::from_millis(ctx.shared.config.read().busy_reply_threshold);
        CallState {
            ctx,
            effects,
            read_only,
            call_line: None,
            resp3: false,
            left_worker: false,
            leave_again: None,
            started: Instant::now(),
            threshold,
        }
    }
}

/// How many Lua instructions run between two looks at the clock and the
/// kill flag: rare enough to cost nothing, often enough to stop promptly.
const HOOK_EVERY: u32 = 10_000;

/// How long a script waits before trying again to hand its worker's other
/// tasks over (each try may stall it for up to 2 ms).
const LEAVE_AGAIN: Duration = Duration::from_millis(100);

/// Installs the hook that marks a long script busy and stops a killed one.
pub(super) fn install_hook(lua: &Lua) -> mlua::Result<()> {
    lua.set_hook(
        mlua::HookTriggers::new().every_nth_instruction(HOOK_EVERY),
        |_lua, debug| {
            let p = CURRENT.with(|c| c.get());
            if p.is_null() {
                // A function library loading: it has a deadline.
                if LOAD_DEADLINE
                    .with(|d| d.get())
                    .is_some_and(|d| Instant::now() >= d)
                {
                    return Err(mlua::Error::runtime("FUNCTION LOAD timeout"));
                }
                return Ok(mlua::VmState::Continue);
            }
            // SAFETY: as in `redis_call`: set by `Current::enter` for the
            // length of the call, on this thread; a hook runs between Lua
            // instructions, never while redis.call holds the state.
            let state = unsafe { &mut *(p as *mut CallState<'_, '_>) };
            // Long enough already: a script that reaches its first tick
            // is rare, and runs far longer than the hand-over takes.
            if !state.left_worker && state.leave_again.is_none_or(|t| Instant::now() >= t) {
                state.left_worker = super::leave_worker();
                state.leave_again = Some(Instant::now() + LEAVE_AGAIN);
            }
            let script = &state.ctx.shared.script;
            if !script.busy() && state.started.elapsed() >= state.threshold {
                script.set_busy();
            }
            if script.kill_requested() {
                state.call_line = Some(debug.current_line().unwrap_or(1).max(1));
                return Err(mlua::Error::runtime(
                    "ERR Script killed by user with SCRIPT KILL...",
                ));
            }
            Ok(mlua::VmState::Continue)
        },
    )
}

thread_local! {
    /// The call state of the script running on this thread, if one is:
    /// `redis.call` and `redis.pcall` are made once per interpreter and find
    /// their connection here, rather than being made anew for every script
    /// (which costs more than a short script itself).
    static CURRENT: std::cell::Cell<*mut ()> = const { std::cell::Cell::new(std::ptr::null_mut()) };
}

thread_local! {
    /// When the function library loading on this thread must stop.
    pub(super) static LOAD_DEADLINE: std::cell::Cell<Option<Instant>> =
        const { std::cell::Cell::new(None) };
}

/// Sets [`CURRENT`] for as long as it lives.
pub(super) struct Current;

impl Current {
    pub fn enter(state: &mut CallState<'_, '_>) -> Current {
        CURRENT.with(|c| c.set(state as *mut CallState<'_, '_> as *mut ()));
        Current
    }
}

impl Drop for Current {
    fn drop(&mut self) {
        CURRENT.with(|c| c.set(std::ptr::null_mut()));
    }
}

/// The running script's call state (None outside a script).
pub(super) fn current_state<'s>() -> Option<&'s mut CallState<'s, 's>> {
    let p = CURRENT.with(|c| c.get());
    // SAFETY: as in `redis_call`: set by `Current::enter` for the length
    // of the call, on this thread; the caller uses it only within the
    // Rust callback it was called from.
    (!p.is_null()).then(|| unsafe { &mut *(p as *mut CallState<'_, '_>) })
}

/// An error raised by a `redis` function, reported as Redis reports them:
/// the message as given, where the script called it.
fn redis_lib_error(lua: &Lua, msg: &str) -> mlua::Error {
    if let Some(state) = current_state() {
        state.call_line = Some(script_line(lua));
    }
    mlua::Error::runtime(msg)
}

/// `redis.setresp(2|3)`: the protocol of the replies redis.call converts.
fn set_resp(lua: &Lua, args: mlua::MultiValue) -> mlua::Result<()> {
    if args.len() != 1 {
        return Err(redis_lib_error(
            lua,
            "ERR redis.setresp() requires one argument.",
        ));
    }
    match lua.coerce_number(args[0].clone()).ok().flatten() {
        Some(v) if v == 2.0 || v == 3.0 => {
            if let Some(state) = current_state() {
                state.resp3 = v == 3.0;
            }
            Ok(())
        }
        _ => Err(redis_lib_error(lua, "ERR RESP version must be 2 or 3.")),
    }
}

/// `redis.set_repl(flags)`: checked as Redis checks it. What a script
/// wrote is always logged here (the append-only file holds effects, and
/// there are no replicas), so the flags change nothing.
fn set_repl(lua: &Lua, args: mlua::MultiValue) -> mlua::Result<()> {
    if args.len() != 1 {
        return Err(redis_lib_error(
            lua,
            "ERR redis.set_repl() requires two arguments.",
        ));
    }
    match lua.coerce_number(args[0].clone()).ok().flatten() {
        Some(v) if (0.0..=3.0).contains(&v) => Ok(()),
        _ => Err(redis_lib_error(
            lua,
            "ERR Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.",
        )),
    }
}

/// `redis.acl_check_cmd(cmd, ...)`: whether the script's user may run
/// the command with these arguments (keys and channels included).
fn acl_check_cmd(lua: &Lua, args: mlua::MultiValue) -> mlua::Result<bool> {
    let Some(first) = args.front() else {
        return Err(redis_lib_error(
            lua,
            "ERR Please specify at least one argument for this redis lib call",
        ));
    };
    let name = match first {
        LuaValue::String(s) => s.as_bytes().to_vec(),
        _ => Vec::new(),
    };
    let Some(cmd) = super::lookup(&name) else {
        return Err(redis_lib_error(
            lua,
            "ERR Invalid command passed to redis.acl_check_cmd()",
        ));
    };
    let words: Vec<Value> = args
        .iter()
        .map(|a| match a {
            LuaValue::String(s) => Value::Bulk(Bytes::copy_from_slice(&s.as_bytes())),
            LuaValue::Integer(i) => Value::Bulk(Bytes::from(i.to_string())),
            LuaValue::Number(n) => Value::Bulk(Bytes::from(lua_number(*n))),
            _ => Value::Bulk(Bytes::new()),
        })
        .collect();
    Ok(current_state().is_none_or(|state| super::acl::may_run(state.ctx, cmd, &words)))
}

/// `REDIS_VERSION_NUM`: the version as 0xMMmmpp.
fn version_num(version: &str) -> i64 {
    version
        .split('.')
        .take(3)
        .fold(0, |acc, part| (acc << 8) | part.parse::<i64>().unwrap_or(0))
}

/// A Lua array of strings.
pub(super) fn strings(lua: &Lua, items: &[Bytes]) -> mlua::Result<Table> {
    let t = lua.create_table_with_capacity(items.len(), 0)?;
    for (i, item) in items.iter().enumerate() {
        t.raw_set(i + 1, lua.create_string(item)?)?;
    }
    Ok(t)
}

/// Sets the global `name` to a new array of `items`, directly on the
/// stack: through mlua's tables it cost more than the script it set up
/// (a reference slot per value, the names made into Lua strings anew).
/// Nothing here can raise: the key is a string, the globals' metatable
/// is bypassed, and the interpreter has no memory limit (its allocator
/// aborts rather than fail).
///
/// # Safety
/// `state` is the main state of a Lua not running anything.
unsafe fn set_global_array(
    state: *mut mlua::ffi::lua_State,
    name: &std::ffi::CStr,
    items: &[Bytes],
) -> bool {
    use mlua::ffi;
    // SAFETY: the caller's contract; three slots are made sure of and
    // the stack is left as it was.
    unsafe {
        if ffi::lua_checkstack(state, 3) == 0 {
            return false;
        }
        ffi::lua_pushstring(state, name.as_ptr());
        ffi::lua_createtable(state, i32::try_from(items.len()).unwrap_or(0), 0);
        for (i, item) in items.iter().enumerate() {
            ffi::lua_pushlstring(state, item.as_ptr().cast(), item.len());
            ffi::lua_rawseti_(state, -2, i32::try_from(i + 1).unwrap_or(i32::MAX));
        }
        ffi::lua_rawset(state, ffi::LUA_GLOBALSINDEX);
        true
    }
}

/// One sandboxed interpreter per worker thread, with the scripts it has
/// compiled, by SHA1.
struct Vm {
    lua: Lua,
    /// hashbrown's hasher: SipHash costs more than the rest of the
    /// lookup on a short EVALSHA.
    compiled: hashbrown::HashMap<String, mlua::Function>,
    /// Runs a compiled script so that an error table it raises keeps its
    /// `err` text (see `lua_libs::protected_runner`).
    run: mlua::Function,
}

thread_local! {
    static VM: RefCell<Option<Vm>> = const { RefCell::new(None) };
    /// What this thread's interpreters took when last measured, by kind.
    static VM_NOTED: std::cell::Cell<[usize; 2]> = const { std::cell::Cell::new([0, 0]) };
}

/// The interpreters, for `INFO memory`'s `used_memory_vm_eval` and
/// `used_memory_vm_functions`.
#[derive(Clone, Copy)]
pub enum VmKind {
    Eval = 0,
    Functions = 1,
}

/// Memory the Lua interpreters of every thread take, as each thread last
/// measured its own after running a script (each thread has its own).
pub struct VmMemory([std::sync::atomic::AtomicIsize; 2]);

pub static VM_MEMORY: VmMemory = VmMemory([
    std::sync::atomic::AtomicIsize::new(0),
    std::sync::atomic::AtomicIsize::new(0),
]);

impl VmMemory {
    /// This thread's interpreter of `kind` now takes `bytes`.
    pub fn note(&self, kind: VmKind, bytes: usize) {
        let _ = VM_NOTED.try_with(|noted| {
            let mut all = noted.get();
            let before = std::mem::replace(&mut all[kind as usize], bytes);
            noted.set(all);
            if before != bytes {
                self.0[kind as usize].fetch_add(
                    bytes as isize - before as isize,
                    std::sync::atomic::Ordering::Relaxed,
                );
            }
        });
    }

    pub fn get(&self, kind: VmKind) -> usize {
        self.0[kind as usize]
            .load(std::sync::atomic::Ordering::Relaxed)
            .max(0) as usize
    }
}

/// A sandboxed interpreter with the `redis` table (shared by scripts and
/// functions).
pub(super) fn new_lua() -> mlua::Result<Lua> {
    let libs = StdLib::TABLE | StdLib::STRING | StdLib::MATH;
    let lua = Lua::new_with(libs, LuaOptions::default())?;
    let globals = lua.globals();
    // What the base library would let a script reach outside its sandbox
    // (Redis 7 keeps load, loadstring, collectgarbage and gcinfo).
    for name in [
        "dofile", "loadfile", "setfenv", "getfenv", "newproxy", "module", "require", "print",
    ] {
        globals.raw_set(name, LuaValue::Nil)?;
    }
    lua.load(TEXT_ONLY_LOADERS)
        .set_name("=sandbox")
        .set_mode(mlua::prelude::LuaChunkMode::Text)
        .exec()?;
    install_libraries(&lua, &globals)?;
    let redis = lua.create_table()?;
    redis.raw_set("REDIS_VERSION", super::server::REDIS_COMPAT_VERSION)?;
    redis.raw_set("LOG_DEBUG", 0)?;
    redis.raw_set("LOG_VERBOSE", 1)?;
    redis.raw_set("LOG_NOTICE", 2)?;
    redis.raw_set("LOG_WARNING", 3)?;
    redis.raw_set(
        "error_reply",
        lua.create_function(|lua, msg: mlua::LuaString| reply_table(lua, "err", msg))?,
    )?;
    redis.raw_set(
        "status_reply",
        lua.create_function(|lua, msg: mlua::LuaString| reply_table(lua, "ok", msg))?,
    )?;
    redis.raw_set(
        "sha1hex",
        lua.create_function(|_, s: mlua::LuaString| Ok(sha1_hex(&s.as_bytes())))?,
    )?;
    redis.raw_set(
        "log",
        lua.create_function(|_, (_level, msg): (i64, mlua::LuaString)| {
            tracing::info!("script: {}", String::from_utf8_lossy(&msg.as_bytes()));
            Ok(())
        })?,
    )?;
    redis.raw_set(
        "setresp",
        super::lua_libs::create(&lua, |lua, args| {
            Ok(set_resp(lua, args).map(|()| mlua::MultiValue::new())?)
        })?,
    )?;
    redis.raw_set(
        "REDIS_VERSION_NUM",
        version_num(super::server::REDIS_COMPAT_VERSION),
    )?;
    redis.raw_set("REPL_NONE", 0)?;
    redis.raw_set("REPL_AOF", 1)?;
    redis.raw_set("REPL_SLAVE", 2)?;
    redis.raw_set("REPL_REPLICA", 2)?;
    redis.raw_set("REPL_ALL", 3)?;
    redis.raw_set(
        "set_repl",
        super::lua_libs::create(&lua, |lua, args| {
            Ok(set_repl(lua, args).map(|()| mlua::MultiValue::new())?)
        })?,
    )?;
    // Effects are what is logged, always: nothing to switch on.
    redis.raw_set(
        "replicate_commands",
        lua.create_function(|_, _: mlua::MultiValue| Ok(true))?,
    )?;
    redis.raw_set(
        "acl_check_cmd",
        super::lua_libs::create(&lua, |lua, args| {
            Ok(mlua::MultiValue::from_iter([LuaValue::Boolean(
                acl_check_cmd(lua, args)?,
            )]))
        })?,
    )?;
    // The Lua debugger is not there: as in Redis outside a debugging
    // session, these do nothing.
    redis.raw_set(
        "breakpoint",
        lua.create_function(|_, _: mlua::MultiValue| Ok(false))?,
    )?;
    redis.raw_set(
        "debug",
        lua.create_function(|_, _: mlua::MultiValue| Ok(()))?,
    )?;
    // C functions over the stack (lua_call.rs): a failed redis.call raises
    // a Lua string, which is what `pcall(redis.call, …)` gives a script in
    // Redis.
    // SAFETY: both follow the C function protocol (see lua_call.rs).
    unsafe {
        redis.raw_set("call", lua.create_c_function(lua_call::call_raising)?)?;
        redis.raw_set("pcall", lua.create_c_function(lua_call::call_protected)?)?;
    }
    globals.raw_set("redis", redis)?;
    // Library tables are read-only, as in Redis 7: the interpreter is
    // shared by every script on this thread, so one that replaced
    // `string.format` or `cjson.encode` would change them for the rest.
    // Lua 5.1 has no read-only tables: each global library becomes an
    // empty table that reads through to it and refuses writes (so
    // `pairs(string)` finds nothing, unlike Redis).
    let readonly = super::lua_libs::create(&lua, refuse_global)?;
    for name in [
        "string",
        "math",
        "table",
        "coroutine",
        "cjson",
        "cmsgpack",
        "bit",
        "struct",
        "redis",
    ] {
        let real: Table = globals.raw_get(name)?;
        let meta = lua.create_table()?;
        meta.raw_set("__index", real)?;
        meta.raw_set("__newindex", readonly.clone())?;
        // getmetatable gives this, not the table that holds the library.
        meta.raw_set("__metatable", false)?;
        let proxy = lua.create_table()?;
        proxy.set_metatable(Some(meta))?;
        globals.raw_set(name, proxy)?;
    }
    // From here on, a script may neither create a global nor read one
    // that does not exist (Redis's messages).
    let guard = lua.create_table()?;
    guard.raw_set("__newindex", super::lua_libs::create(&lua, refuse_global)?)?;
    guard.raw_set("__index", super::lua_libs::create(&lua, missing_global)?)?;
    globals.set_metatable(Some(guard))?;
    install_hook(&lua)?;
    Ok(lua)
}

/// `load` and `loadstring` that read source text only: compiled chunks
/// can crash the interpreter. Redis's Lua reads a compiled chunk as text,
/// failing on its first byte; a space in front gives the same error.
const TEXT_ONLY_LOADERS: &str = r#"
local loadstring, type, byte, concat = loadstring, type, string.byte, table.concat
local error = error
_G.loadstring = function(s, name)
  if type(s) == "string" and byte(s, 1) == 27 then
    return loadstring(" " .. s, name or s)
  end
  return loadstring(s, name)
end
local text = _G.loadstring
_G.load = function(reader, name)
  local parts = {}
  while true do
    local piece = reader()
    if piece == nil or piece == "" then break end
    if type(piece) ~= "string" then
      error("reader function must return a string", 0)
    end
    parts[#parts + 1] = piece
  end
  return text(concat(parts), name or "=(load)")
end
"#;

/// A script's source as compiled: a compiled chunk's escape byte gets a
/// space in front, so it fails as text (see [`TEXT_ONLY_LOADERS`]).
pub(super) fn source_text(body: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    if body.first() == Some(&27) {
        let mut spaced = Vec::with_capacity(body.len() + 1);
        spaced.push(b' ');
        spaced.extend_from_slice(body);
        std::borrow::Cow::Owned(spaced)
    } else {
        std::borrow::Cow::Borrowed(body)
    }
}

/// `__newindex` of the globals: no script creates one (Redis's message,
/// raised as a Lua string, positioned where the assignment is).
fn refuse_global(
    _lua: &Lua,
    _args: mlua::MultiValue,
) -> super::lua_libs::LibResult<mlua::MultiValue> {
    Err(super::lua_libs::Fail::new(
        "Attempt to modify a readonly table",
    ))
}

/// `__index` of the globals: reading one that does not exist fails.
fn missing_global(
    _lua: &Lua,
    args: mlua::MultiValue,
) -> super::lua_libs::LibResult<mlua::MultiValue> {
    let name = match args.get(1) {
        Some(LuaValue::String(s)) => String::from_utf8_lossy(&s.as_bytes()).into_owned(),
        _ => "?".to_string(),
    };
    Err(super::lua_libs::Fail::new(format!(
        "Script attempted to access nonexistent global variable '{name}'"
    )))
}

fn new_vm() -> mlua::Result<Vm> {
    let lua = new_lua()?;
    let run = super::lua_libs::protected_runner(&lua)?;
    Ok(Vm {
        lua,
        compiled: hashbrown::HashMap::new(),
        run,
    })
}

/// The line of the script that called into Rust (Redis reports it).
pub(super) fn script_line(lua: &Lua) -> usize {
    // The first Lua frame: C frames (lua_libs's wrapper around redis.call)
    // have no line.
    (1..=3)
        .find_map(|level| lua.inspect_stack(level, |d| d.current_line()).flatten())
        .unwrap_or(1)
}

pub(super) fn reply_table(lua: &Lua, field: &str, msg: mlua::LuaString) -> mlua::Result<Table> {
    let t = lua.create_table()?;
    t.raw_set(field, msg)?;
    Ok(t)
}

/// Arguments after the script: `numkeys`, then keys, then the rest.
pub(super) fn split_args(args: &[Value]) -> Result<(Vec<Bytes>, Vec<Bytes>), Value> {
    let n = integer(&args[2])?;
    if n < 0 {
        return Err(Value::error("ERR Number of keys can't be negative"));
    }
    let rest = &args[3..];
    if n as u64 > rest.len() as u64 {
        return Err(Value::error(
            "ERR Number of keys can't be greater than number of args",
        ));
    }
    // The request's own bytes, shared rather than copied.
    let text = |v: &Value| match v {
        Value::Integer(i) => Bytes::from(i.to_string()),
        Value::Bulk(b) | Value::Simple(b) => b.clone(),
        other => Bytes::copy_from_slice(other.as_bytes().unwrap_or_default()),
    };
    let (keys, argv) = rest.split_at(n as usize);
    Ok((
        keys.iter().map(text).collect(),
        argv.iter().map(text).collect(),
    ))
}

fn scripts_key(body: &[u8]) -> String {
    sha1_hex(body)
}

pub fn eval(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    eval_body(ctx, args, false)
}

pub fn eval_ro(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    eval_body(ctx, args, true)
}

/// EVAL and EVAL_RO: the body is cached under its SHA1, then run as
/// EVALSHA runs it.
fn eval_body(ctx: &mut Ctx<'_>, args: &[Value], read_only: bool) -> Value {
    let body = args[1].as_bytes().unwrap_or_default().to_vec();
    let sha = scripts_key(&body);
    ctx.shared
        .scripts
        .lock()
        .insert(sha.clone(), Bytes::from(body));
    run_script(ctx, &sha, args, read_only)
}

pub fn evalsha(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    let sha = sha_name(args[1].as_bytes().unwrap_or_default());
    run_script(ctx, &sha, args, false)
}

pub fn evalsha_ro(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    let sha = sha_name(args[1].as_bytes().unwrap_or_default());
    run_script(ctx, &sha, args, true)
}

/// The name a client gave a script, lower-cased; borrowed when it already
/// is lower case and text (as clients send it), with no copy.
fn sha_name(given: &[u8]) -> std::borrow::Cow<'_, str> {
    match std::str::from_utf8(given) {
        Ok(s) if !given.iter().any(u8::is_ascii_uppercase) => std::borrow::Cow::Borrowed(s),
        Ok(s) => std::borrow::Cow::Owned(s.to_ascii_lowercase()),
        Err(_) => std::borrow::Cow::Owned(String::from_utf8_lossy(given).to_ascii_lowercase()),
    }
}

/// Runs the script named `sha` alone, logging its effects.
fn run_script(ctx: &mut Ctx<'_>, sha: &str, args: &[Value], read_only: bool) -> Value {
    let (keys, argv) = match split_args(args) {
        Ok(split) => split,
        Err(e) => return e,
    };
    let Some(body) = ctx.shared.scripts.lock().get(sha).cloned() else {
        return Value::error("NOSCRIPT No matching script. Please use EVAL.");
    };
    // Only a function's command is ever shown (FUNCTION STATS): a
    // script's is not kept.
    let running = Running {
        started: Instant::now(),
        name: String::new(),
        command: Vec::new(),
        function: false,
    };
    run_exclusive(ctx, running, &mut |ctx, effects| {
        call_vm(ctx, sha, &body, &keys, &argv, read_only, effects)
    })
}

/// What runs a script once the gate is held: the connection and where to
/// put the effects to log.
pub(super) type Body<'b> = dyn FnMut(&mut Ctx<'_>, &mut Vec<(usize, Vec<Value>)>) -> Value + 'b;

/// Runs `body` alone (the gate held exclusively), as the running script
/// other clients see, and logs its effects.
pub(super) fn run_exclusive(ctx: &mut Ctx<'_>, running: Running, body: &mut Body<'_>) -> Value {
    let shared = ctx.shared;
    let Some(_alone) = shared
        .keyspace
        .gate
        .exclusive_unless(&|| shared.script.busy())
    else {
        return shared.script.busy_reply();
    };
    shared.script.start(running);
    // A SELECT inside the script is the script's own (as in Redis).
    let db = ctx.session.db;
    // Run here, on the worker: a script that turns out to be long hands
    // the worker's other tasks to another thread from its instruction
    // hook (`super::leave_worker`), so that they can be told -BUSY or
    // send SCRIPT KILL.
    let reply = run_alone(ctx, body);
    ctx.session.db = db;
    shared.script.finish();
    reply
}

/// [`run_exclusive`] once the gate is held.
fn run_alone(ctx: &mut Ctx<'_>, body: &mut Body<'_>) -> Value {
    let shared = ctx.shared;
    if !shared.persist.tracks_writes() {
        let mut effects = Vec::new();
        let reply = body(ctx, &mut effects);
        ctx.log.records.clear();
        return reply;
    }
    let (reply, wait) = shared.persist.write(&mut |log: &mut Log| {
        let mut effects = Vec::new();
        let start_db = ctx.session.db;
        let reply = body(ctx, &mut effects);
        if !effects.is_empty() {
            log.push(start_db, vec![Value::bulk("MULTI")]);
            log.records.append(&mut effects);
            log.push(ctx.session.db, vec![Value::bulk("EXEC")]);
        }
        ctx.log.records.clear();
        // The effects are logged even if the script failed after making
        // them: they happened (as in Redis, a script is not rolled back).
        if reply.is_error() && !log.records.is_empty() {
            return Value::Array(vec![reply]);
        }
        reply
    });
    if wait != 0 {
        ctx.session.aof_wait = wait;
    }
    // Undo the wrapping that kept a failed script's effects in the log.
    match reply {
        Value::Array(mut one) if one.len() == 1 && one[0].is_error() => one.remove(0),
        other => other,
    }
}

/// Compiles (once per thread) and runs the script, with `redis.call` and
/// `redis.pcall` bound to this connection for the length of the call.
#[allow(clippy::too_many_arguments)]
fn call_vm(
    ctx: &mut Ctx<'_>,
    sha: &str,
    body: &[u8],
    keys: &[Bytes],
    argv: &[Bytes],
    read_only: bool,
    effects: &mut Vec<(usize, Vec<Value>)>,
) -> Value {
    VM.with(|cell| {
        let mut slot = cell.borrow_mut();
        if slot.is_none() {
            match new_vm() {
                Ok(vm) => *slot = Some(vm),
                Err(e) => {
                    return Value::error(format!("ERR cannot start the Lua interpreter: {e}"))
                }
            }
        }
        let Some(vm) = slot.as_mut() else {
            return Value::error("ERR cannot start the Lua interpreter");
        };
        // One lookup when the script is compiled already (the EVALSHA hot
        // path). Borrowed, not cloned: a clone of a Lua function takes a
        // new registry slot every time.
        let func = match vm.compiled.get(sha) {
            Some(f) => f,
            None => match vm
                .lua
                .load(&*source_text(body))
                .set_name("@user_script")
                .set_mode(mlua::prelude::LuaChunkMode::Text)
                .into_function()
            {
                Ok(f) => &*vm.compiled.entry(sha.to_string()).or_insert(f),
                Err(e) => {
                    return Value::error(format!(
                        "ERR Error compiling script (new function): {}",
                        first_line(&e)
                    ))
                }
            },
        };
        let mut state = CallState::new(ctx, effects, read_only);
        let lua = &vm.lua;
        // SAFETY: outside any call into Lua, the state's stack is ours.
        unsafe {
            let raw = lua.state();
            if !(set_global_array(raw, c"KEYS", keys) && set_global_array(raw, c"ARGV", argv)) {
                return Value::error("ERR reached lua stack limit");
            }
        }
        let result = {
            let _current = Current::enter(&mut state);
            vm.run.call::<LuaValue>(func)
        };
        VM_MEMORY.note(VmKind::Eval, lua.used_memory());
        outcome(result, state.call_line, sha, "user_script")
    })
}

/// A script's reply, or its error in Redis's shape: an error reply raised
/// by redis.call (or a kill) as it was, anything else as ERR, and where
/// it happened (`chunk` is `user_script` or `user_function`).
pub(super) fn outcome(
    result: mlua::Result<LuaValue>,
    call_line: Option<usize>,
    name: &str,
    chunk: &str,
) -> Value {
    match result {
        Ok(v) => from_lua(&v),
        Err(e) => {
            let msg = first_line(&e);
            // `error({err=…})`: the text as it is, where it was raised.
            if let Some((line, err)) = super::lua_libs::raised_table(&msg) {
                return Value::error(format!("{err} script: {name}, on @{chunk}:{line}."));
            }
            // A positioned message is the script's own error, even when a
            // redis.call failed (and was caught) before it.
            match call_line.filter(|_| !msg.starts_with(chunk)) {
                Some(line) => Value::error(format!("{msg} script: {name}, on @{chunk}:{line}.")),
                None => {
                    let line = msg
                        .strip_prefix(chunk)
                        .and_then(|r| r.strip_prefix(':'))
                        .and_then(|r| r.split(':').next())
                        .and_then(|n| n.parse::<usize>().ok())
                        .unwrap_or(1);
                    Value::error(format!("ERR {msg} script: {name}, on @{chunk}:{line}."))
                }
            }
        }
    }
}

/// `redis.call` / `redis.pcall`: one command, as a client would send it
/// (`args`, its words, at least one).
pub(super) fn call_command(
    ctx: &mut Ctx<'_>,
    args: &[Value],
    read_only: bool,
    want_resp3: bool,
    effects: &mut Vec<(usize, Vec<Value>)>,
) -> Value {
    let Some(cmd) = args[0].as_bytes().and_then(super::lookup) else {
        return Value::error("ERR Unknown Redis command called from script");
    };
    let n = args.len() as i32;
    if (cmd.arity > 0 && n != cmd.arity) || (cmd.arity < 0 && n < -cmd.arity) {
        return Value::error("ERR Wrong number of args calling Redis command from script");
    }
    if cmd.flags & NOSCRIPT != 0 {
        return Value::error("ERR This Redis command is not allowed from script");
    }
    if let Some(refused) = super::acl::script_refusal(ctx, cmd, args) {
        return refused;
    }
    if read_only && cmd.is_write() {
        return Value::error("ERR Write commands are not allowed from read-only scripts.");
    }
    // As Redis: over `maxmemory` with nothing to evict, a script may not
    // start growing the data, but once it has written it runs to the end.
    if cmd.flags & DENYOOM != 0
        && !ctx.shared.script.wrote()
        && super::maxmemory::script_refused(ctx.shared)
    {
        return Value::error(super::maxmemory::OOM);
    }
    if cmd.is_write() {
        // As Redis: no write from a script while the data cannot be
        // persisted (`-MISCONF`).
        if let Some(crate::state::Refusal::DiskError(text)) = ctx.shared.persist.refusal() {
            return Value::error(text);
        }
        // From here on the script can no longer be killed.
        ctx.shared.script.note_write();
    }
    // A script sees Redis replies, whatever mode its client is in, in the
    // protocol it chose with redis.setresp.
    let mode = std::mem::replace(&mut ctx.session.mode, crate::config::ReplyMode::Redis);
    let resp3 = std::mem::replace(&mut ctx.session.resp3, want_resp3);
    // Nothing blocks inside a script either.
    ctx.session.no_block = true;
    let reply = super::run(ctx, cmd, args);
    ctx.session.no_block = false;
    ctx.session.mode = mode;
    ctx.session.resp3 = resp3;
    if !reply.is_error() {
        effects.append(&mut ctx.log.records);
    }
    ctx.log.records.clear();
    reply
}

/// A Lua number as `redis.call` passes it: `%.17g`, as Redis prints it
/// (`0.1` is `0.10000000000000001`, `1e20` is `1e+20`).
pub(super) fn lua_number(n: f64) -> String {
    super::lua_libs::format_g(n, 17)
}

/// 2^63: where 64-bit signed integers end.
const TWO_63: f64 = 9_223_372_036_854_775_808.0;

/// A Lua number as Redis converts it to an integer: C's cast on x86-64,
/// where what does not fit (infinities and NaN too) becomes i64::MIN.
fn lua_integer(n: f64) -> i64 {
    if (-TWO_63..TWO_63).contains(&n) {
        n as i64
    } else {
        i64::MIN
    }
}

/// A script's result as a reply (Redis's rules: numbers truncate to
/// integers, `false` is null, `{ok=…}` and `{err=…}` are status and
/// error replies, a table is an array up to its first nil).
fn from_lua(v: &LuaValue) -> Value {
    from_lua_at(v, 1)
}

/// How deep tables a script returns may nest: where Redis runs out of Lua
/// stack (a cyclic table ends there too).
const MAX_REPLY_DEPTH: usize = 7995;

/// [`from_lua`] for a value `depth` tables deep.
fn from_lua_at(v: &LuaValue, depth: usize) -> Value {
    let from_lua = |v: &LuaValue| from_lua_at(v, depth + 1);
    match v {
        LuaValue::Integer(n) => Value::Integer(*n),
        LuaValue::Number(n) => Value::Integer(lua_integer(*n)),
        LuaValue::String(s) => Value::Bulk(Bytes::copy_from_slice(&s.as_bytes())),
        LuaValue::Boolean(true) => Value::Integer(1),
        LuaValue::Table(_) if depth > MAX_REPLY_DEPTH => {
            Value::error("ERR reached lua stack limit")
        }
        LuaValue::Table(t) => {
            // Reading fails when the references held along the way have
            // used up the interpreter's stack: a reply that deep (or a
            // cyclic table) ends there, as in Redis.
            let limit = || Value::error("ERR reached lua stack limit");
            match t.raw_get::<LuaValue>("err") {
                Ok(LuaValue::String(e)) => {
                    return Value::Error(Bytes::copy_from_slice(&e.as_bytes()))
                }
                Err(_) => return limit(),
                Ok(_) => {}
            }
            if let Ok(LuaValue::String(ok)) = t.raw_get::<LuaValue>("ok") {
                return Value::Simple(Bytes::copy_from_slice(&ok.as_bytes()));
            }
            // RESP3's shapes: a RESP2 client gets them as the encoder
            // lowers them (a double as a string, a map as a flat array).
            match t.raw_get::<LuaValue>("double") {
                Ok(LuaValue::Number(d)) => return Value::Double(d),
                Ok(LuaValue::Integer(i)) => return Value::Double(i as f64),
                _ => {}
            }
            if let Ok(LuaValue::Table(m)) = t.raw_get::<LuaValue>("map") {
                return Value::Map(
                    m.pairs::<LuaValue, LuaValue>()
                        .filter_map(Result::ok)
                        .map(|(k, v)| (from_lua(&k), from_lua(&v)))
                        .collect(),
                );
            }
            if let Ok(LuaValue::Table(m)) = t.raw_get::<LuaValue>("set") {
                return Value::Set(
                    m.pairs::<LuaValue, LuaValue>()
                        .filter_map(Result::ok)
                        .map(|(k, _)| from_lua(&k))
                        .collect(),
                );
            }
            let mut out = Vec::new();
            for i in 1.. {
                match t.raw_get::<LuaValue>(i) {
                    Ok(LuaValue::Nil) => break,
                    Ok(item) => out.push(from_lua(&item)),
                    Err(_) => return limit(),
                }
            }
            Value::Array(out)
        }
        _ => Value::Null,
    }
}

/// `SCRIPT LOAD|EXISTS|FLUSH|KILL`.
pub fn script(ctx: &mut Ctx<'_>, args: &[Value]) -> Value {
    let sub = &args[1];
    if is_word(sub, "LOAD") && args.len() == 3 {
        let body = args[2].as_bytes().unwrap_or_default().to_vec();
        // Compiled here first, so that a script with a syntax error is
        // refused at load time, as Redis does.
        if let Err(e) = Lua::new()
            .load(&*source_text(&body))
            .set_name("@user_script")
            .set_mode(mlua::prelude::LuaChunkMode::Text)
            .into_function()
        {
            return Value::error(format!(
                "ERR Error compiling script (new function): {}",
                first_line(&e)
            ));
        }
        let sha = sha1_hex(&body);
        ctx.shared
            .scripts
            .lock()
            .insert(sha.clone(), Bytes::from(body));
        Value::Bulk(Bytes::from(sha))
    } else if is_word(sub, "EXISTS") && args.len() >= 3 {
        let scripts = ctx.shared.scripts.lock();
        Value::Array(
            args[2..]
                .iter()
                .map(|a| {
                    let sha = String::from_utf8_lossy(a.as_bytes().unwrap_or_default())
                        .to_ascii_lowercase();
                    Value::Integer(i64::from(scripts.contains_key(&sha)))
                })
                .collect(),
        )
    } else if is_word(sub, "FLUSH") && args.len() <= 3 {
        ctx.shared.scripts.lock().clear();
        VM.with(|cell| {
            if let Some(vm) = cell.borrow_mut().as_mut() {
                vm.compiled.clear();
            }
        });
        Value::ok()
    } else if is_word(sub, "KILL") && args.len() == 2 {
        ctx.shared.script.kill(false)
    } else {
        Value::error(format!(
            "ERR unknown subcommand or wrong number of arguments for '{}'. Try SCRIPT HELP.",
            super::printable(sub.as_bytes().unwrap_or_default(), 64)
        ))
    }
}

/// Adds the four libraries to `globals`.
fn install_libraries(lua: &Lua, globals: &Table) -> mlua::Result<()> {
    let lib = |name: &str, fields: &[(&str, lua_libs::LibFn)]| -> mlua::Result<Table> {
        let t = lua.create_table()?;
        for &(fname, f) in fields {
            t.raw_set(fname, lua_libs::create(lua, f)?)?;
        }
        globals.raw_set(name, t.clone())?;
        Ok(t)
    };
    let cjson = lib("cjson", lua_cjson::FUNCTIONS)?;
    lua_cjson::fields(lua, &cjson)?;
    let msgpack = lib("cmsgpack", lua_msgpack::FUNCTIONS)?;
    lua_msgpack::fields(&msgpack)?;
    lib("bit", lua_bit::FUNCTIONS)?;
    lib("struct", lua_struct::FUNCTIONS)?;
    Ok(())
}
