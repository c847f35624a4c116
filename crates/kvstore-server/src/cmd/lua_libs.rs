//! The libraries Redis 7 gives scripts and functions besides the standard
//! ones: `cjson`, `cmsgpack`, `bit` and `struct` (each in its own file),
//! and what they share: argument checks with Lua's messages, and errors
//! that reach the script as plain strings.
//!
//! An error a Rust callback raises reaches Lua as a userdata (mlua's
//! wrapping), so `pcall(cjson.decode, s)` would hand a script something
//! other than the string Redis gives it. Each library function therefore
//! reports failure by returning a mark and the message, and a small C
//! function around it raises that message: a Lua string error, positioned
//! (`user_script:1: …`) as `luaL_error` positions it.

use std::ffi::c_int;

use mlua::{ffi, Function, LightUserData, Lua, MultiValue, Table, Value as LuaValue};

/// Why a library call failed.
pub(super) struct Fail {
    msg: String,
    /// For `luaL_argerror`'s messages: the argument's number. The
    /// function's name comes from how the script called it, as Lua finds
    /// it (`?` under pcall).
    arg: Option<usize>,
    /// Whether the message gets the caller's position, as `luaL_error`
    /// gives it (errors the Lua core raises itself, such as "table index
    /// is nil", have none).
    located: bool,
}

impl Fail {
    pub fn new(msg: impl Into<String>) -> Fail {
        Fail {
            msg: msg.into(),
            arg: None,
            located: true,
        }
    }

    pub fn bare(msg: impl Into<String>) -> Fail {
        Fail {
            msg: msg.into(),
            arg: None,
            located: false,
        }
    }

    /// `luaL_argerror`'s message.
    pub fn arg(n: usize, what: &str) -> Fail {
        Fail {
            msg: what.to_string(),
            arg: Some(n),
            located: true,
        }
    }
}

impl From<mlua::Error> for Fail {
    fn from(e: mlua::Error) -> Fail {
        Fail::bare(first_line(&e))
    }
}

pub(super) type LibResult<T> = Result<T, Fail>;

/// A library function: its arguments, as the script passed them.
pub(super) type LibFn = fn(&Lua, MultiValue) -> LibResult<MultiValue>;

/// What a failed call returns first, for the wrapper to see.
static FAIL_MARK: u8 = 0;

fn fail_mark() -> LightUserData {
    LightUserData(&FAIL_MARK as *const u8 as *mut std::ffi::c_void)
}

/// The C function every library function is wrapped in: it calls the
/// Rust function (its upvalue) and, when that returned the mark, raises
/// the message as a Lua string, after the caller's position when asked
/// (`luaL_where`, as `luaL_error` does). Being a C function, it leaves a
/// script that tail-calls it (`return cjson.encode(t)`) on the stack, so
/// the position is the script's line.
unsafe extern "C-unwind" fn checked_call(state: *mut ffi::lua_State) -> c_int {
    // SAFETY: called by Lua with its state; upvalue 1 is the Rust function
    // (set by `wrap`). Nothing here owns Rust values that need dropping, so
    // `lua_error`'s longjmp skips no destructor.
    unsafe {
        let n = ffi::lua_gettop(state);
        ffi::lua_pushvalue(state, ffi::lua_upvalueindex(1));
        ffi::lua_insert(state, 1);
        ffi::lua_call(state, n, ffi::LUA_MULTRET);
        if ffi::lua_type(state, 1) == ffi::LUA_TLIGHTUSERDATA
            && ffi::lua_touserdata(state, 1) == fail_mark().0
        {
            if ffi::lua_toboolean(state, 3) != 0 {
                ffi::luaL_where(state, 1);
                ffi::lua_pushvalue(state, 2);
                ffi::lua_concat(state, 2);
            } else {
                ffi::lua_pushvalue(state, 2);
            }
            ffi::lua_error(state)
        } else {
            ffi::lua_gettop(state)
        }
    }
}

/// `raw` inside [`checked_call`].
fn wrap(lua: &Lua, raw: Function) -> mlua::Result<Function> {
    // SAFETY: exec_raw leaves `raw` on top of the stack; the closure takes
    // it as its one upvalue and is the one value left, the result.
    unsafe {
        lua.exec_raw(raw, |state| {
            ffi::lua_pushcclosure(state, checked_call, 1);
        })
    }
}

/// What an error table (`error({err=…})`) becomes on its way out of a
/// script: this mark, the line it was raised on, the mark again, and the
/// `err` text ([`raised_table`] takes it apart).
const TABLE_ERROR_MARK: &str = "\u{1}err-table\u{1}";

