//! `cmsgpack` for scripts: MessagePack as lua-cmsgpack 0.4.0 (the one Redis
//! ships) writes and reads it.
//!
//! Packing: integral numbers take the smallest integer encoding, other
//! numbers a float32 when that holds them exactly, else a float64; a
//! table whose keys are exactly 1..n is an array, any other a map; tables
//! nested 16 deep, and values MessagePack has no type for, become nil.
//! Unpacking knows the types of that version: binary and extension types
//! are "Bad data format in input."

use mlua::{Lua, MultiValue, Table, Value as LuaValue};

use super::lua_libs::{
    check_number, check_string, opt_number, see_through, Fail, LibFn, LibResult,
};

pub(super) static FUNCTIONS: &[(&str, LibFn)] = &[
    ("pack", pack),
    ("unpack", unpack),
    ("unpack_one", unpack_one),
    ("unpack_limit", unpack_limit),
];

/// 2^63: where 64-bit signed integers end.
const TWO_63: f64 = 9_223_372_036_854_775_808.0;

/// Tables deeper than this pack as nil.
const MAX_NESTING: usize = 16;

pub(super) fn fields(t: &Table) -> mlua::Result<()> {
    t.raw_set("_NAME", "cmsgpack")?;
    t.raw_set("_VERSION", "lua-cmsgpack 0.4.0")?;
    t.raw_set("_COPYRIGHT", "Copyright (C) 2012, Salvatore Sanfilippo")?;
    t.raw_set("_DESCRIPTION", "MessagePack C implementation for Lua")?;
    Ok(())
}

fn pack(lua: &Lua, args: MultiValue) -> LibResult<MultiValue> {
    if args.is_empty() {
        return Err(Fail::arg(0, "MessagePack pack needs input."));
    }
    let mut out = Vec::new();
    for v in args.iter() {
        encode(v, 0, &mut out)?;
    }
    let mut m = MultiValue::new();
    m.push_back(LuaValue::String(lua.create_string(&out)?));
    Ok(m)
}

fn encode(v: &LuaValue, level: usize, out: &mut Vec<u8>) -> LibResult<()> {
    match v {
        LuaValue::Boolean(b) => out.push(if *b { 0xc3 } else { 0xc2 }),
        LuaValue::Integer(i) => encode_number(*i as f64, out),
        LuaValue::Number(x) => encode_number(*x, out),
        LuaValue::String(s) => {
            let s = s.as_bytes();
            let n = s.len();
            if n < 32 {
                out.push(0xa0 | n as u8);
            } else if n <= 0xff {
                out.extend_from_slice(&[0xd9, n as u8]);
            } else if n <= 0xffff {
                out.push(0xda);
                out.extend_from_slice(&(n as u16).to_be_bytes());
            } else {
                out.push(0xdb);
                out.extend_from_slice(&(n as u32).to_be_bytes());
            }
            out.extend_from_slice(&s);
        }
        LuaValue::Table(t) if level < MAX_NESTING => encode_table(&see_through(t), level, out)?,
        _ => out.push(0xc0),
    }
    Ok(())
}

fn encode_number(x: f64, out: &mut Vec<u8>) {
    // Integral and within 64 bits (as C's cast round trip decides).
    if x.is_finite() && x.fract() == 0.0 && (-TWO_63..TWO_63).contains(&x) {
        let i = x as i64;
        if i >= 0 {
            let u = i as u64;
            if u <= 0x7f {
                out.push(u as u8);
            } else if u <= 0xff {
                out.extend_from_slice(&[0xcc, u as u8]);
            } else if u <= 0xffff {
                out.push(0xcd);
                out.extend_from_slice(&(u as u16).to_be_bytes());
            } else if u <= 0xffff_ffff {
                out.push(0xce);
                out.extend_from_slice(&(u as u32).to_be_bytes());
            } else {
                out.push(0xcf);
                out.extend_from_slice(&u.to_be_bytes());
            }
        } else if i >= -32 {
            out.push(i as i8 as u8);
        } else if i >= -128 {
            out.extend_from_slice(&[0xd0, i as i8 as u8]);
        } else if i >= -32768 {
            out.push(0xd1);
            out.extend_from_slice(&(i as i16).to_be_bytes());
        } else if i >= -2_147_483_648 {
            out.push(0xd2);
            out.extend_from_slice(&(i as i32).to_be_bytes());
        } else {
            out.push(0xd3);
            out.extend_from_slice(&i.to_be_bytes());
        }
        return;
    }
    let f = x as f32;
    if f64::from(f) == x {
        out.push(0xca);
        out.extend_from_slice(&f.to_bits().to_be_bytes());
    } else {
        out.push(0xcb);
        out.extend_from_slice(&x.to_bits().to_be_bytes());
    }
}

