//! `redis.call` and `redis.pcall` as plain C functions over Lua's stack.
//!
//! These run once per command a script sends, so they read their
//! arguments straight off the stack and push the reply straight onto it:
//! through mlua's callback machinery each call took a table of arguments
//! by reference, copies of every value and a second C call around it,
//! which cost more than the command itself.
//!
//! Lua raises errors with `longjmp`, which must not cross a Rust frame
//! that owns something to drop. So all the work happens in [`call`], which
//! leaves the message on the stack and returns; only then does the C
//! function, which owns nothing, raise it. Allocation failures cannot
//! raise: the interpreter has no memory limit, and its allocator aborts
//! the process instead (as everywhere else in the server).

use std::ffi::c_int;

use bytes::Bytes;
use kvstore_protocol::Value;
use mlua::ffi;

use super::scripting::{call_command, current_state, lua_number};

/// `redis.call`: a failed command raises its error (as a Lua string,
/// without a position, which is what `pcall(redis.call, …)` gives a script
/// in Redis).
pub(super) unsafe extern "C-unwind" fn call_raising(state: *mut ffi::lua_State) -> c_int {
    // SAFETY: called by Lua with its state; `call` has dropped everything
    // it owned when it returns, so `lua_error`'s longjmp skips nothing.
    unsafe {
        if call(state, false) {
            ffi::lua_error(state)
        } else {
            1
        }
    }
}

/// `redis.pcall`: a failed command's error comes back as `{err=…}`.
pub(super) unsafe extern "C-unwind" fn call_protected(state: *mut ffi::lua_State) -> c_int {
    // SAFETY: as in `call_raising`.
    unsafe {
        if call(state, true) {
            ffi::lua_error(state)
        } else {
            1
        }
    }
}

thread_local! {
    /// The words of the command being called, kept between calls so that
    /// a call allocates only for the arguments' bytes.
    static WORDS: std::cell::Cell<Vec<Value>> = const { std::cell::Cell::new(Vec::new()) };
    /// The command names scripts called last, as given: most scripts call
    /// a few commands over and over, and the name then costs no copy.
    static NAMES: std::cell::RefCell<[Bytes; NAMES_KEPT]> =
        std::cell::RefCell::new(std::array::from_fn(|_| Bytes::new()));
}

const NAMES_KEPT: usize = 4;

/// Runs the command the stack holds and leaves one value on top: the
/// reply, or (when true is returned) the message to raise.
///
/// # Safety
/// `state` is the running Lua state, inside a C function call.
unsafe fn call(state: *mut ffi::lua_State, protected: bool) -> bool {
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        // SAFETY: the caller's contract.
        unsafe { run(state, protected) }
    }));
    match outcome {
        Ok(raise) => raise,
        Err(_) => {
            // SAFETY: the caller's contract; a C function has at least
            // LUA_MINSTACK free slots.
            unsafe { push_bytes(state, b"ERR internal error in redis.call") };
            true
        }
    }
}

/// [`call`] without the panic guard.
unsafe fn run(state: *mut ffi::lua_State, protected: bool) -> bool {
    // SAFETY (whole body): the caller's contract; every index used is
    // one of the call's arguments or a value pushed here.
    unsafe {
        let Some(cs) = current_state() else {
            push_bytes(state, b"redis.call used outside a script");
            return true;
        };
        let mut words = WORDS.with(|w| w.take());
        words.clear();
        let reply = match read_words(state, &mut words) {
            Ok(()) => call_command(cs.ctx, &words, cs.read_only, cs.resp3, cs.effects),
            Err(reply) => reply,
        };
        words.clear();
        WORDS.with(|w| w.set(words));
        // The arguments are no longer needed: the reply goes on top.
        ffi::lua_settop(state, 0);
        match reply {
            Value::Error(msg) if !protected => {
                cs.call_line = Some(script_line(state));
                // As the message reached Lua before: text, its first line.
                let text = String::from_utf8_lossy(&msg);
                push_bytes(state, text.lines().next().unwrap_or_default().as_bytes());
                true
            }
            other => match push_reply(state, &other, cs.resp3) {
                Ok(()) => false,
                Err(msg) => {
                    ffi::lua_settop(state, 0);
                    push_bytes(state, msg.as_bytes());
                    true
                }
            },
        }
    }
}

