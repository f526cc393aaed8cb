//! Mapbox Vector Tiles: `/tiles/{layer}/{z}/{x}/{y}.mvt` for areas layers (delbydeler, bydeler)
//! and `incidents` (a grid of incident counts: the release's 250 m cells for the public, raw
//! counts on any cell size for analysts; cells under k are left out for the public).

use axum::{
    extract::{Path, Query, State},
    response::Response,
};
use mvt::{GeomEncoder, GeomType, Tile};
use serde::{Deserialize, Serialize};

use super::{ApiError, AppState, access::View, features::layer_for_tiles};
use crate::config::LayerKind;
use crate::privacy::Count;
use crate::render::tile::TileId;
use crate::render::tile_polygons::tile_polygons;
use crate::spatial::{ANALYSIS_CRS, Crs, SSB_CELL_M, SsbCell, SsbProjection, Transformer};
use crate::store::IncidentFilter;

const EXTENT: u32 = 4096;

/// `{layer}/{z}/{x}/{y}.mvt` (no `serde(flatten)`: the router's values are text, which a
/// flattened struct could not parse as numbers).
#[derive(Deserialize)]
pub struct LayerTilePath {
    layer: String,
    z: u32,
    x: u32,
    y: super::TileRow,
}

#[derive(Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TileQuery {
    /// incidents: one source (all when absent).
    source: Option<String>,
    /// incidents: the year (the latest when absent).
    year: Option<i32>,
    /// Cell size of the incident grid, metres (default 250, 100-1000).
    cell_m: Option<f64>,
}

/// A tile's envelope in EPSG:25832 widened by `margin` metres (cells that start outside the tile
/// reach into it).
fn widened(tile: TileId, margin: f64) -> [f64; 4] {
    let [x0, y0, x1, y1] = tile.envelope();
    [x0 - margin, y0 - margin, x1 + margin, y1 + margin]
}

/// Encodes polygons (EPSG:25832) as one MVT polygon feature's geometry: clipped, valid and
/// wound per the specification ([`tile_polygons`]); `None` when nothing of them shows.
fn polygon(tile: TileId, to_wgs84: &Transformer, polygons: &geo::MultiPolygon<f64>) -> Option<mvt::GeomData> {
    use geo::MapCoords;
    let in_tile =
        polygons.try_map_coords(|c| to_wgs84.apply(c.x, c.y).map(|(lon, lat)| tile.position(lon, lat, EXTENT)).map(|(x, y)| geo::Coord { x, y })).ok()?;
    let shapes = tile_polygons(&in_tile, EXTENT);
    if shapes.is_empty() {
        return None;
    }
    let mut encoder = GeomEncoder::new(GeomType::Polygon);
    for ring in shapes.iter().flatten() {
        for &(x, y) in ring {
            encoder.add_point(f64::from(x), f64::from(y)).ok()?;
        }
        encoder.complete_geom().ok()?;
    }
    encoder.encode().ok()
}

/// Incident cells touching a tile: (ring in EPSG:25832, count). Analysts get raw counts on any
/// cell size; the public gets the release's 250 m SSB cells, estimated with their interval.
async fn incident_cells(view: &View, q: TileQuery, tile: TileId) -> Result<Vec<(Vec<(f64, f64)>, Count)>, ApiError> {
    let filter = IncidentFilter { sources: q.source.into_iter().collect(), category: None, years: q.year.map(|y| (y, y)) };
    match view {
        View::Internal(internal) => {
            let cell = q.cell_m.filter(|c| c.is_finite()).unwrap_or(250.0).clamp(100.0, 1000.0);
            let bbox = widened(tile, cell);
            let cells = internal.store.incident_grid(filter, cell, bbox).await?;
            Ok(cells
                .into_iter()
                .map(|(cx, cy, n)| (vec![(cx, cy), (cx + cell, cy), (cx + cell, cy + cell), (cx, cy + cell), (cx, cy)], Count::Exact(n)))
                .collect())
        }
        View::Public(public) => {
            if q.cell_m.is_some_and(|c| c != SSB_CELL_M) {
                return Err(ApiError::BadRequest("cell_m: the public release has SSB's 250 m cells; leave cell_m out or use 250".into()));
            }
            let years = filter.years.or_else(|| public.release.years(None)).unwrap_or((0, -1));
            let [x0, y0, x1, y1] = widened(tile, SSB_CELL_M);
            let ssb = SsbProjection::new();
            let to_analysis = Transformer::new(Crs::Utm33, ANALYSIS_CRS);
            let in_tile = |cell: SsbCell| ssb.centre(cell).is_some_and(|(x, y)| (x0..=x1).contains(&x) && (y0..=y1).contains(&y));
            Ok(public
                .release
                .cell_figures(&filter.sources, years, in_tile)
                .into_iter()
                .filter(|(_, figure)| figure.shown() > 0)
                .filter_map(|(cell, figure)| Some((cell.ring(&to_analysis)?.into_iter().map(|[x, y]| (x, y)).collect(), Count::Estimated(figure))))
                .collect())
        }
    }
}