fn encode_table(t: &Table, level: usize, out: &mut Vec<u8>) -> LibResult<()> {
    let mut pairs = Vec::new();
    let mut max = 0f64;
    let mut array = true;
    for pair in t.pairs::<LuaValue, LuaValue>() {
        let (k, v) = pair?;
        let n = match &k {
            LuaValue::Integer(i) => *i as f64,
            LuaValue::Number(x) => *x,
            _ => 0.0,
        };
        if n <= 0.0 || n.fract() != 0.0 {
            array = false;
        }
        max = max.max(n);
        pairs.push((k, v));
    }
    let n = pairs.len();
    if array && max == n as f64 {
        header(out, n, 0x90, 0xdc);
        for i in 1..=n {
            encode(&t.raw_get::<LuaValue>(i)?, level + 1, out)?;
        }
    } else {
        header(out, n, 0x80, 0xde);
        for (k, v) in &pairs {
            encode(k, level + 1, out)?;
            encode(v, level + 1, out)?;
        }
    }
    Ok(())
}

/// An array's or map's header: `fix` holds up to 15, then 16 and 32 bits.
fn header(out: &mut Vec<u8>, n: usize, fix: u8, wide: u8) {
    if n <= 15 {
        out.push(fix | n as u8);
    } else if n <= 0xffff {
        out.push(wide);
        out.extend_from_slice(&(n as u16).to_be_bytes());
    } else {
        out.push(wide + 1);
        out.extend_from_slice(&(n as u32).to_be_bytes());
    }
}

fn unpack(lua: &Lua, args: MultiValue) -> LibResult<MultiValue> {
    let data = check_string(lua, &args, 1)?;
    unpack_full(lua, &data, 0, 0)
}

fn unpack_one(lua: &Lua, args: MultiValue) -> LibResult<MultiValue> {
    let data = check_string(lua, &args, 1)?;
    let offset = opt_number(lua, &args, 2, 0.0)? as i64;
    unpack_full(lua, &data, 1, offset)
}

fn unpack_limit(lua: &Lua, args: MultiValue) -> LibResult<MultiValue> {
    let data = check_string(lua, &args, 1)?;
    let limit = check_number(lua, &args, 2)? as i64;
    let offset = opt_number(lua, &args, 3, 0.0)? as i64;
    unpack_full(lua, &data, limit, offset)
}

/// Up to `limit` values from `offset` (all of them when both are 0); with
/// a limit or offset, the offset to go on from comes first (-1: done).
fn unpack_full(lua: &Lua, data: &[u8], limit: i64, offset: i64) -> LibResult<MultiValue> {
    let len = data.len() as i64;
    if offset < 0 || limit < 0 {
        return Err(Fail::new(format!(
            "Invalid request to unpack with offset of {offset} and limit of {len}."
        )));
    }
    if offset > len {
        return Err(Fail::new(format!(
            "Start offset {offset} greater than input length {len}."
        )));
    }
    let all = limit == 0 && offset == 0;
    let mut r = Reader {
        lua,
        data,
        pos: offset as usize,
        depth: 0,
    };
    let mut out = MultiValue::new();
    let mut count = 0;
    while r.pos < data.len() && (all || count < limit) {
        out.push_back(r.value()?);
        count += 1;
    }
    if !all {
        let next = if r.pos >= data.len() {
            -1.0
        } else {
            r.pos as f64
        };
        out.push_front(LuaValue::Number(next));
    }
    Ok(out)
}

struct Reader<'a> {
    lua: &'a Lua,
    data: &'a [u8],
    pos: usize,
    /// How many arrays and maps enclose the value being read.
    depth: usize,
}

/// How deep unpacked tables may nest. lua-cmsgpack stops where the Lua
/// stack does (a few thousand); this stops sooner, with its message,
/// to keep the reader's recursion well within a worker's stack.
const MAX_UNPACK_DEPTH: usize = 1000;

