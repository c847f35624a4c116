//! Where eviction's sampling found a record, kept in its pool of
//! candidates until the record is evicted. Apart from the tables and from
//! eviction, which both name it.

/// Where [`super::Db::sample`] found a record: its shard, its bucket, and
/// its block's address, which tells whether the bucket still holds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sampled {
    pub(super) shard: usize,
    pub(super) bucket: usize,
    pub(super) addr: usize,
}
