//! `cjson` for scripts: JSON to and from Lua values, following the
//! lua-cjson 2.1.0 that Redis ships, with its default settings.
//!
//! Encoding: a table whose keys are all positive integers is an array
//! (holes become `null`; one too sparse, largest key over 10 and over
//! twice the count, is refused), an empty table is `{}`, any other table
//! an object whose keys must be strings or numbers. Numbers print as
//! `%.14g`. `cjson.null` (a null light userdata) is JSON's null both ways.
//! Decoding reads numbers as C's `strtod` does (hex, `inf`, `nan`, a
//! leading `+`, as lua-cjson accepts them by default) and reports errors
//! with lua-cjson's token names and 1-based character positions.

use mlua::{LightUserData, Lua, MultiValue, Table, Value as LuaValue};

use super::lua_libs::{check_string, format_g, see_through, type_name, Fail, LibFn, LibResult};

pub(super) static FUNCTIONS: &[(&str, LibFn)] = &[("encode", encode), ("decode", decode)];

/// How deep tables may nest, either way (lua-cjson's default).
const MAX_DEPTH: usize = 1000;

/// The non-function fields: `null`, `_NAME`, `_VERSION`.
pub(super) fn fields(_lua: &Lua, t: &Table) -> mlua::Result<()> {
    t.raw_set("null", null())?;
    t.raw_set("_NAME", "cjson")?;
    t.raw_set("_VERSION", "2.1.0")?;
    Ok(())
}

fn null() -> LuaValue {
    LuaValue::LightUserData(LightUserData(std::ptr::null_mut()))
}

fn one(v: LuaValue) -> MultiValue {
    let mut m = MultiValue::new();
    m.push_back(v);
    m
}

fn encode(lua: &Lua, args: MultiValue) -> LibResult<MultiValue> {
    if args.len() != 1 {
        return Err(Fail::arg(1, "expected 1 argument"));
    }
    let mut out = Vec::new();
    encode_value(&args[0], 0, &mut out)?;
    Ok(one(LuaValue::String(lua.create_string(&out)?)))
}

