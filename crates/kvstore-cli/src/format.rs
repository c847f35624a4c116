//! Rendering replies the way redis-cli does, or bare with `--raw`.

use kvstore_protocol::Value;

/// The reply as redis-cli shows it on a terminal, without a final newline.
///
/// Aggregates are numbered `1) `, `1~ ` (sets) and `1# key => value`
/// (dictionaries); lines of a nested aggregate are indented under the first.
pub fn human(value: &Value) -> String {
    let mut out = String::new();
    write_human(value, 0, &mut out);
    out
}

fn write_human(value: &Value, indent: usize, out: &mut String) {
    match value {
        Value::Simple(s) => escape_controls(&String::from_utf8_lossy(s), out),
        Value::Error(e) => {
            out.push_str("(error) ");
            escape_controls(&String::from_utf8_lossy(e), out);
        }
        Value::Integer(n) => out.push_str(&format!("(integer) {n}")),
        Value::Bulk(b) => quote(b, out),
        Value::Null | Value::NullArray => out.push_str("(nil)"),
        Value::Boolean(b) => out.push_str(if *b { "(true)" } else { "(false)" }),
        Value::Double(d) => out.push_str(&format!("(double) {}", double(*d))),
        Value::Array(items) | Value::Push(items) => list(items, ')', "(empty array)", indent, out),
        Value::Set(items) => list(items, '~', "(empty set)", indent, out),
        Value::Map(pairs) if pairs.is_empty() => out.push_str("(empty hash)"),
        Value::Map(pairs) => {
            let width = digits(pairs.len());
            for (i, (k, v)) in pairs.iter().enumerate() {
                let prefix = format!("{:>width$}# ", i + 1);
                start_line(i, indent, out);
                out.push_str(&prefix);
                let mut key = String::new();
                write_human(k, indent + prefix.len(), &mut key);
                out.push_str(&key);
                out.push_str(" => ");
                // The value's continuation lines line up under its first
                // character, which follows the last line of the key.
                let key_last_line = key.rsplit('\n').next().unwrap_or("");
                let column = if key.contains('\n') {
                    key_last_line.chars().count()
                } else {
                    indent + prefix.len() + key.chars().count()
                };
                write_human(v, column + 4, out);
            }
        }
    }
}

fn list(items: &[Value], mark: char, empty: &str, indent: usize, out: &mut String) {
    if items.is_empty() {
        out.push_str(empty);
        return;
    }
    let width = digits(items.len());
    for (i, item) in items.iter().enumerate() {
        let prefix = format!("{:>width$}{mark} ", i + 1);
        start_line(i, indent, out);
        out.push_str(&prefix);
        write_human(item, indent + prefix.len(), out);
    }
}

/// Every element after the first starts a new line at the current indent.
fn start_line(index: usize, indent: usize, out: &mut String) {
    if index > 0 {
        out.push('\n');
        out.push_str(&" ".repeat(indent));
    }
}

fn digits(n: usize) -> usize {
    n.to_string().len()
}

/// `"text"` with quotes, backslashes, control and non-ASCII bytes escaped,
/// so any binary value prints on one unambiguous line.
pub fn quote(bytes: &[u8], out: &mut String) {
    out.push('"');
    for &b in bytes {
        match b {
            b'\\' => out.push_str("\\\\"),
            b'"' => out.push_str("\\\""),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            0x07 => out.push_str("\\a"),
            0x08 => out.push_str("\\b"),
            0x20..=0x7e => out.push(char::from(b)),
            _ => out.push_str(&format!("\\x{b:02x}")),
        }
    }
    out.push('"');
}

/// `text` with control characters escaped, for simple strings and error
/// messages, which print unquoted: a server must not be able to send
/// terminal escape sequences (ESC, CSI) or fake extra lines to the user.
pub fn escape_controls(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_ascii_control() => out.push_str(&format!("\\x{:02x}", u32::from(c))),
            // C1 controls, e.g. U+009B, which some terminals read as CSI.
            c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", u32::from(c))),
            c => out.push(c),
        }
    }
}

/// [`escape_controls`] into a new string.
pub fn escaped(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    escape_controls(text, &mut out);
    out
}

fn double(d: f64) -> String {
    if d.is_infinite() {
        if d > 0.0 { "inf" } else { "-inf" }.to_string()
    } else {
        format!("{d}")
    }
}

/// The reply for scripts: strings as their bytes, numbers as digits, null
/// as an empty line, and aggregates flattened to one element per line
/// (dictionaries as key line, value line). Every line ends in `\n`.
pub fn raw(value: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    write_raw(value, &mut out);
    out
}

