//! kvstore client library.