fn encode_value(v: &LuaValue, depth: usize, out: &mut Vec<u8>) -> LibResult<()> {
    match v {
        LuaValue::Nil => out.extend_from_slice(b"null"),
        LuaValue::Boolean(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        LuaValue::Integer(i) => out.extend_from_slice(format_g(*i as f64, 14).as_bytes()),
        LuaValue::Number(x) => {
            if !x.is_finite() {
                return Err(Fail::new("Cannot serialise number: must not be NaN or Inf"));
            }
            out.extend_from_slice(format_g(*x, 14).as_bytes());
        }
        LuaValue::String(s) => encode_string(&s.as_bytes(), out),
        LuaValue::Table(t) => encode_table(&see_through(t), depth + 1, out)?,
        LuaValue::LightUserData(p) if p.0.is_null() => out.extend_from_slice(b"null"),
        other => {
            return Err(Fail::new(format!(
                "Cannot serialise {}: type not supported",
                type_name(other)
            )))
        }
    }
    Ok(())
}

fn encode_table(t: &Table, depth: usize, out: &mut Vec<u8>) -> LibResult<()> {
    if depth > MAX_DEPTH {
        return Err(Fail::new(format!(
            "Cannot serialise, excessive nesting ({depth})"
        )));
    }
    match array_length(t)? {
        Some(len) if len > 0 => {
            out.push(b'[');
            for i in 1..=len {
                if i > 1 {
                    out.push(b',');
                }
                encode_value(&t.raw_get::<LuaValue>(i)?, depth, out)?;
            }
            out.push(b']');
        }
        _ => {
            out.push(b'{');
            let mut first = true;
            for pair in t.pairs::<LuaValue, LuaValue>() {
                let (k, v) = pair?;
                if !first {
                    out.push(b',');
                }
                first = false;
                match &k {
                    LuaValue::String(s) => encode_string(&s.as_bytes(), out),
                    LuaValue::Integer(i) => {
                        out.push(b'"');
                        out.extend_from_slice(format_g(*i as f64, 14).as_bytes());
                        out.push(b'"');
                    }
                    LuaValue::Number(x) => {
                        out.push(b'"');
                        out.extend_from_slice(format_g(*x, 14).as_bytes());
                        out.push(b'"');
                    }
                    other => {
                        return Err(Fail::new(format!(
                            "Cannot serialise {}: table key must be a number or string",
                            type_name(other)
                        )))
                    }
                }
                out.push(b':');
                encode_value(&v, depth, out)?;
            }
            out.push(b'}');
        }
    }
    Ok(())
}

/// The length of `t` as an array (its largest key), or None when some key
/// is not a positive integer. Refuses an excessively sparse array.
fn array_length(t: &Table) -> LibResult<Option<usize>> {
    let mut max = 0f64;
    let mut items = 0f64;
    for pair in t.pairs::<LuaValue, LuaValue>() {
        let (k, _) = pair?;
        let k = match k {
            LuaValue::Integer(i) => i as f64,
            LuaValue::Number(x) => x,
            _ => return Ok(None),
        };
        if k < 1.0 || k.fract() != 0.0 {
            return Ok(None);
        }
        max = max.max(k);
        items += 1.0;
    }
    if max > 10.0 && max > items * 2.0 {
        return Err(Fail::new(
            "Cannot serialise table: excessively sparse array",
        ));
    }
    // Bounded by the check above: at most twice the entries, or 10.
    Ok(Some(max as usize))
}

fn encode_string(s: &[u8], out: &mut Vec<u8>) {
    out.push(b'"');
    for &b in s {
        match b {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'/' => out.extend_from_slice(b"\\/"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            0x08 => out.extend_from_slice(b"\\b"),
            0x0c => out.extend_from_slice(b"\\f"),
            0..=0x1f | 0x7f => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.extend_from_slice(b"\\u00");
                out.push(HEX[usize::from(b >> 4)]);
                out.push(HEX[usize::from(b & 15)]);
            }
            _ => out.push(b),
        }
    }
    out.push(b'"');
}

fn decode(lua: &Lua, args: MultiValue) -> LibResult<MultiValue> {
    if args.len() != 1 {
        return Err(Fail::arg(1, "expected 1 argument"));
    }
    let text = check_string(lua, &args, 1)?;
    let mut p = Parser {
        lua,
        s: &text,
        pos: 0,
        depth: 0,
    };
    let first = p.next_token();
    let v = p.value(first)?;
    let end = p.next_token();
    if !matches!(end.kind, Kind::End) {
        return Err(expected("the end", &end));
    }
    Ok(one(v))
}

enum Kind {
    ObjBegin,
    ObjEnd,
    ArrBegin,
    ArrEnd,
    Str(Vec<u8>),
    Num(f64),
    Bool(bool),
    Null,
    Colon,
    Comma,
    End,
    Error(&'static str),
}

struct Token {
    kind: Kind,
    /// Where it starts (or where the error is), 0-based.
    index: usize,
}

/// lua-cjson's name for what it found.
fn found(t: &Token) -> &'static str {
    match t.kind {
        Kind::ObjBegin => "T_OBJ_BEGIN",
        Kind::ObjEnd => "T_OBJ_END",
        Kind::ArrBegin => "T_ARR_BEGIN",
        Kind::ArrEnd => "T_ARR_END",
        Kind::Str(_) => "T_STRING",
        Kind::Num(_) => "T_NUMBER",
        Kind::Bool(_) => "T_BOOLEAN",
        Kind::Null => "T_NULL",
        Kind::Colon => "T_COLON",
        Kind::Comma => "T_COMMA",
        Kind::End => "T_END",
        Kind::Error(msg) => msg,
    }
}

fn expected(what: &str, t: &Token) -> Fail {
    Fail::new(format!(
        "Expected {what} but found {} at character {}",
        found(t),
        t.index + 1
    ))
}

struct Parser<'a> {
    lua: &'a Lua,
    s: &'a [u8],
    pos: usize,
    depth: usize,
}

