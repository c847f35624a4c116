//! The function libraries (`FUNCTION LOAD`): part of the dataset, like the
//! keys, so snapshots carry them. Only their source and what loading it
//! registered live here; the interpreters that run them belong to the
//! commands above.

use std::collections::BTreeMap;
use std::sync::Arc;

use bytes::Bytes;

/// One function a library registered.
#[derive(Debug, Clone)]
pub struct FunctionDef {
    pub name: String,
    pub description: Option<Bytes>,
    /// Bits of the flags `redis.register_function` was given.
    pub flags: u32,
}

#[derive(Debug)]
pub struct Library {
    pub name: String,
    /// The source as loaded, first line (`#!lua name=…`) included.
    pub code: Bytes,
    pub functions: Vec<FunctionDef>,
}

/// Every library, by name.
#[derive(Debug, Default)]
pub struct Libraries {
    /// Changes with every load or deletion, so that an interpreter built
    /// from an older set knows to rebuild.
    pub generation: u64,
    pub libs: BTreeMap<String, Arc<Library>>,
}

impl Libraries {
    /// The library that registered the function `name`, and its entry.
    pub fn function(&self, name: &str) -> Option<(&Arc<Library>, &FunctionDef)> {
        self.libs
            .values()
            .find_map(|l| l.functions.iter().find(|f| f.name == name).map(|f| (l, f)))
    }

    /// The libraries' sources, for a snapshot.
    pub fn sources(&self) -> Vec<Bytes> {
        self.libs.values().map(|l| l.code.clone()).collect()
    }
}
