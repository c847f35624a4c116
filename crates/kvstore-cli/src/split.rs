//! Splitting a prompt line into arguments, with redis-cli's quoting rules.
//!
//! Words are separated by whitespace. In double quotes, `\"`, `\\`, `\n`,
//! `\r`, `\t`, `\a`, `\b` and `\xHH` are escapes; in single quotes only
//! `\'` is. A closing quote must be followed by whitespace or the end.

/// The arguments of `line`, or `None` for unbalanced or misplaced quotes.
pub fn split(line: &str) -> Option<Vec<Vec<u8>>> {
    let bytes = line.as_bytes();
    let mut args = Vec::new();
    let mut i = 0;
    loop {
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        if i == bytes.len() {
            return Some(args);
        }
        let mut arg = Vec::new();
        loop {
            match bytes.get(i) {
                None => break,
                Some(b) if b.is_ascii_whitespace() => break,
                Some(b'"') => i = double_quoted(bytes, i + 1, &mut arg)?,
                Some(b'\'') => i = single_quoted(bytes, i + 1, &mut arg)?,
                Some(&b) => {
                    arg.push(b);
                    i += 1;
                }
            }
        }
        args.push(arg);
    }
}

/// Reads up to the closing `"`; returns the index after it.
fn double_quoted(bytes: &[u8], mut i: usize, arg: &mut Vec<u8>) -> Option<usize> {
    loop {
        match *bytes.get(i)? {
            b'"' => return after_quote(bytes, i + 1),
            b'\\' => {
                let esc = *bytes.get(i + 1)?;
                if esc == b'x' {
                    if let Some(byte) = hex_byte(bytes.get(i + 2..i + 4)) {
                        arg.push(byte);
                        i += 4;
                        continue;
                    }
                }
                arg.push(match esc {
                    b'n' => b'\n',
                    b'r' => b'\r',
                    b't' => b'\t',
                    b'a' => 0x07,
                    b'b' => 0x08,
                    other => other,
                });
                i += 2;
            }
            b => {
                arg.push(b);
                i += 1;
            }
        }
    }
}

fn single_quoted(bytes: &[u8], mut i: usize, arg: &mut Vec<u8>) -> Option<usize> {
    loop {
        match *bytes.get(i)? {
            b'\'' => return after_quote(bytes, i + 1),
            b'\\' if bytes.get(i + 1) == Some(&b'\'') => {
                arg.push(b'\'');
                i += 2;
            }
            b => {
                arg.push(b);
                i += 1;
            }
        }
    }
}

/// `"a"b` is refused, as redis-cli does, rather than guessing.
fn after_quote(bytes: &[u8], i: usize) -> Option<usize> {
    match bytes.get(i) {
        None => Some(i),
        Some(b) if b.is_ascii_whitespace() => Some(i),
        Some(_) => None,
    }
}

fn hex_byte(digits: Option<&[u8]>) -> Option<u8> {
    let s = std::str::from_utf8(digits?).ok()?;
    if s.len() == 2 && s.bytes().all(|b| b.is_ascii_hexdigit()) {
        u8::from_str_radix(s, 16).ok()
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(line: &str) -> Vec<String> {
        split(line)
            .unwrap()
            .into_iter()
            .map(|w| String::from_utf8(w).unwrap())
            .collect()
    }

    #[test]
    fn plain_words() {
        assert_eq!(words("  set  k   v "), ["set", "k", "v"]);
        assert!(words("   ").is_empty());
    }

    #[test]
    fn double_quotes_group_and_escape() {
        assert_eq!(words(r#"set k "hello world""#), ["set", "k", "hello world"]);
        assert_eq!(words(r#""a\"b\\c\n\t""#), ["a\"b\\c\n\t"]);
        assert_eq!(words(r#""""#), [""]);
        assert_eq!(
            split(r#""\x00\xff\xzz""#).unwrap(),
            vec![b"\x00\xffxzz".to_vec()]
        );
    }

    #[test]
    fn single_quotes_are_literal() {
        assert_eq!(words(r#"'a \n "b"' 'it\'s'"#), [r#"a \n "b""#, "it's"]);
    }

    #[test]
    fn bad_quoting_is_refused() {
        assert_eq!(split(r#"set k "unterminated"#), None);
        assert_eq!(split("'open"), None);
        assert_eq!(split(r#""a"b"#), None);
    }

    #[test]
    fn unicode_passes_through() {
        assert_eq!(
            words("set clé \"héllo wörld\""),
            ["set", "clé", "héllo wörld"]
        );
    }
}
