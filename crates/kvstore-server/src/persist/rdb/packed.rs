//! The compact encodings Redis saves as one string blob: ziplist,
//! listpack, intset and zipmap. Each decoder walks a blob, checking every
//! length against what is left, and hands each element to a callback;
//! errors name the byte offset inside the blob.
//!
//! ```text
//! ziplist   zlbytes:u32 zltail:u32 zllen:u16 entry* 0xFF
//!           entry = prevlen (1 byte, or 0xFE + u32) encoding data
//! listpack  total:u32 count:u16 entry* 0xFF
//!           entry = encoding data backlen (1 to 5 bytes)
//! intset    width:u32 (2, 4 or 8) count:u32 integer* (sorted, unique)
//! zipmap    count:u8 (key-len key value-len free:u8 value padding)* 0xFF
//! ```
//!
//! All integers are little-endian, except a ziplist's 14- and 32-bit
//! string lengths, which are big-endian.

/// One element of a ziplist or listpack: Redis keeps strings that spell
/// an integer as the integer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Elem<'a> {
    Str(&'a [u8]),
    Int(i64),
}

/// A ziplist or listpack decoder: hands each element of a blob to the
/// callback (which may refuse it), and returns how many there were.
pub type Walk = fn(&[u8], &mut dyn FnMut(Elem<'_>) -> Result<(), String>) -> Result<usize, String>;

/// A count field's value meaning "too many to count here: walk them".
const UNKNOWN_COUNT: usize = u16::MAX as usize;

/// A little reader over a blob, refusing to step past its end.
struct Blob<'a> {
    data: &'a [u8],
    at: usize,
}

impl<'a> Blob<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        let end = self
            .at
            .checked_add(n)
            .filter(|&e| e <= self.data.len())
            .ok_or_else(|| format!("{n} bytes at byte {} run past the end", self.at))?;
        let out = &self.data[self.at..end];
        self.at = end;
        Ok(out)
    }

    fn byte(&mut self) -> Result<u8, String> {
        Ok(self.take(1)?[0])
    }

    /// A little-endian signed integer of `n` bytes (1 to 8).
    fn int_le(&mut self, n: usize) -> Result<i64, String> {
        let b = self.take(n)?;
        let mut buf = [0u8; 8];
        buf[..n].copy_from_slice(b);
        let shift = 64 - 8 * n as u32;
        Ok((i64::from_le_bytes(buf) << shift) >> shift)
    }

    fn u32_le(&mut self) -> Result<u32, String> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn u16_le(&mut self) -> Result<u16, String> {
        let b = self.take(2)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }
}

/// Checks that a header's total-size field matches the blob.
fn total_matches(total: u32, blob: &[u8], what: &str) -> Result<(), String> {
    if total as usize != blob.len() {
        return Err(format!(
            "{what} header says {total} bytes, the blob has {}",
            blob.len()
        ));
    }
    Ok(())
}

