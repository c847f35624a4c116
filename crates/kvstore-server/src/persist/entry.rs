//! One key as a snapshot file holds it, whatever the file's format.

use bytes::Bytes;
use kvstore_protocol::Value;

use crate::keyspace::Record;

/// One key as a snapshot holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub db: usize,
    pub key: Bytes,
    pub value: Value,
    pub deadline: Option<u64>,
    pub kind: String,
}

/// An entry made from plain parts, for the snapshot and batch tests.
#[cfg(test)]
pub(crate) fn test_entry(
    db: usize,
    key: &str,
    value: Value,
    deadline: Option<u64>,
    kind: &str,
) -> Entry {
    Entry {
        db,
        key: Bytes::copy_from_slice(key.as_bytes()),
        value,
        deadline,
        kind: kind.into(),
    }
}

impl Entry {
    /// The record this entry describes.
    pub fn record(&self) -> Result<Record, String> {
        Record::from_parts(&self.key, &self.kind, &self.value, self.deadline)
    }
}
