//! Glob-style pattern matching with Redis's rules, for `KEYS`, `SCAN MATCH`,
//! `CONFIG GET`, `COMMAND DOCS` and pub/sub patterns. It lives at the
//! bottom layer so that the subscription registry in `state/` can use it.
//!
//! - `*` matches any run of bytes, `?` any one byte;
//! - `[abc]` one of the listed bytes, `[^abc]` any other, `[a-z]` a range
//!   (a reversed range `[z-a]` means the same), `\x` inside a class is `x`;
//! - `\x` elsewhere matches `x` literally.
//!
//! Matching is on bytes, not characters, as in Redis. The algorithm is the
//! classic one that remembers only the last `*` and backtracks to it: every
//! other token consumes exactly one byte, so that is enough, and it runs in
//! O(pattern × subject) at worst instead of the exponential time of naive
//! recursion (a client could otherwise send `*a*a*a*a*a*b` to stall a thread).

/// True if all of `subject` matches `pattern`.
pub fn matches(pattern: &[u8], subject: &[u8]) -> bool {
    let (mut p, mut s) = (0, 0);
    // Where to resume after the last `*`: (pattern index after it, subject
    // index it is currently taken to stop at).
    let mut star: Option<(usize, usize)> = None;
    while s < subject.len() {
        if p < pattern.len() {
            if pattern[p] == b'*' {
                // Collapse runs of stars; let the star match nothing first.
                while p < pattern.len() && pattern[p] == b'*' {
                    p += 1;
                }
                if p == pattern.len() {
                    return true;
                }
                star = Some((p, s));
                continue;
            }
            if let Some(next) = one(pattern, p, subject[s]) {
                p = next;
                s += 1;
                continue;
            }
        }
        // Mismatch: let the last star swallow one more byte, if there is one.
        match star {
            Some((sp, ss)) => {
                p = sp;
                s = ss + 1;
                star = Some((sp, ss + 1));
            }
            None => return false,
        }
    }
    pattern[p..].iter().all(|&b| b == b'*')
}

/// Matches the single-byte token at `pattern[p]` (not a `*`) against `c`;
/// the index just past the token if it matches.
fn one(pattern: &[u8], p: usize, c: u8) -> Option<usize> {
    match pattern[p] {
        b'?' => Some(p + 1),
        b'[' => class(pattern, p + 1, c),
        b'\\' if p + 1 < pattern.len() => (pattern[p + 1] == c).then_some(p + 2),
        lit => (lit == c).then_some(p + 1),
    }
}

/// Matches a `[...]` class whose body starts at `pattern[p]`. An unclosed
/// class runs to the end of the pattern, as in Redis.
fn class(pattern: &[u8], mut p: usize, c: u8) -> Option<usize> {
    let negate = pattern.get(p) == Some(&b'^');
    if negate {
        p += 1;
    }
    let mut hit = false;
    while p < pattern.len() && pattern[p] != b']' {
        if pattern[p] == b'\\' && p + 1 < pattern.len() {
            hit |= pattern[p + 1] == c;
            p += 2;
        } else if p + 2 < pattern.len() && pattern[p + 1] == b'-' && pattern[p + 2] != b']' {
            let (a, b) = (pattern[p], pattern[p + 2]);
            let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
            hit |= (lo..=hi).contains(&c);
            p += 3;
        } else {
            hit |= pattern[p] == c;
            p += 1;
        }
    }
    // Step over the closing bracket if there is one.
    let next = (p + 1).min(pattern.len());
    (hit != negate).then_some(next)
}

#[cfg(test)]
mod tests {
    use super::matches;

    fn m(p: &str, s: &str) -> bool {
        matches(p.as_bytes(), s.as_bytes())
    }

    #[test]
    fn literals_and_wildcards() {
        assert!(m("", ""));
        assert!(!m("", "a"));
        assert!(m("abc", "abc"));
        assert!(!m("abc", "abd"));
        assert!(!m("abc", "ab"));
        assert!(m("*", ""));
        assert!(m("*", "anything"));
        assert!(m("a*", "a"));
        assert!(m("a*c", "abbbc"));
        assert!(!m("a*c", "abbbd"));
        assert!(m("*c", "abc"));
        assert!(m("h?llo", "hello"));
        assert!(!m("h?llo", "hllo"));
        assert!(m("key:*", "key:000000000042"));
        assert!(m("**a**", "bab"));
    }

    #[test]
    fn backtracking() {
        assert!(m("*ab*cd", "xxabyyabzzcd"));
        assert!(m("a*b*c", "aXbYbZc"));
        assert!(!m("a*b*c", "aXbYbZ"));
        assert!(m("*a?", "bbab"));
        // Pathological for naive recursion; must stay fast.
        let subject = "a".repeat(200);
        assert!(!m("*a*a*a*a*a*a*a*a*a*a*b", &subject));
    }

    #[test]
    fn classes() {
        assert!(m("h[ae]llo", "hello"));
        assert!(m("h[ae]llo", "hallo"));
        assert!(!m("h[ae]llo", "hillo"));
        assert!(m("h[^e]llo", "hallo"));
        assert!(!m("h[^e]llo", "hello"));
        assert!(m("h[a-b]llo", "hbllo"));
        assert!(!m("h[a-b]llo", "hcllo"));
        assert!(m("[z-a]", "q"), "reversed range");
        assert!(m("[a-]", "-"), "dash before ] is literal");
        assert!(m("[\\]]", "]"), "escaped bracket in a class");
        assert!(m("x[abc", "xb"), "unclosed class runs to the end");
        assert!(m("*[0-9]", "key9"));
    }

    #[test]
    fn escapes() {
        assert!(m("a\\*b", "a*b"));
        assert!(!m("a\\*b", "axb"));
        assert!(m("\\?", "?"));
        assert!(!m("\\?", "x"));
        assert!(m("a\\", "a\\"), "a trailing backslash is literal");
    }

    #[test]
    fn bytes_not_chars() {
        assert!(matches(b"?", &[0xff]));
        assert!(matches(b"a*", &[b'a', 0, 0xfe]));
    }
}
