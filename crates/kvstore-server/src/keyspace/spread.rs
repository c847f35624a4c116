//! Which shard a key's hash picks, and what share of the keys each gets.
//!
//! A hash table doubles when it is 7/8 full, so just after doubling it is
//! 7/16 full and its slots cost twice what they do just before. Were the
//! shards equal, they would all double at about the same number of keys,
//! and the whole database's table memory per key would swing by half
//! with its size: 21 bytes per key just past a doubling point (500,000,
//! 1,000,000, 2,000,000 keys with 1024 shards), 13 just before. So the
//! shards are unequal on purpose: eight groups whose shares of the keys
//! step by a factor of 2^(1/8) from one to the next, which spreads the
//! groups' fill evenly over a doubling and keeps the average at about 16
//! bytes per key at every size (the mean over a doubling), the largest
//! shard taking under twice the keys of the smallest.
//!
//! Bits 32 to 39 of the hash choose the group and bits 40 to 46 the shard
//! in it: hashbrown takes the low bits for the bucket and the top seven
//! for its tag, so the shard bits must be neither.

use super::db::SHARDS;

/// Groups of shards of one size.
const GROUPS: usize = 8;
const PER_GROUP: usize = SHARDS / GROUPS;

/// Each group's share of the keys in 256ths: 256 × 2^(g/8) / Σ 2^(k/8),
/// rounded so that they add up to 256.
const SHARE: [u8; GROUPS] = [23, 25, 28, 30, 33, 36, 39, 42];

/// The group of each value of the hash's byte 4: the first `SHARE[0]`
/// values choose group 0, the next `SHARE[1]` group 1, and so on.
static GROUP_OF: [u8; 256] = group_of();

const fn group_of() -> [u8; 256] {
    let mut table = [0u8; 256];
    let (mut group, mut left, mut i) = (0usize, SHARE[0], 0usize);
    while i < 256 {
        while left == 0 {
            group += 1;
            left = SHARE[group];
        }
        table[i] = group as u8;
        left -= 1;
        i += 1;
    }
    table
}

/// The shard of a key with this hash.
#[inline]
pub(super) fn shard_of(hash: u64) -> usize {
    let group = GROUP_OF[((hash >> 32) & 0xff) as usize] as usize;
    group * PER_GROUP + ((hash >> 40) as usize & (PER_GROUP - 1))
}

/// About how many of `keys` keys spread over the database land in `shard`.
pub(super) fn expected(keys: usize, shard: usize) -> usize {
    let share = SHARE[(shard / PER_GROUP).min(GROUPS - 1)] as usize;
    keys / (256 * PER_GROUP) * share + keys % (256 * PER_GROUP) * share / (256 * PER_GROUP)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shares_cover_every_byte_once() {
        assert_eq!(SHARE.iter().map(|&s| usize::from(s)).sum::<usize>(), 256);
        for (g, &share) in SHARE.iter().enumerate() {
            let n = GROUP_OF.iter().filter(|&&x| usize::from(x) == g).count();
            assert_eq!(n, usize::from(share));
        }
        assert!(GROUP_OF.windows(2).all(|w| w[0] <= w[1]));
    }

    #[test]
    fn every_shard_is_reachable_and_the_shares_hold() {
        let mut counts = vec![0usize; SHARDS];
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        let n = 1 << 21;
        for _ in 0..n {
            // splitmix64: well-spread stand-ins for the keys' hashes.
            x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = x;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            counts[shard_of(z ^ (z >> 31))] += 1;
        }
        assert!(counts.iter().all(|&c| c > 0));
        for (shard, &c) in counts.iter().enumerate() {
            let want = expected(n, shard) as f64;
            assert!(
                (c as f64 - want).abs() < want * 0.15,
                "shard {shard}: {c}, {want}"
            );
        }
        let total: usize = (0..SHARDS).map(|s| expected(n, s)).sum();
        assert!(total.abs_diff(n) < SHARDS, "{total} of {n}");
    }
}
