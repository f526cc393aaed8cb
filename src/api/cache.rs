//! A small bounded cache for computed surfaces and rendered tiles: it forgets everything when
//! full, which is enough for a municipal server whose data change only by import (and restart).
//! Concurrent requests for one missing value wait for a single computation of it (a map asks for
//! a surface's 16 tiles at once; each would otherwise compute the surface).

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};

pub struct Cache<V> {
    entries: Mutex<HashMap<String, V>>,
    capacity: usize,
    /// One gate per value being computed.
    computing: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

impl<V: Clone> Cache<V> {
    pub fn new(capacity: usize) -> Cache<V> {
        Cache { entries: Mutex::new(HashMap::new()), capacity, computing: Mutex::default() }
    }

    /// The value for `key`, computed by `compute` only when absent; callers that ask for the
    /// same key meanwhile wait and take its result. A failed computation is not kept.
    pub async fn get_or_compute<E, Fut: Future<Output = Result<V, E>>>(&self, key: &str, compute: impl FnOnce() -> Fut) -> Result<V, E> {
        if let Some(hit) = self.get(key) {
            return Ok(hit);
        }
        let gate = Arc::clone(self.computing.lock().unwrap_or_else(|p| p.into_inner()).entry(key.to_string()).or_default());
        let _turn = gate.lock().await;
        if let Some(hit) = self.get(key) {
            return Ok(hit);
        }
        let value = compute().await;
        if let Ok(v) = &value {
            self.insert(key.to_string(), v.clone());
        }
        self.computing.lock().unwrap_or_else(|p| p.into_inner()).remove(key);
        value
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
