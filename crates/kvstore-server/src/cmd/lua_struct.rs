//! `struct` for scripts: Roberto Ierusalimschy's struct library for Lua
//! 5.1, as Redis ships it, on a 64-bit machine.
//!
//! Format: `<` `>` set the byte order (little by default), `!n` the
//! largest alignment (`!` alone: 8; none by default), spaces are ignored;
//! `b B` (1 byte) `h H` (2) `l L T` (8) `i I` (`iN`: N bytes, 4 by
//! default, up to 32) are integers, lower case signed; `f d` floats;
//! `x` a zero byte; `cN` N bytes of a string (`c0`: all of it when
//! packing, as long as the number before when unpacking); `s` a
//! zero-terminated string.

use mlua::{Lua, MultiValue, Value as LuaValue};

use super::lua_libs::{check_number, check_string, opt_number, Fail, LibFn, LibResult};

pub(super) static FUNCTIONS: &[(&str, LibFn)] =
    &[("pack", pack), ("unpack", unpack), ("size", size)];

/// The widest integer (`i32` is 32 bytes).
const MAX_INT_SIZE: usize = 32;
/// What `!` alone aligns to.
const MAX_ALIGN: usize = 8;

struct Format<'f> {
    fmt: &'f [u8],
    at: usize,
    little: bool,
    align: usize,
}

impl<'f> Format<'f> {
    fn new(fmt: &'f [u8]) -> Self {
        Format {
            fmt,
            at: 0,
            little: true,
            align: 1,
        }
    }

    /// The option's count, or `default` when none is written.
    fn number(&mut self, default: usize) -> LibResult<usize> {
        if !self.fmt.get(self.at).is_some_and(u8::is_ascii_digit) {
            return Ok(default);
        }
        let mut n: usize = 0;
        while let Some(d) = self.fmt.get(self.at).filter(|c| c.is_ascii_digit()) {
            n = n
                .checked_mul(10)
                .and_then(|n| n.checked_add(usize::from(d - b'0')))
                .filter(|&n| n <= i32::MAX as usize)
                .ok_or_else(|| Fail::new("integral size overflow"))?;
            self.at += 1;
        }
        Ok(n)
    }

    /// The next option and its size (0 for those with none of their own).
    fn next(&mut self) -> LibResult<Option<(u8, usize)>> {
        let Some(&opt) = self.fmt.get(self.at) else {
            return Ok(None);
        };
        self.at += 1;
        let size = match opt {
            b'b' | b'B' | b'x' => 1,
            b'h' | b'H' => 2,
            b'l' | b'L' | b'T' | b'd' => 8,
            b'f' => 4,
            b'c' => self.number(1)?,
            b'i' | b'I' => {
                let n = self.number(4)?;
                if n > MAX_INT_SIZE {
                    return Err(Fail::new(format!(
                        "integral size {n} is larger than limit of {MAX_INT_SIZE}"
                    )));
                }
                n
            }
            _ => 0,
        };
        Ok(Some((opt, size)))
    }

    /// Padding before an option of `size` at `len`.
    fn padding(&self, len: usize, opt: u8, size: usize) -> usize {
        if size == 0 || opt == b'c' {
            return 0;
        }
        let size = size.min(self.align);
        (size - (len & (size - 1))) & (size - 1)
    }

    /// The options that set how the rest is read.
    fn control(&mut self, opt: u8) -> LibResult<()> {
        match opt {
            b' ' => {}
            b'>' => self.little = false,
            b'<' => self.little = true,
            b'!' => {
                let a = self.number(MAX_ALIGN)?;
                if !a.is_power_of_two() {
                    return Err(Fail::new(format!("alignment {a} is not a power of 2")));
                }
                self.align = a;
            }
            other => {
                return Err(Fail::arg(
                    1,
                    &format!("invalid format option '{}'", other as char),
                ))
            }
        }
        Ok(())
    }
}

fn is_int(opt: u8) -> bool {
    matches!(
        opt,
        b'b' | b'B' | b'h' | b'H' | b'l' | b'L' | b'T' | b'i' | b'I'
    )
}

