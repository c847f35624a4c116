//! `bit` for scripts: LuaBitOp's 32-bit operations. Arguments become
//! 32-bit integers as LuaBitOp makes them (the double is added to 2^52 +
//! 2^51 and its low 32 bits kept: fractions round to even, values wrap
//! modulo 2^32), and results are signed 32-bit numbers.

use mlua::{Lua, MultiValue, Value as LuaValue};

use super::lua_libs::{check_number, opt_number, LibFn, LibResult};

pub(super) static FUNCTIONS: &[(&str, LibFn)] = &[
    ("tobit", tobit),
    ("tohex", tohex),
    ("bnot", bnot),
    ("band", band),
    ("bor", bor),
    ("bxor", bxor),
    ("lshift", lshift),
    ("rshift", rshift),
    ("arshift", arshift),
    ("rol", rol),
    ("ror", ror),
    ("bswap", bswap),
];

fn to_bits(x: f64) -> u32 {
    (x + 6_755_399_441_055_744.0).to_bits() as u32
}

fn arg(lua: &Lua, args: &MultiValue, n: usize) -> LibResult<u32> {
    Ok(to_bits(check_number(lua, args, n)?))
}

fn ret(v: u32) -> LibResult<MultiValue> {
    let mut m = MultiValue::new();
    m.push_back(LuaValue::Integer(i64::from(v as i32)));
    Ok(m)
}

fn tobit(lua: &Lua, args: MultiValue) -> LibResult<MultiValue> {
    ret(arg(lua, &args, 1)?)
}

fn bnot(lua: &Lua, args: MultiValue) -> LibResult<MultiValue> {
    ret(!arg(lua, &args, 1)?)
}

fn bswap(lua: &Lua, args: MultiValue) -> LibResult<MultiValue> {
    ret(arg(lua, &args, 1)?.swap_bytes())
}

/// `band`, `bor`, `bxor`: one argument or more.
fn fold(lua: &Lua, args: &MultiValue, op: fn(u32, u32) -> u32) -> LibResult<MultiValue> {
    let mut acc = arg(lua, args, 1)?;
    for n in 2..=args.len() {
        acc = op(acc, arg(lua, args, n)?);
    }
    ret(acc)
}

fn band(lua: &Lua, args: MultiValue) -> LibResult<MultiValue> {
    fold(lua, &args, |a, b| a & b)
}

fn bor(lua: &Lua, args: MultiValue) -> LibResult<MultiValue> {
    fold(lua, &args, |a, b| a | b)
}

fn bxor(lua: &Lua, args: MultiValue) -> LibResult<MultiValue> {
    fold(lua, &args, |a, b| a ^ b)
}

/// The shifts and rotations: the count is taken modulo 32.
fn shift(lua: &Lua, args: &MultiValue, op: fn(u32, u32) -> u32) -> LibResult<MultiValue> {
    let x = arg(lua, args, 1)?;
    let n = arg(lua, args, 2)? & 31;
    ret(op(x, n))
}

fn lshift(lua: &Lua, args: MultiValue) -> LibResult<MultiValue> {
    shift(lua, &args, |x, n| x << n)
}

fn rshift(lua: &Lua, args: MultiValue) -> LibResult<MultiValue> {
    shift(lua, &args, |x, n| x >> n)
}

fn arshift(lua: &Lua, args: MultiValue) -> LibResult<MultiValue> {
    shift(lua, &args, |x, n| ((x as i32) >> n) as u32)
}

fn rol(lua: &Lua, args: MultiValue) -> LibResult<MultiValue> {
    shift(lua, &args, u32::rotate_left)
}

fn ror(lua: &Lua, args: MultiValue) -> LibResult<MultiValue> {
    shift(lua, &args, u32::rotate_right)
}

/// `tohex(x [, n])`: the low `|n|` hex digits (at most 8), upper case
/// when `n` is negative.
fn tohex(lua: &Lua, args: MultiValue) -> LibResult<MultiValue> {
    let x = arg(lua, &args, 1)?;
    let n = to_bits(opt_number(lua, &args, 2, 8.0)?) as i32;
    let upper = n < 0;
    let digits = n.unsigned_abs().min(8) as usize;
    let text = if upper {
        format!("{x:08X}")
    } else {
        format!("{x:08x}")
    };
    let mut m = MultiValue::new();
    m.push_back(LuaValue::String(lua.create_string(&text[8 - digits..])?));
    Ok(m)
}
