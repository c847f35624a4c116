//! Redis's long-double arithmetic, for INCRBYFLOAT (and the hash family's
//! HINCRBYFLOAT): the sum of two numbers read as C's `strtold` reads them,
//! printed as Redis prints it. The arithmetic is in `csrc/longdouble.c`
//! because Rust has no 80-bit float.

use std::os::raw::{c_char, c_long};

extern "C" {
    fn kv_ld_incr(
        cur: *const c_char,
        cur_len: usize,
        by: *const c_char,
        by_len: usize,
        out: *mut c_char,
        out_len: usize,
    ) -> c_long;
}

/// Redis's `MAX_LONG_DOUBLE_CHARS`: the longest number it reads or writes.
const MAX_CHARS: usize = 5 * 1024;

#[derive(Debug, PartialEq, Eq)]
pub enum FloatError {
    /// The stored value, or the increment, is not a number Redis reads.
    NotAFloat,
    /// The sum is infinite or not a number.
    NotFinite,
}

/// `cur` (absent: 0) plus `by`, as Redis's INCRBYFLOAT computes and
/// writes it.
pub fn incr(cur: Option<&[u8]>, by: &[u8]) -> Result<String, FloatError> {
    let mut out = vec![0u8; MAX_CHARS + 64];
    let (cur_ptr, cur_len) = cur.map_or((std::ptr::null(), 0), |c| (c.as_ptr(), c.len()));
    // SAFETY: every pointer is valid for the length passed with it (a null
    // `cur` means "absent" to the callee), and the callee writes at most
    // `out.len()` bytes into `out`, the NUL included.
    let n = unsafe {
        kv_ld_incr(
            cur_ptr.cast(),
            cur_len,
            by.as_ptr().cast(),
            by.len(),
            out.as_mut_ptr().cast(),
            out.len(),
        )
    };
    match n {
        n if n >= 0 => {
            out.truncate(n as usize);
            Ok(String::from_utf8_lossy(&out).into_owned())
        }
        -3 => Err(FloatError::NotFinite),
        _ => Err(FloatError::NotAFloat),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_print_as_redis_prints_them() {
        assert_eq!(incr(Some(b"10.5"), b"0.1").as_deref(), Ok("10.6"));
        assert_eq!(incr(None, b"3").as_deref(), Ok("3"));
        assert_eq!(incr(Some(b"5"), b"0x10").as_deref(), Ok("21"));
        assert_eq!(incr(Some(b"1"), b"-1").as_deref(), Ok("0"));
        assert_eq!(incr(Some(b"5.0e3"), b"0").as_deref(), Ok("5000"));
    }

    #[test]
    fn what_redis_refuses() {
        for bad in [&b""[..], b" 1", b"1 ", b"abc", b"nan", b"1e99999"] {
            assert_eq!(incr(None, bad), Err(FloatError::NotAFloat), "{bad:?}");
        }
        assert_eq!(incr(Some(b"x"), b"1"), Err(FloatError::NotAFloat));
        assert_eq!(incr(None, b"inf"), Err(FloatError::NotFinite));
    }

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn extended_precision_on_x86_64() {
        assert_eq!(incr(Some(b"0.1"), b"0.2").as_deref(), Ok("0.3"));
        assert_eq!(
            incr(Some(b"1"), b"1e17").as_deref(),
            Ok("100000000000000001")
        );
    }
}