impl Reader<'_> {
    fn take(&mut self, n: usize) -> LibResult<&[u8]> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&e| e <= self.data.len())
            .ok_or_else(|| Fail::new("Missing bytes in input."))?;
        let s = &self.data[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    fn uint(&mut self, n: usize) -> LibResult<u64> {
        Ok(self
            .take(n)?
            .iter()
            .fold(0u64, |acc, &b| (acc << 8) | u64::from(b)))
    }

    fn int(&mut self, n: usize) -> LibResult<i64> {
        let u = self.uint(n)?;
        let shift = 64 - 8 * n as u32;
        Ok(((u << shift) as i64) >> shift)
    }

    fn value(&mut self) -> LibResult<LuaValue> {
        let t = self.take(1)?[0];
        let num = |x: f64| Ok(LuaValue::Number(x));
        match t {
            0x00..=0x7f => num(f64::from(t)),
            0xe0..=0xff => num(f64::from(t as i8)),
            0xa0..=0xbf => self.string(usize::from(t & 0x1f)),
            0x90..=0x9f => self.array(usize::from(t & 0x0f)),
            0x80..=0x8f => self.map(usize::from(t & 0x0f)),
            0xc0 => Ok(LuaValue::Nil),
            0xc2 => Ok(LuaValue::Boolean(false)),
            0xc3 => Ok(LuaValue::Boolean(true)),
            0xca => {
                let bits = self.uint(4)? as u32;
                num(f64::from(f32::from_bits(bits)))
            }
            0xcb => {
                let bits = self.uint(8)?;
                num(f64::from_bits(bits))
            }
            0xcc => num(self.uint(1)? as f64),
            0xcd => num(self.uint(2)? as f64),
            0xce => num(self.uint(4)? as f64),
            // Read back as signed, as lua-cmsgpack does.
            0xcf => num(self.uint(8)? as i64 as f64),
            0xd0 => num(self.int(1)? as f64),
            0xd1 => num(self.int(2)? as f64),
            0xd2 => num(self.int(4)? as f64),
            0xd3 => num(self.int(8)? as f64),
            0xd9 => {
                let n = self.uint(1)? as usize;
                self.string(n)
            }
            0xda => {
                let n = self.uint(2)? as usize;
                self.string(n)
            }
            0xdb => {
                let n = self.uint(4)? as usize;
                self.string(n)
            }
            0xdc => {
                let n = self.uint(2)? as usize;
                self.array(n)
            }
            0xdd => {
                let n = self.uint(4)? as usize;
                self.array(n)
            }
            0xde => {
                let n = self.uint(2)? as usize;
                self.map(n)
            }
            0xdf => {
                let n = self.uint(4)? as usize;
                self.map(n)
            }
            _ => Err(Fail::new("Bad data format in input.")),
        }
    }

    fn string(&mut self, n: usize) -> LibResult<LuaValue> {
        let lua = self.lua;
        let s = self.take(n)?;
        Ok(LuaValue::String(lua.create_string(s)?))
    }

    /// `n` comes from the data: the table grows as elements arrive rather
    /// than being sized up front, and every element takes at least a byte.
    fn array(&mut self, n: usize) -> LibResult<LuaValue> {
        self.descend("mp_decode_to_lua_array")?;
        let t = self.lua.create_table()?;
        for i in 1..=n {
            let v = self.value()?;
            t.raw_set(i, v)?;
        }
        self.depth -= 1;
        Ok(LuaValue::Table(t))
    }

    fn descend(&mut self, func: &str) -> LibResult<()> {
        self.depth += 1;
        if self.depth > MAX_UNPACK_DEPTH {
            return Err(Fail::new(format!("stack overflow (in function {func})")));
        }
        Ok(())
    }

    fn map(&mut self, n: usize) -> LibResult<LuaValue> {
        self.descend("mp_decode_to_lua_hash")?;
        let t = self.lua.create_table()?;
        for _ in 0..n {
            let k = self.value()?;
            let v = self.value()?;
            match &k {
                LuaValue::Nil => return Err(Fail::bare("table index is nil")),
                LuaValue::Number(x) if x.is_nan() => return Err(Fail::bare("table index is NaN")),
                _ => {}
            }
            t.raw_set(k, v)?;
        }
        self.depth -= 1;
        Ok(LuaValue::Table(t))
    }
}
