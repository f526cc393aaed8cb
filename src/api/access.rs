//! Who may read what: the one place where raw data and the public release part ways.
//!
//! Handlers never hold the database. They ask for a [`View`] (or an [`Internal`] for routes
//! that are analyst-only by nature), and the extractor decides from the caller's role:
//!
//! - the public role gets a [`PublicView`]: the fixed, noisy [`Release`] and the public
//!   reference layers (areas, schools, stops, …). It has no way to reach incidents or housing,
//!   so a new public route cannot read raw rows by accident: there is nothing to call.
//! - analysts and admins get an [`Internal`]: the store itself.
//!
//! The store lives in [`DataAccess`], whose fields are private to this file; the release is
//! part of the server's [`super::Derived`] data (public by construction).

use std::sync::Arc;

use super::{ApiError, AppState, auth::Caller};
use crate::config::Layer;
use crate::privacy::Role;
use crate::release::Release;
use crate::store::Database;
use crate::store::{AreaRow, FeaturePage, SharedStore, StoreError, StoredFeature};
use axum::{extract::FromRequestParts, http::request::Parts};

/// The store, behind the role checks of this module.
#[derive(Clone)]
pub struct DataAccess {
    store: SharedStore,
}

impl DataAccess {
    pub fn new(store: SharedStore) -> DataAccess {
        DataAccess { store }
    }

    /// A store of its own over the same database, for an import while serving (admins only:
    /// see `admin::import`) and for deriving the served data afresh after it.
    pub(super) fn store_for_import(&self) -> Result<crate::store::Store, StoreError> {
        self.store.detached()
    }

    /// The role behind a bearer token (authentication reads only the tokens table).
    pub(super) async fn role_of(&self, secret: String) -> Result<Option<(Role, String)>, StoreError> {
        self.store.run(move |db| db.role_of(&secret)).await
    }

    /// Appends to the audit log (write-only).
    pub(super) async fn audit(&self, actor: String, role: String, action: &'static str, target: String, amount: Option<i64>) -> Result<(), StoreError> {
        self.store.run(move |db| db.audit(&actor, &role, action, &target, amount)).await
    }

    /// The schema version (health check).
    pub(super) async fn schema_version(&self) -> Result<i64, StoreError> {
        self.store.run(|db| db.schema_version()).await
    }

    pub fn path(&self) -> &std::path::Path {
        self.store.path()
    }

    /// Database calls made so far (see [`SharedStore::runs`]).
    pub fn runs(&self) -> u64 {
        self.store.runs()
    }
}

/// Public reference layers: only layers that are public and hold no incidents or housing.
pub struct Reference {
    store: SharedStore,
}

impl Reference {
    /// Whether a layer may be read through this handle.
    pub fn admits(layer: &Layer) -> bool {
        layer.is_public_reference()
    }

    fn check(layer: &Layer) -> Result<(), ApiError> {
        if Reference::admits(layer) { Ok(()) } else { Err(ApiError::Forbidden(format!("layer '{}' is internal; it needs the analyst role", layer.name))) }
    }

    /// A page of a public reference layer's features; 403 for any other layer.
    pub async fn features(&self, layer: &Layer, page: FeaturePage) -> Result<(Vec<StoredFeature>, u64), ApiError> {
        Reference::check(layer)?;
        Ok(self.store.layer_features(layer, page).await?)
    }

    /// The polygons of a public areas layer; 403 for any other layer.
    pub async fn areas(&self, layer: &Layer) -> Result<Vec<AreaRow>, ApiError> {
        Reference::check(layer)?;
        Ok(self.store.areas(&layer.name).await?)
    }

    /// Every published release with the source-years it measured (public: the feed).
    pub async fn published(&self) -> Result<Vec<crate::store::release::Published>, ApiError> {
        Ok(self.store.run(|db| db.published_releases()).await?)
    }

    /// A published release by version, as estimates (its noisy measurements stay inside).
    pub async fn release(&self, version: i64) -> Result<Option<Release>, ApiError> {
        let stored = self.store.run(move |db| db.release(Some(version))).await?;
        // A release an older bomiljo stored without its noisy measurements cannot be estimated
        // again: gone, not an error of the server's.
        stored
            .map(|s| {
                Release::from_stored(s)
                    .map_err(|e| ApiError::NotFound(format!("release {version} cannot be read by this version of bomiljo ({e}); the newest release can")))
            })
            .transpose()
    }

    /// Feature counts of the public reference layers (others are left out).
    pub async fn layer_counts(&self, config: &crate::config::Config) -> Result<std::collections::BTreeMap<String, i64>, ApiError> {
        let admitted: Vec<String> = config.layers.iter().filter(|l| Reference::admits(l)).map(|l| l.name.clone()).collect();
        let counts = self.store.layer_counts().await?;
        Ok(counts.into_iter().filter(|(name, _)| admitted.contains(name)).collect())
    }
}

/// What a public caller may read.
pub struct PublicView {
    pub caller: Caller,
    pub release: Arc<Release>,
    pub reference: Reference,
}

/// What an analyst or admin may read: everything.
pub struct Internal {
    pub caller: Caller,
    pub store: SharedStore,
}

/// The data a handler may read for this caller.
pub enum View {
    Public(PublicView),
    Internal(Internal),
}

impl View {
    pub fn caller(&self) -> &Caller {
        match self {
            View::Public(v) => &v.caller,
            View::Internal(v) => &v.caller,
        }
    }
}

impl FromRequestParts<AppState> for View {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<View, ApiError> {
        let caller = Caller::from_request_parts(parts, state).await?;
        Ok(if caller.role.is_internal() {
            View::Internal(Internal { caller, store: state.data.store.clone() })
        } else {
            View::Public(public_view(state, caller))
        })
    }
}

impl FromRequestParts<AppState> for Internal {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Internal, ApiError> {
        let caller = Caller::from_request_parts(parts, state).await?;
        caller.require(Role::Analyst)?;
        Ok(Internal { caller, store: state.data.store.clone() })
    }
}

/// The public view for a caller, whatever their role (for outputs that are public material
/// whoever asks, such as the neighbour-dialogue sheet).
pub fn public_view(state: &AppState, caller: Caller) -> PublicView {
    let caller = Caller { policy: crate::privacy::Policy::new(Role::Public, caller.policy.k), role: Role::Public, ..caller };
    PublicView { caller, release: Arc::clone(&state.derived().release), reference: Reference { store: state.data.store.clone() } }
}