impl Parser<'_> {
    fn peek(&self, off: usize) -> u8 {
        self.s.get(self.pos + off).copied().unwrap_or(0)
    }

    fn next_token(&mut self) -> Token {
        while matches!(self.peek(0), b' ' | b'\t' | b'\n' | b'\r') {
            self.pos += 1;
        }
        let index = self.pos;
        let token = |kind| Token { kind, index };
        if self.pos >= self.s.len() {
            return token(Kind::End);
        }
        let s = self.s;
        let rest = &s[self.pos..];
        let simple = match rest[0] {
            b'{' => Some(Kind::ObjBegin),
            b'}' => Some(Kind::ObjEnd),
            b'[' => Some(Kind::ArrBegin),
            b']' => Some(Kind::ArrEnd),
            b':' => Some(Kind::Colon),
            b',' => Some(Kind::Comma),
            _ => None,
        };
        if let Some(kind) = simple {
            self.pos += 1;
            return token(kind);
        }
        let c = rest[0];
        if c == b'"' {
            return self.string();
        }
        if c == b'-' || c.is_ascii_digit() {
            return self.number();
        }
        for (word, kind) in [
            (&b"true"[..], Kind::Bool(true)),
            (b"false", Kind::Bool(false)),
            (b"null", Kind::Null),
        ] {
            if rest.starts_with(word) {
                self.pos += word.len();
                return token(kind);
            }
        }
        // What is not JSON but `strtod` reads: lua-cjson passes it on.
        let lower = |n: usize| rest.get(..n).map(|p| p.to_ascii_lowercase());
        if c == b'+'
            || (c > b'9'
                && (lower(3).as_deref() == Some(b"inf") || lower(3).as_deref() == Some(b"nan")))
        {
            return self.number();
        }
        token(Kind::Error("invalid token"))
    }

    /// A number as `strtod` reads it from here.
    fn number(&mut self) -> Token {
        let index = self.pos;
        let s = self.s;
        let mut i = self.pos;
        let negative = match s.get(i) {
            Some(b'-') => {
                i += 1;
                true
            }
            Some(b'+') => {
                i += 1;
                false
            }
            _ => false,
        };
        let sign = if negative { -1.0 } else { 1.0 };
        let word = |i: usize, w: &[u8]| {
            s.get(i..i + w.len())
                .is_some_and(|p| p.eq_ignore_ascii_case(w))
        };
        let value;
        if word(i, b"infinity") {
            i += 8;
            value = sign * f64::INFINITY;
        } else if word(i, b"inf") {
            i += 3;
            value = sign * f64::INFINITY;
        } else if word(i, b"nan") {
            i += 3;
            value = f64::NAN;
        } else if word(i, b"0x") && s.get(i + 2).is_some_and(|c| c.is_ascii_hexdigit()) {
            i += 2;
            let mut v = 0f64;
            while let Some(d) = s.get(i).and_then(|c| (*c as char).to_digit(16)) {
                v = v * 16.0 + f64::from(d);
                i += 1;
            }
            value = sign * v;
        } else {
            let start = i;
            let digits = |i: &mut usize| {
                let from = *i;
                while s.get(*i).is_some_and(|c| c.is_ascii_digit()) {
                    *i += 1;
                }
                *i - from
            };
            let mut n = digits(&mut i);
            if s.get(i) == Some(&b'.') {
                i += 1;
                n += digits(&mut i);
                if n == 0 {
                    i -= 1;
                }
            }
            if n == 0 {
                self.pos = index;
                return Token {
                    kind: Kind::Error("invalid number"),
                    index,
                };
            }
            if matches!(s.get(i), Some(b'e' | b'E')) {
                let mut j = i + 1;
                if matches!(s.get(j), Some(b'+' | b'-')) {
                    j += 1;
                }
                if digits(&mut j) > 0 {
                    i = j;
                }
            }
            let text = std::str::from_utf8(&s[start..i]).unwrap_or("0");
            value = sign * text.parse::<f64>().unwrap_or(0.0);
        }
        self.pos = i;
        Token {
            kind: Kind::Num(value),
            index,
        }
    }

    fn string(&mut self) -> Token {
        let index = self.pos;
        self.pos += 1;
        let mut out = Vec::new();
        let fail = |pos: usize, msg| Token {
            kind: Kind::Error(msg),
            index: pos,
        };
        loop {
            let Some(&c) = self.s.get(self.pos) else {
                return fail(self.pos, "unexpected end of string");
            };
            match c {
                b'"' => {
                    self.pos += 1;
                    return Token {
                        kind: Kind::Str(out),
                        index,
                    };
                }
                b'\\' => {
                    let at = self.pos;
                    let Some(&e) = self.s.get(self.pos + 1) else {
                        return fail(at, "unexpected end of string");
                    };
                    let plain = match e {
                        b'"' => Some(b'"'),
                        b'\\' => Some(b'\\'),
                        b'/' => Some(b'/'),
                        b'b' => Some(0x08),
                        b'f' => Some(0x0c),
                        b'n' => Some(b'\n'),
                        b'r' => Some(b'\r'),
                        b't' => Some(b'\t'),
                        _ => None,
                    };
                    if let Some(b) = plain {
                        out.push(b);
                        self.pos += 2;
                    } else if e == b'u' {
                        match self.unicode_escape() {
                            Some(ch) => {
                                let mut buf = [0u8; 4];
                                out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                            }
                            None => return fail(at, "invalid unicode escape code"),
                        }
                    } else {
                        return fail(at, "invalid escape code");
                    }
                }
                _ => {
                    out.push(c);
                    self.pos += 1;
                }
            }
        }
    }

    /// `\uXXXX` (a surrogate pair as two) at `pos`, moving past it.
    fn unicode_escape(&mut self) -> Option<char> {
        let hex4 = |at: usize| -> Option<u32> {
            let h = self.s.get(at..at + 4)?;
            u32::from_str_radix(std::str::from_utf8(h).ok()?, 16).ok()
        };
        let hi = hex4(self.pos + 2)?;
        let code = match hi {
            0xd800..=0xdbff => {
                if self.s.get(self.pos + 6..self.pos + 8) != Some(b"\\u") {
                    return None;
                }
                let lo = hex4(self.pos + 8)?;
                if !(0xdc00..=0xdfff).contains(&lo) {
                    return None;
                }
                self.pos += 6;
                0x10000 + ((hi - 0xd800) << 10) + (lo - 0xdc00)
            }
            0xdc00..=0xdfff => return None,
            c => c,
        };
        self.pos += 6;
        char::from_u32(code)
    }

    fn value(&mut self, t: Token) -> LibResult<LuaValue> {
        Ok(match t.kind {
            Kind::Str(s) => LuaValue::String(self.lua.create_string(&s)?),
            Kind::Num(x) => LuaValue::Number(x),
            Kind::Bool(b) => LuaValue::Boolean(b),
            Kind::Null => null(),
            Kind::ObjBegin => LuaValue::Table(self.object()?),
            Kind::ArrBegin => LuaValue::Table(self.array()?),
            _ => return Err(expected("value", &t)),
        })
    }

    fn descend(&mut self) -> LibResult<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(Fail::new(format!(
                "Found too many nested data structures ({}) at character {}",
                self.depth, self.pos
            )));
        }
        Ok(())
    }

    fn array(&mut self) -> LibResult<Table> {
        self.descend()?;
        let t = self.lua.create_table()?;
        let mut tok = self.next_token();
        if matches!(tok.kind, Kind::ArrEnd) {
            self.depth -= 1;
            return Ok(t);
        }
        let mut i = 1;
        loop {
            let v = self.value(tok)?;
            t.raw_set(i, v)?;
            i += 1;
            let sep = self.next_token();
            match sep.kind {
                Kind::ArrEnd => break,
                Kind::Comma => tok = self.next_token(),
                _ => return Err(expected("comma or array end", &sep)),
            }
        }
        self.depth -= 1;
        Ok(t)
    }

    fn object(&mut self) -> LibResult<Table> {
        self.descend()?;
        let t = self.lua.create_table()?;
        let mut tok = self.next_token();
        if matches!(tok.kind, Kind::ObjEnd) {
            self.depth -= 1;
            return Ok(t);
        }
        loop {
            let Kind::Str(key) = tok.kind else {
                return Err(expected("object key string", &tok));
            };
            let colon = self.next_token();
            if !matches!(colon.kind, Kind::Colon) {
                return Err(expected("colon", &colon));
            }
            let vt = self.next_token();
            let v = self.value(vt)?;
            t.raw_set(self.lua.create_string(&key)?, v)?;
            let sep = self.next_token();
            match sep.kind {
                Kind::ObjEnd => break,
                Kind::Comma => tok = self.next_token(),
                _ => return Err(expected("comma or object end", &sep)),
            }
        }
        self.depth -= 1;
        Ok(t)
    }
}