/// An unknown source is a 400 listing the sources; so is a year the public release has no data
/// for (an empty tile would read as "no incidents").
fn check_incident_query(state: &AppState, view: &View, q: &TileQuery) -> Result<(), ApiError> {
    crate::measurement::check_source(&state.config, q.source.as_deref())?;
    if let (View::Public(public), Some(year)) = (view, q.year) {
        match public.release.years(q.source.as_deref()) {
            Some((first, last)) if (first..=last).contains(&year) => {}
            Some((first, last)) => return Err(ApiError::BadRequest(format!("no incident data in {year}: the release covers {first}-{last}"))),
            None => return Err(ApiError::BadRequest("the public release holds no incident data yet".into())),
        }
    }
    Ok(())
}

/// `GET /tiles/{layer}/{z}/{x}/{y}.mvt`: one layer named after the collection.
pub async fn tile(
    State(state): State<AppState>,
    view: View,
    Path(LayerTilePath { layer: layer_name, z, x, y }): Path<LayerTilePath>,
    Query(q): Query<TileQuery>,
) -> Result<Response, ApiError> {
    let tile = super::TilePath { z, x, y }.checked(super::TileFormat::Mvt)?;
    let internal = view.caller().role.is_internal();
    let bytes = if layer_name == "incidents" {
        check_incident_query(&state, &view, &q)?;
        // A function of the data version (the cache's), the query and the tile, like every tile.
        let key = super::tile_key("mvt|incidents", &q, tile, internal);
        state.derived().tile_cache.get_or_compute(&key, || incident_tile(&view, q, tile)).await?
    } else {
        let spec = layer_for_tiles(&state, view.caller(), &layer_name)?;
        if spec.kind != LayerKind::Areas {
            return Err(ApiError::NotFound(format!("vector tiles exist for areas layers and 'incidents', not '{layer_name}'")));
        }
        // Area tiles depend on the areas alone: made once per version of the data.
        let key = super::tile_key(&format!("mvt|{layer_name}"), &(), tile, internal);
        let derived = state.derived();
        let areas = derived.area_layers.get(&spec.name).cloned().unwrap_or_default();
        derived.tile_cache.get_or_compute(&key, || async move { area_tile(&spec, &areas, tile) }).await?
    };
    Ok(super::tile_answer("application/vnd.mapbox-vector-tile", bytes, internal))
}

/// The incident count grid's cells in a tile, each with its count (and interval, for estimates).
async fn incident_tile(view: &View, q: TileQuery, tile: TileId) -> Result<axum::body::Bytes, ApiError> {
    let to_wgs84 = Transformer::new(ANALYSIS_CRS, Crs::Wgs84);
    let out = Tile::new(EXTENT);
    let mut layer = out.create_layer("incidents");
    let policy = view.caller().policy;
    for (ring, count) in incident_cells(view, q, tile).await? {
        let Some(figure) = policy.shown(count).figure() else {
            continue;
        };
        let cell = geo::MultiPolygon::new(vec![geo::Polygon::new(geo::LineString::from(ring), vec![])]);
        let Some(geom) = polygon(tile, &to_wgs84, &cell) else {
            continue;
        };
        let mut feature = layer.into_feature(geom);
        feature.add_tag_uint("count", figure.shown());
        // A public cell is an estimate: its 95 % interval goes with it.
        if !figure.is_exact() {
            let (low, high) = figure.interval();
            feature.add_tag_uint("low", low);
            feature.add_tag_uint("high", high);
        }
        layer = feature.into_layer();
    }
    encode(out, layer)
}

/// An areas layer's polygons in a tile, one feature per area with its code, name and bydel, cut
/// from the served snapshot (the caller's right to the layer is checked by `layer_for_tiles`).
fn area_tile(spec: &crate::config::Layer, areas: &[crate::store::AreaRow], tile: TileId) -> Result<axum::body::Bytes, ApiError> {
    let to_wgs84 = Transformer::new(ANALYSIS_CRS, Crs::Wgs84);
    let out = Tile::new(EXTENT);
    let mut layer = out.create_layer(&spec.name);
    let [x0, y0, x1, y1] = tile.envelope();
    for area in areas {
        let Some(r) = geo::BoundingRect::bounding_rect(&area.polygon) else {
            continue;
        };
        if r.max().x < x0 || r.min().x > x1 || r.max().y < y0 || r.min().y > y1 {
            continue;
        }
        // One feature per area (a MultiPolygon), whatever the number of its parts.
        let Some(geom) = polygon(tile, &to_wgs84, &area.polygon) else {
            continue;
        };
        let mut feature = layer.into_feature(geom);
        feature.add_tag_string("code", &area.code);
        if let Some(name) = &area.name {
            feature.add_tag_string("name", name);
        }
        if let Some(parent) = &area.parent_code {
            feature.add_tag_string("bydel", parent);
        }
        layer = feature.into_layer();
    }
    encode(out, layer)
}

fn encode(mut tile: Tile, layer: mvt::Layer) -> Result<axum::body::Bytes, ApiError> {
    tile.add_layer(layer).map_err(|e| ApiError::Internal(format!("tile encoding: {e}")))?;
    tile.to_bytes().map(axum::body::Bytes::from).map_err(|e| ApiError::Internal(format!("tile encoding: {e}")))
}