/// Walks a ziplist; returns the number of elements.
pub fn ziplist(
    blob: &[u8],
    f: &mut dyn FnMut(Elem<'_>) -> Result<(), String>,
) -> Result<usize, String> {
    let mut b = Blob { data: blob, at: 0 };
    let total = b.u32_le()?;
    total_matches(total, blob, "ziplist")?;
    let _tail = b.u32_le()?;
    let count = b.u16_le()? as usize;
    let mut n = 0;
    loop {
        let at = b.at;
        let first = b.byte()?;
        if first == 0xFF {
            break;
        }
        // prevlen: the previous entry's size, for walking backwards.
        if first == 0xFE {
            b.take(4)?;
        }
        let enc = b.byte()?;
        let elem = match enc >> 6 {
            0 => Elem::Str(b.take((enc & 0x3f) as usize)?),
            1 => {
                let low = b.byte()? as usize;
                Elem::Str(b.take(((enc & 0x3f) as usize) << 8 | low)?)
            }
            2 => {
                let l = b.take(4)?;
                Elem::Str(b.take(u32::from_be_bytes([l[0], l[1], l[2], l[3]]) as usize)?)
            }
            _ => match enc {
                0xC0 => Elem::Int(b.int_le(2)?),
                0xD0 => Elem::Int(b.int_le(4)?),
                0xE0 => Elem::Int(b.int_le(8)?),
                0xF0 => Elem::Int(b.int_le(3)?),
                0xFE => Elem::Int(b.int_le(1)?),
                0xF1..=0xFD => Elem::Int(i64::from(enc & 0x0f) - 1),
                _ => {
                    return Err(format!(
                        "ziplist entry at byte {at} has a bad encoding {enc:#04x}"
                    ))
                }
            },
        };
        f(elem)?;
        n += 1;
    }
    if b.at != blob.len() {
        return Err(format!(
            "ziplist has {} bytes after its end",
            blob.len() - b.at
        ));
    }
    if count != UNKNOWN_COUNT && count != n {
        return Err(format!("ziplist header says {count} entries, found {n}"));
    }
    Ok(n)
}

/// The size of a listpack entry's back-length field for an entry of
/// `len` bytes (encoding and data): 7 bits per byte.
fn backlen_size(len: usize) -> usize {
    match len {
        0..128 => 1,
        128..16_384 => 2,
        16_384..2_097_152 => 3,
        2_097_152..268_435_456 => 4,
        _ => 5,
    }
}

/// Walks a listpack; returns the number of elements.
pub fn listpack(
    blob: &[u8],
    f: &mut dyn FnMut(Elem<'_>) -> Result<(), String>,
) -> Result<usize, String> {
    let mut b = Blob { data: blob, at: 0 };
    let total = b.u32_le()?;
    total_matches(total, blob, "listpack")?;
    let count = b.u16_le()? as usize;
    let mut n = 0;
    loop {
        let at = b.at;
        let enc = b.byte()?;
        let elem = if enc & 0x80 == 0 {
            Elem::Int(i64::from(enc))
        } else if enc & 0xC0 == 0x80 {
            Elem::Str(b.take((enc & 0x3f) as usize)?)
        } else if enc & 0xE0 == 0xC0 {
            // 13-bit two's complement.
            let v = i64::from(enc & 0x1f) << 8 | i64::from(b.byte()?);
            Elem::Int(if v >= 1 << 12 { v - (1 << 13) } else { v })
        } else if enc & 0xF0 == 0xE0 {
            let len = ((enc & 0x0f) as usize) << 8 | b.byte()? as usize;
            Elem::Str(b.take(len)?)
        } else {
            match enc {
                0xF0 => {
                    let len = b.u32_le()? as usize;
                    Elem::Str(b.take(len)?)
                }
                0xF1 => Elem::Int(b.int_le(2)?),
                0xF2 => Elem::Int(b.int_le(3)?),
                0xF3 => Elem::Int(b.int_le(4)?),
                0xF4 => Elem::Int(b.int_le(8)?),
                0xFF => break,
                _ => {
                    return Err(format!(
                        "listpack entry at byte {at} has a bad encoding {enc:#04x}"
                    ))
                }
            }
        };
        b.take(backlen_size(b.at - at))?;
        f(elem)?;
        n += 1;
    }
    if b.at != blob.len() {
        return Err(format!(
            "listpack has {} bytes after its end",
            blob.len() - b.at
        ));
    }
    if count != UNKNOWN_COUNT && count != n {
        return Err(format!("listpack header says {count} entries, found {n}"));
    }
    Ok(n)
}

/// Walks an intset; returns the number of members.
pub fn intset(blob: &[u8], f: &mut dyn FnMut(i64)) -> Result<usize, String> {
    let mut b = Blob { data: blob, at: 0 };
    let width = b.u32_le()? as usize;
    if !matches!(width, 2 | 4 | 8) {
        return Err(format!("intset has a bad width {width}"));
    }
    let count = b.u32_le()? as usize;
    if count.checked_mul(width) != Some(blob.len() - b.at) {
        return Err(format!(
            "intset of {count} {width}-byte members in a blob of {} bytes",
            blob.len()
        ));
    }
    let mut last = None;
    for _ in 0..count {
        let v = b.int_le(width)?;
        if last.is_some_and(|l| l >= v) {
            return Err("intset members are not sorted and unique".into());
        }
        last = Some(v);
        f(v);
    }
    Ok(count)
}

/// A zipmap length: one byte below 254, or 254 and a u32.
fn zipmap_len(b: &mut Blob<'_>, first: u8) -> Result<usize, String> {
    match first {
        0..=253 => Ok(first as usize),
        254 => Ok(b.u32_le()? as usize),
        _ => Err(format!("zipmap length at byte {} is 255", b.at - 1)),
    }
}

/// Walks a zipmap (a hash of Redis before 2.6); returns the number of
/// pairs.
pub fn zipmap(blob: &[u8], f: &mut dyn FnMut(&[u8], &[u8])) -> Result<usize, String> {
    let mut b = Blob { data: blob, at: 0 };
    let _count = b.byte()?;
    let mut n = 0;
    loop {
        let first = b.byte()?;
        if first == 0xFF {
            break;
        }
        let klen = zipmap_len(&mut b, first)?;
        let key = b.take(klen)?;
        let first = b.byte()?;
        let vlen = zipmap_len(&mut b, first)?;
        let free = b.byte()? as usize;
        let value = b.take(vlen)?;
        b.take(free)?;
        f(key, value);
        n += 1;
    }
    if b.at != blob.len() {
        return Err(format!(
            "zipmap has {} bytes after its end",
            blob.len() - b.at
        ));
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(walk: Walk, blob: &[u8]) -> Result<Vec<String>, String> {
        let mut out = Vec::new();
        walk(blob, &mut |e| {
            out.push(match e {
                Elem::Str(s) => String::from_utf8_lossy(s).into_owned(),
                Elem::Int(n) => format!("#{n}"),
            });
            Ok(())
        })?;
        Ok(out)
    }

    /// Puts the header's size and count on a ziplist body.
    fn ziplist_of(entries: &[u8], count: u16) -> Vec<u8> {
        let total = (10 + entries.len() + 1) as u32;
        let mut v = total.to_le_bytes().to_vec();
        v.extend_from_slice(&0u32.to_le_bytes());
        v.extend_from_slice(&count.to_le_bytes());
        v.extend_from_slice(entries);
        v.push(0xFF);
        v
    }

    #[test]
    fn ziplist_entries_of_every_encoding() {
        let mut e = Vec::new();
        e.extend_from_slice(&[0, 0x03, b'a', b'b', b'c']); // 6-bit string
        e.extend_from_slice(&[5, 0x40, 0x02, b'x', b'y']); // 14-bit string
        e.extend_from_slice(&[5, 0x80, 0, 0, 0, 1, b'z']); // 32-bit string
        e.extend_from_slice(&[7, 0xC0, 0x18, 0xFC]); // int16 -1000
        e.extend_from_slice(&[4, 0xD0, 0x40, 0x42, 0x0F, 0x00]); // int32 1000000
        e.extend_from_slice(&[6, 0xE0, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]); // int64 -1
        e.extend_from_slice(&[10, 0xF0, 0x00, 0x00, 0x80]); // int24 -8388608
        e.extend_from_slice(&[5, 0xFE, 0x85]); // int8 -123
        e.extend_from_slice(&[3, 0xF1, 3, 0xFD]); // immediates 0 and 12
        let zl = ziplist_of(&e, 10);
        assert_eq!(
            collect(ziplist, &zl).unwrap(),
            [
                "abc",
                "xy",
                "z",
                "#-1000",
                "#1000000",
                "#-1",
                "#-8388608",
                "#-123",
                "#0",
                "#12"
            ]
        );
        // A long prevlen (0xFE and four bytes) is skipped.
        let zl = ziplist_of(&[0xFE, 1, 1, 0, 0, 0x01, b'q'], 1);
        assert_eq!(collect(ziplist, &zl).unwrap(), ["q"]);
        // Unknown count: walked.
        let zl = ziplist_of(&[0, 0x01, b'q'], u16::MAX);
        assert_eq!(collect(ziplist, &zl).unwrap(), ["q"]);
    }

    #[test]
    fn ziplist_damage_is_refused() {
        let good = ziplist_of(&[0, 0x03, b'a', b'b', b'c'], 1);
        assert!(collect(ziplist, &good).is_ok());
        let mut bad = good.clone();
        bad[0] += 1; // total size wrong
        assert!(collect(ziplist, &bad).is_err());
        let bad = ziplist_of(&[0, 0x03, b'a', b'b', b'c'], 2); // count wrong
        assert!(collect(ziplist, &bad).is_err());
        let bad = ziplist_of(&[0, 0x3f, b'a'], 1); // string past the end
        assert!(collect(ziplist, &bad).is_err());
        let bad = ziplist_of(&[0, 0xC1, 0, 0], 1); // no such encoding
        assert!(collect(ziplist, &bad).is_err());
        assert!(collect(ziplist, &good[..good.len() - 1]).is_err());
        assert!(collect(ziplist, &[]).is_err());
    }

    fn listpack_of(entries: &[u8], count: u16) -> Vec<u8> {
        let total = (6 + entries.len() + 1) as u32;
        let mut v = total.to_le_bytes().to_vec();
        v.extend_from_slice(&count.to_le_bytes());
        v.extend_from_slice(entries);
        v.push(0xFF);
        v
    }

    #[test]
    fn listpack_entries_of_every_encoding() {
        let mut e = Vec::new();
        e.extend_from_slice(&[0x05, 1]); // 7-bit uint 5
        e.extend_from_slice(&[0x82, b'h', b'i', 3]); // 6-bit string
        e.extend_from_slice(&[0xDF, 0xFF, 2]); // 13-bit int -1
        e.extend_from_slice(&[0xC0 | 0x0F, 0xFF, 2]); // 13-bit int 4095
        e.push(0xE0 | 0x01);
        e.push(0x00); // 12-bit string of 256 bytes
        e.extend_from_slice(&[b'x'; 256]);
        e.extend_from_slice(&[0x02, 0x02]); // backlen of 258: two bytes
        e.extend_from_slice(&[0xF0, 2, 0, 0, 0, b'o', b'k', 7]); // 32-bit string
        e.extend_from_slice(&[0xF1, 0x30, 0xF8, 3]); // int16 -2000
        e.extend_from_slice(&[0xF2, 0x00, 0x00, 0x80, 4]); // int24 min
        e.extend_from_slice(&[0xF3, 0xFF, 0xFF, 0xFF, 0x7F, 5]); // int32 max
        e.extend_from_slice(&[0xF4, 0, 0, 0, 0, 0, 0, 0, 0x80, 9]); // int64 min
        let lp = listpack_of(&e, 10);
        let got = collect(listpack, &lp).unwrap();
        assert_eq!(got[..4], ["#5", "hi", "#-1", "#4095"]);
        assert_eq!(got[4], "x".repeat(256));
        assert_eq!(
            got[5..],
            [
                "ok",
                "#-2000",
                "#-8388608",
                "#2147483647",
                &format!("#{}", i64::MIN)
            ]
        );
        let empty = listpack_of(&[], 0);
        assert_eq!(collect(listpack, &empty).unwrap(), Vec::<String>::new());
    }

    #[test]
    fn listpack_damage_is_refused() {
        let good = listpack_of(&[0x82, b'h', b'i', 3], 1);
        assert!(collect(listpack, &good).is_ok());
        assert!(collect(listpack, &listpack_of(&[0x82, b'h', b'i', 3], 2)).is_err());
        assert!(collect(listpack, &listpack_of(&[0xBF, b'h'], 1)).is_err());
        assert!(collect(listpack, &listpack_of(&[0xF5, 1], 1)).is_err());
        assert!(collect(listpack, &good[..good.len() - 1]).is_err());
    }

    #[test]
    fn intsets_of_each_width() {
        let mut blob = 2u32.to_le_bytes().to_vec();
        blob.extend_from_slice(&3u32.to_le_bytes());
        for v in [-5i16, 0, 300] {
            blob.extend_from_slice(&v.to_le_bytes());
        }
        let mut got = Vec::new();
        assert_eq!(intset(&blob, &mut |v| got.push(v)).unwrap(), 3);
        assert_eq!(got, [-5, 0, 300]);
        let mut blob = 8u32.to_le_bytes().to_vec();
        blob.extend_from_slice(&1u32.to_le_bytes());
        blob.extend_from_slice(&i64::MIN.to_le_bytes());
        let mut got = Vec::new();
        intset(&blob, &mut |v| got.push(v)).unwrap();
        assert_eq!(got, [i64::MIN]);
        // Wrong count, bad width, unsorted.
        let mut bad = blob.clone();
        bad[4] = 2;
        assert!(intset(&bad, &mut |_| {}).is_err());
        let mut bad = blob.clone();
        bad[0] = 3;
        assert!(intset(&bad, &mut |_| {}).is_err());
        let mut bad = 4u32.to_le_bytes().to_vec();
        bad.extend_from_slice(&2u32.to_le_bytes());
        bad.extend_from_slice(&7i32.to_le_bytes());
        bad.extend_from_slice(&7i32.to_le_bytes());
        assert!(intset(&bad, &mut |_| {}).is_err());
        let mut huge = 8u32.to_le_bytes().to_vec();
        huge.extend_from_slice(&u32::MAX.to_le_bytes());
        assert!(intset(&huge, &mut |_| {}).is_err());
    }

    #[test]
    fn zipmaps() {
        let blob = [
            2, 1, b'a', 2, 0, b'x', b'y', 1, b'b', 1, 2, b'z', 0, 0, 0xFF,
        ];
        let mut got = Vec::new();
        assert_eq!(
            zipmap(&blob, &mut |k, v| got.push((k.to_vec(), v.to_vec()))).unwrap(),
            2
        );
        assert_eq!(
            got,
            [
                (b"a".to_vec(), b"xy".to_vec()),
                (b"b".to_vec(), b"z".to_vec())
            ]
        );
        assert!(zipmap(&blob[..blob.len() - 1], &mut |_, _| {}).is_err());
        assert!(zipmap(&[1, 5, b'a', 0xFF], &mut |_, _| {}).is_err());
    }
}
