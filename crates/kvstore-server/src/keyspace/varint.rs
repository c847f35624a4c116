//! LEB128 lengths, as records and listpacks store them: 7 bits a byte,
//! low bits first, the high bit set on every byte but the last.

pub fn varint_len(mut n: usize) -> usize {
    let mut len = 1;
    while n >= 0x80 {
        n >>= 7;
        len += 1;
    }
    len
}

pub fn put_varint(out: &mut Vec<u8>, mut n: usize) {
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

/// Writes `n` at the start of `out`, which must have room for it
/// ([`varint_len`] bytes); returns how many bytes it took.
pub fn write_varint(out: &mut [u8], mut n: usize) -> usize {
    let mut i = 0;
    while n >= 0x80 {
        out[i] = (n as u8) | 0x80;
        n >>= 7;
        i += 1;
    }
    out[i] = n as u8;
    i + 1
}

pub fn read_varint(bytes: &[u8]) -> (usize, usize) {
    let mut n = 0usize;
    for (i, &b) in bytes.iter().enumerate() {
        n |= usize::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            return (n, i + 1);
        }
    }
    (n, bytes.len())
}

/// # Safety
/// `p` must point at a complete varint written by `put_varint`.
#[inline]
pub unsafe fn read_varint_raw(p: *const u8) -> (usize, usize) {
    // SAFETY: a varint has at least one byte.
    let first = unsafe { *p };
    if first < 0x80 {
        return (usize::from(first), 1);
    }
    let mut n = 0usize;
    let mut i = 0;
    loop {
        // SAFETY: the caller promises a complete varint, so every byte up
        // to and including the one without the high bit is readable.
        let b = unsafe { *p.add(i) };
        n |= usize::from(b & 0x7f) << (7 * i);
        i += 1;
        if b & 0x80 == 0 {
            return (n, i);
        }
    }
}
