//! Redis's RDB file format: reading a Redis `dump.rdb` at start-up and
//! writing one (`--rdb-export`), so that data moves between Redis and
//! kvstore in both directions.
//!
//! ```text
//! "REDIS" version (4 ASCII digits)
//! ( AUX key value | FUNCTION2 source | SELECTDB n | RESIZEDB n n
//!   | [EXPIRETIME_MS ms | EXPIRETIME s] [IDLE n | FREQ n] type key value )*
//! EOF  crc64 (8 bytes LE, version 5 on; zero: none was computed)
//! ```
//!
//! Lengths use Redis's variable encoding (see [`read`] and [`write`]); a
//! string may instead be an integer or LZF-compressed ([`lzf`]). The
//! compact encodings Redis saved as string blobs (ziplist, listpack,
//! intset, zipmap) are decoded by [`packed`].
//!
//! These are pure functions over bytes and files: the reader hands each
//! key to a callback as a snapshot [`Entry`](super::snapshot::Entry), as
//! kvstore's own snapshot reader does, and `load` puts them in the
//! keyspace. [`export`] is the `--rdb-export` action.

pub mod export;
pub mod lzf;
pub mod packed;
pub mod read;
pub mod write;

pub use read::{is_rdb, read, Summary};
pub use write::write;

/// Opcodes: a byte where a value type may stand, saying something else
/// follows.
mod op {
    pub const FUNCTION2: u8 = 0xF5;
    /// Redis 7.0's release candidates' function format, which 7.0 itself
    /// refuses.
    pub const FUNCTION_PRE_GA: u8 = 0xF6;
    pub const MODULE_AUX: u8 = 0xF7;
    pub const IDLE: u8 = 0xF8;
    pub const FREQ: u8 = 0xF9;
    pub const AUX: u8 = 0xFA;
    pub const RESIZEDB: u8 = 0xFB;
    pub const EXPIRETIME_MS: u8 = 0xFC;
    pub const EXPIRETIME: u8 = 0xFD;
    pub const SELECTDB: u8 = 0xFE;
    pub const EOF: u8 = 0xFF;
}

/// Value types, by the byte before the key.
mod ty {
    pub const STRING: u8 = 0;
    pub const LIST: u8 = 1;
    pub const SET: u8 = 2;
    /// Scores as ASCII text.
    pub const ZSET: u8 = 3;
    pub const HASH: u8 = 4;
    /// Scores as binary doubles.
    pub const ZSET_2: u8 = 5;
    pub const MODULE_PRE_GA: u8 = 6;
    pub const MODULE_2: u8 = 7;
    pub const HASH_ZIPMAP: u8 = 9;
    pub const LIST_ZIPLIST: u8 = 10;
    pub const SET_INTSET: u8 = 11;
    pub const ZSET_ZIPLIST: u8 = 12;
    pub const HASH_ZIPLIST: u8 = 13;
    pub const LIST_QUICKLIST: u8 = 14;
    pub const STREAM_LISTPACKS: u8 = 15;
    pub const HASH_LISTPACK: u8 = 16;
    pub const ZSET_LISTPACK: u8 = 17;
    pub const LIST_QUICKLIST_2: u8 = 18;
    pub const STREAM_LISTPACKS_2: u8 = 19;
    /// Redis 7.2 (RDB 11).
    pub const SET_LISTPACK: u8 = 20;
    pub const STREAM_LISTPACKS_3: u8 = 21;
}

/// The first byte of a length, top two bits: how the length is stored.
mod len {
    pub const BITS6: u8 = 0;
    pub const BITS14: u8 = 1;
    /// Top bits `10`: the whole byte says the width, 32 or 64 bits,
    /// big-endian.
    pub const BITS32: u8 = 0x80;
    pub const BITS64: u8 = 0x81;
    /// Not a length: a special string encoding, in the low six bits.
    pub const ENCODED: u8 = 3;
    pub const INT8: u8 = 0;
    pub const INT16: u8 = 1;
    pub const INT32: u8 = 2;
    pub const LZF: u8 = 3;
}

/// The version this writer produces (Redis 7.0's).
pub const WRITE_VERSION: u32 = 10;
/// The newest version the reader takes: Redis 7.2's, which only adds a
/// listpack set and a stream layout.
pub const READ_VERSION: u32 = 11;

/// Redis's checksum, CRC-64/Jones, slice-by-16 for speed on large files.
pub static CRC64: crc::Crc<u64, crc::Table<16>> =
    crc::Crc::<u64, crc::Table<16>>::new(&crc::CRC_64_REDIS);

#[cfg(test)]
mod tests {
    #[test]
    fn checksum_is_redis_crc64() {
        // The check value Redis's own crc64 test uses.
        assert_eq!(super::CRC64.checksum(b"123456789"), 0xe9c6_d914_c4b8_d9ca);
    }
}
