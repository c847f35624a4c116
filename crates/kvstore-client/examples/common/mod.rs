//! What the load generators share: their `--flag value` arguments and the
//! RESP encoding of a command.

/// The `--flag value` pairs after the program's name, each value read by
/// `set(flag, value)`, which answers `Ok(false)` for a flag it does not
/// know.
pub fn parse_flags(mut set: impl FnMut(&str, &str) -> Result<bool, ()>) -> Result<(), String> {
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().ok_or(format!("{flag} needs a value"))?;
        match set(flag.as_str(), value.as_str()) {
            Ok(true) => {}
            Ok(false) => return Err(format!("unknown flag {flag}")),
            Err(()) => return Err(format!("bad value for {flag}: {value}")),
        }
    }
    Ok(())
}

/// Appends `words` to `out` as an array of bulk strings.
pub fn command(out: &mut Vec<u8>, words: &[&[u8]]) {
    out.extend_from_slice(format!("*{}\r\n", words.len()).as_bytes());
    for w in words {
        out.extend_from_slice(format!("${}\r\n", w.len()).as_bytes());
        out.extend_from_slice(w);
        out.extend_from_slice(b"\r\n");
    }
}
