//! Redis's word splitting, as its inline commands and configuration files
//! use it: spaces separate words; `"…"` takes the escapes `\n \r \t \b \a`,
//! `\xHH` and any other character after a backslash as itself; `'…'` takes
//! only `\'`; a closing quote must be followed by a space or the end.

/// The words of `line`, or `None` if its quotes are unbalanced (or a
/// closing quote is followed by something other than a space).
pub fn split_args(line: &[u8]) -> Option<Vec<Vec<u8>>> {
    let b = line;
    let mut words = Vec::new();
    let mut i = 0;
    loop {
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        if i == b.len() {
            return Some(words);
        }
        let mut word = Vec::new();
        match b[i] {
            b'"' => {
                i += 1;
                loop {
                    match *b.get(i)? {
                        b'"' => break,
                        b'\\' => {
                            let hex = b
                                .get(i + 2..i + 4)
                                .filter(|h| h.iter().all(u8::is_ascii_hexdigit))
                                .and_then(|h| std::str::from_utf8(h).ok())
                                .and_then(|h| u8::from_str_radix(h, 16).ok());
                            match (*b.get(i + 1)?, hex) {
                                (b'x', Some(v)) => {
                                    word.push(v);
                                    i += 4;
                                }
                                (c, _) => {
                                    word.push(match c {
                                        b'n' => b'\n',
                                        b'r' => b'\r',
                                        b't' => b'\t',
                                        b'b' => 8,
                                        b'a' => 7,
                                        other => other,
                                    });
                                    i += 2;
                                }
                            }
                            continue;
                        }
                        c => word.push(c),
                    }
                    i += 1;
                }
                i += 1;
                if b.get(i).is_some_and(|c| !c.is_ascii_whitespace()) {
                    return None;
                }
            }
            b'\'' => {
                i += 1;
                loop {
                    match *b.get(i)? {
                        b'\'' => break,
                        b'\\' if b.get(i + 1) == Some(&b'\'') => {
                            word.push(b'\'');
                            i += 2;
                            continue;
                        }
                        c => word.push(c),
                    }
                    i += 1;
                }
                i += 1;
                if b.get(i).is_some_and(|c| !c.is_ascii_whitespace()) {
                    return None;
                }
            }
            _ => {
                while i < b.len() && !b[i].is_ascii_whitespace() {
                    word.push(b[i]);
                    i += 1;
                }
            }
        }
        words.push(word);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(line: &str) -> Vec<String> {
        split_args(line.as_bytes())
            .expect("splits")
            .into_iter()
            .map(|w| String::from_utf8_lossy(&w).into_owned())
            .collect()
    }

    #[test]
    fn splits_as_redis_does() {
        assert_eq!(words("save 900 1"), ["save", "900", "1"]);
        assert_eq!(words("  port\t6379  "), ["port", "6379"]);
        assert_eq!(words(r#"dir "/a b/c""#), ["dir", "/a b/c"]);
        assert_eq!(words(r#"x "a\tb\x41\"q\\""#), ["x", "a\tbA\"q\\"]);
        assert_eq!(words(r#"x "\xzz""#), ["x", "xzz"]);
        assert_eq!(words(r"x 'it\'s' ''"), ["x", "it's", ""]);
        assert_eq!(words(r#"save """#), ["save", ""]);
        assert!(words("").is_empty());
        for bad in [r#"x "open"#, "x 'open", r#"x "a"b"#, "x 'a'b", r#"x "a\"#] {
            assert!(split_args(bad.as_bytes()).is_none(), "{bad}");
        }
    }
}
