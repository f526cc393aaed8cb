//! The served world: everything derived from one version of the data, built by one function
//! ([`Snapshot::build`]) and read by every output: the server (which keeps its caches beside it
//! and swaps it whole after an import), the CLI commands that score, report and weigh need, and
//! the reports. The store is read here, once per version; no output re-reads a layer or rebuilds
//! an index the snapshot holds.
//!
//! It is built from a release the caller chose: the server publishes one if the data changed
//! (`release::current`), a reading command takes the newest stored one (`release::first_or_newest`).
//! A rule file that fails to load fails the snapshot: the server and the CLI refuse alike.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use crate::config::{Config, LayerKind};
use crate::index::addresses::AddressIndex;
use crate::index::{Coverage, SpatialIndex};
use crate::measurement::Geography;
use crate::release::Release;
use crate::siting::SitingContext;
use crate::siting::need::NeedBook;
use crate::store::Database;
use crate::store::queries::LayerExtent;
use crate::store::{AreaRow, Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("siting rules: {0}")]
    Siting(#[from] crate::siting::SitingError),
}

/// Everything derived from one data version.
pub struct Snapshot {
    /// The release every public figure comes from.
    pub release: Arc<Release>,
    /// Public reference layers only (no housing): what public outputs measure against.
    pub reference: Arc<SpatialIndex>,
    /// Delbydeler, population and sizes (public reference data).
    pub geography: Arc<Geography>,
    /// The siting context (indexes of every layer the rules measure, the street network).
    pub siting: Arc<SitingContext>,
    /// Where sites can be scored and described: inside the delbydeler, not in water.
    pub coverage: Arc<Coverage>,
    /// What each layer's stored features cover.
    pub extents: BTreeMap<String, LayerExtent>,
    /// The addresses searched by street address and gnr/bnr.
    pub addresses: Arc<AddressIndex>,
    /// Every areas layer's polygons (delbydeler, bydeler, …), read once: vector tiles cut them.
    pub area_layers: BTreeMap<String, Arc<Vec<AreaRow>>>,
    /// Housing need against supply: replaced when a scenario is adopted or deleted, without
    /// rebuilding the rest; with the ticket of the reading it came from.
    need: RwLock<(u64, Arc<NeedBook>)>,
    need_tickets: AtomicU64,
}

impl Snapshot {
    /// Reads the store once and derives the world from it and `release`.
    pub fn build(config: &Config, store: &Store, release: Release) -> Result<Snapshot, SnapshotError> {
        let reference = Arc::new(SpatialIndex::build_public(store, config)?);
        let geography = Arc::new(Geography::load(store, config)?);
        // Rules measure distances to public points of interest only (`rules check` refuses housing),
        // so the siting context builds on the same reference index; it reads housing itself.
        let siting = Arc::new(SitingContext::build(store.handle(), config, Arc::clone(&reference), &release)?);
        Ok(Snapshot {
            area_layers: area_layers(config, store, &geography)?,
            need: RwLock::new((0, Arc::new(NeedBook::load(store, config, &geography)?))),
            need_tickets: AtomicU64::new(0),
            addresses: Arc::new(AddressIndex::load(store, config)?),
            coverage: Arc::new(Coverage::load(store, config)?),
            extents: store.layer_extents()?,
            release: Arc::new(release),
            reference,
            geography,
            siting,
        })
    }

    /// The need balance as it stands.
    pub fn need(&self) -> Arc<NeedBook> {
        Arc::clone(&self.need.read().unwrap_or_else(|poisoned| poisoned.into_inner()).1)
    }

    /// A ticket for a refresh of the need balance, taken when its rows are read.
    pub fn need_ticket(&self) -> u64 {
        self.need_tickets.fetch_add(1, Ordering::SeqCst) + 1
    }

    /// Serves `book` from the next reading on (a scenario was adopted or deleted), unless a book
    /// read later already is.
    pub fn set_need(&self, ticket: u64, book: NeedBook) {
        let mut served = self.need.write().unwrap_or_else(|poisoned| poisoned.into_inner());
        if ticket > served.0 {
            *served = (ticket, Arc::new(book));
        }
    }
}

/// Every areas layer's rows, the delbydeler from the geography already read.
fn area_layers(config: &Config, store: &Store, geography: &Geography) -> Result<BTreeMap<String, Arc<Vec<AreaRow>>>, StoreError> {
    let mut layers = BTreeMap::new();
    for layer in config.layers.iter().filter(|l| l.kind == LayerKind::Areas) {
        let rows = if layer.name == config.project.assign_layer { geography.areas.clone() } else { store.areas(&layer.name)? };
        layers.insert(layer.name.clone(), Arc::new(rows));
    }
    Ok(layers)
}
