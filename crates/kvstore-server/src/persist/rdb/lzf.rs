//! LZF decompression, for the strings Redis compresses in RDB files.
//!
//! The stream is a sequence of runs, each starting with a control byte:
//!
//! - `000LLLLL`: a literal run of `L + 1` bytes, copied as they follow;
//! - `LLLOOOOO oooooooo`: a back-reference of `L + 2` bytes (3 to 8)
//!   starting `(O << 8 | o) + 1` bytes back in the output;
//! - `111OOOOO llllllll oooooooo`: the same with length `7 + l + 2`.
//!
//! A back-reference may overlap what it produces (a run of one repeated
//! byte), so it is copied byte by byte.

/// The most output one input byte can give: a 3-byte back-reference
/// makes at most 264 bytes. A declared length past this is a lie, refused
/// before anything is allocated for it.
const MAX_RATIO: usize = 88;

/// Decompresses `input`, which must give exactly `len` bytes.
pub fn decompress(input: &[u8], len: usize) -> Result<Vec<u8>, String> {
    if len > input.len().saturating_mul(MAX_RATIO) {
        return Err(format!(
            "LZF string claims {len} bytes from {} compressed",
            input.len()
        ));
    }
    let mut out = Vec::new();
    out.try_reserve_exact(len)
        .map_err(|_| format!("cannot allocate {len} bytes for an LZF string"))?;
    let mut at = 0;
    while at < input.len() {
        let ctrl = input[at] as usize;
        at += 1;
        if ctrl < 32 {
            let run = ctrl + 1;
            let lit = input
                .get(at..at + run)
                .ok_or("LZF literal run past the end of its input")?;
            if out.len() + run > len {
                return Err("LZF output longer than declared".into());
            }
            out.extend_from_slice(lit);
            at += run;
            continue;
        }
        let mut run = ctrl >> 5;
        if run == 7 {
            run += *input.get(at).ok_or("LZF run length past the end")? as usize;
            at += 1;
        }
        run += 2;
        let low = *input.get(at).ok_or("LZF offset past the end")? as usize;
        at += 1;
        let back = ((ctrl & 0x1f) << 8 | low) + 1;
        let start = out
            .len()
            .checked_sub(back)
            .ok_or("LZF back-reference before the start of the output")?;
        if out.len() + run > len {
            return Err("LZF output longer than declared".into());
        }
        for i in start..start + run {
            out.push(out[i]);
        }
    }
    if out.len() != len {
        return Err(format!("LZF output is {} bytes, {len} declared", out.len()));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_and_back_references() {
        // "abc" literal, then 6 bytes from 3 back (overlapping), then a
        // long reference of 7 + 1 + 2 = 10 bytes from 1 back.
        let input = [2, b'a', b'b', b'c', 0x80, 2, 0xE0, 1, 0];
        let out = decompress(&input, 3 + 6 + 10).unwrap();
        assert_eq!(out, [&b"abcabcabc"[..], &[b'c'; 10]].concat());
    }

    #[test]
    fn bad_streams_are_refused() {
        // Declared length wrong either way.
        assert!(decompress(&[1, b'x', b'y'], 3).is_err());
        assert!(decompress(&[1, b'x', b'y'], 1).is_err());
        // Literal run past the input.
        assert!(decompress(&[5, b'x'], 6).is_err());
        // Back-reference before the start.
        assert!(decompress(&[0, b'x', 0x20, 5], 4).is_err());
        // Truncated long reference.
        assert!(decompress(&[0, b'x', 0xE0], 12).is_err());
        // An impossible ratio is refused before allocating.
        assert!(decompress(&[0, b'x'], usize::MAX).is_err());
        assert_eq!(decompress(&[], 0).unwrap(), b"");
    }
}