/// The message handler of [`run_protected`]: an error table with an `err`
/// string becomes a marked string (mlua would make it `table: 0x…`); any
/// other error object goes on as it is.
unsafe extern "C-unwind" fn table_error_handler(state: *mut ffi::lua_State) -> c_int {
    // SAFETY: called by Lua as a message handler, its one argument the
    // error object; it pushes a handful of values (Lua guarantees twenty
    // slots) and owns nothing that needs dropping.
    unsafe {
        if ffi::lua_type(state, 1) != ffi::LUA_TTABLE {
            return 1;
        }
        ffi::lua_pushstring(state, c"err".as_ptr());
        ffi::lua_rawget(state, 1);
        // A number is text to Lua (and to Redis) too.
        if !matches!(
            ffi::lua_type(state, -1),
            ffi::LUA_TSTRING | ffi::LUA_TNUMBER
        ) {
            ffi::lua_settop(state, 1);
            return 1;
        }
        // Where it was raised: the first level with a position (`error`
        // itself, a C function, has none).
        let mut level = 1;
        loop {
            ffi::luaL_where(state, level);
            if ffi::lua_objlen(state, -1) > 0 || level >= 3 {
                break;
            }
            ffi::lua_settop(state, -2);
            level += 1;
        }
        // [err, where] -> mark .. where .. mark .. err
        ffi::lua_pushlstring(
            state,
            TABLE_ERROR_MARK.as_ptr().cast(),
            TABLE_ERROR_MARK.len(),
        );
        ffi::lua_insert(state, -2);
        ffi::lua_pushlstring(
            state,
            TABLE_ERROR_MARK.as_ptr().cast(),
            TABLE_ERROR_MARK.len(),
        );
        ffi::lua_pushvalue(state, -4);
        ffi::lua_concat(state, 4);
        1
    }
}

/// Calls its first argument with the rest, under [`table_error_handler`],
/// raising again whatever error that leaves.
unsafe extern "C-unwind" fn run_protected(state: *mut ffi::lua_State) -> c_int {
    // SAFETY: called by Lua with the function and its arguments; nothing
    // here needs dropping when `lua_error` longjmps.
    unsafe {
        let n = ffi::lua_gettop(state);
        ffi::lua_pushcfunction(state, table_error_handler);
        ffi::lua_insert(state, 1);
        if ffi::lua_pcall(state, n - 1, 1, 1) != 0 {
            ffi::lua_error(state)
        } else {
            1
        }
    }
}

/// A function that runs a script (its first argument, with the rest) so
/// that an error table it raises reaches Rust as [`raised_table`] reads it.
pub(super) fn protected_runner(lua: &Lua) -> mlua::Result<Function> {
    // SAFETY: `run_protected` follows the C function protocol above.
    unsafe { lua.create_c_function(run_protected) }
}

/// An error table's line and `err` text, from the message of an error that
/// went through [`protected_runner`].
pub(super) fn raised_table(msg: &str) -> Option<(usize, &str)> {
    let rest = msg.strip_prefix(TABLE_ERROR_MARK)?;
    let (place, err) = rest.split_once(TABLE_ERROR_MARK)?;
    // `chunk:line: `
    let line = place
        .trim_end_matches(": ")
        .rsplit(':')
        .next()
        .and_then(|l| l.parse().ok())
        .unwrap_or(1);
    Some((line, err))
}

/// `f` as a Lua function whose failures are Lua string errors.
pub(super) fn create(lua: &Lua, f: LibFn) -> mlua::Result<Function> {
    let raw = lua.create_function(move |lua, args: MultiValue| match f(lua, args) {
        Ok(v) => Ok(v),
        Err(fail) => {
            let msg = match fail.arg {
                Some(n) => {
                    // Level 1 is `checked_call`, named by the caller.
                    let name = lua
                        .inspect_stack(1, |d| d.names().name.map(|s| s.into_owned()))
                        .flatten()
                        .unwrap_or_else(|| "?".to_string());
                    format!("bad argument #{n} to '{name}' ({})", fail.msg)
                }
                None => fail.msg,
            };
            let mut out = MultiValue::new();
            out.push_back(LuaValue::LightUserData(fail_mark()));
            out.push_back(LuaValue::String(lua.create_string(msg)?));
            out.push_back(LuaValue::Boolean(fail.located));
            Ok(out)
        }
    })?;
    wrap(lua, raw)
}

/// The message of a Lua error, without mlua's wrapping or traceback.
pub(super) fn first_line(e: &mlua::Error) -> String {
    let mut e = e;
    while let mlua::Error::CallbackError { cause, .. } = e {
        e = cause;
    }
    let text = match e {
        mlua::Error::RuntimeError(m) | mlua::Error::SyntaxError { message: m, .. } => m.clone(),
        other => other.to_string(),
    };
    text.lines().next().unwrap_or_default().to_string()
}