/// The call's arguments as a command's words (Redis's conversion:
/// strings as they are, numbers as `%.17g` prints them).
unsafe fn read_words(state: *mut ffi::lua_State, words: &mut Vec<Value>) -> Result<(), Value> {
    // SAFETY (whole body): indices 1..=n are the call's arguments.
    unsafe {
        let n = ffi::lua_gettop(state);
        if n == 0 {
            return Err(Value::error(
                "ERR Please specify at least one argument for this redis lib call",
            ));
        }
        words.reserve(n as usize);
        for i in 1..=n {
            let word = match ffi::lua_type(state, i) {
                ffi::LUA_TSTRING => {
                    let mut len = 0usize;
                    let p = ffi::lua_tolstring(state, i, &mut len);
                    let bytes = std::slice::from_raw_parts(p.cast::<u8>(), len);
                    if i == 1 {
                        command_name(bytes)
                    } else {
                        Bytes::copy_from_slice(bytes)
                    }
                }
                ffi::LUA_TNUMBER => Bytes::from(number_text(ffi::lua_tonumber(state, i))),
                _ => {
                    return Err(Value::error(
                        "ERR Lua redis lib command arguments must be strings or integers",
                    ))
                }
            };
            words.push(Value::Bulk(word));
        }
        Ok(())
    }
}

/// A command name as given, shared with the last calls that gave it.
fn command_name(given: &[u8]) -> Bytes {
    NAMES.with(|names| {
        let mut names = names.borrow_mut();
        if let Some(hit) = names.iter().find(|n| n.as_ref() == given) {
            return hit.clone();
        }
        let name = Bytes::copy_from_slice(given);
        names.rotate_right(1);
        names[0] = name.clone();
        name
    })
}

/// A Lua number as `redis.call` passes it: whole numbers below 1e17 as
/// their digits (what `%.17g` prints for them), the rest as `%.17g`.
fn number_text(n: f64) -> String {
    let i = n as i64;
    if (i as f64).to_bits() == n.to_bits() && i.unsigned_abs() < 100_000_000_000_000_000 {
        itoa::Buffer::new().format(i).to_owned()
    } else {
        lua_number(n)
    }
}

/// The line of the script that called (level 1, or further out when the
/// call went through `pcall`, a C function with no line).
unsafe fn script_line(state: *mut ffi::lua_State) -> usize {
    // SAFETY: lua_Debug is plain data that lua_getstack fills in.
    unsafe {
        for level in 1..=3 {
            let mut ar: ffi::lua_Debug = std::mem::zeroed();
            if ffi::lua_getstack(state, level, &mut ar) == 0 {
                break;
            }
            if ffi::lua_getinfo(state, c"l".as_ptr(), &mut ar) != 0 && ar.currentline > 0 {
                return ar.currentline as usize;
            }
        }
        1
    }
}

unsafe fn push_bytes(state: *mut ffi::lua_State, b: &[u8]) {
    // SAFETY: the caller leaves a free slot.
    unsafe {
        ffi::lua_pushlstring(state, b.as_ptr().cast(), b.len());
    }
}

/// `{field=value}`, with the value on top of the stack.
unsafe fn wrap(state: *mut ffi::lua_State, field: &std::ffi::CStr) {
    // SAFETY: the value is on top; the table goes under it, then takes it.
    unsafe {
        ffi::lua_createtable(state, 0, 1);
        ffi::lua_insert(state, -2);
        ffi::lua_setfield(state, -2, field.as_ptr());
    }
}

