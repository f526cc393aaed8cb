//! A small bounded cache for computed surfaces and rendered tiles: it forgets everything when
//! full, which is enough for a municipal server whose data change only by import (and restart).

use std::collections::HashMap;
use std::sync::Mutex;

pub struct Cache<V> {
    entries: Mutex<HashMap<String, V>>,
    capacity: usize,
}

impl<V: Clone> Cache<V> {
    pub fn new(capacity: usize) -> Cache<V> {
        Cache { entries: Mutex::new(HashMap::new()), capacity }
    }

    pub fn get(&self, key: &str) -> Option<V> {
        self.entries.lock().unwrap_or_else(|p| p.into_inner()).get(key).cloned()
    }

    pub fn insert(&self, key: String, value: V) {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if entries.len() >= self.capacity {
            entries.clear();
        }
        entries.insert(key, value);
    }
}