fn pack(lua: &Lua, mut args: MultiValue) -> LibResult<MultiValue> {
    let fmt = check_string(lua, &args, 1)?;
    // Each option takes at most one argument: past the last one given,
    // the C library sees nil rather than "no value".
    while args.len() < fmt.len() + 1 {
        args.push_back(LuaValue::Nil);
    }
    let mut f = Format::new(&fmt);
    let mut out = Vec::new();
    let mut arg = 2;
    while let Some((opt, mut size)) = f.next()? {
        let pad = f.padding(out.len(), opt, size);
        out.resize(out.len() + pad, 0);
        match opt {
            _ if is_int(opt) => {
                let n = check_number(lua, &args, arg)?;
                arg += 1;
                let mut v = if n < 0.0 { n as i64 as u64 } else { n as u64 };
                let mut bytes = Vec::new();
                for _ in 0..size {
                    bytes.push(v as u8);
                    v = v.checked_shr(8).unwrap_or(0);
                }
                if !f.little {
                    bytes.reverse();
                }
                out.extend_from_slice(&bytes);
            }
            b'x' => out.push(0),
            b'f' => {
                let x = check_number(lua, &args, arg)? as f32;
                arg += 1;
                let b = x.to_bits();
                out.extend_from_slice(&if f.little {
                    b.to_le_bytes()
                } else {
                    b.to_be_bytes()
                });
            }
            b'd' => {
                let x = check_number(lua, &args, arg)?;
                arg += 1;
                let b = x.to_bits();
                out.extend_from_slice(&if f.little {
                    b.to_le_bytes()
                } else {
                    b.to_be_bytes()
                });
            }
            b'c' | b's' => {
                let s = check_string(lua, &args, arg)?;
                arg += 1;
                if size == 0 {
                    size = s.len();
                }
                if s.len() < size {
                    return Err(Fail::arg(arg, "string too short"));
                }
                out.extend_from_slice(&s[..size]);
                if opt == b's' {
                    out.push(0);
                }
            }
            _ => f.control(opt)?,
        }
    }
    let mut m = MultiValue::new();
    m.push_back(LuaValue::String(lua.create_string(&out)?));
    Ok(m)
}

fn unpack(lua: &Lua, args: MultiValue) -> LibResult<MultiValue> {
    let fmt = check_string(lua, &args, 1)?;
    let data = check_string(lua, &args, 2)?;
    let start = opt_number(lua, &args, 3, 1.0)? as i64;
    if start == 0 {
        return Err(Fail::arg(3, "offset must be 1 or greater"));
    }
    // A negative start wraps around, as the C library's size_t does, and
    // then finds the data too short.
    let mut pos = (start as usize).wrapping_sub(1);
    let mut f = Format::new(&fmt);
    let mut out = MultiValue::new();
    let too_short = || Fail::arg(2, "data string too short");
    while let Some((opt, mut size)) = f.next()? {
        pos += f.padding(pos, opt, size);
        if pos.checked_add(size).is_none_or(|end| end > data.len()) {
            return Err(too_short());
        }
        match opt {
            _ if is_int(opt) => {
                let bytes = &data[pos..pos + size];
                let mut v: u64 = 0;
                let mut push = |b: &u8| v = v.checked_shl(8).unwrap_or(0) | u64::from(*b);
                if f.little {
                    bytes.iter().rev().for_each(&mut push);
                } else {
                    bytes.iter().for_each(&mut push);
                }
                let x = if opt.is_ascii_uppercase() {
                    v as f64
                } else if size < 8 {
                    let shift = 64 - 8 * size as u32;
                    (((v << shift) as i64) >> shift) as f64
                } else {
                    v as i64 as f64
                };
                out.push_back(LuaValue::Number(x));
            }
            b'x' => {}
            b'f' => {
                let mut b = [0u8; 4];
                b.copy_from_slice(&data[pos..pos + 4]);
                let x = if f.little {
                    f32::from_le_bytes(b)
                } else {
                    f32::from_be_bytes(b)
                };
                out.push_back(LuaValue::Number(f64::from(x)));
            }
            b'd' => {
                let mut b = [0u8; 8];
                b.copy_from_slice(&data[pos..pos + 8]);
                let x = if f.little {
                    f64::from_le_bytes(b)
                } else {
                    f64::from_be_bytes(b)
                };
                out.push_back(LuaValue::Number(x));
            }
            b'c' => {
                if size == 0 {
                    let n = match out.pop_back() {
                        Some(LuaValue::Number(x)) => x,
                        Some(LuaValue::Integer(i)) => i as f64,
                        _ => return Err(Fail::new("format 'c0' needs a previous size")),
                    };
                    size = if n > 0.0 { n as usize } else { 0 };
                    if pos.checked_add(size).is_none_or(|end| end > data.len()) {
                        return Err(too_short());
                    }
                }
                out.push_back(LuaValue::String(lua.create_string(&data[pos..pos + size])?));
            }
            b's' => {
                let Some(len) = memchr::memchr(0, &data[pos..]) else {
                    return Err(Fail::new("unfinished string in data"));
                };
                out.push_back(LuaValue::String(lua.create_string(&data[pos..pos + len])?));
                size = len + 1;
            }
            _ => f.control(opt)?,
        }
        pos += size;
    }
    out.push_back(LuaValue::Number(pos.wrapping_add(1) as i64 as f64));
    Ok(out)
}

fn size(lua: &Lua, args: MultiValue) -> LibResult<MultiValue> {
    let fmt = check_string(lua, &args, 1)?;
    let mut f = Format::new(&fmt);
    let mut pos = 0usize;
    while let Some((opt, size)) = f.next()? {
        pos += f.padding(pos, opt, size);
        if opt == b's' {
            return Err(Fail::arg(1, "option 's' has no fixed size"));
        }
        if opt == b'c' && size == 0 {
            return Err(Fail::arg(1, "option 'c0' has no fixed size"));
        }
        if !opt.is_ascii_alphanumeric() {
            f.control(opt)?;
        }
        pos = pos.saturating_add(size);
    }
    let mut m = MultiValue::new();
    m.push_back(LuaValue::Number(pos as f64));
    Ok(m)
}
