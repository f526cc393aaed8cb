//! Who may hold a connection: a cap in total and per client address (IPv6 by its /64, which one
//! client holds whole), and the first byte of a request within a deadline, so connections that
//! never speak cannot pile up until the file-descriptor table is full.
//!
//! ```
//! use bomiljo::api::connections::{client_key, Connections};
//! let connections = Connections::new(2, 1);
//! let a: std::net::IpAddr = "2001:db8:1:2::7".parse().unwrap();
//! let b: std::net::IpAddr = "2001:db8:1:2::8".parse().unwrap();
//! assert_eq!(client_key(a), client_key(b)); // one /64, one client
//! let held = connections.admit(a).unwrap();
//! assert!(connections.admit(b).is_none()); // the /64 holds its one connection
//! drop(held);
//! assert!(connections.admit(b).is_some());
//! ```

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

/// The open connections, in total and per client.
#[derive(Clone)]
pub struct Connections {
    inner: Arc<Mutex<Counts>>,
    total: usize,
    per_client: usize,
}

struct Counts {
    total: usize,
    by_client: HashMap<IpAddr, usize>,
}

/// One admitted connection; dropping it frees its place.
pub struct Admitted {
    connections: Connections,
    client: IpAddr,
}

/// The address a client is counted by: an IPv4 address, or an IPv6 address's /64 (an IPv4
/// address mapped into IPv6 counts as itself).
pub fn client_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::V6(std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
        v4 => v4,
    }
}

impl Connections {
    pub fn new(total: usize, per_client: usize) -> Connections {
        Connections { inner: Arc::new(Mutex::new(Counts { total: 0, by_client: HashMap::new() })), total, per_client }
    }

    /// A place for a connection from `ip`, or `None` when the total or the client's share is
    /// taken.
    pub fn admit(&self, ip: IpAddr) -> Option<Admitted> {
        let client = client_key(ip);
        let mut counts = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let held = counts.by_client.get(&client).copied().unwrap_or(0);
        if counts.total >= self.total || held >= self.per_client {
            return None;
        }
        counts.total += 1;
        counts.by_client.insert(client, held + 1);
        Some(Admitted { connections: self.clone(), client })
    }
}

impl Drop for Admitted {
    fn drop(&mut self) {
        let mut counts = self.connections.inner.lock().unwrap_or_else(|e| e.into_inner());
        counts.total = counts.total.saturating_sub(1);
        if let Some(held) = counts.by_client.get_mut(&self.client) {
            *held -= 1;
            if *held == 0 {
                counts.by_client.remove(&self.client);
            }
        }
    }
}

/// Logs a repeated failure at most once a second, with how many were not logged.
pub struct Throttled {
    last: Option<std::time::Instant>,
    suppressed: u64,
}

impl Throttled {
    pub fn new() -> Throttled {
        Throttled { last: None, suppressed: 0 }
    }

    /// Whether to log now, and how many went unlogged since the last time.
    pub fn due(&mut self) -> Option<u64> {
        let now = std::time::Instant::now();
        if self.last.is_some_and(|t| now.duration_since(t) < std::time::Duration::from_secs(1)) {
            self.suppressed += 1;
            return None;
        }
        self.last = Some(now);
        Some(std::mem::take(&mut self.suppressed))
    }
}

impl Default for Throttled {
    fn default() -> Self {
        Throttled::new()
    }
}