/// Pushes a reply as a script sees it: Redis's RESP2 conversion, or with
/// `resp3` its RESP3 one (null is nil, a map `{map={k=v}}`, a set
/// `{set={member=true}}`, a double `{double=n}`, a boolean a boolean).
unsafe fn push_reply(
    state: *mut ffi::lua_State,
    v: &Value,
    resp3: bool,
) -> Result<(), &'static str> {
    // SAFETY (whole body): each level makes room for what it pushes.
    unsafe {
        if ffi::lua_checkstack(state, 4) == 0 {
            return Err("reached lua stack limit");
        }
        match v {
            Value::Integer(n) => ffi::lua_pushnumber(state, *n as f64),
            Value::Bulk(b) => push_bytes(state, b),
            Value::Null | Value::NullArray if resp3 => ffi::lua_pushnil(state),
            Value::Null | Value::NullArray => ffi::lua_pushboolean(state, 0),
            Value::Simple(s) => {
                push_bytes(state, s);
                wrap(state, c"ok");
            }
            Value::Error(e) => {
                push_bytes(state, e);
                wrap(state, c"err");
            }
            Value::Double(d) if resp3 => {
                ffi::lua_pushnumber(state, *d);
                wrap(state, c"double");
            }
            Value::Double(d) => push_bytes(state, lua_number(*d).as_bytes()),
            Value::Boolean(b) if resp3 => ffi::lua_pushboolean(state, c_int::from(*b)),
            Value::Boolean(b) => ffi::lua_pushnumber(state, f64::from(u8::from(*b))),
            Value::Set(items) if resp3 => {
                ffi::lua_createtable(state, 0, c_int::try_from(items.len()).unwrap_or(0));
                for item in items {
                    push_reply(state, item, resp3)?;
                    ffi::lua_pushboolean(state, 1);
                    set_field(state)?;
                }
                wrap(state, c"set");
            }
            Value::Map(pairs) if resp3 => {
                ffi::lua_createtable(state, 0, c_int::try_from(pairs.len()).unwrap_or(0));
                for (k, v) in pairs {
                    push_reply(state, k, resp3)?;
                    push_reply(state, v, resp3)?;
                    set_field(state)?;
                }
                wrap(state, c"map");
            }
            Value::Array(items) | Value::Set(items) | Value::Push(items) => {
                ffi::lua_createtable(state, c_int::try_from(items.len()).unwrap_or(0), 0);
                for (i, item) in items.iter().enumerate() {
                    push_reply(state, item, resp3)?;
                    ffi::lua_rawseti_(state, -2, index(i)?);
                }
            }
            Value::Map(pairs) => {
                ffi::lua_createtable(state, c_int::try_from(2 * pairs.len()).unwrap_or(0), 0);
                for (i, (k, v)) in pairs.iter().enumerate() {
                    push_reply(state, k, resp3)?;
                    ffi::lua_rawseti_(state, -2, index(2 * i)?);
                    push_reply(state, v, resp3)?;
                    ffi::lua_rawseti_(state, -2, index(2 * i + 1)?);
                }
            }
        }
        Ok(())
    }
}

/// The Lua index of the `i`th element (from 0).
fn index(i: usize) -> Result<c_int, &'static str> {
    c_int::try_from(i + 1).map_err(|_| "reply too large for a Lua table")
}

/// `t[k] = v` for the table under a key and a value on top. Lua raises
/// for a nil or NaN key, which must not happen here: refused instead.
unsafe fn set_field(state: *mut ffi::lua_State) -> Result<(), &'static str> {
    // SAFETY: a table, a key and a value are on top.
    unsafe {
        match ffi::lua_type(state, -2) {
            ffi::LUA_TNIL => return Err("table index is nil"),
            ffi::LUA_TNUMBER if ffi::lua_tonumber(state, -2).is_nan() => {
                return Err("table index is NaN")
            }
            _ => {}
        }
        ffi::lua_rawset(state, -3);
        Ok(())
    }
}