fn write_raw(value: &Value, out: &mut Vec<u8>) {
    match value {
        Value::Simple(b) | Value::Bulk(b) | Value::Error(b) => {
            out.extend_from_slice(b);
            out.push(b'\n');
        }
        Value::Integer(n) => out.extend_from_slice(format!("{n}\n").as_bytes()),
        Value::Null | Value::NullArray => out.push(b'\n'),
        Value::Boolean(b) => out.extend_from_slice(if *b { b"true\n" } else { b"false\n" }),
        Value::Double(d) => out.extend_from_slice(format!("{}\n", double(*d)).as_bytes()),
        Value::Array(items) | Value::Set(items) | Value::Push(items) => {
            items.iter().for_each(|v| write_raw(v, out))
        }
        Value::Map(pairs) => pairs.iter().for_each(|(k, v)| {
            write_raw(k, out);
            write_raw(v, out);
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arr(items: Vec<Value>) -> Value {
        Value::Array(items)
    }

    #[test]
    fn scalars() {
        assert_eq!(human(&Value::Integer(1)), "(integer) 1");
        assert_eq!(human(&Value::Integer(-7)), "(integer) -7");
        assert_eq!(human(&Value::bulk("text")), "\"text\"");
        assert_eq!(human(&Value::bulk("")), "\"\"");
        assert_eq!(human(&Value::ok()), "OK");
        assert_eq!(human(&Value::Null), "(nil)");
        assert_eq!(human(&Value::error("ERR bad")), "(error) ERR bad");
        assert_eq!(human(&Value::Boolean(true)), "(true)");
        assert_eq!(human(&Value::Double(1.5)), "(double) 1.5");
        assert_eq!(human(&Value::Double(f64::NEG_INFINITY)), "(double) -inf");
    }

    #[test]
    fn integers_print_every_digit_never_as_floats() {
        assert_eq!(
            human(&Value::Integer(i64::MAX)),
            "(integer) 9223372036854775807"
        );
        assert_eq!(
            human(&Value::Integer(i64::MIN)),
            "(integer) -9223372036854775808"
        );
        assert_eq!(raw(&Value::Integer(i64::MAX)), b"9223372036854775807\n");
        // A double holding a whole number keeps its digits too.
        assert_eq!(
            human(&Value::Double(1e20)),
            "(double) 100000000000000000000"
        );
        assert_eq!(raw(&Value::Double(1e20)), b"100000000000000000000\n");
    }

    #[test]
    fn strings_escape_non_printable_bytes() {
        let v = Value::bulk(b"a\"b\\c\n\r\t\x07\x08\x00\xff\xc3\xa9");
        assert_eq!(human(&v), r#""a\"b\\c\n\r\t\a\b\x00\xff\xc3\xa9""#);
    }

    #[test]
    fn simple_strings_and_errors_escape_control_characters() {
        let v = Value::simple("a\x1b[2Jb\nc\x7f\u{9b}é");
        assert_eq!(human(&v), "a\\x1b[2Jb\\nc\\x7f\\u{9b}é");
        let v = Value::error("ERR \x1b]0;title\x07 x\r\t");
        assert_eq!(human(&v), "(error) ERR \\x1b]0;title\\x07 x\\r\\t");
        assert_eq!(escaped("plain C:\\dir"), "plain C:\\dir");
    }

    #[test]
    fn flat_array() {
        let v = arr(vec![Value::bulk("a"), Value::Integer(2), Value::Null]);
        assert_eq!(human(&v), "1) \"a\"\n2) (integer) 2\n3) (nil)");
    }

    #[test]
    fn empty_aggregates() {
        assert_eq!(human(&arr(vec![])), "(empty array)");
        assert_eq!(human(&Value::Set(vec![])), "(empty set)");
        assert_eq!(human(&Value::Map(vec![])), "(empty hash)");
    }

    #[test]
    fn nested_arrays_are_indented() {
        let v = arr(vec![
            arr(vec![
                Value::bulk("a"),
                arr(vec![Value::Integer(1), Value::Integer(2)]),
            ]),
            Value::bulk("b"),
        ]);
        let expected = "\
1) 1) \"a\"
   2) 1) (integer) 1
      2) (integer) 2
2) \"b\"";
        assert_eq!(human(&v), expected);
    }

    #[test]
    fn indexes_are_right_aligned() {
        let v = arr((0..10).map(Value::Integer).collect());
        let out = human(&v);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines[0], " 1) (integer) 0");
        assert_eq!(lines[9], "10) (integer) 9");
    }

    #[test]
    fn dictionaries_are_numbered_key_value_lines() {
        let v = Value::Map(vec![
            (Value::bulk("name"), Value::bulk("ann")),
            (
                Value::bulk("tags"),
                arr(vec![Value::bulk("x"), Value::bulk("y")]),
            ),
        ]);
        let expected = "\
1# \"name\" => \"ann\"
2# \"tags\" => 1) \"x\"
             2) \"y\"";
        assert_eq!(human(&v), expected);
    }

    #[test]
    fn dictionary_inside_array() {
        let v = arr(vec![Value::Map(vec![
            (Value::bulk("a"), Value::Integer(1)),
            (Value::bulk("b"), Value::Null),
        ])]);
        assert_eq!(
            human(&v),
            "1) 1# \"a\" => (integer) 1\n   2# \"b\" => (nil)"
        );
    }

    #[test]
    fn sets_use_a_tilde() {
        let v = Value::Set(vec![Value::bulk("a"), Value::bulk("b")]);
        assert_eq!(human(&v), "1~ \"a\"\n2~ \"b\"");
    }

    #[test]
    fn raw_output() {
        assert_eq!(raw(&Value::bulk("a b")), b"a b\n");
        assert_eq!(raw(&Value::bulk(b"\xff")), b"\xff\n");
        assert_eq!(raw(&Value::Integer(3)), b"3\n");
        assert_eq!(raw(&Value::Null), b"\n");
        assert_eq!(raw(&Value::ok()), b"OK\n");
        assert_eq!(raw(&Value::error("ERR x")), b"ERR x\n");
        assert_eq!(raw(&Value::Boolean(false)), b"false\n");
        assert_eq!(raw(&Value::Double(0.25)), b"0.25\n");
        let nested = arr(vec![
            Value::bulk("a"),
            arr(vec![Value::Integer(1), Value::Null]),
        ]);
        assert_eq!(raw(&nested), b"a\n1\n\n");
        let map = Value::Map(vec![(Value::bulk("k"), Value::bulk("v"))]);
        assert_eq!(raw(&map), b"k\nv\n");
        assert_eq!(raw(&arr(vec![])), b"");
    }
}
