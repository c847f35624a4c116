//! How much a connection reads at once, and how much it serves before the
//! other connections of its worker get a turn.
//!
//! **Reads.** A read asks for what the request being received still needs
//! when the decoder knows it (the rest of a bulk string whose length has
//! arrived), so that a large value is not taken 16 KiB at a time; and a
//! connection whose recent turns served more than that asks for as much
//! from the start, so that a 64 KiB SET (or a 40 KiB batch of small
//! requests) sent in one write is taken in one receive (Redis, likewise,
//! reads a large argument's remaining length, and its query buffer keeps
//! the size of the last one). A declared length
//! is trusted only up to a few times what has arrived (or the size of the
//! connection's recent requests): a client cannot make the server reserve
//! a huge buffer by announcing a string it never sends. Otherwise a read takes what the buffer has room for, at least
//! [`READ_CHUNK`].
//!
//! Every read asks for a little more than it expects: a read that comes
//! back short of its size tells the runtime the socket is drained, so the
//! next one waits for the kernel's wake-up instead of trying (and failing)
//! once more.
//!
//! **Turns.** A connection that has served [`TURN_BYTES`] of requests, or
//! put [`super::reply::FLUSH_AT`] of replies out, writes what it has and
//! yields to the runtime before serving more, as Redis caps the work of
//! one client per event. Without this, a client pipelining large values
//! kept its worker until its socket was drained, and the other clients'
//! first replies waited for all of it.

/// The least room a read has: Redis's read size.
pub const READ_CHUNK: usize = 16 * 1024;

/// Asked for beyond what is expected (see the module's notes).
const SLACK: usize = 1024;

/// A declared length is trusted up to this many times what has arrived.
const TRUST: usize = 4;

/// Request bytes one turn serves before yielding (a request is never cut:
/// the one that crosses this is served whole).
pub const TURN_BYTES: usize = 64 * 1024;

/// Largest read size learnt from past turns: the worker keeps a read
/// buffer up to [`super::bufpool::KEEP_CAPACITY`], so one this size is
/// lent, not allocated, on each read. A larger request is read at the size
/// the decoder announces.
const HINT_MAX: usize = super::bufpool::KEEP_CAPACITY / 2;

/// Turns that served less than [`READ_CHUNK`] after which the learnt size
/// is dropped.
const HINT_TURNS: u8 = 16;

/// How much this connection's recent turns served, when more than a read
/// usually takes.
#[derive(Debug, Default)]
pub struct ReadHint {
    size: usize,
    turns_left: u8,
}

impl ReadHint {
    /// Notes a turn that served `consumed` bytes of requests.
    #[inline]
    pub fn turn(&mut self, consumed: usize) {
        if consumed == 0 {
            return;
        }
        if consumed > READ_CHUNK {
            self.size = consumed.min(HINT_MAX);
            self.turns_left = HINT_TURNS;
        } else if self.turns_left > 0 {
            self.turns_left -= 1;
            if self.turns_left == 0 {
                self.size = 0;
            }
        }
    }

    /// How much the next read asks for, with `buffered` bytes of an
    /// unfinished request in hand of which the decoder knows `missing` more
    /// are to come (0 if it does not know).
    #[inline]
    pub fn want(&self, buffered: usize, missing: usize) -> usize {
        if missing == 0 {
            return READ_CHUNK.max(self.size + SLACK);
        }
        // Just the rest of this request: asking for a whole request's size
        // again would leave more of the next one in the buffer each time
        // (to be moved to its front once this one is served).
        let trusted = buffered.saturating_mul(TRUST).max(self.size);
        READ_CHUNK.max(missing.min(trusted) + SLACK)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_read_asks_for_the_rest_of_a_bulk_string_as_far_as_trusted() {
        let hint = ReadHint::default();
        assert_eq!(hint.want(0, 0), READ_CHUNK);
        // 16 KiB of a 64 KiB string in hand: the rest, and a little more.
        assert_eq!(hint.want(16_384, 49_200), 49_200 + SLACK);
        // A header announcing 512 MB, and little else: not believed.
        assert_eq!(hint.want(50, 512 << 20), READ_CHUNK);
        assert_eq!(hint.want(100_000, 512 << 20), 400_000 + SLACK);
    }

    #[test]
    fn after_large_requests_a_read_completes_the_one_begun() {
        let mut hint = ReadHint::default();
        hint.turn(65_582);
        // 1 KiB of the next 64 KiB SET in hand: its rest, trusted since
        // the last ones were that large, and no more than a little of
        // the one after.
        assert_eq!(hint.want(1024, 64_558), 64_558 + SLACK);
        assert_eq!(hint.want(1024, 10 << 20), 65_582 + SLACK);
    }

    #[test]
    fn large_turns_teach_the_size_of_the_next_read_for_a_while() {
        let mut hint = ReadHint::default();
        hint.turn(65_582);
        assert_eq!(hint.want(0, 0), 65_582 + SLACK);
        // A batch of small requests past a usual read.
        hint.turn(34_400);
        assert_eq!(hint.want(0, 0), 34_400 + SLACK);
        for _ in 1..HINT_TURNS {
            hint.turn(40);
        }
        assert!(hint.want(0, 0) > READ_CHUNK, "still remembered");
        hint.turn(40);
        assert_eq!(hint.want(0, 0), READ_CHUNK, "forgotten");
        hint.turn(10 << 20);
        assert_eq!(hint.want(0, 0), HINT_MAX + SLACK, "bounded");
        hint.turn(0);
        assert_eq!(
            hint.want(0, 0),
            HINT_MAX + SLACK,
            "an idle turn says nothing"
        );
    }
}
