//! Lists: a listpack while small, then a deque of members (Redis's
//! quicklist).

use std::collections::VecDeque;

use super::{list_fits, Listpack, Member};

#[derive(Clone, PartialEq)]
pub enum List {
    Listpack(Listpack),
    Quicklist(VecDeque<Member>),
}

impl List {
    pub fn new() -> List {
        List::Listpack(Listpack::default())
    }

    pub fn len(&self) -> usize {
        match self {
            List::Listpack(l) => l.len(),
            List::Quicklist(q) => q.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn push(&mut self, item: &[u8], front: bool) {
        if let List::Listpack(l) = self {
            if list_fits(l.len() + 1, l.bytes() + item.len() + 10) {
                if front {
                    l.push_front(item);
                } else {
                    l.push_back(item);
                }
                return;
            }
            *self = List::Quicklist(l.iter().map(Member::from).collect());
        }
        if let List::Quicklist(q) = self {
            if front {
                q.push_front(item.into());
            } else {
                q.push_back(item.into());
            }
        }
    }

    pub fn iter(&self) -> Box<dyn Iterator<Item = &[u8]> + '_> {
        match self {
            List::Listpack(l) => Box::new(l.iter()),
            List::Quicklist(q) => Box::new(q.iter().map(|m| &**m)),
        }
    }
}

impl Default for List {
    fn default() -> Self {
        List::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_converts_past_its_threshold() {
        let mut l = List::new();
        for i in 0..200 {
            l.push(format!("item-{i:040}").as_bytes(), false);
        }
        assert!(
            matches!(l, List::Quicklist(_)),
            "8 KiB of entries is past -2"
        );
        assert_eq!(l.len(), 200);
        assert_eq!(l.iter().next(), Some(format!("item-{:040}", 0).as_bytes()));
    }
}
