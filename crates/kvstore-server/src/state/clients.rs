//! The registry of live connections, for `CLIENT LIST`.

use std::sync::{Arc, Weak};

use parking_lot::Mutex;

use super::session::{ClientInfo, Session};

/// Every live connection, weakly held: a connection that ends drops its
/// [`ClientInfo`] and its entry is pruned at the next registration or
/// listing, so closing a connection needs no call here.
#[derive(Debug, Default)]
pub struct Registry {
    clients: Mutex<Vec<Weak<ClientInfo>>>,
}

impl Registry {
    pub fn register(&self, session: &Session) {
        let mut clients = self.clients.lock();
        clients.retain(|c| c.strong_count() > 0);
        clients.push(Arc::downgrade(&session.info));
    }

    /// The live connections, oldest first.
    pub fn live(&self) -> Vec<Arc<ClientInfo>> {
        let mut clients = self.clients.lock();
        clients.retain(|c| c.strong_count() > 0);
        clients.iter().filter_map(Weak::upgrade).collect()
    }
}