/// The table a read-only library table stands for (see `new_lua` in
/// scripting.rs: an empty table whose metatable, hidden with
/// `__metatable = false`, reads through to the library), so that encoding
/// `string` or `coroutine` sees what Redis sees; any other table as it is.
pub(super) fn see_through(t: &Table) -> Table {
    if let Some(meta) = t.metatable() {
        if let (Ok(LuaValue::Boolean(false)), Ok(LuaValue::Table(real))) = (
            meta.raw_get::<LuaValue>("__metatable"),
            meta.raw_get::<LuaValue>("__index"),
        ) {
            return real;
        }
    }
    t.clone()
}

/// Lua's name for a value's type (`integer` is a number to Lua 5.1).
pub(super) fn type_name(v: &LuaValue) -> &'static str {
    match v {
        LuaValue::Nil => "nil",
        LuaValue::Boolean(_) => "boolean",
        LuaValue::Integer(_) | LuaValue::Number(_) => "number",
        LuaValue::String(_) => "string",
        LuaValue::Table(_) => "table",
        LuaValue::Function(_) => "function",
        LuaValue::Thread(_) => "thread",
        _ => "userdata",
    }
}

/// The `n`th (1-based) argument's type for messages: `no value` past the end.
fn got(args: &MultiValue, n: usize) -> &'static str {
    args.get(n - 1).map_or("no value", type_name)
}

/// `luaL_checknumber`: a number, or a string that reads as one.
pub(super) fn check_number(lua: &Lua, args: &MultiValue, n: usize) -> LibResult<f64> {
    match args.get(n - 1) {
        Some(LuaValue::Integer(i)) => Ok(*i as f64),
        Some(LuaValue::Number(x)) => Ok(*x),
        Some(s @ LuaValue::String(_)) => match lua.coerce_number(s.clone())? {
            Some(x) => Ok(x),
            None => Err(Fail::arg(n, "number expected, got string")),
        },
        _ => Err(Fail::arg(
            n,
            &format!("number expected, got {}", got(args, n)),
        )),
    }
}

/// `luaL_optnumber`: as [`check_number`], `default` when absent or nil.
pub(super) fn opt_number(lua: &Lua, args: &MultiValue, n: usize, default: f64) -> LibResult<f64> {
    match args.get(n - 1) {
        None | Some(LuaValue::Nil) => Ok(default),
        Some(_) => check_number(lua, args, n),
    }
}

/// `luaL_checklstring`: a string's bytes, or a number's text.
pub(super) fn check_string(lua: &Lua, args: &MultiValue, n: usize) -> LibResult<Vec<u8>> {
    match args.get(n - 1) {
        Some(LuaValue::String(s)) => Ok(s.as_bytes().to_vec()),
        Some(v @ (LuaValue::Integer(_) | LuaValue::Number(_))) => {
            match lua.coerce_string(v.clone())? {
                Some(s) => Ok(s.as_bytes().to_vec()),
                None => Err(Fail::arg(n, "string expected, got number")),
            }
        }
        _ => Err(Fail::arg(
            n,
            &format!("string expected, got {}", got(args, n)),
        )),
    }
}

/// C's `printf("%.{prec}g", x)`, the way lua-cjson prints numbers.
pub(super) fn format_g(x: f64, prec: usize) -> String {
    if x.is_nan() {
        return if x.is_sign_negative() { "-nan" } else { "nan" }.to_string();
    }
    if x.is_infinite() {
        return if x < 0.0 { "-inf" } else { "inf" }.to_string();
    }
    let prec = prec.max(1);
    // The exponent after rounding to `prec` digits decides the style.
    let sci = format!("{:.*e}", prec - 1, x);
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    if exp < -4 || exp >= prec as i32 {
        let mantissa = strip_zeros(mantissa);
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{mantissa}e{sign}{:02}", exp.unsigned_abs())
    } else {
        let decimals = (prec as i32 - 1 - exp).max(0) as usize;
        strip_zeros(&format!("{x:.decimals$}")).to_string()
    }
}

/// Drops a fraction's trailing zeros (and the point if nothing is left).
fn strip_zeros(s: &str) -> &str {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::format_g;

    #[test]
    fn format_g_prints_as_c_does() {
        let cases: &[(f64, &str)] = &[
            (0.0, "0"),
            (-0.0, "-0"),
            (1.5, "1.5"),
            (0.1, "0.1"),
            (1.0 / 3.0, "0.33333333333333"),
            (1e20, "1e+20"),
            (123456789012345678.0, "1.2345678901235e+17"),
            (100000000000000.0, "1e+14"),
            (10000000000000.0, "10000000000000"),
            (0.00001, "1e-05"),
            (0.0001, "0.0001"),
            (-12.25, "-12.25"),
            (1e300, "1e+300"),
        ];
        for &(x, want) in cases {
            assert_eq!(format_g(x, 14), want, "{x}");
        }
    }
}
