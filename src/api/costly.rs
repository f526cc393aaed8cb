//! At most a few costly computations per public client at once. Public answers are computed
//! once per release and parameters and then kept, but the first request for each still costs a
//! heat surface, a Gi* or LISA run or a suitability surface: one client asking for many
//! different ones in parallel would hold every core. A client (an IPv4 address or an IPv6 /64)
//! may have [`PER_CLIENT`] such computations running (the map page's layers at once); more get
//! 429 and come back later. Concurrent requests for the same answer wait for one computation
//! (`super::cache`), so a map's tiles of one surface take one slot. Cached answers and analysts
//! are not limited.
//!
//! ```
//! use bomiljo::api::costly::Costly;
//! let costly = std::sync::Arc::new(Costly::default());
//! let client = "192.0.2.7".parse().unwrap();
//! let running: Vec<_> = (0..4).map(|_| costly.begin(client).unwrap()).collect();
//! assert!(costly.begin(client).is_err());
//! // Another client is not held up, and a finished computation frees its slot.
//! assert!(costly.begin("192.0.2.8".parse().unwrap()).is_ok());
//! drop(running);
//! assert!(costly.begin(client).is_ok());
//! ```

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use super::ApiError;

/// Costly computations one client may have running at once.
pub const PER_CLIENT: usize = 4;

/// The computations running per client.
#[derive(Debug, Default)]
pub struct Costly {
    running: Mutex<HashMap<IpAddr, usize>>,
}

/// One running computation; dropping it frees the client's slot.
#[derive(Debug)]
pub struct Permit {
    costly: Arc<Costly>,
    client: IpAddr,
}

impl Costly {
    /// A slot for `client` (keyed as the rate limiter keys it), or 429 when its slots are taken.
    pub fn begin(self: &Arc<Self>, client: IpAddr) -> Result<Permit, ApiError> {
        let client = super::connections::client_key(client);
        let mut running = self.running.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let count = running.entry(client).or_default();
        if *count >= PER_CLIENT {
            return Err(ApiError::TooManyRequests(format!(
                "{PER_CLIENT} costly computations of yours are running; ask again when they are done (answers are kept once computed)"
            )));
        }
        *count += 1;
        Ok(Permit { costly: Arc::clone(self), client })
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        let mut running = self.costly.running.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(count) = running.get_mut(&self.client) {
            *count -= 1;
            if *count == 0 {
                running.remove(&self.client);
            }
        }
    }
}
